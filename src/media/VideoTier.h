// One bandwidth tier of a room's composite: the raw composite scaled (and rate-limited) to the
// tier's size, encoded once, and fanned out to every viewer in the tier.
//   composite tee -> queue (leaky) -> videoscale -> videorate -> capsfilter -> [video-encode-vp8]
//     -> tee allow-not-linked=true -> one pad per viewer
// Lives in its own bin "tier-<name>"; created when a tier gets its first viewer and destroyed
// with its last, so a tier nobody watches costs nothing. Main thread only.
#pragma once

#include <gst/gst.h>

#include <chrono>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

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

private:
    VideoTier() = default;

    TierSpec spec_;
    GstBin* pipeline_ = nullptr;
    core::ElementPtr compositeTee_;
    core::PadPtr compositePad_;  ///< Our request pad on the composite tee.
    core::ElementPtr bin_;
    core::ElementPtr encoder_;
    core::ElementPtr tee_;
};

}  // namespace mixmeet::media
