// Catch2 runner for the integration tests. Runs the real server in this process on the
// default main context. With GST_TRACERS=leaks (set by meson), GStreamer objects still alive at
// gst_deinit() make the leaks tracer warn; that fails the run.
#define CATCH_CONFIG_RUNNER
#include <gst/gst.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/Log.h"
#include "core/OpenSsl.h"

namespace {
bool g_leaks = false;
// Log handlers run on whichever thread logs (streaming threads too).
std::mutex g_linesLock;
std::vector<std::string> g_lines;
std::atomic<std::size_t> g_criticals{0};

void logHandler(const gchar* domain, GLogLevelFlags level, const gchar* message,
                gpointer) noexcept {
    if (message && std::strstr(message, "Leaks detected")) g_leaks = true;
    if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) ++g_criticals;
    if (message && std::strstr(message, "/reset.html?token=")) {
        std::lock_guard g(g_linesLock);
        g_lines.emplace_back(message);
    }
    g_log_default_handler(domain, level, message, nullptr);
}
/// True if every GStreamer object still alive belongs to an rtpulpfecdec (the element or its
/// pads). webrtcbin 1.22.0 makes one inside rtpbin for a receive stream (request-fec-decoder);
/// about one full run in four leaves one behind when a participant is torn down while it is
/// being made. Our code never creates or holds it, the leak is bounded (one element per torn-down
/// stream at most) and it is under investigation (docs/architecture.md, known issues); anything
/// else alive still fails the run. Uses the leaks tracer's get-live-objects action (1.18+).
bool onlyKnownUpstreamLeaks() {
    GList* tracers = gst_tracing_get_active_tracers();
    bool onlyKnown = true;
    bool checked = false;
    for (GList* t = tracers; t; t = t->next) {
        GstTracer* tracer = GST_TRACER(t->data);
        if (!g_str_has_prefix(G_OBJECT_TYPE_NAME(tracer), "GstLeaksTracer")) continue;
        GstStructure* info = nullptr;
        g_signal_emit_by_name(tracer, "get-live-objects", &info);
        if (!info) continue;
        checked = true;
        const GValue* list = gst_structure_get_value(info, "live-objects-list");
        for (guint i = 0; list && i < gst_value_list_get_size(list); ++i) {
            const GstStructure* o = gst_value_get_structure(gst_value_list_get_value(list, i));
            const GValue* v = gst_structure_get_value(o, "object");
            GObject* obj = v && G_VALUE_HOLDS_OBJECT(v) ? G_OBJECT(g_value_get_object(v)) : nullptr;
            GstObject* owner = nullptr;
            if (obj && GST_IS_PAD(obj)) owner = GST_OBJECT_PARENT(obj);
            if (obj && GST_IS_ELEMENT(obj)) owner = GST_OBJECT(obj);
            bool known = owner && g_str_has_prefix(GST_OBJECT_NAME(owner), "rtpulpfecdec");
            if (!known) onlyKnown = false;
        }
        gst_structure_free(info);
    }
    g_list_free_full(tracers, gst_object_unref);
    return checked && onlyKnown;
}
/// Reports a stalled main loop: the server and every peer's signalling share the default main
/// context, so a callback that blocks it stops the whole room (a bug, whatever the test's
/// outcome). A timeout source stamps a heartbeat every 100 ms while the context is iterated;
/// a thread warns when the last beat is over 3 s old while a thread is iterating the context
/// (owns it): one of its callbacks has not returned. With MIXMEET_STALL_GDB=1 it also prints
/// every thread's backtrace (gdb), once.
class StallWatch {
public:
    StallWatch() {
        beat_.store(g_get_monotonic_time());
        source_ = g_timeout_add(
            100,
            [](gpointer d) -> gboolean {
                static_cast<StallWatch*>(d)->beat_.store(g_get_monotonic_time());
                return G_SOURCE_CONTINUE;
            },
            this);
        thread_ = std::thread([this] { run(); });
    }
    ~StallWatch() {
        {
            std::lock_guard g(lock_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
        g_source_remove(source_);
    }

private:
    void run() {
        std::unique_lock g(lock_);
        bool reported = false, dumped = false;
        while (!wake_.wait_for(g, std::chrono::milliseconds(500), [this] { return stop_; })) {
            const gint64 age = g_get_monotonic_time() - beat_.load();
            // Between tests nobody iterates the context: only a context that some thread
            // holds (acquired, dispatching) and that does not beat is stalled.
            const bool busy = !g_main_context_acquire(g_main_context_default());
            if (!busy) g_main_context_release(g_main_context_default());
            if (age < 3 * G_USEC_PER_SEC || !busy) {
                if (reported && age < G_USEC_PER_SEC) reported = false;
                continue;
            }
            if (!reported)
                std::fprintf(stderr, "main loop stalled: no iteration for %.1f s\n", age / 1e6);
            reported = true;
            if (!dumped && g_getenv("MIXMEET_STALL_GDB")) {
                dumped = true;
                std::string cmd =
                    "gdb -p " + std::to_string(getpid()) + " -batch -ex 'thread apply all bt' 1>&2";
                if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "gdb failed\n");
            }
        }
    }

    guint source_ = 0;
    std::atomic<gint64> beat_{0};
    std::mutex lock_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};
}  // namespace

