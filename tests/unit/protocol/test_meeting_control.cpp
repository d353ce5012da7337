// Meeting-control messages (protocol/MeetingControl.h): parsing, validation and round trips.
#include <catch2/catch.hpp>

#include <string>

#include "protocol/Messages.h"

using namespace mixmeet::protocol;

namespace {
std::string codeOf(const std::string& text) {
    auto r = parseClientMessage(text);
    REQUIRE_FALSE(r.ok());
    return r.error().code;
}

template <typename T>
T parsedClient(const std::string& text) {
    auto r = parseClientMessage(text);
    INFO(text << " -> " << (r.ok() ? std::string("ok") : r.error().message));
    REQUIRE(r.ok());
    REQUIRE(std::holds_alternative<T>(r.value()));
    return std::get<T>(r.value());
}

template <typename T>
T serverRoundTrip(const T& m) {
    std::string json = toJson(ServerMessage{m});
    auto r = parseServerMessage(json);
    INFO(json);
    REQUIRE(r.ok());
    REQUIRE(std::holds_alternative<T>(r.value()));
    return std::get<T>(r.value());
}

HostCommand clientRoundTrip(const HostCommand& c) {
    std::string json = toJson(ClientMessage{c});
    INFO(json);
    return parsedClient<HostCommand>(json);
}
}  // namespace

TEST_CASE("media-state, hand, leave-call and rejoin-call parse", "[protocol][moderation]") {
    auto s = parsedClient<MediaState>(R"({"type":"media-state","mic":false,"camera":true})");
    CHECK_FALSE(s.mic);
    CHECK(s.camera);
    CHECK(parsedClient<Hand>(R"({"type":"hand","raised":true})").raised);
    CHECK_FALSE(parsedClient<Hand>(R"({"type":"hand","raised":false})").raised);
    parsedClient<LeaveCall>(R"({"type":"leave-call"})");
    parsedClient<RejoinCall>(R"({"type":"rejoin-call"})");

    CHECK(codeOf(R"({"type":"media-state","mic":false})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"media-state","mic":0,"camera":true})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"media-state","mic":"on","camera":true})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"hand"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"hand","raised":null})") == errc::kBadMessage);
}

TEST_CASE("reactions come from the fixed set only", "[protocol][moderation]") {
    for (auto emoji : kReactions) {
        std::string json = toJson(ClientMessage{Reaction{std::string(emoji)}});
        CHECK(parsedClient<Reaction>(json).emoji == emoji);
    }
    // Text, markup, a near miss (the heart without its variation selector), too long, absent.
    CHECK(codeOf(R"({"type":"reaction","emoji":"hello"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"reaction","emoji":"<b>x</b>"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"reaction","emoji":"\u2764"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"reaction","emoji":""})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"reaction","emoji":")" + std::string(100, 'x') + R"("})") ==
          errc::kBadMessage);
    CHECK(codeOf(R"({"type":"reaction"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"reaction","emoji":7})") == errc::kBadMessage);
    CHECK(isAllowedReaction("\xF0\x9F\x91\x8D"));
    CHECK_FALSE(isAllowedReaction("\xF0\x9F\x91"));
}

TEST_CASE("every host action parses and round-trips", "[protocol][moderation]") {
    auto mute = parsedClient<HostCommand>(R"({"type":"mute","participant":"p2"})");
    CHECK(mute.verb == HostVerb::Mute);
    CHECK(mute.participant == "p2");
    auto all = parsedClient<HostCommand>(R"({"type":"mute","all":true})");
    CHECK(all.verb == HostVerb::MuteAll);
    CHECK(all.participant.empty());
    CHECK(parsedClient<HostCommand>(R"({"type":"stop-video","participant":"p3"})").verb ==
          HostVerb::StopVideo);
    CHECK(parsedClient<HostCommand>(R"({"type":"remove","participant":"p3"})").verb ==
          HostVerb::Remove);
    CHECK(parsedClient<HostCommand>(R"({"type":"unmute-request","participant":"p3"})").verb ==
          HostVerb::AskUnmute);
    auto lock = parsedClient<HostCommand>(R"({"type":"lock","locked":true})");
    CHECK(lock.verb == HostVerb::Lock);
    CHECK(lock.flag);
    CHECK_FALSE(parsedClient<HostCommand>(R"({"type":"lock","locked":false})").flag);
    auto wr = parsedClient<HostCommand>(R"({"type":"waiting-room","enabled":true})");
    CHECK(wr.verb == HostVerb::WaitingRoom);
    CHECK(wr.flag);
    CHECK(parsedClient<HostCommand>(R"({"type":"admit","participant":"p9"})").verb ==
          HostVerb::Admit);
    CHECK(parsedClient<HostCommand>(R"({"type":"deny","participant":"p9"})").verb ==
          HostVerb::Deny);
    CHECK(parsedClient<HostCommand>(R"({"type":"end-meeting"})").verb == HostVerb::EndMeeting);
    CHECK(parsedClient<HostCommand>(R"({"type":"make-host","participant":"p4"})").verb ==
          HostVerb::MakeHost);

    for (HostVerb v : {HostVerb::Mute, HostVerb::MuteAll, HostVerb::AskUnmute, HostVerb::StopVideo,
                       HostVerb::Remove, HostVerb::Lock, HostVerb::WaitingRoom, HostVerb::Admit,
                       HostVerb::Deny, HostVerb::EndMeeting, HostVerb::MakeHost}) {
        HostCommand c;
        c.verb = v;
        bool names = v == HostVerb::Mute || v == HostVerb::AskUnmute || v == HostVerb::StopVideo ||
                     v == HostVerb::Remove || v == HostVerb::Admit || v == HostVerb::Deny ||
                     v == HostVerb::MakeHost;
        if (names) c.participant = "p7";
        c.flag = v == HostVerb::Lock || v == HostVerb::WaitingRoom;
        HostCommand back = clientRoundTrip(c);
        CHECK(back.verb == c.verb);
        CHECK(back.participant == c.participant);
        CHECK(back.flag == c.flag);
    }
}

