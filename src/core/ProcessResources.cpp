#include "core/ProcessResources.h"

#include <glib.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>

namespace mixmeet::core {

namespace {
std::uint64_t softLimit(int resource) {
    struct rlimit rl {};
    if (getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return ProcessResources::kUnlimited;
    return static_cast<std::uint64_t>(rl.rlim_cur);
}

/// The number after `key` in /proc/self/status text ("VmSize:  123 kB" gives 123), 0 if absent.
std::uint64_t statusField(const char* text, const char* key) {
    const char* at = std::strstr(text, key);
    if (!at) return 0;
    return std::strtoull(at + std::strlen(key), nullptr, 10);
}
}  // namespace

ProcessResources sampleProcessResources() {
    ProcessResources r;
    r.fdLimit = softLimit(RLIMIT_NOFILE);
    r.threadLimit = softLimit(RLIMIT_NPROC);
    r.addressSpaceLimit = softLimit(RLIMIT_AS);
    if (GDir* dir = g_dir_open("/proc/self/fd", 0, nullptr)) {
        while (g_dir_read_name(dir)) ++r.openFds;
        g_dir_close(dir);  // Its own descriptor was counted: it is in use while we read.
    }
    gchar* status = nullptr;
    if (g_file_get_contents("/proc/self/status", &status, nullptr, nullptr)) {
        r.threads = statusField(status, "\nThreads:");
        r.addressSpaceBytes = statusField(status, "\nVmSize:") * 1024;
        r.residentBytes = statusField(status, "\nVmRSS:") * 1024;
        g_free(status);
    }
    return r;
}

}  // namespace mixmeet::core
