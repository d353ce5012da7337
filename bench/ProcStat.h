// CPU time and memory of a process from /proc (Linux only).
#pragma once

#include <sys/types.h>
#include <cstdint>

namespace mixmeet::bench {

/// user + system CPU time of process `pid` and its descendants (a server's media workers,
/// docs/workers.md), all threads, seconds; -1 if unreadable.
double cpuSeconds(pid_t pid);
/// Resident set size (VmRSS) of `pid` and its descendants, KiB; -1 if unreadable.
long rssKiB(pid_t pid);

/// CPU use of a process over an interval: start(), then percentOfOneCore() at the end.
class CpuMeter {
public:
    explicit CpuMeter(pid_t pid) : pid_(pid) {}
    void start();
    /// CPU time since start() over wall time since start(), in % of one core (200 = two
    /// cores busy).
    double percentOfOneCore() const;

private:
    pid_t pid_;
    double cpu0_ = 0;
    std::int64_t wall0Us_ = 0;
};

}  // namespace mixmeet::bench
