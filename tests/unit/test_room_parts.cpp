#include <catch2/catch.hpp>

#include "room/Liveness.h"
#include "room/ViewerQuality.h"

using namespace mixmeet::room;

TEST_CASE("quality choices parse, name and cap the tier", "[quality]") {
    for (const char* name : {"auto", "high", "medium", "low", "audio"}) {
        auto c = parseQualityChoice(name);
        REQUIRE(c);
        CHECK(std::string(qualityChoiceName(*c)) == name);
    }
    CHECK_FALSE(parseQualityChoice("ultra"));
    CHECK_FALSE(parseQualityChoice(""));
    CHECK(tierCeiling(QualityChoice::Auto) == 0);
    CHECK(tierCeiling(QualityChoice::High) == 0);
    CHECK(tierCeiling(QualityChoice::Medium) == 1);
    CHECK(tierCeiling(QualityChoice::Low) == 2);
    CHECK(tierCeiling(QualityChoice::Audio) == kAudioOnlyTier);
}

TEST_CASE("a viewer's choice is pending once, a repeat does nothing", "[quality]") {
    ViewerQuality q;
    CHECK(q.choice() == QualityChoice::Auto);
    CHECK_FALSE(q.choose(QualityChoice::Auto));
    CHECK_FALSE(q.takePending());
    CHECK(q.choose(QualityChoice::Low));
    CHECK(q.tier() == 2);
    CHECK(q.takePending());
    CHECK_FALSE(q.takePending());
    CHECK_FALSE(q.choose(QualityChoice::Low));
    CHECK(q.choose(QualityChoice::Audio));
    CHECK(q.tier() == kAudioOnlyTier);
}

TEST_CASE("liveness names silent connected peers and late unconnected ones", "[liveness]") {
    Liveness l(5000, 20000);
    std::vector<Liveness::Peer> peers = {
        {"p1", true, true, 0, 6000},     // connected, silent too long
        {"p2", true, true, 0, 100},      // connected, fine
        {"p3", false, false, 0, 99999},  // never answered, joined 25 s ago
        {"p4", false, true, 0, 0},       // answered, ICE never connected
        {"p5", false, false, 10000, 0},  // joined 15 s ago: still has time
    };
    CHECK(l.silent(peers) == std::vector<std::string>{"p1"});
    auto late = l.unconnected(peers, 25000);
    REQUIRE(late.size() == 2);
    CHECK(late[0].id == "p3");
    CHECK(late[0].message ==
          "no answer to the offer within 20000 ms of joining; please join again");
    CHECK(late[1].id == "p4");
    CHECK(late[1].message == "ICE did not connect within 20000 ms of joining; please join again");
}

TEST_CASE("liveness does not blame participants for the server's own stall", "[liveness]") {
    Liveness l(5000, 20000);
    // Regular checks every second: they apply.
    for (int64_t t = 0; t <= 3000; t += 1000) CHECK(l.checksApply(t, 1000));
    CHECK(l.stalls() == 0);
    // The server did not run for 12 s (SIGSTOP, a saturated machine): every participant looks
    // silent for 12 s, so nobody is removed until 5 s after the server resumed.
    CHECK_FALSE(l.checksApply(15000, 1000));
    CHECK(l.stalls() == 1);
    CHECK(l.lastStallMs() == 12000);
    for (int64_t t = 16000; t <= 20000; t += 1000) CHECK_FALSE(l.checksApply(t, 1000));
    CHECK(l.checksApply(21000, 1000));
    // A late tick within three periods is not a stall.
    CHECK(l.checksApply(23500, 1000));
    CHECK(l.stalls() == 1);
}
