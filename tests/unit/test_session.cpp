// The signaling state machine, driven without sockets or GStreamer. The fake listener records
// every call; anything unexpected shows up in the assertions.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "signaling/Session.h"

using namespace mixmeet;
using namespace mixmeet::protocol;
using signaling::Session;
using signaling::State;

namespace {
struct FakeListener : Session::Listener {
    std::vector<ServerMessage> sent;
    std::vector<std::string> calls;
    int closeCode = 0;
    bool joinFails = false;
    bool answerFails = false;
    Session* session = nullptr;
    bool rosterDuringJoin = true;

    void sendMessage(const ServerMessage& m) override { sent.push_back(m); }
    void closeConnection(unsigned short code, const std::string&) override {
        closeCode = code;
        calls.push_back("close");
    }
    core::Result<Welcome> joinRoom(const Join& j) override {
        calls.push_back("join:" + j.room + ":" + j.name);
        if (joinFails) return core::makeError(errc::kRoomFull, "full");
        // A real room broadcasts the roster from inside join.
        if (rosterDuringJoin) session->onRoster(Roster{{{"p1", j.name}}});
        return Welcome{"p1", j.room, {}, 640, 360, 30};
    }
    core::Status applyAnswer(const std::string& sdp) override {
        calls.push_back("answer:" + sdp);
        if (answerFails) return core::makeError(errc::kBadSdp, "bad");
        return core::Ok{};
    }
    void addRemoteCandidate(const IceCandidate& c) override {
        calls.push_back("ice:" + c.candidate);
    }
    void leaveRoom() override { calls.push_back("leave"); }
    core::Status sendChat(const std::string& text) override {
        calls.push_back("chat:" + text);
        return core::Ok{};
    }
    core::Status requestChatHistory(std::optional<long long> before) override {
        calls.push_back("history:" + std::to_string(before.value_or(-1)));
        return core::Ok{};
    }
    core::Status goOnline() override {
        calls.push_back("online");
        if (offline) return core::makeError(errc::kUnauthenticated, "sign in");
        return core::Ok{};
    }
    core::Status placeCall(const std::string& username) override {
        calls.push_back("call:" + username);
        if (username == "ghost") return core::makeError(errc::kNoSuchUser, "no");
        return core::Ok{};
    }
    core::Status answerCall(const std::string& callId, bool accept) override {
        calls.push_back("answer-call:" + callId + (accept ? ":yes" : ":no"));
        return core::Ok{};
    }
    void onJoined() override { calls.push_back("joined"); }
    core::Status setQuality(const std::string& tier) override {
        calls.push_back("quality:" + tier);
        return core::Ok{};
    }
    core::Status setRecording(bool on) override {
        calls.push_back(on ? "record:on" : "record:off");
        if (!host) return core::makeError(errc::kNotHost, "only the host");
        return core::Ok{};
    }
    core::Status restartIce() override {
        calls.push_back("restart-ice");
        // The room calls back into the session, as ClientConnection::onIceRestart does.
        if (session && !session->beginIceRestart())
            return core::makeError(errc::kBadState, "cannot");
        return core::Ok{};
    }
    bool host = true;
    bool offline = false;

    std::vector<std::string> types() const {
        std::vector<std::string> t;
        for (const auto& m : sent) {
            std::string json = toJson(m);
            auto p = json.find("\"type\":\"");
            t.push_back(json.substr(p + 8, json.find('"', p + 8) - p - 8));
        }
        return t;
    }
    std::string lastErrorCode() const {
        for (auto it = sent.rbegin(); it != sent.rend(); ++it)
            if (auto* e = std::get_if<ErrorReply>(&*it)) return e->code;
        return {};
    }
};

const char* kJoin = R"({"type":"join","version":1,"room":"r","name":"Ada"})";
}  // namespace

TEST_CASE("join -> welcome, roster, offer, answer, ice", "[signaling]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    s.onText(kJoin);
    CHECK(s.state() == State::AwaitingOffer);
    // Roster broadcast during join is delivered after the welcome.
    CHECK(l.types() == std::vector<std::string>{"welcome", "roster"});
    s.onLocalCandidate({"candidate:early", 0});  // gathered before the offer text arrived
    s.onLocalOffer("v=0 offer");
    CHECK(s.state() == State::AwaitingAnswer);
    CHECK(l.types() == std::vector<std::string>{"welcome", "roster", "offer", "ice"});
    s.onText(
        R"({"type":"ice","candidate":"candidate:1 1 UDP 2015363327 192.0.2.1 40000 typ host","sdpMLineIndex":0})");
    s.onText(R"({"type":"answer","sdp":"v=0 answer"})");
    CHECK(s.state() == State::Active);
    s.onLocalCandidate({"candidate:late", 1});
    CHECK(l.types().back() == "ice");
    CHECK(l.calls ==
          std::vector<std::string>{"join:r:Ada", "joined",
                                   "ice:candidate:1 1 UDP 2015363327 192.0.2.1 40000 typ host",
                                   "answer:v=0 answer"});
}

