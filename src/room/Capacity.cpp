#include "room/Capacity.h"

namespace mixmeet::room {

namespace {
/// Whether `used` + `need` + `reserve` stays within `limit` (kUnlimited: always).
bool fits(std::uint64_t used, std::uint64_t need, std::uint64_t reserve, std::uint64_t limit) {
    if (limit == core::ProcessResources::kUnlimited) return true;
    return used < limit && need + reserve <= limit - used;
}

std::string describe(const char* what, std::uint64_t used, std::uint64_t limit) {
    return std::string(what) + ": " + std::to_string(used) + " in use of " + std::to_string(limit);
}
}  // namespace

std::optional<std::string> shortfall(const core::ProcessResources& usage,
                                     const ResourceCost& need) {
    const ResourceCost& reserve = cost::kReserve;
    if (!fits(usage.openFds, need.fds, reserve.fds, usage.fdLimit))
        return describe("file descriptors", usage.openFds, usage.fdLimit);
    if (!fits(usage.threads, need.threads, reserve.threads, usage.threadLimit))
        return describe("threads", usage.threads, usage.threadLimit);
    if (!fits(usage.addressSpaceBytes, need.addressSpaceBytes, reserve.addressSpaceBytes,
              usage.addressSpaceLimit))
        return describe("address space (MB)", usage.addressSpaceBytes >> 20,
                        usage.addressSpaceLimit >> 20);
    return std::nullopt;
}

}  // namespace mixmeet::room
