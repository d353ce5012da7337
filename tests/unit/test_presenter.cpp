// room/Presenter: one presenter at a time, a second one takes over, stop and leave.
#include <catch2/catch.hpp>

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
