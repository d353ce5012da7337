// The mixmeet server as a child process (of the benchmark, or of a test), so its CPU time and
// memory can be read from /proc apart from the synthetic peers', its process limits lowered
// (setrlimit between fork and exec), and its exit on SIGTERM observed.
#pragma once

#include <gio/gio.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "core/GstPtr.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mixmeet::testing {

struct ServerSettings {
    std::string binary;  ///< path of the `mixmeet` executable
    int width = 640;     ///< composite size and rate ([video])
    int height = 360;
    int framerate = 30;
    int videoBitrate = 800000;
    int maxParticipants = 25;
    int jitterBufferMs = 50;  ///< [webrtc] jitter_buffer_ms
    int mixerLatencyMs = 20;  ///< [webrtc] mixer_latency_ms
    /// INI text appended to the config (a group repeated here adds to it; a key repeated
    /// overrides it).
    std::string extraConfig;
    /// Soft and hard limits set in the child before exec: {RLIMIT_NOFILE, 200}, ...
    std::vector<std::pair<int, rlim_t>> limits;
    /// Environment variables set for the child (on top of ours): {"MALLOC_ARENA_MAX", "8"}.
    std::vector<std::pair<std::string, std::string>> environment;
};

/// The answer to an HTTP GET.
struct HttpReply {
    unsigned status = 0;  ///< 0: no answer in time.
    std::string body;
    std::chrono::milliseconds elapsed{0};
};

/// Counts from GET /api/stats?room=NAME.
struct RoomStats {
    long participants = 0;
    long vp8Encoders = 0;
    long opusEncoders = 0;
    long elements = 0;
    long keyframes = 0;    ///< Keyframes the room's tier encoders made since it started.
    long lateDropped = 0;  ///< Video frames the room dropped for lateness (load shedding).
};

/// Owns: a temporary directory (config file, data directory, the server's stderr as
/// server.log), the child process. Main thread only; waits iterate the thread-default main
/// context (Wait.h), with timeouts.
class ServerProcess {
public:
    explicit ServerProcess(ServerSettings settings);
    /// Stops the server (SIGTERM, then SIGKILL after 10 s) and removes the temporary directory
    /// unless keepFiles().
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    /// Writes the config, starts `mixmeet serve --config FILE` and waits (at most 20 s) for
    /// its "mixmeet: listening on http://127.0.0.1:PORT/" line. false with `error` set when
    /// it does not come.
    bool start(std::string& error);
    /// Asks the server to stop (SIGTERM) and waits at most `patience` for it, then kills it
    /// (SIGKILL). true if it exited on SIGTERM in time.
    bool stop(std::chrono::milliseconds patience = std::chrono::seconds(10));
    /// Whether the child is still running (it may have died: see logPath()).
    bool running();

    pid_t pid() const { return pid_; }
    int port() const { return port_; }
    std::string wsUrl() const;
    /// The server's [server] data_dir (its SQLite file, recordings); exists once start()ed.
    std::string dataDir() const { return dir_ + "/data"; }
    /// The server's stderr, kept after the run when keepFiles() was called.
    std::string logPath() const { return dir_ + "/server.log"; }
    /// The temporary directory holding its config, data and log.
    const std::string& directory() const { return dir_; }
    void keepFiles() { keep_ = true; }
    /// GET /api/stats?room=`room` (waits at most 5 s); nothing when the server does not
    /// serve it or the room does not exist.
    std::optional<RoomStats> roomStats(const std::string& room);
    /// `teardownsPending` of GET /api/stats: pipelines and bins still being stopped and freed
    /// on the server's teardown threads; -1 when it cannot be read.
    long teardownsPending();
    /// GET `path` from the server (waits at most `timeout`), with extra request `headers`.
    HttpReply get(const std::string& path,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5),
                  const std::vector<std::pair<std::string, std::string>>& headers = {});
    /// The config file the server was started with (rewrite it, then SIGHUP: a reload).
    std::string configPath() const { return dir_ + "/bench.ini"; }
    /// The child's /proc/PID/status field `key` ("VmRSS", "Threads", "VmSize"): the number.
    long statusField(const std::string& key) const;
    /// Open descriptors of the child (/proc/PID/fd entries).
    long openFds() const;

private:
    struct Reader;

    // Passed by argument.
    ServerSettings settings_;
    // Allocated by this.
    std::string dir_;
    core::GPtr<GSubprocess> process_;
    std::shared_ptr<Reader> reader_;  // stdout lines, shared with the pending async read
    pid_t pid_ = 0;
    int port_ = 0;
    bool keep_ = false;
};

}  // namespace mixmeet::testing
