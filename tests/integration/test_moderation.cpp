// Meeting controls end to end (docs/protocol.md, "Meeting controls"): the real server and real
// webrtcbin peers. A host mute is enforced in the mix while the muted client keeps sending;
// every host action from a non-host is refused; remove, lock, the waiting room and ending the
// meeting (history rows closed); hanging up keeps chat working and rejoining the call brings
// the media back. Tagged [moderation].
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "SignalClient.h"
#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "app/Server.h"
#include "auth/Tokens.h"
#include "media/Layout.h"
#include "protocol/Messages.h"

using namespace mixmeet;
using namespace std::chrono_literals;
using testing::PeerOptions;
using testing::SignalClient;
using testing::SyntheticPeer;
using testing::TestServer;
using testing::waitUntil;

namespace {

int64_t wallMs() {
    return g_get_real_time() / 1000;
}

std::unique_ptr<SyntheticPeer> peer(const TestServer& s, const std::string& room,
                                    const std::string& name, double toneHz,
                                    const std::string& cookie = {}, int pattern = 0) {
    PeerOptions o = s.peerOptions(room, name);
    o.toneHz = toneHz;
    o.pattern = pattern;
    o.cookie = cookie;
    o.width = 160;
    o.height = 120;
    auto p = std::make_unique<SyntheticPeer>(o);
    p->start();
    return p;
}

/// Starts a peer and waits until it is connected (so join order, and so the host, is known).
std::unique_ptr<SyntheticPeer> connectedPeer(const TestServer& s, const std::string& room,
                                             const std::string& name, double toneHz,
                                             const std::string& cookie = {}, int pattern = 0) {
    auto p = peer(s, room, name, toneHz, cookie, pattern);
    bool ok = waitUntil([&] { return p->connected(); }, 20s);
    INFO(name << ": ice=" << p->iceConnectionState() << " types=" << p->receivedTypes().size());
    REQUIRE(ok);
    return p;
}

std::string json(const protocol::ClientMessage& m) {
    return protocol::toJson(m);
}

std::string hostJson(protocol::HostVerb verb, const std::string& participant = {},
                     bool flag = false) {
    return json(protocol::HostCommand{verb, participant, flag});
}

std::size_t count(const std::vector<std::string>& types, const std::string& type) {
    return static_cast<std::size_t>(std::count(types.begin(), types.end(), type));
}

std::size_t errorsWithCode(const SyntheticPeer& p, const std::string& code) {
    std::size_t n = 0;
    for (const auto& e : p.errors())
        if (e.code == code) ++n;
    return n;
}

const testing::RosterEntry* entry(const SyntheticPeer& viewer, const std::string& id) {
    for (const auto& e : viewer.roster())
        if (e.id == id) return &e;
    return nullptr;
}

/// A stored meeting that admits guests, created by a fresh account; returns that account's
/// session cookie ("mm_session=...").
std::string ownedMeeting(TestServer& s, const std::string& id) {
    store::NewUser u{"owner-" + id + "@example.org", "owner" + id.substr(0, 3), "Owner",
                     "$argon2id$unused", wallMs()};
    auto user = s.server->store().createUser(u);
    REQUIRE(user);
    store::Meeting m{id, "Moderated", user.value().id, true, wallMs()};
    REQUIRE(s.server->store().createMeeting(m));
    const std::string token = "feedfacefeedfacefeedfacefeedface" + id.substr(0, 3);
    store::Session session{auth::hashToken(token), user.value().id, "csrf", wallMs(),
                           wallMs() + 3600000};
    REQUIRE(s.server->store().createSession(session));
    return "mm_session=" + token;
}

}  // namespace

