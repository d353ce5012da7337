#include <gst/gst.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "media/AudioMixer.h"
#include "media/SpeakerSelector.h"

using namespace mixmeet::media;

namespace {
std::vector<int16_t> sine(double amplitude) {
    std::vector<int16_t> s(960);
    for (std::size_t i = 0; i < s.size(); ++i)
        s[i] = static_cast<int16_t>(amplitude * 32767 * std::sin(2 * M_PI * 440 * i / 48000.0));
    return s;
}

/// Runs `ticks` 20 ms ticks with fixed levels; returns the final speakers.
std::set<std::string> run(SpeakerSelector& sel, const std::vector<SpeakerSelector::Level>& levels,
                          int ticks, int64_t& now) {
    std::set<std::string> out;
    for (int i = 0; i < ticks; ++i, now += 20) out = sel.update(levels, now);
    return out;
}
}  // namespace

TEST_CASE("RMS level in dBFS", "[speakers]") {
    CHECK(rmsDbfs(sine(1.0)) == Approx(-3.01).margin(0.1));
    CHECK(rmsDbfs(sine(0.1)) == Approx(-23.0).margin(0.2));
    std::vector<int16_t> silence(960, 0);
    CHECK(rmsDbfs(silence) == -120.0);
    CHECK(rmsDbfs({}) == -120.0);
}

TEST_CASE("silent rooms have no speakers; a talker becomes one on the first loud tick",
          "[speakers]") {
    SpeakerSelector sel;
    int64_t now = 0;
    CHECK(run(sel, {{"a", -120}, {"b", -90}, {"c", -70}}, 50, now).empty());
    // On the first tick of speech: until then the talker gets the shared mix, their own
    // voice included.
    auto s = run(sel, {{"a", -20}, {"b", -90}, {"c", -70}}, 1, now);
    CHECK(s == std::set<std::string>{"a"});
}

TEST_CASE("a speaker is held through short pauses, then released", "[speakers]") {
    SpeakerSelector sel;
    int64_t now = 0;
    run(sel, {{"a", -20}}, 25, now);
    CHECK(run(sel, {{"a", -120}}, 20, now) == std::set<std::string>{"a"});  // 400 ms pause
    CHECK(run(sel, {{"a", -120}}, 60, now).empty());                        // 1.2 s more
}

TEST_CASE("at most maxSpeakers, loudest first, current speakers do not flap", "[speakers]") {
    SpeakerSelector sel(SpeakerSelector::Config{2, -50.0, 800, 0.3});
    int64_t now = 0;
    auto s = run(sel, {{"a", -20}, {"b", -25}, {"c", -30}, {"d", -120}}, 25, now);
    CHECK(s == std::set<std::string>{"a", "b"});
    // c becomes slightly louder than b: b keeps its slot (hysteresis) ...
    s = run(sel, {{"a", -20}, {"b", -25}, {"c", -23}, {"d", -120}}, 25, now);
    CHECK(s == std::set<std::string>{"a", "b"});
    // ... until c is clearly louder.
    s = run(sel, {{"a", -20}, {"b", -40}, {"c", -15}, {"d", -120}}, 25, now);
    CHECK(s == std::set<std::string>{"a", "c"});
    // Participants who leave are forgotten.
    s = run(sel, {{"b", -40}}, 5, now);
    CHECK(s == std::set<std::string>{"b"});
}

TEST_CASE("the send gate passes exactly one stream per tick", "[speakers]") {
    SendGate gate;
    const uint64_t tick = 20 * GST_MSECOND;
    CHECK_FALSE(gate.passShared(5 * tick));  // closed until ICE connects
    gate.open = true;
    CHECK_FALSE(gate.passShared(5 * tick));  // and until DTLS is done (the tee would block)
    gate.secured = true;
    CHECK(gate.passShared(5 * tick));
    gate.privateTicks |= uint64_t{1} << (SendGate::tickOf(6 * tick) % 64);
    CHECK_FALSE(gate.passShared(6 * tick));                    // tick 6 went out privately
    CHECK_FALSE(gate.passShared(6 * tick + 3 * GST_MSECOND));  // same tick, encoder jitter
    CHECK(gate.passShared(7 * tick));
    CHECK(SendGate::tickOf(7 * tick - GST_MSECOND) == 7);
}

TEST_CASE("the send gate passes each tick once, in order, stamped on the tick", "[speakers]") {
    SendGate gate;
    const uint64_t tick = 20 * GST_MSECOND;
    uint64_t pts = 10 * tick + 6500 * GST_USECOND;  // an encoder's lookahead off the tick
    CHECK(gate.admitInOrder(pts));
    CHECK(pts == 10 * tick);
    pts = 11 * tick - 6500 * GST_USECOND;  // the other encoder, early by its lookahead
    CHECK(gate.admitInOrder(pts));
    CHECK(pts == 11 * tick);
    pts = 11 * tick;  // the same tick again: dropped
    CHECK_FALSE(gate.admitInOrder(pts));
    pts = 3 * tick;  // a frame an encoder held from before a pause: dropped
    CHECK_FALSE(gate.admitInOrder(pts));
    pts = 12 * tick;
    CHECK(gate.admitInOrder(pts));
}
