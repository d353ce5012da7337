// Process-wide media figures for /metrics, written from streaming threads (atomics only):
// bytes through the participants' ICE transports each way, and how long a participant waits
// from entering the call to the first composite keyframe it can decode.
//
// Threads: any. Counters only grow (Prometheus counters); participants leaving take nothing
// away.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace mixmeet::media {

/// A histogram of durations with fixed upper bounds (Prometheus "histogram": cumulative
/// buckets, sum and count), safe to observe from any thread.
class DurationHistogram {
public:
    /// Upper bounds of the buckets, seconds (then +Inf).
    static constexpr std::array<double, 9> kBoundsS = {0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10};

    /// One observation, microseconds (negative counts as 0).
    void observeUs(int64_t us);

    struct Snapshot {
        std::vector<uint64_t> cumulative;  ///< Per bound of kBoundsS, then +Inf (= count).
        double sumS = 0;                   ///< Sum of observations, seconds.
        uint64_t count = 0;
    };
    Snapshot snapshot() const;

private:
    std::array<std::atomic<uint64_t>, kBoundsS.size() + 1> buckets_{};  ///< Not cumulative.
    std::atomic<uint64_t> sumUs_{0};
};

/// The process's media figures.
struct MediaMetrics {
    std::atomic<uint64_t> receivedBytes{0};  ///< Into the ICE transports (nicesrc), bytes.
    std::atomic<uint64_t> sentBytes{0};      ///< Out of them (nicesink), bytes.
    /// Composite tiers restarted after a failure inside them (media/VideoTier.h).
    std::atomic<uint64_t> tierRestarts{0};
    /// From a participant entering the call (its media built) to the first composite
    /// keyframe sent to it after its DTLS handshake: what it waits before seeing the meeting.
    DurationHistogram joinToFirstFrame;
};

/// The one instance.
MediaMetrics& mediaMetrics();

}  // namespace mixmeet::media
