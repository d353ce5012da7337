// Reconnecting (docs/protocol.md, "Reconnecting"): the real server and real webrtcbin peers. A
// participant whose connection drops comes back with its resume token as the same participant
// (same id, one history row, no leave seen by the others, media flowing again), also when the
// server still holds its old socket; past [room] reconnect_grace_ms it has left and a resume
// is refused; unknown, spent, malformed and foreign tokens are refused. Tagged [reconnect].
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "PeerSummary.h"
#include "ServerProcess.h"
#include "SignalClient.h"
#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "app/Server.h"
#include "auth/Tokens.h"
#include "protocol/Messages.h"
#include "store/SqliteStore.h"

using namespace mixmeet;
using namespace std::chrono_literals;
using testing::PeerOptions;
using testing::SignalClient;
using testing::SyntheticPeer;
using testing::TestServer;
using testing::waitUntil;
using Mode = SyntheticPeer::ReconnectMode;

namespace {

int64_t wallMs() {
    return g_get_real_time() / 1000;
}

/// A stored meeting that admits guests, created by a fresh account; returns that account's
/// session cookie ("mm_session=...").
std::string ownedMeeting(TestServer& s, const std::string& id) {
    store::NewUser u{"owner-" + id + "@example.org", "owner" + id.substr(0, 3), "Owner",
                     "$argon2id$unused", wallMs()};
    auto user = s.server->store().createUser(u);
    REQUIRE(user);
    store::Meeting m{id, "Reconnects", user.value().id, true, wallMs()};
    REQUIRE(s.server->store().createMeeting(m));
    const std::string token = "feedfacefeedfacefeedfacefeedface" + id.substr(0, 3);
    store::Session session{auth::hashToken(token), user.value().id, "csrf", wallMs(),
                           wallMs() + 3600000};
    REQUIRE(s.server->store().createSession(session));
    return "mm_session=" + token;
}

/// Creates, in a store that is not open elsewhere, an account, its session `token` and its
/// guest-friendly meeting `id`.
void seedMeeting(const std::string& dbPath, const std::string& id, const std::string& token) {
    auto opened = store::SqliteStore::open(dbPath);
    REQUIRE(opened);
    store::Store& db = *opened.value();
    auto user =
        db.createUser({"drain@example.org", "drainer", "Owner", "$argon2id$unused", wallMs()});
    REQUIRE(user);
    REQUIRE(db.createMeeting({id, "Drained", user.value().id, true, wallMs()}));
    REQUIRE(db.createSession(
        {auth::hashToken(token), user.value().id, "csrf", wallMs(), wallMs() + 3600000}));
}

std::unique_ptr<SyntheticPeer> peer(const TestServer& s, const std::string& room,
                                    const std::string& name, const std::string& cookie = {}) {
    PeerOptions o = s.peerOptions(room, name);
    o.cookie = cookie;
    o.width = 160;
    o.height = 120;
    auto p = std::make_unique<SyntheticPeer>(o);
    p->start();
    return p;
}

bool flowing(const SyntheticPeer& p, std::size_t roster) {
    return p.connected() && p.videoFramesDecoded() >= 5 && p.audioSamplesReceived() > 24000 &&
           p.roster().size() == roster;
}

/// Ann and Bob in `meeting` (a stored meeting, created here), both sending and receiving
/// media and seeing each other in the roster (REQUIREd, 20 s).
struct TwoPeers {
    std::unique_ptr<SyntheticPeer> a, b;
};
TwoPeers flowingPair(TestServer& s, const std::string& meeting) {
    ownedMeeting(s, meeting);
    TwoPeers pair{peer(s, meeting, "Ann"), peer(s, meeting, "Bob")};
    REQUIRE(waitUntil([&] { return flowing(*pair.a, 2) && flowing(*pair.b, 2); }, 20s));
    return pair;
}

/// Whether some roster `viewer` received after the first `from` lacked `id`.
bool sawLeave(const SyntheticPeer& viewer, std::size_t from, const std::string& id) {
    const auto& history = viewer.rosterHistory();
    for (std::size_t i = from; i < history.size(); ++i)
        if (std::find(history[i].begin(), history[i].end(), id) == history[i].end()) return true;
    return false;
}

std::size_t openRows(TestServer& s, const std::string& meeting) {
    auto rows = s.server->store().participationsForMeeting(meeting);
    REQUIRE(rows);
    return static_cast<std::size_t>(std::count_if(rows.value().begin(), rows.value().end(),
                                                  [](const auto& r) { return !r.leftAt; }));
}

std::size_t rowCount(TestServer& s, const std::string& meeting) {
    auto rows = s.server->store().participationsForMeeting(meeting);
    REQUIRE(rows);
    return rows.value().size();
}

}  // namespace

