// The REST API and meeting-aware signaling against the real server (real SQLite file in a
// temporary directory, real HTTP and WebSocket over loopback).
#include <catch2/catch.hpp>

#include <string>

#include "ApiClient.h"
#include "SignalClient.h"
#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"

using namespace mixmeet;
using namespace mixmeet::testing;
using namespace std::chrono_literals;

/// Log lines with password-reset links the server wrote (main.cpp captures them).
std::vector<std::string> capturedLogLines();

namespace {
std::string registration(const std::string& email, const std::string& username,
                         const std::string& password = "correct horse battery") {
    return R"({"email":")" + email + R"(","username":")" + username + R"(","displayName":"User )" +
           username + R"(","password":")" + password + "\"}";
}

std::string login(const std::string& who, const std::string& password) {
    return R"({"login":")" + who + R"(","password":")" + password + "\"}";
}
}  // namespace

TEST_CASE("register, session cookie, me, logout", "[api]") {
    TestServer s(false);
    ApiClient alice(s.server->port());
    auto r = alice.post("/api/register", registration("Alice@Example.org", "alice"));
    REQUIRE(r.status == 201);
    CHECK(r.str("user.email") == "alice@example.org");
    CHECK(r.str("user.username") == "alice");
    CHECK(r.setCookie.find("mm_session=") == 0);
    CHECK(r.setCookie.find("HttpOnly") != std::string::npos);
    CHECK(r.setCookie.find("SameSite=Lax") != std::string::npos);
    CHECK_FALSE(alice.csrf().empty());
    CHECK(alice.get("/api/me").str("user.username") == "alice");

    // The account row is really written: a fresh client can sign in with it.
    ApiClient again(s.server->port());
    CHECK(again.post("/api/login", login("alice", "correct horse battery")).status == 200);
    CHECK(again.post("/api/login", login("ALICE@example.org", "correct horse battery")).status ==
          200);

    CHECK(alice.post("/api/logout", "{}").status == 204);
    CHECK(alice.get("/api/me").status == 401);
    CHECK(alice.get("/api/me").errorCode() == "unauthenticated");
}

TEST_CASE("registration errors are clear", "[api]") {
    TestServer s(false);
    ApiClient c(s.server->port());
    REQUIRE(c.post("/api/register", registration("a@example.org", "alice")).status == 201);
    ApiClient d(s.server->port());
    auto dupEmail = d.post("/api/register", registration("A@EXAMPLE.org", "other"));
    CHECK(dupEmail.status == 409);
    CHECK(dupEmail.errorCode() == "email-taken");
    auto dupUser = d.post("/api/register", registration("b@example.org", "Alice"));
    CHECK(dupUser.status == 409);
    CHECK(dupUser.errorCode() == "username-taken");
    auto weak = d.post("/api/register", registration("c@example.org", "carol", "short"));
    CHECK(weak.status == 400);
    CHECK(weak.errorCode() == "weak-password");
    auto bad = d.post("/api/register", "{not json");
    CHECK(bad.status == 400);
    CHECK(bad.errorCode() == "bad-request");
    auto missing = d.post("/api/register", R"({"email":"x@example.org"})");
    CHECK(missing.errorCode() == "bad-request");
    CHECK(d.post("/api/register", registration("not-an-email", "dave")).errorCode() ==
          "bad-request");
    CHECK(d.post("/api/register", std::string(20000, ' ')).status == 413);
}

TEST_CASE("bad logins get one message, then the rate limit", "[api]") {
    // The guesser comes from another address than Bob's (X-Forwarded-For through a trusted
    // proxy): Bob's own address keeps access (docs/security.md, "Login throttling").
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) { c.trustedProxies = {"127.0.0.1"}; });
    ApiClient c(s.server->port());
    REQUIRE(c.post("/api/register", registration("bob@example.org", "bob")).status == 201);
    ApiClient x(s.server->port());
    x.extraHeaders["X-Forwarded-For"] = "203.0.113.5";
    auto unknown = x.post("/api/login", login("nobody", "whatever password"));
    auto wrong = x.post("/api/login", login("bob", "wrong password!"));
    CHECK(unknown.status == 401);
    CHECK(wrong.status == 401);
    CHECK(unknown.errorCode() == "bad-credentials");
    CHECK(unknown.str("error.message") == wrong.str("error.message"));
    for (int i = 0; i < 4; ++i) x.post("/api/login", login("bob", "wrong password!"));
    auto limited = x.post("/api/login", login("bob", "correct horse battery"));
    CHECK(limited.status == 429);
    CHECK(limited.errorCode() == "rate-limited");
    CHECK(limited.num("retryAfterMs") > 0);
    CHECK_FALSE(limited.retryAfter.empty());
}

