// Mix-minus by subtraction (as FreeSWITCH's conference mixer does): sum every input once in a
// wide accumulator, then each participant's mix is the sum minus their own input, clipped
// once at the end. O(N) for N participants instead of O(N^2). Pure, no GStreamer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

namespace mixmeet::media {

/// Adds samples into acc (same length). acc holds the unclipped 32-bit sum.
void accumulate(std::span<int32_t> acc, std::span<const int16_t> samples);

/// out = clip16(sum - own). own may be empty (a listener with no input: the full mix).
void mixMinus(std::span<const int32_t> sum, std::span<const int16_t> own, std::span<int16_t> out);

/// Per-participant input queue of decoded mono samples between a streaming thread (push) and
/// the mixer tick (pop). Bounds latency: when more than maxSamples are queued the oldest are
/// dropped down to targetSamples. Not thread-safe: the owner locks.
class AudioFifo {
public:
    /// targetSamples/maxSamples at the mixer rate (48 kHz: 960 samples = 20 ms).
    AudioFifo(std::size_t targetSamples, std::size_t maxSamples)
        : target_(targetSamples), max_(maxSamples) {}

    void push(std::span<const int16_t> samples);
    /// Fills out with the oldest queued samples, zeros where the queue runs dry. Returns the
    /// number of real (non-padding) samples.
    std::size_t pop(std::span<int16_t> out);
    std::size_t size() const { return q_.size(); }
    std::size_t dropped() const { return dropped_; }

private:
    std::size_t target_;
    std::size_t max_;
    std::size_t dropped_ = 0;
    std::deque<int16_t> q_;
};

}  // namespace mixmeet::media
