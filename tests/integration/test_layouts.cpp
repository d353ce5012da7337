// Layouts end to end: the composite's geometry as participants come and go, with real
// webrtcbin peers against the server in this process.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "app/Server.h"
#include "media/Layout.h"
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
                                        const std::string& name, int pattern, bool camera) {
    PeerOptions o = s.peerOptions(room, name);
    o.pattern = pattern;
    o.sendVideo = camera;
    o.followSendHints = true;  // as a browser does: the sent size follows the tile
    auto p = std::make_unique<SyntheticPeer>(o);
    p->start();
    return p;
}

std::string describe(const SyntheticPeer& p) {
    auto size = p.lastVideoSize();
    return p.options().name + ": ice=" + p.iceConnectionState() +
           " frames=" + std::to_string(p.videoFramesDecoded()) +
           " size=" + std::to_string(size[0]) + "x" + std::to_string(size[1]) +
           " roster=" + std::to_string(p.roster().size()) + "\n";
}

}  // namespace

TEST_CASE("camera-less participants leaving, the grid shrinking, log no GStreamer critical",
          "[layouts][room]") {
    // Found in the server log: "GStreamer-Video-CRITICAL: gst_video_frame_map_id: assertion
    // 'info->width <= meta->width' failed" when two participants without a camera left.
    TestServer s;
    std::vector<std::unique_ptr<SyntheticPeer>> cams;
    cams.push_back(makePeer(s, "shrink", "Cam1", 4, true));
    cams.push_back(makePeer(s, "shrink", "Cam2", 5, true));
    const std::size_t before = criticalLogCount();
    for (int round = 0; round < 3; ++round) {
        std::vector<std::unique_ptr<SyntheticPeer>> nocams;
        nocams.push_back(makePeer(s, "shrink", "NoCam1", 0, false));
        nocams.push_back(makePeer(s, "shrink", "NoCam2", 0, false));
        bool started = waitUntil(
            [&] {
                for (const auto* list : {&cams, &nocams})
                    for (const auto& p : *list)
                        if (!p->connected() || p->roster().size() != 4 ||
                            p->videoFramesDecoded() < 10)
                            return false;
                return true;
            },
            30s);
        std::string state;
        for (const auto* list : {&cams, &nocams})
            for (const auto& p : *list) state += describe(*p);
        INFO("round " << round << "\n" << state);
        REQUIRE(started);
        testing::runFor(300ms);
        nocams[1]->leave();
        nocams[0]->leave();
        CHECK(waitUntil([&] { return cams[0]->roster().size() == 2; }, 10s));
        // The remaining tiles grow: every tile chain renegotiates and is composited.
        uint64_t frames = cams[0]->videoFramesDecoded();
        testing::runFor(1500ms);
        CHECK(cams[0]->videoFramesDecoded() > frames + 5);
        nocams.clear();
    }
    CHECK(criticalLogCount() == before);
}

namespace {

/// Mean absolute difference per RGB channel between two frames of the same size (255: no
/// frame), over every 4th pixel.
double frameDifference(const testing::Frame& a, const testing::Frame& b) {
    if (a.empty() || b.empty() || a.width != b.width || a.height != b.height) return 255.0;
    double sum = 0;
    long n = 0;
    for (int y = 0; y < a.height; y += 4)
        for (int x = 0; x < a.width; x += 4) {
            auto pa = a.at(x, y);
            auto pb = b.at(x, y);
            for (int c = 0; c < 3; ++c) sum += std::abs(int(pa[c]) - int(pb[c]));
            n += 3;
        }
    return n ? sum / static_cast<double>(n) : 255.0;
}

bool receivingFull(const SyntheticPeer& p, std::size_t roster) {
    auto size = p.lastVideoSize();
    return p.connected() && p.videoFramesDecoded() >= 5 && size[0] == testing::kWidth &&
           size[1] == testing::kHeight && p.roster().size() == roster;
}

}  // namespace

