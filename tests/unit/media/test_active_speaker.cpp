#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "media/ActiveSpeaker.h"

using mixmeet::media::ActiveSpeaker;

namespace {
constexpr int kTickMs = 20;
constexpr double kSilence = -120.0;

/// Drives an ActiveSpeaker tick by tick and records when the speaker changes.
struct Driver {
    ActiveSpeaker speaker;
    int64_t now = 0;
    int changes = 0;
    int64_t lastChangeMs = -1;

    /// Runs `ms` of 20 ms ticks with fixed levels; returns the final speaker.
    std::string run(const std::vector<ActiveSpeaker::Level>& levels, int ms) {
        for (int t = 0; t < ms; t += kTickMs, now += kTickMs)
            if (speaker.update(levels, now)) {
                ++changes;
                lastChangeMs = now;
            }
        return speaker.speaker();
    }
    /// Runs until `id` holds the floor or `maxMs` pass; returns the ms it took (-1: never).
    int64_t timeUntil(const std::string& id, const std::vector<ActiveSpeaker::Level>& levels,
                      int maxMs) {
        const int64_t start = now;
        for (int t = 0; t <= maxMs; t += kTickMs, now += kTickMs) {
            if (speaker.update(levels, now)) {
                ++changes;
                lastChangeMs = now;
            }
            if (speaker.speaker() == id) return now - start;
        }
        return -1;
    }
};
}  // namespace

TEST_CASE("a silent room has no active speaker", "[speakers][active]") {
    Driver d;
    CHECK(d.run({{"a", kSilence}, {"b", -70}, {"c", -60}}, 3000).empty());
    CHECK(d.changes == 0);
}

TEST_CASE("a talker in a quiet room takes the floor within 1 s", "[speakers][active]") {
    Driver d;
    d.run({{"a", kSilence}, {"b", kSilence}}, 1000);
    int64_t took = d.timeUntil("b", {{"a", kSilence}, {"b", -25}}, 1000);
    CHECK(took >= 300);  // confirmed, not instant
    CHECK(took < 1000);
    CHECK(d.changes == 1);
}

TEST_CASE("a cough does not take the floor", "[speakers][active]") {
    Driver d;
    d.run({{"a", -20}, {"b", kSilence}}, 2000);
    REQUIRE(d.speaker.speaker() == "a");
    d.run({{"a", kSilence}, {"b", kSilence}}, 500);  // a pauses
    d.run({{"a", kSilence}, {"b", -10}}, 160);       // b coughs, loud and short
    CHECK(d.run({{"a", kSilence}, {"b", kSilence}}, 2000) == "a");
    // Nobody speaking: the last speaker keeps the big tile.
    CHECK(d.changes == 1);
}

TEST_CASE("a louder talker takes over within 1 s once the speaker's dwell is over",
          "[speakers][active]") {
    Driver d;
    d.run({{"a", -25}, {"b", kSilence}}, 2000);
    REQUIRE(d.speaker.speaker() == "a");
    // b talks over a, 15 dB louder.
    int64_t took = d.timeUntil("b", {{"a", -25}, {"b", -10}}, 1000);
    CHECK(took >= 300);
    CHECK(took < 1000);
    // a stops, b goes on; then b stops and a resumes: a is back within 1 s.
    d.run({{"a", kSilence}, {"b", -10}}, 1500);
    took = d.timeUntil("a", {{"a", -25}, {"b", kSilence}}, 1000);
    CHECK(took > 0);
    CHECK(took < 1000);
}

TEST_CASE("talkers of similar level do not flap", "[speakers][active]") {
    Driver d;
    d.run({{"a", -20}, {"b", kSilence}}, 1500);
    REQUIRE(d.speaker.speaker() == "a");
    const int before = d.changes;
    // b joins in at about the same level (within the margin), with level wobble on both.
    for (int i = 0; i < 50; ++i) {
        d.run({{"a", -22}, {"b", -19}}, 100);
        d.run({{"a", -19}, {"b", -23}}, 100);
    }
    CHECK(d.changes == before);
    CHECK(d.speaker.speaker() == "a");
    // b steadily a little louder (3 dB, within the margin) for seconds: still a.
    CHECK(d.run({{"a", -22}, {"b", -19}}, 3000) == "a");
    CHECK(d.changes == before);
}

TEST_CASE("alternating talkers switch at most once per dwell time", "[speakers][active]") {
    ActiveSpeaker::Config c;
    Driver d{ActiveSpeaker(c)};
    d.run({{"a", -20}, {"b", kSilence}}, 1000);
    const int before = d.changes;
    // a and b trade loud 400 ms turns for 10 s: each turn could be confirmed (300 ms), but
    // the floor is held at least minDwellMs.
    std::vector<int64_t> switches;
    for (int i = 0; i < 25; ++i) {
        bool aTurn = i % 2 == 0;
        for (int t = 0; t < 400; t += kTickMs, d.now += kTickMs)
            if (d.speaker.update({{"a", aTurn ? -15 : kSilence}, {"b", aTurn ? kSilence : -15}},
                                 d.now)) {
                ++d.changes;
                switches.push_back(d.now);
            }
    }
    CHECK(d.changes - before <= 10);  // 10 s / minDwellMs
    for (std::size_t i = 1; i < switches.size(); ++i)
        CHECK(switches[i] - switches[i - 1] >= c.minDwellMs);
}

TEST_CASE("the floor is free when the speaker leaves", "[speakers][active]") {
    Driver d;
    d.run({{"a", -20}, {"b", -40}}, 1500);
    REQUIRE(d.speaker.speaker() == "a");
    // a leaves (absent from the levels): nobody holds the floor ...
    d.speaker.update({{"b", kSilence}}, d.now);
    d.now += kTickMs;
    CHECK(d.speaker.speaker().empty());
    // ... until b talks, without waiting for a's dwell time.
    CHECK(d.timeUntil("b", {{"b", -30}}, 1000) < 1000);
}

TEST_CASE("the louder of two simultaneous talkers wins", "[speakers][active]") {
    Driver d;
    int64_t took = d.timeUntil("b", {{"a", -35}, {"b", -12}, {"c", kSilence}}, 1000);
    CHECK(took > 0);
    CHECK(took < 1000);
    CHECK(d.run({{"a", -35}, {"b", -12}, {"c", kSilence}}, 3000) == "b");
    CHECK(d.changes == 1);
}