TEST_CASE("a dropped connection resumes the same participant within the grace period",
          "[reconnect]") {
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) { c.reconnectGraceMs = 8000; });
    const std::string meeting = "rec-onne-cta";
    auto [a, b] = flowingPair(s, meeting);
    const std::string id = a->participantId();
    const std::string firstToken = a->resumeToken();
    REQUIRE(firstToken.size() == protocol::kResumeTokenChars);
    const std::size_t rostersBefore = b->rosterHistory().size();

    Mode mode = Mode::Resume;
    SECTION("the socket drops (the server sees it close)") {
        mode = Mode::Resume;
    }
    SECTION("the server still holds the old socket (network gone, no close yet)") {
        mode = Mode::KeepOldSocket;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t framesBefore = a->videoFramesDecoded();
    a->reconnect(mode);
    bool back = waitUntil(
        [&] {
            return a->joined() && a->connected() && a->videoFramesDecoded() >= framesBefore + 5;
        },
        5s);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    INFO(testing::sessionSummary(*a)
         << "\n"
         << testing::sessionSummary(*b) << "\nback after " << took.count() << " ms");
    REQUIRE(back);
    WARN("back (welcome, new PeerConnection, 5 frames) " << took.count() << " ms after the drop");
    CHECK(a->resumed());
    CHECK(a->participantId() == id);
    CHECK(a->resumeToken().size() == protocol::kResumeTokenChars);
    CHECK(a->resumeToken() != firstToken);  // Rotated.
    CHECK(a->roster().size() == 2);
    // The others never saw a leave; the room has two participants, the meeting two rows.
    CHECK_FALSE(sawLeave(*b, rostersBefore, id));
    CHECK(s.room(meeting)->participantCount() == 2);
    CHECK_FALSE(s.room(meeting)->parked(id));
    CHECK(rowCount(s, meeting) == 2);
    CHECK(openRows(s, meeting) == 2);
    // Bob receives Ann's new media (the mix) and keeps the composite.
    const uint64_t bobFrames = b->videoFramesDecoded();
    CHECK(waitUntil([&] { return b->videoFramesDecoded() >= bobFrames + 10; }, 5s));
    // Ann hears Bob again through its new PeerConnection.
    CHECK(waitUntil([&] { return a->toneLevel(testing::PeerOptions{}.toneHz) > 0.1; }, 5s));

    // The spent token is refused with a clear error.
    SignalClient replay(s.wsUrl(), "");
    protocol::Join join{1, meeting, "Mallory"};
    join.resume = firstToken;
    replay.send(join);
    CHECK(waitUntil([&] { return replay.hasError(protocol::errc::kResumeFailed); }, 5s));
    CHECK(s.room(meeting)->participantCount() == 2);

    // Leaving for good closes the one row.
    a->leave();
    CHECK(waitUntil([&] { return b->roster().size() == 1; }, 5s));
    CHECK(waitUntil([&] { return openRows(s, meeting) == 1; }, 5s));
    CHECK(rowCount(s, meeting) == 2);
}

