// Runs password hashing off the main loop. Argon2id at libsodium's INTERACTIVE cost takes
// 0.3-1.6 s of CPU and 64 MiB per hash; done on the main loop it stalls every room, chat and
// request of the server (issue 12, item 6). HashWorker runs such jobs on a small dedicated
// thread pool at a lower CPU priority (nice +10, so media and signaling win the cores) and
// hands each result back on the main context.
//
// Bounds: `threads` jobs run at once (memory: threads x 64 MiB at INTERACTIVE cost) and at
// most `maxJobs` are accepted (running + queued); submit() refuses more, so a flood of
// registrations cannot queue unbounded memory or minutes of latency.
//
// submit() and every `done` run on the main thread; `work` runs on a pool thread and must only
// touch what it captured by value (PasswordHasher is safe from any thread).
#pragma once

#include <glib.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

#include "core/Anchor.h"

namespace mixmeet::auth {

class HashWorker {
public:
    struct Config {
        int threads = 2;           ///< Hashes computed at once ([auth] hash_threads).
        std::size_t maxJobs = 16;  ///< Running + queued jobs accepted ([auth] hash_queue).
    };

    explicit HashWorker(Config config);
    /// Waits for the jobs running now (at most one hash each); queued jobs are dropped and no
    /// `done` runs after destruction.
    ~HashWorker();
    HashWorker(const HashWorker&) = delete;
    HashWorker& operator=(const HashWorker&) = delete;

    /// Runs `work` on a pool thread, then `done` on the main context (never inline). Returns
    /// false, running neither, when maxJobs jobs are already pending.
    bool submit(std::function<void()> work, std::function<void()> done);
    /// Jobs accepted and not yet done (main thread).
    std::size_t pending() const { return pending_; }
    const Config& config() const { return config_; }

private:
    struct Job;
    static void run(gpointer job, gpointer self) noexcept;

    Config config_;
    GThreadPool* pool_ = nullptr;
    std::size_t pending_ = 0;
    std::atomic<bool> stopping_{false};
    std::mutex droppedMutex_;
    std::vector<Job*> dropped_;  ///< Queued jobs skipped during destruction.
    core::Anchor<HashWorker> anchor_{this};
};

}  // namespace mixmeet::auth
