// The room's one live encode (docs/recording.md, "Live streaming"): the meeting layout's raw
// composite to H.264 and the full mix (the shared Opus encode, decoded) to AAC, shared by every
// output through two tees. A branch of the running pipeline like media::Recorder:
//
//   bin "live":
//     video_sink (raw composite) -> queue (leaky) -> x264enc zerolatency -> h264parse -> vtee -+
//     audio_sink (full-mix Opus) -> queue (leaky) -> opusdec -> avenc_aac -> aacparse -> atee -+
//       -> target bins ("rtmp-<n>": flvmux ! rtmp2sink, "hls": hlssink2), added and removed
//          while it plays
//
// Every sink pad into the bin and into a target is a "firewall" ghost pad: a flow error
// downstream (an RTMP server gone, a full disk) is never returned to the tee that fed it, so a
// failing target stalls neither the other targets nor the call. The queues are leaky: a slow
// target loses frames, never blocks the room. Errors of a target are bus messages from inside
// "live/<target>" (room::RoomPipeline routes them to the room).
//
// Threads: main thread only; nothing here runs on streaming threads except the pad functions.
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
#include "media/MediaConfig.h"

namespace mixmeet::media {

class LiveEncoder {
public:
    /// Name of the bin in the room's pipeline.
    static constexpr const char* kBinName = "live";

    /// Builds the encode into `pipeline` (PLAYING) at `width`x`height`, `framerate` fps, and
    /// links `rawVideoSrc` (I420 composite) and `opusSrc` (the full mix) into it. Error
    /// "internal" if an element is missing or does not link.
    static core::Result<std::unique_ptr<LiveEncoder>> create(GstBin* pipeline,
                                                             const StreamingConfig& config,
                                                             int framerate, GstPad* rawVideoSrc,
                                                             GstPad* opusSrc);
    /// Unlinks from the room's pads, removes every target and hands the bin to
    /// media::Teardown. The caller releases the pads given to create() afterwards.
    ~LiveEncoder();
    LiveEncoder(const LiveEncoder&) = delete;
    LiveEncoder& operator=(const LiveEncoder&) = delete;

    /// Adds `target` (a bin with sink pads "video" (H.264) and "audio" (AAC); its name is the
    /// target's name, unique here), starts it and links it to the tees. Error "internal".
    core::Status addTarget(core::ElementPtr target);
    /// Unlinks, removes and tears down target `name` (off the main thread), then runs
    /// `after` there (e.g. deletes its files); unknown names are ignored.
    void removeTarget(const std::string& name, std::function<void()> after = {});
    /// Like removeTarget, but the target is finished first: EOS is sent into its sink pads
    /// once unlinked (its muxer completes the file) and the teardown waits, at most
    /// kFinishWaitMs, until `eosDone` is set (by the target, when the EOS reached its file).
    void finishTarget(const std::string& name, std::shared_ptr<std::atomic<bool>> eosDone);
    /// Longest wait of finishTarget for a target's EOS, ms.
    static constexpr int kFinishWaitMs = 3000;
    /// Moves the video input to `rawVideoSrc` (another composite of the same size: the meeting
    /// layout changed): unlinked from the old pad (the caller releases it afterwards), linked
    /// to the new one; the encode goes on (the new path's repeated stream-start and caps are
    /// dropped). Error "internal" if it does not link.
    core::Status relinkVideo(GstPad* rawVideoSrc);
    bool hasTarget(const std::string& name) const { return targets_.count(name) > 0; }
    std::size_t targetCount() const { return targets_.size(); }
    /// H.264 frames encoded so far.
    uint64_t videoFrames() const;
    /// AAC frames encoded so far.
    uint64_t audioFrames() const;
    /// Bytes that reached target `name`'s final sink (e.g. rtmp2sink) so far; 0 if unknown.
    uint64_t targetBytes(const std::string& name) const;

    /// Makes a target pushing FLV to `location` (rtmp:// or rtmps:// URL with the key).
    static core::Result<core::ElementPtr> makeRtmpTarget(const std::string& name,
                                                         const std::string& location);
    /// Makes a target writing an HLS playlist ("index.m3u8") and segments into `directory`
    /// (must exist).
    static core::Result<core::ElementPtr> makeHlsTarget(const std::string& name,
                                                        const std::string& directory,
                                                        const StreamingConfig& config);

private:
    LiveEncoder() = default;
    struct Target {
        core::ElementPtr bin;
        core::PadPtr videoTeePad;
        core::PadPtr audioTeePad;
        std::shared_ptr<std::atomic<uint64_t>> bytes;
    };
    void unlink(Target& t);

    GstBin* pipeline_ = nullptr;
    core::ElementPtr bin_;
    core::ElementPtr videoTee_;
    core::ElementPtr audioTee_;
    core::PadPtr videoSink_;
    core::PadPtr audioSink_;
    std::shared_ptr<std::atomic<uint64_t>> videoFrames_ =
        std::make_shared<std::atomic<uint64_t>>(0);
    std::shared_ptr<std::atomic<uint64_t>> audioFrames_ =
        std::make_shared<std::atomic<uint64_t>>(0);
    std::map<std::string, Target> targets_;
};

}  // namespace mixmeet::media
