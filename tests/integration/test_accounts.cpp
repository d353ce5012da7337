// Hostile clients against accounts and sessions (issue 12; docs/security.md, "Accounts and
// sessions"): password hashing off the main loop, sessions ended on sign-out and password
// change, a real TLS reverse proxy in front, the login throttle, per-user meeting and call
// limits, security headers, NUL in chat, guests marked. Real server, real sockets.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "ApiClient.h"
#include "SignalClient.h"
#include "TestServer.h"
#include "TlsProxy.h"
#include "Wait.h"

using namespace mixmeet;
using namespace mixmeet::testing;
using namespace std::chrono_literals;

namespace {
std::string registration(const std::string& username,
                         const std::string& password = "correct horse battery") {
    return R"({"email":")" + username + R"(@example.org","username":")" + username +
           R"(","displayName":"User )" + username + R"(","password":")" + password + "\"}";
}
std::string login(const std::string& who, const std::string& password) {
    return R"({"login":")" + who + R"(","password":")" + password + "\"}";
}
double msSince(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

TEST_CASE("registrations hash on worker threads while other requests stay fast",
          "[api][accounts][hash]") {
    // The real cost (Argon2id INTERACTIVE, 64 MiB, 0.3-1.6 s a hash): on the main loop each
    // registration stalled every other request for that long.
    constexpr int kRegistrations = 4;
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) {
        c.passwordHash = "interactive";
        c.hashThreads = 2;
    });
    std::vector<std::unique_ptr<ApiClient>> clients;
    std::vector<std::shared_ptr<ApiClient::InFlight>> pending;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRegistrations; ++i) {
        clients.push_back(std::make_unique<ApiClient>(s.server->port()));
        pending.push_back(clients.back()->startRequest("POST", "/api/register",
                                                       registration("user" + std::to_string(i))));
    }
    REQUIRE(waitUntil([&] { return s.server->api().pendingHashes() > 0; }, 10s));
    // While hashes run: another client's requests (a GET and a rejected POST) answer at once.
    ApiClient other(s.server->port());
    std::vector<double> rtts;
    // Sampled across the whole time the hashes run: a request every 10 ms (the main loop keeps
    // running in between, so completions are handled as they come).
    while (s.server->api().pendingHashes() > 0 && rtts.size() < 500) {
        auto t = std::chrono::steady_clock::now();
        auto r = other.get("/api/meetings/abc-defg-hij");
        CHECK(r.errorCode() == "no-such-meeting");
        rtts.push_back(msSince(t));
        runFor(10ms);
    }
    REQUIRE(waitUntil(
        [&] {
            return std::all_of(pending.begin(), pending.end(), [](auto& p) { return p->done; });
        },
        60s));
    const double total = msSince(start);
    for (std::size_t i = 0; i < pending.size(); ++i) {
        auto reply = clients[i]->finish(*pending[i]);
        CHECK(reply.status == 201);
        CHECK(clients[i]->get("/api/me").str("user.username") == "user" + std::to_string(i));
    }
    REQUIRE_FALSE(rtts.empty());
    std::sort(rtts.begin(), rtts.end());
    const double p90 = rtts[rtts.size() * 9 / 10];
    INFO("registrations took " << total << " ms; " << rtts.size() << " GETs meanwhile, median "
                               << rtts[rtts.size() / 2] << " ms, 90th percentile " << p90
                               << " ms, max " << rtts.back() << " ms");
    CHECK(p90 < 100.0);
    // Hashing on the main loop allowed about one request per hash; the worker allows dozens.
    CHECK(rtts.size() >= 10);
    // No request waited for a whole hash (>= 270 ms at this cost, the issue's fastest figure);
    // generous for a loaded 2-core machine.
    CHECK(rtts.back() < 500.0);
    // A real sign-in verifies on the worker too.
    ApiClient again(s.server->port());
    CHECK(again.post("/api/login", login("user0", "correct horse battery")).status == 200);
    CHECK(again.post("/api/login", login("user1", "wrong password!!")).status == 401);
}

