// What a tile shows, end to end with real webrtcbin peers against the server in this process:
// camera tiles centre-cropped to their cell (no black bars), reactions and raised hands drawn
// over the sender's tile in every composite (media/TileMarks.h).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "media/TileMarks.h"
#include "room/Room.h"

using namespace mixmeet;
using namespace std::chrono_literals;
using testing::PeerOptions;
using testing::SyntheticPeer;
using testing::TestServer;
using testing::waitUntil;

std::size_t criticalLogCount();  // main.cpp

namespace {

std::unique_ptr<SyntheticPeer> makePeer(const TestServer& s, const std::string& room,
                                        const std::string& name, int pattern, int width = 320,
                                        int height = 240) {
    PeerOptions o = s.peerOptions(room, name);
    o.pattern = pattern;
    o.width = width;
    o.height = height;
    o.followSendHints = true;
    auto p = std::make_unique<SyntheticPeer>(o);
    p->start();
    return p;
}

bool receivingFull(const SyntheticPeer& p, std::size_t roster) {
    auto size = p.lastVideoSize();
    return p.connected() && p.videoFramesDecoded() >= 5 && size[0] == testing::kWidth &&
           size[1] == testing::kHeight && p.roster().size() == roster &&
           p.lastLayout().tiles.size() == roster;
}

/// What receivingFull() looks at, for failure messages.
std::string describe(const SyntheticPeer& p) {
    auto size = p.lastVideoSize();
    return p.options().name + ": connected " + std::to_string(p.connected()) + ", frames " +
           std::to_string(p.videoFramesDecoded()) + ", size " + std::to_string(size[0]) + "x" +
           std::to_string(size[1]) + ", roster " + std::to_string(p.roster().size()) +
           ", layout tiles " + std::to_string(p.lastLayout().tiles.size()) + " (" +
           p.lastLayout().layout + ")";
}

/// `id`'s tile in the viewer's last layout message (zero size if none).
protocol::LayoutTile tileOf(const SyntheticPeer& viewer, const std::string& id) {
    for (const auto& t : viewer.lastLayout().tiles)
        if (t.id == id) return t;
    return {};
}

/// Share of the pixels (every 2nd) of `r` in `frame` whose colour is within `tolerance` (sum
/// of absolute RGB differences) of `rgb`.
double shareNear(const testing::Frame& frame, int x, int y, int w, int h, std::array<int, 3> rgb,
                 int tolerance) {
    long near = 0, n = 0;
    for (int yy = y; yy < y + h; yy += 2)
        for (int xx = x; xx < x + w; xx += 2) {
            auto p = frame.at(xx, yy);
            int d = 0;
            for (int c = 0; c < 3; ++c) d += std::abs(int(p[c]) - rgb[c]);
            near += d <= tolerance;
            ++n;
        }
    return n ? double(near) / double(n) : 0.0;
}

constexpr std::array<int, 3> kRed{255, 0, 0};
/// The thumbs-up emoji's yellow (Noto Color Emoji, as rendered by textoverlay).
constexpr std::array<int, 3> kThumbYellow{240, 200, 40};

/// Writes `frame` as a PPM to $MIXMEET_TEST_DUMP_DIR/<name>.ppm when that is set (to look at
/// a failure).
void dump(const testing::Frame& frame, const std::string& name) {
    const char* dir = g_getenv("MIXMEET_TEST_DUMP_DIR");
    if (!dir || frame.empty()) return;
    std::string data =
        "P6\n" + std::to_string(frame.width) + " " + std::to_string(frame.height) + "\n255\n";
    for (int y = 0; y < frame.height; ++y)
        for (int x = 0; x < frame.width; ++x)
            for (auto c : frame.at(x, y)) data += static_cast<char>(c);
    g_file_set_contents((std::string(dir) + "/" + name + ".ppm").c_str(), data.data(),
                        static_cast<gssize>(data.size()), nullptr);
}

}  // namespace

