// room/Presenter: one presenter at a time, a second one takes over, stop and leave.
#include <catch2/catch.hpp>

#include "protocol/Messages.h"
#include "room/Presenter.h"

using mixmeet::room::Presenter;

TEST_CASE("nobody presents at first", "[share]") {
    Presenter p;
    CHECK(p.current().empty());
    CHECK_FALSE(p.presenting("p1"));
    CHECK_FALSE(p.presenting(""));
}

TEST_CASE("a presenter starts and stops", "[share]") {
    Presenter p;
    CHECK(p.start("p1").empty());  // nobody replaced
    CHECK(p.current() == "p1");
    CHECK(p.presenting("p1"));
    CHECK(p.stop("p1"));
    CHECK(p.current().empty());
}

TEST_CASE("starting again changes nothing", "[share]") {
    Presenter p;
    (void)p.start("p1");
    CHECK(p.start("p1").empty());
    CHECK(p.current() == "p1");
}

TEST_CASE("a second presenter takes over", "[share]") {
    Presenter p;
    (void)p.start("p1");
    CHECK(p.start("p2") == "p1");
    CHECK(p.current() == "p2");
    CHECK_FALSE(p.presenting("p1"));
    // The replaced one cannot stop the new one's share.
    auto s = p.stop("p1");
    REQUIRE_FALSE(s);
    CHECK(s.error().code == "bad-state");
    CHECK(p.current() == "p2");
}

TEST_CASE("only the presenter stops a share", "[share]") {
    Presenter p;
    auto none = p.stop("p1");
    REQUIRE_FALSE(none);
    CHECK(none.error().code == "bad-state");
    (void)p.start("p1");
    CHECK_FALSE(p.stop("p2"));
    CHECK(p.current() == "p1");
}

TEST_CASE("the presenter leaving ends the share; others leaving do not", "[share]") {
    Presenter p;
    (void)p.start("p1");
    CHECK_FALSE(p.left("p2"));
    CHECK(p.current() == "p1");
    CHECK(p.left("p1"));
    CHECK(p.current().empty());
    CHECK_FALSE(p.left("p1"));
}

TEST_CASE("an empty id never presents", "[share]") {
    Presenter p;
    CHECK(p.start("").empty());
    CHECK(p.current().empty());
}

TEST_CASE("share-start and share-stop parse; presenter fields round trip", "[share][protocol]") {
    using namespace mixmeet::protocol;
    auto start = parseClientMessage(R"({"type":"share-start"})");
    REQUIRE(start);
    CHECK(std::holds_alternative<ShareStart>(start.value()));
    auto stop = parseClientMessage(R"({"type":"share-stop"})");
    REQUIRE(stop);
    CHECK(std::holds_alternative<ShareStop>(stop.value()));
    CHECK(toJson(ClientMessage{ShareStart{}}) == R"({"type":"share-start"})");

    LayoutInfo l;
    l.layout = "presentation";
    l.choice = "auto";
    l.meetingLayout = "grid";
    l.width = 640;
    l.height = 360;
    l.tiles.push_back({"p2", 0, 288, 128, 72});
    l.presenter = "p1";
    l.screen = LayoutTile{"p1", 0, 0, 640, 288};
    auto back = parseServerMessage(toJson(ServerMessage{l}));
    REQUIRE(back);
    REQUIRE(std::holds_alternative<LayoutInfo>(back.value()));
    CHECK(std::get<LayoutInfo>(back.value()) == l);
    // Nobody presenting: no screen, empty presenter.
    l.presenter.clear();
    l.screen.reset();
    const std::string text = toJson(ServerMessage{l});
    CHECK(text.find("\"screen\"") == std::string::npos);
    auto none = parseServerMessage(text);
    REQUIRE(none);
    CHECK(std::get<LayoutInfo>(none.value()) == l);

    Roster r;
    r.participants.push_back({"p1", "Ann"});
    r.participants.back().presenting = true;
    r.participants.push_back({"p2", "Bob"});
    auto roster = parseServerMessage(toJson(ServerMessage{r}));
    REQUIRE(roster);
    const auto& entries = std::get<Roster>(roster.value()).participants;
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].presenting);
    CHECK_FALSE(entries[1].presenting);
}
