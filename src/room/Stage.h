// Who is shown in the composite when a room has more participants than tiles. Pure logic, no
// GStreamer; main thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace mixmeet::room {

/// The participants shown in the composite ("on stage"), at most `maxTiles`, in tile order.
/// Newcomers take free tiles in join order; when a tile frees, the longest-waiting participant
/// off stage takes it. A current speaker off stage replaces, in place (nobody else's tile
/// moves), the participant on stage who has not spoken for the longest time (never spoken:
/// the earliest on stage). Speakers are never replaced by speakers.
class Stage {
public:
    /// maxTiles >= 1.
    explicit Stage(std::size_t maxTiles);

    /// A participant joins; on stage if a tile is free.
    void join(const std::string& id);
    /// A participant leaves; its tile, if it had one, goes to the longest-waiting one off stage.
    void leave(const std::string& id);
    /// Records the current speakers at `nowMs` and brings those off stage on. Returns whether
    /// the stage changed.
    bool updateSpeakers(const std::set<std::string>& speakers, int64_t nowMs);

    /// On stage, in tile order.
    const std::vector<std::string>& shown() const { return shown_; }
    bool isShown(const std::string& id) const;

private:
    struct Entry {
        std::string id;
        int64_t lastSpokeMs = -1;  ///< -1: never.
        uint64_t order = 0;        ///< When it came on stage or joined (a counter).
    };
    Entry* find(const std::string& id);

    std::size_t maxTiles_;
    uint64_t counter_ = 0;
    std::vector<Entry> everyone_;     ///< Join order.
    std::vector<std::string> shown_;  ///< Tile order.
};

}  // namespace mixmeet::room
