#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "media/AudioAdmission.h"

using namespace mixmeet::media;

namespace {
using Inputs = std::vector<AudioAdmission::Input>;
using Ids = std::set<std::string>;

/// Runs `ticks` 20 ms ticks with fixed inputs; returns who is mixed after the last.
Ids run(AudioAdmission& a, const Inputs& inputs, int ticks, int64_t& now) {
    Ids out;
    for (int i = 0; i < ticks; ++i, now += 20) out = a.update(inputs, now);
    return out;
}

/// n senders "s0".."s<n-1>" at `dbov` each.
Inputs senders(int n, double dbov) {
    Inputs in;
    for (int i = 0; i < n; ++i) in.push_back({"s" + std::to_string(i), dbov});
    return in;
}
}  // namespace

TEST_CASE("a small room mixes everyone, sounding or not", "[admission]") {
    AudioAdmission a({.maxMixed = 5});
    int64_t now = 0;
    Inputs in = senders(4, -127);
    in[1].dbov = -30;
    CHECK(run(a, in, 10, now) == Ids{"s0", "s1", "s2", "s3"});
}

TEST_CASE("a large room mixes the loudest senders only", "[admission]") {
    AudioAdmission a({.maxMixed = 3});
    int64_t now = 0;
    Inputs in = senders(10, -80);  // open microphones picking up quiet noise
    in[7].dbov = -20;
    in[2].dbov = -35;
    CHECK(run(a, in, 20, now) == Ids{"s0", "s2", "s7"});  // the two talkers + s0 (tie by id)
}

TEST_CASE("senders that write no level are always mixed and take no place", "[admission]") {
    AudioAdmission a({.maxMixed = 2});
    int64_t now = 0;
    Inputs in = senders(5, -90);
    in[3].dbov = -25;
    in.push_back({"legacy", std::nullopt});
    CHECK(run(a, in, 10, now) == Ids{"legacy", "s0", "s3"});
}

TEST_CASE("a new talker takes the place of a silent one at once", "[admission]") {
    AudioAdmission a({.maxMixed = 2});
    int64_t now = 0;
    Inputs in = senders(6, -127);
    in[0].dbov = -20;
    CHECK(run(a, in, 50, now) == Ids{"s0", "s1"});
    in[5].dbov = -25;  // starts talking; s1 was mixed but silent
    CHECK(run(a, in, 3, now) == Ids{"s0", "s5"});
}

TEST_CASE("a mixed talker keeps its place through a pause, then loses it", "[admission]") {
    AudioAdmission a({.maxMixed = 1, .holdMs = 1000});
    int64_t now = 0;
    Inputs in = senders(2, -127);
    in[0].dbov = -20;
    CHECK(run(a, in, 50, now) == Ids{"s0"});
    // s0 pauses; s1 starts at a similar level: s0 holds its place for a second...
    in[0].dbov = -127;
    in[1].dbov = -22;
    CHECK(run(a, in, 25, now) == Ids{"s0"});  // 500 ms
    // ...and after the hold s1 is mixed.
    CHECK(run(a, in, 40, now) == Ids{"s1"});
    // A louder newcomer wins even during a hold (more than the 6 dB bonus).
    in[0].dbov = -40;
    CHECK(run(a, in, 50, now) == Ids{"s1"});
}

TEST_CASE("participants who leave are forgotten", "[admission]") {
    AudioAdmission a({.maxMixed = 2});
    int64_t now = 0;
    Inputs in = senders(3, -30);
    run(a, in, 10, now);
    in.erase(in.begin());
    CHECK(run(a, in, 1, now) == Ids{"s1", "s2"});
}
