#include "signaling/TokenBucket.h"

#include <algorithm>

namespace mixmeet::signaling {

TokenBucket::TokenBucket(Config config, int64_t nowMs)
    : config_(config), tokens_(config.burst), lastMs_(nowMs) {}

void TokenBucket::refill(int64_t nowMs) {
    if (nowMs <= lastMs_) return;
    tokens_ = std::min(config_.burst, tokens_ + static_cast<double>(nowMs - lastMs_) *
                                                    config_.ratePerSecond / 1000);
    lastMs_ = nowMs;
}

bool TokenBucket::take(int64_t nowMs) {
    refill(nowMs);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
}

double TokenBucket::available(int64_t nowMs) {
    refill(nowMs);
    return tokens_;
}

}  // namespace mixmeet::signaling