TEST_CASE(
    "viewers choosing different layouts receive different composites; a viewer sharing "
    "a layout adds no encoder",
    "[layouts]") {
    TestServer s;
    auto a = makePeer(s, "views", "A", 4, true);  // red
    auto b = makePeer(s, "views", "B", 5, true);  // green
    auto c = makePeer(s, "views", "C", 6, true);  // blue
    auto all = [&] { return receivingFull(*a, 3) && receivingFull(*b, 3) && receivingFull(*c, 3); };
    REQUIRE(waitUntil(all, 30s));
    room::Room* room = s.room("views");
    REQUIRE(room);
    INFO(describe(*a) << describe(*b) << describe(*c));
    CHECK(room->videoMixer().compositeCount() == 1);
    CHECK(room->videoMixer().activeEncoders() == 1);
    CHECK(a->lastLayout().layout == "grid");
    CHECK(a->lastLayout().tiles.size() == 3);
    // Everyone on the same layout sees the same picture.
    CHECK(waitUntil([&] { return frameDifference(a->lastFrameRGB(), c->lastFrameRGB()) < 8; }, 5s));

    // B chooses the speaker layout: a second composite, a second encode, a different picture.
    b->sendRaw(R"({"type":"set-layout","layout":"speaker"})");
    CHECK(waitUntil(
        [&] {
            return room->layoutOf(b->participantId()) == media::LayoutKind::Speaker &&
                   b->lastLayout().layout == "speaker" &&
                   room->videoMixer().compositeCount() == 2 &&
                   room->videoMixer().activeEncoders() == 2;
        },
        5s));
    CHECK(b->lastLayout().choice == "speaker");
    CHECK(a->lastLayout().layout == "grid");
    const std::size_t encoders = room->elementCount("vp8enc");
    CHECK(waitUntil(
        [&] {
            return frameDifference(a->lastFrameRGB(), b->lastFrameRGB()) > 20 &&
                   frameDifference(a->lastFrameRGB(), c->lastFrameRGB()) < 8;
        },
        5s));
    INFO("a-b " << frameDifference(a->lastFrameRGB(), b->lastFrameRGB()) << " a-c "
                << frameDifference(a->lastFrameRGB(), c->lastFrameRGB()));

    // C joins B's layout: it shares B's composite and encode.
    c->sendRaw(R"({"type":"set-layout","layout":"speaker"})");
    CHECK(waitUntil([&] { return c->lastLayout().layout == "speaker"; }, 5s));
    CHECK(room->videoMixer().compositeCount() == 2);
    CHECK(room->videoMixer().activeEncoders() == 2);
    CHECK(room->elementCount("vp8enc") == encoders);
    CHECK(waitUntil([&] { return frameDifference(b->lastFrameRGB(), c->lastFrameRGB()) < 8; }, 5s));

    // Both go back to the meeting's layout: the speaker composite and its encoder stop.
    b->sendRaw(R"({"type":"set-layout","layout":"auto"})");
    c->sendRaw(R"({"type":"set-layout","layout":"auto"})");
    CHECK(waitUntil(
        [&] {
            return room->videoMixer().compositeCount() == 1 &&
                   room->videoMixer().activeEncoders() == 1 && c->lastLayout().layout == "grid";
        },
        5s));
    // A bad layout is refused; only the host sets the meeting's.
    b->sendRaw(R"({"type":"set-layout","layout":"mosaic"})");
    c->sendRaw(R"({"type":"set-layout","layout":"speaker","scope":"meeting"})");
    CHECK(waitUntil([&] { return b->errors().size() == 1 && c->errors().size() == 1; }, 5s));
    if (!b->errors().empty()) CHECK(b->errors()[0].code == "bad-message");
    if (!c->errors().empty()) CHECK(c->errors()[0].code == "not-host");
    CHECK(room->videoMixer().compositeCount() == 1);
}