TEST_CASE("state-changing requests need the same origin and the CSRF token", "[api]") {
    TestServer s(false);
    ApiClient c(s.server->port());
    REQUIRE(c.post("/api/register", registration("carol@example.org", "carol")).status == 201);
    auto noToken = c.request("POST", "/api/meetings", R"({"title":"x"})", /*csrf=*/false);
    CHECK(noToken.status == 403);
    CHECK(noToken.errorCode() == "csrf");
    auto foreign =
        c.request("POST", "/api/meetings", R"({"title":"x"})", true, "http://evil.example");
    CHECK(foreign.status == 403);
    CHECK(foreign.errorCode() == "csrf");
    CHECK(c.post("/api/meetings", R"({"title":"x"})").status == 201);
    // The rejected requests wrote nothing.
    CHECK(c.get("/api/meetings").body.find("\"title\":\"x\"") != std::string::npos);
    auto list = c.get("/api/meetings").body;
    CHECK(list.find("\"title\":\"x\"") == list.rfind("\"title\":\"x\""));
}

TEST_CASE("meetings: create, look up, unknown IDs, pages", "[api]") {
    TestServer s(false);
    ApiClient host(s.server->port());
    REQUIRE(host.post("/api/register", registration("dan@example.org", "dan")).status == 201);
    auto created = host.post("/api/meetings", R"({"title":"Standup","allowGuests":false})");
    REQUIRE(created.status == 201);
    std::string id = created.str("meeting.id");
    CHECK(id.size() == 12);
    CHECK(id[3] == '-');
    CHECK(id[8] == '-');
    CHECK(created.str("meeting.link") == "/m/" + id);
    CHECK(created.str("meeting.isHost") == "true");
    CHECK(host.get("/api/meetings/" + id).str("meeting.title") == "Standup");
    auto unknown = host.get("/api/meetings/zzz-zzzz-zzz");
    CHECK(unknown.status == 404);
    CHECK(unknown.errorCode() == "no-such-meeting");
    CHECK(host.get("/m/" + id).status == 200);
    auto missingPage = host.get("/m/zzz-zzzz-zzz");
    CHECK(missingPage.status == 404);
    CHECK(missingPage.body.find("No such meeting") != std::string::npos);
    ApiClient stranger(s.server->port());
    CHECK(stranger.get("/api/meetings/" + id).status == 401);
    CHECK(stranger.post("/api/meetings", R"({"title":"x"})").status == 401);
}

TEST_CASE("the WebSocket admits signed-in users to meetings only", "[api][signaling]") {
    TestServer s(false);
    ApiClient host(s.server->port());
    REQUIRE(host.post("/api/register", registration("erin@example.org", "erin")).status == 201);
    std::string id = host.post("/api/meetings", R"({"title":"Private"})").str("meeting.id");
    protocol::Join join{1, id, "Intruder"};

    SignalClient anonymous(s.wsUrl(), "");
    anonymous.send(join);
    CHECK(waitUntil([&] { return anonymous.hasError("unauthenticated"); }, 5s));
    CHECK(waitUntil([&] { return anonymous.closed(); }, 5s));

    SignalClient wrongRoom(s.wsUrl(), host.cookieHeader());
    wrongRoom.send(protocol::Join{1, "plain-room", "Erin"});
    CHECK(waitUntil([&] { return wrongRoom.hasError("no-such-meeting"); }, 5s));

    SignalClient crossSite(s.wsUrl(), host.cookieHeader(), "http://evil.example");
    CHECK(waitUntil([&] { return crossSite.closed(); }, 5s));

    SignalClient member(s.wsUrl(), host.cookieHeader());
    member.send(join);
    bool welcomed = waitUntil([&] { return member.has<protocol::Welcome>(); }, 5s);
    for (const auto& e : member.all<protocol::ErrorReply>()) INFO("error: " << e.code);
    INFO("cookie: " << host.cookieHeader());
    INFO("received " << member.received().size() << " unparsed " << member.unparsed_.size()
                     << " open " << member.open());
    REQUIRE(welcomed);
    // The server uses the account's display name, not the one in join.
    CHECK(waitUntil([&] { return member.has<protocol::Roster>(); }, 5s));
    CHECK(member.all<protocol::Roster>().back().participants[0].name == "User erin");
    CHECK(waitUntil([&] { return member.has<protocol::ChatHistory>(); }, 5s));
}