TEST_CASE("messages before join are refused with bad-state", "[signaling]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    s.onText(R"({"type":"answer","sdp":"x"})");
    CHECK(l.lastErrorCode() == errc::kBadState);
    s.onText(R"({"type":"ice","candidate":"x","sdpMLineIndex":0})");
    CHECK(l.lastErrorCode() == errc::kBadState);
    CHECK(s.state() == State::AwaitingJoin);
    CHECK(l.calls.empty());
}

TEST_CASE("a second join and an early answer are bad-state", "[signaling]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    s.onText(kJoin);
    s.onText(R"({"type":"answer","sdp":"x"})");  // no offer yet
    CHECK(l.lastErrorCode() == errc::kBadState);
    s.onText(kJoin);
    CHECK(l.lastErrorCode() == errc::kBadState);
    CHECK(l.calls.size() == 2);  // join, joined
}

TEST_CASE("garbage gets error replies, never a crash, and too many end the session",
          "[signaling]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    s.onText("{oops");
    CHECK(l.lastErrorCode() == errc::kBadJson);
    s.onBinary();
    CHECK(l.lastErrorCode() == errc::kBadJson);
    s.onText(R"({"type":"teleport"})");
    CHECK(l.lastErrorCode() == errc::kUnknownType);
    s.onText(std::string(70000, ' '));
    CHECK(l.lastErrorCode() == errc::kTooLarge);
    for (int i = 0; i < 10; ++i) s.onText("nope");
    CHECK(s.state() == State::Ended);
    CHECK(l.types().back() == "bye");
    CHECK(std::get<Bye>(l.sent.back()).reason == "too-many-errors");
    CHECK(l.closeCode == 1008);
    auto before = l.sent.size();
    s.onText("more garbage");  // ended: ignored
    CHECK(l.sent.size() == before);
}

TEST_CASE("an unsupported version is refused and closed", "[signaling]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    s.onText(R"({"type":"join","version":2,"room":"r","name":"Ada"})");
    CHECK(l.lastErrorCode() == errc::kUnsupportedVersion);
    CHECK(s.state() == State::Ended);
    CHECK(l.closeCode == 1008);
    CHECK(std::find(l.calls.begin(), l.calls.end(), "leave") == l.calls.end());
}

TEST_CASE("a full room is reported and closed", "[signaling]") {
    FakeListener l;
    l.joinFails = true;
    Session s(l);
    l.session = &s;
    s.onText(kJoin);
    CHECK(l.lastErrorCode() == errc::kRoomFull);
    CHECK(s.state() == State::Ended);
    CHECK(l.closeCode == 1008);
}

TEST_CASE("a bad SDP answer ends the session with bad-sdp", "[signaling]") {
    FakeListener l;
    l.answerFails = true;
    Session s(l);
    l.session = &s;
    s.onText(kJoin);
    s.onLocalOffer("offer");
    s.onText(R"({"type":"answer","sdp":"garbage"})");
    CHECK(l.lastErrorCode() == errc::kBadSdp);
    CHECK(std::get<Bye>(l.sent.back()).reason == "bad-sdp");
    CHECK(l.calls.back() == "close");
    CHECK(std::count(l.calls.begin(), l.calls.end(), "leave") == 1);
}

TEST_CASE("leave sends bye and leaves once; a closed socket leaves once", "[signaling]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    s.onText(kJoin);
    s.onText(R"({"type":"leave"})");
    CHECK(std::get<Bye>(l.sent.back()).reason == "left");
    CHECK(l.closeCode == 1000);
    s.onSocketClosed();
    CHECK(std::count(l.calls.begin(), l.calls.end(), "leave") == 1);

    FakeListener l2;
    Session s2(l2);
    l2.session = &s2;
    s2.onText(kJoin);
    s2.onSocketClosed();
    s2.onSocketClosed();
    CHECK(std::count(l2.calls.begin(), l2.calls.end(), "leave") == 1);
}

TEST_CASE("server-side failure sends error then bye", "[signaling]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    s.onText(kJoin);
    s.fail("ice-failed");
    CHECK(l.types().back() == "bye");
    CHECK(std::get<Bye>(l.sent.back()).reason == "ice-failed");
    CHECK(s.state() == State::Ended);
}

TEST_CASE("chat is routed only after joining", "[signaling]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    s.onText(R"({"type":"chat","text":"hi"})");
    CHECK(l.lastErrorCode() == errc::kBadState);
    s.onText(kJoin);
    s.onText(R"({"type":"chat","text":"  hello  "})");
    s.onText(R"({"type":"chat-history","before":42})");
    s.onText(R"({"type":"chat","text":""})");
    CHECK(l.lastErrorCode() == errc::kBadMessage);
    CHECK(std::find(l.calls.begin(), l.calls.end(), "chat:hello") != l.calls.end());
    CHECK(std::find(l.calls.begin(), l.calls.end(), "history:42") != l.calls.end());
}

TEST_CASE("presence, calls and answers", "[signaling]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    s.onText(R"({"type":"call","username":"bob"})");
    CHECK(l.lastErrorCode() == errc::kBadState);  // presence first
    s.onText(R"({"type":"presence"})");
    CHECK(s.state() == State::Presence);
    CHECK(l.types().back() == "presence");
    s.onText(R"({"type":"call","username":"ghost"})");
    CHECK(l.lastErrorCode() == errc::kNoSuchUser);
    s.onText(R"({"type":"call-answer","callId":"c1","accept":true})");
    CHECK(l.calls.back() == "answer-call:c1:yes");
    s.onText(kJoin);  // a presence socket cannot join a room
    CHECK(l.lastErrorCode() == errc::kBadState);
    s.onSocketClosed();
    CHECK(l.calls.back() == "leave");  // goes offline
}

TEST_CASE("presence without an account is refused", "[signaling]") {
    FakeListener l;
    l.offline = true;
    Session s(l);
    l.session = &s;
    s.onText(R"({"type":"presence"})");
    CHECK(l.lastErrorCode() == errc::kUnauthenticated);
    CHECK(s.state() == State::Ended);
}

TEST_CASE("quality choices are validated and routed", "[signaling]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    s.onText(R"({"type":"set-quality","tier":"low"})");
    CHECK(l.lastErrorCode() == errc::kBadState);
    s.onText(kJoin);
    s.onText(R"({"type":"set-quality","tier":"low"})");
    CHECK(l.calls.back() == "quality:low");
    s.onText(R"({"type":"set-quality","tier":"ultra"})");
    CHECK(l.lastErrorCode() == errc::kBadMessage);
}

TEST_CASE("record is validated, needs a room and passes the host's refusal on",
          "[signaling][recording]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    s.onText(R"({"type":"record","on":true})");
    CHECK(l.lastErrorCode() == errc::kBadState);
    s.onText(kJoin);
    s.onText(R"({"type":"record","on":true})");
    CHECK(l.calls.back() == "record:on");
    s.onText(R"({"type":"record"})");
    CHECK(l.lastErrorCode() == errc::kBadMessage);
    s.onText(R"({"type":"record","on":"yes"})");
    CHECK(l.lastErrorCode() == errc::kBadMessage);
    l.host = false;
    s.onText(R"({"type":"record","on":false})");
    CHECK(l.calls.back() == "record:off");
    CHECK(l.lastErrorCode() == errc::kNotHost);
    // The server's broadcast round-trips.
    auto parsed = protocol::parseServerMessage(
        protocol::toJson(protocol::ServerMessage{protocol::RecordingState{true, 1234}}));
    REQUIRE(parsed.ok());
    auto* rs = std::get_if<protocol::RecordingState>(&parsed.value());
    REQUIRE(rs);
    CHECK(rs->on);
    CHECK(rs->startedAt == 1234);
}

namespace {
/// Records parking apart from leaving (ClientConnection keeps the participant for a resume).
struct ParkingListener : FakeListener {
    void parkRoom() override { calls.push_back("park"); }
};
}  // namespace

TEST_CASE("a socket that drops in a meeting parks the participant; a bye or leave does not",
          "[signaling][reconnect]") {
    // Dropped in the call: parked once, nothing sent, no leave.
    ParkingListener l;
    Session s(l);
    l.session = &s;
    s.onText(kJoin);
    s.onLocalOffer("v=0 offer");
    s.onSocketClosed();
    s.onSocketClosed();
    CHECK(std::count(l.calls.begin(), l.calls.end(), "park") == 1);
    CHECK(std::count(l.calls.begin(), l.calls.end(), "leave") == 0);
    CHECK(s.state() == State::Ended);

    // `leave` first: a real leave, the close after it changes nothing.
    ParkingListener l2;
    Session s2(l2);
    l2.session = &s2;
    s2.onText(kJoin);
    s2.onText(R"({"type":"leave"})");
    s2.onSocketClosed();
    CHECK(std::count(l2.calls.begin(), l2.calls.end(), "leave") == 1);
    CHECK(std::count(l2.calls.begin(), l2.calls.end(), "park") == 0);

    // Ended by the server (a shutdown): bye "server-shutdown", close 1001, a leave.
    ParkingListener l3;
    Session s3(l3);
    l3.session = &s3;
    s3.onText(kJoin);
    s3.fail("server-shutdown");
    CHECK(std::get<Bye>(l3.sent.back()).reason == "server-shutdown");
    CHECK(l3.closeCode == 1001);
    s3.onSocketClosed();
    CHECK(std::count(l3.calls.begin(), l3.calls.end(), "leave") == 1);
    CHECK(std::count(l3.calls.begin(), l3.calls.end(), "park") == 0);

    // Replaced by a resume elsewhere: bye "replaced", a normal close.
    ParkingListener l4;
    Session s4(l4);
    l4.session = &s4;
    s4.onText(kJoin);
    s4.fail("replaced");
    CHECK(std::get<Bye>(l4.sent.back()).reason == "replaced");
    CHECK(l4.closeCode == 1000);

    // Closed normally by the client (1000), or dropped by a transport bound: a leave.
    ParkingListener l6;
    Session s6(l6);
    l6.session = &s6;
    s6.onText(kJoin);
    s6.onSocketClosed(false);
    CHECK(std::count(l6.calls.begin(), l6.calls.end(), "leave") == 1);
    CHECK(std::count(l6.calls.begin(), l6.calls.end(), "park") == 0);

    // Before joining nothing is parked.
    ParkingListener l5;
    Session s5(l5);
    l5.session = &s5;
    s5.onSocketClosed();
    CHECK(l5.calls.empty());
}

TEST_CASE("ice-restart: a new offer on the same session, candidates sent again, rate-limited",
          "[signaling][ice-restart]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    s.onText(kJoin);
    // Before the answer: refused.
    s.onText(R"({"type":"ice-restart"})");
    CHECK(l.lastErrorCode() == errc::kBadState);
    s.onLocalOffer("v=0 offer");
    s.onLocalCandidate({"candidate:host", 0});
    s.onText(R"({"type":"answer","sdp":"v=0 answer"})");
    REQUIRE(s.state() == State::Active);
    l.sent.clear();
    l.calls.clear();

    s.onText(R"({"type":"ice-restart"})");
    CHECK(l.calls == std::vector<std::string>{"restart-ice"});
    CHECK(s.state() == State::AwaitingOffer);
    CHECK(s.restartingIce());
    // Asked again while one is under way: ignored, no error.
    s.onText(R"({"type":"ice-restart"})");
    CHECK(l.calls.size() == 1);
    CHECK(l.sent.empty());
    // An old-generation candidate still in flight is accepted.
    s.onText(
        R"({"type":"ice","candidate":"candidate:1 1 UDP 2015363327 192.0.2.1 40000 typ host","sdpMLineIndex":0})");
    CHECK(l.calls.back().rfind("ice:", 0) == 0);
    // The restart's offer is followed by the candidates sent before it.
    s.onLocalOffer("v=0 restart offer");
    CHECK(l.types() == std::vector<std::string>{"offer", "ice"});
    CHECK(std::get<IceCandidate>(l.sent.back()).candidate == "candidate:host");
    CHECK(s.state() == State::AwaitingAnswer);
    s.onText(R"({"type":"answer","sdp":"v=0 restart answer"})");
    CHECK(s.state() == State::Active);
    CHECK_FALSE(s.restartingIce());
    CHECK(l.calls.back() == "answer:v=0 restart answer");

    // The second of the burst goes through; the third is refused, not as a protocol error.
    s.onText(R"({"type":"ice-restart"})");
    s.onLocalOffer("v=0 third offer");
    s.onText(R"({"type":"answer","sdp":"v=0 third answer"})");
    REQUIRE(s.state() == State::Active);
    const int errorsBefore = s.errorCount();
    s.onText(R"({"type":"ice-restart"})");
    CHECK(l.lastErrorCode() == errc::kRateLimited);
    CHECK(s.state() == State::Active);
    CHECK(s.errorCount() == errorsBefore);
}

TEST_CASE("a server-side ICE restart needs an active session", "[signaling][ice-restart]") {
    FakeListener l;
    Session s(l);
    l.session = &s;
    CHECK_FALSE(s.beginIceRestart());  // Not joined.
    s.onText(kJoin);
    CHECK_FALSE(s.beginIceRestart());  // No offer yet.
    s.onLocalOffer("v=0 offer");
    CHECK_FALSE(s.beginIceRestart());  // No answer yet.
    s.onText(R"({"type":"answer","sdp":"v=0 answer"})");
    CHECK(s.beginIceRestart());
    CHECK(s.state() == State::AwaitingOffer);
    CHECK_FALSE(s.beginIceRestart());  // One at a time.
}

TEST_CASE("ice-restart parses and round-trips", "[protocol][ice-restart]") {
    auto parsed = parseClientMessage(R"({"type":"ice-restart"})");
    REQUIRE(parsed.ok());
    CHECK(std::holds_alternative<IceRestart>(parsed.value()));
    CHECK(toJson(parsed.value()) == R"({"type":"ice-restart"})");
}
