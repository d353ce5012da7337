// A competing CPU load for the benchmark (--load): busy-looping child processes.
#pragma once

#include <sys/types.h>

#include <vector>

namespace mixmeet::bench {

/// Burns `share` cores (e.g. 0.5 = half a core, 1.5 = one and a half) in ceil(share) forked
/// child processes, each busy for its part of every 10 ms period (in CPU time: a preempted
/// child keeps asking) and asleep for the rest of the period, if any is left, at
/// the bench's own nice value. They run until stop() or the destructor (SIGKILL and reap), and
/// end by themselves if the bench dies (they check their parent every period) or after
/// `maxSeconds`, so a crashed bench leaves nothing behind.
///
/// The share is what each child asks for; on a machine already full the scheduler gives it
/// less (cpuPercent() measures what it got). The children only busy-wait on clock_gettime and
/// sleep with nanosleep, both async-signal-safe, so forking a threaded process is fine.
class CpuLoad {
public:
    CpuLoad(double share, int maxSeconds);
    ~CpuLoad();
    CpuLoad(const CpuLoad&) = delete;
    CpuLoad& operator=(const CpuLoad&) = delete;

    /// The children's process ids (empty for a share of 0 or when fork failed).
    const std::vector<pid_t>& pids() const { return pids_; }
    void stop();

private:
    std::vector<pid_t> pids_;
};

}  // namespace mixmeet::bench
