// A room's recording, in one of three forms (docs/recording.md):
//  - WebM with video (the default): the high tier's encoded VP8 composite (starting that tier's
//    encoder if nobody watches it: the recording counts as one of its viewers) and the shared
//    full-mix Opus, muxed by a media::Recorder; no encode of its own.
//  - WebM audio only: the full-mix Opus alone, same muxer.
//  - MP4 ([recording] container=mp4): a target of the meeting's one H.264/AAC encode
//    (room::RoomLive, shared with RTMP and HLS: started if it was not running, stopped with
//    its last user), written as fragmented MP4 (media::Mp4Target).
// The video follows the meeting's layout (followLayout): the recording moves to that layout's
// encoder, shared with the viewers that watch it. The full mix is fed on every tick while
// recording. One at a time per room. Main thread only.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/AudioMixer.h"
#include "media/Composites.h"
#include "media/Recorder.h"
#include "room/RoomLive.h"

namespace mixmeet::room {

/// What a finished recording left.
struct RecordingEnd {
    std::string path;
    int64_t durationMs = 0;  ///< From the first keyframe (audio only: packet) to the last buffer.
};

/// The form of a recording.
enum class RecordingFormat {
    Webm,       ///< VP8 + Opus in WebM, no extra encode.
    WebmAudio,  ///< Opus alone in WebM.
    Mp4,        ///< H.264 + AAC in fragmented MP4, from the live encode.
};

class RoomRecording {
public:
    /// Tier recorded: the high one (the composite's full size).
    static constexpr int kTier = 0;

    /// Starts recording `format` into `path`, the video of `layout`. `live`: the room's live
    /// stream (needed for Mp4 only; must outlive this). Errors as media::Recorder::create /
    /// RoomLive::startRecording, and "internal" if the tier or the audio tee gives no pad.
    static core::Result<std::unique_ptr<RoomRecording>> start(
        GstBin* pipeline, media::Composites& video, media::LayoutKind layout,
        media::AudioMixer& audio, GstElement* audioTee, const std::string& path,
        int64_t startedAtMs, RecordingFormat format = RecordingFormat::Webm,
        RoomLive* live = nullptr);
    /// Stops (if still running) and releases the room's pads.
    ~RoomRecording();
    RoomRecording(const RoomRecording&) = delete;
    RoomRecording& operator=(const RoomRecording&) = delete;

    /// Ends the recording: unlinks it, releases the pads (the tier's encoder stops if nobody
    /// else watches it; the live encode if nothing else uses it) and returns what was
    /// recorded. Idempotent (later calls return the same). The caller decides whether the full
    /// mix is still fed on every tick.
    RecordingEnd stop();
    /// The meeting's layout (as its followers see it) is now `layout`: a WebM recording with
    /// video moves to that layout's high-tier encoder (shared with its viewers, started if
    /// none), starting again at its next keyframe; an MP4 one follows with the live encode
    /// (RoomLive::followLayout, called by the room). Nothing for audio only.
    void followLayout(media::LayoutKind layout);
    /// Unix ms, UTC, when the host started it.
    int64_t startedAtMs() const { return startedAtMs_; }
    RecordingFormat format() const { return format_; }
    /// Recorded length so far, ms (0 once stopped).
    int64_t durationMs() const;
    /// The layout whose composite is recorded.
    media::LayoutKind layout() const { return layout_; }
    /// The WebM recorder while running (null once stopped, and for MP4).
    const media::Recorder* recorder() const { return recorder_.get(); }

private:
    RoomRecording() = default;
    /// Asks the recorded tier for a keyframe, and again after 600 ms while the gate still
    /// waits for one (the tier spaces forced keyframes: keyframe_min_interval_ms).
    void askKeyframe();

    media::Composites* video_ = nullptr;
    media::LayoutKind layout_ = media::LayoutKind::Grid;  ///< The layout recorded.
    RecordingFormat format_ = RecordingFormat::Webm;
    media::AudioMixer* audio_ = nullptr;
    RoomLive* live_ = nullptr;  ///< Mp4 only.
    core::ElementPtr audioTee_;
    core::PadPtr videoPad_;  ///< The tier's output pad (we count as a viewer).
    core::PadPtr audioPad_;  ///< Our request pad on the full-mix tee.
    std::unique_ptr<media::Recorder> recorder_;
    std::optional<media::Mp4Target> mp4_;  ///< Progress and EOS flag of the MP4 target.
    int64_t startedAtMs_ = 0;
    bool stopped_ = false;
    RecordingEnd end_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  ///< For delayed callbacks.
};

}  // namespace mixmeet::room
