// A room's recording: takes the high tier's encoded composite (starting that tier's encoder
// if nobody watches it: the recording counts as one of its viewers) and the shared full-mix
// Opus encode (fed on every tick while recording), and hands both to a media::Recorder.
// One at a time per room. Main thread only.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/AudioMixer.h"
#include "media/Composites.h"
#include "media/Recorder.h"

namespace mixmeet::room {

/// What a finished recording left.
struct RecordingEnd {
    std::string path;
    int64_t durationMs = 0;  ///< From the first keyframe to the last buffer recorded.
};

class RoomRecording {
public:
    /// Tier recorded: the high one (the composite's full size).
    static constexpr int kTier = 0;

    /// Starts recording into `path`. Errors as media::Recorder::create, and "internal" if the
    /// tier or the audio tee gives no pad.
    static core::Result<std::unique_ptr<RoomRecording>> start(
        GstBin* pipeline, media::Composites& video, media::LayoutKind layout,
        media::AudioMixer& audio, GstElement* audioTee, const std::string& path,
        int64_t startedAtMs);
    /// Stops (if still running) and releases the room's pads.
    ~RoomRecording();
    RoomRecording(const RoomRecording&) = delete;
    RoomRecording& operator=(const RoomRecording&) = delete;

    /// Ends the recording: unlinks it, releases the pads (the tier's encoder stops if nobody
    /// else watches it) and returns what was recorded. Idempotent (later calls return the
    /// same).
    RecordingEnd stop();
    /// Unix ms, UTC, when the host started it.
    int64_t startedAtMs() const { return startedAtMs_; }
    /// The recorder while running (null once stopped).
    const media::Recorder* recorder() const { return recorder_.get(); }

private:
    RoomRecording() = default;

    media::Composites* video_ = nullptr;
    media::LayoutKind layout_ = media::LayoutKind::Grid;  ///< The layout recorded.
    media::AudioMixer* audio_ = nullptr;
    core::ElementPtr audioTee_;
    core::PadPtr videoPad_;  ///< The tier's output pad (we count as a viewer).
    core::PadPtr audioPad_;  ///< Our request pad on the full-mix tee.
    std::unique_ptr<media::Recorder> recorder_;
    int64_t startedAtMs_ = 0;
    bool stopped_ = false;
    RecordingEnd end_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  ///< For delayed callbacks.
};

}  // namespace mixmeet::room
