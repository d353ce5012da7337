// Brings GStreamer elements that have left the model to NULL on worker threads, so the main
// loop never waits for a streaming thread. Setting an element to NULL joins its pads' tasks:
// a streaming thread blocked downstream makes that wait as long as the block, and a task whose
// thread could not be created makes it endless (GStreamer 1.22's start_task leaves `running`
// set when the thread pool fails to push, so gst_task_join waits for good; seen with
// RLIMIT_AS: the server ignored SIGTERM). The same holds for dropping the last reference of a
// pad whose task is still around (gst_pad_finalize joins it).
//
// The model forgets a participant's bin or a room's pipeline at once; a worker owns it until
// it is NULL and unreferenced. As gst-plugins-rs webrtcsink does with a finished session
// (net/webrtc/src/webrtcsink/imp.rs, finalize_session, on a blocking worker).
//
// Threads: submit() from the main thread; the work runs on one of kThreads worker threads that
// start() creates up front, so tearing down never needs a new thread when threads run short.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

#include "core/GstPtr.h"

namespace mixmeet::media {

class Teardown {
public:
    /// Worker threads: one element stuck for good (above) leaves the other to carry on.
    static constexpr unsigned kThreads = 2;

    /// Creates the worker threads (idempotent). false if they cannot be created: submit()
    /// then works on the caller's thread (logged).
    static bool start();
    /// Takes `element` (already removed from its parent, or a top-level pipeline): on a
    /// worker, runs `before` (e.g. waits for webrtcbin's queued operations), sets it to NULL,
    /// drops the reference, then runs `after` (e.g. returns freed heap to the system).
    static void submit(core::ElementPtr element, std::function<void()> before = {},
                       std::function<void()> after = {});
    /// Restarts `element` (still in its parent) on a worker: to NULL (its streaming threads
    /// joined, flows and caps reset), then back to its parent's state; then `done` runs on
    /// the main context (whether or not the element still has a parent by then).
    static void cycle(core::ElementPtr element, std::function<void()> done);
    /// Waits at most `timeout` until everything submitted is done. true if it is. For
    /// shutdown and tests: blocks the caller.
    static bool drain(std::chrono::milliseconds timeout);
    /// Elements submitted and not yet done.
    static std::size_t pending();
};

}  // namespace mixmeet::media
