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
}  // namespace

TEST_CASE("join parses and trims the display name", "[protocol]") {
    auto r =
        parseClientMessage(R"({"type":"join","version":1,"room":"team-1.a_b","name":"  Ada  "})");
    REQUIRE(r.ok());
    auto j = std::get<Join>(r.value());
    CHECK(j.version == 1);
    CHECK(j.room == "team-1.a_b");
    CHECK(j.name == "Ada");
}

TEST_CASE("join carries an optional resume token of the welcome's form", "[protocol][reconnect]") {
    const std::string token(kResumeTokenChars, 'a');
    auto r = parseClientMessage(R"({"type":"join","version":1,"room":"r","name":"Ada","resume":")" +
                                token + "-_Z9" + R"("})");
    CHECK_FALSE(r.ok());  // 47 characters
    r = parseClientMessage(R"({"type":"join","version":1,"room":"r","name":"Ada","resume":")" +
                           token.substr(4) + "-_Z9" + R"("})");
    REQUIRE(r.ok());
    CHECK(std::get<Join>(r.value()).resume == token.substr(4) + "-_Z9");
    // Absent: a fresh join.
    r = parseClientMessage(R"({"type":"join","version":1,"room":"r","name":"Ada"})");
    REQUIRE(r.ok());
    CHECK(std::get<Join>(r.value()).resume.empty());
    // Wrong length, characters or type.
    CHECK(codeOf(R"({"type":"join","version":1,"room":"r","name":"A","resume":"short"})") ==
          errc::kBadMessage);
    CHECK(codeOf(R"({"type":"join","version":1,"room":"r","name":"A","resume":")" +
                 token.substr(1) + "!\"}") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"join","version":1,"room":"r","name":"A","resume":42})") ==
          errc::kBadMessage);
    // Round trip of join and welcome.
    Join j{1, "r", "Ada", token};
    auto back = parseClientMessage(toJson(ClientMessage{j}));
    REQUIRE(back.ok());
    CHECK(std::get<Join>(back.value()).resume == token);
    Welcome w{"p1", "r", {}, 640, 360, 30, token, true};
    auto wb = parseServerMessage(toJson(ServerMessage{w}));
    REQUIRE(wb.ok());
    CHECK(std::get<Welcome>(wb.value()).resumeToken == token);
    CHECK(std::get<Welcome>(wb.value()).resumed);
    Welcome plain{"p1", "r", {}, 640, 360, 30};
    CHECK(toJson(ServerMessage{plain}).find("resume") == std::string::npos);
}

TEST_CASE("malformed JSON is bad-json", "[protocol]") {
    CHECK(codeOf("{not json") == errc::kBadJson);
    CHECK(codeOf("") == errc::kBadJson);
    CHECK(codeOf("[1,2]") == errc::kBadJson);
    CHECK(codeOf("\"join\"") == errc::kBadJson);
}

TEST_CASE("missing or mistyped fields are bad-message", "[protocol]") {
    CHECK(codeOf(R"({"version":1})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":5})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"join","room":"a","name":"b"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"join","version":"1","room":"a","name":"b"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"join","version":1,"room":"a"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"answer"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"answer","sdp":42})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"ice","candidate":"x"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"ice","candidate":"x","sdpMLineIndex":-1})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"ice","candidate":"x","sdpMLineIndex":1.5})") == errc::kBadMessage);
}

