// A recording of a room: a branch off the running pipeline that muxes what the room already
// encodes, with no encode of its own (docs/recording.md):
//
//   video_sink (ghost; from a tier's VP8 tee) -> queue (leaky) -> keyframe gate -+
//   audio_sink (ghost; from the full-mix Opus tee) -> queue (leaky) -> start gate -+
//     -> matroskamux streamable=true (clusters <= kClusterMs) -> filesink (unbuffered)
//
// Streamable Matroska writes no index and no duration, only short self-contained clusters,
// each written to the file as it is muxed: a kill -9 or crash leaves a file that plays up to
// the last cluster written (at most kClusterMs behind). The video starts at a keyframe (the
// gate drops delta frames until one passes; the caller forces one), the audio with it.
// Audio only (no video pad given): Opus alone in the same WebM, starting with the first packet.
//
// The video input can be moved to another encoder of the same size while recording
// (relinkVideo: the meeting's layout changed): the gate drops delta frames again until the new
// encoder's first keyframe, and the new path's repeated stream-start and caps events are kept
// from the muxer (which refuses a caps change).
//
// Added while the pipeline plays (its bin is brought to PLAYING before it is linked) and
// removed the same way: unlinked, EOS sent into it, taken out of the pipeline and set to NULL
// on a media::Teardown thread once the EOS reached the file (bounded wait). Queues are leaky:
// a stalled disk drops recorded frames, never blocks the tees the participants are fed from.
//
// Threads: create/stop/destructor on the main thread; the gates' probes on streaming threads
// touch only the shared atomic counters.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/GstPtr.h"
#include "core/Result.h"

namespace mixmeet::media {

class Recorder {
public:
    /// Longest Matroska cluster, ms: what a crash may lose at most of what was muxed.
    static constexpr int kClusterMs = 1000;
    /// Name of the branch's bin in the room's pipeline (one recording per room): its errors
    /// (a full disk) stop the recording (room::RoomPipeline).
    static constexpr const char* kBinName = "recorder";

    /// What the gates have seen (streaming threads write, the main thread reads).
    struct Progress {
        std::atomic<bool> started{false};     ///< The first keyframe (audio only: packet) passed.
        std::atomic<bool> awaitKey{false};    ///< Video moved: delta frames dropped until a key.
        bool audioOnly = false;               ///< Set before the branch runs.
        std::atomic<uint64_t> firstPts{0};    ///< Running time of that keyframe, ns.
        std::atomic<uint64_t> lastEndPts{0};  ///< End of the latest buffer recorded, ns.
        std::atomic<uint64_t> videoFrames{0};
        std::atomic<uint64_t> audioFrames{0};
    };

    /// Builds the branch into `pipeline` (PLAYING) writing to `path` (created/truncated) and
    /// links `videoSrc` (VP8; null: an audio-only recording) and `audioSrc` (Opus) into it.
    /// Error "internal" if an element is missing or does not link, "io" if the file cannot be
    /// opened.
    static core::Result<std::unique_ptr<Recorder>> create(GstBin* pipeline, const std::string& path,
                                                          GstPad* videoSrc, GstPad* audioSrc);
    /// Unlinks from the room's pads (if stop() was not called) and hands the bin over to be
    /// finished and freed off the main thread.
    ~Recorder();
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    /// Unlinks both inputs and sends EOS into the branch (the file is complete once the EOS
    /// reaches it; the destructor waits for that off the main thread). Idempotent. The pads
    /// given to create() may be released after this.
    void stop();
    /// Moves the video input to `videoSrc` (another VP8 encoder of the same size): unlinked from
    /// the old pad (which the caller may release afterwards), linked to the new one; recording
    /// resumes at its first keyframe (the caller forces one). Error "bad-state" for an
    /// audio-only or stopped recorder, "internal" if it does not link.
    core::Status relinkVideo(GstPad* videoSrc);
    bool audioOnly() const { return !videoSink_; }
    /// The video was moved (relinkVideo) and its gate waits for the new encoder's keyframe.
    bool awaitingKeyframe() const { return progress_->awaitKey.load(std::memory_order_acquire); }
    /// Recorded length so far: from the first keyframe to the end of the latest buffer, ms.
    int64_t durationMs() const;
    bool started() const { return progress_->started.load(std::memory_order_acquire); }
    const std::string& path() const { return path_; }
    uint64_t videoFrames() const { return progress_->videoFrames.load(); }

private:
    Recorder() = default;

    GstBin* pipeline_ = nullptr;
    std::string path_;
    core::ElementPtr bin_;
    core::PadPtr videoSink_;  ///< Ghost pads on bin_.
    core::PadPtr audioSink_;
    core::PadPtr fileSinkPad_;
    std::shared_ptr<Progress> progress_ = std::make_shared<Progress>();
    /// Set (on the streaming thread) when the EOS reached the file.
    std::shared_ptr<std::atomic<bool>> eosDone_ = std::make_shared<std::atomic<bool>>(false);
    bool stopped_ = false;
};

/// A recording in MP4 (H.264/AAC, [recording] container=mp4): a target of the meeting's one
/// live encode (media::LiveEncoder::addTarget; sink pads "video" H.264, "audio" AAC):
///
///   video -> queue (leaky, 2 s) -> keyframe gate -> h264parse -+
///   audio -> queue (leaky, 2 s) -> start gate -> aacparse -----+-> mp4mux fragment-duration
///                                                                  ! filesink (unbuffered)
///
/// Fragmented MP4: a moov without samples first, then one moof+mdat per fragment, each
/// written whole when complete (a fragment ends at the first keyframe after kFragmentMs), so a
/// kill -9 leaves a file that plays to the last fragment written. Finished with
/// LiveEncoder::finishTarget(name, eosDone).
/// Name of the MP4 recording's target in media::LiveEncoder's bin (its errors stop the
/// recording: room::Room::onLiveError).
inline constexpr const char* kMp4TargetName = "mp4-recording";

struct Mp4Target {
    /// Fragment length asked of mp4mux, ms (it cuts at the next keyframe after it).
    static constexpr int kFragmentMs = 1000;
    core::ElementPtr bin;
    std::shared_ptr<Recorder::Progress> progress = std::make_shared<Recorder::Progress>();
    /// Set (streaming thread) when the EOS reached the file.
    std::shared_ptr<std::atomic<bool>> eosDone = std::make_shared<std::atomic<bool>>(false);
    /// Recorded length so far, ms (first keyframe to the end of the latest buffer).
    int64_t durationMs() const;
};
/// Builds (not started) an MP4 recording target named `name` writing to `path` (created or
/// truncated). Errors: "io" (the file cannot be created), "internal" (mp4mux missing).
core::Result<Mp4Target> makeMp4Target(const std::string& name, const std::string& path);

/// Length of a recording file, ms, read by demuxing it to the end (no decode): for files a
/// crash left unfinished (streamable Matroska has no duration field; a fragmented MP4 cut
/// short has none either). A path ending in ".mp4" is demuxed as MP4, any other as
/// Matroska. Blocks the caller at most `timeoutMs`. Error "io" if the file does not demux.
core::Result<int64_t> probeRecordingDurationMs(const std::string& path, int timeoutMs = 30000);

}  // namespace mixmeet::media
