// The login guessing policy (docs/security.md, "Login throttling"), after OWASP's
// Authentication Cheat Sheet ("Protect against automated attacks", "Account lockout"):
//
// - Failures are counted per *account*, whatever identifier named it (username or email map
//   to one key, "user:<id>"; names of no account get "login:<name>" so they behave the same
//   and reveal nothing), and per client *address*.
// - An account with `accountFailures` failures in the last `windowMs` is throttled: further
//   attempts get 429 until the oldest failure leaves the window (a sliding window, so a
//   steady guesser gets accountFailures tries per window however many addresses it uses).
// - A throttled account still lets in an address that signed in to it successfully in the
//   last `trustMs` (a "good history"): the owner keeps access while someone else guesses,
//   and the guesser cannot lock them out. Such an address is still bound by its own address
//   limit.
// - An address with `addressFailures` failures in the window (across all accounts) is
//   throttled for every account it has no good history with.
// - Every attempt counts as a failure from the moment it is let through (recordAttempt), so
//   guesses hashed in parallel cannot slip past the count; a success forgives only its own
//   attempt (recordSuccess). It does not wipe the account's other failures: a guesser's count
//   must not reset whenever the owner signs in.
//
// Pure (the caller passes nowMs) and bounded (RateLimiter maxKeys, maxTrusted entries of
// about 100 bytes). Main thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

#include "auth/RateLimiter.h"

namespace mixmeet::auth {

class LoginThrottle {
public:
    struct Config {
        int accountFailures = 5;                    ///< [auth] login_account_failures
        int addressFailures = 20;                   ///< [auth] login_address_failures
        int64_t windowMs = 15 * 60 * 1000;          ///< Both windows, ms.
        int64_t trustMs = 30LL * 24 * 3600 * 1000;  ///< Good history lasts 30 days, ms.
        std::size_t maxKeys = 10000;                ///< Failing keys remembered per limiter.
        std::size_t maxTrusted = 10000;             ///< (account, address) successes remembered.
    };

    LoginThrottle() : LoginThrottle(Config{}) {}
    explicit LoginThrottle(Config config);

    /// May `address` try to sign in to `account` now? Does not change state.
    RateLimiter::Decision check(const std::string& account, const std::string& address,
                                int64_t nowMs) const;
    /// One attempt counted by recordAttempt(), for recordSuccess().
    struct Attempt {
        std::string account;
        std::string address;
        bool onAccount = false;  ///< Counted on the account (the address was not trusted).
    };
    /// An attempt let through by check(): counted as a failure unless recordSuccess() follows.
    /// From a trusted address it counts on the address only (check() ignores the account's
    /// count there).
    Attempt recordAttempt(const std::string& account, const std::string& address, int64_t nowMs);
    /// The attempt was right: forgives it and gives its address a good history with its
    /// account.
    void recordSuccess(const Attempt& attempt, int64_t nowMs);
    /// Gives `address` a good history with `account` (a sign-in or the registration).
    void trust(const std::string& account, const std::string& address, int64_t nowMs);
    /// True if `address` signed in to `account` within trustMs.
    bool trusted(const std::string& account, const std::string& address, int64_t nowMs) const;

    const Config& config() const { return config_; }

private:
    static std::string pair(const std::string& account, const std::string& address) {
        return account + '\n' + address;
    }

    Config config_;
    RateLimiter accounts_;
    RateLimiter addresses_;
    struct Trust {
        int64_t lastSuccessMs;
        std::list<std::string>::iterator lruPos;
    };
    std::unordered_map<std::string, Trust> trusted_;
    std::list<std::string> trustLru_;  // Oldest success first.
};

}  // namespace mixmeet::auth
