// Rooms in media worker processes (docs/workers.md): the real server with [workers] count
// set, its workers the real `mixmeet worker` binary, real webrtcbin peers. Media flows through
// a worker like through an in-process room; a worker killed with SIGSEGV costs only its own
// rooms (the others' viewers see no gap over 200 ms), its participants come back by
// themselves (bye media-lost, then a resume) within 10 s with their history rows neither lost
// nor doubled, and the worker is restarted. Tagged [workers].
#include <signal.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "PeerSummary.h"
#include "Sanitized.h"
#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "app/Server.h"
#include "auth/Tokens.h"
#include "store/Store.h"
#include "worker/WorkerPool.h"

using namespace mixmeet;
using namespace std::chrono_literals;
using testing::PeerOptions;
using testing::SyntheticPeer;
using testing::TestServer;
using testing::waitUntil;

namespace {

int64_t wallMs() {
    return g_get_real_time() / 1000;
}

/// The server of these tests: rooms in `workers` worker processes (the built binary, as
/// main.cpp sets MIXMEET_WORKER_BINARY), a reconnect grace period, meetings (not open rooms).
/// `callTimeoutMs`: [workers] call_timeout_ms.
std::unique_ptr<TestServer> workerServer(int workers, int callTimeoutMs = 10000) {
    return std::make_unique<TestServer>(false, std::vector<std::string>{"127.0.0.1"},
                                        [workers, callTimeoutMs](app::Config& c) {
                                            c.workers = workers;
                                            c.reconnectGraceMs = 20000;
                                            c.workerCallTimeoutMs = callTimeoutMs;
                                        });
}

/// A stored meeting `id` that admits guests.
void meeting(TestServer& s, const std::string& id) {
    store::NewUser u{"owner-" + id + "@example.org", "o" + id.substr(0, 3) + id.substr(9), "Owner",
                     "$argon2id$unused", wallMs()};
    auto user = s.server->store().createUser(u);
    REQUIRE(user);
    REQUIRE(s.server->store().createMeeting({id, "Worker test", user.value().id, true, wallMs()}));
}

std::unique_ptr<SyntheticPeer> peer(const TestServer& s, const std::string& room,
                                    const std::string& name) {
    PeerOptions o = s.peerOptions(room, name);
    o.width = 160;
    o.height = 120;
    auto p = std::make_unique<SyntheticPeer>(o);
    p->start();
    return p;
}

bool flowing(const SyntheticPeer& p, std::size_t roster, uint64_t framesAbove = 0) {
    return p.connected() && p.videoFramesDecoded() >= framesAbove + 5 &&
           p.audioSamplesReceived() > 24000 && p.roster().size() == roster;
}

std::size_t rows(TestServer& s, const std::string& id, bool openOnly) {
    auto r = s.server->store().participationsForMeeting(id);
    REQUIRE(r);
    return static_cast<std::size_t>(
        std::count_if(r.value().begin(), r.value().end(),
                      [&](const auto& row) { return !openOnly || !row.leftAt; }));
}

}  // namespace

TEST_CASE("rooms in media workers: media both ways, no element in the server's own process",
          "[workers]") {
    auto s = workerServer(2);
    worker::WorkerPool* pool = s->server->workers();
    REQUIRE(pool);
    CHECK(pool->runningWorkers() == 2);
    meeting(*s, "wor-kers-one");
    auto a = peer(*s, "wor-kers-one", "Ann");
    auto b = peer(*s, "wor-kers-one", "Bob");
    INFO(testing::sessionSummary(*a) << "\n" << testing::sessionSummary(*b));
    REQUIRE(waitUntil([&] { return flowing(*a, 2) && flowing(*b, 2); }, 20s));
    // The room runs in a worker, not here.
    CHECK(s->server->rooms().roomCount() == 0);
    CHECK(pool->roomCount() == 1);
    CHECK(pool->participantCount() == 2);
    CHECK(pool->pidOfRoom("wor-kers-one") > 0);
    CHECK(pool->pidOfRoom("wor-kers-one") != getpid());
    CHECK(rows(*s, "wor-kers-one", true) == 2);
    // Bob leaves: his row closes, Ann's roster shrinks.
    b->leave();
    REQUIRE(waitUntil([&] { return a->roster().size() == 1; }, 10s));
    CHECK(rows(*s, "wor-kers-one", true) == 1);
    CHECK(rows(*s, "wor-kers-one", false) == 2);
}

