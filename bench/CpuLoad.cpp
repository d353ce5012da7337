#include "CpuLoad.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace mixmeet::bench {

namespace {

std::int64_t clockNs(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// The child: in every 10 ms period, busy until it has had `duty` of the period in CPU time
/// (not wall time: a preempted child keeps asking for its share), then asleep for the rest of
/// the period, if any is left. Never returns.
[[noreturn]] void burn(double duty, pid_t parent, int maxSeconds) {
    constexpr std::int64_t kPeriodNs = 10000000;  // 10 ms
    const auto busyNs = std::int64_t(double(kPeriodNs) * duty);
    const std::int64_t end = clockNs(CLOCK_MONOTONIC) + std::int64_t(maxSeconds) * 1000000000;
    volatile std::uint64_t spin = 0;
    for (std::int64_t start = clockNs(CLOCK_MONOTONIC); start < end && getppid() == parent;
         start = clockNs(CLOCK_MONOTONIC)) {
        const std::int64_t cpu0 = clockNs(CLOCK_PROCESS_CPUTIME_ID);
        while (clockNs(CLOCK_PROCESS_CPUTIME_ID) - cpu0 < busyNs) spin = spin + 1;
        const std::int64_t left = kPeriodNs - (clockNs(CLOCK_MONOTONIC) - start);
        if (busyNs < kPeriodNs && left > 0) {
            timespec rest{0, long(left)};
            nanosleep(&rest, nullptr);
        }
    }
    _exit(0);
}

}  // namespace

CpuLoad::CpuLoad(double share, int maxSeconds) {
    const pid_t parent = getpid();
    for (double left = share; left > 0.001; left -= 1.0) {
        const double duty = std::min(1.0, left);
        const pid_t pid = fork();
        if (pid == 0) burn(duty, parent, maxSeconds);
        if (pid < 0) {
            std::perror("mixmeet-bench: fork (load)");
            break;
        }
        pids_.push_back(pid);
    }
}

CpuLoad::~CpuLoad() {
    stop();
}

void CpuLoad::stop() {
    for (pid_t pid : pids_) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
    }
    pids_.clear();
}

}  // namespace mixmeet::bench
