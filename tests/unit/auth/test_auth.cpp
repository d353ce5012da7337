#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>

#include "auth/MeetingId.h"
#include "auth/PasswordHasher.h"
#include "auth/PasswordPolicy.h"
#include "auth/RateLimiter.h"
#include "auth/Tokens.h"

using namespace mixmeet::auth;

namespace {

bool isUrlSafe(const std::string& s) {
    for (char c : s) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("passwords hash to argon2id and verify only with the right password", "[auth]") {
    PasswordHasher hasher(HashCost::Minimum);
    auto h = hasher.hash("correct horse battery staple");
    REQUIRE(h.ok());
    CHECK(h.value().rfind("$argon2id$", 0) == 0);
    CHECK(hasher.verify("correct horse battery staple", h.value()));
    CHECK_FALSE(hasher.verify("correct horse battery stapl", h.value()));
    CHECK_FALSE(hasher.verify("", h.value()));
    CHECK_FALSE(hasher.verify("correct horse battery staple", "not a hash"));
    CHECK_FALSE(hasher.verify("correct horse battery staple", ""));

    // Fresh salt each time.
    auto h2 = hasher.hash("correct horse battery staple");
    CHECK(h2.value() != h.value());
    CHECK(hasher.verify("correct horse battery staple", h2.value()));

    // The cost is in the string: a production hasher verifies it and wants a rehash.
    PasswordHasher production(HashCost::Interactive);
    CHECK(production.verify("correct horse battery staple", h.value()));
    CHECK(production.needsRehash(h.value()));
    CHECK_FALSE(hasher.needsRehash(h.value()));
    CHECK(hasher.needsRehash("garbage"));
}

TEST_CASE("passwords are compared after NFKC normalisation", "[auth]") {
    PasswordHasher hasher(HashCost::Minimum);
    auto composed = hasher.hash("caf\xC3\xA9 au lait");  // é as U+00E9
    REQUIRE(composed.ok());
    CHECK(hasher.verify("cafe\xCC\x81 au lait", composed.value()));  // e + U+0301
}

TEST_CASE("overlong passwords are refused before hashing", "[auth]") {
    PasswordHasher hasher(HashCost::Minimum);
    std::string huge(PasswordHasher::kMaxPasswordBytes + 1, 'x');
    CHECK(hasher.hash(huge).error().code == "invalid");
    CHECK_FALSE(hasher.verify(huge, "$argon2id$v=19$m=8,t=1,p=1$AAAA$AAAA"));
}

TEST_CASE("the test hashing cost is fast; the production one is interactive", "[auth]") {
    using Clock = std::chrono::steady_clock;
    auto t0 = Clock::now();
    auto h = PasswordHasher(HashCost::Minimum).hash("some password");
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    REQUIRE(h.ok());
    CHECK(ms < 100);
    t0 = Clock::now();
    auto p = PasswordHasher(HashCost::Interactive).hash("some password");
    ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    REQUIRE(p.ok());
    CHECK(p.value().find("m=65536,t=2") != std::string::npos);
    WARN("Interactive Argon2id hash took " << ms << " ms");
}

TEST_CASE("password strength policy (NIST SP 800-63B 5.1.1.2)", "[auth]") {
    auto check = [](const char* pw) {
        return checkPasswordStrength(pw, "alice.smith@example.org", "alice99");
    };
    CHECK(check("tulip-seven-cloud").ok());
    CHECK(check("correct horse battery staple").ok());
    CHECK(check("Kj8#mQ2p").ok());                                  // Exactly 8.
    CHECK(check("\xF0\x9F\x90\xB1\xF0\x9F\x90\xB6 ok 1234").ok());  // Emoji welcome.

    auto tooShort = check("Kj8#mQ2");
    REQUIRE_FALSE(tooShort.ok());
    CHECK(tooShort.error().code == kWeakPassword);
    CHECK_THAT(tooShort.error().message, Catch::Contains("at least 8 characters"));
    // Characters, not bytes: 7 two-byte letters are still too short.
    CHECK_FALSE(check("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9").ok());

    CHECK_FALSE(check(std::string(kMaxPasswordChars + 1, 'a').append("b").c_str()).ok());
    CHECK(checkPasswordStrength(std::string(kMaxPasswordChars - 1, 'a') + "b", "", "").ok());

    auto repeated = check("aaaaaaaaaaaa");
    REQUIRE_FALSE(repeated.ok());
    CHECK_THAT(repeated.error().message, Catch::Contains("repeated"));
    CHECK_FALSE(check("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9").ok());

    auto personal = check("ALICE.SMITH@example.org");
    REQUIRE_FALSE(personal.ok());
    CHECK_THAT(personal.error().message, Catch::Contains("username or email"));
    CHECK_FALSE(check("Alice.Smith").ok());  // Email local part.
    CHECK_FALSE(checkPasswordStrength("alice1999", "a@example.org", "ALICE1999").ok());

    auto common = check("Password123");
    REQUIRE_FALSE(common.ok());
    CHECK_THAT(common.error().message, Catch::Contains("common"));
    CHECK_FALSE(check("12345678").ok());
    CHECK_FALSE(check("qwertyuiop").ok());

    CHECK_FALSE(check("bad\xFFutf8 password").ok());
}

TEST_CASE("tokens are 43 URL-safe characters, unique, and hash deterministically", "[auth]") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        std::string t = generateToken();
        REQUIRE(t.size() == kTokenChars);
        REQUIRE(isUrlSafe(t));
        seen.insert(t);
    }
    CHECK(seen.size() == 1000);
    std::string csrf = generateCsrfToken();
    CHECK(csrf.size() == kTokenChars);
    CHECK(isUrlSafe(csrf));
    CHECK(seen.count(csrf) == 0);

