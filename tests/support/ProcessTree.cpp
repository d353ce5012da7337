#include "ProcessTree.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace mixmeet::testing {

namespace {

/// Fields of /proc/PID/stat after the command name (which may hold spaces and parentheses):
/// [0] is field 3 (state), [1] field 4 (ppid), [11] field 14 (utime), [12] field 15 (stime).
std::vector<std::string> statFields(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return {};
    const auto close = line.rfind(')');
    if (close == std::string::npos) return {};
    std::istringstream s(line.substr(close + 1));
    std::vector<std::string> out;
    for (std::string f; s >> f;) out.push_back(f);
    return out;
}

long statusField(pid_t pid, const char* key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    const std::string prefix = std::string(key) + ":";
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0) return std::atol(line.c_str() + prefix.size());
    return -1;
}

long countFds(pid_t pid) {
    DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
    if (!d) return 0;
    long n = 0;
    while (dirent* e = readdir(d))
        if (e->d_name[0] != '.') ++n;
    closedir(d);
    return n;
}

}  // namespace

std::vector<pid_t> processTree(pid_t root) {
    std::multimap<pid_t, pid_t> children;  // ppid -> pid
    if (DIR* d = opendir("/proc")) {
        while (dirent* e = readdir(d)) {
            const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
            if (pid <= 0) continue;
            auto f = statFields(pid);
            if (f.size() < 2 || f[0] == "Z") continue;  // Zombies hold nothing.
            children.emplace(static_cast<pid_t>(std::atoi(f[1].c_str())), pid);
        }
        closedir(d);
    }
    std::vector<pid_t> out{root};
    for (std::size_t i = 0; i < out.size(); ++i) {
        auto [from, to] = children.equal_range(out[i]);
        for (auto it = from; it != to; ++it) out.push_back(it->second);
    }
    return out;
}

long treeStatusField(pid_t root, const char* key) {
    const long first = statusField(root, key);
    if (first < 0) return -1;
    long sum = first;
    const auto tree = processTree(root);
    for (std::size_t i = 1; i < tree.size(); ++i) sum += std::max(0L, statusField(tree[i], key));
    return sum;
}

long treeOpenFds(pid_t root) {
    long sum = 0;
    for (pid_t p : processTree(root)) sum += countFds(p);
    return sum;
}

double treeCpuSeconds(pid_t root) {
    double sum = 0;
    bool rootSeen = false;
    for (pid_t p : processTree(root)) {
        auto f = statFields(p);
        if (f.size() < 13) continue;
        rootSeen = rootSeen || p == root;
        sum += static_cast<double>(std::stoull(f[11]) + std::stoull(f[12])) /
               static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    return rootSeen ? sum : -1;
}

}  // namespace mixmeet::testing
