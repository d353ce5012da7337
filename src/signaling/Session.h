// Per-connection signaling state machine (docs/protocol.md). No I/O: text comes in through
// onText(), everything the session wants done goes out through its Listener, so tests drive
// it without sockets or GStreamer. Main thread only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/Result.h"
#include "protocol/Messages.h"
#include "signaling/Limits.h"
#include "signaling/TokenBucket.h"

namespace mixmeet::signaling {

/// Where a session is in the join -> offer -> answer flow.
enum class State {
    AwaitingJoin,    ///< Socket open, nothing accepted but `join`.
    Joining,         ///< In Listener::joinRoom.
    AwaitingOffer,   ///< Joined; the media side is preparing the SDP offer.
    AwaitingAnswer,  ///< Offer sent.
    Active,          ///< Answer applied; ICE and media running.
    Presence,        ///< A dashboard registered as online (no media); may place/answer calls.
    Waiting,         ///< Held in the meeting's waiting room until the host admits or denies.
    OutOfCall,       ///< Hung up (`leave-call`): in the meeting (roster, chat), no media.
    Ended,           ///< bye sent or socket closed; ignores everything.
};

/// Whether a join enters the room at once or waits for the host (Session::Listener::screenJoin).
enum class Admission { Enter, Wait };

/// Maximum protocol errors a client may cause before it is disconnected.
constexpr int kMaxErrors = 10;
/// `ice-restart` requests a participant may send at once, and then one per this many seconds
/// (docs/protocol.md, "Limits").
constexpr double kIceRestartBurst = 2;
constexpr double kIceRestartPeriodS = 10;
/// Local candidates remembered for resending after an ICE restart (the server gathers a few).
constexpr std::size_t kMaxSentCandidates = 32;

class Session {
public:
    /// What a session needs from its connection and room. Called synchronously.
    class Listener {
    public:
        virtual ~Listener() = default;
        virtual void sendMessage(const protocol::ServerMessage& message) = 0;
        /// Closes the socket with a WebSocket close code (RFC 6455 section 7.4).
        virtual void closeConnection(unsigned short code, const std::string& reason) = 0;
        /// Adds the participant to the room. Returns the welcome to send, or an Error whose code
        /// is room-full, room-limit, server-busy or internal.
        virtual core::Result<protocol::Welcome> joinRoom(const protocol::Join& join) = 0;
        /// Starts applying the SDP answer. Returns bad-sdp if it cannot be parsed; failures found
        /// later are reported through Session::fail().
        virtual core::Status applyAnswer(const std::string& sdp) = 0;
        virtual void addRemoteCandidate(const protocol::IceCandidate& candidate) = 0;
        /// Called once welcome (and the pending roster) went out after a successful join.
        virtual void onJoined() {}
        /// Removes the participant from its room (idempotent).
        virtual void leaveRoom() = 0;
        /// The socket dropped while in a meeting, without `leave`: keep the participant for a
        /// resume (docs/protocol.md, "Reconnecting"). The default leaves.
        virtual void parkRoom() { leaveRoom(); }
        /// Saves and broadcasts a chat line. Errors are replied as `error` messages.
        virtual core::Status sendChat(const std::string& text) = 0;
        /// Replies (through sendMessage) with a chat-history page older than `before`.
        virtual core::Status requestChatHistory(std::optional<long long> before) = 0;
        /// Marks the signed-in user online for calls. Error "unauthenticated".
        virtual core::Status goOnline() = 0;
        /// Calls a user. Errors: no-such-user, offline, bad-state.
        virtual core::Status placeCall(const std::string& username) = 0;
        /// Accepts or declines a ringing call. Error bad-state for unknown calls.
        virtual core::Status answerCall(const std::string& callId, bool accept) = 0;
        /// The viewer's quality choice (protocol SetQuality::tier).
        virtual core::Status setQuality(const std::string& tier) = 0;
        /// The host starts (on) or stops the meeting's recording. Errors: not-host, bad-state,
        /// no-space, internal.
        virtual core::Status setRecording(bool) { return unsupported(); }
        /// The same, from the whole `record` message: `m.audioOnly` records the full mix alone.
        /// By default as setRecording(m.on).
        virtual core::Status record(const protocol::Record& m) { return setRecording(m.on); }
        /// The host adds or removes an RTMP target of the meeting's live stream. Errors:
        /// not-host, too-many, bad-state, internal.
        virtual core::Status setStream(const protocol::Stream&) { return unsupported(); }
        /// The host starts or stops HLS. Errors: not-host, bad-state, io, internal.
        virtual core::Status setHls(const protocol::Hls&) { return unsupported(); }

