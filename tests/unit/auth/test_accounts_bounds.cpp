// Bounds of the accounts area (docs/security.md, "Accounts and sessions"): the login
// throttle's policy, the public origin behind a TLS proxy, the hash worker's thread and queue,
// and NUL characters in JSON text.
#include <catch2/catch.hpp>

#include <glib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "api/Origin.h"
#include "auth/HashWorker.h"
#include "auth/LoginThrottle.h"
#include "core/Json.h"
#include "core/MainContext.h"

using namespace mixmeet;

namespace {
constexpr int64_t kMinute = 60 * 1000;

/// Iterates the default main context until cond() or 10 s pass.
bool spinUntil(const std::function<bool()>& cond) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!cond() && std::chrono::steady_clock::now() < deadline)
        if (!g_main_context_iteration(core::mainContext(), FALSE))
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return cond();
}

http::Request requestFrom(const std::string& address, const std::string& origin,
                          const std::string& host) {
    http::Request r;
    r.method = "POST";
    r.clientAddress = address;
    if (!origin.empty()) r.headers["origin"] = origin;
    if (!host.empty()) r.headers["host"] = host;
    return r;
}
}  // namespace

TEST_CASE("login throttle: username and email share one count, any address", "[auth][throttle]") {
    auth::LoginThrottle t;  // 5 per account, 20 per address, 15 min.
    const std::string account = "user:7";
    // Five guesses from five addresses (the old per-address limit never saw them together).
    for (int i = 0; i < 5; ++i) {
        std::string address = "10.0.0." + std::to_string(i);
        REQUIRE(t.check(account, address, i * 1000).allowed);
        t.recordAttempt(account, address, i * 1000);
    }
    auto sixth = t.check(account, "10.0.0.99", 6000);
    CHECK_FALSE(sixth.allowed);
    CHECK(sixth.retryAfterMs == 15 * kMinute - 6000);
    // The window slides: the oldest guess leaves it and one more is allowed.
    CHECK(t.check(account, "10.0.0.99", 15 * kMinute + 1).allowed);
}

TEST_CASE("login throttle: the owner's known address still gets in while others guess",
          "[auth][throttle]") {
    auth::LoginThrottle t;
    const std::string account = "user:1";
    t.recordSuccess(t.recordAttempt(account, "192.0.2.1", 0), 0);  // The owner signs in once.
    for (int i = 0; i < 5; ++i) t.recordAttempt(account, "203.0.113.9", 1000 + i);
    CHECK_FALSE(t.check(account, "203.0.113.9", 2000).allowed);   // The guesser.
    CHECK_FALSE(t.check(account, "198.51.100.1", 2000).allowed);  // Any new address.
    CHECK(t.check(account, "192.0.2.1", 2000).allowed);           // The owner is not locked out.
    // The owner's success did not wipe the guesser's count either.
    t.recordSuccess(t.recordAttempt(account, "192.0.2.1", 3000), 3000);
    CHECK_FALSE(t.check(account, "203.0.113.9", 4000).allowed);
    // Good history expires after trustMs.
    CHECK_FALSE(t.trusted(account, "192.0.2.1", 3000 + t.config().trustMs));
}

TEST_CASE("login throttle: one address guessing many accounts is stopped", "[auth][throttle]") {
    auth::LoginThrottle t;
    for (int i = 0; i < 20; ++i) t.recordAttempt("login:user" + std::to_string(i), "10.1.1.1", i);
    CHECK_FALSE(t.check("login:fresh", "10.1.1.1", 100).allowed);
    CHECK(t.check("login:fresh", "10.1.1.2", 100).allowed);
}

TEST_CASE("public origin: an https public_url is accepted and makes cookies Secure",
          "[auth][origin]") {
    auto p = api::OriginPolicy::make("https://Meet.Example.org/", {});
    REQUIRE(p.ok());
    CHECK(p.value().publicOrigin() == "https://meet.example.org");
    // Behind the proxy the socket is plain HTTP, the browser's origin is https.
    auto viaProxy = requestFrom("127.0.0.1", "https://meet.example.org", "meet.example.org");
    CHECK(p.value().sameOrigin(viaProxy));
    CHECK(p.value().secureCookies(viaProxy));
    CHECK_FALSE(p.value().sameOrigin(requestFrom("127.0.0.1", "https://evil.example", "x")));
    CHECK_FALSE(p.value().sameOrigin(requestFrom("127.0.0.1", "null", "meet.example.org")));
    // A port other than the default is part of the origin.
    CHECK(api::OriginPolicy::make("https://m.example:8443", {}).value().publicOrigin() ==
          "https://m.example:8443");
    CHECK_FALSE(api::OriginPolicy::make("ftp://m.example", {}).ok());
    CHECK_FALSE(api::OriginPolicy::make("not a url", {}).ok());
}

