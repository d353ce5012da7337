// Posting work from streaming threads to the main context, where the model lives.
#pragma once

#include <glib.h>

#include <functional>

namespace mixmeet::core {

/// Sets the context that owns the model (rooms, sockets). Call once at start-up from the
/// thread that will iterate it. Defaults to g_main_context_default().
void setMainContext(GMainContext* context);
GMainContext* mainContext();

/// Queues fn to run on the main context at the next iteration, never inline, from any thread.
/// fn must check that whatever it touches still exists (capture weak handles).
void postToMain(std::function<void()> fn);

/// Runs fn on the main context after delayMs milliseconds. Returns the GSource id on the
/// main context, for g_source_remove while the timer is pending.
guint postToMainDelayed(unsigned delayMs, std::function<void()> fn);

}  // namespace mixmeet::core
