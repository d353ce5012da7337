// Layouts end to end: the composite's geometry as participants come and go, with real
// webrtcbin peers against the server in this process.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"

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
