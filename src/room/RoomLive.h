// A room's live stream (docs/recording.md, "Live streaming"): the one H.264/AAC encode
// (media::LiveEncoder) of the meeting layout's raw composite and the full mix, started with the
// first output and stopped with the last, feeding RTMP(S) targets and HLS.
//
// An RTMP target that fails (connection refused, bad key, dropped) is taken out and added again
// after a backoff ([streaming] retry_min_ms doubling up to retry_max_ms); the call and the other
// outputs are not touched. A target is "live" once its sink has sent bytes since it was (re)added,
// which also resets its backoff. Stream keys are never logged or told in full (maskKey).
//
// Threads: main thread only.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/AudioMixer.h"
#include "media/Composites.h"
#include "media/LiveEncoder.h"
#include "media/MediaConfig.h"
#include "media/Recorder.h"
#include "protocol/Messages.h"

namespace mixmeet::room {

/// Start-up: removes every HLS directory under `root` ([streaming] directory; one per meeting,
/// left by a crash or a kill: no meeting is live yet), with the files in it. Returns how many.
int removeStaleHlsDirectories(const std::string& root);

/// What is told of a stream key: "****" between its first and last two characters (keys
/// shorter than 8 characters: "****" alone).
std::string maskKey(const std::string& key);

class RoomLive {
public:
    /// `changed` is called (main thread) whenever state() changes; `directory` is this
    /// meeting's HLS directory (created on start, emptied and removed on stop).
    RoomLive(GstBin* pipeline, media::Composites& video, GstElement* audioTee,
             const media::MediaConfig& config, std::string meetingId, std::string directory,
             std::function<void()> changed);
    /// Stops everything (the encode's bin is torn down off the main thread).
    ~RoomLive();
    RoomLive(const RoomLive&) = delete;
    RoomLive& operator=(const RoomLive&) = delete;

    /// Adds an RTMP target streaming `layout`'s composite (the first output starts the
    /// encode). Returns its id. Errors: "too-many" ([streaming] max_targets), "internal".
    core::Result<std::string> addRtmp(const std::string& url, const std::string& key,
                                      media::LayoutKind layout);
    /// Error "bad-state" for an unknown id.
    core::Status removeRtmp(const std::string& id);
    /// Starts or stops HLS (and changes who may watch while on). Errors: "io" (directory),
    /// "internal".
    core::Status setHls(bool on, const std::string& access, media::LayoutKind layout);
    /// Adds a recording target (media::Mp4Target's bin, named media::kMp4TargetName) to the
    /// encode, starting it on `layout` if it was not running: the recording shares the one
    /// H.264/AAC encode with RTMP and HLS. Errors: "bad-state" (one runs), "internal".
    core::Status startRecording(core::ElementPtr target, media::LayoutKind layout);
    /// Finishes the recording target (its file completed off the main thread, `eosDone` set
    /// by the target when it was) and stops the encode if nothing else uses it.
    void stopRecording(std::shared_ptr<std::atomic<bool>> eosDone);
    bool recording() const { return recording_; }
    /// The meeting's layout (as its followers see it) changed: the encode moves to that
    /// layout's raw composite (built if nobody watches it, shared if someone does).
    void followLayout(media::LayoutKind layout);
    /// The layout encoded now.
    media::LayoutKind layout() const { return layout_; }
    /// An ERROR from inside target `target`'s bin (its name in the encode's bin), or from the
    /// encode itself (empty `target`).
    void onError(const std::string& target, const std::string& message);

    bool running() const { return encoder_ != nullptr; }
    bool hlsOn() const { return hls_; }
    const std::string& hlsAccess() const { return hlsAccess_; }
    const std::string& hlsDirectory() const { return directory_; }
    const media::LiveEncoder* encoder() const { return encoder_.get(); }
    protocol::StreamingState state() const;

private:
    struct Rtmp {
        std::string url;
        std::string key;
        std::string state = "connecting";
        std::string message;
        int attempts = 0;         ///< Failures since it was last live.
        int64_t retryAtMs = 0;    ///< Monotonic ms of the next attempt ("retrying").
        unsigned generation = 0;  ///< Bumped on each (re)attach: stale retries do nothing.
    };
    core::Status ensureEncoder(media::LayoutKind layout);
    void stopEncoderIfIdle();
    core::Status attach(const std::string& id, Rtmp& t);
    void scheduleRetry(const std::string& id, Rtmp& t, const std::string& message);
    void poll();
    std::string sanitize(std::string message) const;
    void removeHlsFiles();

    GstBin* pipeline_;
    media::Composites& video_;
    core::ElementPtr audioTee_;
    media::StreamingConfig config_;
    int framerate_;
    std::string meetingId_;
    std::string directory_;
    std::function<void()> changed_;
    std::unique_ptr<media::LiveEncoder> encoder_;
    media::LayoutKind layout_ = media::LayoutKind::Grid;
    core::PadPtr videoPad_;
    core::PadPtr audioPad_;
    std::map<std::string, Rtmp> rtmp_;
    unsigned nextId_ = 1;
    bool hls_ = false;
    bool recording_ = false;  ///< The MP4 recording target is in the encode.
    std::string hlsAccess_;
    bool polling_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mixmeet::room
