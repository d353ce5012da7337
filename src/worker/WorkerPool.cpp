#include "worker/WorkerPool.h"

#include "core/MainContext.h"
#include "protocol/Messages.h"
#include "worker/Wire.h"

namespace mixmeet::worker {

namespace errc = protocol::errc;

namespace {
constexpr unsigned kFirstRestartMs = 100;
constexpr unsigned kMaxRestartMs = 5000;
/// A worker that ran this long before it was lost restarts at kFirstRestartMs again.
constexpr gint64 kStableUs = 10 * G_USEC_PER_SEC;
}  // namespace

WorkerPool::WorkerPool(media::MediaConfig config, Options options)
    : config_(std::move(config)), options_(std::move(options)) {
    configure_ = configureMessage(config_, options_.pipelinesDir);
    const int n = std::max(1, options_.count);
    for (int i = 0; i < n; ++i) {
        workers_.push_back(std::make_unique<WorkerProcess>(
            i, options_.binary, options_.mallocArenas,
            [this](WorkerProcess& w, JsonObject* m) { onMessage(w, m); },
            [this](WorkerProcess& w, const std::string& why) { onLost(w, why); }));
        lastLostUs_.push_back(0);
        backoffMs_.push_back(kFirstRestartMs);
    }
}

WorkerPool::~WorkerPool() {
    heartbeat_.reset();
    stopRecordings();
    rooms_.clear();
    workers_.clear();  // Each closes its channel and waits (bounded) for its process.
}

core::Status WorkerPool::start() {
    for (auto& w : workers_)
        if (auto started = w->start(configure_); !started) return started;
    for (auto& w : workers_)
        if (auto ready = w->awaitReady(options_.startTimeoutMs); !ready) return ready;
    // A worker hung without a call pending (a deadlock, a spin) is found by its heartbeat.
    heartbeat_.reset(g_timeout_source_new(static_cast<guint>(options_.heartbeatMs)));
    g_source_set_callback(
        heartbeat_.get(),
        [](gpointer self) -> gboolean {
            auto* pool = static_cast<WorkerPool*>(self);
            for (auto& w : pool->workers_) w->heartbeat(pool->options_.callTimeoutMs);
            return G_SOURCE_CONTINUE;
        },
        this, nullptr);
    g_source_attach(heartbeat_.get(), core::mainContext());
    return core::Ok{};
}

void WorkerPool::stopRecordings() {
    for (auto& w : workers_) {
        if (!w->running()) continue;
        // The worker sends each recording-ended event before its reply.
        if (w->call("stop-recordings", {}, {}, options_.callTimeoutMs)) w->dispatchPending();
    }
}

std::size_t WorkerPool::runningWorkers() const {
    std::size_t n = 0;
    for (const auto& w : workers_) n += w->running() ? 1 : 0;
    return n;
}

std::size_t WorkerPool::participantCount() const {
    std::size_t n = 0;
    for (const auto& [name, r] : rooms_) n += r->liveCount();
    return n;
}

std::vector<std::pair<int, int>> WorkerPool::runningPids() const {
    std::vector<std::pair<int, int>> out;
    for (const auto& w : workers_)
        if (w->running()) out.emplace_back(w->index(), w->pid());
    return out;
}

int WorkerPool::pidOfRoom(const std::string& roomName) const {
    auto it = rooms_.find(roomName);
    if (it == rooms_.end() || !it->second->worker()) return 0;
    return it->second->worker()->pid();
}

std::vector<room::RoomReport> WorkerPool::reports(room::MediaReport& media) {
    std::vector<room::RoomReport> out;
    for (auto& w : workers_) {
        if (!w->running()) continue;
        auto reply = w->call("report", {}, {}, options_.callTimeoutMs);
        if (!reply) continue;
        JsonObject* o = reply.value().root();
        if (json_object_has_member(o, "media"))
            media.add(room::readMediaReport(json_object_get_object_member(o, "media")));
        if (!json_object_has_member(o, "rooms")) continue;
        JsonArray* rooms = json_object_get_array_member(o, "rooms");
        for (guint i = 0; rooms && i < json_array_get_length(rooms); ++i) {
            auto report = room::readReport(json_array_get_object_element(rooms, i));
            if (report)
                out.push_back(std::move(report).value());
            else
                g_warning("media worker %d: %s", w->index(), report.error().message.c_str());
        }
    }
    return out;
}

WorkerProcess* WorkerPool::place() {
    WorkerProcess* best = nullptr;
    std::size_t bestLoad = 0;
    for (auto& w : workers_) {
        if (!w->running()) continue;
        // Participants weigh most (each costs a webrtcbin, decodes, sends); a room's own
        // pipeline counts as one.
        std::size_t load = 0;
        for (const auto& [name, r] : rooms_)
            if (r->worker() == w.get()) load += r->liveCount() + 1;
        if (!best || load < bestLoad) {
            best = w.get();
            bestLoad = load;
        }
    }
    return best;
}

core::Result<room::RoomDirectory::Joined> WorkerPool::join(const std::string& roomName,
                                                           const std::string& displayName,
                                                           room::ParticipantListener& listener,
                                                           const room::Attendee& who,
                                                           std::optional<int64_t> owner) {
    auto it = rooms_.find(roomName);
    if (it == rooms_.end()) {
        std::size_t live = 0;
        for (const auto& [name, r] : rooms_) live += r->liveCount() > 0 ? 1 : 0;
        if (live >= static_cast<std::size_t>(options_.limits.maxRooms))
            return core::makeError(errc::kRoomLimit,
                                   "The server is hosting as many meetings as it can; try later.");
        it = rooms_.emplace(roomName, std::make_unique<RemoteRoom>(*this, roomName, owner)).first;
    }
    auto id = it->second->join(displayName, listener, who);
    if (!id) {
        sweepLater();
        return id.error();
    }
    return Joined{id.value()};
}

core::Result<room::Moderation::Admission> WorkerPool::screen(const std::string& roomName,
                                                             const room::Attendee& who) {
    auto it = rooms_.find(roomName);
    if (it == rooms_.end()) return room::Moderation::Admission::Enter;
    return it->second->screen(who);
}

void WorkerPool::leave(const std::string& roomName, const std::string& participantId) {
    auto it = rooms_.find(roomName);
    if (it == rooms_.end()) return;
    it->second->leave(participantId);
    sweepLater();
}

room::RoomApi* WorkerPool::findRoom(const std::string& roomName) {
    auto it = rooms_.find(roomName);
    return it == rooms_.end() ? nullptr : it->second.get();
}

void WorkerPool::sweepLater() {
    if (sweepPending_) return;
    sweepPending_ = true;
    core::postToMain([weak = anchor_.weak()] {
        auto* self = core::resolve(weak);
        if (!self) return;
        self->sweepPending_ = false;
        std::erase_if(self->rooms_, [](const auto& e) { return e.second->seatCount() == 0; });
    });
}

void WorkerPool::onMessage(WorkerProcess& w, JsonObject* message) {
    const char* t = json_object_get_string_member_with_default(message, "t", "");
    const char* roomName = json_object_get_string_member_with_default(message, "room", "");
    auto it = rooms_.find(roomName);
    // Events of a room that moved on (its worker was lost) are stale.
    if (it == rooms_.end() || it->second->worker() != &w) return;
    if (g_strcmp0(t, "event") == 0) {
        it->second->onEvent(message);
    } else if (g_strcmp0(t, "recording-ended") == 0) {
        room::RecordingEnd end;
        end.path = json_object_get_string_member_with_default(message, "path", "");
        end.durationMs = json_object_get_int_member_with_default(message, "durationMs", 0);
        it->second->onRecordingEnded(end);
    }
}

void WorkerPool::onLost(WorkerProcess& w, const std::string& why) {
    ++restarts_;
    for (auto& [name, r] : rooms_)
        if (r->worker() == &w) {
            g_warning("room %s: its media worker was lost (%s); participants reconnect",
                      name.c_str(), why.c_str());
            r->onWorkerLost();
        }
    sweepLater();
    restartLater(w);
}

void WorkerPool::restartLater(WorkerProcess& w) {
    const int i = w.index();
    const gint64 now = g_get_monotonic_time();
    backoffMs_[i] = now - lastLostUs_[i] > kStableUs ? kFirstRestartMs
                                                     : std::min(kMaxRestartMs, backoffMs_[i] * 2);
    lastLostUs_[i] = now;
    core::postToMainDelayed(backoffMs_[i], [weak = anchor_.weak(), i] {
        auto* self = core::resolve(weak);
        if (!self || self->workers_[i]->running()) return;
        if (auto started = self->workers_[i]->start(self->configure_); !started) {
            g_warning("%s", started.error().message.c_str());
            self->restartLater(*self->workers_[i]);
        }
    });
}

}  // namespace mixmeet::worker
