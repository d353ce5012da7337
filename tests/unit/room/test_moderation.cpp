// Host rights, permission checks for every host action, the lock, the waiting room and the
// bounds on hands and reactions (room/Moderation.h). Pure: no pipeline.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocol/Messages.h"
#include "room/Moderation.h"

using namespace mixmeet;
using protocol::HostCommand;
using protocol::HostVerb;
using room::Attendee;
using room::Moderation;
namespace errc = protocol::errc;

namespace {
constexpr int64_t kOwner = 7;
const Attendee kOwnerA{kOwner};
const Attendee kUser{8};
const Attendee kGuest{};

HostCommand cmd(HostVerb verb, std::string participant = {}, bool flag = false) {
    return HostCommand{verb, std::move(participant), flag};
}

const std::vector<HostVerb> kAllVerbs = {
    HostVerb::Mute,   HostVerb::MuteAll,    HostVerb::AskUnmute,   HostVerb::StopVideo,
    HostVerb::Remove, HostVerb::Lock,       HostVerb::WaitingRoom, HostVerb::Admit,
    HostVerb::Deny,   HostVerb::EndMeeting, HostVerb::MakeHost};

/// A command of `verb` that the host could send: targets p2 (present) or w1 (waiting).
HostCommand validCommand(HostVerb verb) {
    switch (verb) {
        case HostVerb::Admit:
        case HostVerb::Deny:
            return cmd(verb, "w1");
        case HostVerb::Lock:
        case HostVerb::WaitingRoom:
            return cmd(verb, {}, true);
        case HostVerb::MuteAll:
        case HostVerb::EndMeeting:
            return cmd(verb);
        default:
            return cmd(verb, "p2");
    }
}

/// An account meeting: owner p1 (host), user p2, guest p3, guest w1 waiting.
Moderation meeting() {
    Moderation m(kOwner);
    m.enter("p1", kOwnerA, 0);
    m.enter("p2", kUser, 0);
    m.enter("p3", kGuest, 0);
    m.hold("w1", "Wanda (guest)", kGuest);
    return m;
}
}  // namespace

TEST_CASE("an account meeting's creator is host; an open room's first joiner", "[moderation]") {
    Moderation m(kOwner);
    CHECK_FALSE(m.enter("p1", kUser, 0));  // Not the creator: nobody is host yet.
    CHECK(m.host().empty());
    CHECK(m.enter("p2", kOwnerA, 0));
    CHECK(m.isHost("p2"));
    CHECK_FALSE(m.isHost("p1"));

    Moderation open(std::nullopt);
    CHECK(open.enter("p1", kGuest, 0));
    CHECK_FALSE(open.enter("p2", kGuest, 0));
    CHECK(open.isHost("p1"));
}

TEST_CASE("every host action from a non-host is not-host", "[moderation]") {
    for (HostVerb verb : kAllVerbs) {
        Moderation m = meeting();
        HostCommand c = validCommand(verb);
        INFO("verb " << protocol::hostVerbType(verb));
        // p2 (signed in) and p3 (guest) are not host; neither is a stranger.
        for (const char* actor : {"p2", "p3", "nobody", ""}) {
            auto r = m.apply(actor, c);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code == errc::kNotHost);
            CHECK(m.authorize(actor, c).error().code == errc::kNotHost);
        }
        // Nothing changed.
        CHECK(m.isHost("p1"));
        CHECK_FALSE(m.locked());
        CHECK_FALSE(m.waitingRoomEnabled());
        CHECK(m.isWaiting("w1"));
        CHECK_FALSE(m.state("p2")->hostMuted);
        CHECK_FALSE(m.state("p2")->videoStopped);
        // The host may.
        CHECK(m.apply("p1", c).ok());
    }
}

