// The room's one active speaker (the large tile of the speaker layout, the highlighted tile of
// every layout), from the per-tick audio levels the mixer already measures. Unlike
// SpeakerSelector (up to max_mixed speakers, instant attack, for the audio encodes) it picks
// one person and holds the floor against flapping:
// - levels are smoothed (fast attack, slower release), so gaps between words do not count;
// - a challenger must be louder than the speaker by marginDb (or the speaker silent) for
//   confirmMs in a row, so a cough or a laugh does not take the floor;
// - a speaker keeps the floor at least minDwellMs after taking it;
// - the last speaker stays when everyone falls silent (the big tile does not go blank).
// With the defaults a new talker in a quiet room is the speaker within about 0.35 s, and one
// who talks over a quieter speaker within about 0.4 s (once the dwell is over).
// Pure logic; one call per mixer tick (20 ms); the caller serializes calls.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "media/SpeakerSelector.h"

namespace mixmeet::media {

class ActiveSpeaker {
public:
    struct Config {
        double thresholdDbfs = -50.0;  ///< Smoothed level above which someone is talking.
        double marginDb = 6.0;         ///< How much louder than the speaker a challenger is.
        int confirmMs = 300;           ///< How long a challenger must lead to take the floor.
        int minDwellMs = 1000;         ///< The floor is kept at least this long.
        int attackMs = 40;             ///< Smoothing time constant of a rising level.
        int releaseMs = 200;           ///< Smoothing time constant of a falling level.
    };
    using Level = SpeakerSelector::Level;

    ActiveSpeaker() : ActiveSpeaker(Config{}) {}
    explicit ActiveSpeaker(Config config) : config_(config) {}

    /// Feeds one tick's levels (dBFS) at time `nowMs` (monotonic, increasing); participants
    /// absent from `levels` are forgotten (the speaker too: the floor is then free). Returns
    /// whether the speaker changed.
    bool update(const std::vector<Level>& levels, int64_t nowMs);
    /// The participant id holding the floor; empty before anyone has spoken (or after the
    /// speaker left, until someone speaks).
    const std::string& speaker() const { return speaker_; }

private:
    struct State {
        double smoothed = -120.0;
    };
    Config config_;
    std::map<std::string, State> states_;
    std::string speaker_;
    int64_t speakerSinceMs_ = 0;
    std::string challenger_;
    int64_t challengerSinceMs_ = 0;
    int64_t lastMs_ = -1;
};

}  // namespace mixmeet::media
