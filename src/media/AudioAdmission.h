// Whose audio is decoded and mixed: at most `maxMixed` senders, the loudest by the level each
// sender writes into its own RTP packets (RFC 6464, client-to-mixer audio level, which browsers
// send when the offer lists it). As large conference mixers do, a room then decodes and mixes
// the few loudest senders instead of every open microphone: the decode cost and the mix's
// noise floor follow them, not the room size. A sender that sends sound but writes no level is always decoded.
// Pure logic, one call per 20 ms mixer tick; mixer thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mixmeet::media {

class AudioAdmission {
public:
    struct Config {
        std::size_t maxMixed = 5;   ///< Senders with a level decoded at most.
        double activeDbov = -60.0;  ///< Level above which a sender counts as sounding.
        int holdMs = 1000;       ///< A mixed sender keeps its place this long after falling quiet.
        double bonusDb = 6.0;    ///< Advantage of a mixed sender over a newcomer (no flapping).
        double smoothing = 0.3;  ///< Exponential smoothing factor per tick (0..1].
    };
    struct Input {
        std::string id;
        /// The sender's latest level in dBov (0 loudest, -127 silence); nullopt: it sends
        /// sound but no level, so it cannot be ranked and is always decoded.
        std::optional<double> dbov;
    };

    AudioAdmission() : AudioAdmission(Config{}) {}
    explicit AudioAdmission(Config config) : config_(config) {}

    /// Feeds one tick (participants absent from `inputs` are forgotten) at time `nowMs`;
    /// returns who is mixed: everyone without a level, plus the maxMixed loudest of the rest
    /// (ties by id).
    const std::set<std::string>& update(const std::vector<Input>& inputs, int64_t nowMs);
    const std::set<std::string>& mixed() const { return mixed_; }

private:
    struct State {
        double smoothed = -127.0;
        double heldDbov = -127.0;  ///< Smoothed level at the last sounding tick.
        int64_t lastActiveMs = -1;
    };
    Config config_;
    std::map<std::string, State> states_;
    std::set<std::string> mixed_;
};

}  // namespace mixmeet::media
