#include "media/ActiveSpeaker.h"

#include <algorithm>
#include <cmath>

namespace mixmeet::media {

bool ActiveSpeaker::update(const std::vector<Level>& levels, int64_t nowMs) {
    // Time since the last tick (a tick is 20 ms; a stalled mixer does not make one step jump).
    const double dt =
        lastMs_ < 0 ? 20.0 : static_cast<double>(std::clamp<int64_t>(nowMs - lastMs_, 0, 200));
    lastMs_ = nowMs;
    const double attack = 1.0 - std::exp(-dt / std::max(1, config_.attackMs));
    const double release = 1.0 - std::exp(-dt / std::max(1, config_.releaseMs));

    std::map<std::string, State> next;
    for (const Level& l : levels) {
        auto found = states_.find(l.id);
        State st = found == states_.end() ? State{} : found->second;
        st.smoothed += (l.dbfs > st.smoothed ? attack : release) * (l.dbfs - st.smoothed);
        next[l.id] = st;
    }
    states_ = std::move(next);

    const std::string before = speaker_;
    if (!speaker_.empty() && !states_.count(speaker_)) speaker_.clear();  // left the room

    // The loudest talker who is not the speaker.
    const std::string* loudest = nullptr;
    double loudestLevel = config_.thresholdDbfs;
    for (const auto& [id, st] : states_)
        if (id != speaker_ && st.smoothed > loudestLevel) {
            loudest = &id;
            loudestLevel = st.smoothed;
        }
    const double speakerLevel = speaker_.empty() ? -1e9 : states_[speaker_].smoothed;
    const bool leads = loudest && (speakerLevel <= config_.thresholdDbfs ||
                                   loudestLevel >= speakerLevel + config_.marginDb);
    if (!leads) {
        challenger_.clear();
    } else if (*loudest != challenger_) {
        challenger_ = *loudest;
        challengerSinceMs_ = nowMs;
    }
    if (!challenger_.empty() && nowMs - challengerSinceMs_ >= config_.confirmMs &&
        (speaker_.empty() || nowMs - speakerSinceMs_ >= config_.minDwellMs)) {
        speaker_ = challenger_;
        speakerSinceMs_ = nowMs;
        challenger_.clear();
    }
    return speaker_ != before;
}

}  // namespace mixmeet::media
