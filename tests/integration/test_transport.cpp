// Hostile clients at the transport layer (issue 12, items 1-4): WebSocket message bombs, a
// client that never reads, huge HTTP bodies, slow and idle sockets, connection caps. Each test
// sends the hostile bytes over a raw socket and checks what the server did with it, that it
// kept its memory, and that everyone else is still served. Bounds: docs/security.md.
#include <catch2/catch.hpp>

#include <gio/gio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "RawClient.h"
#include "TestServer.h"
#include "Wait.h"
#include "room/Room.h"

using namespace mixmeet;
using namespace mixmeet::testing;
using namespace std::chrono_literals;

namespace {

/// Resident set size of this process (the in-process server), bytes.
long long rssBytes() {
    std::ifstream statm("/proc/self/statm");
    long long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

constexpr long long kMiB = 1024 * 1024;

std::string joinMessage(const std::string& room, const std::string& name) {
    return R"({"type":"join","version":1,"room":")" + room + R"(","name":")" + name + R"("})";
}

/// Text frames in `buf` (consumed) whose payload contains `needle`.
int countFrames(std::string& buf, const std::string& needle) {
    int n = 0;
    ServerFrame f;
    while (takeServerFrame(buf, f))
        if (f.opcode == 1 && f.payload.find(needle) != std::string::npos) ++n;
    return n;
}

/// Every frame in `buf` (consumed).
std::vector<ServerFrame> allFrames(std::string& buf) {
    std::vector<ServerFrame> frames;
    ServerFrame f;
    while (takeServerFrame(buf, f)) frames.push_back(f);
    return frames;
}

/// GET / on a fresh connection: the status code (0: no answer within 10 s).
int getIndex(int port) {
    RawClient c(port);
    c.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    c.readUntil([&] { return c.hasStatusLine(); }, 10s);
    return c.status();
}

TestServer limitedServer(const std::function<void(http::Limits&)>& set) {
    return TestServer(true, {"127.0.0.1"}, [&](app::Config& c) { set(c.limits); });
}

}  // namespace

TEST_CASE("permessage-deflate is not negotiated and a compressed frame closes the socket",
          "[hostile][transport]") {
    TestServer ts(true);
    int port = ts.server->port();
    RawClient c(port);
    std::string headers = openWebSocket(c, port,
                                        "Sec-WebSocket-Extensions: permessage-deflate; "
                                        "client_max_window_bits\r\n");
    REQUIRE(headers.rfind("HTTP/1.1 101", 0) == 0);
    g_autofree gchar* lower = g_ascii_strdown(headers.c_str(), -1);
    CHECK(std::string(lower).find("sec-websocket-extensions") == std::string::npos);

    // 64 MiB of zeros deflate to about 64 KB: the bomb the issue describes, sent anyway.
    g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_RAW, 9);
    std::string zeros(kMiB, '\0'), bomb(256 * 1024, '\0');
    gsize outAt = 0;
    for (int i = 0; i < 64; ++i) {
        gsize read = 0, written = 0;
        g_converter_convert(
            G_CONVERTER(z), zeros.data(), zeros.size(), bomb.data() + outAt, bomb.size() - outAt,
            i == 63 ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS, &read, &written, nullptr);
        outAt += written;
    }
    bomb.resize(outAt);
    INFO("compressed size " << bomb.size());
    REQUIRE(bomb.size() < 256 * 1024);
    long long before = rssBytes();
    c.send(clientFrame(0x1, bomb, true, /*rsv1=*/true));
    REQUIRE(c.waitClosed(10s));
    std::vector<ServerFrame> frames = allFrames(c.received());
    // libsoup refuses the reserved bit with a protocol error (1002).
    REQUIRE_FALSE(frames.empty());
    CHECK(frames.back().opcode == 0x8);
    CHECK(frames.back().payload.substr(0, 2) == std::string("\x03\xEA", 2));
    CHECK(rssBytes() - before < 16 * kMiB);
    CHECK(getIndex(port) == 200);
}

