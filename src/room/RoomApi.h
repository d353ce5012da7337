// What the signaling side (a participant's connection, the reconnect seats, the recordings)
// does to a room. Implemented by room::Room for a room in this process and by
// worker::RemoteRoom for a room in a media worker process (docs/workers.md), so the
// connection code is the same either way. Main thread only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/Result.h"
#include "media/MediaConfig.h"
#include "protocol/MeetingControl.h"
#include "protocol/Messages.h"
#include "room/Moderation.h"
#include "room/ParticipantListener.h"
#include "room/RoomRecording.h"

namespace mixmeet::room {

class RoomApi {
public:
    virtual ~RoomApi() = default;
    virtual const std::string& name() const = 0;

    /// Holds a joiner in the waiting room; returns its waiting id. `listener` gets
    /// onAdmitted() (then joins) or onDenied().
    virtual std::string hold(const std::string& displayName, const Attendee& who,
                             ParticipantListener& listener) = 0;
    /// A waiting joiner went away (idempotent).
    virtual void unhold(const std::string& waitId) = 0;
    /// The participant's connection dropped: its events go to `holder` (Room::park).
    /// Error bad-state for an unknown id.
    virtual core::Status park(const std::string& id, ParticipantListener& holder) = 0;
    /// A new connection takes participant `id` over (Room::resume). Returns the participant's
    /// id from now on: the same, except when its room was rebuilt on another media worker
    /// after a worker crash (then a new id, in a room that has the others coming back).
    /// Errors as Room::resume.
    virtual core::Result<std::string> takeOver(const std::string& id,
                                               ParticipantListener& listener) = 0;
    virtual core::Status applyAnswer(const std::string& id, const std::string& sdp) = 0;
    virtual void addRemoteCandidate(const std::string& id,
                                    const protocol::IceCandidate& candidate) = 0;
    virtual core::Status restartIce(const std::string& id) = 0;
    virtual void broadcastChat(const protocol::ChatLine& line) = 0;
    virtual core::Status setQuality(const std::string& id, const std::string& choice) = 0;
    virtual core::Status setLayout(const std::string& id, const std::string& layout,
                                   const std::string& scope) = 0;
    virtual core::Status setPin(const std::string& id, const std::string& pinned) = 0;
    virtual core::Status startShare(const std::string& id) = 0;
    virtual core::Status stopShare(const std::string& id) = 0;
    virtual core::Status setMediaState(const std::string& id,
                                       const protocol::MediaState& state) = 0;
    virtual core::Status raiseHand(const std::string& id, bool raised) = 0;
    virtual core::Status react(const std::string& id, const std::string& emoji) = 0;
    virtual core::Status hostCommand(const std::string& id,
                                     const protocol::HostCommand& command) = 0;
    virtual core::Status leaveCall(const std::string& id) = 0;
    virtual core::Status rejoinCall(const std::string& id) = 0;
    virtual bool isHost(const std::string& id) const = 0;

    /// Recording (Room::startRecording): `onEnded` is called once, on the main thread.
    virtual core::Status startRecording(const std::string& path, int64_t startedAtMs,
                                        std::function<void(const RecordingEnd&)> onEnded,
                                        RecordingFormat format) = 0;
    virtual core::Status stopRecording() = 0;
    /// The recording now (`on`: one runs).
    virtual protocol::RecordingState recordingState() const = 0;

    // Live streaming (Room, "Live streaming").
    virtual core::Result<std::string> addStreamTarget(const std::string& by, const std::string& url,
                                                      const std::string& key) = 0;
    virtual core::Status removeStreamTarget(const std::string& by, const std::string& id) = 0;
    virtual core::Status setHls(const std::string& by, bool on, const std::string& access) = 0;
    /// What participant `id` is told about the live stream when it joins, while the live
    /// encode or HLS runs; nullopt when neither does.
    virtual std::optional<protocol::StreamingState> streamingForJoiner(
        const std::string& id) const = 0;
    /// HLS of the meeting while it runs: who may watch ("participants" or "anyone") and the
    /// directory of its playlist and segments (absolute). Empty: no HLS.
    struct Hls {
        std::string access;
        std::string directory;
    };
    virtual std::optional<Hls> hls() const = 0;
    /// Whether `token` is the watch token of a guest in the meeting now (Room).
    virtual bool mayWatchWithToken(std::string_view token) const = 0;

    // Server-admin actions (the admin page; MeetingControls::adminRemove, adminEnd).
    /// Error no-such-participant.
    virtual core::Status adminRemove(const std::string& id) = 0;
    virtual void adminEnd() = 0;
};

/// Where the rooms are: room::RoomRegistry (this process) or worker::WorkerPool (media worker
/// processes). Main thread only.
class RoomDirectory {
public:
    virtual ~RoomDirectory() = default;
    struct Joined {
        std::string participantId;
    };
    /// Joins (creating if needed) room `roomName`. Errors as RoomRegistry::join.
    virtual core::Result<Joined> join(const std::string& roomName, const std::string& displayName,
                                      ParticipantListener& listener, const Attendee& who = {},
                                      std::optional<int64_t> owner = {}) = 0;
    /// Whether a join of `roomName` enters or waits. Errors: meeting-locked, waiting-room-full.
    virtual core::Result<Moderation::Admission> screen(const std::string& roomName,
                                                       const Attendee& who) = 0;
    /// Leaves (idempotent; unknown rooms and ids are ignored).
    virtual void leave(const std::string& roomName, const std::string& participantId) = 0;
    /// The room, or null.
    virtual RoomApi* findRoom(const std::string& roomName) = 0;
    virtual const media::MediaConfig& config() const = 0;
};

}  // namespace mixmeet::room
