#include "media/MixPlan.h"

namespace mixmeet::media {

const MixPlan::Tick& MixPlan::update(const std::set<std::string>& mixed,
                                     const std::set<std::string>& listeners, uint64_t tick) {
    Tick next;
    std::map<std::string, uint64_t> since;
    for (const auto& id : mixed) {
        if (!listeners.count(id)) {
            // Receives nothing: its voice in the sum can come back to no one.
            next.summed.insert(id);
            continue;
        }
        auto was = privateSince_.find(id);
        const uint64_t start = was != privateSince_.end() ? was->second : tick;
        since[id] = start;
        if (tick >= start + warmupTicks_) {
            next.privateSent.insert(id);
            next.summed.insert(id);
        } else {
            next.warming.insert(id);
        }
    }
    privateSince_ = std::move(since);
    tick_ = std::move(next);
    return tick_;
}

bool MixPlan::holds(const Tick& t, const std::set<std::string>& listeners) {
    for (const auto& id : t.summed)
        if (listeners.count(id) && t.onShared(id)) return false;
    for (const auto& id : t.privateSent)
        if (!listeners.count(id) || t.warming.count(id)) return false;
    return true;
}

}  // namespace mixmeet::media