TEST_CASE("continuation frames past max_message_bytes close the socket with 1009",
          "[hostile][transport]") {
    TestServer ts = limitedServer([](http::Limits& l) { l.maxMessageBytes = 64 * 1024; });
    int port = ts.server->port();

    // A fragmented message under the limit still gets through (answered: not a join).
    RawClient ok(port);
    REQUIRE(openWebSocket(ok, port).rfind("HTTP/1.1 101", 0) == 0);
    ok.send(clientFrame(0x1, R"({"type":"bo)", false) + clientFrame(0x0, R"(gus"})", true));
    REQUIRE(ok.readUntil([&] { return ok.received().find("error") != std::string::npos; }, 10s));

    RawClient c(port);
    REQUIRE(openWebSocket(c, port).rfind("HTTP/1.1 101", 0) == 0);
    long long before = rssBytes();
    std::string chunk(16 * 1024, 'a');
    c.send(clientFrame(0x1, chunk, false));
    // Up to 32 MiB in 16 KiB continuation frames, stopping once the server has answered.
    int sent = 1;
    for (; sent < 2048 && !c.closedByPeer() && c.received().empty(); ++sent) {
        if (!c.send(clientFrame(0x0, chunk, false), 5s)) break;
        c.drain();
    }
    INFO("frames sent: " << sent);
    CHECK(sent > 8);  // Well past the limit (the kernel's socket buffers take the rest).
    REQUIRE(c.waitClosed(10s));
    std::vector<ServerFrame> frames = allFrames(c.received());
    REQUIRE_FALSE(frames.empty());
    CHECK(frames.back().opcode == 0x8);
    CHECK(frames.back().payload.substr(0, 2) == std::string("\x03\xF1", 2));  // 1009
    CHECK(rssBytes() - before < 16 * kMiB);
    // The other socket is untouched.
    ok.received().clear();
    ok.send(clientFrame(0x1, R"({"type":"bogus"})"));
    CHECK(ok.readUntil([&] { return ok.received().find("error") != std::string::npos; }, 10s));
}

// [no-asan]: RSS growth is the check, and ASan's quarantine keeps freed memory resident.
TEST_CASE("a client that never reads is dropped while the others keep receiving",
          "[hostile][transport][no-asan]") {
    TestServer ts = limitedServer([](http::Limits& l) { l.maxSendQueueBytes = 256 * 1024; });
    int port = ts.server->port();
    RawClient mute(port, 4096), reader(port);
    REQUIRE(openWebSocket(mute, port).rfind("HTTP/1.1 101", 0) == 0);
    REQUIRE(openWebSocket(reader, port).rfind("HTTP/1.1 101", 0) == 0);
    mute.send(clientFrame(0x1, joinMessage("flood", "mute")));
    reader.send(clientFrame(0x1, joinMessage("flood", "reader")));
    auto hasOffer = [](RawClient& c) {
        return [&c] { return c.received().find("\"offer\"") != std::string::npos; };
    };
    REQUIRE(mute.readUntil(hasOffer(mute), 20s));
    REQUIRE(reader.readUntil(hasOffer(reader), 20s));
    room::Room* room = ts.room("flood");
    REQUIRE(room);
    REQUIRE(room->participantCount() == 2);
    reader.received().clear();

    // From now on `mute` reads nothing. Chat lines of 8 KB, up to 32 MB in all.
    protocol::ChatLine line;
    line.name = "flood";
    line.text = std::string(8000, 'x');
    long long before = rssBytes();
    int sent = 0, readerGot = 0;
    constexpr int kMaxLines = 4000;
    while (sent < kMaxLines && room->participantCount() == 2) {
        for (int i = 0; i < 8; ++i, ++sent) room->broadcastChat(line);
        runFor(1ms);  // Lets the main loop see a dropped socket close.
        // The reader keeps up (its own queue stays small).
        REQUIRE(reader.readUntil(
            [&] {
                readerGot += countFrames(reader.received(), "xxxxxxxx");
                return readerGot >= sent || room->participantCount() < 2;
            },
            10s));
    }
    INFO("lines sent before the drop: " << sent);
    REQUIRE(waitUntil([&] { return room->participantCount() == 1; }, 10s));
    CHECK(sent < kMaxLines / 2);  // dropped well before 16 MB
    CHECK(rssBytes() - before < 24 * kMiB);
    REQUIRE(waitUntil([&] { return ts.server->connectionCount() == 1; }, 10s));

    // The reader is still in the room and still receives.
    line.text = "after the drop";
    room->broadcastChat(line);
    CHECK(reader.readUntil(
        [&] { return reader.received().find("after the drop") != std::string::npos; }, 10s));
    CHECK_FALSE(reader.closedByPeer());
}

