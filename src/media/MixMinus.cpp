#include "media/MixMinus.h"

#include <algorithm>

namespace mixmeet::media {

void accumulate(std::span<int32_t> acc, std::span<const int16_t> samples) {
    std::size_t n = std::min(acc.size(), samples.size());
    for (std::size_t i = 0; i < n; ++i) acc[i] += samples[i];
}

void mixMinus(std::span<const int32_t> sum, std::span<const int16_t> own, std::span<int16_t> out) {
    std::size_t n = std::min(sum.size(), out.size());
    for (std::size_t i = 0; i < n; ++i) {
        int32_t v = sum[i] - (i < own.size() ? own[i] : 0);
        out[i] = static_cast<int16_t>(std::clamp<int32_t>(v, INT16_MIN, INT16_MAX));
    }
}

void AudioFifo::push(std::span<const int16_t> samples) {
    q_.insert(q_.end(), samples.begin(), samples.end());
    if (q_.size() > max_) {
        std::size_t drop = q_.size() - target_;
        q_.erase(q_.begin(), q_.begin() + static_cast<std::ptrdiff_t>(drop));
        dropped_ += drop;
    }
}

std::size_t AudioFifo::pop(std::span<int16_t> out) {
    std::size_t real = std::min(out.size(), q_.size());
    std::copy_n(q_.begin(), real, out.begin());
    q_.erase(q_.begin(), q_.begin() + static_cast<std::ptrdiff_t>(real));
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(real), out.end(), int16_t{0});
    return real;
}

}  // namespace mixmeet::media
