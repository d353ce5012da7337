// Reconnecting over a real network blip. Runs only inside a private network namespace
// (tests/integration/netns.sh: unshare --net, lo up), hidden tag [.netns] so the plain
// integration run skips it. One participant's media crosses a veth pair into a second
// namespace (as in test_bandwidth.cpp); taking the pair down blocks its UDP. Blocked for 2 s
// with the socket kept (ICE survives the blip) or dropped too (the page resumes with its token
// as the network comes back), or for 7 s, past the server's 5 s silence check (the server
// restarts ICE over the live socket; or the page resumes), it is back within 5 s of the network's
// return as the same participant with one history row, and the other participant never sees
// it leave.
#include <glib.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>

#include "Netns.h"
#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "app/Server.h"
#include "auth/Tokens.h"

using namespace mixmeet;
using namespace mixmeet::testing;
using namespace std::chrono_literals;

namespace {
bool run(const std::string& cmd) {
    g_autofree gchar* err = nullptr;
    gint status = 0;
    gboolean ok = g_spawn_command_line_sync(cmd.c_str(), nullptr, &err, &status, nullptr);
    if (err && *err) UNSCOPED_INFO(cmd << ": " << err);
    return ok && g_spawn_check_wait_status(status, nullptr);
}

constexpr const char* kServerSide = "mmblip0";
constexpr const char* kServerAddress = "10.78.0.1";
constexpr const char* kPeerAddress = "10.78.0.2";

/// A veth pair from the test's namespace into a new one for one participant's media.
struct VethLink {
    NetnsFd peerNs = NetnsFd::create();
    VethLink() {
        REQUIRE(run(std::string("ip link add ") + kServerSide +
                    " type veth peer name mmblip1 netns /proc/" + std::to_string(::getpid()) +
                    "/fd/" + std::to_string(peerNs.get())));
        REQUIRE(run(std::string("ip addr add ") + kServerAddress + "/24 dev " + kServerSide));
        REQUIRE(up(true));
        NetnsScope inPeerNs(peerNs.get());
        REQUIRE(run(std::string("ip addr add ") + kPeerAddress + "/24 dev mmblip1"));
        REQUIRE(run("ip link set up dev mmblip1"));
    }
    ~VethLink() { run(std::string("ip link del ") + kServerSide); }
    /// Takes the server's end down (nothing passes either way) or up again.
    bool up(bool on) const {
        return run(std::string("ip link set ") + (on ? "up" : "down") + " dev " + kServerSide);
    }
};

int64_t wallMs() {
    return g_get_real_time() / 1000;
}

void createMeeting(TestServer& s, const std::string& id) {
    store::NewUser u{"blip@example.org", "blipper", "Owner", "$argon2id$unused", wallMs()};
    auto user = s.server->store().createUser(u);
    REQUIRE(user);
    REQUIRE(s.server->store().createMeeting({id, "Blip", user.value().id, true, wallMs()}));
}

bool sawLeave(const SyntheticPeer& viewer, std::size_t from, const std::string& id) {
    const auto& history = viewer.rosterHistory();
    for (std::size_t i = from; i < history.size(); ++i)
        if (std::find(history[i].begin(), history[i].end(), id) == history[i].end()) return true;
    return false;
}
}  // namespace

TEST_CASE("a participant whose UDP is blocked is back within 5 s, one history row",
          "[.netns][blip]") {
    VethLink link;
    // The shipped defaults for the silence check and the grace period.
    TestServer s(false, {"127.0.0.1", kServerAddress}, [](app::Config& c) {
        c.media.disconnectTimeoutMs = 5000;
        c.reconnectGraceMs = 10000;
    });
    const std::string meeting = "bli-pbli-pbl";
    createMeeting(s, meeting);
    PeerOptions o = s.peerOptions(meeting, "Steady");
    o.width = 160;
    o.height = 120;
    SyntheticPeer steady(o);
    o.name = "Blip";
    o.iceAddress = kPeerAddress;
    o.netnsFd = link.peerNs.get();
    SyntheticPeer blip(o);
    steady.start();
    blip.start();
    REQUIRE(waitUntil(
        [&] {
            return steady.connected() && blip.connected() && blip.videoFramesDecoded() > 30 &&
                   steady.roster().size() == 2;
        },
        30s));
    const std::string id = blip.participantId();
    const std::size_t rostersBefore = steady.rosterHistory().size();

    bool dropSocket = false;
    auto blocked = 2000ms;
    SECTION("the socket stays up") {
        dropSocket = false;
    }
    SECTION("the socket drops too, and the page resumes with its token") {
        dropSocket = true;
    }
    SECTION("blocked past the 5 s silence check, socket up: an ICE restart brings it back") {
        // The server finds it silent at 5 s and restarts ICE over the live socket (a new offer
        // with new ICE credentials, answered by the same webrtcbin); the network is back at 7 s,
        // within the restart's 5 s: no bye, no resume.
        blocked = 7000ms;
        dropSocket = false;
    }
    SECTION("blocked past the 5 s silence check, then the page resumes with its token") {
        // The restart under way is taken over by the resume (the old socket gets bye
        // replaced): a new PeerConnection as before.
        blocked = 7000ms;
        dropSocket = true;
    }
    REQUIRE(link.up(false));
    runFor(blocked);
    if (blocked > 5000ms && !dropSocket) {
        CHECK(blip.offerCount() == 2);  // The ICE restart's offer came over the socket.
        CHECK(s.room(meeting)->restartingIce(id));
    }
    const uint64_t framesAtUnblock = blip.videoFramesDecoded();
    REQUIRE(link.up(true));
    const auto t0 = std::chrono::steady_clock::now();
    // The page finds its socket dead as the network comes back, and resumes.
    if (dropSocket) blip.reconnect(SyntheticPeer::ReconnectMode::Resume);
    const bool back = waitUntil(
        [&] { return blip.connected() && blip.videoFramesDecoded() >= framesAtUnblock + 15; }, 5s);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    INFO("ice=" << blip.iceConnectionState() << " bye=" << blip.byeReason()
                << " frames=" << blip.videoFramesDecoded());
    CHECK(back);
    WARN("back " << ms << " ms after the " << blocked.count()
                 << " ms block ended (socket dropped: " << dropSocket << ")");
    CHECK(blip.participantId() == id);
    if (dropSocket) CHECK(blip.resumed());
    if (!dropSocket) CHECK(blip.byeReason().empty());
    CHECK_FALSE(sawLeave(steady, rostersBefore, id));
    auto rows = s.server->store().participationsForMeeting(meeting);
    REQUIRE(rows);
    CHECK(rows.value().size() == 2);
    CHECK(std::none_of(rows.value().begin(), rows.value().end(),
                       [](const auto& r) { return r.leftAt.has_value(); }));
}
