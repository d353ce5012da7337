#include "worker/WorkerProcess.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "core/MainContext.h"
#include "protocol/Messages.h"
#include "worker/Wire.h"

namespace mixmeet::worker {

namespace {

/// In the child between fork and exec: the worker dies with the server.
void childSetup(gpointer) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

}  // namespace

WorkerProcess::WorkerProcess(int index, std::string binary, int mallocArenas,
                             MessageHandler onMessage, LostHandler onLost)
    : index_(index),
      binary_(std::move(binary)),
      mallocArenas_(mallocArenas),
      onMessage_(std::move(onMessage)),
      onLost_(std::move(onLost)) {}

WorkerProcess::~WorkerProcess() {
    lost_ = true;      // No report while the pool goes away.
    channel_.reset();  // The worker sees the channel close and exits.
    if (!process_) return;
    // A bounded wait for a clean exit (its pipelines stopping), then SIGKILL.
    const gint64 deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (!exited_ && g_get_monotonic_time() < deadline)
        if (!g_main_context_iteration(core::mainContext(), FALSE)) g_usleep(5000);
    if (!exited_) {
        g_warning("media worker %d (pid %d) still stopping after 3000 ms: killed", index_, pid_);
        g_subprocess_force_exit(process_.get());
    }
}

core::Status WorkerProcess::start(const std::string& configure) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        return core::makeError("internal", std::string("socketpair: ") + std::strerror(errno));
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
    g_subprocess_launcher_take_fd(launcher, fds[1], 3);  // The child's end, as descriptor 3.
    g_subprocess_launcher_set_child_setup(launcher, childSetup, nullptr, nullptr);
    core::ErrorOut err;
    const std::string arenas = std::to_string(mallocArenas_);
    const char* argv[] = {binary_.c_str(),   "worker",       "--fd", "3",
                          "--malloc-arenas", arenas.c_str(), nullptr};
    process_ =
        core::GPtr<GSubprocess>::adopt(g_subprocess_launcher_spawnv(launcher, argv, err.out()));
    if (!process_) {
        ::close(fds[0]);
        return core::makeError("internal",
                               std::string("cannot start a media worker: ") + err.message());
    }
    pid_ = std::atoi(g_subprocess_get_identifier(process_.get()));
    lost_ = false;
    ready_ = false;
    exited_ = false;
    pingSeq_ = 0;
    auto weak = anchor_.weak();
    channel_ = std::make_unique<Channel>(
        fds[0],
        [weak](JsonObject* m) {
            auto* self = core::resolve(weak);
            if (!self) return;
            const char* t = json_object_get_string_member_with_default(m, "t", "");
            if (std::strcmp(t, "reply") != 0) {
                self->onMessage_(*self, m);
                return;
            }
            const long long n = json_object_get_int_member_with_default(m, "n", -1);
            if (n == 0 && !self->ready_) {
                if (auto hello = self->onHello(m); !hello)  // Killed: a restart follows.
                    g_warning("%s", hello.error().message.c_str());
            } else if (n == self->pingSeq_) {
                self->pingSeq_ = 0;  // Alive.
            }                        // Other replies came after their call gave up: dropped.
        },
        [weak](const std::string& why) {
            if (auto* self = core::resolve(weak)) self->lose(why);
        });
    g_subprocess_wait_async(
        process_.get(), nullptr,
        [](GObject* source, GAsyncResult* result, gpointer data) {
            auto* w = static_cast<std::weak_ptr<WorkerProcess*>*>(data);
            g_subprocess_wait_finish(G_SUBPROCESS(source), result, nullptr);
            auto* self = core::resolve(*w);
            if (self && self->process_.get() == G_SUBPROCESS(source)) {
                self->exited_ = true;
                GSubprocess* p = G_SUBPROCESS(source);
                self->lose(g_subprocess_get_if_signaled(p)
                               ? std::string("killed by signal ") +
                                     std::to_string(g_subprocess_get_term_sig(p))
                               : "exited with status " +
                                     std::to_string(g_subprocess_get_exit_status(p)));
            }
            delete w;
        },
        new std::weak_ptr<WorkerProcess*>(weak));
    channel_->send(configure);  // The first frame; the hello replies to it as call 0.
    return core::Ok{};
}

core::Status WorkerProcess::onHello(JsonObject* reply) {
    std::string problem;
    if (auto error = replyError(reply))
        problem = error->message;
    else if (json_object_get_int_member_with_default(reply, "protocol", 0) != kProtocolVersion)
        problem = "the worker speaks another protocol version";
    if (!problem.empty()) {
        kill();
        return core::makeError("internal",
                               "media worker " + std::to_string(index_) + ": " + problem);
    }
    ready_ = true;
    g_message("media worker %d ready (pid %d)", index_, pid_);
    return core::Ok{};
}

core::Status WorkerProcess::awaitReady(int timeoutMs) {
    if (ready_) return core::Ok{};
    if (!channel_ || lost_) return core::makeError("internal", "the media worker is not running");
    auto hello = channel_->awaitReply(0, timeoutMs);
    if (!hello) {
        kill();
        return core::makeError("internal", "media worker " + std::to_string(index_) +
                                               " did not start: " + hello.error().message);
    }
    return onHello(hello.value().root());
}

core::Result<core::JsonDocument> WorkerProcess::call(
    const char* op, const std::string& room, const std::function<void(core::JsonWriter&)>& args,
    int timeoutMs) {
    if (!running())
        return core::makeError(protocol::errc::kServerBusy,
                               "The meeting's media process is restarting; try again.");
    const long long seq = nextSeq_++;
    core::JsonWriter w;
    w.str("t", "call").num("n", seq).str("op", op).str("room", room);
    if (args) args(w);
    auto reply = channel_->request(w.finish(), seq, timeoutMs);
    if (!reply) {
        g_warning("media worker %d (pid %d): call %s: %s", index_, pid_, op,
                  reply.error().message.c_str());
        if (reply.error().code == "timeout") kill();  // Hung: treated as crashed.
        return core::makeError(protocol::errc::kServerBusy,
                               "The meeting's media process did not answer; try again.");
    }
    if (auto error = replyError(reply.value().root())) return *error;
    return reply;
}

void WorkerProcess::heartbeat(int timeoutMs) {
    if (!running()) return;
    const gint64 now = g_get_monotonic_time();
    if (pingSeq_ != 0) {
        if (now - pingSentUs_ > gint64{timeoutMs} * 1000) {
            g_warning("media worker %d (pid %d) did not answer a ping within %d ms: killed", index_,
                      pid_, timeoutMs);
            kill();
        }
        return;
    }
    pingSeq_ = nextSeq_++;
    pingSentUs_ = now;
    channel_->send(core::JsonWriter()
                       .str("t", "call")
                       .num("n", pingSeq_)
                       .str("op", "ping")
                       .str("room", "")
                       .finish());
}

void WorkerProcess::kill() {
    if (process_ && !exited_) g_subprocess_send_signal(process_.get(), SIGKILL);
    if (channel_) channel_->close();
    lose("killed");
}

void WorkerProcess::lose(const std::string& why) {
    if (lost_) return;
    lost_ = true;
    g_warning("media worker %d (pid %d) lost: %s", index_, pid_, why.c_str());
    if (channel_) channel_->close();
    // Reported from the main loop: the caller may be in the middle of a call on it.
    core::postToMain([weak = anchor_.weak(), why] {
        if (auto* self = core::resolve(weak)) self->onLost_(*self, why);
    });
}

}  // namespace mixmeet::worker