TEST_CASE("a client that leaves while its password hashes does not upset the server",
          "[api][accounts][hash]") {
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) { c.passwordHash = "interactive"; });
    {
        ApiClient quitter(s.server->port());
        auto f = quitter.startRequest("POST", "/api/register", registration("quitter"));
        REQUIRE(waitUntil([&] { return s.server->api().pendingHashes() > 0; }, 10s));
        g_cancellable_cancel(f->cancel.get());  // Drops the connection mid-request.
        waitUntil([&] { return f->done; }, 10s);
    }
    REQUIRE(waitUntil([&] { return s.server->api().pendingHashes() == 0; }, 30s));
    ApiClient next(s.server->port());
    auto r = next.post("/api/register", registration("next"));
    CHECK(r.status == 201);
    CHECK(next.get("/api/me").status == 200);
}

TEST_CASE("a full hash queue answers 503 busy at once", "[api][accounts][hash]") {
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) {
        c.passwordHash = "interactive";
        c.hashThreads = 1;
        c.hashQueue = 1;
    });
    ApiClient first(s.server->port()), second(s.server->port());
    auto running = first.startRequest("POST", "/api/register", registration("first"));
    REQUIRE(waitUntil([&] { return s.server->api().pendingHashes() == 1; }, 10s));
    auto t = std::chrono::steady_clock::now();
    auto busy = second.post("/api/login", login("first", "correct horse battery"));
    INFO("busy answer after " << msSince(t) << " ms");
    CHECK(busy.status == 503);
    CHECK(busy.errorCode() == "busy");
    CHECK(busy.retryAfter == "1");
    REQUIRE(waitUntil([&] { return running->done; }, 30s));
    CHECK(first.finish(*running).status == 201);
    CHECK(second.post("/api/login", login("first", "correct horse battery")).status == 200);
}

