#include "room/Stage.h"

#include <algorithm>

namespace mixmeet::room {

Stage::Stage(std::size_t maxTiles) : maxTiles_(std::max<std::size_t>(1, maxTiles)) {}

Stage::Entry* Stage::find(const std::string& id) {
    auto it = std::find_if(everyone_.begin(), everyone_.end(),
                           [&](const Entry& e) { return e.id == id; });
    return it == everyone_.end() ? nullptr : &*it;
}

bool Stage::isShown(const std::string& id) const {
    return std::find(shown_.begin(), shown_.end(), id) != shown_.end();
}

void Stage::join(const std::string& id) {
    if (find(id)) return;
    everyone_.push_back({id, -1, ++counter_});
    if (shown_.size() < maxTiles_) shown_.push_back(id);
}

void Stage::leave(const std::string& id) {
    auto gone = std::find_if(everyone_.begin(), everyone_.end(),
                             [&](const Entry& e) { return e.id == id; });
    if (gone == everyone_.end()) return;
    everyone_.erase(gone);
    auto tile = std::find(shown_.begin(), shown_.end(), id);
    if (tile == shown_.end()) return;
    // The longest-waiting participant off stage takes the tile, in place.
    const Entry* next = nullptr;
    for (const Entry& e : everyone_)
        if (!isShown(e.id) && (!next || e.order < next->order)) next = &e;
    if (next) {
        *tile = next->id;
        find(next->id)->order = ++counter_;
    } else {
        shown_.erase(tile);
    }
}

bool Stage::updateSpeakers(const std::set<std::string>& speakers, int64_t nowMs) {
    for (const std::string& id : speakers)
        if (Entry* e = find(id)) e->lastSpokeMs = nowMs;
    bool changed = false;
    for (const Entry& e : everyone_) {
        if (!speakers.count(e.id) || isShown(e.id)) continue;
        // Replace whoever on stage has been quiet the longest and is not speaking now.
        std::string* quietest = nullptr;
        const Entry* quietestEntry = nullptr;
        for (std::string& id : shown_) {
            if (speakers.count(id)) continue;
            const Entry* on = find(id);
            if (!quietestEntry || on->lastSpokeMs < quietestEntry->lastSpokeMs ||
                (on->lastSpokeMs == quietestEntry->lastSpokeMs &&
                 on->order < quietestEntry->order)) {
                quietest = &id;
                quietestEntry = on;
            }
        }
        if (!quietest) break;  // everyone on stage is speaking
        *quietest = e.id;
        find(e.id)->order = ++counter_;
        changed = true;
    }
    return changed;
}

}  // namespace mixmeet::room
