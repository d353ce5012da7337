// One bandwidth tier of a room's composite: the raw composite scaled (and rate-limited) to the
// tier's size, encoded once, and fanned out to every viewer in the tier.
//   composite tee -> queue (leaky) -> videoscale -> videorate -> capsfilter -> [video-encode-vp8]
//     -> tee allow-not-linked=true -> one pad per viewer
// Lives in its own bin "tier-<name>"; created when a tier gets its first viewer and destroyed
// with its last, so a tier nobody watches costs nothing. Main thread only.
//
// Its sink pad is a flow firewall (media/FlowFirewall.h): if something inside fails (a flow
// error from the scaler, rate or encoder), the composite and the other tiers go on, and this
// tier restarts itself: unfed from the composite tee, cycled through NULL on a teardown thread
// (its queue, caps and encoder reset), fed again and asked for a keyframe; its viewers stay
// linked throughout and see a freeze of about a second instead of a stopped picture.
#pragma once

#include <gst/gst.h>

#include <chrono>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/Anchor.h"
#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/Fragments.h"
#include "media/LateFrames.h"

namespace mixmeet::media {

/// A tier's output format.
struct TierSpec {
    std::string name;   ///< "high", "medium", "low".
    int width = 0;      ///< Pixels.
    int height = 0;     ///< Pixels.
    int framerate = 0;  ///< Frames per second.
    int bitrate = 0;    ///< VP8 target bitrate, bps.
};

class VideoTier {
public:
    /// Counts keyframes; shared by a room's tiers and the probes that count.
    using KeyframeCounter = std::shared_ptr<std::atomic<std::uint64_t>>;

    /// Builds the tier into `pipeline` fed from `compositeTee`; each keyframe it encodes adds
    /// one to `keyframes`. Error "internal"/"config".
    static core::Result<std::unique_ptr<VideoTier>> create(
        GstBin* pipeline, GstElement* compositeTee, const TierSpec& spec, int keyframeMinIntervalMs,
        const Fragments& fragments, KeyframeCounter keyframes,
        std::chrono::milliseconds maxFrameDelay = {}, LateCounter lateDropped = {});
    /// Unlinks from the composite, stops and removes the bin.
    ~VideoTier();
    VideoTier(const VideoTier&) = delete;
    VideoTier& operator=(const VideoTier&) = delete;

    core::PadPtr requestOutput();
    void releaseOutput(const core::PadPtr& pad);
    /// Asks this tier's encoder for a keyframe (rate-limited by the encoder).
    void forceKeyframe();
    const TierSpec& spec() const { return spec_; }
    /// Times this tier restarted after a failure inside it.
    int restarts() const { return restarts_; }

    /// Restarts happen at most this often; a failure within it waits for its end.
    static constexpr std::chrono::milliseconds kMinRestartInterval{2000};

private:
    VideoTier() = default;
    /// Main thread: a flow other than FLUSHING came back through the sink pad; restarts now,
    /// or at the end of kMinRestartInterval after the last restart.
    void onStopped(GstFlowReturn flow);
    /// Unfeeds the tier and cycles it through NULL (Teardown::cycle); feed() follows.
    void restart(GstFlowReturn flow);
    /// Main thread: the cycle is done; links the tier to the composite tee again.
    void feed();
    /// Requests a composite tee pad and links it to the bin's sink. false on failure.
    bool link();

    TierSpec spec_;
    GstBin* pipeline_ = nullptr;
    core::ElementPtr compositeTee_;
    core::PadPtr compositePad_;  ///< Our request pad on the composite tee.
    core::ElementPtr bin_;
    core::ElementPtr encoder_;
    core::ElementPtr tee_;
    /// Set by the firewall's streaming thread when it reports a stop, cleared once fed again.
    std::shared_ptr<std::atomic<bool>> stopReported_ = std::make_shared<std::atomic<bool>>(false);
    int restarts_ = 0;
    gint64 lastRestartUs_ = 0;
    core::Anchor<VideoTier> anchor_{this};
};

}  // namespace mixmeet::media