TEST_CASE("the host's meeting layout moves every viewer who follows it", "[layouts]") {
    TestServer s;
    auto a = makePeer(s, "meeting", "Host", 4, true);
    REQUIRE(waitUntil([&] { return receivingFull(*a, 1); }, 20s));
    auto b = makePeer(s, "meeting", "B", 5, true);
    REQUIRE(waitUntil([&] { return receivingFull(*a, 2) && receivingFull(*b, 2); }, 20s));
    room::Room* room = s.room("meeting");
    REQUIRE(room);
    REQUIRE(room->isHost(a->participantId()));
    a->sendRaw(R"({"type":"set-layout","layout":"speaker","scope":"meeting"})");
    CHECK(waitUntil(
        [&] {
            return a->lastLayout().layout == "speaker" && b->lastLayout().layout == "speaker" &&
                   b->lastLayout().meetingLayout == "speaker" && b->lastLayout().choice == "auto";
        },
        5s));
    // One composite for both, one encoder.
    CHECK(room->videoMixer().compositeCount() == 1);
    CHECK(room->videoMixer().activeEncoders() == 1);
    CHECK(a->errors().empty());
}

TEST_CASE(
    "the louder talker becomes the active speaker within 1 s, gets the large tile and "
    "the highlight",
    "[layouts][speaker]") {
    TestServer s;
    auto make = [&](const std::string& name, int pattern, double hz, double volume) {
        PeerOptions o = s.peerOptions("talk", name);
        o.pattern = pattern;
        o.toneHz = hz;
        o.toneVolume = volume;
        auto p = std::make_unique<SyntheticPeer>(o);
        p->start();
        return p;
    };
    auto a = make("Quiet", 4, 440.0, 0.02);  // red, murmuring
    auto b = make("Loud", 5, 660.0, 0.0);    // green, silent for now
    auto v = make("Viewer", 6, 880.0, 0.0);  // blue, silent
    REQUIRE(waitUntil(
        [&] { return receivingFull(*a, 3) && receivingFull(*b, 3) && receivingFull(*v, 3); }, 30s));
    room::Room* room = s.room("talk");
    REQUIRE(room);
    v->sendRaw(R"({"type":"set-layout","layout":"speaker"})");
    // The murmur takes the floor first (nobody else talks).
    REQUIRE(waitUntil([&] { return room->activeSpeaker() == a->participantId(); }, 5s));
    REQUIRE(waitUntil([&] { return v->lastLayout().layout == "speaker"; }, 5s));
    // (Past the murmur's minimum dwell: a switch is then due to the new voice alone.)
    testing::runFor(1200ms);

    b->setToneVolume(0.5);
    const gint64 start = g_get_monotonic_time();
    CHECK(waitUntil([&] { return room->activeSpeaker() == b->participantId(); }, 3s));
    const double tookMs = (g_get_monotonic_time() - start) / 1000.0;
    INFO("new speaker after " << tookMs << " ms");
    CHECK(tookMs < 1000.0);

    // The speaker layout shows B large: its tile is the big one in V's layout message and the
    // centre of the frame is green.
    CHECK(waitUntil([&] { return v->lastLayout().speaker == b->participantId(); }, 2s));
    const auto& tiles = v->lastLayout().tiles;
    media::Rect big{};
    for (const auto& t : tiles)
        if (t.id == b->participantId()) big = {t.x, t.y, t.width, t.height};
    CHECK(big.width > testing::kWidth / 2);
    std::array<double, 3> centre{};
    CHECK(waitUntil(
        [&] {
            centre = v->lastFrameRGB().mean(big.x + big.width / 4, big.y + big.height / 4,
                                            big.width / 2, big.height / 2);
            return centre[1] > 100 && centre[0] < 80 && centre[2] < 80;
        },
        3s));
    INFO("speaker tile centre " << centre[0] << "," << centre[1] << "," << centre[2]);

    // In the grid (A's view) B's tile carries the highlight: its top edge is yellow-ish
    // (red and green high, blue low), unlike its centre.
    CHECK(waitUntil([&] { return a->lastLayout().speaker == b->participantId(); }, 2s));
    media::Rect tile{};
    for (const auto& t : a->lastLayout().tiles)
        if (t.id == b->participantId()) tile = {t.x, t.y, t.width, t.height};
    std::array<double, 3> edge{};
    CHECK(waitUntil(
        [&] {
            edge = a->lastFrameRGB().mean(tile.x + tile.width / 4, tile.y, tile.width / 2, 2);
            return edge[0] > 150 && edge[1] > 150 && edge[2] < 120;
        },
        3s));
    INFO("highlight " << edge[0] << "," << edge[1] << "," << edge[2]);
}
