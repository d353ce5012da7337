// A viewer on a limited downlink. Runs only inside a private network namespace
// (tests/integration/netns.sh: unshare --net, lo up) where the test may police one peer's
// UDP ports with nftables: hidden tag [.netns], so the plain integration run skips it.
#include <glib.h>
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"

using namespace mixmeet;
using namespace mixmeet::testing;
using namespace std::chrono_literals;

namespace {
std::string nftOutput(const std::string& args) {
    std::string cmd = "nft " + args;
    gchar* out = nullptr;
    g_spawn_command_line_sync(cmd.c_str(), &out, nullptr, nullptr, nullptr);
    std::string text = out ? out : "";
    g_free(out);
    return text;
}

bool nft(const std::string& args) {
    std::string cmd = "nft " + args;
    gint status = 0;
    gchar* err = nullptr;
    gboolean ok = g_spawn_command_line_sync(cmd.c_str(), nullptr, &err, &status, nullptr);
    if (err && *err) UNSCOPED_INFO("nft: " << err);
    g_free(err);
    return ok && g_spawn_check_wait_status(status, nullptr);
}

struct NftTable {
    NftTable() { REQUIRE(nft("add table inet mixmeet_test")); }
    ~NftTable() { nft("delete table inet mixmeet_test"); }
};

uint64_t framesDuring(const SyntheticPeer& p, std::chrono::milliseconds ms) {
    uint64_t before = p.videoFramesDecoded();
    runFor(ms);
    return p.videoFramesDecoded() - before;
}
}  // namespace

TEST_CASE("a viewer with a limited downlink drops to a lower tier; the others do not",
          "[.netns][tiers]") {
    TestServer s;
    PeerOptions o = s.peerOptions("limited", "Normal");
    o.pattern = 1;  // Snow: hard content, so the encoders really spend their bitrate.
    SyntheticPeer normal(o);
    o.name = "Limited";
    o.pattern = 5;
    o.minRtpPort = 41000;  // So the test knows which ports to police.
    o.maxRtpPort = 41020;
    SyntheticPeer limited(o);
    normal.start();
    limited.start();
    REQUIRE(waitUntil(
        [&] {
            return normal.connected() && limited.connected() && normal.videoFramesDecoded() > 30 &&
                   limited.videoFramesDecoded() > 30;
        },
        30s));
    room::Room* room = s.room("limited");
    REQUIRE(room);
    std::string limitedId = limited.participantId();
    std::string normalId = normal.participantId();
    REQUIRE(room->tierOf(limitedId) == 0);
    // Both viewers already report (receiver reports every ~0.5 s), as browsers do from the start.
    REQUIRE(waitUntil(
        [&] {
            return room->lastFeedback(limitedId).first >= 0 &&
                   room->lastFeedback(normalId).first >= 0;
        },
        10s));

    // 40 kB/s (320 kbps) into the limited viewer: the high tier (800 kbps here) cannot pass.
    NftTable table;
    REQUIRE(nft("add chain inet mixmeet_test in { type filter hook input priority 0 \\; }"));
    REQUIRE(nft("add rule inet mixmeet_test in udp dport 41000-41020 counter"));
    // Police the media (RTP/RTCP: version bits 0b10 in the first byte of the UDP payload) and
    // let ICE's STUN checks through, as a bottleneck queue mostly would (they are tiny): a
    // policer that drops the consent checks makes the viewer's ICE give up instead, which is
    // another test.
    REQUIRE(
        nft("add rule inet mixmeet_test in udp dport 41000-41020 @th,64,2 2 limit rate "
            "over 40 kbytes/second counter drop"));
    gint64 limitedAt = g_get_monotonic_time();
    bool moved = waitUntil([&] { return room->tierOf(limitedId) > 0; }, 10s);
    INFO(nftOutput("list table inet mixmeet_test"));
    INFO("limited viewer ICE " << limited.iceConnectionState() << ", RTCP sent "
                               << limited.rtcpSent() << ", frames " << limited.videoFramesDecoded()
                               << ", server feedback loss " << room->lastFeedback(limitedId).first);
    REQUIRE(moved);
    double secondsToMove = (g_get_monotonic_time() - limitedAt) / 1e6;
    INFO("moved down after " << secondsToMove << " s");
    CHECK(secondsToMove <= 5.0);

    // Let it settle, then: it still gets a steady picture without loss, at a smaller size...
    REQUIRE(waitUntil(
        [&] {
            return room->lastFeedback(limitedId).first >= 0 &&
                   room->lastFeedback(limitedId).first < 0.02;
        },
        15s));
    int tier = room->tierOf(limitedId);
    CHECK(tier > 0);
    auto size = limited.lastVideoSize();
    CHECK(size[0] < kWidth);
    uint64_t frames = framesDuring(limited, 3000ms);
    WARN("limited viewer: " << frames / 3.0 << " fps in tier " << tier << " after moving down in "
                            << secondsToMove << " s");
    // The low tier runs at 15 fps: all of its frames arrive (one frame of slack for where the
    // 3 s window falls).
    CHECK(frames >= 44);
    double worst = 0;
    for (int i = 0; i < 3; ++i) {
        runFor(1000ms);
        worst = std::max(worst, room->lastFeedback(limitedId).first);
    }
    CHECK(worst < 0.02);
    // ... and the other viewer's quality is unchanged.
    CHECK(room->tierOf(normalId) == 0);
    CHECK(normal.lastVideoSize() == std::array<int, 2>{kWidth, kHeight});
    uint64_t normalFrames = framesDuring(normal, 2000ms);
    WARN("other viewer: " << normalFrames / 2.0 << " fps in tier " << room->tierOf(normalId));
    CHECK(normalFrames >= 50);  // the high tier's 30 fps, give or take a frame or two
}
