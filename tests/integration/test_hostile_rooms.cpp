// Hostile clients against rooms (docs/security.md, "Signaling"): the room cap, joins refused
// cleanly when the process runs short of descriptors, a room whose media cannot start, and
// teardown that never holds the main loop. Some run the real binary as a child process with
// lowered limits (ServerProcess); the others run the server in this process, where the leak
// tracer (GST_TRACERS=leaks) checks that refused rooms leave no element behind.
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ServerProcess.h"
#include "SignalClient.h"
#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "media/Teardown.h"
#include "mixmeet-config.h"

using namespace mixmeet;
using namespace mixmeet::testing;
using namespace std::chrono_literals;
namespace errc = protocol::errc;

#ifndef MIXMEET_SERVER_BINARY
#error "MIXMEET_SERVER_BINARY: the mixmeet executable (tests/meson.build)"
#endif

namespace {

/// A bare client that joins `room` at once.
std::unique_ptr<SignalClient> joinRoom(const std::string& url, const std::string& room) {
    auto c = std::make_unique<SignalClient>(url, "");
    c->send(protocol::Join{protocol::kVersion, room, "guest"});
    return c;
}

/// Waits until the client was welcomed or refused; true if welcomed.
bool welcomed(SignalClient& c) {
    waitUntil([&] { return c.has<protocol::Welcome>() || c.has<protocol::ErrorReply>(); }, 20s);
    return c.has<protocol::Welcome>();
}

std::string describeErrors(const SignalClient& c) {
    std::string s;
    for (const auto& e : c.all<protocol::ErrorReply>()) s += e.code + ": " + e.message + "; ";
    return s;
}

/// A copy of pipelines/ in a temporary directory with fragment `name` replaced by `text`.
class PipelinesCopy {
public:
    PipelinesCopy(const std::string& name, const std::string& text) {
        gchar* dir = g_dir_make_tmp("mixmeet-pipelines-XXXXXX", nullptr);
        dir_ = dir;
        g_free(dir);
        const std::string source = std::string(MIXMEET_SOURCE_DIR) + "/pipelines";
        GDir* d = g_dir_open(source.c_str(), 0, nullptr);
        REQUIRE(d);
        while (const char* entry = g_dir_read_name(d)) {
            std::ifstream in(source + "/" + entry);
            std::stringstream buf;
            buf << in.rdbuf();
            files_.push_back(dir_ + "/" + entry);
            std::ofstream(files_.back()) << buf.str();
        }
        g_dir_close(d);
        std::ofstream(dir_ + "/" + name + ".pipeline") << text << "\n";
    }
    ~PipelinesCopy() {
        for (const auto& f : files_) g_remove(f.c_str());
        g_rmdir(dir_.c_str());
    }
    const std::string& dir() const { return dir_; }

private:
    std::string dir_;
    std::vector<std::string> files_;
};

/// An Opus encode fragment that parses but cannot start: its filesink cannot open its file,
/// so the room pipeline fails to reach PLAYING (as when a thread or a descriptor cannot be
/// had while it starts).
constexpr const char* kUnstartableOpus =
    "opusenc name=encoder ! tee name=t ! queue t. ! queue ! "
    "filesink location=/nonexistent-mixmeet-dir/out.opus";

/// Counts buffers through every `identity` of a pipeline (its "handoff" signal fires on the
/// streaming thread just before the buffer goes on, and before `sleep-time`).
struct Handoffs {
    std::atomic<int> count{0};
};

/// Connects `handoffs` to the first `identity` inside `bin`; false if there is none yet.
bool watchIdentity(GstBin* bin, const std::shared_ptr<Handoffs>& handoffs) {
    GstIterator* it = gst_bin_iterate_recurse(bin);
    GValue item = G_VALUE_INIT;
    bool found = false;
    while (!found && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
        auto* e = GST_ELEMENT(g_value_get_object(&item));
        GstElementFactory* f = gst_element_get_factory(e);
        if (f && g_strcmp0(GST_OBJECT_NAME(f), "identity") == 0) {
            g_signal_connect_data(
                e, "handoff", G_CALLBACK(+[](GstElement*, GstBuffer*, gpointer data) noexcept {
                    static_cast<std::shared_ptr<Handoffs>*>(data)->get()->count++;
                }),
                new std::shared_ptr<Handoffs>(handoffs),
                [](gpointer data, GClosure*) noexcept {
                    delete static_cast<std::shared_ptr<Handoffs>*>(data);
                },
                GConnectFlags{});
            found = true;
        }
        g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(it);
    return found;
}

/// The longest gap between dispatches of a 10 ms timer on the main context, ms.
class MainLoopGaps {
public:
    MainLoopGaps() {
        last_ = g_get_monotonic_time();
        source_ = g_timeout_add(
            10,
            [](gpointer d) -> gboolean {
                auto* self = static_cast<MainLoopGaps*>(d);
                gint64 now = g_get_monotonic_time();
                self->maxGapMs_ = std::max(self->maxGapMs_, (now - self->last_) / 1000);
                self->last_ = now;
                return G_SOURCE_CONTINUE;
            },
            this);
    }
    ~MainLoopGaps() { g_source_remove(source_); }
    gint64 maxGapMs() const { return maxGapMs_; }

private:
    guint source_ = 0;
    gint64 last_ = 0;
    gint64 maxGapMs_ = 0;
};

/// GET `url` from this process; how long the answer took, ms (-1: none in 10 s).
gint64 httpRoundTripMs(const std::string& url) {
    core::GPtr<SoupSession> session = core::GPtr<SoupSession>::adopt(soup_session_new());
    core::GPtr<SoupMessage> msg =
        core::GPtr<SoupMessage>::adopt(soup_message_new("GET", url.c_str()));
    auto done = std::make_shared<bool>(false);
    gint64 start = g_get_monotonic_time();
    soup_session_send_and_read_async(
        session.get(), msg.get(), G_PRIORITY_DEFAULT, nullptr,
        [](GObject* source, GAsyncResult* result, gpointer data) noexcept {
            std::unique_ptr<std::shared_ptr<bool>> box(static_cast<std::shared_ptr<bool>*>(data));
            if (GBytes* b =
                    soup_session_send_and_read_finish(SOUP_SESSION(source), result, nullptr))
                g_bytes_unref(b);
            **box = true;
        },
        new std::shared_ptr<bool>(done));
    if (!waitUntil([&] { return *done; }, 10s)) {
        soup_session_abort(session.get());
        waitUntil([&] { return *done; }, 1s);
        return -1;
    }
    return (g_get_monotonic_time() - start) / 1000;
}

}  // namespace

TEST_CASE("past max_rooms a new room is refused with room-limit; leaving frees a slot",
          "[hostile][rooms]") {
    TestServer ts(true, {"127.0.0.1"}, [](app::Config& c) { c.roomLimits.maxRooms = 2; });
    auto a = joinRoom(ts.wsUrl(), "a");
    auto b = joinRoom(ts.wsUrl(), "b");
    REQUIRE(welcomed(*a));
    REQUIRE(welcomed(*b));
    // Another participant of an open room opens no room.
    auto a2 = joinRoom(ts.wsUrl(), "a");
    REQUIRE(welcomed(*a2));

    auto c = joinRoom(ts.wsUrl(), "c");
    CHECK_FALSE(welcomed(*c));
    INFO(describeErrors(*c));
    CHECK(c->hasError(errc::kRoomLimit));
    REQUIRE(waitUntil([&] { return c->closed(); }, 5s));
    CHECK(c->closeCode() == 1008);
    CHECK(ts.room("c") == nullptr);
    CHECK(ts.server->rooms().liveRoomCount() == 2);

    // Both participants of room a leave: its slot is free again.
    a.reset();
    a2.reset();
    REQUIRE(waitUntil([&] { return ts.room("a") == nullptr; }, 10s));
    auto c2 = joinRoom(ts.wsUrl(), "c");
    INFO(describeErrors(*c2));
    CHECK(welcomed(*c2));
    CHECK(ts.room("c") != nullptr);
}

TEST_CASE("a room whose media cannot start is refused with server-busy and leaves nothing",
          "[hostile][rooms]") {
    PipelinesCopy pipelines("audio-encode-opus", kUnstartableOpus);
    TestServer ts(true, {"127.0.0.1"}, [&](app::Config& c) { c.pipelinesDir = pipelines.dir(); });
    for (int i = 0; i < 3; ++i) {  // Again and again: each refusal cleans up after itself.
        auto c = joinRoom(ts.wsUrl(), "doomed");
        CHECK_FALSE(welcomed(*c));
        INFO(describeErrors(*c));
        CHECK(c->hasError(errc::kServerBusy));
        REQUIRE(waitUntil([&] { return c->closed(); }, 5s));
        CHECK(c->closeCode() == 1008);
    }
    CHECK(ts.server->rooms().roomCount() == 0);
    // Every element the refused rooms built is stopped and freed (the leak tracer checks at
    // exit that none survives).
    CHECK(media::Teardown::drain(10s));
}

TEST_CASE("a server whose rooms cannot start still stops at once on SIGTERM", "[hostile][rooms]") {
    PipelinesCopy pipelines("audio-encode-opus", kUnstartableOpus);
    ServerSettings settings;
    settings.binary = MIXMEET_SERVER_BINARY;
    settings.extraConfig = "[server]\npipelines_dir=" + pipelines.dir() + "\n";
    ServerProcess server(settings);
    std::string error;
    REQUIRE(server.start(error));
    for (int i = 0; i < 3; ++i) {
        auto c = joinRoom(server.wsUrl(), "doomed-" + std::to_string(i));
        CHECK_FALSE(welcomed(*c));
        INFO(describeErrors(*c));
        CHECK(c->hasError(errc::kServerBusy));
    }
    CHECK(server.get("/api/stats").status == 200);
    const auto start = std::chrono::steady_clock::now();
    CHECK(server.stop(5s));
    CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("a server stops promptly on SIGTERM while a room's media is stuck", "[hostile][rooms]") {
    // Every composite frame waits 60 s before the video encoder. The composite runs from the
    // room's start, so by the time a participant has connected, the room cannot reach NULL
    // for a minute. Stopped on the main thread, that held the exit for a minute (and a
    // streaming thread that never started, for good).
    PipelinesCopy pipelines("video-encode-vp8",
                            "identity sleep-time=60000000 ! vp8enc name=encoder deadline=1 "
                            "cpu-used=-12 lag-in-frames=0 end-usage=cbr");
    ServerSettings settings;
    settings.binary = MIXMEET_SERVER_BINARY;
    settings.extraConfig = "[server]\npipelines_dir=" + pipelines.dir() + "\n";
    ServerProcess server(settings);
    std::string error;
    REQUIRE(server.start(error));
    auto serverLog = [&] {
        gchar* text = nullptr;
        std::string s;
        if (g_file_get_contents(server.logPath().c_str(), &text, nullptr, nullptr)) s = text;
        g_free(text);
        return s;
    };
    PeerOptions o;
    o.url = server.wsUrl();
    o.room = "stuck";
    o.name = "stuck";
    o.sendVideo = false;
    o.receiveVideo = false;
    SyntheticPeer peer(o);
    peer.start();
    // Frames have been going into the stuck encode for a while when the peer has connected.
    REQUIRE(waitUntil(
        [&] { return serverLog().find("room stuck: p1: connected") != std::string::npos; }, 30s));

    const auto start = std::chrono::steady_clock::now();
    CHECK(server.stop(90s));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    INFO("stopped in " << took.count() << " ms");
    // Bye to the clients (at most 2 s), then at most Server::kTeardownDrainMs (5 s).
    CHECK(took < 15s);
    // The pipeline was really stuck (else this test proves nothing).
    CHECK(serverLog().find("still stopping") != std::string::npos);
}

namespace {
/// Room 0 with a real participant first, then new rooms of bare clients until a join is
/// refused; checks the refusal is server-busy, the server keeps serving and room 0 keeps
/// working, and that a room fits again once the others ended. `limit` names the lowered
/// limit in messages.
void roomsUntilRefused(ServerSettings settings, const char* limit) {
    settings.binary = MIXMEET_SERVER_BINARY;
    // The rooms in the server's own process: this tests one process running short (each media
    // worker applies the same admission to itself, docs/workers.md).
    settings.extraConfig = "[limits]\nmax_rooms=1000\n[workers]\ncount=0\n";
    ServerProcess server(settings);
    std::string error;
    REQUIRE(server.start(error));

    PeerOptions o;
    o.url = server.wsUrl();
    o.room = "r0";
    o.name = "first";
    o.width = 160;
    o.height = 120;
    SyntheticPeer first(o);
    first.start();
    REQUIRE(waitUntil([&] { return first.videoFramesDecoded() > 5; }, 30s));

    std::vector<std::unique_ptr<SignalClient>> clients;
    bool refused = false;
    for (int i = 1; i <= 60 && !refused; ++i) {  // Bounded: the limit allows ~8.
        auto c = joinRoom(server.wsUrl(), "r" + std::to_string(i));
        if (!welcomed(*c)) {
            INFO(describeErrors(*c));
            CHECK(c->hasError(errc::kServerBusy));
            refused = true;
        }
        // The offer comes with the ICE agent's sockets: let them open before the next join.
        waitUntil([&] { return c->has<protocol::Offer>() || c->closed(); }, 10s);
        clients.push_back(std::move(c));
    }
    std::fprintf(stderr, "%s: %zu rooms fitted besides the first; %ld fds, %ld kB address space\n",
                 limit, clients.size() - 1, server.openFds(), server.statusField("VmSize"));
    REQUIRE(refused);
    CHECK(clients.size() >= 2);  // Some rooms fitted before the refusal.
    CHECK(server.running());

    // Refused again, cleanly, while short; the server still answers HTTP.
    auto again = joinRoom(server.wsUrl(), "one-more");
    CHECK_FALSE(welcomed(*again));
    CHECK(again->hasError(errc::kServerBusy));
    CHECK(server.get("/api/stats").status == 200);

    // The first room still works: its participant keeps receiving the composite.
    const auto before = first.videoFramesDecoded();
    CHECK(waitUntil([&] { return first.videoFramesDecoded() > before + 15; }, 20s));
    CHECK(first.connected());

    // Rooms that end give their descriptors back: a new room fits again.
    clients.clear();
    again.reset();
    auto later = joinRoom(server.wsUrl(), "later");
    bool fits = false;
    for (int attempt = 0; attempt < 20 && !fits; ++attempt) {
        if (welcomed(*later)) {
            fits = true;
        } else {
            waitUntil([] { return false; }, 500ms);  // The others' teardown is under way.
            later = joinRoom(server.wsUrl(), "later");
        }
    }
    CHECK(fits);
    CHECK(server.stop(10s));
}
}  // namespace

TEST_CASE("with few file descriptors joins are refused with server-busy and the rest goes on",
          "[hostile][rooms]") {
    ServerSettings settings;
    settings.limits = {{RLIMIT_NOFILE, 320}};
    roomsUntilRefused(settings, "RLIMIT_NOFILE 320");
}

TEST_CASE("with little address space joins are refused with server-busy and the rest goes on",
          "[hostile][rooms][no-asan]") {
    // Threads failed to start under such a limit ("failed to create thread"), and a room was
    // left half-built with the main loop blocked for good.
    ServerSettings settings;
    settings.limits = {{RLIMIT_AS, rlim_t{1536} << 20}};
    roomsUntilRefused(settings, "RLIMIT_AS 1536 MB");
}

TEST_CASE("a room's teardown does not hold the main loop while its streaming threads finish",
          "[hostile][rooms]") {
    // Each RTP packet of the participant's video waits 3 s in its decoder chain: setting its
    // bin to NULL waits for that streaming thread (as for any streaming thread blocked
    // downstream). Done on the main thread, that stalled every room and connection.
    PipelinesCopy pipelines("video-decode-vp8",
                            "identity sleep-time=3000000 ! rtpvp8depay request-keyframe=true "
                            "wait-for-keyframe=true ! vp8dec threads=1");
    TestServer ts(true, {"127.0.0.1"}, [&](app::Config& c) { c.pipelinesDir = pipelines.dir(); });
    auto other = joinRoom(ts.wsUrl(), "other");
    REQUIRE(welcomed(*other));

    SyntheticPeer slow(ts.peerOptions("slow", "slow"));
    slow.start();
    REQUIRE(waitUntil([&] { return slow.connected(); }, 30s));
    auto handoffs = std::make_shared<Handoffs>();
    REQUIRE(waitUntil(
        [&] {
            room::Room* r = ts.room("slow");
            return r && watchIdentity(GST_BIN(r->pipeline()), handoffs);
        },
        20s));
    REQUIRE(waitUntil([&] { return handoffs->count > 0; }, 20s));
    // Leave just as the streaming thread starts its next 3 s wait.
    const int seen = handoffs->count;
    REQUIRE(waitUntil([&] { return handoffs->count > seen; }, 10s));
    slow.sendRaw(R"({"type":"leave"})");

    MainLoopGaps gaps;
    const std::string stats =
        "http://127.0.0.1:" + std::to_string(ts.server->port()) + "/api/stats";
    gint64 roundTrip = httpRoundTripMs(stats);
    REQUIRE(waitUntil([&] { return ts.room("slow") == nullptr; }, 10s));
    gint64 roundTripAfter = httpRoundTripMs(stats);
    runFor(300ms);
    INFO("longest main-loop gap " << gaps.maxGapMs() << " ms, HTTP round trips " << roundTrip
                                  << " and " << roundTripAfter << " ms");
    CHECK(gaps.maxGapMs() < 1000);
    CHECK(roundTrip >= 0);
    CHECK(roundTrip < 1000);
    CHECK(roundTripAfter >= 0);
    CHECK(roundTripAfter < 1000);
    CHECK(other->open());
    // The teardown thread finishes once the 3 s wait is over.
    CHECK(media::Teardown::drain(15s));
}
