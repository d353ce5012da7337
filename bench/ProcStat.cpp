#include "ProcStat.h"

#include "ProcessTree.h"

#include <glib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace mixmeet::bench {

double cpuSeconds(pid_t pid) {
    return testing::treeCpuSeconds(pid);
}

long rssKiB(pid_t pid) {
    return testing::treeStatusField(pid, "VmRSS");
}

void CpuMeter::start() {
    cpu0_ = cpuSeconds(pid_);
    wall0Us_ = g_get_monotonic_time();
}

double CpuMeter::percentOfOneCore() const {
    const double wall = double(g_get_monotonic_time() - wall0Us_) / 1e6;
    if (wall <= 0) return 0;
    return 100.0 * (cpuSeconds(pid_) - cpu0_) / wall;
}

}  // namespace mixmeet::bench
