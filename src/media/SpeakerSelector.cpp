#include "media/SpeakerSelector.h"

#include <algorithm>
#include <cmath>

namespace mixmeet::media {

double rmsDbfs(std::span<const int16_t> samples) {
    if (samples.empty()) return -120.0;
    double acc = 0;
    for (int16_t s : samples) acc += static_cast<double>(s) * s;
    double rms = std::sqrt(acc / static_cast<double>(samples.size())) / 32768.0;
    return rms <= 1e-6 ? -120.0 : 20.0 * std::log10(rms);
}

const std::set<std::string>& SpeakerSelector::update(const std::vector<Level>& levels,
                                                     int64_t nowMs) {
    std::map<std::string, State> next;
    struct Candidate {
        std::string id;
        double level;
        bool current;
    };
    std::vector<Candidate> candidates;
    for (const auto& l : levels) {
        State st = states_.count(l.id) ? states_[l.id] : State{};
        // Fast attack, smoothed release: someone who starts talking is a speaker on their
        // first loud tick, so the shared mix (which carries their voice) goes back to them for
        // at most a tick or two; a slow rise would echo their first ~80 ms to them.
        if (l.dbfs > st.smoothed)
            st.smoothed = l.dbfs;
        else
            st.smoothed += config_.smoothing * (l.dbfs - st.smoothed);
        if (st.smoothed > config_.thresholdDbfs) st.lastLoudMs = nowMs;
        bool active = st.lastLoudMs >= 0 && nowMs - st.lastLoudMs <= config_.holdMs;
        if (active) candidates.push_back({l.id, st.smoothed, speakers_.count(l.id) > 0});
        next[l.id] = st;
    }
    states_ = std::move(next);
    // Current speakers first (a 6 dB bonus against flapping), then by level.
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
        double la = a.level + (a.current ? 6.0 : 0.0);
        double lb = b.level + (b.current ? 6.0 : 0.0);
        return la != lb ? la > lb : a.id < b.id;
    });
    speakers_.clear();
    for (std::size_t i = 0; i < candidates.size() && i < config_.maxSpeakers; ++i)
        speakers_.insert(candidates[i].id);
    return speakers_;
}

}  // namespace mixmeet::media
