#include "room/Liveness.h"

namespace mixmeet::room {

std::vector<std::string> Liveness::silent(const std::vector<Peer>& peers) const {
    std::vector<std::string> out;
    for (const Peer& p : peers)
        if (p.connected && p.sinceLastPacketMs > disconnectTimeoutMs_) out.push_back(p.id);
    return out;
}

std::vector<Liveness::Removal> Liveness::unconnected(const std::vector<Peer>& peers,
                                                     int64_t nowMs) const {
    // A client that joins and then never answers (or whose ICE never connects) would keep its
    // endpoint, encoder branch, tile and history row for ever.
    std::vector<Removal> out;
    for (const Peer& p : peers) {
        if (p.connected || nowMs - p.joinedMs <= connectTimeoutMs_) continue;
        std::string why = p.answered ? "ICE did not connect" : "no answer to the offer";
        out.push_back({p.id, why + " within " + std::to_string(connectTimeoutMs_) +
                                 " ms of joining; please join again"});
    }
    return out;
}

bool Liveness::checksApply(int64_t nowMs, int periodMs) {
    if (lastCheckMs_ >= 0 && nowMs - lastCheckMs_ > 3LL * periodMs) {
        lastStallMs_ = nowMs - lastCheckMs_;
        resumedAtMs_ = nowMs;
        ++stalls_;
    }
    lastCheckMs_ = nowMs;
    return resumedAtMs_ < 0 || nowMs - resumedAtMs_ > disconnectTimeoutMs_;
}

}  // namespace mixmeet::room