TEST_CASE("signing out or changing the password closes the session's WebSockets",
          "[api][accounts][revoke]") {
    TestServer s(false);
    ApiClient a(s.server->port()), b(s.server->port());
    REQUIRE(a.post("/api/register", registration("kim")).status == 201);
    REQUIRE(b.post("/api/register", registration("lee")).status == 201);
    std::string id = a.post("/api/meetings", R"({"title":"Revoke"})").str("meeting.id");

    SignalClient kim(s.wsUrl(), a.cookieHeader());
    kim.send(protocol::Join{1, id, "x"});
    REQUIRE(waitUntil([&] { return kim.has<protocol::ChatHistory>(); }, 5s));
    SignalClient kimDashboard(s.wsUrl(), a.cookieHeader());
    kimDashboard.send(protocol::Presence{});
    REQUIRE(waitUntil([&] { return kimDashboard.has<protocol::PresenceAck>(); }, 5s));
    SignalClient lee(s.wsUrl(), b.cookieHeader());
    lee.send(protocol::Presence{});
    REQUIRE(waitUntil([&] { return lee.has<protocol::PresenceAck>(); }, 5s));

    REQUIRE(a.post("/api/logout", "{}").status == 204);
    // Both of the session's sockets end: bye "signed-out", close 1008.
    REQUIRE(waitUntil([&] { return kim.closed() && kimDashboard.closed(); }, 5s));
    CHECK(kim.all<protocol::Bye>().back().reason == "signed-out");
    CHECK(kim.closeCode() == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
    CHECK(kimDashboard.closeCode() == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
    kim.send(protocol::ChatSend{"sent after sign-out"});  // Dropped by the closed socket.
    CHECK(lee.open());                                    // Another user's socket is untouched.
    auto chat = b.get("/api/meetings/" + id + "/chat");
    CHECK(chat.status == 200);
    CHECK(chat.body.find("sent after sign-out") == std::string::npos);

    // A password change ends the user's other sessions' sockets, not the one that changed it.
    ApiClient leePhone(s.server->port());
    REQUIRE(leePhone.post("/api/login", login("lee", "correct horse battery")).status == 200);
    SignalClient phone(s.wsUrl(), leePhone.cookieHeader());
    phone.send(protocol::Presence{});
    REQUIRE(waitUntil([&] { return phone.has<protocol::PresenceAck>(); }, 5s));
    auto changed =
        b.post("/api/me/password",
               R"({"currentPassword":"correct horse battery","newPassword":"a whole new secret"})");
    REQUIRE(changed.status == 204);
    REQUIRE(waitUntil([&] { return phone.closed(); }, 5s));
    CHECK(phone.all<protocol::Bye>().back().reason == "signed-out");
    CHECK(leePhone.get("/api/me").status == 401);
    CHECK(lee.open());
    CHECK(b.get("/api/me").status == 200);
}

TEST_CASE("behind a real TLS reverse proxy: https origin accepted, Secure cookie, wss works",
          "[api][accounts][proxy]") {
    if (TlsProxy::nginxPath().empty()) {
        WARN(
            "SKIPPED: nginx is not installed (scripts/setup.sh --tests installs it); the TLS "
            "reverse-proxy test needs /usr/sbin/nginx");
        return;
    }
    bool viaPublicUrl = GENERATE(true, false);
    // The proxy's port is picked (bound and released) before nginx binds it; another process
    // may take it in between, so a failed start is retried on a fresh port.
    int proxyPort = 0;
    std::string origin;
    std::unique_ptr<TestServer> s;
    std::unique_ptr<TlsProxy> proxy;
    for (int attempt = 0; attempt < 3 && !(proxy && proxy->ok()); ++attempt) {
        proxy.reset();
        s.reset();
        proxyPort = TlsProxy::freePort();
        REQUIRE(proxyPort > 0);
        origin = "https://127.0.0.1:" + std::to_string(proxyPort);
        s = std::make_unique<TestServer>(false, std::vector<std::string>{"127.0.0.1"},
                                         [&](app::Config& c) {
                                             if (viaPublicUrl)
                                                 c.publicUrl = origin;
                                             else
                                                 c.trustedProxies = {"127.0.0.1"};
                                         });
        proxy = std::make_unique<TlsProxy>(proxyPort, s->server->port());
    }
    INFO((viaPublicUrl ? "[server] public_url=" + origin : "[server] trusted_proxies=127.0.0.1"));
    INFO(proxy->error());
    REQUIRE(proxy->ok());

    ApiClient web(origin, /*acceptAnyCertificate=*/true);
    auto reg = web.post("/api/register", registration("tess"));
    INFO("nginx log: " << proxy->log());
    REQUIRE(reg.status == 201);
    CHECK(reg.setCookie.find("; Secure") != std::string::npos);
    // A state-changing request with the https Origin (was 403 "csrf").
    auto created = web.post("/api/meetings", R"({"title":"Through the proxy"})");
    REQUIRE(created.status == 201);
    std::string id = created.str("meeting.id");
    CHECK(web.request("POST", "/api/meetings", R"({"title":"x"})", true, "https://evil.example")
              .errorCode() == "csrf");

    // The WebSocket through the proxy (was closed 1008 "cross-origin").
    std::string wss = "wss://127.0.0.1:" + std::to_string(proxyPort) + "/ws";
    SignalClient member(wss, web.cookieHeader(), origin, true);
    member.send(protocol::Join{1, id, "x"});
    CHECK(waitUntil([&] { return member.has<protocol::ChatHistory>(); }, 10s));
    CHECK(member.open());
    SignalClient crossSite(wss, web.cookieHeader(), "https://evil.example", true);
    CHECK(waitUntil([&] { return crossSite.closed(); }, 10s));
    CHECK(web.post("/api/logout", "{}").setCookie.find("; Secure") != std::string::npos);
}

TEST_CASE("login throttle: counted per account, and the owner is not locked out",
          "[api][accounts][throttle]") {
    // X-Forwarded-For from a trusted proxy stands in for different source addresses.
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) { c.trustedProxies = {"127.0.0.1"}; });
    ApiClient owner(s.server->port());
    owner.extraHeaders["X-Forwarded-For"] = "192.0.2.10";
    REQUIRE(owner.post("/api/register", registration("mia")).status == 201);

    // Five wrong guesses from five addresses, by username and by email alternately.
    for (int i = 0; i < 5; ++i) {
        ApiClient guesser(s.server->port());
        guesser.extraHeaders["X-Forwarded-For"] = "203.0.113." + std::to_string(i);
        auto r = guesser.post(
            "/api/login", login(i % 2 ? "mia@example.org" : "mia", "guess " + std::to_string(i)));
        CHECK(r.status == 401);
    }
    ApiClient sixth(s.server->port());
    sixth.extraHeaders["X-Forwarded-For"] = "198.51.100.1";
    auto limited = sixth.post("/api/login", login("MIA@example.org", "correct horse battery"));
    CHECK(limited.status == 429);
    CHECK(limited.errorCode() == "rate-limited");
    CHECK(limited.num("retryAfterMs") > 0);
    CHECK_FALSE(limited.retryAfter.empty());
    // The owner, from the address they registered from, still gets in.
    ApiClient ownerAgain(s.server->port());
    ownerAgain.extraHeaders["X-Forwarded-For"] = "192.0.2.10";
    CHECK(ownerAgain.post("/api/login", login("mia", "correct horse battery")).status == 200);
    // Unknown accounts answer the same way (no enumeration through the throttle).
    for (int i = 0; i < 5; ++i) {
        ApiClient guesser(s.server->port());
        guesser.extraHeaders["X-Forwarded-For"] = "203.0.113.10" + std::to_string(i);
        CHECK(guesser.post("/api/login", login("nobody", "guess")).status == 401);
    }
    CHECK(sixth.post("/api/login", login("nobody", "guess")).status == 429);
}