TEST_CASE("before the creator arrives nobody may moderate", "[moderation]") {
    Moderation m(kOwner);
    m.enter("p1", kUser, 0);
    m.enter("p2", kGuest, 0);
    for (HostVerb verb : kAllVerbs)
        CHECK(m.apply("p1", validCommand(verb)).error().code == errc::kNotHost);
}

TEST_CASE("host actions on someone not in the meeting are no-such-participant", "[moderation]") {
    Moderation m = meeting();
    for (HostVerb verb : {HostVerb::Mute, HostVerb::AskUnmute, HostVerb::StopVideo,
                          HostVerb::Remove, HostVerb::MakeHost}) {
        CHECK(m.apply("p1", cmd(verb, "p99")).error().code == errc::kNoSuchParticipant);
        // A waiting guest is not in the meeting yet.
        CHECK(m.apply("p1", cmd(verb, "w1")).error().code == errc::kNoSuchParticipant);
    }
    // Admit and deny name waiting people only.
    for (HostVerb verb : {HostVerb::Admit, HostVerb::Deny}) {
        CHECK(m.apply("p1", cmd(verb, "p2")).error().code == errc::kNoSuchParticipant);
        CHECK(m.apply("p1", cmd(verb, "w9")).error().code == errc::kNoSuchParticipant);
    }
    CHECK(m.apply("p1", cmd(HostVerb::Remove, "p1")).error().code == errc::kBadState);
}

TEST_CASE("mute and mute-all set host mutes; the participant's own unmute lifts them",
          "[moderation]") {
    Moderation m = meeting();
    auto e = m.apply("p1", cmd(HostVerb::Mute, "p2"));
    REQUIRE(e.ok());
    CHECK(e.value().muted == std::vector<std::string>{"p2"});
    CHECK(e.value().rosterChanged);
    CHECK_FALSE(m.state("p2")->heard());
    // Muting again changes nothing and tells nobody.
    CHECK(m.apply("p1", cmd(HostVerb::Mute, "p2")).value().muted.empty());
    // Mute all: everyone but the host, each once.
    auto all = m.apply("p1", cmd(HostVerb::MuteAll));
    CHECK(all.value().muted == std::vector<std::string>{"p3"});
    CHECK(m.state("p1")->heard());
    // Still sending (the client says mic off or says nothing): stays muted.
    CHECK(m.setMediaState("p3", {false, true}, 0).value());
    CHECK_FALSE(m.state("p3")->heard());
    // Asked to unmute: the host cannot unmute anyone; only their own switch does.
    auto ask = m.apply("p1", cmd(HostVerb::AskUnmute, "p3"));
    CHECK(ask.value().askUnmute == std::string("p3"));
    CHECK_FALSE(m.state("p3")->heard());
    CHECK(m.setMediaState("p3", {true, true}, 0).value());
    CHECK(m.state("p3")->heard());
    CHECK_FALSE(m.state("p3")->hostMuted);
}

TEST_CASE("stop-video shows the name tile until the participant turns the camera on",
          "[moderation]") {
    Moderation m = meeting();
    auto e = m.apply("p1", cmd(HostVerb::StopVideo, "p2"));
    CHECK(e.value().videoStopped == std::vector<std::string>{"p2"});
    CHECK_FALSE(m.state("p2")->shown());
    CHECK(m.setMediaState("p2", {true, false}, 0).value());  // Camera off: still no video.
    CHECK_FALSE(m.state("p2")->shown());
    CHECK(m.setMediaState("p2", {true, true}, 0).value());
    CHECK(m.state("p2")->shown());
    CHECK(m.setMediaState("p99", {true, true}, 0).error().code == errc::kNoSuchParticipant);
}