TEST_CASE("a host-muted participant leaves the mix while it keeps sending", "[moderation]") {
    TestServer s;
    auto host = connectedPeer(s, "mute", "Host", 440.0);
    auto talker = connectedPeer(s, "mute", "Talker", 660.0);
    auto listener = connectedPeer(s, "mute", "Listener", 880.0);
    REQUIRE(waitUntil([&] { return listener->toneLevel(660.0) > 0.15; }, 15s));
    REQUIRE(waitUntil(
        [&] {
            return entry(*listener, host->participantId()) &&
                   entry(*listener, host->participantId())->host;
        },
        5s));

    const auto t0 = std::chrono::steady_clock::now();
    host->sendRaw(hostJson(protocol::HostVerb::Mute, talker->participantId()));
    // Gone from what the others hear (a 100 ms window: the mute itself, not the window).
    bool gone = waitUntil([&] { return listener->toneLevel(660.0, 100) < 0.03; }, 5s);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    WARN("host mute took effect at the listener after " << ms << " ms");
    REQUIRE(gone);
    CHECK(count(talker->receivedTypes(), "muted-by-host") == 1);
    CHECK(waitUntil(
        [&] {
            return entry(*listener, talker->participantId()) &&
                   !entry(*listener, talker->participantId())->mic;
        },
        5s));

    // The muted client ignores the mute and keeps sending its tone: it stays out of the mix.
    const auto sentBefore = talker->audioPacketsSent();
    testing::runFor(1500ms);
    CHECK(talker->audioPacketsSent() - sentBefore > 50);  // 20 ms packets, not DTX
    CHECK(listener->toneLevel(660.0, 1000) < 0.03);
    CHECK(host->toneLevel(660.0, 1000) < 0.03);
    CHECK(listener->toneLevel(440.0) > 0.15);  // The others are still heard.
    CHECK(s.room("mute")->audioMixer().isMuted(talker->participantId()));

    // Only the participant itself lifts the mute: its own microphone switch.
    talker->sendRaw(json(protocol::MediaState{true, true}));
    CHECK(waitUntil([&] { return listener->toneLevel(660.0) > 0.15; }, 10s));
}

TEST_CASE("a stopped video shows the name tile while the sender keeps sending", "[moderation]") {
    TestServer s;
    auto host = connectedPeer(s, "name-tile", "Host", 440.0, {}, 5);  // green
    auto red = connectedPeer(s, "name-tile", "Red", 660.0, {}, 4);    // red
    const auto tiles = media::gridLayout(2, testing::kWidth, testing::kHeight);
    const media::Rect& tile = tiles[1];  // Red joined second.
    // The tile's centre, away from the name label at its bottom.
    auto centre = [&] {
        testing::Frame f = host->lastFrameRGB();
        return f.empty() ? std::array<double, 3>{0, 0, 0}
                         : f.mean(tile.x + tile.width / 4, tile.y + tile.height / 8, tile.width / 2,
                                  tile.height / 2);
    };
    auto isRed = [&] {
        auto c = centre();
        return c[0] > 128 && c[1] < 100 && c[2] < 100;
    };
    auto isDark = [&] {
        auto c = centre();
        return c[0] < 40 && c[1] < 40 && c[2] < 40;
    };
    REQUIRE(waitUntil(isRed, 20s));

    host->sendRaw(hostJson(protocol::HostVerb::StopVideo, red->participantId()));
    CHECK(waitUntil(isDark, 5s));
    CHECK(count(red->receivedTypes(), "muted-by-host") == 1);
    // The client ignores it and keeps sending its camera: the tile stays the name tile.
    const auto framesBefore = host->videoFramesDecoded();
    testing::runFor(1000ms);
    CHECK(host->videoFramesDecoded() > framesBefore + 10);
    CHECK(isDark());
    CHECK(waitUntil(
        [&] {
            return entry(*host, red->participantId()) &&
                   !entry(*host, red->participantId())->camera;
        },
        5s));
    // Its own camera switch brings the picture back.
    red->sendRaw(json(protocol::MediaState{true, true}));
    CHECK(waitUntil(isRed, 10s));

    // A camera turned off that sends nothing more (a browser stops the track): the compositor
    // would keep showing the last picture; the name tile replaces it all the same.
    red->stopSendingMedia();
    testing::runFor(500ms);
    REQUIRE(isRed());
    red->sendRaw(json(protocol::MediaState{true, false}));
    CHECK(waitUntil(isDark, 5s));
}

