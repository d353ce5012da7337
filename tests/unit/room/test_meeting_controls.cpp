// MeetingControls against a fake room and fake participants: who is told what, what the room
// is asked to enforce, the waiting room's connections, reactions and the observer hook.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "room/MeetingControls.h"

using namespace mixmeet;
using protocol::HostCommand;
using protocol::HostVerb;
using room::Attendee;
using room::MeetingControls;
namespace errc = protocol::errc;

namespace {
struct FakeParticipant : room::ParticipantListener {
    std::vector<std::string> events;  ///< JSON of every meeting event.
    bool admitted = false;
    bool denied = false;
    std::string removedReason;

    void onOffer(std::string) override {}
    void onLocalCandidate(protocol::IceCandidate) override {}
    void onRoster(protocol::Roster) override {}
    void onChat(const protocol::ChatLine&) override {}
    void onQuality(const protocol::Quality&) override {}
    void onSendHint(const protocol::SendHint&) override {}
    void onRecording(const protocol::RecordingState&) override {}
    void onRemoved(std::string reason, std::string, std::string) override {
        removedReason = reason;
    }
    void onMeetingEvent(const protocol::MeetingServerMessage& m) override {
        events.push_back(protocol::meetingJson(m));
    }
    void onAdmitted() override { admitted = true; }
    void onDenied() override { denied = true; }

    bool got(const std::string& fragment) const {
        return std::any_of(events.begin(), events.end(), [&](const std::string& e) {
            return e.find(fragment) != std::string::npos;
        });
    }
};

struct FakeRoom : MeetingControls::RoomAccess {
    std::vector<std::string> order;
    std::map<std::string, FakeParticipant*> people;
    std::map<std::string, bool> heard, shown;
    std::vector<std::pair<std::string, std::string>> removals;
    int rosters = 0;
    MeetingControls* controls = nullptr;

    room::ParticipantListener* participant(const std::string& id) override {
        auto it = people.find(id);
        return it == people.end() ? nullptr : it->second;
    }
    std::vector<std::string> participantIds() const override { return order; }
    void setHeard(const std::string& id, bool h) override { heard[id] = h; }
    void setCameraShown(const std::string& id, bool s) override { shown[id] = s; }
    void removeParticipant(const std::string& id, const std::string& reason) override {
        removals.emplace_back(id, reason);
        FakeParticipant* p = people[id];
        drop(id);
        p->onRemoved(reason, {}, {});
    }
    void rosterChanged() override { ++rosters; }

    void add(const std::string& id, FakeParticipant& p, const Attendee& who) {
        order.push_back(id);
        people[id] = &p;
        controls->entered(id, who, 0);
    }
    void drop(const std::string& id) {
        order.erase(std::remove(order.begin(), order.end(), id), order.end());
        people.erase(id);
        controls->left(id);
    }
};

struct Observer : room::MeetingObserver {
    std::vector<std::string> reactions;
    int states = 0;
    void onReaction(const std::string& id, const std::string& emoji) override {
        reactions.push_back(id + " " + emoji);
    }
    void onControlState(const std::string&, const room::ControlState&) override { ++states; }
};

constexpr int64_t kOwner = 1;

/// Owner p1 (host), guest p2, guest p3.
struct Meeting {
    FakeRoom room;
    MeetingControls controls{"test", kOwner, room};
    FakeParticipant p1, p2, p3;
    Meeting() {
        room.controls = &controls;
        room.add("p1", p1, Attendee{kOwner});
        room.add("p2", p2, Attendee{});
        room.add("p3", p3, Attendee{});
    }
};

HostCommand cmd(HostVerb verb, std::string participant = {}, bool flag = false) {
    return HostCommand{verb, std::move(participant), flag};
}
}  // namespace

TEST_CASE("joiners are told the lock; the arriving creator gets the waiting room", "[moderation]") {
    Meeting m;
    CHECK(m.p2.got(R"("type":"locked","locked":false)"));
    CHECK(m.p1.got(R"("type":"waiting-room")"));
    CHECK_FALSE(m.p2.got(R"("type":"waiting-room")"));
    protocol::RosterEntry e{"p1", "Owner"};
    m.controls.fill(e);
    CHECK(e.host);
    protocol::RosterEntry g{"p2", "Guest"};
    m.controls.fill(g);
    CHECK_FALSE(g.host);
}

TEST_CASE("a host mute is enforced by the room and told; only the participant lifts it",
          "[moderation]") {
    Meeting m;
    const int rosters = m.room.rosters;
    REQUIRE(m.controls.hostCommand("p1", cmd(HostVerb::Mute, "p2")).ok());
    CHECK(m.room.heard.at("p2") == false);
    CHECK(m.p2.got(R"({"type":"muted-by-host","media":"mic","by":"p1"})"));
    CHECK(m.room.rosters == rosters + 1);
    CHECK(m.controls.setMediaState("p2", {false, true}, 0).ok());
    CHECK(m.room.heard.at("p2") == false);
    CHECK(m.controls.setMediaState("p2", {true, true}, 0).ok());
    CHECK(m.room.heard.at("p2") == true);

    REQUIRE(m.controls.hostCommand("p1", cmd(HostVerb::StopVideo, "p3")).ok());
    CHECK(m.room.shown.at("p3") == false);
    CHECK(m.p3.got(R"("media":"camera")"));
    REQUIRE(m.controls.hostCommand("p1", cmd(HostVerb::AskUnmute, "p2")).ok());
    CHECK(m.p2.got(R"({"type":"unmute-request","by":"p1"})"));
    CHECK(m.room.heard.at("p2") == true);  // Asked, not unmuted (it was on already anyway).
}

