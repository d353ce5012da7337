// Single-frequency amplitude measurement for audio assertions ("does peer B hear A's tone?").
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>

namespace mixmeet::testing {

namespace detail {
template <typename Sample>
double goertzel(std::span<const Sample> samples, double scale, double sampleRate, double hz) {
    const std::size_t n = samples.size();
    if (n == 0 || sampleRate <= 0) return 0.0;
    const double omega = 2.0 * std::numbers::pi * hz / sampleRate;
    const double coeff = 2.0 * std::cos(omega);
    double s1 = 0.0;  // s[n-1]
    double s2 = 0.0;  // s[n-2]
    double windowSum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double w =
            n > 1 ? 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * double(i) / double(n - 1)) : 1.0;
        windowSum += w;
        const double s0 = w * double(samples[i]) * scale + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    // |X(omega)|^2 from the last two filter states.
    const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if (windowSum <= 0.0 || power <= 0.0) return 0.0;
    return 2.0 * std::sqrt(power) / windowSum;
}
}  // namespace detail

/// Amplitude of the sinusoid at `hz` in `samples` (mono, `sampleRate` Hz), using the Goertzel
/// algorithm (G. Goertzel, "An Algorithm for the Evaluation of Finite Trigonometric Series",
/// The American Mathematical Monthly 65(1), 1958, pp. 34-35): a second-order IIR filter run
/// over the block yields one DTFT value at any frequency (not only at FFT bin centres) for
/// O(N) multiplications.
///
/// The block is Hann-windowed so that a neighbouring tone (e.g. 660 Hz while measuring 440 Hz)
/// leaks next to nothing into the measurement. The result is normalised by the window's
/// coherent gain: a sine of amplitude A (samples in [-1, 1]) yields ~A, so a full-scale sine
/// gives ~1.0 and silence 0. Frequency resolution is about 2 * sampleRate / N (Hann main lobe):
/// 500 ms of audio separates tones 4 Hz apart. Returns 0 for an empty block.
inline double goertzelAmplitude(std::span<const float> samples, double sampleRate, double hz) {
    return detail::goertzel(samples, 1.0, sampleRate, hz);
}

/// Same for signed 16-bit samples (full scale 32768).
inline double goertzelAmplitude(std::span<const std::int16_t> samples, double sampleRate,
                                double hz) {
    return detail::goertzel(samples, 1.0 / 32768.0, sampleRate, hz);
}

}  // namespace mixmeet::testing
