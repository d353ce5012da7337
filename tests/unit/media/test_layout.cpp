#include <catch2/catch.hpp>

#include <cmath>

#include "media/Layout.h"

using namespace mixmeet::media;

namespace {
bool overlaps(const Rect& a, const Rect& b) {
    return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height &&
           b.y < a.y + a.height;
}
bool inside(const Rect& r, const Rect& area) {
    return r.x >= area.x && r.y >= area.y && r.x + r.width <= area.x + area.width &&
           r.y + r.height <= area.y + area.height;
}
bool even(const Rect& r) {
    return r.x % 2 == 0 && r.y % 2 == 0 && r.width % 2 == 0 && r.height % 2 == 0;
}
long long area(const Rect& r) {
    return static_cast<long long>(r.width) * r.height;
}
/// The tile area of the old grid (ceil(sqrt(n)) columns, tiles letterboxed to the output's
/// aspect): the crop-to-fill grid must never give smaller tiles.
long long letterboxedGridTileArea(int n, int w, int h) {
    int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
    int rows = (n + columns - 1) / columns;
    int cellW = w / columns;
    int cellH = h / rows;
    int tileW = cellW;
    int tileH = cellW * h / w;
    if (tileH > cellH) {
        tileH = cellH;
        tileW = cellH * w / h;
    }
    return static_cast<long long>(tileW & ~1) * (tileH & ~1);
}
LayoutResult layout(LayoutKind kind, int n, int w, int h, int focus = -1, bool screen = false) {
    return computeLayout(LayoutRequest{kind, n, focus, screen, w, h});
}
/// The output sizes every property is checked at: landscape, portrait (a phone), odd and tiny.
const std::vector<std::pair<int, int>> kSizes{{1280, 720}, {640, 360}, {320, 180},  {1920, 1080},
                                              {1024, 768}, {360, 640}, {1001, 563}, {160, 90}};
}  // namespace

TEST_CASE("one participant fills the frame", "[layout]") {
    auto t = gridLayout(1, 1280, 720);
    REQUIRE(t.size() == 1);
    CHECK(t[0] == Rect{0, 0, 1280, 720});
}

