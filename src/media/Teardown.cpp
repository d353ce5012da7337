#include "media/Teardown.h"

#include <condition_variable>
#include <memory>
#include <mutex>

#include "core/Log.h"
#include "core/MainContext.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

namespace {

struct Job {
    core::ElementPtr element;
    std::function<void()> before;
    std::function<void()> after;
};

struct State {
    std::mutex lock;
    std::condition_variable idle;
    std::size_t pending = 0;
    GThreadPool* pool = nullptr;
};

/// Never destroyed: at exit a worker may still be stuck in gst_task_join (see the header),
/// and freeing the pool would wait for it.
State& state() {
    static State* s = new State;
    return *s;
}

void run(Job& job) {
    if (job.before) job.before();
    if (job.element) {
        GstElement* e = job.element.get();
        gint64 start = g_get_monotonic_time();
        if (gst_element_set_state(e, GST_STATE_NULL) == GST_STATE_CHANGE_FAILURE)
            GST_WARNING("%s: could not go to NULL", GST_ELEMENT_NAME(e));
        gint64 ms = (g_get_monotonic_time() - start) / 1000;
        if (ms > 500)
            GST_WARNING("%s: going to NULL took %" G_GINT64_FORMAT " ms", GST_ELEMENT_NAME(e), ms);
        job.element.reset();
    }
    if (job.after) job.after();
}

void finished() {
    State& s = state();
    {
        std::lock_guard g(s.lock);
        --s.pending;
    }
    s.idle.notify_all();
}

void work(gpointer data, gpointer) noexcept {
    std::unique_ptr<Job> job(static_cast<Job*>(data));
    run(*job);
    job.reset();
    finished();
}

}  // namespace

bool Teardown::start() {
    State& s = state();
    std::lock_guard g(s.lock);
    if (s.pool) return true;
    core::ErrorOut err;
    // Exclusive: the threads are created now and kept, never on demand.
    s.pool = g_thread_pool_new(work, nullptr, kThreads, TRUE, err.out());
    if (!s.pool) {
        g_warning("cannot start the teardown threads: %s; elements stop on the main thread",
                  err ? err.message() : "unknown error");
        return false;
    }
    return true;
}

void Teardown::submit(core::ElementPtr element, std::function<void()> before,
                      std::function<void()> after) {
    State& s = state();
    auto job = std::make_unique<Job>(Job{std::move(element), std::move(before), std::move(after)});
    GThreadPool* pool = nullptr;
    {
        std::lock_guard g(s.lock);
        ++s.pending;
        pool = s.pool;
    }
    if (pool) {
        // An exclusive pool has all its threads and never creates one here; GLib queues the
        // job even when it reports a thread creation error.
        core::ErrorOut err;
        if (!g_thread_pool_push(pool, job.release(), err.out()))
            GST_WARNING("teardown queue: %s", err.message());
        return;
    }
    run(*job);
    job.reset();
    finished();
}

void Teardown::cycle(core::ElementPtr element, std::function<void()> done) {
    core::ElementPtr again = element;  // The job drops its reference after NULL.
    submit(std::move(element), {}, [again = std::move(again), done = std::move(done)]() mutable {
        // Back to PLAYING only while the parent is headed there: a parent going down (a room
        // closing) would otherwise get a running child back after stopping its children.
        core::ElementPtr parent = core::ElementPtr::adopt(
            GST_ELEMENT_CAST(gst_object_get_parent(GST_OBJECT(again.get()))));
        GstState target = GST_STATE_NULL;
        if (parent) {
            GST_OBJECT_LOCK(parent.get());
            target = GST_STATE_TARGET(parent.get());
            GST_OBJECT_UNLOCK(parent.get());
        }
        if (target == GST_STATE_PLAYING && !gst_element_sync_state_with_parent(again.get()))
            GST_WARNING("%s: could not return to its parent's state",
                        GST_ELEMENT_NAME(again.get()));
        // The last reference may go on the main thread: the element is NULL or running.
        core::postToMain([again = std::move(again), done = std::move(done)]() mutable {
            // Removed from its parent meanwhile (its owner let it go): its own teardown may
            // have run before our return to PLAYING, so stop it once more, off this thread.
            if (!GST_OBJECT_PARENT(again.get())) submit(std::move(again));
            if (done) done();
        });
    });
}

bool Teardown::drain(std::chrono::milliseconds timeout) {
    State& s = state();
    std::unique_lock l(s.lock);
    return s.idle.wait_for(l, timeout, [&] { return s.pending == 0; });
}

std::size_t Teardown::pending() {
    State& s = state();
    std::lock_guard g(s.lock);
    return s.pending;
}

}  // namespace mixmeet::media
