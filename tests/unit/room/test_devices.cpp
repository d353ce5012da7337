// The same account twice in a meeting: numbered devices in the roster (room/Devices.h); and
// the `pin` of set-layout and layout (docs/protocol.md, "Layouts").
#include <catch2/catch.hpp>

#include "protocol/Messages.h"
#include "room/Devices.h"

using mixmeet::room::deviceNumbers;

TEST_CASE("devices: an account's second connection numbers both, guests never", "[devices]") {
    CHECK(deviceNumbers({}).empty());
    CHECK(deviceNumbers({std::nullopt, std::nullopt}) == std::vector<int>{0, 0});
    CHECK(deviceNumbers({7, 8}) == std::vector<int>{0, 0});
    CHECK(deviceNumbers({7, std::nullopt, 8, 7}) == std::vector<int>{1, 0, 0, 2});
    CHECK(deviceNumbers({7, 7, 7}) == std::vector<int>{1, 2, 3});
}

TEST_CASE("devices: the roster carries the device number only when there is one", "[devices]") {
    using namespace mixmeet::protocol;
    Roster r;
    r.participants.push_back(RosterEntry{"p1", "Ann"});
    r.participants.push_back(RosterEntry{"p2", "Ann"});
    r.participants[1].device = 2;
    const std::string json = toJson(ServerMessage{r});
    CHECK(json.find("\"device\":2") != std::string::npos);
    CHECK(json.find("\"device\":0") == std::string::npos);
    auto parsed = parseServerMessage(json);
    REQUIRE(parsed);
    const auto& back = std::get<Roster>(parsed.value());
    CHECK(back.participants[0].device == 0);
    CHECK(back.participants[1].device == 2);
}

TEST_CASE("pin: set-layout carries a pin only with the speaker layout for oneself", "[pin]") {
    using namespace mixmeet::protocol;
    auto ok = parseClientMessage(R"({"type":"set-layout","layout":"speaker","pin":"p3"})");
    REQUIRE(ok);
    const auto& l = std::get<SetLayout>(ok.value());
    CHECK(l.pin == std::optional<std::string>("p3"));
    CHECK(toJson(ClientMessage{l}).find("\"pin\":\"p3\"") != std::string::npos);
    auto unpin = parseClientMessage(R"({"type":"set-layout","layout":"auto","pin":""})");
    REQUIRE(unpin);
    CHECK(std::get<SetLayout>(unpin.value()).pin == std::optional<std::string>(""));
    auto none = parseClientMessage(R"({"type":"set-layout","layout":"grid"})");
    REQUIRE(none);
    CHECK_FALSE(std::get<SetLayout>(none.value()).pin);
    for (const char* bad :
         {R"({"type":"set-layout","layout":"grid","pin":"p3"})",
          R"({"type":"set-layout","layout":"speaker","scope":"meeting","pin":"p3"})",
          R"({"type":"set-layout","layout":"speaker","pin":7})"}) {
        auto r = parseClientMessage(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == "bad-message");
    }
    const std::string longPin(65, 'p');
    CHECK_FALSE(parseClientMessage(R"({"type":"set-layout","layout":"speaker","pin":")" + longPin +
                                   R"("})"));
    LayoutInfo info;
    info.layout = "speaker";
    info.pin = "p3";
    auto back = parseServerMessage(toJson(ServerMessage{info}));
    REQUIRE(back);
    CHECK(std::get<LayoutInfo>(back.value()).pin == "p3");
}
