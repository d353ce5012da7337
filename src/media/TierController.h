// Picks a viewer's bandwidth tier from its receiver feedback, with hysteresis: quick to step
// down when the link struggles, slow to step up. Pure logic (the caller passes time); main
// thread.
//
// Feedback comes from RTCP receiver reports (RFC 3550 section 6.4.1: fraction lost, and the
// round-trip time derived from LSR/DLSR) as webrtcbin's get-stats exposes them for the
// viewer's video SSRC ("remote-inbound-rtp"). GStreamer 1.22 has no packaged send-side
// bandwidth estimator (rtpgccbwe is not in Debian), so this is a loss/delay controller in the
// spirit of webrtcsink's homegrown one: step down after sustained loss or queueing delay, step
// up after a long clean period.
#pragma once

#include <cstdint>

namespace mixmeet::media {

class TierController {
public:
    struct Config {
        int tiers = 3;               ///< Video tiers, 0 = best.
        double downLoss = 0.08;      ///< Loss fraction that counts as congested.
        double severeLoss = 0.20;    ///< Loss that steps down at once (one report).
        int64_t severeGapMs = 1000;  ///< ... at most once per this interval.
        double upLoss = 0.02;        ///< Loss fraction that counts as clean.
        double downRttMs = 400;      ///< RTT that counts as congested (queueing).
        int64_t downAfterMs = 2000;  ///< Congested this long: one tier down.
        int64_t upAfterMs = 10000;   ///< Clean this long: one tier up.
    };
    struct Feedback {
        double lossFraction = 0;  ///< 0..1, from the last receiver report.
        double rttMs = 0;         ///< 0 if unknown.
    };

    TierController() : TierController(Config{}) {}
    explicit TierController(Config config) : config_(config) {}

    /// Feeds one report at `nowMs`; returns the tier to use now.
    int update(const Feedback& feedback, int64_t nowMs);
    /// The viewer's own choice ("data saver"): never above `tier` (0 = no limit).
    void setCeiling(int tier);
    int tier() const { return tier_ < ceiling_ ? ceiling_ : tier_; }

private:
    Config config_;
    int tier_ = 0;
    int ceiling_ = 0;
    int64_t congestedSince_ = -1;
    int64_t lastStepDownMs_ = -1;
    int64_t cleanSince_ = -1;
};

}  // namespace mixmeet::media
