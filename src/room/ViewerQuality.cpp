#include "room/ViewerQuality.h"

namespace mixmeet::room {

std::optional<QualityChoice> parseQualityChoice(const std::string& text) {
    if (text == "auto") return QualityChoice::Auto;
    if (text == "high") return QualityChoice::High;
    if (text == "medium") return QualityChoice::Medium;
    if (text == "low") return QualityChoice::Low;
    if (text == "audio") return QualityChoice::Audio;
    return std::nullopt;
}

const char* qualityChoiceName(QualityChoice choice) {
    switch (choice) {
        case QualityChoice::Auto:
            return "auto";
        case QualityChoice::High:
            return "high";
        case QualityChoice::Medium:
            return "medium";
        case QualityChoice::Low:
            return "low";
        case QualityChoice::Audio:
            return "audio";
    }
    return "auto";
}

int tierCeiling(QualityChoice choice) {
    switch (choice) {
        case QualityChoice::Auto:
        case QualityChoice::High:
            return 0;
        case QualityChoice::Medium:
            return 1;
        case QualityChoice::Low:
            return 2;
        case QualityChoice::Audio:
            return kAudioOnlyTier;
    }
    return 0;
}

bool ViewerQuality::choose(QualityChoice choice) {
    if (choice == choice_) return false;
    choice_ = choice;
    controller_.setCeiling(tierCeiling(choice));
    pending_ = true;
    return true;
}

bool ViewerQuality::takePending() {
    bool was = pending_;
    pending_ = false;
    return was;
}

int ViewerQuality::update(double lossFraction, double rttMs, int64_t nowMs) {
    return controller_.update({lossFraction, rttMs}, nowMs);
}

}  // namespace mixmeet::room
