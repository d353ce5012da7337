#include "worker/WorkerHost.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <variant>

#include "core/Heap.h"
#include "core/Log.h"
#include "core/MainContext.h"
#include "media/Teardown.h"
#include "protocol/Messages.h"
#include "room/RoomReport.h"
#include "worker/Wire.h"

namespace mixmeet::worker {

namespace {

/// Bounds on what the server sends in a call (it validated the client's input already).
constexpr std::size_t kMaxName = 4096;
constexpr std::size_t kMaxSdp = 256 * 1024;
/// A worker's rooms are bounded by the server's [limits] max_rooms, not here.
constexpr int kNoRoomLimit = 1 << 20;
/// How long an exiting worker waits for its pipelines to stop, ms (the server kills it after
/// 3000, WorkerProcess).
constexpr unsigned kTeardownDrainMs = 2000;

room::Attendee attendee(JsonObject* args) {
    room::Attendee who;
    who.userId = optionalId(args, "user");
    return who;
}

/// The client message in member "msg" (the server sends the client's own message form).
template <typename T>
core::Result<T> clientMessage(JsonObject* args) {
    core::JsonReader r(args);
    std::string text = r.string("msg", kMaxSdp);
    if (!r.ok()) return core::makeError("bad-message", r.error());
    auto parsed = protocol::parseClientMessage(text);
    if (!parsed) return parsed.error();
    if (auto* v = std::get_if<T>(&parsed.value())) return *v;
    return core::makeError("bad-message", "msg is not the expected message");
}

}  // namespace

/// Stands for one participant (or waiting joiner) of the server in a room here: what the
/// room tells it goes to the server as an event carrying its key.
class WorkerHost::Participant : public room::ParticipantListener {
public:
    Participant(WorkerHost& host, std::string room, std::string key)
        : host_(host), room_(std::move(room)), key_(std::move(key)) {}
    const std::string& roomName() const { return room_; }
    const std::string& key() const { return key_; }
    std::string id;  ///< The room's id for it, once joined.

    void onOffer(std::string sdp) override { message(protocol::Offer{std::move(sdp)}); }
    void onLocalCandidate(protocol::IceCandidate c) override { message(c); }
    void onRoster(protocol::Roster r) override { message(r); }
    void onChat(const protocol::ChatLine& line) override { message(protocol::ChatEvent{line}); }
    void onQuality(const protocol::Quality& q) override { message(q); }
    void onRecording(const protocol::RecordingState& s) override { message(s); }
    void onStreaming(const protocol::StreamingState& s) override { message(s); }
    void onSendHint(const protocol::SendHint& h) override { message(h); }
    void onLayout(const protocol::LayoutInfo& l) override { message(l); }
    void onMeetingEvent(const protocol::MeetingServerMessage& m) override {
        message(std::visit([](const auto& v) { return protocol::ServerMessage{v}; }, m));
    }
    void onRemoved(std::string reason, std::string code, std::string text) override {
        host_.sendEvent(
            start("removed").str("reason", reason).str("code", code).str("message", text).finish());
        host_.dropLater(key_);
    }
    bool onMediaLost() override {
        // Kept for a reconnect here; the server decides (its connection parks the seat, or
        // it sends leave).
        room::Room* r = host_.registry()->find(room_);
        if (!r || !r->park(id, *this)) return false;
        host_.sendEvent(start("media-lost").finish());
        return true;
    }
    bool onIceRestart() override {
        host_.sendEvent(start("ice-restart").finish());
        return true;
    }
    void onAdmitted() override {
        host_.sendEvent(start("admitted").finish());
        host_.dropLater(key_);  // The joiner joins under a new key.
    }
    void onDenied() override {
        host_.sendEvent(start("denied").finish());
        host_.dropLater(key_);
    }

private:
    core::JsonWriter start(const char* ev) const {
        core::JsonWriter w;
        w.str("t", "event").str("room", room_).str("k", key_).str("ev", ev);
        return w;
    }
    void message(const protocol::ServerMessage& m) {
        host_.sendEvent(start("msg").str("m", protocol::toJson(m)).finish());
    }

