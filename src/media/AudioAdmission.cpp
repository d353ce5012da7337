#include "media/AudioAdmission.h"

#include <algorithm>

namespace mixmeet::media {

const std::set<std::string>& AudioAdmission::update(const std::vector<Input>& inputs,
                                                    int64_t nowMs) {
    struct Candidate {
        const std::string* id;
        double score;
    };
    std::map<std::string, State> next;
    std::vector<Candidate> ranked;
    std::set<std::string> mixed;
    for (const auto& in : inputs) {
        if (!in.dbov) {
            mixed.insert(in.id);
            continue;
        }
        State st = states_.count(in.id) ? states_[in.id] : State{};
        st.smoothed += config_.smoothing * (*in.dbov - st.smoothed);
        // Sounding by this packet's level (not the smoothed one, whose decay after the last
        // word would otherwise lower the held level).
        if (*in.dbov > config_.activeDbov) {
            st.lastActiveMs = nowMs;
            st.heldDbov = st.smoothed;
        }
        // A mixed sender pausing between words keeps the level it spoke at for holdMs, plus a
        // bonus, so a newcomer must be clearly louder to take its place.
        const bool holding = mixed_.count(in.id) && st.lastActiveMs >= 0 &&
                             nowMs - st.lastActiveMs <= config_.holdMs;
        double score = holding ? std::max(st.smoothed, st.heldDbov) + config_.bonusDb : st.smoothed;
        next[in.id] = st;
        ranked.push_back({&in.id, score});
    }
    std::sort(ranked.begin(), ranked.end(), [](const Candidate& a, const Candidate& b) {
        return a.score != b.score ? a.score > b.score : *a.id < *b.id;
    });
    for (std::size_t i = 0; i < ranked.size() && i < config_.maxMixed; ++i)
        mixed.insert(*ranked[i].id);
    states_ = std::move(next);
    mixed_ = std::move(mixed);
    return mixed_;
}

}  // namespace mixmeet::media
