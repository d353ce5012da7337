#include <catch2/catch.hpp>

#include "media/Layout.h"

using mixmeet::media::gridLayout;
using mixmeet::media::Rect;

namespace {
bool overlaps(const Rect& a, const Rect& b) {
    return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height &&
           b.y < a.y + a.height;
}
}  // namespace

TEST_CASE("one participant fills the frame", "[layout]") {
    auto t = gridLayout(1, 1280, 720);
    REQUIRE(t.size() == 1);
    CHECK(t[0] == Rect{0, 0, 1280, 720});
}

TEST_CASE("two participants sit side by side, letterboxed to the output aspect", "[layout]") {
    auto t = gridLayout(2, 1280, 720);
    REQUIRE(t.size() == 2);
    CHECK(t[0] == Rect{0, 180, 640, 360});
    CHECK(t[1] == Rect{640, 180, 640, 360});
}

TEST_CASE("four participants make a 2x2 grid", "[layout]") {
    auto t = gridLayout(4, 1280, 720);
    REQUIRE(t.size() == 4);
    CHECK(t[0] == Rect{0, 0, 640, 360});
    CHECK(t[1] == Rect{640, 0, 640, 360});
    CHECK(t[2] == Rect{0, 360, 640, 360});
    CHECK(t[3] == Rect{640, 360, 640, 360});
}

TEST_CASE("three participants: incomplete last row is centred", "[layout]") {
    auto t = gridLayout(3, 1280, 720);
    REQUIRE(t.size() == 3);
    CHECK(t[2] == Rect{320, 360, 640, 360});
}

TEST_CASE("nine participants make a 3x3 grid of even-sized tiles", "[layout]") {
    auto t = gridLayout(9, 1280, 720);
    REQUIRE(t.size() == 9);
    for (const auto& r : t) {
        CHECK(r.width == 426);
        CHECK(r.height == 238);  // 426 * 9/16 = 239.6, kept even and within the cell (240)
        CHECK(r.x % 2 == 0);
        CHECK(r.y % 2 == 0);
    }
}

TEST_CASE("grid tiles never overlap, stay inside the frame and keep the aspect ratio",
          "[layout]") {
    for (int w : {640, 1280, 320, 1920}) {
        int h = w * 9 / 16;
        for (int n = 1; n <= 25; ++n) {
            auto t = gridLayout(n, w, h);
            REQUIRE(static_cast<int>(t.size()) == n);
            for (int i = 0; i < n; ++i) {
                const Rect& r = t[i];
                CHECK(r.x >= 0);
                CHECK(r.y >= 0);
                CHECK(r.x + r.width <= w);
                CHECK(r.y + r.height <= h);
                CHECK(r.width % 2 == 0);
                CHECK(r.height % 2 == 0);
                // Aspect within one pixel of rounding of the output's.
                CHECK(std::abs(r.width * h - r.height * w) <= 2 * w);
                for (int j = i + 1; j < n; ++j) CHECK_FALSE(overlaps(r, t[j]));
            }
        }
    }
}

TEST_CASE("columns grow as ceil(sqrt(n))", "[layout]") {
    // 5 participants: 3 columns x 2 rows; second row of two is centred.
    auto t = gridLayout(5, 1200, 600);
    REQUIRE(t.size() == 5);
    CHECK(t[0].y == t[1].y);
    CHECK(t[1].y == t[2].y);
    CHECK(t[3].y > t[0].y);
    CHECK(t[3].x > t[0].x);  // centred, not flush left
}

TEST_CASE("degenerate input gives no tiles", "[layout]") {
    CHECK(gridLayout(0, 1280, 720).empty());
    CHECK(gridLayout(-1, 1280, 720).empty());
    CHECK(gridLayout(3, 0, 720).empty());
}
