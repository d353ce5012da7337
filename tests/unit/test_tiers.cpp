#include <catch2/catch.hpp>

#include "media/MediaConfig.h"
#include "media/TierController.h"
#include "media/VideoMixer.h"

using namespace mixmeet::media;

namespace {
/// Feeds the same report once a second for `seconds`; returns the final tier.
int feed(TierController& c, double loss, double rtt, int seconds, int64_t& now) {
    int tier = c.tier();
    for (int i = 0; i < seconds; ++i, now += 1000) tier = c.update({loss, rtt}, now);
    return tier;
}
}  // namespace

TEST_CASE("tiers derive from the output size", "[tiers]") {
    MediaConfig c;
    c.width = 1280;
    c.height = 720;
    auto t = tierSpecs(c);
    REQUIRE(t.size() == 3);
    CHECK(t[0].width == 1280);
    CHECK(t[1].width == 640);
    CHECK(t[1].height == 360);
    CHECK(t[2].width == 320);
    CHECK(t[2].height == 180);
    CHECK(t[2].framerate == 15);
    CHECK(t[0].bitrate > t[1].bitrate);
    CHECK(t[1].bitrate > t[2].bitrate);
}

TEST_CASE("a clean link stays in the top tier", "[tiers]") {
    TierController c;
    int64_t now = 0;
    CHECK(feed(c, 0.0, 30, 60, now) == 0);
}

TEST_CASE("sustained loss steps down one tier at a time; a blip does not", "[tiers]") {
    TierController c;
    int64_t now = 0;
    CHECK(feed(c, 0.10, 30, 1, now) == 0);  // one bad report: hold
    CHECK(feed(c, 0.0, 30, 1, now) == 0);
    CHECK(feed(c, 0.10, 30, 3, now) == 1);  // 2 s congested: medium
    CHECK(feed(c, 0.10, 30, 2, now) == 2);  // still congested: low
    CHECK(feed(c, 0.10, 30, 10, now) == 2);  // never below the lowest video tier on its own
}

TEST_CASE("severe loss steps down at once, one tier per second", "[tiers]") {
    TierController c;
    int64_t now = 0;
    CHECK(c.update({0.5, 30}, now) == 1);
    CHECK(c.update({0.5, 30}, now + 500) == 1);  // not twice within a second
    CHECK(c.update({0.5, 30}, now + 1000) == 2);
}

TEST_CASE("queueing delay counts as congestion", "[tiers]") {
    TierController c;
    int64_t now = 0;
    CHECK(feed(c, 0.0, 800, 3, now) == 1);
}

TEST_CASE("recovery is slow: ten clean seconds per step up", "[tiers]") {
    TierController c;
    int64_t now = 0;
    feed(c, 0.3, 30, 5, now);
    REQUIRE(c.tier() == 2);
    CHECK(feed(c, 0.0, 30, 5, now) == 2);
    CHECK(feed(c, 0.0, 30, 6, now) == 1);
    CHECK(feed(c, 0.05, 30, 30, now) == 1);  // in between: hold
    CHECK(feed(c, 0.0, 30, 11, now) == 0);
}

TEST_CASE("a manual choice is a ceiling; audio-only only by hand", "[tiers]") {
    TierController c;
    int64_t now = 0;
    c.setCeiling(2);
    CHECK(c.tier() == 2);
    CHECK(feed(c, 0.0, 30, 30, now) == 2);  // clean link does not override data saver
    c.setCeiling(3);
    CHECK(c.tier() == 3);
    c.setCeiling(0);
    CHECK(c.tier() == 0);
}