TEST_CASE("public origin: forwarded headers count only from a trusted proxy", "[auth][origin]") {
    auto p = api::OriginPolicy::make("", {"127.0.0.1"}).value();
    auto r = requestFrom("127.0.0.1", "https://meet.example.org", "meet.example.org");
    r.headers["x-forwarded-proto"] = "https";
    r.headers["x-forwarded-for"] = "6.6.6.6, 198.51.100.7";
    CHECK_FALSE(p.sameOrigin(r));  // Before: the socket is http.
    p.applyForwarded(r);
    CHECK(r.tls);
    CHECK(r.clientAddress == "198.51.100.7");  // The proxy's own entry, not the client's.
    CHECK(p.sameOrigin(r));
    CHECK(p.secureCookies(r));
    auto spoofed = requestFrom("192.0.2.5", "https://meet.example.org", "meet.example.org");
    spoofed.headers["x-forwarded-proto"] = "https";
    spoofed.headers["x-forwarded-for"] = "10.0.0.1";
    p.applyForwarded(spoofed);
    CHECK_FALSE(spoofed.tls);
    CHECK(spoofed.clientAddress == "192.0.2.5");
    // Without a public_url, plain http keeps working and cookies are not Secure.
    auto direct = requestFrom("127.0.0.1", "http://127.0.0.1:8080", "127.0.0.1:8080");
    CHECK(p.sameOrigin(direct));
    CHECK_FALSE(p.secureCookies(direct));
}

TEST_CASE("hash worker: jobs run off the main thread, results come back on it; queue bounded",
          "[auth][hashworker]") {
    auth::HashWorker worker(auth::HashWorker::Config{1, 3});
    const std::thread::id mainThread = std::this_thread::get_id();
    std::atomic<bool> release{false};
    std::atomic<int> ran{0};
    std::thread::id workThread;
    int done = 0;
    bool doneOnMain = true;
    for (int i = 0; i < 3; ++i)
        REQUIRE(worker.submit(
            [&] {
                while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                workThread = std::this_thread::get_id();
                ++ran;
            },
            [&] {
                doneOnMain = doneOnMain && std::this_thread::get_id() == mainThread;
                ++done;
            }));
    CHECK(worker.pending() == 3);
    CHECK_FALSE(worker.submit([] {}, [] {}));  // Full: refused, not queued.
    release = true;
    REQUIRE(spinUntil([&] { return done == 3; }));
    CHECK(ran == 3);
    CHECK(workThread != mainThread);
    CHECK(doneOnMain);
    CHECK(worker.pending() == 0);
    CHECK(worker.submit([] {}, [] {}));
    REQUIRE(spinUntil([&] { return worker.pending() == 0; }));
}

TEST_CASE("hash worker: no completion runs after the worker is destroyed", "[auth][hashworker]") {
    bool doneRan = false;
    {
        auth::HashWorker worker(auth::HashWorker::Config{1, 4});
        REQUIRE(worker.submit([] {}, [&] { doneRan = true; }));
    }  // Waits for the running job; its completion is already posted or never will be.
    for (int i = 0; i < 50; ++i) g_main_context_iteration(core::mainContext(), FALSE);
    CHECK_FALSE(doneRan);
}

TEST_CASE("JSON text with NUL is refused, not cut short", "[json]") {
    auto escaped = core::JsonDocument::parseObject(R"({"text":"hello\u0000 hidden"})");
    REQUIRE_FALSE(escaped.ok());
    CHECK(escaped.error().code == "bad-json");
    CHECK_FALSE(core::JsonDocument::parseObject(std::string("{\"t\":\"a\0b\"}", 11)).ok());
    // An escaped backslash followed by "u0000" is six ordinary characters.
    auto literal = core::JsonDocument::parseObject(R"({"text":"a\\u0000b"})");
    REQUIRE(literal.ok());
    core::JsonReader in(literal.value().root());
    CHECK(in.string("text", 100) == "a\\u0000b");
    // Keys are strings too.
    CHECK_FALSE(core::JsonDocument::parseObject(R"({"k\u0000x":1})").ok());
}
