// One media worker process as the server sees it (docs/workers.md): started with one end of
// a socketpair as descriptor 3, configured, then called. A worker whose channel closes or
// whose process exits is lost (reported once); the pool restarts it. Main thread only.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <string>

#include "core/Anchor.h"
#include "core/GstPtr.h"
#include "core/Json.h"
#include "core/Result.h"
#include "worker/Channel.h"

namespace mixmeet::worker {

class WorkerProcess {
public:
    using MessageHandler = std::function<void(WorkerProcess&, JsonObject*)>;
    using LostHandler = std::function<void(WorkerProcess&, const std::string& why)>;

    /// `mallocArenas`: passed on (`--malloc-arenas`, core::limitHeapArenas; 0: glibc's).
    WorkerProcess(int index, std::string binary, int mallocArenas, MessageHandler onMessage,
                  LostHandler onLost);
    ~WorkerProcess();
    WorkerProcess(const WorkerProcess&) = delete;
    WorkerProcess& operator=(const WorkerProcess&) = delete;

    /// Starts the process and sends it `configure` (worker::configureMessage); its hello
    /// (the reply to configure) makes it running(), read by the main loop or by awaitReady().
    /// Error "internal": the process cannot be started.
    core::Status start(const std::string& configure);
    /// Waits up to `timeoutMs` for the hello, blocking (server start-up). Error "internal":
    /// a fatal reply, another protocol version or no hello in time (the process is killed).
    core::Status awaitReady(int timeoutMs);
    /// One call ({"t":"call","op":op,"room":room,"n":...} plus what `args` writes); waits up to
    /// `timeoutMs` for the reply. A worker that does not answer in time is killed (lost).
    /// Errors: the reply's error; "server-busy" if the worker is gone or did not answer.
    core::Result<core::JsonDocument> call(const char* op, const std::string& room,
                                          const std::function<void(core::JsonWriter&)>& args,
                                          int timeoutMs);
    /// Hands the frames received so far (events that came with a call's reply) to the
    /// message handler now.
    void dispatchPending() {
        if (channel_) channel_->dispatchPending();
    }
    /// The heartbeat, every few seconds (WorkerPool): sends a ping without waiting; a worker
    /// whose previous ping is unanswered after `timeoutMs` is hung and killed (then lost).
    void heartbeat(int timeoutMs);
    /// Kills the process (SIGKILL); it is then lost.
    void kill();
    bool running() const { return ready_ && channel_ && channel_->isOpen() && !lost_; }
    int pid() const { return pid_; }
    int index() const { return index_; }

private:
    void lose(const std::string& why);
    /// The reply to configure: running, or killed. Error as awaitReady().
    core::Status onHello(JsonObject* reply);

    int index_;
    std::string binary_;
    int mallocArenas_;
    MessageHandler onMessage_;
    LostHandler onLost_;
    core::GPtr<GSubprocess> process_;
    std::unique_ptr<Channel> channel_;
    int pid_ = 0;
    bool lost_ = true;       ///< Not running (before start, after it was lost).
    bool ready_ = false;     ///< Its hello arrived.
    bool exited_ = false;    ///< The process was reaped.
    long long pingSeq_ = 0;  ///< The unanswered ping's call number; 0: none.
    gint64 pingSentUs_ = 0;
    long long nextSeq_ = 1;
    core::Anchor<WorkerProcess> anchor_{this};
};

}  // namespace mixmeet::worker