// [no-asan]: RSS growth is the check, and ASan's quarantine keeps freed memory resident.
TEST_CASE("a 64 MiB request body is answered 413 without being stored",
          "[hostile][transport][no-asan]") {
    TestServer ts = limitedServer([](http::Limits& l) { l.requestTimeoutS = 30; });
    int port = ts.server->port();
    long long before = rssBytes();
    {
        RawClient c(port);
        constexpr long long kBody = 64 * kMiB;
        c.send("POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
               "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(kBody) +
               "\r\n\r\n");
        std::string block(kMiB, 'a');
        for (long long at = 0; at < kBody && !c.closedByPeer(); at += kMiB) {
            if (!c.send(block)) break;
            c.drain();
        }
        REQUIRE(c.readUntil([&] { return c.hasStatusLine(); }, 20s));
        CHECK(c.status() == 413);
        CHECK(c.received().find("too-large") != std::string::npos);
        CHECK(c.waitClosed(10s));  // Connection: close
    }
    CHECK(rssBytes() - before < 16 * kMiB);

    {  // A chunked body is counted as it comes.
        RawClient c(port);
        c.send("POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
               "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        std::string chunk = "1000\r\n" + std::string(4096, 'a') + "\r\n";
        for (int i = 0; i < 256 && !c.closedByPeer(); ++i) c.send(chunk);
        c.send("0\r\n\r\n");
        REQUIRE(c.readUntil([&] { return c.hasStatusLine(); }, 20s));
        CHECK(c.status() == 413);
    }
    {  // A body under the limit still reaches the API.
        RawClient c(port);
        std::string body = R"({"username":"nobody","password":"wrong password"})";
        c.send("POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
               "\r\nOrigin: http://127.0.0.1:" + std::to_string(port) +
               "\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body);
        REQUIRE(c.readUntil([&] { return c.hasStatusLine(); }, 20s));
        CHECK(c.status() != 413);
        CHECK(c.status() >= 400);
    }
}

TEST_CASE("slow and silent connections are closed after request_timeout_s",
          "[hostile][transport]") {
    TestServer ts = limitedServer([](http::Limits& l) {
        l.requestTimeoutS = 1;
        l.idleTimeoutS = 30;
    });
    int port = ts.server->port();
    auto start = std::chrono::steady_clock::now();
    RawClient half(port), silent(port), drip(port), hugeBody(port);
    half.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    hugeBody.send(
        "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
        "1099511627776\r\n\r\n" +
        std::string(65536, 'a'));
    // The drip sends a header byte every 100 ms: never idle, never finished.
    drip.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    bool dripClosed = waitUntil(
        [&] {
            drip.send("a");
            drip.drain();
            runFor(100ms);
            return drip.closedByPeer();
        },
        8s);
    CHECK(dripClosed);
    CHECK(half.waitClosed(8s));
    CHECK(silent.waitClosed(8s));
    CHECK(hugeBody.waitClosed(8s));
    CHECK(std::chrono::steady_clock::now() - start >= 900ms);
    CHECK(waitUntil([&] { return ts.server->httpConnectionCount() == 0; }, 5s));
    CHECK(getIndex(port) == 200);
}

TEST_CASE("a WebSocket that stops answering pings is closed and its participant leaves",
          "[hostile][transport]") {
    // A vanished client may come back with its resume token: it leaves once the grace period
    // (1 s here) is over too (docs/protocol.md, "Reconnecting").
    TestServer ts(true, {"127.0.0.1"}, [](app::Config& c) {
        c.limits.idleTimeoutS =
            3;  // Three pings' worth: a loaded machine's hiccup is not a timeout.
        c.limits.pingIntervalS = 1;
        c.reconnectGraceMs = 1000;
    });
    int port = ts.server->port();
    RawClient silent(port), live(port);
    REQUIRE(openWebSocket(silent, port).rfind("HTTP/1.1 101", 0) == 0);
    REQUIRE(openWebSocket(live, port).rfind("HTTP/1.1 101", 0) == 0);
    silent.send(clientFrame(0x1, joinMessage("quiet", "silent")));
    live.send(clientFrame(0x1, joinMessage("quiet", "live")));
    int pings = 0;
    // The live client answers every ping with a pong, as browsers do.
    auto answerPings = [&] {
        live.drain();
        ServerFrame f;
        while (takeServerFrame(live.received(), f))
            if (f.opcode == 0x9) {
                ++pings;
                live.send(clientFrame(0xA, f.payload));
            }
        return false;
    };
    REQUIRE(waitUntil(
        [&] {
            answerPings();
            return ts.room("quiet") && ts.room("quiet")->participantCount() == 2;
        },
        20s));
    auto start = std::chrono::steady_clock::now();
    REQUIRE(waitUntil(
        [&] {
            answerPings();
            return ts.room("quiet")->participantCount() == 1;
        },
        15s));
    CHECK(std::chrono::steady_clock::now() - start >= 2s);
    CHECK(silent.waitClosed(5s));
    // The live one stays, well past the idle timeout.
    waitUntil(answerPings, 5s);
    CHECK(pings >= 4);
    CHECK_FALSE(live.closedByPeer());
    REQUIRE(ts.room("quiet"));
    CHECK(ts.room("quiet")->participantCount() == 1);
}

TEST_CASE("connections are capped per address and in total", "[hostile][transport]") {
    SECTION("per address") {
        TestServer ts = limitedServer([](http::Limits& l) {
            l.maxConnectionsPerAddress = 3;
            l.requestTimeoutS = 60;
        });
        int port = ts.server->port();
        std::vector<std::unique_ptr<RawClient>> held;
        for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawClient>(port));
        REQUIRE(waitUntil([&] { return ts.server->httpConnectionCount() == 3; }, 10s));
        RawClient extra(port);
        CHECK(extra.waitClosed(10s));
        CHECK(ts.server->httpConnectionCount() == 3);
        held.pop_back();
        REQUIRE(waitUntil([&] { return ts.server->httpConnectionCount() == 2; }, 10s));
        CHECK(getIndex(port) == 200);
    }
    SECTION("in total") {
        TestServer ts = limitedServer([](http::Limits& l) {
            l.maxConnections = 4;
            l.maxConnectionsPerAddress = 0;
            l.requestTimeoutS = 60;
        });
        int port = ts.server->port();
        std::vector<std::unique_ptr<RawClient>> held;
        for (int i = 0; i < 4; ++i) held.push_back(std::make_unique<RawClient>(port));
        REQUIRE(waitUntil([&] { return ts.server->httpConnectionCount() == 4; }, 10s));
        RawClient extra(port);
        CHECK(extra.waitClosed(10s));
        held.clear();
        REQUIRE(waitUntil([&] { return ts.server->httpConnectionCount() == 0; }, 10s));
        CHECK(getIndex(port) == 200);
    }
}

namespace {
/// The real mixmeet binary as a child process under resource limits, as `prlimit` would run
/// it: RLIMIT_NOFILE and RLIMIT_AS are set between fork and exec.
struct LimitedProcess {
    GPid pid = 0;
    int port = 0;
    std::string dir;
    static inline rlim_t nofile = 0;
    static inline rlim_t addressSpace = 0;

    /// `limits`: extra lines for the [limits] section.
    LimitedProcess(rlim_t fds, rlim_t as, const std::string& limits = {}) {
        nofile = fds;
        addressSpace = as;
        g_autofree gchar* d = g_dir_make_tmp("mixmeet-limited-XXXXXX", nullptr);
        dir = d;
        std::string ini = dir + "/mixmeet.ini";
        std::string text = "[server]\nport=0\ndata_dir=" + dir +
                           "\n[auth]\npassword_hash=minimum\n[limits]\nrequest_timeout_s=30\n" +
                           limits;
        g_file_set_contents(ini.c_str(), text.c_str(), -1, nullptr);
        const char* argv[] = {MIXMEET_SERVER_BINARY, "serve", "--config", ini.c_str(), nullptr};
        int out = -1;
        bool spawned = g_spawn_async_with_pipes(
            nullptr, const_cast<char**>(argv), nullptr, G_SPAWN_DO_NOT_REAP_CHILD,
            [](gpointer) {
                struct rlimit f {
                    nofile, nofile
                };
                setrlimit(RLIMIT_NOFILE, &f);
                struct rlimit a {
                    addressSpace, addressSpace
                };
                setrlimit(RLIMIT_AS, &a);
            },
            nullptr, &pid, nullptr, &out, nullptr, nullptr);
        REQUIRE(spawned);
        // "mixmeet: listening on http://127.0.0.1:PORT/"
        std::string line;
        auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline &&
               line.find('\n') == std::string::npos) {
            pollfd p{out, POLLIN, 0};
            if (poll(&p, 1, 100) <= 0) continue;
            char buf[256];
            ssize_t n = read(out, buf, sizeof buf);
            if (n <= 0) break;
            line.append(buf, static_cast<std::size_t>(n));
        }
        ::close(out);
        auto colon = line.rfind(':');
        INFO("server said: " << line);
        REQUIRE(colon != std::string::npos);
        port = std::atoi(line.c_str() + colon + 1);
        REQUIRE(port > 0);
    }
    ~LimitedProcess() {
        if (pid > 0) {
            kill(pid, SIGTERM);
            int status = 0;
            waitpid(pid, &status, 0);
            g_spawn_close_pid(pid);
        }
        for (const char* f :
             {"/mixmeet.sqlite", "/mixmeet.sqlite-wal", "/mixmeet.sqlite-shm", "/mixmeet.ini"})
            g_remove((dir + f).c_str());
        g_rmdir(dir.c_str());
    }
    bool alive() const { return waitpid(pid, nullptr, WNOHANG) == 0; }
    /// A line of /proc/PID/status ("VmHWM", "VmSize"), in bytes.
    long long statusKb(const std::string& key) const {
        std::ifstream s("/proc/" + std::to_string(pid) + "/status");
        std::string name;
        long long value = 0;
        while (s >> name) {
            if (name == key + ":") {
                s >> value;
                return value * 1024;
            }
            std::getline(s, name);
        }
        return 0;
    }
};
}  // namespace