TEST_CASE("host actions with missing or bad fields are bad-message", "[protocol][moderation]") {
    CHECK(codeOf(R"({"type":"mute"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"mute","participant":""})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"mute","participant":5})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"mute","all":false})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"mute","all":"yes"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"mute","all":true,"participant":"p2"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"remove","participant":")" + std::string(65, 'p') + R"("})") ==
          errc::kBadMessage);
    for (const char* t : {"stop-video", "remove", "admit", "deny", "make-host", "unmute-request"})
        CHECK(codeOf(std::string(R"({"type":")") + t + R"("})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"lock"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"lock","locked":1})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"waiting-room"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"mute-all"})") == errc::kUnknownType);
}

TEST_CASE("server meeting-control messages round-trip", "[protocol][moderation]") {
    auto m = serverRoundTrip(MutedByHost{"camera", "p1"});
    CHECK(m.media == "camera");
    CHECK(m.by == "p1");
    CHECK(serverRoundTrip(UnmuteRequest{"p1"}).by == "p1");
    CHECK(serverRoundTrip(Removed{"p1"}).by == "p1");
    CHECK(serverRoundTrip(MeetingEnded{"p2"}).by == "p2");
    serverRoundTrip(Waiting{});
    serverRoundTrip(Admitted{});
    serverRoundTrip(Denied{});
    auto r = serverRoundTrip(ReactionEvent{"p3", std::string(kReactions[2])});
    CHECK(r.participant == "p3");
    CHECK(r.emoji == kReactions[2]);
    CHECK(serverRoundTrip(Locked{true}).locked);
    CHECK_FALSE(serverRoundTrip(Locked{false}).locked);
    auto w = serverRoundTrip(WaitingRoomState{true, {{"p5", "Eve (guest)"}, {"p6", "Bob"}}});
    CHECK(w.enabled);
    REQUIRE(w.participants.size() == 2);
    CHECK(w.participants[1].id == "p6");
    CHECK(w.participants[0].name == "Eve (guest)");
    CHECK_FALSE(parseServerMessage(R"({"type":"muted-by-host","media":"screen","by":"p1"})").ok());
}

TEST_CASE("roster entries carry the meeting-control state", "[protocol][moderation]") {
    Roster ro;
    RosterEntry a{"p1", "Ada"};
    a.mic = false;
    a.hand = true;
    a.host = true;
    RosterEntry b{"p2", "Bob"};
    b.camera = false;
    b.inCall = false;
    b.speaking = true;
    ro.participants = {a, b};
    std::string json = toJson(ServerMessage{ro});
    CHECK(json.find("\"speaking\":true") != std::string::npos);
    auto r = parseServerMessage(json);
    REQUIRE(r.ok());
    const auto& back = std::get<Roster>(r.value()).participants;
    REQUIRE(back.size() == 2);
    CHECK_FALSE(back[0].mic);
    CHECK(back[0].camera);
    CHECK(back[0].hand);
    CHECK(back[0].host);
    CHECK(back[0].inCall);
    CHECK_FALSE(back[0].speaking.has_value());
    CHECK(back[1].mic);
    CHECK_FALSE(back[1].camera);
    CHECK_FALSE(back[1].hand);
    CHECK_FALSE(back[1].host);
    CHECK_FALSE(back[1].inCall);
    CHECK(back[1].speaking == true);
    // An older server's entries (id and name only) read with the defaults.
    auto old = parseServerMessage(R"({"type":"roster","participants":[{"id":"p1","name":"A"}]})");
    REQUIRE(old.ok());
    CHECK(std::get<Roster>(old.value()).participants[0].mic);
    CHECK(std::get<Roster>(old.value()).participants[0].inCall);
}
