#include <catch2/catch.hpp>

#include "room/Stage.h"

using mixmeet::room::Stage;
using Ids = std::vector<std::string>;

TEST_CASE("the first maxTiles participants are on stage, in join order", "[stage]") {
    Stage s(2);
    s.join("a");
    s.join("b");
    s.join("c");
    CHECK(s.shown() == Ids{"a", "b"});
    CHECK_FALSE(s.isShown("c"));
}

TEST_CASE("a freed tile goes to the longest-waiting participant, in place", "[stage]") {
    Stage s(2);
    for (const char* id : {"a", "b", "c", "d"}) s.join(id);
    s.leave("a");
    CHECK(s.shown() == Ids{"c", "b"});
    s.leave("d");  // off stage: nothing moves
    CHECK(s.shown() == Ids{"c", "b"});
    s.leave("b");
    CHECK(s.shown() == Ids{"c"});
}

TEST_CASE("a speaker off stage replaces the quietest participant on it", "[stage]") {
    Stage s(2);
    for (const char* id : {"a", "b", "c"}) s.join(id);
    // b spoke a while ago, a never: c takes a's tile, b keeps its own.
    CHECK_FALSE(s.updateSpeakers({"b"}, 1000));
    CHECK(s.updateSpeakers({"c"}, 5000));
    CHECK(s.shown() == Ids{"c", "b"});
    // Now a speaks: b has been quiet longer than c.
    CHECK(s.updateSpeakers({"a"}, 6000));
    CHECK(s.shown() == Ids{"c", "a"});
    // Someone already on stage speaking changes nothing.
    CHECK_FALSE(s.updateSpeakers({"a", "c"}, 7000));
}

TEST_CASE("speakers on stage are not replaced by other speakers", "[stage]") {
    Stage s(1);
    for (const char* id : {"a", "b"}) s.join(id);
    CHECK_FALSE(s.updateSpeakers({"a", "b"}, 1000));
    CHECK(s.shown() == Ids{"a"});
    CHECK(s.updateSpeakers({"b"}, 2000));  // a stopped: b comes on
    CHECK(s.shown() == Ids{"b"});
}
