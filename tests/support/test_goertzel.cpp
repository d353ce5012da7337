#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "Goertzel.h"

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

using mixmeet::testing::goertzelAmplitude;

namespace {

std::vector<float> tones(std::initializer_list<std::pair<double, double>> parts, double rate,
                         std::size_t n) {
    std::vector<float> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        double v = 0;
        for (auto [hz, amp] : parts)
            v += amp * std::sin(2 * std::numbers::pi * hz * double(i) / rate + 0.3);
        out[i] = float(v);
    }
    return out;
}

}  // namespace

TEST_CASE("Goertzel finds the tones present and not the ones absent", "[goertzel]") {
    const double rate = 48000;
    const auto signal = tones({{440, 0.3}, {660, 0.3}}, rate, 24000);  // 500 ms
    CHECK(goertzelAmplitude(signal, rate, 440) == Approx(0.3).margin(0.01));
    CHECK(goertzelAmplitude(signal, rate, 660) == Approx(0.3).margin(0.01));
    CHECK(goertzelAmplitude(signal, rate, 880) < 0.005);
    CHECK(goertzelAmplitude(signal, rate, 1100) < 0.005);
}

TEST_CASE("Goertzel is normalised to the sine amplitude", "[goertzel]") {
    const double rate = 48000;
    const auto full = tones({{1000, 1.0}}, rate, 4800);  // 100 ms, non-integer cycles irrelevant
    CHECK(goertzelAmplitude(full, rate, 1000) == Approx(1.0).margin(0.02));
    const auto odd = tones({{443.7, 0.5}}, rate, 10000);  // off any FFT bin centre
    CHECK(goertzelAmplitude(odd, rate, 443.7) == Approx(0.5).margin(0.01));
}

TEST_CASE("Goertzel on int16 samples and edge cases", "[goertzel]") {
    const double rate = 48000;
    const auto f = tones({{440, 0.5}, {660, 0.25}}, rate, 24000);
    std::vector<std::int16_t> s(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) s[i] = std::int16_t(std::lround(f[i] * 32767.0));
    CHECK(goertzelAmplitude(std::span<const std::int16_t>(s), rate, 440) ==
          Approx(0.5).margin(0.01));
    CHECK(goertzelAmplitude(std::span<const std::int16_t>(s), rate, 660) ==
          Approx(0.25).margin(0.01));
    CHECK(goertzelAmplitude(std::span<const std::int16_t>(s), rate, 880) < 0.005);

    CHECK(goertzelAmplitude(std::span<const float>(), rate, 440) == 0.0);
    const std::vector<float> silence(4800, 0.0f);
    CHECK(goertzelAmplitude(silence, rate, 440) == 0.0);
}
