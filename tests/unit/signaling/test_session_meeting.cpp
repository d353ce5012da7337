// The signaling state machine's meeting controls: the waiting room (Waiting), hanging up while
// staying in the meeting (OutOfCall) and the routing of hands, reactions and host actions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "signaling/Session.h"

using namespace mixmeet;
using namespace mixmeet::protocol;
using signaling::Admission;
using signaling::Session;
using signaling::State;

namespace {
struct MeetingListener : Session::Listener {
    std::vector<ServerMessage> sent;
    std::vector<std::string> calls;
    int closeCode = 0;
    Session* session = nullptr;
    core::Result<Admission> admission = Admission::Enter;
    core::Status hostResult = core::Ok{};
    bool offerDuringRejoin = false;

    void sendMessage(const ServerMessage& m) override { sent.push_back(m); }
    void closeConnection(unsigned short code, const std::string&) override {
        closeCode = code;
        calls.push_back("close");
    }
    core::Result<Admission> screenJoin(const Join&) override {
        calls.push_back("screen");
        return admission;
    }
    core::Result<Welcome> joinRoom(const Join& j) override {
        calls.push_back("join");
        return Welcome{"p1", j.room, {}, 640, 360, 30};
    }
    core::Status applyAnswer(const std::string&) override {
        calls.push_back("answer");
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
    core::Status requestChatHistory(std::optional<long long>) override { return core::Ok{}; }
    core::Status goOnline() override { return core::Ok{}; }
    core::Status placeCall(const std::string&) override { return core::Ok{}; }
    core::Status answerCall(const std::string&, bool) override { return core::Ok{}; }
    core::Status setQuality(const std::string&) override { return core::Ok{}; }
    core::Status setMediaState(const MediaState& s) override {
        calls.push_back(std::string("media:") + (s.mic ? "1" : "0") + (s.camera ? "1" : "0"));
        return core::Ok{};
    }
    core::Status raiseHand(bool raised) override {
        calls.push_back(raised ? "hand:up" : "hand:down");
        return core::Ok{};
    }
    core::Status react(const std::string&) override {
        calls.push_back("react");
        return core::makeError(errc::kRateLimited, "slow down");
    }
    core::Status hostCommand(const HostCommand& c) override {
        calls.push_back(std::string("host:") + hostVerbType(c.verb));
        return hostResult;
    }
    core::Status leaveCall() override {
        calls.push_back("leave-call");
        return core::Ok{};
    }
    core::Status rejoinCall() override {
        calls.push_back("rejoin-call");
        if (offerDuringRejoin) session->onLocalOffer("offer-2");
        return core::Ok{};
    }

    std::string lastErrorCode() const {
        for (auto it = sent.rbegin(); it != sent.rend(); ++it)
            if (auto* e = std::get_if<ErrorReply>(&*it)) return e->code;
        return {};
    }
    template <typename T>
    bool sentA() const {
        return std::any_of(sent.begin(), sent.end(),
                           [](const ServerMessage& m) { return std::holds_alternative<T>(m); });
    }
    bool called(const std::string& c) const {
        return std::find(calls.begin(), calls.end(), c) != calls.end();
    }
};

const char* kJoin = R"({"type":"join","version":1,"room":"r","name":"Ada"})";
}  // namespace

TEST_CASE("a held join waits, then enters when admitted", "[signaling][moderation]") {
    MeetingListener l;
    l.admission = Admission::Wait;
    Session s(l);
    l.session = &s;
    s.onText(kJoin);
    CHECK(s.state() == State::Waiting);
    CHECK(std::holds_alternative<Waiting>(l.sent.back()));
    CHECK_FALSE(l.called("join"));
    // Nothing of the meeting while waiting.
    s.onText(R"({"type":"chat","text":"let me in"})");
    CHECK(l.lastErrorCode() == errc::kBadState);
    s.onText(R"({"type":"hand","raised":true})");
    CHECK(l.lastErrorCode() == errc::kBadState);
    s.onText(kJoin);
    CHECK(l.lastErrorCode() == errc::kBadState);
    s.onRoster(Roster{{{"p2", "Host"}}});
    CHECK_FALSE(l.sentA<Roster>());

    s.onAdmitted();
    CHECK(l.called("join"));
    CHECK(s.state() == State::AwaitingOffer);
    auto admitted = std::find_if(l.sent.begin(), l.sent.end(), [](const ServerMessage& m) {
        return std::holds_alternative<Admitted>(m);
    });
    REQUIRE(admitted != l.sent.end());
    CHECK(std::holds_alternative<Welcome>(*(admitted + 1)));
    s.onAdmitted();  // Only once.
    CHECK(std::count(l.calls.begin(), l.calls.end(), "join") == 1);
}

TEST_CASE("a denied join is told and closed; a locked meeting refuses", "[signaling][moderation]") {
    MeetingListener l;
    l.admission = Admission::Wait;
    Session s(l);
    l.session = &s;
    s.onText(kJoin);
    s.onDenied();
    CHECK(s.state() == State::Ended);
    CHECK(std::holds_alternative<Bye>(l.sent.back()));
    CHECK(std::get<Bye>(l.sent.back()).reason == "denied");
    CHECK(std::holds_alternative<Denied>(l.sent[l.sent.size() - 2]));
    CHECK(l.called("leave"));  // Leaves the waiting room.
    CHECK(l.closeCode == 1000);

    MeetingListener locked;
    locked.admission = core::makeError(errc::kMeetingLocked, "locked");
    Session s2(locked);
    locked.session = &s2;
    s2.onText(kJoin);
    CHECK(locked.lastErrorCode() == errc::kMeetingLocked);
    CHECK(s2.state() == State::Ended);
    CHECK(locked.closeCode == 1008);
    CHECK_FALSE(locked.called("join"));
}

TEST_CASE("a waiting participant that leaves leaves the waiting room", "[signaling][moderation]") {
    MeetingListener l;
    l.admission = Admission::Wait;
    Session s(l);
    l.session = &s;
    s.onText(kJoin);
    s.onSocketClosed();
    CHECK(l.called("leave"));
    s.onAdmitted();  // Too late: ignored.
    CHECK_FALSE(l.called("join"));
}

TEST_CASE("leave-call keeps chat; rejoin-call gets a new offer", "[signaling][moderation]") {
    MeetingListener l;
    Session s(l);
    l.session = &s;
    s.onText(R"({"type":"leave-call"})");  // Not joined.
    CHECK(l.lastErrorCode() == errc::kBadState);
    s.onText(kJoin);
    s.onLocalOffer("offer-1");
    s.onText(R"({"type":"answer","sdp":"a"})");
    REQUIRE(s.state() == State::Active);
    s.onText(R"({"type":"rejoin-call"})");  // Still in the call.
    CHECK(l.lastErrorCode() == errc::kBadState);

    s.onText(R"({"type":"leave-call"})");
    CHECK(s.state() == State::OutOfCall);
    CHECK(s.inMeeting());
    s.onText(R"({"type":"chat","text":"still here"})");
    CHECK(l.called("chat:still here"));
    s.onRoster(Roster{{{"p1", "Ada"}}});
    CHECK(std::holds_alternative<Roster>(l.sent.back()));
    auto errorsBefore = s.errorCount();
    s.onText(R"({"type":"ice","candidate":"candidate:late","sdpMLineIndex":0})");
    CHECK(s.errorCount() == errorsBefore);  // In flight from the old call: ignored quietly.
    s.onLocalCandidate({"candidate:old", 0});
    CHECK_FALSE(std::holds_alternative<IceCandidate>(l.sent.back()));
    s.onText(R"({"type":"answer","sdp":"b"})");
    CHECK(l.lastErrorCode() == errc::kBadState);

    s.onText(R"({"type":"rejoin-call"})");
    CHECK(l.called("rejoin-call"));
    CHECK(s.state() == State::AwaitingOffer);
    s.onLocalOffer("offer-2");
    CHECK(std::get<Offer>(l.sent.back()).sdp == "offer-2");
    s.onText(R"({"type":"answer","sdp":"c"})");
    CHECK(s.state() == State::Active);
    CHECK(std::count(l.calls.begin(), l.calls.end(), "answer") == 2);
}

TEST_CASE("an offer made inside rejoinCall goes out", "[signaling][moderation]") {
    MeetingListener l;
    l.offerDuringRejoin = true;
    Session s(l);
    l.session = &s;
    s.onText(kJoin);
    s.onLocalOffer("offer-1");
    s.onText(R"({"type":"leave-call"})");
    s.onText(R"({"type":"rejoin-call"})");
    CHECK(s.state() == State::AwaitingAnswer);
    CHECK(std::get<Offer>(l.sent.back()).sdp == "offer-2");
}

TEST_CASE("hands, reactions, media state and host actions are routed in the meeting",
          "[signaling][moderation]") {
    MeetingListener l;
    Session s(l);
    l.session = &s;
    s.onText(R"({"type":"mute","all":true})");  // Before join.
    CHECK(l.lastErrorCode() == errc::kBadState);
    s.onText(kJoin);
    s.onText(R"({"type":"media-state","mic":false,"camera":true})");
    CHECK(l.called("media:01"));
    s.onText(R"({"type":"hand","raised":true})");
    CHECK(l.called("hand:up"));
    int errors = s.errorCount();
    s.onText(R"({"type":"reaction","emoji":"\ud83d\udc4d"})");
    CHECK(l.called("react"));
    CHECK(l.lastErrorCode() == errc::kRateLimited);
    CHECK(s.errorCount() == errors);  // A budget, not a protocol error.

    // A refused host action is replied; not-host does not count towards the disconnect.
    l.hostResult = core::makeError(errc::kNotHost, "only the host");
    for (int i = 0; i < 15; ++i) s.onText(R"({"type":"end-meeting"})");
    CHECK(l.lastErrorCode() == errc::kNotHost);
    CHECK(s.state() != State::Ended);
    CHECK(l.called("host:end-meeting"));
    s.onText(R"({"type":"leave-call"})");
    s.onText(R"({"type":"lock","locked":true})");  // Hung up: still in the meeting.
    CHECK(l.called("host:lock"));
}

TEST_CASE("bye reasons of the meeting controls close normally or by policy",
          "[signaling][moderation]") {
    for (auto [reason, code] :
         {std::pair<const char*, int>{"meeting-ended", 1000}, {"removed", 1008}}) {
        MeetingListener l;
        Session s(l);
        l.session = &s;
        s.onText(kJoin);
        s.fail(reason);
        CHECK(std::get<Bye>(l.sent.back()).reason == reason);
        CHECK(l.closeCode == code);
    }
}