    std::string t = generateToken();
    CHECK(hashToken(t) == hashToken(t));
    CHECK(hashToken(t).size() == kTokenHashChars);
    CHECK(hashToken(t) != hashToken(generateToken()));
    CHECK(hashToken(t) != t);
    // SHA-256 test vector (FIPS 180-2, "abc").
    CHECK(hashToken("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("constant-time comparison", "[auth]") {
    CHECK(constantTimeEquals("abc", "abc"));
    CHECK_FALSE(constantTimeEquals("abc", "abd"));
    CHECK_FALSE(constantTimeEquals("abc", "abcd"));
    CHECK_FALSE(constantTimeEquals("", "a"));
    CHECK(constantTimeEquals("", ""));
    std::string t = generateToken();
    CHECK(constantTimeEquals(t, std::string(t)));
}

TEST_CASE("meeting ids look like abc-defg-hij and do not repeat", "[auth]") {
    std::set<std::string> ids;
    std::set<char> letters;
    for (int i = 0; i < 10000; ++i) {
        std::string id = generateMeetingId();
        REQUIRE(isValidMeetingId(id));
        REQUIRE(id.size() == 12);
        REQUIRE(id[3] == '-');
        REQUIRE(id[8] == '-');
        for (char c : id)
            if (c != '-') letters.insert(c);
        ids.insert(id);
    }
    CHECK(ids.size() == 10000);
    CHECK(letters.size() == 26);  // Every letter shows up in 100,000 draws.
}

TEST_CASE("meeting id validation and normalisation", "[auth]") {
    CHECK(isValidMeetingId("abc-defg-hij"));
    CHECK_FALSE(isValidMeetingId("ABC-DEFG-HIJ"));
    CHECK_FALSE(isValidMeetingId("abc-defg-hi"));
    CHECK_FALSE(isValidMeetingId("abcd-efg-hij"));
    CHECK_FALSE(isValidMeetingId("abc-defg-hi1"));
    CHECK_FALSE(isValidMeetingId("abc_defg_hij"));
    CHECK_FALSE(isValidMeetingId(""));
    CHECK_FALSE(isValidMeetingId("abc-defg-hij "));

    CHECK(normalizeMeetingId("abc-defg-hij") == "abc-defg-hij");
    CHECK(normalizeMeetingId(" ABC-DEFG-HIJ ") == "abc-defg-hij");
    CHECK(normalizeMeetingId("abcdefghij") == "abc-defg-hij");
    CHECK(normalizeMeetingId("abc defg hij") == "abc-defg-hij");
    CHECK_FALSE(normalizeMeetingId("abcdefghi").has_value());
    CHECK_FALSE(normalizeMeetingId("abcdefghijk").has_value());
    CHECK_FALSE(normalizeMeetingId("abc-defg-hi1").has_value());
    CHECK_FALSE(normalizeMeetingId("abc/defg/hij").has_value());
    CHECK_FALSE(normalizeMeetingId("").has_value());
}

TEST_CASE("rate limiter: five failures lock a key until the oldest leaves the window", "[auth]") {
    RateLimiter limiter;  // 5 per 15 min.
    const int64_t window = 15 * 60 * 1000;
    const int64_t t0 = 1'000'000;
    for (int i = 0; i < 4; ++i) {
        CHECK(limiter.check("user:1", t0 + i * 1000).allowed);
        CHECK(limiter.recordFailure("user:1", t0 + i * 1000).allowed);
    }
    auto fifth = limiter.recordFailure("user:1", t0 + 4000);
    CHECK_FALSE(fifth.allowed);
    CHECK(fifth.retryAfterMs == window - 4000);
    auto later = limiter.check("user:1", t0 + 60'000);
    CHECK_FALSE(later.allowed);
    CHECK(later.retryAfterMs == window - 60'000);
    // Other keys are independent.
    CHECK(limiter.check("user:2", t0 + 4000).allowed);

    // Sliding: once the first failure is window old, one more attempt is allowed...
    CHECK_FALSE(limiter.check("user:1", t0 + window - 1).allowed);
    CHECK(limiter.check("user:1", t0 + window).allowed);
    // ...and failing it locks again until the second failure ages out.
    auto again = limiter.recordFailure("user:1", t0 + window);
    CHECK_FALSE(again.allowed);
    CHECK(again.retryAfterMs == 1000);
    CHECK(limiter.check("user:1", t0 + window + 1000).allowed);
    // Long after, everything has aged out.
    CHECK(limiter.check("user:1", t0 + 3 * window).allowed);
}

TEST_CASE("rate limiter: success clears a key; failures spread out never lock", "[auth]") {
    RateLimiter limiter(RateLimiter::Config{3, 60'000, 100});
    limiter.recordFailure("user:1", 0);
    limiter.recordFailure("user:1", 1);
    limiter.recordFailure("ip:10.0.0.1", 1);
    CHECK_FALSE(limiter.recordFailure("user:1", 2).allowed);
    limiter.reset("user:1");
    CHECK(limiter.check("user:1", 3).allowed);
    CHECK(limiter.recordFailure("user:1", 4).allowed);
    CHECK(limiter.check("ip:10.0.0.1", 4).allowed);  // Address key unaffected.
    limiter.reset("never-seen");                     // Harmless.

    RateLimiter slow(RateLimiter::Config{3, 60'000, 100});
    for (int i = 0; i < 20; ++i) CHECK(slow.recordFailure("k", i * 30'001).allowed);
}

TEST_CASE("rate limiter: memory is bounded, stale keys go first", "[auth]") {
    RateLimiter limiter(RateLimiter::Config{2, 1000, 3});
    limiter.recordFailure("a", 0);
    limiter.recordFailure("a", 1);  // "a" locked until 1000.
    limiter.recordFailure("b", 10);
    limiter.recordFailure("c", 20);
    CHECK(limiter.keyCount() == 3);
    // Full: the key with the oldest latest failure ("a") is evicted to admit "d".
    limiter.recordFailure("d", 30);
    CHECK(limiter.keyCount() == 3);
    CHECK(limiter.check("a", 30).allowed);
    // Later, every old key is stale and is dropped, not just one.
    limiter.recordFailure("e", 5000);
    CHECK(limiter.keyCount() == 1);

    RateLimiter big(RateLimiter::Config{5, 60'000, 1000});
    for (int i = 0; i < 50'000; ++i) big.recordFailure("ip:" + std::to_string(i), i);
    CHECK(big.keyCount() <= 1000);
}
