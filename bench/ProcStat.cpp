#include "ProcStat.h"

#include <glib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace mixmeet::bench {

double cpuSeconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return -1;
    // The command name (field 2) may contain spaces and parentheses: fields resume after the
    // last ')'. utime and stime are fields 14 and 15, i.e. the 12th and 13th after it.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream fields(line.substr(close + 1));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 1; i <= 13 && fields >> field; ++i) {
        if (i == 12) utime = std::stoull(field);
        if (i == 13) stime = std::stoull(field);
    }
    return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

long rssKiB(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
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
