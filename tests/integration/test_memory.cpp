// Memory the server keeps after rooms end (docs/performance.md, "Memory per room"): the real
// binary as a child, K rooms one after another, each with two synthetic participants that
// exchange media for a moment and leave; VmRSS of the idle server after each.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "ProcessTree.h"
#include "ServerProcess.h"
#include "SyntheticPeer.h"
#include "Wait.h"

using namespace mixmeet::testing;
using namespace std::chrono_literals;

namespace {

/// Runs `rooms` rooms one after another on `server`; the idle server's VmRSS (kB) before the
/// first and after each.
std::vector<long> residentAfterRooms(ServerProcess& server, int rooms) {
    std::vector<long> rss{mixmeet::testing::treeStatusField(server.pid(), "VmRSS")};
    for (int i = 0; i < rooms; ++i) {
        const std::string room = "mem" + std::to_string(i);
        std::vector<std::unique_ptr<SyntheticPeer>> peers;
        for (int p = 0; p < 2; ++p) {
            PeerOptions o;
            o.url = server.wsUrl();
            o.room = room;
            o.name = "p" + std::to_string(p);
            o.width = 160;
            o.height = 120;
            o.toneHz = 440.0 + 110.0 * p;
            o.keepFrames = false;
            peers.push_back(std::make_unique<SyntheticPeer>(o));
            peers.back()->start();
        }
        bool flowing = waitUntil(
            [&] {
                for (const auto& p : peers)
                    if (p->videoFramesDecoded() < 30 || p->audioSamplesReceived() < 48000)
                        return false;
                return true;
            },
            60s);
        CHECK(flowing);
        for (auto& p : peers) p->leave();
        peers.clear();
        // The room is gone from the model at once; its pipeline stops on a teardown thread.
        CHECK(waitUntil([&] { return !server.roomStats(room); }, 20s));
        // ... and is freed once the teardown threads are done: on a loaded machine they may
        // not have started when the RSS first looks steady (CI measured a room still held).
        CHECK(waitUntil([&] { return server.teardownsPending() == 0; }, 30s));
        long before = -1;
        // Idle: RSS stops moving once the teardown and the trim are done.
        waitUntil(
            [&] {
                long now = mixmeet::testing::treeStatusField(server.pid(), "VmRSS");
                bool steady = before > 0 && std::labs(now - before) < 256;
                before = now;
                if (!steady) runFor(300ms);
                return steady;
            },
            15s);
        rss.push_back(mixmeet::testing::treeStatusField(server.pid(), "VmRSS"));
    }
    return rss;
}

}  // namespace

// Run by hand to measure (docs/performance.md), with optional MIXMEET_MEMORY_BINARY=path,
// MIXMEET_MEMORY_ARENAS=0|2 and MIXMEET_MEMORY_ROOMS=12 in the environment:
//   build/tests/integration-tests "[.memory]"
TEST_CASE("idle memory after rooms one after another (measurement)", "[.memory]") {
    ServerSettings settings;
    const char* binary = std::getenv("MIXMEET_MEMORY_BINARY");
    settings.binary = binary ? binary : MIXMEET_SERVER_BINARY;
    if (const char* arenas = std::getenv("MIXMEET_MEMORY_ARENAS"))
        settings.extraConfig = std::string("[limits]\nmalloc_arenas=") + arenas + "\n";
    const char* count = std::getenv("MIXMEET_MEMORY_ROOMS");
    const int rooms = count ? std::atoi(count) : 12;
    ServerProcess server(settings);
    std::string error;
    REQUIRE(server.start(error));
    auto rss = residentAfterRooms(server, rooms);
    std::printf(
        "binary %s, arenas %s\nrooms | VmRSS MB\n", settings.binary.c_str(),
        std::getenv("MIXMEET_MEMORY_ARENAS") ? std::getenv("MIXMEET_MEMORY_ARENAS") : "default");
    for (std::size_t i = 0; i < rss.size(); ++i) std::printf("%zu | %.0f\n", i, rss[i] / 1024.0);
    std::printf("threads %ld\n", mixmeet::testing::treeStatusField(server.pid(), "Threads"));
    server.stop();
}

TEST_CASE("memory a room leaves behind is bounded: rooms after the first few add none",
          "[hostile][rooms][no-asan]") {
    ServerSettings settings;
    settings.binary = MIXMEET_SERVER_BINARY;
    settings.width = 1280;  // The default composite, where a room's buffers are largest.
    settings.height = 720;
    settings.videoBitrate = 1200000;
    // The rooms in the server process, as this bound was set and held over many CI runs.
    // In a media worker (one or two) the same room code showed a ~40 MB step at the fourth
    // or fifth room in 2 of 5 CI runs, cause not found yet (docs/workers.md, "Not done yet").
    settings.extraConfig = "[workers]\ncount=0\n";
    ServerProcess server(settings);
    std::string error;
    REQUIRE(server.start(error));
    auto rss = residentAfterRooms(server, 6);
    REQUIRE(rss.size() == 7);
    std::string table;
    for (long kb : rss) table += std::to_string(kb / 1024) + " MB ";
    INFO("idle VmRSS before and after each room: " << table);
    // Unbounded, each new room left ~33 MB behind in a malloc arena of its own (the third to
    // sixth rooms: +140 MB; with the trim alone +50 MB); bounded, they add a few MB at most.
    // Compared as the lower of the last two against the higher of the first two after the
    // first room: one reading taken before a room's memory went back (CI: 117 MB after the
    // sixth room, between 72 and 81 MB for the others) does not fail it; ~33 MB more per room
    // (the unbounded case) gives ~100 MB here.
    const long late = std::min(rss[5], rss[6]);
    const long early = std::max(rss[1], rss[2]);
    CHECK(late - early < 40 * 1024);
    CHECK(server.stop(10s));
}