TEST_CASE("room and display names are validated", "[protocol]") {
    CHECK(codeOf(R"({"type":"join","version":1,"room":"","name":"b"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"join","version":1,"room":"a/b","name":"b"})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"join","version":1,"room":"a b","name":"b"})") == errc::kBadMessage);
    std::string longRoom(65, 'r');
    CHECK(codeOf(R"({"type":"join","version":1,"room":")" + longRoom + R"(","name":"b"})") ==
          errc::kBadMessage);
    CHECK(codeOf(R"({"type":"join","version":1,"room":"a","name":"   "})") == errc::kBadMessage);
    CHECK(codeOf(R"({"type":"join","version":1,"room":"a","name":"x\u0007y"})") ==
          errc::kBadMessage);
    std::string longName(65, 'n');
    CHECK(codeOf(R"({"type":"join","version":1,"room":"a","name":")" + longName + R"("})") ==
          errc::kBadMessage);
    // 64 characters of multi-byte UTF-8 are fine.
    std::string utf8;
    for (int i = 0; i < 64; ++i) utf8 += "\xc3\xa9";
    CHECK(parseClientMessage(R"({"type":"join","version":1,"room":"a","name":")" + utf8 + R"("})")
              .ok());
    CHECK(isValidRoomName("A-z_0.9"));
    CHECK_FALSE(isValidRoomName("caf\xc3\xa9"));
}

TEST_CASE("unknown types are unknown-type", "[protocol]") {
    CHECK(codeOf(R"({"type":"dance"})") == errc::kUnknownType);
    CHECK(codeOf(R"({"type":"welcome"})") == errc::kUnknownType);  // server->client only
}

TEST_CASE("oversized messages are too-large", "[protocol]") {
    std::string big = R"({"type":"answer","sdp":")" + std::string(kMaxMessageBytes, 'a') + "\"}";
    CHECK(codeOf(big) == errc::kTooLarge);
}

TEST_CASE("client messages round-trip through JSON", "[protocol]") {
    for (const ClientMessage& m :
         {ClientMessage{Join{1, "room", "Grace"}}, ClientMessage{Answer{"v=0\r\n"}},
          ClientMessage{IceCandidate{"candidate:1 1 UDP 1 127.0.0.1 5000 typ host", 1}},
          ClientMessage{IceCandidate{"", 0}}, ClientMessage{Leave{}},
          ClientMessage{ChatSend{"hello"}}, ClientMessage{ChatHistoryRequest{42}},
          ClientMessage{ChatHistoryRequest{}}, ClientMessage{Presence{}},
          ClientMessage{Call{"bob"}}, ClientMessage{CallAnswer{"c1", true}},
          ClientMessage{SetQuality{"medium"}}, ClientMessage{SetLayout{"speaker", "self"}},
          ClientMessage{SetLayout{"grid", "meeting"}}}) {
        auto back = parseClientMessage(toJson(m));
        REQUIRE(back.ok());
        CHECK(back.value().index() == m.index());
        CHECK(toJson(back.value()) == toJson(m));
    }
}

TEST_CASE("server messages round-trip through JSON", "[protocol]") {
    Welcome w{"p1", "room", {{{"stun:s:3478"}, "", ""}, {{"turn:t:3478"}, "u", "p"}},
              1280, 720,    30};
    for (const ServerMessage& m :
         {ServerMessage{w}, ServerMessage{Roster{{{"p1", "Ada"}, {"p2", "<b>Bob</b>"}}}},
          ServerMessage{Offer{"v=0\r\n"}}, ServerMessage{IceCandidate{"candidate:x", 0}},
          ServerMessage{ErrorReply{errc::kBadJson, "nope"}}, ServerMessage{Bye{"left"}},
          ServerMessage{ChatEvent{ChatLine{7, 3, "Ada", "hi <b>", 1700000000000}}},
          ServerMessage{ChatHistory{{ChatLine{1, std::nullopt, "Guest", "x", 5}}, true}},
          ServerMessage{PresenceAck{}}, ServerMessage{CallRinging{"c1", {"bob", "Bob"}}},
          ServerMessage{IncomingCall{"c1", {"ada", "Ada"}}},
          ServerMessage{CallAccepted{"c1", "abc-defg-hij"}}, ServerMessage{CallDeclined{"c1"}},
          ServerMessage{Quality{"low", "auto", 320, 180, 15}},
          ServerMessage{SendHint{640, 360, 500000}},
          ServerMessage{LayoutInfo{"speaker",
                                   "auto",
                                   "speaker",
                                   "p2",
                                   1280,
                                   720,
                                   {{"p2", 128, 0, 1024, 576}, {"p1", 512, 576, 256, 144}}}}}) {
        auto back = parseServerMessage(toJson(m));
        REQUIRE(back.ok());
        CHECK(back.value().index() == m.index());
        CHECK(toJson(back.value()) == toJson(m));
    }
    auto parsed = std::get<Welcome>(parseServerMessage(toJson(ServerMessage{w})).value());
    CHECK(parsed.iceServers.size() == 2);
    CHECK(parsed.iceServers[1].credential == "p");
    CHECK(parsed.width == 1280);
}

