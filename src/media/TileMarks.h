// What is drawn over a participant's tile besides its picture: a raised-hand and a muted mark
// before the name, and a reaction (one of protocol::kReactions) large over the tile for
// kReactionMs. TileMarks is the state of one tile; MarksBoard keeps every participant's and
// ages the reactions. The tile chain (media/TileBranch) renders the resulting text once per
// change (textoverlay re-renders only when its text changes), never per frame.
// Pure, no GStreamer; any thread (one object per thread).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mixmeet::media {

/// How long a reaction stays over the sender's tile, ms.
constexpr int64_t kReactionMs = 3000;
/// The marks before a name (U+270B raised hand, U+1F507 speaker with cancellation stroke).
constexpr std::string_view kHandMark = "\xE2\x9C\x8B";
constexpr std::string_view kMutedMark = "\xF0\x9F\x94\x87";

struct TileMarks {
    bool hand = false;     ///< Hand raised.
    bool muted = false;    ///< Microphone off or muted by the host (not heard).
    std::string reaction;  ///< The reaction shown now (empty: none).
    bool operator==(const TileMarks&) const = default;
};

/// The name label's Pango markup: the hand mark, then the muted mark (each with a space, when
/// set), then `name` as media/TileLabel.h's tileLabelMarkup makes it.
std::string markedLabelMarkup(const TileMarks& marks, std::string_view name);
/// The reaction's Pango markup (escaped); empty when there is none.
std::string reactionMarkup(const TileMarks& marks);

/// Every participant's marks, with reaction expiry. Times are a monotonic clock in ms.
class MarksBoard {
public:
    /// Sets the hand and muted marks; true if that changed what is drawn.
    bool setState(const std::string& id, bool hand, bool muted);
    /// Shows `emoji` over `id`'s tile until nowMs + kReactionMs (a newer reaction replaces the
    /// shown one and restarts the time). Returns true (what is drawn changed or restarted).
    bool react(const std::string& id, const std::string& emoji, int64_t nowMs);
    /// Clears the reactions whose time is up at `nowMs`; returns whose marks changed.
    std::vector<std::string> expire(int64_t nowMs);
    /// When the next reaction ends; nullopt if none is shown.
    std::optional<int64_t> nextExpiryMs() const;
    /// The participant's marks (default marks if unknown).
    TileMarks marks(const std::string& id) const;
    void remove(const std::string& id) { entries_.erase(id); }

private:
    struct Entry {
        TileMarks marks;
        int64_t reactionUntilMs = 0;
    };
    std::map<std::string, Entry> entries_;
};

}  // namespace mixmeet::media