TEST_CASE("media lost with the socket up: told media-lost, resumed with a new PeerConnection",
          "[reconnect]") {
    // TestServer's silence check: 1.5 s without a packet.
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) { c.reconnectGraceMs = 8000; });
    const std::string meeting = "rec-onne-cte";
    auto [a, b] = flowingPair(s, meeting);
    const std::string id = a->participantId();
    const std::size_t rostersBefore = b->rosterHistory().size();

    // The network under Ann's media goes; her socket stays up.
    a->dropMedia();
    REQUIRE(waitUntil([&] { return a->byeReason() == "media-lost"; }, 10s));
    CHECK(s.room(meeting)->parked(id));
    CHECK(s.room(meeting)->participantCount() == 2);
    // The page comes back with its token, as it does on that bye.
    const uint64_t framesBefore = a->videoFramesDecoded();
    a->reconnect(Mode::Resume);
    INFO(testing::sessionSummary(*a));
    REQUIRE(waitUntil(
        [&] {
            return a->resumed() && a->connected() && a->videoFramesDecoded() >= framesBefore + 5;
        },
        5s));
    CHECK(a->participantId() == id);
    CHECK_FALSE(sawLeave(*b, rostersBefore, id));
    CHECK(rowCount(s, meeting) == 2);
    CHECK(openRows(s, meeting) == 2);
}

namespace {
/// The a=ice-ufrag value of an SDP (the first), empty if none.
std::string iceUfrag(const std::string& sdp) {
    const std::string key = "a=ice-ufrag:";
    auto at = sdp.find(key);
    if (at == std::string::npos) return {};
    at += key.size();
    return sdp.substr(at, sdp.find_first_of("\r\n", at) - at);
}

/// What must stay the same across an ICE restart: the m-lines, their mids, codecs and
/// directions, the DTLS fingerprint and the media SSRCs (each m-line's first). webrtcbin's new
/// offer may differ in the rest (fmtp parameters, the RTX SSRC, rtcp-mux-only, which only an
/// initial offer needs: RFC 8858 section 4).
std::string mediaShape(const std::string& sdp) {
    std::string out;
    bool ssrcSeen = false;
    std::size_t at = 0;
    while (at < sdp.size()) {
        std::size_t end = sdp.find('\n', at);
        if (end == std::string::npos) end = sdp.size();
        std::string line = sdp.substr(at, end - at);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        at = end + 1;
        if (line.rfind("m=", 0) == 0) ssrcSeen = false;
        const bool first = line.rfind("a=ssrc:", 0) == 0 && !ssrcSeen;
        if (first) ssrcSeen = true;
        if (line.rfind("m=", 0) == 0 || line.rfind("a=mid:", 0) == 0 ||
            line.rfind("a=rtpmap:", 0) == 0 || line.rfind("a=fingerprint:", 0) == 0 ||
            line.rfind("a=group:", 0) == 0 || line == "a=sendrecv" || line == "a=recvonly" ||
            line == "a=sendonly" || line == "a=inactive" || first)
            out += line + "\n";
    }
    return out;
}
}  // namespace

