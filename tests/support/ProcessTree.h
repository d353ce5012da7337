// A process and its descendants (the server and its media workers, docs/workers.md), read
// from /proc (Linux only). For figures of "the server" that must include the rooms wherever
// they run: CPU time, resident memory, descriptors, threads.
#pragma once

#include <sys/types.h>

#include <vector>

namespace mixmeet::testing {

/// `root` and every living descendant of it (parent links of /proc/PID/stat), root first.
std::vector<pid_t> processTree(pid_t root);

/// The `key:` line of /proc/PID/status as a number (kB for memory lines), summed over
/// processTree(root) ("VmRSS", "Threads"); -1 if root's is unreadable.
long treeStatusField(pid_t root, const char* key);
/// Open descriptors (/proc/PID/fd entries) summed over processTree(root).
long treeOpenFds(pid_t root);
/// user + system CPU time summed over processTree(root), seconds (processes that exited no
/// longer count); -1 if root's is unreadable.
double treeCpuSeconds(pid_t root);

}  // namespace mixmeet::testing
