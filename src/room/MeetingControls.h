// A room's meeting controls (docs/protocol.md, "Meeting controls"): applies what Moderation
// decides. It tells participants what happened to them (muted-by-host, removed, ...), holds
// the waiting room's connections until the host admits or denies them, broadcasts reactions
// and the lock, and asks the room, through the narrow MeetingControls::RoomAccess interface, to
// enforce the rest (a microphone out of the mix, a camera replaced by the name tile, a
// participant removed, the roster sent again). No GStreamer: unit-tested with a fake room.
//
// Owned by the Room; main thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"
#include "protocol/Messages.h"
#include "room/Moderation.h"
#include "room/ParticipantListener.h"

namespace mixmeet::room {

/// Hook for whoever draws the meeting (the composite's reactions over a tile, marks on tiles):
/// called after the event was broadcast. Main thread.
class MeetingObserver {
public:
    virtual ~MeetingObserver() = default;
    /// A participant reacted with one of protocol::kReactions (already within its budget).
    virtual void onReaction(const std::string& /*participantId*/, const std::string& /*emoji*/) {}
    /// A participant's control state changed (its switches, a host mute, its hand).
    virtual void onControlState(const std::string& /*participantId*/,
                                const ControlState& /*state*/) {}
};

/// The `by` of `removed` and `meeting-ended` when a server admin acted (not a participant).
inline constexpr const char* kAdminActor = "admin";

class MeetingControls {
public:
    /// What the controls need from the room they belong to.
    class RoomAccess {
    public:
        virtual ~RoomAccess() = default;
        /// The listener of a participant in the meeting (in the call or not); null if none.
        virtual ParticipantListener* participant(const std::string& id) = 0;
        /// Everyone in the meeting, in join order.
        virtual std::vector<std::string> participantIds() const = 0;
        /// Mixes (true) or keeps out of the mix (false) the participant's microphone, whatever
        /// it sends.
        virtual void setHeard(const std::string& id, bool heard) = 0;
        /// Shows the participant's camera (true) or its name tile (false).
        virtual void setCameraShown(const std::string& id, bool shown) = 0;
        /// Takes the participant out of the meeting; `reason` is its `bye` reason.
        virtual void removeParticipant(const std::string& id, const std::string& reason) = 0;
        /// Someone's roster flags changed: send the roster to everyone.
        virtual void rosterChanged() = 0;
    };

    /// `owner`: the account that created the meeting (empty for an open room); `roomName` is
    /// for the log.
    MeetingControls(std::string roomName, std::optional<int64_t> owner, RoomAccess& room,
                    ModerationLimits limits = {});
    MeetingControls(const MeetingControls&) = delete;
    MeetingControls& operator=(const MeetingControls&) = delete;

    /// Whether a new joiner enters or waits; errors as Moderation::screen.
    core::Result<Moderation::Admission> screen(const Attendee& who) const {
        return moderation_.screen(who);
    }
    /// Holds a joiner (after screen() said Wait) under id `id` until the host admits it
    /// (listener.onAdmitted()) or denies it (listener.onDenied()). The host is told.
    void hold(const std::string& id, const std::string& name, const Attendee& who,
              ParticipantListener& listener);
    /// A waiting joiner went away (idempotent). The host is told.
    void unhold(const std::string& id);
    /// `id` joined the meeting (it is in Room::participantIds()): it gets `locked`; if the
    /// host rights moved to it, it gets the waiting room.
    void entered(const std::string& id, const Attendee& who, int64_t nowMs);
    /// `id` left the meeting (it is no longer in Room::participantIds()). The host rights pass
    /// on; when nobody is left, everyone still waiting is turned away.
    void left(const std::string& id);

    /// The participant's own switches (`media-state`). Errors no-such-participant,
    /// rate-limited.
    core::Status setMediaState(const std::string& id, const protocol::MediaState& state,
                               int64_t nowMs);
    /// `hand`. Errors no-such-participant, rate-limited.
    core::Status raiseHand(const std::string& id, bool raised, int64_t nowMs);
    /// `reaction`: broadcast to everyone. Errors no-such-participant, rate-limited.
    core::Status react(const std::string& id, const std::string& emoji, int64_t nowMs);
    /// A host action from `actor`. Errors as Moderation::authorize.
    core::Status hostCommand(const std::string& actor, const protocol::HostCommand& command);

    /// A server admin's removal (the admin page): `id` gets `removed` {by: "admin"}, then bye
    /// "removed". Error no-such-participant.
    core::Status adminRemove(const std::string& id);
    /// A server admin ends the meeting: everyone gets `meeting-ended` {by: "admin"}, then bye
    /// "meeting-ended".
    void adminEnd();
    /// Forgets the waiting joiners without telling them (the room is being destroyed with the
    /// server).
    void forgetWaiting() { waiting_.clear(); }
    /// Fills the meeting-control fields (mic, camera, hand, host) of a roster entry.
    void fill(protocol::RosterEntry& entry) const;
    const Moderation& moderation() const { return moderation_; }
    /// The observer (null: none); it must outlive this or be unset first.
    void setObserver(MeetingObserver* observer) { observer_ = observer; }

private:
    /// Makes the room enforce a participant's state and tells the observer.
    void apply(const std::string& id);
    void tell(const std::string& id, const protocol::MeetingServerMessage& message);
    void tellEveryone(const protocol::MeetingServerMessage& message);
    /// Sends the waiting room to the host (if there is one).
    void tellHostWaiting();
    /// Takes a waiting joiner's listener out of the waiting room (null if gone).
    ParticipantListener* takeWaiting(const std::string& id);

    std::string name_;
    Moderation moderation_;
    // Passed by argument.
    RoomAccess& room_;
    MeetingObserver* observer_ = nullptr;
    std::map<std::string, ParticipantListener*> waiting_;  ///< Waiting joiners' connections.
};

}  // namespace mixmeet::room
