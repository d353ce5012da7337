// Who may do what in a meeting, and the meeting-control state the room enforces: the host,
// host transfer, each participant's microphone/camera/hand state (their own switches and the
// host's mutes), the lock and the waiting room. Pure bookkeeping: no I/O, no GStreamer; the
// Room applies what it decides (docs/protocol.md, "Meeting controls"). Main thread only.
//
// Host rules (docs/protocol.md, "Who is host"):
// - An account meeting's host is its creator (store::Meeting::hostUserId) while present: when
//   the creator joins they take the host rights back, unless another of their own
//   connections holds them. Before the creator first joins nobody is host.
// - An open room's ([auth] open_rooms) host is its first joiner.
// - `make-host` hands the rights to another participant (the sender loses them).
// - When the host leaves the meeting the rights pass to another connection of the creator if
//   one is there, else to the longest-present signed-in participant, else to the
//   longest-present participant. Hanging up (`leave-call`) is not leaving the meeting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"
#include "protocol/MeetingControl.h"
#include "signaling/TokenBucket.h"

namespace mixmeet::room {

/// Who a participant is, as far as host rights and the waiting room care.
struct Attendee {
    std::optional<int64_t> userId;  ///< The signed-in account; empty for guests and open rooms.
};

/// Bounds on what a participant may send (docs/security.md, "Meeting controls").
struct ModerationLimits {
    /// Reactions per participant: 5 at once, then one a second.
    signaling::TokenBucket::Config reactions{1.0, 5};
    /// Hand raises and lowers per participant: 4 at once, then 12 a minute.
    signaling::TokenBucket::Config hands{12 / 60.0, 4};
    /// Changes of a participant's media state (each is a roster to everyone): 10 at once,
    /// then 2 a second.
    signaling::TokenBucket::Config mediaStates{2.0, 10};
    /// Joiners the waiting room holds; the next gets waiting-room-full.
    std::size_t maxWaiting = 50;
};

/// A participant's meeting-control state.
struct ControlState {
    bool mic = true;            ///< Their own microphone switch (`media-state`).
    bool camera = true;         ///< Their own camera switch.
    bool hostMuted = false;     ///< The host muted the microphone; lifted by mic on.
    bool videoStopped = false;  ///< The host stopped the camera; lifted by camera on.
    bool hand = false;          ///< Hand raised.
    /// Whether the microphone goes into the mix.
    bool heard() const { return mic && !hostMuted; }
    /// Whether the camera is drawn (otherwise the name tile).
    bool shown() const { return camera && !videoStopped; }
};

class Moderation {
public:
    /// `owner`: the account that created the meeting; empty for an open room.
    explicit Moderation(std::optional<int64_t> owner, ModerationLimits limits = {});

    enum class Admission {
        Enter,  ///< Joins at once.
        Wait,   ///< Held in the waiting room until the host admits or denies it.
    };
    /// What happens to a new joiner. The creator always enters. Errors: meeting-locked (the
    /// host locked the meeting), waiting-room-full (it would wait and the room holds
    /// ModerationLimits::maxWaiting). A joiner waits when the host turned the waiting room on,
    /// a host is present to admit it, and it is not signed in (in open rooms nobody is).
    core::Result<Admission> screen(const Attendee& who) const;

    /// `id` is now in the meeting (joined, or admitted from the waiting room). Returns true if
    /// the host changed (the first joiner of an open room, the creator arriving).
    bool enter(const std::string& id, const Attendee& who, int64_t nowMs);
    /// `id` left the meeting (any reason; unknown ids are ignored). Returns true if the host
    /// changed (the rights passed on, or nobody is left to hold them). When nobody is left,
    /// the lock and the waiting room are off again.
    bool leave(const std::string& id);