TEST_CASE("set-layout: a layout and a scope, checked", "[protocol][layouts]") {
    auto ok = parseClientMessage(R"({"type":"set-layout","layout":"grid"})");
    REQUIRE(ok.ok());
    CHECK(std::get<SetLayout>(ok.value()).scope == "self");
    auto meeting =
        parseClientMessage(R"({"type":"set-layout","layout":"presentation","scope":"meeting"})");
    REQUIRE(meeting.ok());
    CHECK(std::get<SetLayout>(meeting.value()).layout == "presentation");
    for (const char* bad :
         {R"({"type":"set-layout"})", R"({"type":"set-layout","layout":3})",
          R"({"type":"set-layout","layout":"mosaic"})", R"({"type":"set-layout","layout":"Grid"})",
          R"({"type":"set-layout","layout":"grid","scope":"room"})",
          R"({"type":"set-layout","layout":"auto","scope":"meeting"})"}) {
        INFO(bad);
        auto r = parseClientMessage(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == errc::kBadMessage);
    }
}

TEST_CASE("JSON output escapes text safely", "[protocol]") {
    std::string json = toJson(ServerMessage{ErrorReply{"x", "quote \" and \\ and \n"}});
    auto back = parseServerMessage(json);
    REQUIRE(back.ok());
    CHECK(std::get<ErrorReply>(back.value()).message == "quote \" and \\ and \n");
}

TEST_CASE("stream and hls: fields checked; streaming round-trips", "[protocol][streaming]") {
    auto add = parseClientMessage(
        R"({"type":"stream","action":"add","url":"rtmps://live.example.org/app","key":"k-1"})");
    REQUIRE(add.ok());
    const auto& s = std::get<Stream>(add.value());
    CHECK(s.action == "add");
    CHECK(s.url == "rtmps://live.example.org/app");
    CHECK(s.key == "k-1");
    auto remove = parseClientMessage(R"({"type":"stream","action":"remove","id":"3"})");
    REQUIRE(remove.ok());
    CHECK(std::get<Stream>(remove.value()).id == "3");
    CHECK(codeOf(R"({"type":"stream","action":"add","url":"http://x/","key":"k"})") ==
          "bad-message");
    CHECK(codeOf(R"({"type":"stream","action":"add","url":"rtmp://x/a b","key":"k"})") ==
          "bad-message");
    CHECK(codeOf(R"({"type":"stream","action":"add","url":"rtmp://x/a"})") == "bad-message");
    CHECK(codeOf(R"({"type":"stream","action":"pause"})") == "bad-message");
    CHECK(codeOf(R"({"type":"stream","action":"add","url":"rtmp://x/","key":")" +
                 std::string(300, 'k') + R"("})") == "bad-message");
    auto hls = parseClientMessage(R"({"type":"hls","on":true})");
    REQUIRE(hls.ok());
    CHECK(std::get<Hls>(hls.value()).access == "participants");
    CHECK(codeOf(R"({"type":"hls","on":true,"access":"everyone"})") == "bad-message");
    CHECK(codeOf(R"({"type":"hls"})") == "bad-message");

    StreamingState st;
    st.targets.push_back({"1", "rtmp://x/app", "ab****yz", "retrying", "refused", 2000});
    st.hls = true;
    st.hlsAccess = "anyone";
    st.hlsUrl = "/live/abc/index.m3u8";
    st.watchUrl = "/watch.html?m=abc";
    auto back = parseServerMessage(toJson(st));
    REQUIRE(back.ok());
    CHECK(std::get<StreamingState>(back.value()) == st);
}
