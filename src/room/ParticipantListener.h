// How a room talks to whoever represents a participant (the signaling connection).
#pragma once

#include <string>

#include "protocol/Messages.h"

namespace mixmeet::room {

/// Events for one participant, on the main thread.
class ParticipantListener {
public:
    virtual ~ParticipantListener() = default;
    virtual void onOffer(std::string sdp) = 0;
    virtual void onLocalCandidate(protocol::IceCandidate candidate) = 0;
    virtual void onRoster(protocol::Roster roster) = 0;
    /// A chat line was posted in the room (by anyone, this participant included).
    virtual void onChat(const protocol::ChatLine& line) = 0;
    /// The viewer's tier changed (or was confirmed after a choice).
    virtual void onQuality(const protocol::Quality& quality) = 0;
    /// The meeting's recording started or stopped.
    virtual void onRecording(const protocol::RecordingState& state) = 0;
    /// The meeting's live stream changed (targets, their state, HLS).
    virtual void onStreaming(const protocol::StreamingState& state) { (void)state; }
    /// The size this participant is shown at changed (layout re-flow).
    virtual void onSendHint(const protocol::SendHint& hint) = 0;
    /// What this viewer's composite shows changed (layout, speaker, tiles).
    virtual void onLayout(const protocol::LayoutInfo& layout) { (void)layout; }
    /// The room dropped this participant (reason: "ice-failed", "bad-sdp", "internal"); it is
    /// already out of the room when this is called.
    virtual void onRemoved(std::string reason, std::string code, std::string message) = 0;
    /// This participant's media went silent or its ICE failed while it is in the room (not
    /// parked). Return true if the listener parked it for a reconnect (Room::park() called,
    /// the client told to come back with its resume token); false: the room removes it
    /// ("ice-failed").
    virtual bool onMediaLost() { return false; }
    /// The room restarts ICE on this participant's connection (its media went silent or its
    /// ICE failed, or the client asked): return true if the listener can carry the new offer
    /// and its answer (the client's socket is up and in the call); false: the room falls back
    /// to onMediaLost().
    virtual bool onIceRestart() { return false; }
    /// Whether this listener stands in for a connection that dropped (a parked seat waiting
    /// for its client to come back), rather than a live connection.
    virtual bool parked() const { return false; }

    // Meeting controls (docs/protocol.md, "Meeting controls"); defaults ignore them.
    /// A meeting-control message for this participant (muted-by-host, unmute-request,
    /// removed, meeting-ended, reaction, locked, waiting-room).
    virtual void onMeetingEvent(const protocol::MeetingServerMessage&) {}
    /// This participant waited in the waiting room and the host admitted it: join now.
    virtual void onAdmitted() {}
    /// This participant waited and was turned away (the host denied it, or the meeting
    /// ended); it is out of the waiting room already.
    virtual void onDenied() {}
};

}  // namespace mixmeet::room
