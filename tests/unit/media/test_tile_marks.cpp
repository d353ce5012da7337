// What is drawn over a tile when (media/TileMarks.h): hand and muted marks before the name,
// a reaction for kReactionMs.
#include <catch2/catch.hpp>

#include <string>

#include "media/TileMarks.h"

using namespace mixmeet::media;

TEST_CASE("tile marks: hand and muted marks go before the escaped name", "[tile-marks]") {
    TileMarks m;
    CHECK(markedLabelMarkup(m, "Ann <b>") == "Ann &lt;b&gt;");
    m.hand = true;
    CHECK(markedLabelMarkup(m, "Ann") == std::string(kHandMark) + " Ann");
    m.muted = true;
    CHECK(markedLabelMarkup(m, "Ann") ==
          std::string(kHandMark) + " " + std::string(kMutedMark) + " Ann");
    m.hand = false;
    CHECK(markedLabelMarkup(m, "Ann") == std::string(kMutedMark) + " Ann");
    CHECK(reactionMarkup(m).empty());
    m.reaction = "\xF0\x9F\x91\x8D";
    CHECK(reactionMarkup(m) == "\xF0\x9F\x91\x8D");
    m.reaction = "<&>";
    CHECK(reactionMarkup(m) == "&lt;&amp;&gt;");
}

TEST_CASE("marks board: state changes are reported once", "[tile-marks]") {
    MarksBoard b;
    CHECK(b.marks("p1") == TileMarks{});
    CHECK_FALSE(b.setState("p1", false, false));  // what is drawn already
    CHECK(b.setState("p1", true, false));
    CHECK_FALSE(b.setState("p1", true, false));
    CHECK(b.marks("p1").hand);
    CHECK(b.setState("p1", true, true));
    CHECK(b.marks("p1").muted);
    b.remove("p1");
    CHECK(b.marks("p1") == TileMarks{});
}

TEST_CASE("marks board: a reaction shows for kReactionMs, a newer one restarts it",
          "[tile-marks]") {
    MarksBoard b;
    const std::string thumbs = "\xF0\x9F\x91\x8D", party = "\xF0\x9F\x8E\x89";
    CHECK_FALSE(b.nextExpiryMs());
    CHECK(b.react("p1", thumbs, 1000));
    CHECK(b.marks("p1").reaction == thumbs);
    CHECK(b.nextExpiryMs() == 1000 + kReactionMs);
    CHECK(b.expire(1000 + kReactionMs - 1).empty());
    CHECK(b.marks("p1").reaction == thumbs);
    // A second reaction 2 s later replaces it and runs its own kReactionMs.
    b.react("p1", party, 3000);
    CHECK(b.expire(1000 + kReactionMs).empty());
    CHECK(b.marks("p1").reaction == party);
    b.react("p2", thumbs, 3500);
    CHECK(b.nextExpiryMs() == 3000 + kReactionMs);
    CHECK(b.expire(3000 + kReactionMs) == std::vector<std::string>{"p1"});
    CHECK(b.marks("p1").reaction.empty());
    CHECK(b.marks("p2").reaction == thumbs);
    CHECK(b.expire(3500 + kReactionMs) == std::vector<std::string>{"p2"});
    CHECK_FALSE(b.nextExpiryMs());
    // Hand and muted marks are kept while the reaction comes and goes.
    b.setState("p3", true, true);
    b.react("p3", thumbs, 10000);
    b.expire(20000);
    CHECK(b.marks("p3") == TileMarks{true, true, ""});
}
