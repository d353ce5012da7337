#include "media/TierController.h"

#include <algorithm>

namespace mixmeet::media {

int TierController::update(const Feedback& f, int64_t nowMs) {
    bool congested =
        f.lossFraction >= config_.downLoss || (f.rttMs > 0 && f.rttMs >= config_.downRttMs);
    bool clean =
        f.lossFraction <= config_.upLoss && (f.rttMs <= 0 || f.rttMs < config_.downRttMs / 2);
    if (congested) {
        cleanSince_ = -1;
        if (congestedSince_ < 0) congestedSince_ = nowMs;
        bool severe = f.lossFraction >= config_.severeLoss &&
                      (lastStepDownMs_ < 0 || nowMs - lastStepDownMs_ >= config_.severeGapMs);
        if ((severe || nowMs - congestedSince_ >= config_.downAfterMs) &&
            tier_ < config_.tiers - 1) {
            ++tier_;
            lastStepDownMs_ = nowMs;
            congestedSince_ = nowMs;  // Give the lower tier time to show its effect.
        }
    } else if (clean) {
        congestedSince_ = -1;
        if (cleanSince_ < 0) cleanSince_ = nowMs;
        if (nowMs - cleanSince_ >= config_.upAfterMs && tier_ > 0) {
            --tier_;
            cleanSince_ = nowMs;
        }
    } else {
        // In between: hold, and restart both clocks.
        congestedSince_ = -1;
        cleanSince_ = -1;
    }
    return tier();
}

void TierController::setCeiling(int tier) {
    ceiling_ = std::clamp(tier, 0, config_.tiers);
}

}  // namespace mixmeet::media