    /// Holds a joiner in the waiting room (after screen() said Wait).
    void hold(const std::string& id, const std::string& name, const Attendee& who);
    /// Forgets a waiting joiner that went away (idempotent).
    void unhold(const std::string& id);
    const std::vector<protocol::WaitingEntry>& waiting() const { return waiting_; }
    /// The waiting room as the host sees it.
    protocol::WaitingRoomState waitingRoomState() const { return {waitingRoom_, waiting_}; }

    /// The participant's own switches. A microphone turned on lifts a host mute; a camera
    /// turned on lifts a host stop-video. Returns whether anything changed. Errors:
    /// no-such-participant, rate-limited (over ModerationLimits::mediaStates; not applied). A
    /// repeat of the current state is free.
    core::Result<bool> setMediaState(const std::string& id, const protocol::MediaState& state,
                                     int64_t nowMs);
    /// Raises or lowers a hand. Returns whether it changed. Errors: no-such-participant,
    /// rate-limited (over ModerationLimits::hands; the toggle is not applied).
    core::Result<bool> setHand(const std::string& id, bool raised, int64_t nowMs);
    /// Charges a reaction to the sender. Errors: no-such-participant, rate-limited.
    core::Status react(const std::string& id, int64_t nowMs);

    /// What a host action requires of the room, once moderation state is updated.
    struct Effect {
        std::vector<std::string> muted;         ///< Host-muted now (tell them, drop from mix).
        std::vector<std::string> videoStopped;  ///< Camera stopped now (name tile).
        std::optional<std::string> askUnmute;   ///< Ask this participant to unmute.
        std::optional<std::string> removed;     ///< Remove this participant.
        std::vector<protocol::WaitingEntry> admitted;  ///< Let these in, in this order.
        std::vector<protocol::WaitingEntry> denied;    ///< Turn these away.
        bool ended = false;                            ///< End the meeting for everyone.
        bool hostChanged = false;     ///< Roster (and the new host's waiting list) to send.
        bool lockChanged = false;     ///< `locked` to everyone.
        bool waitingChanged = false;  ///< `waiting-room` to the host.
        bool rosterChanged = false;   ///< Someone's mic/camera/host flag changed.
    };
    /// Checks that `actor` may do `command` now, without changing anything. Errors: not-host
    /// (the actor is not the host), no-such-participant (the target is not in the meeting, or
    /// for admit/deny not waiting), bad-state (removing yourself: use `leave`).
    core::Status authorize(const std::string& actor, const protocol::HostCommand& command) const;
    /// authorize(), then applies the command to the moderation state and says what the room
    /// must do. Removing a participant here does not make it leave: the room calls leave().
    core::Result<Effect> apply(const std::string& actor, const protocol::HostCommand& command);

    /// The host's participant id; empty when nobody holds the rights.
    const std::string& host() const { return host_; }
    bool isHost(const std::string& id) const { return !host_.empty() && host_ == id; }
    bool locked() const { return locked_; }
    bool waitingRoomEnabled() const { return waitingRoom_; }
    /// A participant's state; null for unknown ids.
    const ControlState* state(const std::string& id) const;
    bool isPresent(const std::string& id) const { return members_.count(id) != 0; }
    bool isWaiting(const std::string& id) const;

private:
    struct Member {
        Attendee who;
        uint64_t order = 0;  ///< Arrival order (lower: longer present).
        ControlState state;
        signaling::TokenBucket reactions;
        signaling::TokenBucket hands;
        signaling::TokenBucket mediaStates;
    };
    bool isOwner(const Attendee& who) const { return owner_ && who.userId == owner_; }
    /// Who takes the host rights when the host leaves (rules in the header comment).
    std::string successor() const;

    std::optional<int64_t> owner_;
    ModerationLimits limits_;
    std::map<std::string, Member> members_;
    std::vector<protocol::WaitingEntry> waiting_;  ///< In arrival order.
    std::map<std::string, Attendee> waitingWho_;
    std::string host_;
    bool locked_ = false;
    bool waitingRoom_ = false;
    uint64_t nextOrder_ = 0;
};

}  // namespace mixmeet::room