TEST_CASE("every host action from a non-host is refused", "[moderation]") {
    TestServer s;
    auto host = connectedPeer(s, "refuse", "Host", 440.0);
    auto guest = connectedPeer(s, "refuse", "Guest", 660.0);
    const std::string hostId = host->participantId();
    using protocol::HostVerb;
    const std::vector<std::string> actions = {
        hostJson(HostVerb::Mute, hostId),
        hostJson(HostVerb::MuteAll),
        hostJson(HostVerb::AskUnmute, hostId),
        hostJson(HostVerb::StopVideo, hostId),
        hostJson(HostVerb::Remove, hostId),
        hostJson(HostVerb::Lock, {}, true),
        hostJson(HostVerb::WaitingRoom, {}, true),
        hostJson(HostVerb::Admit, "p99"),
        hostJson(HostVerb::Deny, "p99"),
        hostJson(HostVerb::EndMeeting),
        hostJson(HostVerb::MakeHost, guest->participantId()),
    };
    for (const auto& a : actions) guest->sendRaw(a);
    bool refused = waitUntil(
        [&] { return errorsWithCode(*guest, protocol::errc::kNotHost) == actions.size(); }, 10s);
    INFO("not-host errors: " << errorsWithCode(*guest, protocol::errc::kNotHost));
    CHECK(refused);
    // More than the 10 protocol errors that disconnect: a refusal is not one.
    CHECK(guest->socketOpen());
    // Nothing happened: the host is host, heard, shown, in the room; the meeting is open.
    testing::runFor(500ms);
    CHECK(host->socketOpen());
    CHECK(host->byeReason().empty());
    CHECK(count(host->receivedTypes(), "muted-by-host") == 0);
    CHECK(count(host->receivedTypes(), "unmute-request") == 0);
    // Heard (a refused mute would have silenced it for good; on a loaded machine the guest's
    // first second of the host's audio may still be on its way, so wait for it).
    CHECK(waitUntil([&] { return guest->toneLevel(440.0) > 0.15; }, 5s));
    REQUIRE(entry(*guest, hostId));
    CHECK(entry(*guest, hostId)->host);
    CHECK(entry(*guest, hostId)->mic);
    CHECK(entry(*guest, hostId)->camera);
    CHECK_FALSE(entry(*guest, guest->participantId())->host);
    auto third = peer(s, "refuse", "Third", 880.0);
    CHECK(waitUntil([&] { return third->joined(); }, 10s));
    CHECK(count(third->receivedTypes(), "waiting") == 0);
    CHECK(s.room("refuse")->participantCount() == 3);
}

TEST_CASE("the host removes, locks and ends the meeting", "[moderation]") {
    TestServer s(false);
    const std::string meeting = "mod-erat-ion";
    const std::string owner = ownedMeeting(s, meeting);
    // A guest first: the account that created the meeting is host once it arrives.
    auto early = connectedPeer(s, meeting, "Early", 550.0);
    auto host = connectedPeer(s, meeting, "Owner", 440.0, owner);
    auto guest = connectedPeer(s, meeting, "Guest", 660.0);
    REQUIRE(waitUntil(
        [&] {
            return entry(*guest, host->participantId()) &&
                   entry(*guest, host->participantId())->host;
        },
        5s));

    // Remove: told, then bye, socket closed, out of everyone's roster.
    host->sendRaw(hostJson(protocol::HostVerb::Remove, guest->participantId()));
    REQUIRE(waitUntil([&] { return guest->socketClosed(); }, 10s));
    CHECK(count(guest->receivedTypes(), "removed") == 1);
    CHECK(guest->byeReason() == "removed");
    CHECK(waitUntil([&] { return host->roster().size() == 2 && early->roster().size() == 2; }, 5s));

    // Lock: a new join is refused with meeting-locked.
    host->sendRaw(hostJson(protocol::HostVerb::Lock, {}, true));
    REQUIRE(waitUntil([&] { return count(early->receivedTypes(), "locked") >= 2; }, 5s));
    SignalClient late(s.wsUrl(), "");
    late.send(protocol::Join{1, meeting, "Late"});
    CHECK(waitUntil([&] { return late.hasError(protocol::errc::kMeetingLocked); }, 5s));
    CHECK(waitUntil([&] { return late.closed(); }, 5s));
    CHECK(s.room(meeting)->participantCount() == 2);

    // End for everyone: every page told, every socket closed, every history row closed.
    host->sendRaw(hostJson(protocol::HostVerb::EndMeeting));
    CHECK(waitUntil([&] { return host->socketClosed() && early->socketClosed(); }, 10s));
    for (const auto* p : {host.get(), early.get()}) {
        CHECK(count(p->receivedTypes(), "meeting-ended") == 1);
        CHECK(p->byeReason() == "meeting-ended");
    }
    CHECK(waitUntil([&] { return s.room(meeting) == nullptr; }, 10s));
    auto rows = s.server->store().participationsForMeeting(meeting);
    REQUIRE(rows);
    CHECK(rows.value().size() == 3);
    for (const auto& r : rows.value()) {
        INFO(r.displayName);
        CHECK(r.leftAt.has_value());
    }
}