        // Meeting controls (docs/protocol.md, "Meeting controls"). The defaults refuse, for
        // listeners without meetings (tests, tools).

        /// Decides, before joinRoom, whether the join enters or waits. On Wait the listener has
        /// put the joiner in the room's waiting room and later calls Session::onAdmitted() or
        /// Session::onDenied(). Errors (sent, then the socket closes): meeting-locked,
        /// waiting-room-full, and any joinRoom error.
        virtual core::Result<Admission> screenJoin(const protocol::Join&) {
            return Admission::Enter;
        }
        /// The participant's own microphone and camera switches.
        virtual core::Status setMediaState(const protocol::MediaState&) { return unsupported(); }
        /// Raises or lowers the participant's hand. Error rate-limited.
        virtual core::Status raiseHand(bool) { return unsupported(); }
        /// Broadcasts a reaction (already one of protocol::kReactions). Error rate-limited.
        virtual core::Status react(const std::string&) { return unsupported(); }
        /// A host action. Errors: not-host, no-such-participant, bad-state.
        virtual core::Status hostCommand(const protocol::HostCommand&) { return unsupported(); }
        /// Ends the participant's media but keeps it in the meeting.
        virtual core::Status leaveCall() { return unsupported(); }
        /// Makes new media for a participant that hung up; the offer comes via onLocalOffer().
        virtual core::Status rejoinCall() { return unsupported(); }
        /// The client asked for an ICE restart (docs/protocol.md, "ICE restart"): the room
        /// restarts ICE on the participant's webrtcbin and calls Session::beginIceRestart();
        /// the new offer comes via onLocalOffer(). Errors: bad-state.
        virtual core::Status restartIce() {
            return core::makeError(protocol::errc::kBadState,
                                   "ICE restarts are not available here");
        }

        /// The viewer's layout choice (protocol SetLayout); scope "meeting" needs host rights
        /// (error "not-host").
        virtual core::Status setLayout(const std::string& layout, const std::string& scope) {
            (void)layout;
            (void)scope;
            return core::makeError("bad-state", "layouts cannot be chosen here");
        }
        /// Pins participant `participantId` for this viewer ("": unpins). Errors:
        /// no-such-participant.
        virtual core::Status setPin(const std::string& participantId) {
            (void)participantId;
            return core::makeError("bad-state", "layouts cannot be chosen here");
        }
        /// Starts (true) or stops (false) sharing the participant's screen (protocol
        /// ShareStart/ShareStop). Errors: share-unavailable, bad-state.
        virtual core::Status shareScreen(bool on) {
            (void)on;
            return core::makeError("bad-state", "screens cannot be shared here");
        }
        /// A monotonic clock, ms (rate limits). Tests override it.
        virtual int64_t monotonicMs();

    protected:
        static core::Error unsupported() {
            return core::makeError(protocol::errc::kUnknownType,
                                   "meeting controls are not available here");
        }
    };

    /// `limits`: the message budget and the ICE candidate policy (docs/security.md).
    explicit Session(Listener& listener, const Limits& limits = {});

