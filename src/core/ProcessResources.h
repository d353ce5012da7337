// What this process holds of the resources the kernel limits per process: file descriptors,
// threads and address space, with the limits (getrlimit). Read from /proc/self.
// Any thread.
#pragma once

#include <cstdint>

namespace mixmeet::core {

struct ProcessResources {
    /// A limit that is not set (RLIM_INFINITY).
    static constexpr std::uint64_t kUnlimited = UINT64_MAX;

    std::uint64_t openFds = 0;           ///< Entries of /proc/self/fd.
    std::uint64_t fdLimit = kUnlimited;  ///< RLIMIT_NOFILE (soft).
    std::uint64_t threads = 0;           ///< "Threads" of /proc/self/status.
    /// RLIMIT_NPROC (soft). It counts every process and thread of the user, so our own count
    /// is only a lower bound of what it is compared with.
    std::uint64_t threadLimit = kUnlimited;
    std::uint64_t addressSpaceBytes = 0;           ///< "VmSize" of /proc/self/status.
    std::uint64_t addressSpaceLimit = kUnlimited;  ///< RLIMIT_AS (soft), bytes.
    std::uint64_t residentBytes = 0;               ///< "VmRSS" of /proc/self/status.
};

/// Samples this process now (a directory listing and one small file read: tens of µs).
ProcessResources sampleProcessResources();

}  // namespace mixmeet::core
