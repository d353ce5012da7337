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

std::int64_t nowNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// The child: `duty` (0..1] of every 10 ms busy, the rest asleep. Never returns.
[[noreturn]] void burn(double duty, pid_t parent, int maxSeconds) {
    constexpr std::int64_t kPeriodNs = 10000000;  // 10 ms
    const auto busyNs = std::int64_t(double(kPeriodNs) * duty);
    const std::int64_t end = nowNs() + std::int64_t(maxSeconds) * 1000000000;
    volatile std::uint64_t spin = 0;
    for (std::int64_t start = nowNs(); start < end && getppid() == parent; start = nowNs()) {
        while (nowNs() - start < busyNs) spin = spin + 1;
        if (busyNs < kPeriodNs) {
            timespec rest{0, long(kPeriodNs - busyNs)};
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