TEST_CASE("chat is saved, broadcast, delivered on join and paged", "[api][chat]") {
    // 61 lines at once: over the default chat budget ([signaling] chat_burst).
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) { c.signaling.chatBurst = 100; });
    ApiClient a(s.server->port()), b(s.server->port());
    REQUIRE(a.post("/api/register", registration("fay@example.org", "fay")).status == 201);
    REQUIRE(b.post("/api/register", registration("gus@example.org", "gus")).status == 201);
    std::string id = a.post("/api/meetings", R"({"title":"Chatty"})").str("meeting.id");

    SignalClient fay(s.wsUrl(), a.cookieHeader());
    fay.send(protocol::Join{1, id, "x"});
    REQUIRE(waitUntil([&] { return fay.has<protocol::ChatHistory>(); }, 5s));
    for (int i = 1; i <= 60; ++i) fay.send(protocol::ChatSend{"message " + std::to_string(i)});
    fay.send(protocol::ChatSend{"<script>alert(1)</script>"});
    REQUIRE(waitUntil([&] { return fay.all<protocol::ChatEvent>().size() == 61; }, 10s));
    CHECK(fay.all<protocol::ChatEvent>().back().message.name == "User fay");
    fay.sendRaw(R"({"type":"chat","text":")" + std::string(2001, 'x') + "\"}");
    CHECK(waitUntil([&] { return fay.hasError("bad-message"); }, 5s));

    // A late joiner gets the newest 50, oldest first, and pages back without overlap.
    SignalClient gus(s.wsUrl(), b.cookieHeader());
    gus.send(protocol::Join{1, id, "x"});
    REQUIRE(waitUntil([&] { return gus.has<protocol::ChatHistory>(); }, 5s));
    auto first = gus.all<protocol::ChatHistory>().front();
    REQUIRE(first.messages.size() == 50);
    CHECK(first.hasMore);
    CHECK(first.messages.back().text == "<script>alert(1)</script>");  // stored as plain text
    CHECK(first.messages.front().text == "message 12");
    gus.send(protocol::ChatHistoryRequest{first.messages.front().id});
    REQUIRE(waitUntil([&] { return gus.all<protocol::ChatHistory>().size() == 2; }, 5s));
    auto older = gus.all<protocol::ChatHistory>()[1];
    REQUIRE(older.messages.size() == 11);
    CHECK(older.messages.front().text == "message 1");
    CHECK(older.messages.back().text == "message 11");
    CHECK_FALSE(older.hasMore);

    // Gus's message reaches Fay; the REST page agrees with the socket.
    gus.send(protocol::ChatSend{"hello fay"});
    CHECK(waitUntil(
        [&] { return fay.all<protocol::ChatEvent>().back().message.text == "hello fay"; }, 5s));
    auto page = b.get("/api/meetings/" + id + "/chat?limit=2");
    CHECK(page.body.find("hello fay") != std::string::npos);
    CHECK(page.str("hasMore") == "true");
}

TEST_CASE("history rows follow the real join and leave", "[api][history]") {
    TestServer s(false);
    ApiClient a(s.server->port());
    REQUIRE(a.post("/api/register", registration("hal@example.org", "hal")).status == 201);
    std::string id = a.post("/api/meetings", R"({"title":"Retro"})").str("meeting.id");
    {
        SignalClient hal(s.wsUrl(), a.cookieHeader());
        hal.send(protocol::Join{1, id, "x"});
        REQUIRE(waitUntil([&] { return hal.has<protocol::Welcome>(); }, 5s));
        auto during = a.get("/api/history");
        CHECK(during.body.find("\"title\":\"Retro\"") != std::string::npos);
        CHECK(during.body.find("leftAt") == std::string::npos);  // still in the meeting
        hal.send(protocol::Leave{});
        REQUIRE(waitUntil([&] { return hal.has<protocol::Bye>(); }, 5s));
    }
    auto after = a.get("/api/history");
    CHECK(after.body.find("\"title\":\"Retro\"") != std::string::npos);
    CHECK(after.body.find("leftAt") != std::string::npos);
    CHECK(after.body.find("durationMs") != std::string::npos);
}