TEST_CASE("registrations per address, meetings per user and ringing calls are capped",
          "[api][accounts][limits]") {
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) {
        c.registrationsPerHour = 3;
        c.meetingsPerHour = 2;
        c.pendingCalls = 2;
    });
    ApiClient a(s.server->port()), b(s.server->port()), c(s.server->port());
    REQUIRE(a.post("/api/register", registration("ned")).status == 201);
    REQUIRE(b.post("/api/register", registration("ola")).status == 201);
    // Taken names count too (they bound email probing), then the address is refused.
    CHECK(c.post("/api/register", registration("ned")).errorCode() == "email-taken");
    auto refused = c.post("/api/register", registration("pam"));
    CHECK(refused.status == 429);
    CHECK(refused.errorCode() == "rate-limited");
    CHECK_FALSE(refused.retryAfter.empty());

    CHECK(a.post("/api/meetings", R"({"title":"one"})").status == 201);
    CHECK(a.post("/api/meetings", R"({"title":"two"})").status == 201);
    auto third = a.post("/api/meetings", R"({"title":"three"})");
    CHECK(third.status == 429);
    CHECK(third.errorCode() == "rate-limited");
    CHECK(a.get("/api/meetings").body.find("three") == std::string::npos);

    // User search: signed in, 3 characters at least, no emails (enumeration policy).
    CHECK(a.get("/api/users?q=o").errorCode() == "query-too-short");
    auto found = a.get("/api/users?q=ola");
    CHECK(found.body.find("\"username\":\"ola\"") != std::string::npos);
    CHECK(found.body.find("@example.org") == std::string::npos);
    CHECK(c.get("/api/users?q=ola").errorCode() == "unauthenticated");

    SignalClient ola(s.wsUrl(), b.cookieHeader());
    ola.send(protocol::Presence{});
    SignalClient ned(s.wsUrl(), a.cookieHeader());
    ned.send(protocol::Presence{});
    REQUIRE(waitUntil(
        [&] { return ola.has<protocol::PresenceAck>() && ned.has<protocol::PresenceAck>(); }, 5s));
    for (int i = 0; i < 3; ++i) ned.send(protocol::Call{"ola"});
    REQUIRE(waitUntil([&] { return ned.hasError("rate-limited"); }, 5s));
    CHECK(ned.all<protocol::CallRinging>().size() == 2);
    CHECK(ola.all<protocol::IncomingCall>().size() == 2);
    // Ned is out of meetings this hour: accepting his call creates none.
    ola.send(protocol::CallAnswer{ola.all<protocol::IncomingCall>().front().callId, true});
    REQUIRE(waitUntil([&] { return ola.hasError("rate-limited"); }, 5s));
    CHECK_FALSE(ola.has<protocol::CallAccepted>());
    // Ola's own call to Ned makes a meeting hosted by her.
    ola.send(protocol::Call{"ned"});
    REQUIRE(waitUntil([&] { return ned.has<protocol::IncomingCall>(); }, 5s));
    ned.send(protocol::CallAnswer{ned.all<protocol::IncomingCall>().front().callId, true});
    CHECK(waitUntil([&] { return ola.has<protocol::CallAccepted>(); }, 5s));
}