TEST_CASE("ICE restart with the socket up: same participant and webrtcbin, media back, no leave",
          "[reconnect][ice-restart]") {
    // TestServer's silence check: 1.5 s without a packet.
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) {
        c.reconnectGraceMs = 8000;
        c.media.iceRestartTimeoutMs = 4000;
    });
    const std::string meeting = "ice-rest-art";
    auto [a, b] = flowingPair(s, meeting);
    const std::string id = a->participantId();
    const std::size_t rostersBefore = b->rosterHistory().size();
    const std::string firstOffer = a->offerSdp();
    REQUIRE(a->offerCount() == 1);

    bool blocked = false;
    SECTION("the server finds its media silent (a network blip under a live socket)") {
        // Media, RTCP and DTLS stop both ways; ICE's own checks and the socket go on.
        a->blockMedia(true);
        blocked = true;
    }
    SECTION("the page asks for it (its iceConnectionState went failed)") {
        a->requestIceRestart();
    }
    INFO(testing::sessionSummary(*a));
    REQUIRE(waitUntil([&] { return a->offerCount() == 2; }, 10s));
    // A restart proper: new ICE credentials, the same m-lines, codecs and SSRCs.
    const std::string restartOffer = a->offerSdp();
    CHECK_FALSE(iceUfrag(restartOffer).empty());
    CHECK(iceUfrag(restartOffer) != iceUfrag(firstOffer));
    CHECK(mediaShape(restartOffer) == mediaShape(firstOffer));
    // Blocked, it cannot be seen through yet (no packet can arrive).
    if (blocked) CHECK(s.room(meeting)->restartingIce(id));

    const uint64_t framesBefore = a->videoFramesDecoded();
    if (blocked) a->blockMedia(false);  // The network is back.
    CHECK(waitUntil([&] { return a->videoFramesDecoded() >= framesBefore + 10; }, 5s));
    // The server sees it through: answered, packets since the restart began.
    CHECK(waitUntil([&] { return !s.room(meeting)->restartingIce(id); }, 5s));
    CHECK(s.room(meeting)->iceRestarts() == 1);
    CHECK(s.room(meeting)->iceRestartsRecovered() == 1);
    // The same participant on the same socket: one welcome, no bye, no leave for Bob.
    CHECK(a->welcomeCount() == 1);
    CHECK(a->byeReason().empty());
    CHECK(a->participantId() == id);
    CHECK(a->errors().empty());
    CHECK(a->localErrors().empty());
    CHECK_FALSE(sawLeave(*b, rostersBefore, id));
    CHECK(s.room(meeting)->participantCount() == 2);
    CHECK(rowCount(s, meeting) == 2);
    CHECK(openRows(s, meeting) == 2);
    // Bob keeps receiving, Ann's sound reaches him again.
    const uint64_t bobFrames = b->videoFramesDecoded();
    CHECK(waitUntil([&] { return b->videoFramesDecoded() >= bobFrames + 10; }, 5s));
    CHECK(waitUntil([&] { return b->toneLevel(testing::PeerOptions{}.toneHz) > 0.1; }, 5s));
}

TEST_CASE("an ICE restart that brings nothing back falls back to media-lost and a resume",
          "[reconnect][ice-restart]") {
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) {
        c.reconnectGraceMs = 8000;
        c.media.iceRestartTimeoutMs = 2000;
    });
    const std::string meeting = "ice-fall-bak";
    auto [a, b] = flowingPair(s, meeting);
    const std::string id = a->participantId();
    const std::size_t rostersBefore = b->rosterHistory().size();

    a->blockMedia(true);  // And it stays blocked: the restart is answered, nothing arrives.
    REQUIRE(waitUntil([&] { return a->offerCount() == 2; }, 10s));
    INFO(testing::sessionSummary(*a));
    REQUIRE(waitUntil([&] { return a->byeReason() == "media-lost"; }, 8s));
    CHECK(s.room(meeting)->iceRestarts() == 1);
    CHECK(s.room(meeting)->iceRestartsRecovered() == 0);
    CHECK(s.room(meeting)->parked(id));
    // Today's path from here: the page resumes with a new PeerConnection.
    const uint64_t framesBefore = a->videoFramesDecoded();
    a->reconnect(Mode::Resume);
    REQUIRE(waitUntil(
        [&] {
            return a->resumed() && a->connected() && a->videoFramesDecoded() >= framesBefore + 5;
        },
        5s));
    CHECK(a->participantId() == id);
    CHECK_FALSE(sawLeave(*b, rostersBefore, id));
    CHECK(rowCount(s, meeting) == 2);
}

