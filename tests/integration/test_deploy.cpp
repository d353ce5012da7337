// Deployment: HTTPS/WSS served by mixmeet itself from a configured certificate
// ([server] tls_certificate, tls_private_key), and the room's log lines carrying the room and
// participant ids as structured-log fields (journald under systemd). docs/deployment.md.
#include <glib/gstdio.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "ApiClient.h"
#include "SignalClient.h"
#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "http/TlsFiles.h"

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
        make(cert, key);
    }
    /// Writes a new self-signed certificate and its key to `certFile` and `keyFile`.
    bool make(const std::string& certFile, const std::string& keyFile) {
        std::string cmd =
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " +
            keyFile + " -out " + certFile;
        gint status = 0;
        gchar* err = nullptr;
        if (!g_spawn_command_line_sync(cmd.c_str(), nullptr, &err, &status, nullptr) || status != 0)
            error = std::string("openssl failed: ") + (err ? err : "");
        g_free(err);
        return error.empty();
    }
    ~SelfSigned() {
        for (const auto& f : extra) g_remove(f.c_str());
        g_remove(cert.c_str());
        g_remove(key.c_str());
        g_rmdir(dir.c_str());
    }
    std::vector<std::string> extra;  ///< More files in `dir`, removed too.
};

std::string readFile(const std::string& path) {
    g_autofree gchar* text = nullptr;
    gsize len = 0;
    if (!g_file_get_contents(path.c_str(), &text, &len, nullptr)) return {};
    return std::string(text, len);
}

void writeFile(const std::string& path, const std::string& text) {
    REQUIRE(
        g_file_set_contents(path.c_str(), text.c_str(), static_cast<gssize>(text.size()), nullptr));
}

/// A TLS client handshake with the server at 127.0.0.1:`port` (any certificate accepted),
/// iterating the main context meanwhile (the server runs on it).
struct TlsProbe {
    core::GPtr<GIOStream> tls;
    std::string error;
    bool done = false;

    explicit TlsProbe(int port) {
        core::GPtr<GSocketClient> client = core::GPtr<GSocketClient>::adopt(g_socket_client_new());
        core::ErrorOut err;
        // A blocking connect to loopback: the kernel completes it without the server's loop.
        core::GPtr<GSocketConnection> base =
            core::GPtr<GSocketConnection>::adopt(g_socket_client_connect_to_host(
                client.get(), "127.0.0.1", static_cast<guint16>(port), nullptr, err.out()));
        if (!base) {
            error = err.message();
            done = true;
            return;
        }
        tls = core::GPtr<GIOStream>::adopt(
            g_tls_client_connection_new(G_IO_STREAM(base.get()), nullptr, err.out()));
        if (!tls) {
            error = err.message();
            done = true;
            return;
        }
        g_signal_connect(tls.get(), "accept-certificate",
                         G_CALLBACK(+[](GTlsConnection*, GTlsCertificate*, GTlsCertificateFlags,
                                        gpointer) -> gboolean { return TRUE; }),
                         nullptr);
        g_tls_connection_handshake_async(
            G_TLS_CONNECTION(tls.get()), G_PRIORITY_DEFAULT, nullptr,
            [](GObject* source, GAsyncResult* result, gpointer data) {
                auto* self = static_cast<TlsProbe*>(data);
                GError* e = nullptr;
                if (!g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), result, &e)) {
                    self->error = e ? e->message : "handshake failed";
                    g_clear_error(&e);
                }
                self->done = true;
            },
            this);
        waitUntil([&] { return done; }, 10s);
    }
    ~TlsProbe() {
        if (tls) g_io_stream_close(tls.get(), nullptr, nullptr);
    }
    /// SHA-256 of the certificate the server presented; empty if the handshake failed.
    std::string fingerprint() const {
        if (!tls || !error.empty()) return {};
        GTlsCertificate* peer = g_tls_connection_get_peer_certificate(G_TLS_CONNECTION(tls.get()));
        return peer ? http::tlsFingerprint(peer) : std::string();
    }
};

