#include <catch2/catch.hpp>

#include "FrameStamp.h"

#include <cstdint>
#include <random>
#include <vector>

using namespace mixmeet::testing;

namespace {

struct Plane {
    int width, height;
    std::vector<std::uint8_t> data;
    Plane(int w, int h, std::uint8_t fill) : width(w), height(h), data(std::size_t(w * h), fill) {}
    LumaView view() { return {data.data(), width, height, width, 1}; }
};

/// Box-scales `src` into `dst` at `r` (what the server's videoscale does to a tile).
void scaleInto(const Plane& src, Plane& dst, const PixelRect& r) {
    for (int y = 0; y < r.height; ++y)
        for (int x = 0; x < r.width; ++x) {
            const int sx0 = x * src.width / r.width,
                      sx1 = std::max(sx0 + 1, (x + 1) * src.width / r.width);
            const int sy0 = y * src.height / r.height,
                      sy1 = std::max(sy0 + 1, (y + 1) * src.height / r.height);
            int sum = 0;
            for (int sy = sy0; sy < sy1; ++sy)
                for (int sx = sx0; sx < sx1; ++sx)
                    sum += src.data[std::size_t(sy * src.width + sx)];
            dst.data[std::size_t((r.y + y) * dst.width + r.x + x)] =
                std::uint8_t(sum / ((sx1 - sx0) * (sy1 - sy0)));
        }
}

}  // namespace

TEST_CASE("A stamp survives downscaling into a 5x5 grid tile with noise", "[framestamp]") {
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0.0, 12.0);
    for (std::uint64_t ms : {0ull, 1ull, 12345ull, 65535ull, 65536ull + 77, 987654321ull}) {
        Plane sender(320, 180, 100);
        drawStamp(sender.view(), ms);
        REQUIRE(readStamp(sender.view(), {0, 0, 320, 180}) == std::uint32_t(ms % kStampModulo));

        Plane composite(640, 360, 60);
        const PixelRect tile{256, 144, 128, 72};
        scaleInto(sender, composite, tile);
        for (auto& v : composite.data) v = std::uint8_t(std::clamp(v + noise(rng), 0.0, 255.0));
        CHECK(readStamp(composite.view(), tile) == std::uint32_t(ms % kStampModulo));
    }
}

TEST_CASE("A stamp survives the centre crop of a 4:3 camera into a 16:9 tile", "[framestamp]") {
    for (std::uint64_t ms : {5ull, 40000ull}) {
        Plane sender(320, 240, 100);
        drawStamp(sender.view(), ms);
        // The server keeps the middle 320x180 (an eighth cut at the top and the bottom).
        Plane kept(320, 180, 0);
        for (int y = 0; y < 180; ++y)
            for (int x = 0; x < 320; ++x)
                kept.data[std::size_t(y * 320 + x)] = sender.data[std::size_t((y + 30) * 320 + x)];
        Plane composite(640, 360, 60);
        const PixelRect tile{320, 180, 256, 144};
        scaleInto(kept, composite, tile);
        CHECK(readStamp(composite.view(), coverRect(tile, 320, 240)) ==
              std::uint32_t(ms % kStampModulo));
        // Read as if letterboxed, the band is in the wrong place.
        CHECK_FALSE(readStamp(composite.view(), contentRect(tile, 320, 240)));
    }
}

TEST_CASE("No stamp is read where none was drawn or a bit is damaged", "[framestamp]") {
    Plane flat(320, 180, 128);
    CHECK_FALSE(readStamp(flat.view(), {0, 0, 320, 180}));

    std::mt19937 rng(3);
    Plane snow(320, 180, 0);
    int found = 0;
    for (int i = 0; i < 200; ++i) {
        for (auto& v : snow.data) v = std::uint8_t(rng() & 0xff);
        found += readStamp(snow.view(), {0, 0, 320, 180}) ? 1 : 0;
    }
    CHECK(found == 0);

    Plane damaged(320, 180, 100);
    drawStamp(damaged.view(), 4242);
    // Invert data cell 5 (row 0): the CRC no longer matches.
    // (The band: 40 pixels in from either side, 22 from the top, rows 18 high.)
    for (int y = 22; y < 22 + 18; ++y)
        for (int x = 40 + 5 * 240 / 12; x < 40 + 6 * 240 / 12; ++x) {
            auto& v = damaged.data[std::size_t(y * 320 + x)];
            v = v > 128 ? 16 : 235;
        }
    CHECK_FALSE(readStamp(damaged.view(), {0, 0, 320, 180}));
}

TEST_CASE("Stamp ages wrap and content rectangles are letterboxed", "[framestamp]") {
    CHECK(stampAgeMs(100, 150) == 50);
    CHECK(stampAgeMs(65530, 65536 + 20) == 26);
    const PixelRect r = contentRect({0, 0, 200, 200}, 320, 180);
    CHECK(r.width == 200);
    CHECK(r.height == 112);
    CHECK(r.y == 44);
    CHECK(percentile({3, 1, 2, 4}, 0.5) == 2);
    CHECK(percentile({3, 1, 2, 4}, 0.95) == 4);
    CHECK(percentile({}, 0.5) == 0);
}
