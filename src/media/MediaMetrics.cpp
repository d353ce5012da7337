#include "media/MediaMetrics.h"

#include <algorithm>

namespace mixmeet::media {

void DurationHistogram::observeUs(int64_t us) {
    us = std::max<int64_t>(us, 0);
    const double s = static_cast<double>(us) / 1e6;
    std::size_t i = 0;
    while (i < kBoundsS.size() && s > kBoundsS[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sumUs_.fetch_add(static_cast<uint64_t>(us), std::memory_order_relaxed);
}

DurationHistogram::Snapshot DurationHistogram::snapshot() const {
    Snapshot out;
    uint64_t running = 0;
    for (const auto& b : buckets_) {
        running += b.load(std::memory_order_relaxed);
        out.cumulative.push_back(running);
    }
    // Read apart from the buckets: a scrape racing an observation may be one off between
    // them, which Prometheus tolerates; count is the +Inf bucket, as the format requires.
    out.count = running;
    out.sumS = static_cast<double>(sumUs_.load(std::memory_order_relaxed)) / 1e6;
    return out;
}

MediaMetrics& mediaMetrics() {
    static MediaMetrics m;
    return m;
}

}  // namespace mixmeet::media