TEST_CASE("two participants sit side by side in 4:3 tiles that fill their cells", "[layout]") {
    auto t = gridLayout(2, 1280, 720);
    REQUIRE(t.size() == 2);
    // Each half of the frame is 640x720; a camera is cropped to at most 4:3, not letterboxed
    // into 640x360.
    CHECK(t[0] == Rect{0, 120, 640, 480});
    CHECK(t[1] == Rect{640, 120, 640, 480});
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

TEST_CASE("five participants: 3x2, the second row centred", "[layout]") {
    auto t = gridLayout(5, 1280, 720);
    REQUIRE(t.size() == 5);
    CHECK(t[0].y == t[1].y);
    CHECK(t[1].y == t[2].y);
    CHECK(t[3].y > t[0].y);
    CHECK(t[3].x > t[0].x);  // centred, not flush left
    CHECK(t[0].width == 426);
    CHECK(t[0].height == 318);  // 426 / (4/3) = 319.5, kept even
}

TEST_CASE(
    "grid tiles: inside, even, disjoint, aspect within bounds, never smaller than "
    "letterboxed tiles",
    "[layout]") {
    for (auto [w, h] : kSizes) {
        const Rect frame{0, 0, w & ~1, h & ~1};
        for (int n = 1; n <= 25; ++n) {
            INFO(w << "x" << h << " n=" << n);
            auto r = layout(LayoutKind::Grid, n, w, h);
            REQUIRE(static_cast<int>(r.cameras.size()) == n);
            CHECK_FALSE(r.screen);
            for (int i = 0; i < n; ++i) {
                const Tile& t = r.cameras[i];
                CHECK(t.fit == Fit::Crop);
                CHECK(inside(t.rect, frame));
                CHECK(even(t.rect));
                CHECK(t.rect.width >= 2);
                CHECK(t.rect.height >= 2);
                double aspect = static_cast<double>(t.rect.width) / t.rect.height;
                // Rounding to even pixels moves the aspect by at most 2 px on a side.
                CHECK(aspect >= kMinTileAspect * (1.0 - 2.0 / t.rect.height) - 1e-9);
                CHECK(aspect <= kMaxTileAspect * (1.0 + 2.0 / t.rect.width) + 1e-9);
                for (int j = i + 1; j < n; ++j) CHECK_FALSE(overlaps(t.rect, r.cameras[j].rect));
                // (Within 3% for rounding to even pixels, which dominates below 320 px.)
                if (h <= w && w >= 320)
                    CHECK(area(t.rect) >= letterboxedGridTileArea(n, w & ~1, h & ~1) * 97 / 100);
            }
            // All tiles of a grid are the same size.
            for (const Tile& t : r.cameras) CHECK(t.rect.width == r.cameras[0].rect.width);
        }
    }
}

TEST_CASE("speaker layout: the focus large above, the others in a strip below", "[layout]") {
    auto r = layout(LayoutKind::Speaker, 4, 1280, 720, 2);
    REQUIRE(r.cameras.size() == 4);
    // The strip is the bottom fifth (144 px); the speaker is 16:9 in the 1280x576 above.
    CHECK(r.cameras[2].rect == Rect{128, 0, 1024, 576});
    for (int i : {0, 1, 3}) {
        CHECK(r.cameras[i].rect.y >= 576);
        CHECK(r.cameras[i].rect.height <= 144);
    }
    // The strip keeps request order, left to right.
    CHECK(r.cameras[0].rect.x < r.cameras[1].rect.x);
    CHECK(r.cameras[1].rect.x < r.cameras[3].rect.x);
    // Nobody has spoken yet (or an unknown focus): the first is large.
    CHECK(layout(LayoutKind::Speaker, 4, 1280, 720, -1).cameras[0].rect == Rect{128, 0, 1024, 576});
    CHECK(layout(LayoutKind::Speaker, 4, 1280, 720, 9).cameras[0].rect == Rect{128, 0, 1024, 576});
    // Alone: the whole frame.
    CHECK(layout(LayoutKind::Speaker, 1, 1280, 720, 0).cameras[0].rect == Rect{0, 0, 1280, 720});
}

TEST_CASE("presentation: the screen letterboxed above, every camera cropped in the strip",
          "[layout]") {
    auto r = layout(LayoutKind::Presentation, 3, 1280, 720, 1, true);
    REQUIRE(r.screen);
    CHECK(r.screen->rect == Rect{0, 0, 1280, 576});
    CHECK(r.screen->fit == Fit::Letterbox);
    REQUIRE(r.cameras.size() == 3);
    for (const Tile& t : r.cameras) {
        CHECK(t.fit == Fit::Crop);
        CHECK(t.rect.y >= 576);
    }
    // Nothing shared: the speaker layout.
    auto none = layout(LayoutKind::Presentation, 3, 1280, 720, 1, false);
    CHECK_FALSE(none.screen);
    CHECK(none.cameras == layout(LayoutKind::Speaker, 3, 1280, 720, 1).cameras);
}

TEST_CASE("speaker and presentation: 1..25 participants, any size, tiles disjoint and inside",
          "[layout]") {
    for (auto [w, h] : kSizes) {
        const Rect frame{0, 0, w & ~1, h & ~1};
        for (int n = 1; n <= 25; ++n) {
            for (LayoutKind kind : {LayoutKind::Speaker, LayoutKind::Presentation}) {
                for (int focus : {0, n / 2, n - 1}) {
                    INFO(w << "x" << h << " n=" << n << " " << layoutName(kind)
                           << " focus=" << focus);
                    auto r = layout(kind, n, w, h, focus, kind == LayoutKind::Presentation);
                    REQUIRE(static_cast<int>(r.cameras.size()) == n);
                    std::vector<Rect> all;
                    for (const Tile& t : r.cameras) all.push_back(t.rect);
                    if (kind == LayoutKind::Presentation) {
                        REQUIRE(r.screen);
                        CHECK(r.screen->fit == Fit::Letterbox);
                        all.push_back(r.screen->rect);
                        // The screen is the largest thing in the frame.
                        for (const Tile& t : r.cameras) CHECK(area(t.rect) < area(r.screen->rect));
                    } else if (n > 1) {
                        // The focus is the largest tile.
                        for (int i = 0; i < n; ++i)
                            if (i != focus)
                                CHECK(area(r.cameras[i].rect) < area(r.cameras[focus].rect));
                    }
                    for (std::size_t i = 0; i < all.size(); ++i) {
                        CHECK(inside(all[i], frame));
                        CHECK(even(all[i]));
                        CHECK(all[i].width >= 2);
                        CHECK(all[i].height >= 2);
                        for (std::size_t j = i + 1; j < all.size(); ++j)
                            CHECK_FALSE(overlaps(all[i], all[j]));
                    }
                }
            }
        }
    }
}

TEST_CASE("layout names round-trip; unknown names are refused", "[layout]") {
    for (LayoutKind k : {LayoutKind::Grid, LayoutKind::Speaker, LayoutKind::Presentation})
        CHECK(parseLayout(layoutName(k)) == k);
    CHECK_FALSE(parseLayout("Grid"));
    CHECK_FALSE(parseLayout(""));
    CHECK_FALSE(parseLayout("mosaic"));
}

TEST_CASE("centre crop: the largest centred region of the tile's aspect", "[layout]") {
    // A 16:9 camera in a 4:3 tile loses its sides ...
    CHECK(centreCrop(1280, 720, 640, 480) == Rect{160, 0, 960, 720});
    // ... a 4:3 camera in a 16:9 tile its top and bottom.
    CHECK(centreCrop(640, 480, 1280, 720) == Rect{0, 60, 640, 360});
    // Same aspect: everything.
    CHECK(centreCrop(1280, 720, 320, 180) == Rect{0, 0, 1280, 720});
    // A portrait phone camera in a 16:9 tile.
    Rect p = centreCrop(720, 1280, 1280, 720);
    CHECK(p.width == 720);
    CHECK(p.height == 404);  // 720 * 9/16 = 405, kept even
    CHECK(p.y == 438);
    for (auto [sw, sh] : std::vector<std::pair<int, int>>{{1280, 720}, {640, 480}, {333, 777}}) {
        for (auto [dw, dh] : std::vector<std::pair<int, int>>{{640, 480}, {256, 144}, {90, 160}}) {
            Rect c = centreCrop(sw, sh, dw, dh);
            CHECK(inside(c, Rect{0, 0, sw, sh}));
            // Fills one dimension of the source, centred within a pixel or two.
            CHECK((c.width >= sw - 1 || c.height >= sh - 1));
            CHECK(std::abs((sw - c.width) - 2 * c.x) <= 3);
            CHECK(std::abs((sh - c.height) - 2 * c.y) <= 3);
            CHECK(std::abs(static_cast<double>(c.width) / c.height - static_cast<double>(dw) / dh) <
                  0.02 * static_cast<double>(dw) / dh + 2.0 / c.height);
        }
    }
    CHECK(centreCrop(0, 720, 640, 480) == Rect{0, 0, 0, 720});
    CHECK(centreCrop(1280, 720, 0, 480) == Rect{0, 0, 1280, 720});
}

TEST_CASE("letterbox: a shared screen is never cropped", "[layout]") {
    const Rect cell{0, 0, 1280, 576};
    CHECK(letterbox(1920, 1080, cell) == Rect{128, 0, 1024, 576});
    CHECK(letterbox(1024, 768, cell) == Rect{256, 0, 768, 576});
    // A very wide screen: bars above and below.
    CHECK(letterbox(3840, 1080, cell) == Rect{0, 108, 1280, 360});
    for (auto [sw, sh] : std::vector<std::pair<int, int>>{{1920, 1080}, {1080, 1920}, {801, 601}}) {
        Rect r = letterbox(sw, sh, Rect{100, 50, 640, 360});
        CHECK(inside(r, Rect{100, 50, 640, 360}));
        CHECK((r.width >= 638 || r.height >= 358));
        CHECK(std::abs(static_cast<double>(r.width) / r.height - static_cast<double>(sw) / sh) <
              0.01 * sw / sh + 2.0 / r.height);
    }
}

TEST_CASE("highlight bars sit inside the tile's edges", "[layout]") {
    const Rect tile{128, 0, 1024, 576};
    auto bars = borderBars(tile, 6);
    CHECK(bars[0] == Rect{128, 0, 1024, 6});
    CHECK(bars[1] == Rect{128, 570, 1024, 6});
    CHECK(bars[2] == Rect{128, 6, 6, 564});
    CHECK(bars[3] == Rect{1146, 6, 6, 564});
    for (std::size_t i = 0; i < bars.size(); ++i) {
        CHECK(inside(bars[i], tile));
        for (std::size_t j = i + 1; j < bars.size(); ++j) CHECK_FALSE(overlaps(bars[i], bars[j]));
    }
    // Odd thickness rounds up to even; a tiny tile bounds it.
    CHECK(borderBars(tile, 3)[0].height == 4);
    CHECK(borderBars(Rect{0, 0, 16, 8}, 6)[0].height == 2);
}

TEST_CASE("degenerate input gives no tiles", "[layout]") {
    CHECK(gridLayout(0, 1280, 720).empty());
    CHECK(gridLayout(-1, 1280, 720).empty());
    CHECK(gridLayout(3, 0, 720).empty());
    CHECK(layout(LayoutKind::Speaker, 0, 1280, 720).cameras.empty());
    CHECK(layout(LayoutKind::Presentation, 3, 1280, -4, 0, true).cameras.empty());
}