TEST_CASE("a worker killed with SIGSEGV costs only its own rooms; they come back by themselves",
          "[workers]") {
    auto s = workerServer(3);
    worker::WorkerPool* pool = s->server->workers();
    REQUIRE(pool);
    const std::vector<std::string> rooms{"cra-shed-one", "sta-ysup-two", "sta-ysup-thr"};
    std::vector<std::unique_ptr<SyntheticPeer>> peers;  // Two per room, in room order.
    for (const auto& r : rooms) {
        meeting(*s, r);
        peers.push_back(peer(*s, r, "Ann"));
        peers.push_back(peer(*s, r, "Bob"));
    }
    auto all = [&](std::size_t from, std::size_t to, uint64_t above = 0) {
        for (std::size_t i = from; i < to; ++i)
            if (!flowing(*peers[i], 2, above)) return false;
        return true;
    };
    REQUIRE(waitUntil([&] { return all(0, peers.size()); }, 30s));
    // Placed by load: one room per worker.
    std::set<int> pids;
    for (const auto& r : rooms) pids.insert(pool->pidOfRoom(r));
    REQUIRE(pids.size() == 3);
    const int victim = pool->pidOfRoom(rooms[0]);

    std::vector<uint64_t> framesAtKill;
    for (std::size_t i = 2; i < peers.size(); ++i) {
        peers[i]->clearLatencySamples();
        framesAtKill.push_back(peers[i]->videoFramesDecoded());
    }
    REQUIRE(::kill(victim, SIGSEGV) == 0);

    // The crashed room's participants are told and come back as a page does (resume).
    for (std::size_t i = 0; i < 2; ++i) {
        INFO(testing::sessionSummary(*peers[i]));
        REQUIRE(waitUntil([&] { return peers[i]->byeReason() == "media-lost"; }, 5s));
    }
    const auto told = std::chrono::steady_clock::now();
    const uint64_t framesA = peers[0]->videoFramesDecoded();
    const uint64_t framesB = peers[1]->videoFramesDecoded();
    peers[0]->reconnect(SyntheticPeer::ReconnectMode::Resume);
    peers[1]->reconnect(SyntheticPeer::ReconnectMode::Resume);
    INFO(testing::sessionSummary(*peers[0]) << "\n" << testing::sessionSummary(*peers[1]));
    REQUIRE(waitUntil(
        [&] {
            return peers[0]->resumed() && peers[1]->resumed() && flowing(*peers[0], 2, framesA) &&
                   flowing(*peers[1], 2, framesB);
        },
        10s));
    const auto back = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - told);
    WARN("crashed room back (both resumed, media flowing) " << back.count() << " ms after bye");
    // A new worker runs the room; the killed one was restarted.
    CHECK(pool->pidOfRoom(rooms[0]) != victim);
    REQUIRE(waitUntil([&] { return pool->runningWorkers() == 3; }, 10s));
    CHECK(pool->restarts() == 1);
    // One history row each, still open: neither lost nor doubled.
    CHECK(rows(*s, rooms[0], false) == 2);
    CHECK(rows(*s, rooms[0], true) == 2);

    // The other rooms never stopped: their workers kept running and their viewers saw no gap
    // over a window of at least 3 s (90 frames at 30 fps) from the kill.
    for (std::size_t r = 1; r < rooms.size(); ++r) CHECK(pool->pidOfRoom(rooms[r]) > 0);
    REQUIRE(waitUntil(
        [&] {
            for (std::size_t i = 2; i < peers.size(); ++i)
                if (peers[i]->videoFramesDecoded() < framesAtKill[i - 2] + 90) return false;
            return true;
        },
        20s));
    for (std::size_t i = 2; i < peers.size(); ++i) {
        const testing::FrameGaps gaps = peers[i]->frameGaps();
        INFO(testing::sessionSummary(*peers[i]) << " longest gap " << gaps.longestMs << " ms");
        CHECK(peers[i]->byeReason().empty());
        CHECK(flowing(*peers[i], 2));
        // Under ASan the whole machine runs 2-5x slower (tests/support/Sanitized.h).
        CHECK(gaps.longestMs < (testing::kSanitized ? 1000.0 : 200.0));
    }
    for (std::size_t r = 1; r < rooms.size(); ++r) CHECK(rows(*s, rooms[r], true) == 2);
}

TEST_CASE("a hung worker (SIGSTOP) is found by its heartbeat, killed, and its room comes back",
          "[workers]") {
    auto server = workerServer(2, 1000);
    TestServer& s = *server;
    worker::WorkerPool* pool = s.server->workers();
    REQUIRE(pool);
    meeting(s, "hun-gwor-ker");
    auto a = peer(s, "hun-gwor-ker", "Ann");
    auto b = peer(s, "hun-gwor-ker", "Bob");
    REQUIRE(waitUntil([&] { return flowing(*a, 2) && flowing(*b, 2); }, 20s));
    const int victim = pool->pidOfRoom("hun-gwor-ker");
    REQUIRE(victim > 0);
    // No call is pending: only the heartbeat (every 2 s, 1 s to answer) can find it.
    REQUIRE(::kill(victim, SIGSTOP) == 0);
    INFO(testing::sessionSummary(*a) << "\n" << testing::sessionSummary(*b));
    REQUIRE(waitUntil([&] { return a->byeReason() == "media-lost"; }, 10s));
    REQUIRE(waitUntil([&] { return b->byeReason() == "media-lost"; }, 5s));
    CHECK(pool->restarts() == 1);
    const uint64_t framesA = a->videoFramesDecoded();
    const uint64_t framesB = b->videoFramesDecoded();
    a->reconnect(SyntheticPeer::ReconnectMode::Resume);
    b->reconnect(SyntheticPeer::ReconnectMode::Resume);
    REQUIRE(waitUntil(
        [&] {
            return a->resumed() && b->resumed() && flowing(*a, 2, framesA) &&
                   flowing(*b, 2, framesB);
        },
        10s));
    CHECK(pool->pidOfRoom("hun-gwor-ker") != victim);
    CHECK(rows(s, "hun-gwor-ker", false) == 2);
}