TEST_CASE(
    "the real server under RLIMIT_NOFILE and RLIMIT_AS survives a connection flood and "
    "a 400 MiB body",
    "[hostile][transport][process][no-asan]") {
    // 160 descriptors: at most (160 - 64) / 2 = 48 connections. 1 GiB of address space: a
    // copy or two of a 400 MiB body do not fit.
    LimitedProcess server(160, 1024 * kMiB);
    int port = server.port;
    REQUIRE(getIndex(port) == 200);
    long long peakBefore = server.statusKb("VmHWM");

    std::vector<std::unique_ptr<RawClient>> flood;
    for (int i = 0; i < 200; ++i) flood.push_back(std::make_unique<RawClient>(port));
    int refused = 0;
    waitUntil(
        [&] {
            refused = 0;
            for (auto& c : flood) {
                c->drain();
                refused += c->closedByPeer() ? 1 : 0;
            }
            return refused >= 200 - 48;
        },
        20s);
    CHECK(refused >= 200 - 48);
    REQUIRE(server.alive());
    flood.clear();
    // Once the flood is gone, the server answers again.
    CHECK(waitUntil([&] { return getIndex(port) == 200; }, 20s));

    RawClient c(port);
    constexpr long long kBody = 400 * kMiB;
    c.send("POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(kBody) +
           "\r\n\r\n");
    std::string block(kMiB, 'a');
    for (long long at = 0; at < kBody && !c.closedByPeer(); at += kMiB)
        if (!c.send(block)) break;
    REQUIRE(c.readUntil([&] { return c.hasStatusLine() || c.closedByPeer(); }, 30s));
    CHECK(c.status() == 413);
    REQUIRE(server.alive());
    CHECK(server.statusKb("VmHWM") - peakBefore < 64 * kMiB);
    CHECK(getIndex(port) == 200);
}

// [no-asan]: the sanitized binary does not start under the lowered RLIMIT_NOFILE.
TEST_CASE("the real server pauses accepting when descriptors run out, and recovers",
          "[hostile][transport][process][no-asan]") {
    // The cap set above the descriptor limit on purpose: accept(2) itself fails with EMFILE.
    // libsoup's own listener stopped accepting for good then; a naive loop would spin.
    LimitedProcess server(100, 1024 * kMiB,
                          "max_connections=1000\nmax_connections_per_address=0\n");
    int port = server.port;
    REQUIRE(getIndex(port) == 200);
    std::vector<std::unique_ptr<RawClient>> flood;
    for (int i = 0; i < 150; ++i) flood.push_back(std::make_unique<RawClient>(port));
    runFor(1s);
    REQUIRE(server.alive());
    flood.clear();
    CHECK(waitUntil([&] { return getIndex(port) == 200; }, 20s));
    REQUIRE(server.alive());
}