TEST_CASE("ice-restart requests: refused before the answer, rate-limited, off with timeout 0",
          "[reconnect][ice-restart]") {
    int timeoutMs = 4000;
    SECTION("restarts on") {
        timeoutMs = 4000;
    }
    SECTION("restarts off") {
        timeoutMs = 0;
    }
    TestServer s(true, {"127.0.0.1"},
                 [&](app::Config& c) { c.media.iceRestartTimeoutMs = timeoutMs; });
    // Before any answer: bad-state.
    PeerOptions o = s.peerOptions("ice-limits", "Cy");
    o.answer = false;
    SyntheticPeer early(o);
    early.start();
    REQUIRE(waitUntil([&] { return early.offerCount() == 1; }, 10s));
    early.requestIceRestart();
    CHECK(waitUntil([&] { return early.hasError(protocol::errc::kBadState); }, 5s));

    auto a = peer(s, "ice-limits", "Ann");
    REQUIRE(waitUntil([&] { return a->connected() && a->videoFramesDecoded() >= 5; }, 20s));
    const std::string id = a->participantId();
    if (timeoutMs == 0) {
        a->requestIceRestart();
        CHECK(waitUntil([&] { return a->hasError(protocol::errc::kBadState); }, 5s));
        CHECK(a->offerCount() == 1);
        return;
    }
    // Two at once (each seen through), then one every 10 s: the third is refused.
    for (int n = 2; n <= 3; ++n) {
        a->requestIceRestart();
        REQUIRE(waitUntil([&] { return a->offerCount() == n; }, 5s));
        REQUIRE(waitUntil([&] { return !s.room("ice-limits")->restartingIce(id); }, 5s));
    }
    a->requestIceRestart();
    CHECK(waitUntil([&] { return a->hasError(protocol::errc::kRateLimited); }, 5s));
    CHECK(a->offerCount() == 3);
    CHECK(a->byeReason().empty());
    CHECK(s.room("ice-limits")->iceRestartsRecovered() == 2);
}

TEST_CASE("past the grace period the participant has left and a resume is refused", "[reconnect]") {
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) { c.reconnectGraceMs = 1500; });
    const std::string meeting = "rec-onne-ctb";
    auto [a, b] = flowingPair(s, meeting);
    const std::string id = a->participantId();
    const std::string token = a->resumeToken();

    a->closeAbruptly();
    // Kept while the grace period runs (the room counts it), gone after it.
    CHECK(waitUntil([&] { return s.server->reconnects().parkedCount() == 1; }, 2s));
    CHECK(waitUntil([&] { return b->roster().size() == 1; }, 5s));
    CHECK(s.server->reconnects().parkedCount() == 0);
    CHECK(waitUntil([&] { return openRows(s, meeting) == 1; }, 2s));

    SignalClient late(s.wsUrl(), "");
    protocol::Join join{1, meeting, "Ann"};
    join.resume = token;
    late.send(join);
    CHECK(waitUntil([&] { return late.hasError(protocol::errc::kResumeFailed); }, 5s));
    CHECK(waitUntil([&] { return !late.open(); }, 5s));

    // A fresh join is a new participant with a new row.
    auto again = peer(s, meeting, "Ann");
    REQUIRE(waitUntil([&] { return flowing(*again, 2); }, 20s));
    CHECK(again->participantId() != id);
    CHECK_FALSE(again->resumed());
    CHECK(rowCount(s, meeting) == 3);
}

TEST_CASE("resume tokens of others, of other meetings and malformed ones are refused",
          "[reconnect]") {
    TestServer s(false, {"127.0.0.1"}, [](app::Config& c) { c.reconnectGraceMs = 8000; });
    const std::string meeting = "rec-onne-ctc";
    const std::string other = "oth-erme-eti";
    const std::string owner = ownedMeeting(s, meeting);
    ownedMeeting(s, other);
    auto guest = peer(s, meeting, "Guest");
    REQUIRE(waitUntil([&] { return guest->joined() && !guest->resumeToken().empty(); }, 10s));
    const std::string token = guest->resumeToken();

    auto refused = [&](const std::string& cookie, const std::string& room,
                       const std::string& resume, const char* code) {
        SignalClient c(s.wsUrl(), cookie);
        protocol::Join join{1, room, "Someone"};
        join.resume = resume;
        c.send(join);
        bool got = waitUntil([&] { return c.hasError(code); }, 5s);
        // A refused resume closes the socket; a malformed message is only answered.
        if (std::string(code) == protocol::errc::kBadMessage) return got;
        return got && waitUntil([&] { return !c.open(); }, 5s);
    };
    // An account presenting a guest's token; the token in another meeting; a token nobody got.
    CHECK(refused(owner, meeting, token, protocol::errc::kResumeFailed));
    CHECK(refused({}, other, token, protocol::errc::kResumeFailed));
    CHECK(refused({}, meeting, std::string(protocol::kResumeTokenChars, 'A'),
                  protocol::errc::kResumeFailed));
    // Not a token at all.
    CHECK(refused({}, meeting, "short", protocol::errc::kBadMessage));
    CHECK(refused({}, meeting, std::string(protocol::kResumeTokenChars - 1, 'A') + "!",
                  protocol::errc::kBadMessage));
    // None of these touched the guest, whose token still works.
    CHECK(s.room(meeting)->participantCount() == 1);
    const std::string id = guest->participantId();
    guest->reconnect(Mode::Resume);
    CHECK(waitUntil([&] { return guest->joined() && guest->resumed(); }, 5s));
    CHECK(guest->participantId() == id);
}

