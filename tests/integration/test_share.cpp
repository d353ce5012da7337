// Screen sharing end to end (docs/protocol.md, "Screen sharing"): real webrtcbin peers send a
// screen on m-line 2; the viewers' composite switches to the presentation layout with the
// screen large and letterboxed, and back when the share ends (stop, takeover, presenter
// leaving). GST_TRACERS=leaks checks the screen's tiles and pads are all freed.
#include <catch2/catch.hpp>

#include <cstdio>
#include <memory>
#include <string>

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

namespace {

// videotestsrc patterns.
constexpr int kWhite = 3, kRed = 4, kGreen = 5, kBlue = 6;

/// `screen` >= 0: sends that pattern as a 640x480 (4:3) screen on m-line 2.
std::unique_ptr<SyntheticPeer> makePeer(const TestServer& s, const std::string& room,
                                        const std::string& name, int camera, int screen = -1) {
    PeerOptions o = s.peerOptions(room, name);
    o.pattern = camera;
    o.screenPattern = screen;
    o.followSendHints = true;
    auto p = std::make_unique<SyntheticPeer>(o);
    p->start();
    return p;
}

bool receivingFull(const SyntheticPeer& p, std::size_t roster) {
    auto size = p.lastVideoSize();
    return p.connected() && p.videoFramesDecoded() >= 5 && size[0] == testing::kWidth &&
           size[1] == testing::kHeight && p.roster().size() == roster;
}

bool presenting(const SyntheticPeer& viewer, const SyntheticPeer& presenter) {
    const auto& l = viewer.lastLayout();
    return l.layout == "presentation" && l.presenter == presenter.participantId() &&
           l.screen.has_value();
}

bool rosterSays(const SyntheticPeer& viewer, const std::string& presenterId) {
    for (const auto& e : viewer.roster())
        if (e.presenting != (e.id == presenterId)) return false;
    return !viewer.roster().empty();
}

/// Waits until the screen rectangle of `viewer`'s layout shows `rgb` (+-60 per channel) in
/// its centre and black in the letterbox bars left and right of the 4:3 screen.
bool screenShows(const SyntheticPeer& viewer, std::array<int, 3> rgb, std::string& seen) {
    const auto& screen = viewer.lastLayout().screen;
    if (!screen) return false;
    const testing::Frame f = viewer.lastFrameRGB();
    auto centre =
        f.mean(screen->x + screen->width / 2 - 20, screen->y + screen->height / 2 - 20, 40, 40);
    // A 4:3 screen in the wide area: bars of (width - height * 4/3) / 2 on each side.
    const int bar = (screen->width - screen->height * 4 / 3) / 2;
    auto left = f.mean(screen->x + 4, screen->y + screen->height / 4, bar - 8, screen->height / 2);
    auto right = f.mean(screen->x + screen->width - bar + 4, screen->y + screen->height / 4,
                        bar - 8, screen->height / 2);
    seen = "centre " + std::to_string(centre[0]) + "," + std::to_string(centre[1]) + "," +
           std::to_string(centre[2]) + " left bar " + std::to_string(left[0]) + "," +
           std::to_string(left[1]) + "," + std::to_string(left[2]) + " right bar " +
           std::to_string(right[0]) + "," + std::to_string(right[1]) + "," +
           std::to_string(right[2]) + " bar " + std::to_string(bar);
    if (bar < 16) return false;
    for (int c = 0; c < 3; ++c) {
        if (std::abs(centre[c] - rgb[c]) > 60) return false;
        if (left[c] > 40 || right[c] > 40) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("a shared screen switches the viewers to the presentation layout; stopping restores it",
          "[share]") {
    TestServer s;
    auto p = makePeer(s, "share", "Presenter", kRed, kBlue);
    auto v = makePeer(s, "share", "Viewer", kGreen);
    REQUIRE(waitUntil([&] { return receivingFull(*p, 2) && receivingFull(*v, 2); }, 30s));
    room::Room* room = s.room("share");
    REQUIRE(room);
    CHECK(v->lastLayout().layout == "grid");
    CHECK(v->lastLayout().presenter.empty());
    CHECK_FALSE(v->lastLayout().screen.has_value());
    testing::runFor(500ms);  // the screen's stream has reached the server (pad-added)
    const std::size_t elementsBefore = room->elementCount();

    p->sendRaw(R"({"type":"share-start"})");
    const gint64 start = g_get_monotonic_time();
    REQUIRE(waitUntil([&] { return presenting(*v, *p) && presenting(*p, *p); }, 5s));
    const double switchMs = (g_get_monotonic_time() - start) / 1000.0;
    std::printf("share: presentation layout at the viewer %.0f ms after share-start\n", switchMs);
    INFO("presentation layout after " << switchMs << " ms");
    CHECK(room->presenter() == p->participantId());
    CHECK(waitUntil([&] { return rosterSays(*v, p->participantId()); }, 2s));
    // One composite (presentation) for both viewers, one encode.
    CHECK(room->videoMixer().compositeCount() == 1);
    CHECK(room->videoMixer().activeEncoders() == 1);

    // The big tile shows the screen (blue), letterboxed (black bars, nothing cropped); the
    // cameras sit in the strip below it.
    const auto screen = *v->lastLayout().screen;
    CHECK(screen.width > testing::kWidth / 2);
    for (const auto& t : v->lastLayout().tiles) CHECK(t.y >= screen.y + screen.height);
    std::string seen;
    CHECK(waitUntil([&] { return screenShows(*v, {0, 0, 255}, seen); }, 5s));
    INFO(seen);
    // The presenter's camera is still there: its strip tile is red.
    std::array<double, 3> cam{};
    for (const auto& t : v->lastLayout().tiles)
        if (t.id == p->participantId())
            cam = v->lastFrameRGB().mean(t.x + t.width / 4, t.y + t.height / 4, t.width / 2,
                                         t.height / 4);
    INFO("presenter's camera tile " << cam[0] << "," << cam[1] << "," << cam[2]);
    CHECK((cam[0] > 150 && cam[1] < 80 && cam[2] < 80));

    // Stop: back to the grid, the screen's tile and pads gone.
    p->sendRaw(R"({"type":"share-stop"})");
    REQUIRE(waitUntil(
        [&] {
            return v->lastLayout().layout == "grid" && v->lastLayout().presenter.empty() &&
                   !v->lastLayout().screen && p->lastLayout().layout == "grid";
        },
        5s));
    CHECK(room->presenter().empty());
    CHECK(waitUntil([&] { return rosterSays(*v, ""); }, 2s));
    CHECK(waitUntil([&] { return room->elementCount() == elementsBefore; }, 5s));
    INFO("elements before " << elementsBefore << " after " << room->elementCount());
    CHECK(room->videoMixer().compositeCount() == 1);
    // Stopping twice is refused.
    p->sendRaw(R"({"type":"share-stop"})");
    CHECK(waitUntil([&] { return p->hasError("bad-state"); }, 5s));
    CHECK(v->errors().empty());
}

TEST_CASE("a second presenter takes over; the presenter leaving restores the layout", "[share]") {
    TestServer s;
    auto a = makePeer(s, "takeover", "A", kRed, kBlue);
    auto b = makePeer(s, "takeover", "B", kRed, kGreen);
    auto v = makePeer(s, "takeover", "Viewer", kWhite);
    REQUIRE(waitUntil(
        [&] { return receivingFull(*a, 3) && receivingFull(*b, 3) && receivingFull(*v, 3); }, 30s));
    room::Room* room = s.room("takeover");
    REQUIRE(room);
    // A viewer with its own layout choice keeps it during a share.
    v->sendRaw(R"({"type":"set-layout","layout":"speaker"})");
    REQUIRE(waitUntil([&] { return v->lastLayout().layout == "speaker"; }, 5s));
    v->sendRaw(R"({"type":"set-layout","layout":"auto"})");
    REQUIRE(waitUntil([&] { return v->lastLayout().layout == "grid"; }, 5s));

    a->sendRaw(R"({"type":"share-start"})");
    REQUIRE(waitUntil([&] { return presenting(*v, *a); }, 5s));
    std::string seen;
    CHECK(waitUntil([&] { return screenShows(*v, {0, 0, 255}, seen); }, 5s));
    INFO("A's screen: " << seen);

    // B shares too: it takes over; A is no longer presenting.
    b->sendRaw(R"({"type":"share-start"})");
    REQUIRE(waitUntil([&] { return presenting(*v, *b) && presenting(*a, *b); }, 5s));
    CHECK(waitUntil([&] { return rosterSays(*a, b->participantId()); }, 2s));
    CHECK(waitUntil([&] { return screenShows(*v, {0, 255, 0}, seen); }, 5s));
    INFO("B's screen: " << seen);
    CHECK(room->videoMixer().compositeCount() == 1);
    a->sendRaw(R"({"type":"share-stop"})");  // not the presenter any more
    CHECK(waitUntil([&] { return a->hasError("bad-state"); }, 5s));
    CHECK(room->presenter() == b->participantId());

    // The presenter leaves mid-share: everyone is back on the grid.
    b->leave();
    REQUIRE(waitUntil(
        [&] {
            return v->lastLayout().layout == "grid" && v->lastLayout().presenter.empty() &&
                   a->lastLayout().layout == "grid" && v->roster().size() == 2;
        },
        5s));
    CHECK(room->presenter().empty());
    CHECK(room->videoMixer().compositeCount() == 1);
    CHECK(v->errors().empty());
    b.reset();
}

TEST_CASE("a client whose answer leaves m-line 2 inactive cannot share", "[share]") {
    TestServer s;
    auto v = makePeer(s, "noshare", "Viewer", kGreen);
    REQUIRE(waitUntil([&] { return receivingFull(*v, 1); }, 20s));
    v->sendRaw(R"({"type":"share-start"})");
    CHECK(waitUntil([&] { return v->hasError("share-unavailable"); }, 5s));
    CHECK(v->lastLayout().layout == "grid");
    room::Room* room = s.room("noshare");
    REQUIRE(room);
    CHECK(room->presenter().empty());
}
