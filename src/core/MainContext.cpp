#include "core/MainContext.h"

#include <atomic>

namespace mixmeet::core {

namespace {
std::atomic<GMainContext*> g_context{nullptr};

gboolean runOnce(gpointer data) noexcept {
    (*static_cast<std::function<void()>*>(data))();
    return G_SOURCE_REMOVE;
}
void destroyFn(gpointer data) noexcept { delete static_cast<std::function<void()>*>(data); }

guint attach(GSource* source, std::function<void()> fn) {
    g_source_set_callback(source, runOnce, new std::function<void()>(std::move(fn)), destroyFn);
    guint id = g_source_attach(source, mainContext());
    g_source_unref(source);
    return id;
}
}  // namespace

void setMainContext(GMainContext* context) { g_context.store(context); }

GMainContext* mainContext() {
    GMainContext* c = g_context.load();
    return c ? c : g_main_context_default();
}

void postToMain(std::function<void()> fn) {
    GSource* source = g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    attach(source, std::move(fn));
}

guint postToMainDelayed(unsigned delayMs, std::function<void()> fn) {
    return attach(g_timeout_source_new(delayMs), std::move(fn));
}

}  // namespace mixmeet::core
