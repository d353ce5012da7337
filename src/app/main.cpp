// mixmeet: the MCU meeting server. Usage: mixmeet serve [--config FILE] | check-config FILE
#include <glib-unix.h>
#include <gst/gst.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "app/Config.h"
#include "app/Paths.h"
#include "app/Server.h"
#include "core/Heap.h"
#include "core/Log.h"
#include "core/MainContext.h"
#include "core/OpenSsl.h"
#include "media/Teardown.h"
#include "mixmeet-config.h"
#include "store/SqliteStore.h"
#include "worker/WorkerHost.h"

namespace {

int usage(FILE* out) {
    std::fprintf(out,
                 "usage: mixmeet serve [--config FILE]\n"
                 "       mixmeet check-config FILE\n"
                 "       mixmeet set-role USERNAME admin|user [--config FILE]\n"
                 "       mixmeet --version\n\n"
                 "Without --config: config/mixmeet.ini of the source tree when run from the build\n"
                 "directory, else the installed SYSCONFDIR/mixmeet/mixmeet.ini (if present).\n");
    return out == stdout ? 0 : 2;
}

/// `mixmeet check-config FILE`: "FILE: OK" and 0, or each problem on stderr and 1.
int checkConfig(const char* path) {
    auto problems = mixmeet::app::checkConfig(path);
    for (const auto& p : problems) std::fprintf(stderr, "%s\n", p.c_str());
    if (!problems.empty()) return 1;
    std::printf("%s: OK\n", path);
    return 0;
}

/// The config file `--config FILE` names among argv[from..], else the default one; "" when
/// there is none (the built-in defaults). False on an unknown argument.
bool configArgument(int argc, char** argv, int from, std::string& path) {
    for (int i = from; i < argc; ++i) {
        if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else
            return false;
    }
    if (path.empty()) {
        const std::string& fallback = mixmeet::app::installPaths().configFile;
        if (g_file_test(fallback.c_str(), G_FILE_TEST_EXISTS)) path = fallback;
    }
    return true;
}

/// `mixmeet set-role USERNAME admin|user`: gives or takes the admin role (the admin page) in
/// the database of the config's data_dir. Run it as the service's user (or stop the service
/// first under systemd's DynamicUser: the state directory is its own).
int setRole(int argc, char** argv) {
    if (argc < 4) return usage(stderr);
    std::string username = argv[2];
    std::string role = argv[3];
    if (role != "admin" && role != "user") return usage(stderr);
    std::string configPath;
    if (!configArgument(argc, argv, 4, configPath)) return usage(stderr);
    auto config = configPath.empty()
                      ? mixmeet::core::Result<mixmeet::app::Config>(mixmeet::app::defaultConfig())
                      : mixmeet::app::loadConfig(configPath);
    if (!config) {
        std::fprintf(stderr, "%s\n", config.error().message.c_str());
        return 1;
    }
    auto store = mixmeet::store::SqliteStore::open(config.value().dataDir + "/mixmeet.sqlite");
    if (!store) {
        std::fprintf(stderr, "mixmeet: %s\n", store.error().message.c_str());
        return 1;
    }
    auto user = store.value()->userByUsername(username);
    if (!user) {
        std::fprintf(stderr, "mixmeet: no account %s: %s\n", username.c_str(),
                     user.error().message.c_str());
        return 1;
    }
    if (auto done = store.value()->setUserAdmin(user.value().id, role == "admin"); !done) {
        std::fprintf(stderr, "mixmeet: %s\n", done.error().message.c_str());
        return 1;
    }
    std::printf("%s is now %s\n", username.c_str(), role == "admin" ? "an admin" : "a user");
    return 0;
}

/// What SIGHUP reloads: the file the server was started with.
struct Reload {
    mixmeet::app::Server* server;
    std::string path;
};

/// SIGHUP: re-reads the config file; a file with problems is refused as a whole (each logged).
gboolean onHangup(gpointer data) {
    auto* reload = static_cast<Reload*>(data);
    if (reload->path.empty()) {
        g_message("config: SIGHUP ignored: the server was started without a config file");
        return G_SOURCE_CONTINUE;
    }
    auto fresh = mixmeet::app::loadConfig(reload->path);
    if (!fresh) {
        g_warning("config: %s not reloaded, the running configuration stays:\n%s",
                  reload->path.c_str(), fresh.error().message.c_str());
        return G_SOURCE_CONTINUE;
    }
    auto changes = reload->server->reload(fresh.value());
    g_message("config: reloaded %s (%zu live changes, %zu need a restart)", reload->path.c_str(),
              changes.live.size(), changes.restart.size());
    return G_SOURCE_CONTINUE;
}

gboolean onSignal(gpointer loop) {
    g_main_loop_quit(static_cast<GMainLoop*>(loop));
    return G_SOURCE_REMOVE;
}

}  // namespace

int main(int argc, char** argv) {
    mixmeet::core::skipOpenSslCleanupAtExit();
    if (argc < 2) return usage(stderr);
    std::string command = argv[1];
    if (command == "--version") {
        std::printf("mixmeet %s\n", MIXMEET_VERSION);
        return 0;
    }
    if (command == "--help" || command == "help") return usage(stdout);
    if (command == "check-config") return argc == 3 ? checkConfig(argv[2]) : usage(stderr);
    if (command == "set-role") return setRole(argc, argv);
    if (command == "worker") return mixmeet::worker::runWorker(argc, argv);
    if (command != "serve") return usage(stderr);
    std::string configPath;
    if (!configArgument(argc, argv, 2, configPath)) return usage(stderr);

    gst_init(&argc, &argv);
    mixmeet::core::initLogging();
    auto config = configPath.empty()
                      ? mixmeet::core::Result<mixmeet::app::Config>(mixmeet::app::defaultConfig())
                      : mixmeet::app::loadConfig(configPath);
    if (!config) {
        // One line per problem, each naming the file, group and key.
        std::fprintf(stderr, "%s\n", config.error().message.c_str());
        return 1;
    }
    if (int arenas = mixmeet::core::limitHeapArenas(config.value().mallocArenas))
        g_message("malloc arenas: at most %d", arenas);
    mixmeet::core::setMainContext(g_main_context_default());
    GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
    int status = 0;
    {
        mixmeet::app::Server server(std::move(config).value());
        auto started = server.start();
        if (!started) {
            std::fprintf(stderr, "mixmeet: %s\n", started.error().message.c_str());
            status = 1;
        } else {
            std::printf("mixmeet: listening on %s\n", server.url().c_str());
            std::fflush(stdout);
            g_unix_signal_add(SIGINT, onSignal, loop);
            g_unix_signal_add(SIGTERM, onSignal, loop);
            Reload reload{&server, configPath};
            guint hangup = g_unix_signal_add(SIGHUP, onHangup, &reload);
            g_main_loop_run(loop);
            g_source_remove(hangup);
            std::printf("mixmeet: shutting down\n");
            // Let the bye messages and close handshakes go out (bounded: 2 s).
            server.shutdown();
            gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
            while (server.connectionCount() > 0 && g_get_monotonic_time() < deadline) {
                if (!g_main_context_iteration(nullptr, FALSE)) g_usleep(10000);
            }
        }
    }
    g_main_loop_unref(loop);
    // An element stuck going to NULL (media/Teardown.h) would keep gst_deinit waiting; the
    // process exits without it then (the Server already waited, bounded).
    if (mixmeet::media::Teardown::pending() == 0) gst_deinit();
    return status;
}
