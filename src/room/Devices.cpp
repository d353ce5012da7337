#include "room/Devices.h"

#include <map>

namespace mixmeet::room {

std::vector<int> deviceNumbers(const std::vector<std::optional<int64_t>>& accounts) {
    std::map<int64_t, int> total;
    for (const auto& a : accounts)
        if (a) ++total[*a];
    std::map<int64_t, int> seen;
    std::vector<int> out;
    out.reserve(accounts.size());
    for (const auto& a : accounts) out.push_back(a && total[*a] > 1 ? ++seen[*a] : 0);
    return out;
}

}  // namespace mixmeet::room
