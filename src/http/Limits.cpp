#include "http/Limits.h"

#include <sys/resource.h>

#include <algorithm>

namespace mixmeet::http {

namespace {
/// Descriptors the process needs besides client connections and rooms.
constexpr unsigned long long kReservedFds = 64;
}  // namespace

std::size_t connectionCapForFdLimit(unsigned long long nofile) {
    if (nofile <= kReservedFds + 2) return 1;
    return static_cast<std::size_t>(std::max<unsigned long long>(1, (nofile - kReservedFds) / 2));
}

unsigned long long fdLimit() {
    struct rlimit rl {};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
    if (rl.rlim_cur == RLIM_INFINITY) return 1ULL << 20;
    return rl.rlim_cur;
}

ConnectionTable::Admission ConnectionTable::admit(const std::string& address) {
    if (total_ >= maxTotal_) return Admission::TooMany;
    if (maxPerAddress_ > 0 && countFrom(address) >= maxPerAddress_)
        return Admission::TooManyFromAddress;
    ++perAddress_[address];
    ++total_;
    return Admission::Admitted;
}

void ConnectionTable::release(const std::string& address) {
    auto it = perAddress_.find(address);
    if (it == perAddress_.end() || it->second == 0) return;
    if (--it->second == 0) perAddress_.erase(it);
    --total_;
}

std::size_t ConnectionTable::countFrom(const std::string& address) const {
    auto it = perAddress_.find(address);
    return it == perAddress_.end() ? 0 : it->second;
}

}  // namespace mixmeet::http
