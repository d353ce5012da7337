#include "worker/RemoteRoom.h"

#include <algorithm>
#include <cstdlib>

#include "core/MainContext.h"
#include "protocol/Messages.h"
#include "worker/Wire.h"
#include "worker/WorkerPool.h"
#include "worker/WorkerProcess.h"

namespace mixmeet::worker {

namespace errc = protocol::errc;

namespace {

core::Error restarting() {
    return core::makeError(errc::kBadState,
                           "The meeting's media is restarting; you will be reconnected.");
}

void writeWho(core::JsonWriter& w, const room::Attendee& who) {
    if (who.userId) w.num("user", *who.userId);
}

std::string member(JsonObject* o, const char* name) {
    return json_object_get_string_member_with_default(o, name, "");
}

/// The server message of type T in member "m" of a reply; nullopt when the call failed or
/// the reply has none.
template <typename T>
std::optional<T> messageIn(const core::Result<core::JsonDocument>& reply) {
    if (!reply || !json_object_has_member(reply.value().root(), "m")) return std::nullopt;
    auto parsed = protocol::parseServerMessage(member(reply.value().root(), "m"));
    if (!parsed) return std::nullopt;
    if (auto* m = std::get_if<T>(&parsed.value())) return *m;
    return std::nullopt;
}

}  // namespace

RemoteRoom::RemoteRoom(WorkerPool& pool, std::string name, std::optional<int64_t> owner)
    : pool_(pool), name_(std::move(name)), owner_(owner) {}

std::size_t RemoteRoom::liveCount() const {
    return static_cast<std::size_t>(std::count_if(
        seats_.begin(), seats_.end(), [](const Seat& s) { return s.live && !s.waiting; }));
}

RemoteRoom::Seat* RemoteRoom::seatById(const std::string& id) {
    for (auto& s : seats_)
        if (s.id == id) return &s;
    return nullptr;
}

RemoteRoom::Seat* RemoteRoom::seatByKey(const std::string& key) {
    for (auto& s : seats_)
        if (s.key == key) return &s;
    return nullptr;
}

void RemoteRoom::erase(const std::string& key) {
    std::erase_if(seats_, [&](const Seat& s) { return s.key == key; });
    if (seats_.empty()) pool_.sweepLater();
}

void RemoteRoom::noteId(const std::string& id) {
    if (id.size() < 2) return;
    const unsigned n = static_cast<unsigned>(std::strtoul(id.c_str() + 1, nullptr, 10));
    nextIdFloor_ = std::max(nextIdFloor_, n + 1);
}

WorkerProcess* RemoteRoom::ensureWorker() {
    if (worker_ && worker_->running()) return worker_;
    if (worker_) return nullptr;  // Lost: onWorkerLost() runs from the main loop next.
    worker_ = pool_.place();
    return worker_;
}

core::Result<core::JsonDocument> RemoteRoom::call(
    const char* op, const std::function<void(core::JsonWriter&)>& args) const {
    if (!worker_) return restarting();
    return worker_->call(op, name_, args, pool_.callTimeoutMs());
}

core::Result<core::JsonDocument> RemoteRoom::callFor(
    const char* op, const std::string& id, const std::function<void(core::JsonWriter&)>& args) {
    Seat* s = seatById(id);
    if (!s) return core::makeError(errc::kBadState, "not in the room");
    if (!s->live) return restarting();
    return call(op, [&](core::JsonWriter& w) {
        w.str("id", id);
        if (args) args(w);
    });
}

core::Status RemoteRoom::status(core::Result<core::JsonDocument> reply) const {
    if (!reply) return reply.error();
    return core::Ok{};
}

core::Result<std::string> RemoteRoom::join(const std::string& displayName,
                                           room::ParticipantListener& listener,
                                           const room::Attendee& who) {
    if (!ensureWorker())
        return core::makeError(errc::kServerBusy, "No media worker is running; try again.");
    Seat seat{pool_.newKey(), {}, &listener, displayName, who, false, true};
    auto reply = call("join", [&](core::JsonWriter& w) {
        w.str("k", seat.key).str("name", displayName).num("minId", nextIdFloor_);
        writeWho(w, who);
        if (owner_) w.num("owner", *owner_);
    });
    if (!reply) return reply.error();
    seat.id = member(reply.value().root(), "id");
    noteId(seat.id);
    seats_.push_back(seat);
    return seat.id;
}

void RemoteRoom::leave(const std::string& id) {
    Seat* s = seatById(id);
    if (!s) return;
    const bool live = s->live;
    erase(s->key);
    if (live) (void)call("leave", [&](core::JsonWriter& w) { w.str("id", id); });
}

core::Result<room::Moderation::Admission> RemoteRoom::screen(const room::Attendee& who) {
    if (liveCount() == 0 || !worker_) return room::Moderation::Admission::Enter;
    auto reply = call("screen", [&](core::JsonWriter& w) { writeWho(w, who); });
    if (!reply) return reply.error();
    return member(reply.value().root(), "admission") == "wait" ? room::Moderation::Admission::Wait
                                                               : room::Moderation::Admission::Enter;
}

std::string RemoteRoom::hold(const std::string& displayName, const room::Attendee& who,
                             room::ParticipantListener& listener) {
    Seat seat{pool_.newKey(), {}, &listener, displayName, who, true, true};
    auto reply = call("hold", [&](core::JsonWriter& w) {
        w.str("k", seat.key).str("name", displayName);
        writeWho(w, who);
    });
    if (!reply) {
        // The waiting room went with its worker: the joiner is turned away (it may knock
        // again), once its connection has taken the waiting id (from the main loop).
        seat.id = "w-lost-" + seat.key;
        seat.live = false;
        seats_.push_back(seat);
        core::postToMain([weak = anchor_.weak(), key = seat.key] {
            auto* self = core::resolve(weak);
            Seat* s = self ? self->seatByKey(key) : nullptr;
            if (!s || !s->listener) return;
            room::ParticipantListener* l = s->listener;
            self->erase(key);
            l->onDenied();
        });
        return seat.id;
    }
    seat.id = member(reply.value().root(), "waitId");
    noteId(seat.id);
    seats_.push_back(seat);
    return seat.id;
}

void RemoteRoom::unhold(const std::string& waitId) {
    Seat* s = seatById(waitId);
    if (!s || !s->waiting) return;
    const bool live = s->live;
    erase(s->key);
    if (live) (void)call("unhold", [&](core::JsonWriter& w) { w.str("waitId", waitId); });
}

core::Status RemoteRoom::park(const std::string& id, room::ParticipantListener& holder) {
    Seat* s = seatById(id);
    if (!s) return core::makeError(errc::kBadState, "not in the room");
    s->listener = &holder;
    if (!s->live) return core::Ok{};  // Kept here until it comes back (takeOver).
    return status(callFor("park", id, {}));
}

core::Result<std::string> RemoteRoom::takeOver(const std::string& id,
                                               room::ParticipantListener& listener) {
    Seat* s = seatById(id);
    if (!s) return core::makeError(errc::kBadState, "not in the room");
    if (s->live) {
        auto resumed = callFor("resume", id, {});
        if (!resumed) {
            if (Seat* gone = seatById(id)) erase(gone->key);  // Room::resume removed it.
            return resumed.error();
        }
        s = seatById(id);
        if (s) s->listener = &listener;
        return id;
    }
    // Its worker was lost: it joins the room again, rebuilt on a running worker.
    const std::string key = s->key;
    Seat copy = *s;
    erase(key);
    auto joined = join(copy.displayName, listener, copy.who);
    if (!joined) return joined.error();
    g_message("room %s: %s came back as %s after its media worker was lost", name_.c_str(),
              id.c_str(), joined.value().c_str());
    return joined;
}

core::Status RemoteRoom::applyAnswer(const std::string& id, const std::string& sdp) {
    return status(callFor("answer", id, [&](core::JsonWriter& w) { w.str("sdp", sdp); }));
}

void RemoteRoom::addRemoteCandidate(const std::string& id, const protocol::IceCandidate& c) {
    (void)callFor("candidate", id, [&](core::JsonWriter& w) {
        w.str("msg", protocol::toJson(protocol::ClientMessage{c}));
    });
}

core::Status RemoteRoom::restartIce(const std::string& id) {
    return status(callFor("restart-ice", id, {}));
}

void RemoteRoom::broadcastChat(const protocol::ChatLine& line) {
    if (!worker_ || !worker_->running()) {
        // The room's worker is restarting: the line reaches the connections straight away.
        for (auto& s : seats_)
            if (!s.waiting && s.listener) s.listener->onChat(line);
        return;
    }
    (void)call("chat", [&](core::JsonWriter& w) {
        w.str("m", protocol::toJson(protocol::ServerMessage{protocol::ChatEvent{line}}));
    });
}

core::Status RemoteRoom::setQuality(const std::string& id, const std::string& choice) {
    return status(callFor("quality", id, [&](core::JsonWriter& w) { w.str("choice", choice); }));
}

core::Status RemoteRoom::setLayout(const std::string& id, const std::string& layout,
                                   const std::string& scope) {
    return status(callFor(
        "layout", id, [&](core::JsonWriter& w) { w.str("layout", layout).str("scope", scope); }));
}

core::Status RemoteRoom::setPin(const std::string& id, const std::string& pinned) {
    return status(callFor("pin", id, [&](core::JsonWriter& w) { w.str("pinned", pinned); }));
}

core::Status RemoteRoom::startShare(const std::string& id) {
    return status(callFor("share", id, [](core::JsonWriter& w) { w.boolean("on", true); }));
}

core::Status RemoteRoom::stopShare(const std::string& id) {
    return status(callFor("share", id, [](core::JsonWriter& w) { w.boolean("on", false); }));
}

core::Status RemoteRoom::setMediaState(const std::string& id, const protocol::MediaState& state) {
    return status(callFor("media-state", id, [&](core::JsonWriter& w) {
        w.str("msg", protocol::toJson(protocol::ClientMessage{state}));
    }));
}

core::Status RemoteRoom::raiseHand(const std::string& id, bool raised) {
    return status(callFor("hand", id, [&](core::JsonWriter& w) { w.boolean("raised", raised); }));
}

core::Status RemoteRoom::react(const std::string& id, const std::string& emoji) {
    return status(callFor("react", id, [&](core::JsonWriter& w) { w.str("emoji", emoji); }));
}

core::Status RemoteRoom::hostCommand(const std::string& id, const protocol::HostCommand& command) {
    return status(callFor("host", id, [&](core::JsonWriter& w) {
        w.str("msg", protocol::toJson(protocol::ClientMessage{command}));
    }));
}

core::Status RemoteRoom::leaveCall(const std::string& id) {
    return status(callFor("leave-call", id, {}));
}

core::Status RemoteRoom::rejoinCall(const std::string& id) {
    return status(callFor("rejoin-call", id, {}));
}

bool RemoteRoom::isHost(const std::string& id) const {
    auto reply = call("is-host", [&](core::JsonWriter& w) { w.str("id", id); });
    return reply &&
           json_object_get_boolean_member_with_default(reply.value().root(), "host", FALSE);
}

core::Status RemoteRoom::startRecording(const std::string& path, int64_t startedAtMs,
                                        std::function<void(const room::RecordingEnd&)> onEnded,
                                        room::RecordingFormat format) {
    auto reply = call("start-recording", [&](core::JsonWriter& w) {
        w.str("path", path).num("startedAtMs", startedAtMs).num("format", static_cast<int>(format));
    });
    if (!reply) return reply.error();
    recordingEnded_ = std::move(onEnded);
    recordingPath_ = path;
    return core::Ok{};
}

core::Status RemoteRoom::stopRecording() {
    return status(call("stop-recording", {}));
}

void RemoteRoom::onRecordingEnded(const room::RecordingEnd& end) {
    if (auto done = std::exchange(recordingEnded_, {})) done(end);
}

protocol::RecordingState RemoteRoom::recordingState() const {
    return messageIn<protocol::RecordingState>(call("recording-state", {}))
        .value_or(protocol::RecordingState{});
}

core::Result<std::string> RemoteRoom::addStreamTarget(const std::string& by, const std::string& url,
                                                      const std::string& key) {
    auto reply =
        callFor("add-stream", by, [&](core::JsonWriter& w) { w.str("url", url).str("key", key); });
    if (!reply) return reply.error();
    return member(reply.value().root(), "target");
}

core::Status RemoteRoom::removeStreamTarget(const std::string& by, const std::string& id) {
    return status(callFor("remove-stream", by, [&](core::JsonWriter& w) { w.str("target", id); }));
}

core::Status RemoteRoom::setHls(const std::string& by, bool on, const std::string& access) {
    return status(callFor("hls", by,
                          [&](core::JsonWriter& w) { w.boolean("on", on).str("access", access); }));
}

std::optional<protocol::StreamingState> RemoteRoom::streamingForJoiner(
    const std::string& id) const {
    return messageIn<protocol::StreamingState>(
        call("streaming-state", [&](core::JsonWriter& w) { w.str("id", id); }));
}

std::optional<room::RoomApi::Hls> RemoteRoom::hls() const {
    auto reply = call("hls-state", {});
    if (!reply || !json_object_get_boolean_member_with_default(reply.value().root(), "on", FALSE))
        return std::nullopt;
    return Hls{member(reply.value().root(), "access"), member(reply.value().root(), "directory")};
}

bool RemoteRoom::mayWatchWithToken(std::string_view token) const {
    auto reply =
        call("may-watch", [&](core::JsonWriter& w) { w.str("token", std::string(token)); });
    return reply &&
           json_object_get_boolean_member_with_default(reply.value().root(), "allowed", FALSE);
}

core::Status RemoteRoom::adminRemove(const std::string& id) {
    return status(call("admin-remove", [&](core::JsonWriter& w) { w.str("id", id); }));
}

void RemoteRoom::adminEnd() {
    (void)call("admin-end", {});
}

void RemoteRoom::onEvent(JsonObject* event) {
    const std::string key = member(event, "k");
    const std::string ev = member(event, "ev");
    Seat* s = seatByKey(key);
    if (!s || !s->listener) return;
    room::ParticipantListener* l = s->listener;
    if (ev == "msg") {
        auto parsed = protocol::parseServerMessage(member(event, "m"));
        if (!parsed) {
            g_warning("room %s: a worker event does not parse: %s", name_.c_str(),
                      parsed.error().message.c_str());
            return;
        }
        std::visit(
            [&](auto& m) {
                using T = std::decay_t<decltype(m)>;
                if constexpr (std::is_same_v<T, protocol::Offer>)
                    l->onOffer(std::move(m.sdp));
                else if constexpr (std::is_same_v<T, protocol::IceCandidate>)
                    l->onLocalCandidate(std::move(m));
                else if constexpr (std::is_same_v<T, protocol::Roster>)
                    l->onRoster(std::move(m));
                else if constexpr (std::is_same_v<T, protocol::ChatEvent>)
                    l->onChat(m.message);
                else if constexpr (std::is_same_v<T, protocol::Quality>)
                    l->onQuality(m);
                else if constexpr (std::is_same_v<T, protocol::RecordingState>)
                    l->onRecording(m);
                else if constexpr (std::is_same_v<T, protocol::StreamingState>)
                    l->onStreaming(m);
                else if constexpr (std::is_same_v<T, protocol::SendHint>)
                    l->onSendHint(m);
                else if constexpr (std::is_same_v<T, protocol::LayoutInfo>)
                    l->onLayout(m);
                else if constexpr (std::is_constructible_v<protocol::MeetingServerMessage, T>)
                    l->onMeetingEvent(protocol::MeetingServerMessage{m});
            },
            parsed.value());
    } else if (ev == "removed") {
        erase(key);
        l->onRemoved(member(event, "reason"), member(event, "code"), member(event, "message"));
    } else if (ev == "media-lost") {
        // The worker parked it; the listener parks its seat for a reconnect, or it goes.
        const std::string id = s->id;
        if (!l->onMediaLost()) {
            leave(id);
            l->onRemoved("ice-failed", {}, {});
        }
    } else if (ev == "ice-restart") {
        (void)l->onIceRestart();
    } else if (ev == "admitted" || ev == "denied") {
        erase(key);
        if (ev == "admitted")
            l->onAdmitted();
        else
            l->onDenied();
    }
}

void RemoteRoom::onWorkerLost() {
    worker_ = nullptr;
    // The recording ends where its worker stopped writing (its row is closed from the file).
    if (auto done = std::exchange(recordingEnded_, {})) done(room::RecordingEnd{recordingPath_, 0});
    std::vector<std::string> keys;
    for (auto& s : seats_) {
        s.live = false;
        keys.push_back(s.key);
    }
    for (const auto& key : keys) {
        Seat* s = seatByKey(key);
        if (!s || !s->listener) continue;
        room::ParticipantListener* l = s->listener;
        if (s->waiting) {
            erase(key);
            l->onDenied();
            continue;
        }
        if (l->parked()) continue;       // Waits for its client; takeOver() rebuilds it.
        if (l->onMediaLost()) continue;  // Parked now: its client is told to come back.
        erase(key);
        l->onRemoved("media-lost", errc::kInternal,
                     "The meeting's media stopped; please join again.");
    }
}

}  // namespace mixmeet::worker
