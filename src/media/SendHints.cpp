#include "media/SendHints.h"

#include <algorithm>

namespace mixmeet::media {

SendHintPolicy::SendHintPolicy(int compositeWidth, int compositeHeight, int compositeBitrate)
    : width_(std::max(1, compositeWidth)),
      height_(std::max(1, compositeHeight)),
      bitrate_(compositeBitrate) {}

SendSize SendHintPolicy::forTile(int tileWidth, int tileHeight) const {
    const double share =
        static_cast<double>(tileWidth) * tileHeight / (static_cast<double>(width_) * height_);
    const int bps = std::clamp(static_cast<int>(share * bitrate_ * 1.5), kMinBitrate, kMaxBitrate);
    return {tileWidth, tileHeight, bps};
}

SendSize SendHintPolicy::offStage() const {
    const int height = std::max(2, kOffStageWidth * height_ / width_ & ~1);
    return {kOffStageWidth, height, kOffStageBitrate};
}

std::optional<SendSize> SendHintPolicy::update(const std::optional<SendSize>& current,
                                               int tileWidth, int tileHeight) const {
    if (current) {
        const bool outgrown = tileWidth > current->width || tileHeight > current->height;
        const bool shrunk = tileWidth * kShrinkDen <= current->width * kShrinkNum ||
                            tileHeight * kShrinkDen <= current->height * kShrinkNum;
        if (!outgrown && !shrunk) return std::nullopt;
    }
    return forTile(tileWidth, tileHeight);
}

}  // namespace mixmeet::media
