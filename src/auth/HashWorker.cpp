#include "auth/HashWorker.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "core/MainContext.h"

namespace mixmeet::auth {

namespace {
/// Nice value of the hashing threads: below the main loop and GStreamer's streaming threads.
constexpr int kWorkerNice = 10;
}  // namespace

struct HashWorker::Job {
    std::function<void()> work;
    std::function<void()> done;
    std::weak_ptr<HashWorker*> owner;
};

HashWorker::HashWorker(Config config) : config_(config) {
    config_.threads = std::max(config_.threads, 1);
    config_.maxJobs = std::max<std::size_t>(config_.maxJobs, 1);
    // Exclusive: the threads are ours alone, so lowering their priority affects no other
    // GLib pool.
    pool_ = g_thread_pool_new(run, this, config_.threads, TRUE, nullptr);
}

HashWorker::~HashWorker() {
    stopping_ = true;
    // Not immediate: every queued job goes through run(), which skips the work and hands it
    // back here, so its closures (HTTP messages among them) are freed on the main thread.
    if (pool_) g_thread_pool_free(pool_, FALSE, TRUE);
    for (Job* job : dropped_) delete job;
}

bool HashWorker::submit(std::function<void()> work, std::function<void()> done) {
    if (!pool_ || pending_ >= config_.maxJobs) return false;
    auto* job = new Job{std::move(work), std::move(done), anchor_.weak()};
    if (!g_thread_pool_push(pool_, job, nullptr)) {
        delete job;
        return false;
    }
    ++pending_;
    return true;
}

void HashWorker::run(gpointer data, gpointer selfData) noexcept {
    std::unique_ptr<Job> job(static_cast<Job*>(data));
    auto* self = static_cast<HashWorker*>(selfData);
    if (self->stopping_) {
        std::lock_guard<std::mutex> lock(self->droppedMutex_);
        self->dropped_.push_back(job.release());
        return;
    }
    // Per thread on Linux (NPTL), so this lowers only our pool's threads.
    thread_local bool reniced = false;
    if (!reniced) {
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kWorkerNice);
        reniced = true;
    }
    job->work();
    core::postToMain([job = std::shared_ptr<Job>(std::move(job))] {
        HashWorker* owner = core::resolve(job->owner);
        if (!owner) return;
        --owner->pending_;
        job->done();
    });
}

}  // namespace mixmeet::auth