TEST_CASE("make-host moves the rights; the creator takes them back on joining", "[moderation]") {
    Moderation m = meeting();
    auto e = m.apply("p1", cmd(HostVerb::MakeHost, "p3"));
    CHECK(e.value().hostChanged);
    CHECK(m.isHost("p3"));
    CHECK_FALSE(m.isHost("p1"));
    // The former host is refused now; the new one may act.
    CHECK(m.apply("p1", cmd(HostVerb::Lock, {}, true)).error().code == errc::kNotHost);
    CHECK(m.apply("p3", cmd(HostVerb::Lock, {}, true)).ok());
    // The creator opens another tab: takes the rights back from p3.
    CHECK(m.enter("p4", kOwnerA, 0));
    CHECK(m.isHost("p4"));
    // A third tab of the creator does not take them from the creator's own tab.
    CHECK_FALSE(m.enter("p5", kOwnerA, 0));
    CHECK(m.isHost("p4"));
}

TEST_CASE("when the host leaves the rights pass on", "[moderation]") {
    Moderation m(kOwner);
    m.enter("p1", kGuest, 0);
    m.enter("p2", kOwnerA, 0);
    m.enter("p3", kUser, 0);
    m.enter("p4", kOwnerA, 0);
    CHECK(m.isHost("p2"));
    // The creator's other connection first.
    CHECK(m.leave("p2"));
    CHECK(m.isHost("p4"));
    // Then the longest-present signed-in participant, over a guest present longer.
    CHECK(m.leave("p4"));
    CHECK(m.isHost("p3"));
    CHECK(m.leave("p3"));
    CHECK(m.isHost("p1"));
    CHECK(m.leave("p1"));
    CHECK(m.host().empty());
    CHECK_FALSE(m.leave("p1"));  // Unknown now: nothing.
    // Someone else leaving does not move the rights.
    Moderation open(std::nullopt);
    open.enter("a", kGuest, 0);
    open.enter("b", kGuest, 0);
    open.enter("c", kGuest, 0);
    CHECK_FALSE(open.leave("c"));
    CHECK(open.leave("a"));
    CHECK(open.isHost("b"));
}

TEST_CASE("a locked meeting refuses joins except its creator", "[moderation]") {
    Moderation m = meeting();
    auto e = m.apply("p1", cmd(HostVerb::Lock, {}, true));
    CHECK(e.value().lockChanged);
    CHECK(m.locked());
    CHECK(m.screen(kUser).error().code == errc::kMeetingLocked);
    CHECK(m.screen(kGuest).error().code == errc::kMeetingLocked);
    CHECK(m.screen(kOwnerA).value() == Moderation::Admission::Enter);
    CHECK_FALSE(m.apply("p1", cmd(HostVerb::Lock, {}, true)).value().lockChanged);
    REQUIRE(m.apply("p1", cmd(HostVerb::Lock, {}, false)).ok());
    CHECK(m.screen(kGuest).value() == Moderation::Admission::Enter);
}

TEST_CASE("the waiting room holds guests until admitted or denied", "[moderation]") {
    Moderation m(kOwner, room::ModerationLimits{{1, 5}, {1, 4}, {2, 10}, 2});
    m.enter("p1", kOwnerA, 0);
    CHECK(m.screen(kGuest).value() == Moderation::Admission::Enter);  // Off by default.
    auto on = m.apply("p1", cmd(HostVerb::WaitingRoom, {}, true));
    CHECK(on.value().waitingChanged);
    CHECK(m.screen(kGuest).value() == Moderation::Admission::Wait);
    CHECK(m.screen(kUser).value() == Moderation::Admission::Enter);  // Accounts enter.
    m.hold("w1", "A (guest)", kGuest);
    m.hold("w2", "B (guest)", kGuest);
    CHECK(m.screen(kGuest).error().code == errc::kWaitingRoomFull);
    CHECK(m.waitingRoomState().participants.size() == 2);
    auto denied = m.apply("p1", cmd(HostVerb::Deny, "w1"));
    REQUIRE(denied.value().denied.size() == 1);
    CHECK(denied.value().denied[0].name == "A (guest)");
    CHECK_FALSE(m.isWaiting("w1"));
    auto admitted = m.apply("p1", cmd(HostVerb::Admit, "w2"));
    CHECK(admitted.value().admitted[0].id == "w2");
    CHECK(m.waiting().empty());
    // Admitted: the room enters them (same id).
    m.enter("w2", kGuest, 0);
    CHECK(m.isPresent("w2"));
    // A waiting guest who goes away is forgotten.
    m.hold("w3", "C (guest)", kGuest);
    m.leave("w3");
    CHECK(m.waiting().empty());
    // Turning the waiting room off lets everyone waiting in.
    m.hold("w4", "D", kGuest);
    m.hold("w5", "E", kGuest);
    auto off = m.apply("p1", cmd(HostVerb::WaitingRoom, {}, false));
    REQUIRE(off.value().admitted.size() == 2);
    CHECK(off.value().admitted[0].id == "w4");
    CHECK(m.waiting().empty());
}