TEST_CASE("a non-host's host action changes nothing and tells nobody", "[moderation]") {
    Meeting m;
    const auto before2 = m.p2.events.size();
    const auto before1 = m.p1.events.size();
    for (auto c : {cmd(HostVerb::Mute, "p1"), cmd(HostVerb::MuteAll), cmd(HostVerb::Remove, "p1"),
                   cmd(HostVerb::EndMeeting), cmd(HostVerb::Lock, {}, true),
                   cmd(HostVerb::StopVideo, "p1"), cmd(HostVerb::MakeHost, "p2")}) {
        auto r = m.controls.hostCommand("p2", c);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == errc::kNotHost);
    }
    CHECK(m.room.heard.empty());
    CHECK(m.room.shown.empty());
    CHECK(m.room.removals.empty());
    CHECK(m.p2.events.size() == before2);
    CHECK(m.p1.events.size() == before1);
}

TEST_CASE("remove tells the participant, then the room removes it", "[moderation]") {
    Meeting m;
    REQUIRE(m.controls.hostCommand("p1", cmd(HostVerb::Remove, "p3")).ok());
    CHECK(m.p3.got(R"({"type":"removed","by":"p1"})"));
    REQUIRE(m.room.removals.size() == 1);
    CHECK(m.room.removals[0] == std::make_pair(std::string("p3"), std::string("removed")));
    CHECK(m.p3.removedReason == "removed");
    CHECK_FALSE(m.controls.moderation().isPresent("p3"));
}

TEST_CASE("lock is broadcast", "[moderation]") {
    Meeting m;
    REQUIRE(m.controls.hostCommand("p1", cmd(HostVerb::Lock, {}, true)).ok());
    for (auto* p : {&m.p1, &m.p2, &m.p3}) CHECK(p->got(R"({"type":"locked","locked":true})"));
    CHECK(m.controls.screen(Attendee{}).error().code == errc::kMeetingLocked);
}

TEST_CASE("waiting joiners are held, admitted or denied through their connections",
          "[moderation]") {
    Meeting m;
    REQUIRE(m.controls.hostCommand("p1", cmd(HostVerb::WaitingRoom, {}, true)).ok());
    REQUIRE(m.controls.screen(Attendee{}).value() == room::Moderation::Admission::Wait);
    FakeParticipant w1, w2, w3;
    m.controls.hold("w1", "Wes (guest)", Attendee{}, w1);
    m.controls.hold("w2", "Xi (guest)", Attendee{}, w2);
    m.controls.hold("w3", "Yu (guest)", Attendee{}, w3);
    CHECK(m.p1.events.back().find("Xi (guest)") != std::string::npos);
    CHECK_FALSE(m.p2.got("Wes"));  // Only the host sees the waiting room.
    REQUIRE(m.controls.hostCommand("p1", cmd(HostVerb::Admit, "w1")).ok());
    CHECK(w1.admitted);
    REQUIRE(m.controls.hostCommand("p1", cmd(HostVerb::Deny, "w2")).ok());
    CHECK(w2.denied);
    CHECK_FALSE(w2.admitted);
    // Admitted: the room adds it under the same id.
    m.room.add("w1", w1, Attendee{});
    CHECK(m.controls.moderation().isPresent("w1"));
    // One leaves by itself: the host's list shrinks.
    m.controls.unhold("w3");
    CHECK(m.controls.moderation().waiting().empty());
    CHECK(m.p1.events.back().find("Yu") == std::string::npos);
    CHECK_FALSE(w3.denied);
}

TEST_CASE("ending the meeting tells everyone, removes everyone, turns waiting joiners away",
          "[moderation]") {
    Meeting m;
    REQUIRE(m.controls.hostCommand("p1", cmd(HostVerb::WaitingRoom, {}, true)).ok());
    FakeParticipant w;
    m.controls.hold("w9", "W", Attendee{}, w);
    REQUIRE(m.controls.hostCommand("p1", cmd(HostVerb::EndMeeting)).ok());
    for (auto* p : {&m.p1, &m.p2, &m.p3}) {
        CHECK(p->got(R"({"type":"meeting-ended","by":"p1"})"));
        CHECK(p->removedReason == "meeting-ended");
    }
    CHECK(m.room.order.empty());
    CHECK(w.denied);
}

TEST_CASE("when the last one leaves, waiting joiners are turned away", "[moderation]") {
    Meeting m;
    REQUIRE(m.controls.hostCommand("p1", cmd(HostVerb::WaitingRoom, {}, true)).ok());
    FakeParticipant w;
    m.controls.hold("w9", "W", Attendee{}, w);
    m.room.drop("p3");
    m.room.drop("p2");
    CHECK_FALSE(w.denied);
    m.room.drop("p1");
    CHECK(w.denied);
    CHECK_FALSE(m.controls.moderation().waitingRoomEnabled());
}

TEST_CASE("reactions go to everyone and to the observer", "[moderation]") {
    Meeting m;
    Observer o;
    m.controls.setObserver(&o);
    const std::string thumbs(protocol::kReactions[0]);
    REQUIRE(m.controls.react("p2", thumbs, 0).ok());
    for (auto* p : {&m.p1, &m.p2, &m.p3}) CHECK(p->got(R"("type":"reaction","participant":"p2")"));
    REQUIRE(o.reactions.size() == 1);
    CHECK(o.reactions[0] == "p2 " + thumbs);
    REQUIRE(m.controls.raiseHand("p3", true, 0).ok());
    CHECK(o.states == 1);
    CHECK(m.controls.react("p99", thumbs, 0).error().code == errc::kNoSuchParticipant);
    m.controls.setObserver(nullptr);
}