TEST_CASE("a 16:9 camera in a 4:3 tile is centre-cropped: no black bars", "[tiles][layouts]") {
    TestServer s;
    // Two participants in a 640x360 grid: two 320-wide columns, 4:3 tiles (320x240).
    auto a = makePeer(s, "crop", "A", 4, 320, 180);  // red, 16:9
    auto b = makePeer(s, "crop", "B", 5, 320, 180);  // green, 16:9
    REQUIRE(waitUntil([&] { return receivingFull(*a, 2) && receivingFull(*b, 2); }, 30s));
    const auto t = tileOf(*b, a->participantId());
    INFO("A's tile " << t.x << "," << t.y << " " << t.width << "x" << t.height);
    REQUIRE(t.width > 0);
    REQUIRE(std::abs(t.width * 3 - t.height * 4) <= 8);  // a 4:3 cell
    // Letterboxed, a 16:9 picture would leave an eighth of the tile's height black at its top
    // and bottom; cropped, the top rows are red (below the edge, above the name label).
    const int band = t.height / 8;
    auto redAtEdges = [&] {
        const testing::Frame f = b->lastFrameRGB();
        return shareNear(f, t.x + 8, t.y + 6, t.width - 16, band - 8, kRed, 120) > 0.9 &&
               shareNear(f, t.x + t.width / 2, t.y + t.height - band + 2, t.width / 2 - 8, band - 8,
                         kRed, 120) > 0.8;
    };
    CHECK(waitUntil(redAtEdges, 5s));
    const testing::Frame f = b->lastFrameRGB();
    dump(f, "crop");
    INFO(
        "top band red share " << shareNear(f, t.x + 8, t.y + 6, t.width - 16, band - 8, kRed, 120));
    CHECK(redAtEdges());
}

TEST_CASE(
    "a reaction shows over the sender's tile in every composite, then clears; a raised "
    "hand marks the tile while raised",
    "[tiles][marks]") {
    TestServer s;
    auto a = makePeer(s, "marks", "A", 4);  // red
    auto b = makePeer(s, "marks", "B", 5);  // green
    auto c = makePeer(s, "marks", "C", 6);  // blue
    REQUIRE(waitUntil(
        [&] { return receivingFull(*a, 3) && receivingFull(*b, 3) && receivingFull(*c, 3); }, 30s));
    room::Room* room = s.room("marks");
    REQUIRE(room);
    // C watches the speaker layout: a second composite, which must show the marks too.
    c->sendRaw(R"({"type":"set-layout","layout":"speaker"})");
    REQUIRE(waitUntil([&] { return c->lastLayout().layout == "speaker"; }, 5s));
    testing::runFor(500ms);
    const std::string aid = a->participantId();
    // The share of A's tile (inside the speaker highlight's frame, whose yellow it leaves out)
    // that is the thumbs-up's yellow: none without a reaction, 0.7 % (a strip tile, where the
    // shared tile picture is scaled down) to 11 % (the speaker's tile) with one. Measured on the
    // tile wherever the viewer's layout puts it (the speaker layout's speaker changes).
    auto centre = [&](const SyntheticPeer& viewer) {
        const auto t = tileOf(viewer, aid);
        return shareNear(viewer.lastFrameRGB(), t.x + 8, t.y + t.height / 8, t.width - 16,
                         t.height * 5 / 8, kThumbYellow, 100);
    };
    INFO("centre yellow share before: b " << centre(*b) << " c " << centre(*c));
    // Coding noise at the tile's edges leaves a few yellowish pixels (up to ~0.05 %).
    REQUIRE(centre(*b) < 0.003);
    REQUIRE(centre(*c) < 0.003);

    const int64_t sentUs = g_get_monotonic_time();
    a->sendRaw(R"({"type":"reaction","emoji":"👍"})");
    // The thumbs-up covers part of the middle of A's tile in B's and C's composites. Each
    // viewer is checked on its own: the two composites (grid, speaker) are encoded apart and
    // may show it a few frames apart.
    CHECK(waitUntil([&] { return room->tileMarks(aid).reaction == "👍"; }, 2s));
    double mostB = 0, mostC = 0;
    CHECK(waitUntil(
        [&] {
            mostB = std::max(mostB, centre(*b));
            mostC = std::max(mostC, centre(*c));
            return mostB > 0.003 && mostC > 0.003;
        },
        std::chrono::milliseconds(media::kReactionMs)));
    dump(b->lastFrameRGB(), "marks-reaction-b");
    dump(c->lastFrameRGB(), "marks-reaction-c");
    INFO("most centre yellow share with the reaction: b " << mostB << " c " << mostC);
    // ... for about kReactionMs, then it is gone.
    // Gone: under half the most it covered (the strip's 0.7 % included), noise aside.
    CHECK(waitUntil([&] { return centre(*b) < mostB / 2 && centre(*c) < mostC / 2; }, 6s));
    const double shownMs = double(g_get_monotonic_time() - sentUs) / 1000.0;
    CHECK(shownMs >= media::kReactionMs - 100);
    CHECK(room->tileMarks(aid).reaction.empty());

    // A raised hand: the label band at the bottom of A's tile changes (the mark before the
    // name) while the hand is up, and comes back when it is lowered.
    auto labelBand = [&] {
        const auto t = tileOf(*b, aid);
        return shareNear(b->lastFrameRGB(), t.x, t.y + t.height * 3 / 4, t.width / 2, t.height / 4,
                         kRed, 120);
    };
    const double before = labelBand();
    a->sendRaw(R"({"type":"hand","raised":true})");
    CHECK(waitUntil([&] { return room->tileMarks(aid).hand; }, 3s));
    CHECK(waitUntil([&] { return labelBand() < before - 0.01; }, 3s));
    INFO("label band red share before " << before << " raised " << labelBand());
    a->sendRaw(R"({"type":"hand","raised":false})");
    CHECK(waitUntil([&] { return std::abs(labelBand() - before) < 0.005; }, 3s));
    CHECK_FALSE(room->tileMarks(aid).hand);
}