TEST_CASE("SIGTERM drains: clients told, history rows closed, recording finished, exit in 10 s",
          "[reconnect][drain]") {
    testing::ServerSettings settings;
    settings.binary = MIXMEET_SERVER_BINARY;
    settings.width = 320;
    settings.height = 180;
    settings.extraConfig = "[recording]\nmin_free_mb=0\n";
    testing::ServerProcess server(settings);
    const std::string meeting = "dra-inin-gsv";
    const std::string token = "drainingdrainingdrainingdraining";
    REQUIRE(g_mkdir_with_parents(server.dataDir().c_str(), 0700) == 0);
    seedMeeting(server.dataDir() + "/mixmeet.sqlite", meeting, token);
    std::string error;
    REQUIRE(server.start(error));

    auto join = [&](const std::string& name, const std::string& cookie) {
        PeerOptions o;
        o.url = server.wsUrl();
        o.room = meeting;
        o.name = name;
        o.cookie = cookie;
        o.width = 160;
        o.height = 120;
        auto p = std::make_unique<SyntheticPeer>(o);
        p->start();
        return p;
    };
    auto host = join("Owner", "mm_session=" + token);
    REQUIRE(waitUntil([&] { return host->connected(); }, 20s));
    auto guest = join("Guest", {});
    auto away = join("Away", {});
    REQUIRE(waitUntil([&] { return flowing(*guest, 3) && away->connected(); }, 20s));
    host->sendRaw(protocol::toJson(protocol::Record{true}));
    REQUIRE(waitUntil(
        [&] {
            const auto& t = host->receivedTypes();
            return std::count(t.begin(), t.end(), "recording") >= 1;
        },
        10s));
    // One participant's connection dropped: parked when the server stops.
    away->closeAbruptly();
    testing::runFor(2s);

    const auto t0 = std::chrono::steady_clock::now();
    CHECK(server.stop(10s));
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(took < 10s);
    CHECK(waitUntil([&] { return host->socketClosed() && guest->socketClosed(); }, 5s));
    CHECK(host->byeReason() == "server-shutdown");
    CHECK(guest->byeReason() == "server-shutdown");
    CHECK(host->closeCode() == 1001);

    // Read the store the server left: every stay closed by the drain, the recording finished.
    auto opened = store::SqliteStore::open(server.dataDir() + "/mixmeet.sqlite");
    REQUIRE(opened);
    auto rows = opened.value()->participationsForMeeting(meeting);
    REQUIRE(rows);
    CHECK(rows.value().size() == 3);
    for (const auto& r : rows.value()) {
        INFO(r.displayName);
        CHECK(r.leftAt.has_value());
    }
    auto recordings = opened.value()->recordingsForMeeting(meeting);
    REQUIRE(recordings);
    REQUIRE(recordings.value().size() == 1);
    CHECK(recordings.value()[0].endedAt.has_value());
    CHECK(recordings.value()[0].durationMs > 1000);
}