TEST_CASE("forgot and reset password with the logged link", "[api]") {
    TestServer s(false);
    ApiClient c(s.server->port());
    REQUIRE(c.post("/api/register", registration("ida@example.org", "ida")).status == 201);
    ApiClient anon(s.server->port());
    CHECK(anon.post("/api/password/forgot", R"({"email":"nobody@example.org"})").status == 202);
    CHECK(anon.post("/api/password/forgot", R"({"email":"ida@example.org"})").status == 202);
    std::string token;
    for (const auto& line : capturedLogLines()) {
        auto p = line.find("/reset.html?token=");
        if (p != std::string::npos && line.find("ida@example.org") != std::string::npos)
            token = line.substr(p + 18);
    }
    REQUIRE_FALSE(token.empty());
    auto weak = anon.post("/api/password/reset", R"({"token":")" + token + R"(","password":"x"})");
    CHECK(weak.errorCode() == "weak-password");
    CHECK(anon.post("/api/password/reset",
                    R"({"token":")" + token + R"(","password":"a brand new secret"})")
              .status == 204);
    // Old sessions are gone, the old password fails, the new one works, the link is spent.
    CHECK(c.get("/api/me").status == 401);
    CHECK(anon.post("/api/login", login("ida", "correct horse battery")).status == 401);
    CHECK(anon.post("/api/login", login("ida", "a brand new secret")).status == 200);
    CHECK(anon.post("/api/password/reset",
                    R"({"token":")" + token + R"(","password":"another new secret"})")
              .errorCode() == "bad-token");
}

TEST_CASE("history rows come from a real webrtcbin client's media session", "[api][history]") {
    TestServer s(false);
    ApiClient a(s.server->port());
    REQUIRE(a.post("/api/register", registration("joy@example.org", "joy")).status == 201);
    std::string id = a.post("/api/meetings", R"({"title":"Design review"})").str("meeting.id");
    for (int stay = 0; stay < 2; ++stay) {
        PeerOptions o = s.peerOptions(id, "ignored");
        o.cookie = a.cookieHeader();
        SyntheticPeer peer(o);
        peer.start();
        REQUIRE(waitUntil([&] { return peer.connected() && peer.videoFramesDecoded() > 5; }, 20s));
        CHECK(peer.roster().at(0).name == "User joy");
        peer.leave();
        REQUIRE(waitUntil([&] { return peer.byeReason() == "left"; }, 5s));
    }
    auto history = a.get("/api/history");
    auto doc = core::JsonDocument::parseObject(history.body);
    REQUIRE(doc.ok());
    JsonArray* rows = json_object_get_array_member(doc.value().root(), "history");
    REQUIRE(json_array_get_length(rows) == 2);  // one row per stay
    for (guint i = 0; i < 2; ++i) {
        JsonObject* row = json_array_get_object_element(rows, i);
        CHECK(std::string(json_object_get_string_member(row, "title")) == "Design review");
        REQUIRE(json_object_has_member(row, "leftAt"));
        gint64 joined = json_object_get_int_member(row, "joinedAt");
        gint64 left = json_object_get_int_member(row, "leftAt");
        CHECK(left > joined);  // media flowed for a while in between
        CHECK(json_object_get_int_member(row, "durationMs") == left - joined);
    }
    // Newest first.
    CHECK(json_object_get_int_member(json_array_get_object_element(rows, 0), "joinedAt") >=
          json_object_get_int_member(json_array_get_object_element(rows, 1), "leftAt"));
}

TEST_CASE("deeply nested JSON is refused before json-glib parses it", "[api][hostile]") {
    // json-glib's parser recurses per level; core::jsonNestingDepth bounds it at 32 first.
    TestServer s(false);
    ApiClient c(s.server->port());
    auto rest = c.post("/api/register", R"({"email":"d@example.org","x":)" +
                                            std::string(5000, '[') + std::string(5000, ']') + "}");
    CHECK(rest.status == 400);
    CHECK(rest.errorCode() == "bad-request");
    SignalClient ws(s.wsUrl(), "");
    ws.sendRaw(R"({"type":"chat","text":"x","y":)" + std::string(30000, '[') +
               std::string(30000, ']') + "}");
    REQUIRE(waitUntil([&] { return ws.hasError("bad-json"); }, 5s));
    // The connection is still served.
    ws.sendRaw(R"({"type":"no-such-type"})");
    REQUIRE(waitUntil([&] { return ws.hasError("unknown-type"); }, 5s));
}