    /// A text frame from the client.
    void onText(std::string_view text);
    /// A binary frame from the client (not part of the protocol).
    void onBinary();
    /// The media side created the SDP offer for this participant.
    void onLocalOffer(std::string sdp);
    /// The media side gathered a local ICE candidate.
    void onLocalCandidate(protocol::IceCandidate candidate);
    /// The room's participant list changed.
    void onRoster(protocol::Roster roster);
    /// Ends the session from the server side: optional error, then bye, leave, close.
    void fail(const std::string& byeReason, const std::string& errorCode = {},
              const std::string& errorMessage = {});
    /// The socket closed (either side) without `leave` or `bye`: in a meeting, the participant
    /// is parked for a resume (Listener::parkRoom) if `mayPark`; otherwise it leaves the room.
    /// The connection passes false when the client closed normally (1000) or a transport bound
    /// dropped it.
    void onSocketClosed(bool mayPark = true);
    /// The host admitted this waiting participant: sends `admitted` and joins the room as if
    /// the join had just arrived (welcome, roster, offer). Ignored unless Waiting.
    void onAdmitted();
    /// The host turned this waiting participant away: `denied`, bye `denied`, close.
    void onDenied();
    /// The media side restarts ICE on the participant's connection (asked by the client, or
    /// the server found its media silent): back to AwaitingOffer with a fresh candidate budget;
    /// the next local offer is followed by every local candidate sent before (the client's new
    /// ICE generation needs them again). false (nothing changes) unless Active.
    bool beginIceRestart();
    /// An ICE restart's offer went out and its answer has not been applied yet.
    bool restartingIce() const { return restarting_; }

    State state() const { return state_; }
    /// In a meeting: in its call (joined, any media state) or hung up but staying (OutOfCall).
    bool inMeeting() const;
    int errorCount() const { return errors_; }

private:
    void handle(const protocol::Join& m);
    void handle(const protocol::Answer& m);
    void handle(const protocol::IceCandidate& m);
    void handle(const protocol::Leave& m);
    void handle(const protocol::ChatSend& m);
    void handle(const protocol::ChatHistoryRequest& m);
    void handle(const protocol::Presence& m);
    void handle(const protocol::Call& m);
    void handle(const protocol::CallAnswer& m);
    void handle(const protocol::SetQuality& m);
    void handle(const protocol::Record& m);
    void handle(const protocol::Stream& m);
    void handle(const protocol::Hls& m);
    void handle(const protocol::MediaState& m);
    void handle(const protocol::Hand& m);
    void handle(const protocol::Reaction& m);
    void handle(const protocol::HostCommand& m);
    void handle(const protocol::LeaveCall& m);
    void handle(const protocol::RejoinCall& m);
    /// Joins the room (after screenJoin said Enter, or once admitted).
    void enterRoom(const protocol::Join& m);
    /// In the call: joined and not hung up.
    void handle(const protocol::SetLayout& m);
    void handle(const protocol::ShareStart& m);
    void handle(const protocol::ShareStop& m);
    void handle(const protocol::IceRestart& m);
    bool inRoom() const;
    /// Charges one frame to the message budget; false (error "rate-limited" sent) if over.
    bool admit();
    void replyIfError(const core::Status& status);
    void replyError(const std::string& code, const std::string& message);
    void end(const std::string& reason, unsigned short closeCode);
    /// Sends a local candidate and remembers it for an ICE restart.
    void send(protocol::IceCandidate candidate);

    // Passed by argument.
    Listener& listener_;
    State state_ = State::AwaitingJoin;
    int errors_ = 0;
    std::optional<protocol::Roster> pendingRoster_;          ///< Roster that arrived while Joining.
    std::optional<protocol::Join> heldJoin_;                 ///< The join that is Waiting.
    std::vector<protocol::IceCandidate> pendingCandidates_;  ///< Gathered before the offer.
    Limits limits_;
    TokenBucket messages_;      ///< Every frame from the client.
    int remoteCandidates_ = 0;  ///< Candidates accepted from the client.
    /// `ice-restart` requests (kIceRestartBurst at once, then one per kIceRestartPeriodS).
    TokenBucket iceRestarts_;
    bool restarting_ = false;  ///< An ICE restart is waiting for its offer or answer.
    /// Local candidates sent for the current media session (at most kMaxSentCandidates), sent
    /// again after an ICE restart's offer.
    std::vector<protocol::IceCandidate> sentCandidates_;
};

}  // namespace mixmeet::signaling
