// The room's one composite, encoded once per bandwidth tier that has viewers:
//   compositor (force-live) ! capsfilter (output size/rate, I420) ! tee
//     -> VideoTier "high" / "medium" / "low" (each: scale, encode once, tee to its viewers)
// Inputs are compositor request pads (one tile each); outputs are tier tee pads (one per
// viewer; each viewer payloads on its own). Main thread only.
#pragma once

#include <gst/gst.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/Fragments.h"
#include "media/Layout.h"
#include "media/MediaConfig.h"
#include "media/VideoTier.h"

namespace mixmeet::media {

/// The tiers a config defines: high = the composite size and rate at [video] bitrate, medium =
/// half the size at [tiers] medium_bitrate, low = a quarter of the size at
/// [tiers] low_framerate and low_bitrate. Sizes are kept even.
std::vector<TierSpec> tierSpecs(const MediaConfig& config);

class VideoMixer {
public:
    /// Builds the composite into `pipeline`. Error "config"/"internal".
    /// `key` (a layout name) tells a room's composites apart in element names; the counters,
    /// if given, are shared with the room's other composites.
    static core::Result<std::unique_ptr<VideoMixer>> create(
        GstBin* pipeline, const MediaConfig& config, const Fragments& fragments,
        const std::string& key = {}, LateCounter lateDropped = {},
        VideoTier::KeyframeCounter keyframes = {});
    ~VideoMixer();

    /// A new compositor sink pad (a tile). Release with releaseInput.
    core::PadPtr requestInput();
    void releaseInput(const core::PadPtr& pad);
    /// Places a tile: position and size in the composite, pixels.
    void setTile(const core::PadPtr& pad, const Rect& rect, int zorder);
    /// Takes a tile out of the picture (alpha 0) until the next setTile.
    void hideTile(const core::PadPtr& pad);

    /// A pad carrying tier `tier`'s encoded composite (VP8); starts the tier's encoder if it
    /// was idle. Empty pad on failure. Release with releaseOutput.
    core::PadPtr requestOutput(int tier);
    /// Stops the tier's encoder when its last viewer goes.
    void releaseOutput(int tier, const core::PadPtr& pad);

    /// A pad carrying the raw composite (I420 at the composite's size), e.g. for the live
    /// H.264 encode. Release with releaseRawOutput.
    core::PadPtr requestRawOutput();
    void releaseRawOutput(const core::PadPtr& pad);

    /// Shows (or hides) the burned-in red "REC" mark in the composite's top right corner
    /// (a textoverlay after the compositor, silent while off: no cost per frame then).
    void setRecordingMark(bool on);
    bool recordingMark() const;

    /// Asks tier `tier`'s encoder for a keyframe (rate-limited by the encoder's
    /// min-force-key-unit-interval).
    void forceKeyframe(int tier);

    const std::vector<TierSpec>& tiers() const { return specs_; }
    /// Tiers whose encoder is running.
    std::size_t activeEncoders() const { return active_.size(); }
    /// Times tier `tier`'s encoder chain restarted after a failure (0 if it is not running).
    int tierRestarts(int tier) const {
        auto it = active_.find(tier);
        return it == active_.end() ? 0 : it->second.tier->restarts();
    }
    /// Keyframes encoded by all tiers since the room started (forced ones: joins, tier
    /// changes, viewers' PLI/FIR).
    std::uint64_t keyframes() const { return keyframes_->load(std::memory_order_relaxed); }
    /// Video frames dropped for lateness since the room started, by the compositor, the tier
    /// encoders and (sharing lateCounter()) the participants' decoders and tiles.
    std::uint64_t lateDropped() const { return lateDropped_->load(std::memory_order_relaxed); }
    const LateCounter& lateCounter() const { return lateDropped_; }
    GstElement* compositor() const { return compositor_.get(); }

private:
    VideoMixer() = default;
    /// Tier `tier`'s spec, named after this composite.
    TierSpec spec(int tier) const;
    struct Active {
        std::unique_ptr<VideoTier> tier;
        int viewers = 0;
    };

    GstBin* pipeline_ = nullptr;
    std::string key_;
    const Fragments* fragments_ = nullptr;
    int keyframeMinIntervalMs_ = 500;
    std::chrono::milliseconds maxFrameDelay_{0};
    LateCounter lateDropped_ = std::make_shared<std::atomic<std::uint64_t>>(0);
    VideoTier::KeyframeCounter keyframes_ = std::make_shared<std::atomic<std::uint64_t>>(0);
    std::vector<TierSpec> specs_;
    std::map<int, Active> active_;
    // Owned by the pipeline; these are extra references for our own use.
    core::ElementPtr compositor_;
    core::ElementPtr caps_;
    core::ElementPtr compositeTee_;
    core::ElementPtr recMark_;  ///< textoverlay "REC", between caps_ and compositeTee_.
};

}  // namespace mixmeet::media
