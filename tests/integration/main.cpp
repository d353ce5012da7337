// Catch2 runner for the integration tests. Runs the real server in this process on the
// default main context. With GST_TRACERS=leaks (set by meson), GStreamer objects still alive at
// gst_deinit() make the leaks tracer warn; that fails the run.
#define CATCH_CONFIG_RUNNER
#include <gst/gst.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "core/Log.h"
#include "core/OpenSsl.h"

namespace {
bool g_leaks = false;
// Log handlers run on whichever thread logs (streaming threads too).
std::mutex g_linesLock;
std::vector<std::string> g_lines;

void logHandler(const gchar* domain, GLogLevelFlags level, const gchar* message,
                gpointer) noexcept {
    if (message && std::strstr(message, "Leaks detected")) g_leaks = true;
    if (message && std::strstr(message, "/reset.html?token=")) {
        std::lock_guard g(g_linesLock);
        g_lines.emplace_back(message);
    }
    g_log_default_handler(domain, level, message, nullptr);
}
}  // namespace

/// Log lines with password-reset links written so far (a copy; thread-safe).
std::vector<std::string> capturedLogLines() {
    std::lock_guard g(g_linesLock);
    return g_lines;
}

int main(int argc, char** argv) {
    mixmeet::core::skipOpenSslCleanupAtExit();
    gst_init(nullptr, nullptr);
    mixmeet::core::initLogging();
    g_log_set_default_handler(logHandler, nullptr);
    g_log_set_handler("GStreamer", static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK), logHandler,
                      nullptr);
    int failed = Catch::Session().run(argc, argv);
    // Let idle teardown work (deferred room/connection destruction) finish.
    while (g_main_context_iteration(nullptr, FALSE)) {
    }
    gst_deinit();
    if (g_leaks) {
        std::fprintf(stderr, "GStreamer objects leaked (GST_DEBUG=GST_TRACER:7 lists them)\n");
        return failed ? failed : 1;
    }
    return failed;
}
