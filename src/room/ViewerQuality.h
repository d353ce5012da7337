// A viewer's video quality: its own choice (QualityChoice, from the `quality` message) as a
// ceiling, and the TierController that picks a tier under it from the viewer's feedback.
// Tiers index VideoMixer::tiers() (0 = best); kAudioOnlyTier means no video.
//
// Threads: main thread only (pure logic; the caller passes time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "media/TierController.h"

namespace mixmeet::room {

/// The tier index that stands for "no video" (one past the three video tiers).
inline constexpr int kAudioOnlyTier = 3;

/// What a viewer may ask for (docs/protocol.md, `quality`).
enum class QualityChoice { Auto, High, Medium, Low, Audio };

/// "auto", "high", "medium", "low" or "audio"; nullopt for anything else.
std::optional<QualityChoice> parseQualityChoice(const std::string& text);
/// The protocol's name of `choice` (the inverse of parseQualityChoice).
const char* qualityChoiceName(QualityChoice choice);
/// The best tier a choice allows: Auto and High 0, Medium 1, Low 2, Audio kAudioOnlyTier.
int tierCeiling(QualityChoice choice);

class ViewerQuality {
public:
    /// Records the viewer's choice. false if it is the current one (nothing to do); true if
    /// it changed: a tier move is then pending until takePending().
    bool choose(QualityChoice choice);
    /// Whether a choice waits to be applied; clears the flag.
    bool takePending();
    /// Feeds one receiver report at `nowMs`; returns the tier to use now.
    int update(double lossFraction, double rttMs, int64_t nowMs);
    /// The tier to use now (the controller's, under the choice's ceiling).
    int tier() const { return controller_.tier(); }
    QualityChoice choice() const { return choice_; }

private:
    QualityChoice choice_ = QualityChoice::Auto;
    bool pending_ = false;
    media::TierController controller_;
};

}  // namespace mixmeet::room
