// Deployment: HTTPS/WSS served by mixmeet itself from a configured certificate
// ([server] tls_certificate, tls_private_key), and the room's log lines carrying the room and
// participant ids as structured-log fields (journald under systemd). docs/deployment.md.
#include <glib/gstdio.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "ApiClient.h"
#include "SignalClient.h"
#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"

using namespace mixmeet;
using namespace mixmeet::testing;
using namespace std::chrono_literals;

/// Structured log events with a MIXMEET_ROOM field so far (tests/integration/main.cpp's writer).
struct LoggedEvent {
    std::string room, participant, message;
};
std::vector<LoggedEvent> structuredLogEvents();

namespace {

/// A self-signed certificate for 127.0.0.1 and its key, made by the openssl tool in a
/// temporary directory (removed on destruction).
struct SelfSigned {
    std::string dir, cert, key, error;
    SelfSigned() {
        gchar* d = g_dir_make_tmp("mixmeet-tls-XXXXXX", nullptr);
        dir = d;
        g_free(d);
        cert = dir + "/cert.pem";
        key = dir + "/key.pem";
        std::string cmd =
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + key +
            " -out " + cert;
        gint status = 0;
        gchar* err = nullptr;
        if (!g_spawn_command_line_sync(cmd.c_str(), nullptr, &err, &status, nullptr) || status != 0)
            error = std::string("openssl failed: ") + (err ? err : "");
        g_free(err);
    }
    ~SelfSigned() {
        g_remove(cert.c_str());
        g_remove(key.c_str());
        g_rmdir(dir.c_str());
    }
};

}  // namespace

TEST_CASE("HTTPS and WSS from a configured certificate", "[deploy][tls]") {
    SelfSigned tls;
    REQUIRE(tls.error.empty());
    TestServer s(false, {"127.0.0.1"}, [&](app::Config& c) {
        c.tlsCertificate = tls.cert;
        c.tlsPrivateKey = tls.key;
    });
    const std::string origin = "https://127.0.0.1:" + std::to_string(s.server->port());
    CHECK(s.server->url() == origin + "/");

    ApiClient web(origin, /*acceptAnyCertificate=*/true);
    auto page = web.get("/room.html");
    REQUIRE(page.status == 200);
    CHECK(page.body.find("<html") != std::string::npos);
    // Requests over TLS are https: the session cookie is Secure, the https Origin passes CSRF.
    auto reg = web.post("/api/register",
                        R"({"email":"tia@example.org","username":"tia","displayName":"Tia",)"
                        R"("password":"correct horse battery"})");
    REQUIRE(reg.status == 201);
    CHECK(reg.setCookie.find("; Secure") != std::string::npos);
    auto created = web.post("/api/meetings", R"({"title":"Over TLS"})");
    REQUIRE(created.status == 201);
    const std::string id = created.str("meeting.id");

    // The signaling WebSocket over TLS: a join is answered.
    const std::string wss = "wss://127.0.0.1:" + std::to_string(s.server->port()) + "/ws";
    SignalClient member(wss, web.cookieHeader(), origin, true);
    member.send(protocol::Join{1, id, "x"});
    CHECK(waitUntil([&] { return member.has<protocol::ChatHistory>(); }, 10s));
    CHECK(member.open());

    // Plain HTTP on the TLS port gets no page.
    ApiClient plain(s.server->port());
    CHECK(plain.get("/room.html").status != 200);
}

TEST_CASE("a TLS certificate that does not load stops the start with error tls", "[deploy][tls]") {
    gchar* d = g_dir_make_tmp("mixmeet-test-XXXXXX", nullptr);
    std::string dir = d;
    g_free(d);
    app::Config c = app::defaultConfig();
    c.port = 0;
    c.dataDir = dir;
    c.tlsCertificate = dir + "/missing-cert.pem";
    c.tlsPrivateKey = dir + "/missing-key.pem";
    {
        app::Server server(c);
        auto started = server.start();
        REQUIRE_FALSE(started.ok());
        CHECK(started.error().code == "tls");
        CHECK(started.error().message.find("missing-cert.pem") != std::string::npos);
    }
    for (const char* f : {"/mixmeet.sqlite", "/mixmeet.sqlite-wal", "/mixmeet.sqlite-shm"})
        g_remove((dir + f).c_str());
    g_rmdir(dir.c_str());
}

TEST_CASE("join and leave log lines carry room and participant ids as fields", "[deploy][log]") {
    TestServer s;
    auto find = [](const std::string& participant, const std::string& what) {
        for (const auto& e : structuredLogEvents())
            if (e.room == "logged" && e.participant == participant &&
                e.message.find(what) != std::string::npos)
                return true;
        return false;
    };
    PeerOptions o = s.peerOptions("logged", "Lou");
    o.width = 160;
    o.height = 120;
    auto peer = std::make_unique<SyntheticPeer>(o);
    peer->start();
    REQUIRE(waitUntil([&] { return find("p1", "Lou joined"); }, 20s));
    REQUIRE(waitUntil([&] { return find("p1", "connected"); }, 20s));
    peer.reset();
    CHECK(waitUntil([&] { return find("p1", "Lou left"); }, 20s));
    CHECK(waitUntil([&] { return find("", "closed"); }, 20s));
}
