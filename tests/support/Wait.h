// Spin-until helpers for tests: iterate the thread-default main context until a condition
// holds or a deadline passes (the habit of libsoup's and webrtcbin's own tests). Tests never
// sleep for a fixed time.
#pragma once

#include <glib.h>

#include "core/GstPtr.h"

#include <chrono>
#include <functional>
#include <memory>

namespace mixmeet::testing {

/// Iterates the calling thread's thread-default main context (the global default one when
/// none was pushed) until `cond()` is true or `timeout` passes. Returns the last value of
/// `cond()`. The context is woken at least every 10 ms, so conditions that change on other
/// threads (atomic counters updated by streaming threads) are seen promptly.
inline bool waitUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
    using ContextPtr =
        std::unique_ptr<GMainContext, core::FnDeleter<GMainContext, g_main_context_unref>>;
    ContextPtr ctx(g_main_context_ref_thread_default());
    // A periodic no-op source: g_main_context_iteration(ctx, TRUE) returns after it at worst.
    core::SourcePtr tick(g_timeout_source_new(10));
    g_source_set_callback(
        tick.get(), [](gpointer) -> gboolean { return G_SOURCE_CONTINUE; }, nullptr, nullptr);
    g_source_attach(tick.get(), ctx.get());

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool ok = cond();
    while (!ok && std::chrono::steady_clock::now() < deadline) {
        g_main_context_iteration(ctx.get(), TRUE);
        ok = cond();
    }
    return ok;
}

/// Keeps the main context running for `duration` (for measuring rates over a period, e.g.
/// "frames decoded in the next 2 s"; not for waiting on an event: use waitUntil).
inline void runFor(std::chrono::milliseconds duration) {
    waitUntil([] { return false; }, duration);
}

}  // namespace mixmeet::testing