/// A structured log event about a room (fields MIXMEET_ROOM, MIXMEET_PARTICIPANT, MESSAGE).
struct LoggedEvent {
    std::string room, participant, message;
};
namespace {
std::mutex g_eventsLock;
std::vector<LoggedEvent> g_events;

/// Records the events with a MIXMEET_ROOM field (test_deploy.cpp), then writes as GLib would.
GLogWriterOutput recordingWriter(GLogLevelFlags level, const GLogField* fields, gsize n,
                                 gpointer data) noexcept {
    LoggedEvent e;
    bool aboutRoom = false;
    for (gsize i = 0; i < n; ++i) {
        std::string value = fields[i].length < 0
                                ? static_cast<const char*>(fields[i].value)
                                : std::string(static_cast<const char*>(fields[i].value),
                                              static_cast<std::size_t>(fields[i].length));
        if (std::strcmp(fields[i].key, "MIXMEET_ROOM") == 0) {
            e.room = value;
            aboutRoom = true;
        } else if (std::strcmp(fields[i].key, "MIXMEET_PARTICIPANT") == 0) {
            e.participant = value;
        } else if (std::strcmp(fields[i].key, "MESSAGE") == 0) {
            e.message = value;
        }
    }
    if (aboutRoom) {
        std::lock_guard g(g_eventsLock);
        g_events.push_back(std::move(e));
    }
    return g_log_writer_default(level, fields, n, data);
}
}  // namespace

/// Structured log events about rooms so far (a copy; thread-safe).
std::vector<LoggedEvent> structuredLogEvents() {
    std::lock_guard g(g_eventsLock);
    return g_events;
}

/// CRITICAL (and ERROR) log messages of any domain so far, e.g. GStreamer's g_return_if_fail
/// checks ("GStreamer-Video-CRITICAL"); thread-safe.
std::size_t criticalLogCount() {
    return g_criticals.load();
}

/// Log lines with password-reset links written so far (a copy; thread-safe).
std::vector<std::string> capturedLogLines() {
    std::lock_guard g(g_linesLock);
    return g_lines;
}

int main(int argc, char** argv) {
    mixmeet::core::skipOpenSslCleanupAtExit();
    // A server started here with [workers] count > 0 runs the built binary as its media
    // workers (this program is not one).
    g_setenv("MIXMEET_WORKER_BINARY", MIXMEET_SERVER_BINARY, FALSE);
    gst_init(nullptr, nullptr);
    mixmeet::core::initLogging();
    g_log_set_writer_func(recordingWriter, nullptr, nullptr);
    g_log_set_default_handler(logHandler, nullptr);
    g_log_set_handler("GStreamer", static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK), logHandler,
                      nullptr);
    int failed = 0;
    {
        StallWatch watch;
        failed = Catch::Session().run(argc, argv);
    }
    // Let idle teardown work (deferred room/connection destruction) finish.
    while (g_main_context_iteration(nullptr, FALSE)) {
    }
    bool knownOnly = onlyKnownUpstreamLeaks();
    gst_deinit();
    if (g_leaks && knownOnly) {
        std::fprintf(stderr,
                     "only webrtcbin's internal rtpulpfecdec outlived the run (known "
                     "upstream leak, tolerated; GST_DEBUG=GST_TRACER:7 lists it)\n");
        g_leaks = false;
    }
    if (g_leaks) {
        std::fprintf(stderr, "GStreamer objects leaked (GST_DEBUG=GST_TRACER:7 lists them)\n");
        return failed ? failed : 1;
    }
    return failed;
}
