#include "media/TileMarks.h"

#include <glib.h>

#include "core/GstPtr.h"
#include "media/TileLabel.h"

namespace mixmeet::media {

std::string markedLabelMarkup(const TileMarks& marks, std::string_view name) {
    std::string out;
    if (marks.hand) (out += kHandMark) += ' ';
    if (marks.muted) (out += kMutedMark) += ' ';
    return out + tileLabelMarkup(name);
}

std::string reactionMarkup(const TileMarks& marks) {
    if (marks.reaction.empty()) return {};
    core::CharsPtr escaped(
        g_markup_escape_text(marks.reaction.data(), static_cast<gssize>(marks.reaction.size())));
    return escaped.get();
}

bool MarksBoard::setState(const std::string& id, bool hand, bool muted) {
    Entry& e = entries_[id];
    if (e.marks.hand == hand && e.marks.muted == muted) return false;
    e.marks.hand = hand;
    e.marks.muted = muted;
    return true;
}

bool MarksBoard::react(const std::string& id, const std::string& emoji, int64_t nowMs) {
    Entry& e = entries_[id];
    e.marks.reaction = emoji;
    e.reactionUntilMs = nowMs + kReactionMs;
    return true;
}

std::vector<std::string> MarksBoard::expire(int64_t nowMs) {
    std::vector<std::string> changed;
    for (auto& [id, e] : entries_)
        if (!e.marks.reaction.empty() && e.reactionUntilMs <= nowMs) {
            e.marks.reaction.clear();
            changed.push_back(id);
        }
    return changed;
}

std::optional<int64_t> MarksBoard::nextExpiryMs() const {
    std::optional<int64_t> next;
    for (const auto& [id, e] : entries_)
        if (!e.marks.reaction.empty() && (!next || e.reactionUntilMs < *next))
            next = e.reactionUntilMs;
    return next;
}

TileMarks MarksBoard::marks(const std::string& id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? TileMarks{} : it->second.marks;
}

}  // namespace mixmeet::media
