// Token bucket rate limit: holds up to `burst` tokens, refilled continuously at `ratePerSecond`;
// an event goes through when it can take one token. So a client may send `burst` events at
// once and then `ratePerSecond` on average (the classic shaper, e.g. RFC 2697's committed
// burst/rate without the colour marking).
//
// Pure: the caller passes the time (a monotonic clock, ms). Not thread-safe: main thread only.
#pragma once

#include <cstdint>

namespace mixmeet::signaling {

class TokenBucket {
public:
    struct Config {
        double ratePerSecond = 1;  ///< Sustained events per second (> 0).
        double burst = 1;          ///< Bucket size: events allowed at once (>= 1).
    };

    /// Starts full at `nowMs`.
    TokenBucket(Config config, int64_t nowMs);

    /// Takes one token at `nowMs` if there is one. Returns false (and takes nothing) when the
    /// bucket is empty. Time going backwards is treated as no time passing.
    bool take(int64_t nowMs);
    /// Tokens available at `nowMs` (0..burst); does not take any.
    double available(int64_t nowMs);
    /// Whether the bucket is full at `nowMs` (an idle client: its state can be forgotten).
    bool full(int64_t nowMs) { return available(nowMs) >= config_.burst; }
    const Config& config() const { return config_; }

private:
    void refill(int64_t nowMs);

    Config config_;
    double tokens_;
    int64_t lastMs_;
};

}  // namespace mixmeet::signaling
