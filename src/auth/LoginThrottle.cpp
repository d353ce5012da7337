#include "auth/LoginThrottle.h"

#include <algorithm>

namespace mixmeet::auth {

LoginThrottle::LoginThrottle(Config config)
    : config_(config),
      accounts_(RateLimiter::Config{config.accountFailures, config.windowMs, config.maxKeys}),
      addresses_(RateLimiter::Config{config.addressFailures, config.windowMs, config.maxKeys}) {
    config_.maxTrusted = std::max<std::size_t>(config_.maxTrusted, 1);
}

bool LoginThrottle::trusted(const std::string& account, const std::string& address,
                            int64_t nowMs) const {
    auto it = trusted_.find(pair(account, address));
    return it != trusted_.end() && nowMs - it->second.lastSuccessMs < config_.trustMs;
}

RateLimiter::Decision LoginThrottle::check(const std::string& account, const std::string& address,
                                           int64_t nowMs) const {
    if (trusted(account, address, nowMs)) {
        // The owner's own address: only its own address budget applies, so a guesser
        // elsewhere cannot lock the owner out.
        return addresses_.check("a:" + address, nowMs);
    }
    auto byAccount = accounts_.check(account, nowMs);
    auto byAddress = addresses_.check("a:" + address, nowMs);
    if (byAccount.allowed && byAddress.allowed) return {};
    return RateLimiter::Decision{false, std::max(byAccount.retryAfterMs, byAddress.retryAfterMs)};
}

LoginThrottle::Attempt LoginThrottle::recordAttempt(const std::string& account,
                                                    const std::string& address, int64_t nowMs) {
    Attempt a{account, address, !trusted(account, address, nowMs)};
    if (a.onAccount) accounts_.recordFailure(account, nowMs);
    addresses_.recordFailure("a:" + address, nowMs);
    return a;
}

void LoginThrottle::recordSuccess(const Attempt& attempt, int64_t nowMs) {
    // Forgiving the latest entry is exact: an attempt that was let through on the account had
    // fewer than accountFailures in the window, so recording it pushed out none that counted.
    if (attempt.onAccount) accounts_.forgiveLatest(attempt.account);
    addresses_.forgiveLatest("a:" + attempt.address);
    trust(attempt.account, attempt.address, nowMs);
}

void LoginThrottle::trust(const std::string& account, const std::string& address, int64_t nowMs) {
    std::string key = pair(account, address);
    auto it = trusted_.find(key);
    if (it != trusted_.end()) {
        trustLru_.splice(trustLru_.end(), trustLru_, it->second.lruPos);
        it->second.lastSuccessMs = nowMs;
        return;
    }
    while (trusted_.size() >= config_.maxTrusted) {
        trusted_.erase(trustLru_.front());
        trustLru_.pop_front();
    }
    trustLru_.push_back(key);
    trusted_.emplace(key, Trust{nowMs, std::prev(trustLru_.end())});
}

}  // namespace mixmeet::auth
