#include <catch2/catch.hpp>

#include "media/Layout.h"
#include "media/SendHints.h"

using mixmeet::media::gridLayout;
using mixmeet::media::SendHintPolicy;
using mixmeet::media::SendSize;

namespace {
/// The tile of the first participant in a grid of `n` in a 640x360 composite.
std::pair<int, int> tile(int n) {
    auto t = gridLayout(n, 640, 360);
    return {t[0].width, t[0].height};
}
}  // namespace

TEST_CASE("a sender's first hint is its tile, at a bitrate in proportion to its area",
          "[sendhints]") {
    SendHintPolicy p(640, 360, 800000);
    auto h = p.update(std::nullopt, 320, 180);
    REQUIRE(h);
    CHECK(*h == SendSize{320, 180, 300000});  // a quarter of the area: 800k / 4 * 1.5
    CHECK(p.forTile(640, 360).bitrate == 1200000);
    CHECK(p.forTile(64, 36).bitrate == SendHintPolicy::kMinBitrate);
    CHECK(SendHintPolicy(1920, 1080, 4000000).forTile(1920, 1080).bitrate ==
          SendHintPolicy::kMaxBitrate);
}

TEST_CASE("a join in a large grid does not make every sender rescale", "[sendhints]") {
    SendHintPolicy p(640, 360, 800000);
    auto [w25, h25] = tile(25);
    auto hint = p.update(std::nullopt, w25, h25);
    REQUIRE(hint);
    // 25 -> 26 (5x5 -> 6x6) shrinks the tile to 5/6: the hint still covers it...
    auto [w26, h26] = tile(26);
    CHECK(w26 < w25);
    CHECK_FALSE(p.update(hint, w26, h26));
    // ... and back to 25: no larger than the hint, nothing to send either.
    CHECK_FALSE(p.update(hint, w25, h25));
    // 16 -> 17 (4x4 -> 5x4) is a step of exactly 4/5: senders do scale down to it.
    auto [w16, h16] = tile(16);
    auto [w17, h17] = tile(17);
    auto at16 = p.update(std::nullopt, w16, h16);
    REQUIRE(at16);
    auto at17 = p.update(at16, w17, h17);
    REQUIRE(at17);
    CHECK(at17->width == w17);
}

TEST_CASE("a tile that shrinks to 4/5 of the hint or below, or outgrows it, gets a new hint",
          "[sendhints]") {
    SendHintPolicy p(640, 360, 800000);
    auto [w4, h4] = tile(4);  // 320x180
    auto hint = p.update(std::nullopt, w4, h4);
    REQUIRE(hint);
    auto [w5, h5] = tile(5);  // 3x2 grid: 212x118, below 4/5 of 320x180
    auto smaller = p.update(hint, w5, h5);
    REQUIRE(smaller);
    CHECK(smaller->width == w5);
    CHECK(smaller->height == h5);
    CHECK(smaller->bitrate < hint->bitrate);
    // Back to four: the tile outgrows the 212x118 hint.
    auto larger = p.update(smaller, w4, h4);
    REQUIRE(larger);
    CHECK(*larger == *hint);
    // Alone in the room: the whole composite.
    auto alone = p.update(larger, 640, 360);
    REQUIRE(alone);
    CHECK(alone->width == 640);
}
