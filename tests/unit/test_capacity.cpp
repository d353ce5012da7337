#include <catch2/catch.hpp>

#include "core/ProcessResources.h"
#include "room/Capacity.h"

using mixmeet::core::ProcessResources;
using namespace mixmeet::room;

namespace {
/// A process far from every limit.
ProcessResources roomy() {
    ProcessResources r;
    r.openFds = 40;
    r.fdLimit = 1024;
    r.threads = 20;
    r.threadLimit = 4096;
    r.addressSpaceBytes = 1ull << 30;
    r.addressSpaceLimit = 8ull << 30;
    return r;
}
}  // namespace

TEST_CASE("a room fits while every limit keeps the reserve free", "[rooms]") {
    ProcessResources r = roomy();
    CHECK_FALSE(shortfall(r, cost::kRoom));
    ProcessResources unlimited;  // No limits at all.
    unlimited.openFds = 100000;
    CHECK_FALSE(shortfall(unlimited, cost::kRoom));
}

TEST_CASE("descriptors short of cost plus reserve refuse, naming the resource", "[rooms]") {
    ProcessResources r = roomy();
    r.openFds = r.fdLimit - cost::kReserve.fds - cost::kParticipant.fds;  // Exactly fits.
    CHECK_FALSE(shortfall(r, cost::kParticipant));
    ++r.openFds;
    auto why = shortfall(r, cost::kParticipant);
    REQUIRE(why);
    CHECK(why->find("file descriptors") != std::string::npos);
    r.openFds = r.fdLimit + 5;  // Over the limit already (it was lowered): no underflow.
    CHECK(shortfall(r, cost::kParticipant));
}

TEST_CASE("threads and address space are checked too", "[rooms]") {
    ProcessResources r = roomy();
    r.threads = r.threadLimit - cost::kReserve.threads;
    auto threads = shortfall(r, cost::kRoom);
    REQUIRE(threads);
    CHECK(threads->find("threads") != std::string::npos);

    r = roomy();
    r.addressSpaceBytes = r.addressSpaceLimit - cost::kReserve.addressSpaceBytes;
    auto space = shortfall(r, cost::kRoom);
    REQUIRE(space);
    CHECK(space->find("address space") != std::string::npos);
}

TEST_CASE("this process's sample has its descriptors and limits", "[rooms]") {
    ProcessResources r = mixmeet::core::sampleProcessResources();
    CHECK(r.openFds >= 3);  // stdin, stdout, stderr at least
    CHECK(r.threads >= 1);
    CHECK(r.addressSpaceBytes > 0);
    CHECK(r.residentBytes > 0);
    CHECK(r.fdLimit > 0);
}