    WorkerHost& host_;
    std::string room_;
    std::string key_;
};

WorkerHost::WorkerHost(int fd, std::function<void(const std::string&)> onEnd)
    : channel_(
          fd, [this](JsonObject* m) { onMessage(m); },
          [this](const std::string& why) { onEnd_(why); }),
      onEnd_(std::move(onEnd)) {}

WorkerHost::~WorkerHost() {
    registry_.reset();  // Rooms first: they call their participants' listeners.
    participants_.clear();
}

void WorkerHost::dropLater(const std::string& key) {
    core::postToMain([weak = anchor_.weak(), key] {
        if (WorkerHost* self = core::resolve(weak)) self->participants_.erase(key);
    });
}

WorkerHost::Participant& WorkerHost::participant(const std::string& roomName,
                                                 const std::string& key) {
    auto& p = participants_[key];
    if (!p) p = std::make_unique<Participant>(*this, roomName, key);
    return *p;
}

WorkerHost::Participant* WorkerHost::byId(const std::string& roomName, const std::string& id) {
    for (auto& [key, p] : participants_)
        if (p->roomName() == roomName && p->id == id) return p.get();
    return nullptr;
}

room::Room* WorkerHost::room(JsonObject* args) {
    const char* name = json_object_get_string_member_with_default(args, "room", "");
    return registry_ ? registry_->find(name) : nullptr;
}

void WorkerHost::configure(JsonObject* message) {
    auto media = readMediaConfig(message);
    core::JsonReader r(message);
    std::string pipelines = r.string("pipelines", kMaxName);
    if (r.integer("protocol", 0, 1 << 30) != kProtocolVersion)
        r.fail("protocol " + std::to_string(kProtocolVersion) + " expected");
    if (!r.ok() || !media) {
        channel_.send(errorReply(
            0, core::makeError("bad-message", !r.ok() ? r.error() : media.error().message)));
        onEnd_("bad configure message");
        return;
    }
    auto fragments = media::Fragments::load(pipelines);
    if (!fragments) {
        channel_.send(errorReply(0, fragments.error()));
        onEnd_("cannot load the pipelines");
        return;
    }
    fragments_ = std::make_unique<media::Fragments>(std::move(fragments).value());
    registry_ = std::make_unique<room::RoomRegistry>(media.value(), *fragments_,
                                                     room::Limits{kNoRoomLimit});
    // The hello: the reply to configure (call 0).
    channel_.send(core::JsonWriter()
                      .str("t", "reply")
                      .num("n", 0)
                      .boolean("ok", true)
                      .num("protocol", kProtocolVersion)
                      .num("pid", getpid())
                      .finish());
}

void WorkerHost::onMessage(JsonObject* message) {
    const char* t = json_object_get_string_member_with_default(message, "t", "");
    if (std::strcmp(t, "configure") == 0) {
        configure(message);
        return;
    }
    if (std::strcmp(t, "call") != 0 || !registry_) {
        g_warning("worker: unexpected message \"%s\"", t);
        return;
    }
    const long long seq = json_object_get_int_member_with_default(message, "n", 0);
    const std::string op = json_object_get_string_member_with_default(message, "op", "");
    core::JsonWriter reply;
    reply.str("t", "reply").num("n", seq).boolean("ok", true);
    if (auto done = call(op, message, reply); !done)
        channel_.send(errorReply(seq, done.error()));
    else
        channel_.send(reply.finish());
}

core::Status WorkerHost::call(const std::string& op, JsonObject* args, core::JsonWriter& reply) {
    core::JsonReader r(args);
    const std::string roomName = r.string("room", kMaxName);
    if (!r.ok()) return core::makeError("bad-message", r.error());
    if (op == "join") {
        std::string key = r.string("k", kMaxName);
        std::string name = r.string("name", kMaxName);
        if (!r.ok()) return core::makeError("bad-message", r.error());
        Participant& p = participant(roomName, key);
        const auto minId = optionalId(args, "minId").value_or(0);
        auto joined =
            registry_->joinNumbered(roomName, name, p, attendee(args), optionalId(args, "owner"),
                                    static_cast<unsigned>(std::clamp<int64_t>(minId, 0, 1 << 30)));
        if (!joined) {
            participants_.erase(key);
            return joined.error();
        }
        p.id = joined.value().participantId;
        reply.str("id", p.id);
        return core::Ok{};
    }
    if (op == "screen") {
        auto admission = registry_->screen(roomName, attendee(args));
        if (!admission) return admission.error();
        reply.str("admission",
                  admission.value() == room::Moderation::Admission::Enter ? "enter" : "wait");
        return core::Ok{};
    }
    if (op == "leave") {
        std::string id = r.string("id", kMaxName);
        if (Participant* p = byId(roomName, id)) {
            p->id.clear();  // Not found by its id again before it goes.
            dropLater(p->key());
        }
        registry_->leave(roomName, id);
        return core::Ok{};
    }
    if (op == "ping") return core::Ok{};  // The server's heartbeat.
    if (op == "stop-recordings") {
        // The server is shutting down: each recording ends (its event goes out first).
        registry_->forEach([](room::Room& rm) {
            if (rm.recording()) (void)rm.stopRecording();
        });
        return core::Ok{};
    }
    if (op == "report") {
        reply.beginArray("rooms");
        registry_->forEach([&](const room::Room& rm) {
            if (rm.participantCount() > 0) room::writeReport(reply, room::reportOf(rm));
        });
        reply.endArray();
        room::writeMediaReport(reply, "media", room::processMediaReport());
        return core::Ok{};
    }
    room::Room* rm = room(args);
    if (!rm) return core::makeError(protocol::errc::kBadState, "no such room here");
    if (op == "hls-state") {
        auto h = rm->hls();
        reply.boolean("on", h.has_value());
        if (h) reply.str("access", h->access).str("directory", h->directory);
        return core::Ok{};
    }
    if (op == "may-watch") {
        reply.boolean("allowed", rm->mayWatchWithToken(r.string("token", kMaxName)));
        return core::Ok{};
    }
    if (op == "admin-end") {
        rm->adminEnd();
        return core::Ok{};
    }
    if (op == "hold") {
        std::string key = r.string("k", kMaxName);
        std::string name = r.string("name", kMaxName);
        if (!r.ok()) return core::makeError("bad-message", r.error());
        reply.str("waitId", rm->hold(name, attendee(args), participant(roomName, key)));
        return core::Ok{};
    }
    if (op == "unhold") {
        rm->unhold(r.string("waitId", kMaxName));
        return core::Ok{};
    }
    if (op == "recording-state") {
        reply.str("m", protocol::toJson(rm->recordingState()));
        return core::Ok{};
    }
    if (op == "stop-recording") return rm->stopRecording();
    if (op == "start-recording") {
        std::string path = r.string("path", kMaxName);
        long long startedAt = r.integer("startedAtMs", 0, 1LL << 50);
        long long format = r.integer("format", 0, 2);
        if (!r.ok()) return core::makeError("bad-message", r.error());
        return rm->startRecording(
            path, startedAt,
            [weak = anchor_.weak(), roomName](const room::RecordingEnd& end) {
                if (WorkerHost* self = core::resolve(weak))
                    self->sendEvent(core::JsonWriter()
                                        .str("t", "recording-ended")
                                        .str("room", roomName)
                                        .str("path", end.path)
                                        .num("durationMs", end.durationMs)
                                        .finish());
            },
            static_cast<room::RecordingFormat>(format));
    }
    if (op == "chat") {
        std::string text = r.string("m", kMaxSdp);
        if (!r.ok()) return core::makeError("bad-message", r.error());
        auto parsed = protocol::parseServerMessage(text);
        if (!parsed) return parsed.error();
        auto* event = std::get_if<protocol::ChatEvent>(&parsed.value());
        if (!event) return core::makeError("bad-message", "m is not a chat event");
        rm->broadcastChat(event->message);
        return core::Ok{};
    }
    // Everything below acts for participant `id`.
    const std::string id = r.string("id", kMaxName);
    if (!r.ok()) return core::makeError("bad-message", r.error());
    if (op == "park" || op == "resume") {
        Participant* p = byId(roomName, id);
        if (!p) return core::makeError(protocol::errc::kBadState, "not in the room");
        return op == "park" ? rm->park(id, *p) : rm->resume(id, *p);
    }
    if (op == "answer") return rm->applyAnswer(id, r.string("sdp", kMaxSdp));
    if (op == "candidate") {
        auto c = clientMessage<protocol::IceCandidate>(args);
        if (!c) return c.error();
        rm->addRemoteCandidate(id, c.value());
        return core::Ok{};
    }
    if (op == "restart-ice") return rm->restartIce(id);
    if (op == "quality") return rm->setQuality(id, r.string("choice", kMaxName));
    if (op == "layout")
        return rm->setLayout(id, r.string("layout", kMaxName), r.string("scope", kMaxName));
    if (op == "pin") return rm->setPin(id, r.string("pinned", kMaxName));
    if (op == "share") {
        auto on = r.optBoolean("on");
        return on.value_or(false) ? rm->startShare(id) : rm->stopShare(id);
    }
    if (op == "media-state") {
        auto m = clientMessage<protocol::MediaState>(args);
        if (!m) return m.error();
        return rm->setMediaState(id, m.value());
    }
    if (op == "hand") return rm->raiseHand(id, r.optBoolean("raised").value_or(false));
    if (op == "react") return rm->react(id, r.string("emoji", kMaxName));
    if (op == "host") {
        auto m = clientMessage<protocol::HostCommand>(args);
        if (!m) return m.error();
        return rm->hostCommand(id, m.value());
    }
    if (op == "admin-remove") return rm->adminRemove(id);
    if (op == "leave-call") return rm->leaveCall(id);
    if (op == "rejoin-call") return rm->rejoinCall(id);
    if (op == "is-host") {
        reply.boolean("host", rm->isHost(id));
        return core::Ok{};
    }
    if (op == "streaming-state") {
        // Absent while neither the live encode nor HLS runs.
        if (auto s = rm->streamingForJoiner(id)) reply.str("m", protocol::toJson(*s));
        return core::Ok{};
    }
    if (op == "add-stream") {
        auto added = rm->addStreamTarget(id, r.string("url", kMaxName), r.string("key", kMaxName));
        if (!added) return added.error();
        reply.str("target", added.value());
        return core::Ok{};
    }
    if (op == "remove-stream") return rm->removeStreamTarget(id, r.string("target", kMaxName));
    if (op == "hls") {
        return rm->setHls(id, r.optBoolean("on").value_or(false), r.string("access", kMaxName));
    }
    return core::makeError(protocol::errc::kInternal, "unknown call " + op);
}

namespace {

/// What a worker gives up before it touches client media (docs/workers.md, "Sandbox"): no
/// new privileges (no set-uid binary can raise them), and a private, empty working
/// directory. Returns the directory (removed on exit).
std::string sandbox() {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    g_autoptr(GError) err = nullptr;
    g_autofree char* dir = g_dir_make_tmp("mixmeet-worker-XXXXXX", &err);
    if (!dir || g_chdir(dir) != 0) {
        g_warning("worker: no private working directory: %s", err ? err->message : "chdir");
        return {};
    }
    return dir;
}

/// SIGINT/SIGTERM: ignored. The server decides when a worker ends (it closes the channel
/// after its drain: recordings finished, history rows closed); a terminal's Ctrl-C or
/// systemd's stop reaching the whole process group must not end the rooms under it.
gboolean ignoreSignal(gpointer) {
    g_message("worker %d: signal ignored; the server stops its workers", getpid());
    return G_SOURCE_CONTINUE;
}

}  // namespace

int runWorker(int argc, char** argv) {
    int fd = -1;
    int arenas = 0;
    for (int i = 2; i + 1 < argc; ++i) {
        if (std::strcmp(argv[i], "--fd") == 0) fd = std::atoi(argv[i + 1]);
        if (std::strcmp(argv[i], "--malloc-arenas") == 0) arenas = std::atoi(argv[i + 1]);
    }
    if (fd < 3) {
        std::fprintf(stderr,
                     "usage: mixmeet worker --fd N [--malloc-arenas N] (started by the server)\n");
        return 2;
    }
    // First, before any thread: the server's [limits] malloc_arenas (core/Heap.h).
    core::limitHeapArenas(arenas);
    std::string workdir = sandbox();
    gst_init(&argc, &argv);
    core::initLogging();
    core::setMainContext(g_main_context_default());
    media::Teardown::start();
    GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
    {
        WorkerHost host(fd, [loop](const std::string& why) {
            g_message("worker %d: channel closed (%s); exiting", getpid(), why.c_str());
            g_main_loop_quit(loop);
        });
        const guint term = g_unix_signal_add(SIGTERM, ignoreSignal, nullptr);
        const guint interrupt = g_unix_signal_add(SIGINT, ignoreSignal, nullptr);
        g_main_loop_run(loop);
        g_source_remove(term);
        g_source_remove(interrupt);
    }
    g_main_loop_unref(loop);
    if (!media::Teardown::drain(std::chrono::milliseconds(kTeardownDrainMs)))
        g_warning("worker: media elements still stopping after %u ms", kTeardownDrainMs);
    if (!workdir.empty()) g_rmdir(workdir.c_str());
    // The leaks tracer reports from gst_deinit (tests and the soak read it); an element stuck
    // stopping would keep it waiting.
    if (media::Teardown::pending() == 0) gst_deinit();
    return 0;
}

}  // namespace mixmeet::worker