TEST_CASE("pages and API answers carry CSP, frame and referrer headers",
          "[api][accounts][headers]") {
    TestServer s(false);
    ApiClient c(s.server->port());
    for (const char* path :
         {"/", "/login.html", "/js/room.js", "/m/abc-defg-hij", "/api/me", "/no-such-file"}) {
        auto r = c.get(path);
        INFO(path);
        CHECK(r.csp.find("frame-ancestors 'none'") != std::string::npos);
        CHECK(r.csp.find("script-src 'self';") != std::string::npos);
        CHECK(r.csp.find("unsafe-inline") == std::string::npos);
    }
}

TEST_CASE("chat with a NUL is refused whole; guests are marked as guests",
          "[api][accounts][chat]") {
    TestServer s(false);
    ApiClient host(s.server->port());
    REQUIRE(host.post("/api/register", registration("quinn")).status == 201);
    std::string id =
        host.post("/api/meetings", R"({"title":"Open","allowGuests":true})").str("meeting.id");
    SignalClient q(s.wsUrl(), host.cookieHeader());
    q.send(protocol::Join{1, id, "x"});
    REQUIRE(waitUntil([&] { return q.has<protocol::ChatHistory>(); }, 5s));
    q.sendRaw(R"({"type":"chat","text":"visible\u0000hidden"})");
    REQUIRE(waitUntil([&] { return q.hasError("bad-json"); }, 5s));
    q.send(protocol::ChatSend{"after"});
    REQUIRE(waitUntil([&] { return q.has<protocol::ChatEvent>(); }, 5s));
    auto chat = host.get("/api/meetings/" + id + "/chat");
    CHECK(chat.body.find("visible") == std::string::npos);  // Not stored cut short.
    CHECK(chat.body.find("after") != std::string::npos);

    // A guest who types the host's name is shown as a guest.
    SignalClient guest(s.wsUrl(), "");
    guest.send(protocol::Join{1, id, "User quinn"});
    REQUIRE(waitUntil([&] { return guest.has<protocol::Roster>(); }, 5s));
    REQUIRE(
        waitUntil([&] { return q.all<protocol::Roster>().back().participants.size() == 2; }, 5s));
    std::vector<std::string> names;
    const protocol::Roster roster = q.all<protocol::Roster>().back();
    for (const auto& p : roster.participants) names.push_back(p.name);
    CHECK(std::count(names.begin(), names.end(), "User quinn") == 1);
    CHECK(std::count(names.begin(), names.end(), "User quinn (guest)") == 1);
}

TEST_CASE("password-reset mails are limited per email and per address", "[api][accounts][limits]") {
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) { c.trustedProxies = {"127.0.0.1"}; });
    ApiClient owner(s.server->port());
    REQUIRE(owner.post("/api/register", registration("rita")).status == 201);
    // Three requests for one email from three addresses, then the email is refused.
    for (int i = 0; i < 3; ++i) {
        ApiClient anyone(s.server->port());
        anyone.extraHeaders["X-Forwarded-For"] = "203.0.113." + std::to_string(i);
        CHECK(anyone.post("/api/password/forgot", R"({"email":"rita@example.org"})").status == 202);
    }
    ApiClient fourth(s.server->port());
    fourth.extraHeaders["X-Forwarded-For"] = "203.0.113.50";
    auto limited = fourth.post("/api/password/forgot", R"({"email":"rita@example.org"})");
    CHECK(limited.status == 429);
    CHECK(limited.errorCode() == "rate-limited");
    // Unknown emails are limited alike (the limit reveals no accounts).
    for (int i = 0; i < 3; ++i)
        fourth.post("/api/password/forgot", R"({"email":"ghost@example.org"})");
    CHECK(fourth.post("/api/password/forgot", R"({"email":"ghost@example.org"})").status == 429);
    // One address spraying different emails stops at 10 an hour.
    ApiClient sprayer(s.server->port());
    sprayer.extraHeaders["X-Forwarded-For"] = "198.51.100.9";
    for (int i = 0; i < 10; ++i)
        CHECK(sprayer
                  .post("/api/password/forgot",
                        R"({"email":"x)" + std::to_string(i) + R"(@example.org"})")
                  .status == 202);
    CHECK(sprayer.post("/api/password/forgot", R"({"email":"y@example.org"})").status == 429);
}