TEST_CASE("a viewer pins a participant: the speaker layout with them large, for that viewer only",
          "[tiles][pin][layouts]") {
    TestServer s;
    auto a = makePeer(s, "pin", "A", 4);  // red
    auto b = makePeer(s, "pin", "B", 5);  // green
    auto c = makePeer(s, "pin", "C", 6);  // blue
    const bool allReceiving = waitUntil(
        [&] { return receivingFull(*a, 3) && receivingFull(*b, 3) && receivingFull(*c, 3); }, 30s);
    INFO(describe(*a) << "; " << describe(*b) << "; " << describe(*c));
    REQUIRE(allReceiving);
    room::Room* room = s.room("pin");
    REQUIRE(room);
    const std::string cid = c->participantId();
    auto largest = [](const SyntheticPeer& viewer) {
        protocol::LayoutTile best;
        for (const auto& t : viewer.lastLayout().tiles)
            if (t.width * t.height > best.width * best.height) best = t;
        return best;
    };
    auto blueShare = [&](const SyntheticPeer& viewer) {
        const auto t = largest(viewer);
        return shareNear(viewer.lastFrameRGB(), t.x + t.width / 4, t.y + t.height / 4, t.width / 2,
                         t.height / 4, {0, 0, 255}, 120);
    };

    b->sendRaw(R"({"type":"set-layout","layout":"speaker","pin":")" + cid + R"("})");
    CHECK(waitUntil(
        [&] {
            return b->lastLayout().pin == cid && b->lastLayout().layout == "speaker" &&
                   largest(*b).id == cid;
        },
        5s));
    CHECK(waitUntil([&] { return blueShare(*b) > 0.9; }, 5s));
    INFO("blue share of B's large tile " << blueShare(*b));
    // Only B: A still receives the grid, and a second composite serves B.
    CHECK(a->lastLayout().layout == "grid");
    CHECK(a->lastLayout().pin.empty());
    CHECK(room->videoMixer().compositeCount() == 2);
    // A pinning the same participant shares B's composite and encode.
    a->sendRaw(R"({"type":"set-layout","layout":"speaker","pin":")" + cid + R"("})");
    CHECK(waitUntil([&] { return a->lastLayout().pin == cid; }, 5s));
    CHECK(room->videoMixer().compositeCount() == 2);
    CHECK(room->videoMixer().activeEncoders() == 2);

    // Bad pins are refused and change nothing.
    b->sendRaw(R"({"type":"set-layout","layout":"speaker","pin":"p999"})");
    b->sendRaw(R"({"type":"set-layout","layout":"grid","pin":")" + cid + R"("})");
    CHECK(waitUntil([&] { return b->errors().size() == 2; }, 5s));
    if (b->errors().size() == 2) {
        CHECK(b->errors()[0].code == "no-such-participant");
        CHECK(b->errors()[1].code == "bad-message");
    }
    CHECK(b->lastLayout().pin == cid);

    // B unpins: back to the meeting's grid. The pinned participant leaving unpins A.
    b->sendRaw(R"({"type":"set-layout","layout":"auto","pin":""})");
    CHECK(waitUntil([&] { return b->lastLayout().pin.empty() && b->lastLayout().layout == "grid"; },
                    5s));
    c->leave();
    CHECK(waitUntil(
        [&] {
            return a->lastLayout().pin.empty() && a->lastLayout().layout == "grid" &&
                   room->videoMixer().compositeCount() == 1;
        },
        10s));
}