/// The SHA-256 fingerprint of the certificate in PEM file `path`.
std::string fileFingerprint(const std::string& path) {
    core::GPtr<GTlsCertificate> c =
        core::GPtr<GTlsCertificate>::adopt(g_tls_certificate_new_from_file(path.c_str(), nullptr));
    return c ? http::tlsFingerprint(c.get()) : std::string();
}

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

TEST_CASE("a reload serves a renewed TLS certificate; a bad one is refused and the old one stays",
          "[deploy][tls]") {
    SelfSigned tls;
    REQUIRE(tls.error.empty());
    TestServer s(false, {"127.0.0.1"}, [&](app::Config& c) {
        c.tlsCertificate = tls.cert;
        c.tlsPrivateKey = tls.key;
    });
    const int port = s.server->port();
    const std::string first = fileFingerprint(tls.cert);
    REQUIRE_FALSE(first.empty());
    {
        TlsProbe probe(port);
        INFO(probe.error);
        CHECK(probe.fingerprint() == first);
    }
    // A signaling socket open across the reloads: it stays up and keeps working.
    const std::string origin = "https://127.0.0.1:" + std::to_string(port);
    const std::string wss = "wss://127.0.0.1:" + std::to_string(port) + "/ws";
    SignalClient member(wss, "", origin, true);
    REQUIRE(waitUntil([&] { return member.open(); }, 10s));

    // A renewal replaces both files in place (the same paths), then SIGHUP (Server::reload).
    REQUIRE(tls.make(tls.cert, tls.key));
    const std::string second = fileFingerprint(tls.cert);
    REQUIRE(second != first);
    app::Config fresh = s.server->config();
    auto changes = s.server->reload(fresh);
    CHECK(changes.restart.empty());
    {
        TlsProbe probe(port);
        INFO(probe.error);
        CHECK(probe.fingerprint() == second);
    }
    CHECK(member.open());

    // Bad files: the certificate in use stays, the reason names the file.
    const std::string otherCert = tls.dir + "/other-cert.pem";
    const std::string otherKey = tls.dir + "/other-key.pem";
    tls.extra = {otherCert, otherKey};
    REQUIRE(tls.make(otherCert, otherKey));
    std::string faulty, reason;
    SECTION("a key that is not the certificate's (a renewal caught half-way)") {
        writeFile(tls.key, readFile(otherKey));
        faulty = tls.key;
        reason = "is not the key of the certificate";
    }
    SECTION("a certificate file that is not PEM") {
        writeFile(tls.cert, "not a certificate\n");
        faulty = tls.cert;
        reason = "PEM";
    }
    SECTION("a missing key file") {
        fresh.tlsPrivateKey = tls.dir + "/missing-key.pem";
        faulty = fresh.tlsPrivateKey;
        reason = "No such file";
    }
    // What the reload logs: the file and the reason.
    auto loaded = http::loadTlsCertificate(fresh.tlsCertificate, fresh.tlsPrivateKey);
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().code == "tls");
    CHECK_THAT(loaded.error().message, Catch::Contains(faulty) && Catch::Contains(reason));
    auto refused = s.server->reload(fresh);
    CHECK(refused.restart.empty());
    CHECK(std::find(refused.live.begin(), refused.live.end(), "[server] tls_private_key") ==
          refused.live.end());
    {
        TlsProbe probe(port);
        INFO(probe.error);
        CHECK(probe.fingerprint() == second);
    }
    // Still served over the old certificate: a request works, the open socket too.
    ApiClient web(origin, /*acceptAnyCertificate=*/true);
    CHECK(web.get("/room.html").status == 200);
    CHECK(member.open());
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

namespace {

/// /api/admin/rooms as {room name: {display name: participant id}}.
std::map<std::string, std::map<std::string, std::string>> adminRooms(const ApiReply& reply) {
    std::map<std::string, std::map<std::string, std::string>> out;
    auto doc = core::JsonDocument::parseObject(reply.body);
    if (!doc) return out;
    JsonArray* rooms = json_object_get_array_member(doc.value().root(), "rooms");
    for (guint i = 0; rooms && i < json_array_get_length(rooms); ++i) {
        JsonObject* room = json_array_get_object_element(rooms, i);
        auto& ids = out[json_object_get_string_member(room, "name")];
        JsonArray* people = json_object_get_array_member(room, "participants");
        for (guint j = 0; people && j < json_array_get_length(people); ++j) {
            JsonObject* p = json_array_get_object_element(people, j);
            ids[json_object_get_string_member(p, "name")] = json_object_get_string_member(p, "id");
        }
    }
    return out;
}

}  // namespace

