// The same account in two tabs (or a laptop and a phone) is two participants: each sends its
// own media and has its own tile. The roster says so plainly: every connection of an account
// that has more than one in the meeting carries a device number (1, 2, ... in join order), and
// pages show "Ann (device 2)". Guests (no account) are never grouped. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace mixmeet::room {

/// For each participant (its account, in join order): 0 if its account has one connection in
/// the meeting (or it is a guest), else its 1-based number among that account's connections.
std::vector<int> deviceNumbers(const std::vector<std::optional<int64_t>>& accounts);

}  // namespace mixmeet::room