TEST_CASE("nobody waits without a host to admit them; open rooms hold everyone else",
          "[moderation]") {
    Moderation open(std::nullopt);
    CHECK(open.screen(kGuest).value() == Moderation::Admission::Enter);
    open.enter("p1", kGuest, 0);
    REQUIRE(open.apply("p1", cmd(HostVerb::WaitingRoom, {}, true)).ok());
    CHECK(open.screen(kGuest).value() == Moderation::Admission::Wait);
    open.leave("p1");  // Empty: no host.
    CHECK(open.screen(kGuest).value() == Moderation::Admission::Enter);
}

TEST_CASE("ending the meeting turns the waiting room away", "[moderation]") {
    Moderation m = meeting();
    auto e = m.apply("p1", cmd(HostVerb::EndMeeting));
    CHECK(e.value().ended);
    REQUIRE(e.value().denied.size() == 1);
    CHECK(e.value().denied[0].id == "w1");
    CHECK(m.apply("p1", cmd(HostVerb::Remove, "p2")).value().removed == std::string("p2"));
}

TEST_CASE("hands and reactions are bounded per participant", "[moderation]") {
    Moderation m(std::nullopt, room::ModerationLimits{{1.0, 5}, {12 / 60.0, 4}, {2.0, 10}, 50});
    m.enter("p1", kGuest, 0);
    // Reactions: 5 at once, then one a second.
    for (int i = 0; i < 5; ++i) CHECK(m.react("p1", 1000).ok());
    CHECK(m.react("p1", 1000).error().code == errc::kRateLimited);
    CHECK(m.react("p1", 2000).ok());
    CHECK(m.react("p99", 2000).error().code == errc::kNoSuchParticipant);
    // Hands: 4 changes at once, then 12 a minute; repeats are free.
    bool up = true;
    for (int i = 0; i < 4; ++i, up = !up) CHECK(m.setHand("p1", up, 0).value());
    CHECK_FALSE(m.setHand("p1", false, 0).value());  // Already down: no change, no charge.
    CHECK(m.setHand("p1", true, 0).error().code == errc::kRateLimited);
    CHECK_FALSE(m.state("p1")->hand);
    CHECK(m.setHand("p1", true, 5000).value());
    CHECK(m.state("p1")->hand);
    CHECK(m.setHand("p99", true, 0).error().code == errc::kNoSuchParticipant);
    // Media state: each change is a roster to everyone; 10 at once, then 2 a second.
    m.enter("p2", kGuest, 0);
    bool mic = false;
    for (int i = 0; i < 10; ++i, mic = !mic) CHECK(m.setMediaState("p2", {mic, true}, 0).value());
    CHECK_FALSE(m.setMediaState("p2", {!mic, true}, 0).value());  // The current state: free.
    CHECK(m.setMediaState("p2", {mic, true}, 0).error().code == errc::kRateLimited);
    CHECK(m.state("p2")->mic == !mic);  // Not applied.
    CHECK(m.setMediaState("p2", {mic, true}, 500).value());
}
