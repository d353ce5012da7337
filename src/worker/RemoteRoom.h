// A room that runs in a media worker process, as the server's connections see it
// (room::RoomApi over worker::WorkerProcess::call; docs/workers.md). It keeps each
// participant's seat: its key on the channel, its id, the listener that gets its events
// (a connection, or a parked seat), its name and account. When the worker is lost, every
// seat is told (ParticipantListener::onMediaLost: parked for a reconnect, or removed); a seat
// taken over afterwards joins the room again on a running worker (takeOver), keeping its
// connection's history row. Main thread only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/Anchor.h"
#include "room/RoomApi.h"

namespace mixmeet::worker {

class WorkerPool;
class WorkerProcess;

class RemoteRoom : public room::RoomApi {
public:
    RemoteRoom(WorkerPool& pool, std::string name, std::optional<int64_t> owner);

    /// Joins on `worker` (the room's, or the one it is placed on). Errors as Room::join.
    core::Result<std::string> join(const std::string& displayName,
                                   room::ParticipantListener& listener, const room::Attendee& who);
    /// The participant leaves (idempotent).
    void leave(const std::string& id);
    core::Result<room::Moderation::Admission> screen(const room::Attendee& who);
    /// An event from the room's worker ({"t":"event",...}).
    void onEvent(JsonObject* event);
    /// The recording of this room ended in the worker.
    void onRecordingEnded(const room::RecordingEnd& end);
    /// The room's worker was lost: every seat is told; the room rejoins a worker when one
    /// of them comes back.
    void onWorkerLost();
    WorkerProcess* worker() const { return worker_; }
    /// Seats (in the room, parked or waiting).
    std::size_t seatCount() const { return seats_.size(); }
    /// Participants in the worker's room now.
    std::size_t liveCount() const;

    // room::RoomApi
    const std::string& name() const override { return name_; }
    std::string hold(const std::string& displayName, const room::Attendee& who,
                     room::ParticipantListener& listener) override;
    void unhold(const std::string& waitId) override;
    core::Status park(const std::string& id, room::ParticipantListener& holder) override;
    core::Result<std::string> takeOver(const std::string& id,
                                       room::ParticipantListener& listener) override;
    core::Status applyAnswer(const std::string& id, const std::string& sdp) override;
    void addRemoteCandidate(const std::string& id,
                            const protocol::IceCandidate& candidate) override;
    core::Status restartIce(const std::string& id) override;
    void broadcastChat(const protocol::ChatLine& line) override;
    core::Status setQuality(const std::string& id, const std::string& choice) override;
    core::Status setLayout(const std::string& id, const std::string& layout,
                           const std::string& scope) override;
    core::Status setPin(const std::string& id, const std::string& pinned) override;
    core::Status startShare(const std::string& id) override;
    core::Status stopShare(const std::string& id) override;
    core::Status setMediaState(const std::string& id, const protocol::MediaState& state) override;
    core::Status raiseHand(const std::string& id, bool raised) override;
    core::Status react(const std::string& id, const std::string& emoji) override;
    core::Status hostCommand(const std::string& id, const protocol::HostCommand& command) override;
    core::Status leaveCall(const std::string& id) override;
    core::Status rejoinCall(const std::string& id) override;
    bool isHost(const std::string& id) const override;
    core::Status startRecording(const std::string& path, int64_t startedAtMs,
                                std::function<void(const room::RecordingEnd&)> onEnded,
                                room::RecordingFormat format) override;
    core::Status stopRecording() override;
    protocol::RecordingState recordingState() const override;
    core::Result<std::string> addStreamTarget(const std::string& by, const std::string& url,
                                              const std::string& key) override;
    core::Status removeStreamTarget(const std::string& by, const std::string& id) override;
    core::Status setHls(const std::string& by, bool on, const std::string& access) override;
    std::optional<protocol::StreamingState> streamingForJoiner(
        const std::string& id) const override;
    std::optional<Hls> hls() const override;
    bool mayWatchWithToken(std::string_view token) const override;
    core::Status adminRemove(const std::string& id) override;
    void adminEnd() override;

private:
    struct Seat {
        std::string key;  ///< Its key on the channel (unique in the pool).
        std::string id;   ///< Participant id, or waiting id.
        room::ParticipantListener* listener = nullptr;
        std::string displayName;
        room::Attendee who;
        bool waiting = false;
        bool live = false;  ///< In the worker's room (false after the worker was lost).
    };
    Seat* seatById(const std::string& id);
    Seat* seatByKey(const std::string& key);
    void erase(const std::string& key);
    /// One call about participant `id` (its "id" member added). Error bad-state when the
    /// seat is not in the worker's room.
    core::Result<core::JsonDocument> callFor(const char* op, const std::string& id,
                                             const std::function<void(core::JsonWriter&)>& args);
    core::Result<core::JsonDocument> call(const char* op,
                                          const std::function<void(core::JsonWriter&)>& args) const;
    core::Status status(core::Result<core::JsonDocument> reply) const;
    /// A worker for the room: its own, or one placed now. Null: none running.
    WorkerProcess* ensureWorker();
    /// Remembers the highest "pN"/"wN" number handed out (ids of a rebuilt room skip them).
    void noteId(const std::string& id);

    WorkerPool& pool_;
    std::string name_;
    std::optional<int64_t> owner_;
    WorkerProcess* worker_ = nullptr;
    std::vector<Seat> seats_;
    unsigned nextIdFloor_ = 1;
    std::function<void(const room::RecordingEnd&)> recordingEnded_;
    std::string recordingPath_;
    core::Anchor<RemoteRoom> anchor_{this};
};

}  // namespace mixmeet::worker