TEST_CASE("the waiting room holds guests until the host admits or denies them", "[moderation]") {
    TestServer s(false);
    const std::string meeting = "wai-ting-roo";
    const std::string owner = ownedMeeting(s, meeting);
    auto host = connectedPeer(s, meeting, "Owner", 440.0, owner);
    host->sendRaw(hostJson(protocol::HostVerb::WaitingRoom, {}, true));
    REQUIRE(waitUntil([&] { return count(host->receivedTypes(), "waiting-room") >= 2; }, 5s));

    auto waiter = peer(s, meeting, "Waiter", 660.0);
    REQUIRE(waitUntil([&] { return count(waiter->receivedTypes(), "waiting") == 1; }, 10s));
    CHECK_FALSE(waiter->joined());
    CHECK(s.room(meeting)->participantCount() == 1);
    SignalClient denied(s.wsUrl(), "");
    denied.send(protocol::Join{1, meeting, "Denied"});
    REQUIRE(waitUntil([&] { return denied.has<protocol::Waiting>(); }, 5s));
    // The host sees both; their waiting ids come with the waiting-room message.
    REQUIRE(waitUntil([&] { return count(host->receivedTypes(), "waiting-room") >= 4; }, 5s));

    // The roster ids of waiting people are not known to the peer helper: use the room.
    const auto& queue = s.room(meeting)->moderation().waiting();
    REQUIRE(queue.size() == 2);
    const std::string waiterId = queue[0].id;
    const std::string deniedId = queue[1].id;
    host->sendRaw(hostJson(protocol::HostVerb::Deny, deniedId));
    CHECK(waitUntil([&] { return denied.closed(); }, 5s));
    CHECK(denied.has<protocol::Denied>());
    host->sendRaw(hostJson(protocol::HostVerb::Admit, waiterId));
    CHECK(waitUntil([&] { return waiter->connected() && waiter->toneLevel(440.0) > 0.15; }, 20s));
    CHECK(count(waiter->receivedTypes(), "admitted") == 1);
    CHECK(s.room(meeting)->participantCount() == 2);
}

TEST_CASE("hanging up keeps chat; rejoining the call brings the media back", "[moderation]") {
    TestServer s;
    auto a = connectedPeer(s, "hangup", "A", 440.0);
    auto b = connectedPeer(s, "hangup", "B", 660.0);
    REQUIRE(waitUntil([&] { return a->toneLevel(660.0) > 0.15; }, 15s));
    const std::size_t elementsWithTwo = s.room("hangup")->elementCount();

    b->leaveCall();
    // Out of the call: not heard, no tile, no media elements; still in the roster.
    CHECK(waitUntil(
        [&] { return entry(*a, b->participantId()) && !entry(*a, b->participantId())->inCall; },
        5s));
    CHECK(waitUntil([&] { return a->toneLevel(660.0) < 0.03; }, 5s));
    CHECK(waitUntil([&] { return s.room("hangup")->elementCount() < elementsWithTwo; }, 5s));
    CHECK(s.room("hangup")->participantCount() == 2);
    CHECK(b->socketOpen());

    // Chat both ways.
    b->sendRaw(json(protocol::ChatSend{"still here"}));
    a->sendRaw(json(protocol::ChatSend{"hello B"}));
    CHECK(waitUntil([&] { return count(a->receivedTypes(), "chat") >= 2; }, 5s));
    CHECK(waitUntil([&] { return count(b->receivedTypes(), "chat") >= 2; }, 5s));

    // Back in the call without reconnecting.
    b->rejoinCall();
    CHECK(waitUntil([&] { return b->connected(); }, 20s));
    CHECK(count(b->receivedTypes(), "offer") == 2);
    CHECK(waitUntil([&] { return a->toneLevel(660.0) > 0.15 && b->toneLevel(440.0) > 0.15; }, 15s));
    CHECK(entry(*a, b->participantId())->inCall);
}
