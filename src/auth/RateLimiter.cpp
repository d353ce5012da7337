#include "auth/RateLimiter.h"

#include <algorithm>

namespace mixmeet::auth {

RateLimiter::RateLimiter(Config config) : config_(config) {
    config_.maxFailures = std::max(config_.maxFailures, 1);
    config_.windowMs = std::max<int64_t>(config_.windowMs, 1);
    config_.maxKeys = std::max<std::size_t>(config_.maxKeys, 1);
}

RateLimiter::Decision RateLimiter::decide(const Entry& entry, int64_t nowMs) const {
    // Failures at or before nowMs - windowMs have left the window.
    const int64_t horizon = nowMs - config_.windowMs;
    auto inWindow = std::count_if(entry.failures.begin(), entry.failures.end(),
                                  [&](int64_t t) { return t > horizon; });
    if (inWindow < config_.maxFailures) return Decision{};
    // Blocked until the oldest failure of the window ages out.
    return Decision{false, entry.failures.front() + config_.windowMs - nowMs};
}

RateLimiter::Decision RateLimiter::check(const std::string& key, int64_t nowMs) const {
    auto it = entries_.find(key);
    if (it == entries_.end()) return Decision{};
    return decide(it->second, nowMs);
}

RateLimiter::Decision RateLimiter::recordFailure(const std::string& key, int64_t nowMs) {
    auto it = entries_.find(key);
    if (it == entries_.end()) {
        evict(nowMs);
        lru_.push_back(key);
        it = entries_.emplace(key, Entry{{}, std::prev(lru_.end())}).first;
    } else {
        lru_.splice(lru_.end(), lru_, it->second.lruPos);  // Now the most recent.
    }
    Entry& entry = it->second;
    entry.failures.push_back(nowMs);
    while (entry.failures.size() > static_cast<std::size_t>(config_.maxFailures))
        entry.failures.pop_front();
    return decide(entry, nowMs);
}

void RateLimiter::forgiveLatest(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    if (!it->second.failures.empty()) it->second.failures.pop_back();
    if (it->second.failures.empty()) reset(key);
}

void RateLimiter::reset(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    lru_.erase(it->second.lruPos);
    entries_.erase(it);
}

void RateLimiter::evict(int64_t nowMs) {
    const int64_t horizon = nowMs - config_.windowMs;
    // The list is ordered by latest failure, so stale keys are at the front.
    while (!lru_.empty()) {
        auto it = entries_.find(lru_.front());
        bool stale = it->second.failures.back() <= horizon;
        if (!stale && entries_.size() < config_.maxKeys) break;
        entries_.erase(it);
        lru_.pop_front();
    }
}

}  // namespace mixmeet::auth
