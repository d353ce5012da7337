// One line about a synthetic participant's session, for test failure messages: joined and
// resumed, ICE state, frames decoded, roster size, the bye's reason and the last error.
#pragma once

#include <string>

#include "SyntheticPeer.h"

namespace mixmeet::testing {

inline std::string sessionSummary(const SyntheticPeer& p) {
    return p.options().name + ": joined=" + std::to_string(p.joined()) +
           " resumed=" + std::to_string(p.resumed()) + " ice=" + p.iceConnectionState() +
           " frames=" + std::to_string(p.videoFramesDecoded()) +
           " roster=" + std::to_string(p.roster().size()) + " bye=" + p.byeReason() +
           " errors=" + std::to_string(p.errors().size()) +
           (p.errors().empty() ? "" : " (" + p.errors().back().code + ")");
}

}  // namespace mixmeet::testing