TEST_CASE("the admin API: live rooms, remove and end, for admins only and under CSRF rules",
          "[deploy][admin]") {
    TestServer s;  // Open rooms: synthetic peers join by name.
    const int port = s.server->port();
    ApiClient admin(port), plain(port), anonymous(port);
    auto account = [](const std::string& name) {
        return R"({"email":")" + name + R"(@example.org","username":")" + name +
               R"(","displayName":")" + name + R"(","password":"correct horse battery"})";
    };
    REQUIRE(admin.post("/api/register", account("ada")).status == 201);
    REQUIRE(plain.post("/api/register", account("pat")).status == 201);
    CHECK(admin.get("/api/me").body.find("\"admin\":false") != std::string::npos);
    auto ada = s.server->store().userByUsername("ada");
    REQUIRE(ada);
    REQUIRE(s.server->store().setUserAdmin(ada.value().id, true).ok());
    CHECK(admin.get("/api/me").body.find("\"admin\":true") != std::string::npos);

    CHECK(anonymous.get("/api/admin/rooms").status == 401);
    auto refused = plain.get("/api/admin/rooms");
    CHECK(refused.status == 403);
    CHECK(refused.errorCode() == "not-admin");
    REQUIRE(admin.get("/api/admin/rooms").status == 200);
    CHECK(adminRooms(admin.get("/api/admin/rooms")).empty());
    auto page = admin.get("/admin");
    CHECK(page.status == 200);
    CHECK(page.body.find("/js/admin.js") != std::string::npos);

    PeerOptions o = s.peerOptions("watched", "Ann");
    o.width = 160;
    o.height = 120;
    SyntheticPeer ann(o);
    o.name = "Bob";
    SyntheticPeer bob(o);
    ann.start();
    bob.start();
    REQUIRE(waitUntil([&] { return ann.roster().size() == 2 && bob.roster().size() == 2; }, 20s));
    auto listed = admin.get("/api/admin/rooms");
    INFO(listed.body);
    auto watched = adminRooms(listed)["watched"];
    REQUIRE(watched.size() == 2);
    REQUIRE(watched.count("Bob") == 1);
    CHECK(listed.body.find("\"lossPermille\"") != std::string::npos);
    CHECK(listed.body.find("\"rttMs\"") != std::string::npos);

    const std::string removeBob = R"({"room":"watched","participant":")" + watched["Bob"] + "\"}";
    // State-changing requests: the session's CSRF token and a same-site Origin are required,
    // and a non-admin's own valid token does not help.
    CHECK(admin.request("POST", "/api/admin/remove", removeBob, /*csrf=*/false).errorCode() ==
          "csrf");
    CHECK(admin.request("POST", "/api/admin/remove", removeBob, true, "https://evil.example")
              .errorCode() == "csrf");
    CHECK(plain.post("/api/admin/remove", removeBob).errorCode() == "not-admin");
    CHECK(admin.post("/api/admin/remove", R"({"room":"watched","participant":"p9"})").errorCode() ==
          "no-such-participant");
    CHECK(admin.post("/api/admin/end", R"({"room":"elsewhere"})").errorCode() == "no-such-room");
    CHECK(admin.post("/api/admin/end", R"({"room":7})").status == 400);
    CHECK(bob.roster().size() == 2);  // Nothing happened so far.

    REQUIRE(admin.post("/api/admin/remove", removeBob).status == 200);
    CHECK(waitUntil([&] { return bob.byeReason() == "removed"; }, 10s));
    CHECK(waitUntil([&] { return ann.roster().size() == 1; }, 10s));

    REQUIRE(admin.post("/api/admin/end", R"({"room":"watched"})").status == 200);
    CHECK(waitUntil([&] { return ann.byeReason() == "meeting-ended"; }, 10s));
    CHECK(waitUntil([&] { return adminRooms(admin.get("/api/admin/rooms")).empty(); }, 10s));
}
