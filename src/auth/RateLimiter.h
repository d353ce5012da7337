// Limits events per key in a sliding window: failed login attempts, and (Api) registrations
// per address and meetings per user, where every event is "recorded as a failure".
//
// For logins, LoginThrottle keeps two: one keyed by account and one by client address.
//
// Algorithm: sliding window log. Each key keeps the times of its last `maxFailures` failures;
// a key is blocked while it has `maxFailures` failures within the last `windowMs`, and
// retryAfterMs is when the oldest of them leaves the window. Exact (no burst at window
// edges, unlike fixed windows) and small: at most `maxFailures` timestamps per key.
//
// Memory is bounded by `maxKeys`: keys are kept in order of their latest failure; recording a
// failure first drops keys whose failures have all left the window, then, if still full, the
// key with the oldest latest failure. An attacker who floods more than maxKeys distinct keys
// within one window can thereby reset a victim's counter, so size maxKeys above the expected
// number of distinct failing keys per window (each costs ~150 bytes).
//
// Pure: no clock inside, the caller passes `nowMs` (a monotonic clock such as
// g_get_monotonic_time() / 1000 is best; wall-clock time works if it does not jump back).
// Not thread-safe: main thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <string>
#include <unordered_map>

namespace mixmeet::auth {

class RateLimiter {
public:
    struct Config {
        int maxFailures = 5;                ///< Failures allowed per window.
        int64_t windowMs = 15 * 60 * 1000;  ///< Window length, ms.
        std::size_t maxKeys = 10000;        ///< Keys remembered at most.
    };
    struct Decision {
        bool allowed = true;
        int64_t retryAfterMs = 0;  ///< When blocked: ms until the next attempt is allowed.
    };

    RateLimiter() : RateLimiter(Config{}) {}
    explicit RateLimiter(Config config);

    /// May `key` attempt a login now? Does not change state.
    Decision check(const std::string& key, int64_t nowMs) const;
    /// Records a failed attempt and returns the decision for the next attempt. Callers should
    /// not attempt (and so not record) while blocked; if they do, the lockout is extended.
    Decision recordFailure(const std::string& key, int64_t nowMs);
    /// Forgets the latest recorded failure of `key` (an attempt counted in advance that turned
    /// out right).
    void forgiveLatest(const std::string& key);
    /// Forgets a key's failures: call with the account key after a successful login. Not with
    /// the address key, or one valid account would unlock guessing at every other account.
    void reset(const std::string& key);

    /// Keys currently remembered (for tests and metrics).
    std::size_t keyCount() const { return entries_.size(); }
    const Config& config() const { return config_; }

private:
    struct Entry {
        std::deque<int64_t> failures;  // Oldest first; at most config_.maxFailures.
        std::list<std::string>::iterator lruPos;
    };

    Decision decide(const Entry& entry, int64_t nowMs) const;
    void evict(int64_t nowMs);

    Config config_;
    std::unordered_map<std::string, Entry> entries_;
    // Keys ordered by their latest failure, oldest first.
    std::list<std::string> lru_;
};

}  // namespace mixmeet::auth
