// Who is speaking, for audio encodes that track speakers rather than the room: the current
// speakers get a private mix-minus encode; everyone else shares one encode of the full mix
// (Asterisk softmix's approach). Pure logic, one call per 20 ms mixer tick; mixer thread only.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace mixmeet::media {

/// RMS level of S16 samples in dBFS (full-scale sine = -3 dBFS); silence gives -120.
double rmsDbfs(std::span<const int16_t> samples);

class SpeakerSelector {
public:
    struct Config {
        std::size_t maxSpeakers = 3;   ///< Private encodes at most.
        double thresholdDbfs = -50.0;  ///< Smoothed level above which someone speaks.
        int holdMs = 800;              ///< Stays a speaker this long after dropping below.
        /// Release: exponential smoothing per tick (0..1]; rises are instant.
        double smoothing = 0.3;
    };
    struct Level {
        std::string id;
        double dbfs = -120.0;
    };

    SpeakerSelector() : SpeakerSelector(Config{}) {}
    explicit SpeakerSelector(Config config) : config_(config) {}

    /// Feeds one tick's levels (participants absent from `levels` are forgotten) at time
    /// `nowMs`; returns the speakers: at most maxSpeakers, loudest first, current speakers kept
    /// over newcomers of similar level so the set does not flap.
    const std::set<std::string>& update(const std::vector<Level>& levels, int64_t nowMs);
    const std::set<std::string>& speakers() const { return speakers_; }

private:
    struct State {
        double smoothed = -120.0;
        int64_t lastLoudMs = -1;
    };
    Config config_;
    std::map<std::string, State> states_;
    std::set<std::string> speakers_;
};

}  // namespace mixmeet::media
