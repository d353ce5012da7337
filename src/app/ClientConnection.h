// One signaling WebSocket: glues the libsoup connection, the protocol Session, the
// participant's place in a room (or the user's presence on the dashboard), the meeting's
// history row and chat. Main thread only. Owned by the Server; reports its end through the
// onClosed callback (the Server then destroys it at the next iteration).
#pragma once

#include <libsoup/soup.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/Api.h"
#include "app/ChatService.h"
#include "app/MeetingHistory.h"
#include "app/Presence.h"
#include "app/Reconnects.h"
#include "app/Recordings.h"
#include "core/GstPtr.h"
#include "room/ParticipantListener.h"
#include "room/RoomApi.h"
#include "signaling/KeyedBuckets.h"
#include "signaling/Limits.h"
#include "signaling/Session.h"
#include "signaling/TokenBucket.h"
#include "store/Store.h"

namespace mixmeet::app {

/// What connections share; owned by the Server.
struct ConnectionServices {
    room::RoomDirectory& rooms;  ///< In this process, or in media workers.
    store::Store& store;
    api::Api& api;
    Presence& presence;
    bool openRooms = false;  ///< [auth] open_rooms: plain room names without accounts.
    std::function<int64_t()> nowMs;
    /// [signaling]: message, chat and history budgets, ICE candidate policy.
    signaling::Limits limits = {};
    /// Chat budget of each signed-in account, over all its connections (null: per connection).
    std::unique_ptr<signaling::KeyedBuckets> chatByAccount = {};
    /// Who may record, and the recordings' rows (null: recording is refused).
    Recordings* recordings = nullptr;
    /// Resume tokens and parked participants (null: a dropped socket leaves at once and
    /// `resume` is refused).
    Reconnects* reconnects = nullptr;
};

class ClientConnection : public signaling::Session::Listener,
                         public room::ParticipantListener,
                         public MessageSink,
                         private Reconnects::Holder {
public:
    using ClosedHandler = std::function<void(ClientConnection*)>;

    /// `identity`: the signed-in user of the handshake, if any.
    ClientConnection(SoupWebsocketConnection* connection, std::optional<api::Identity> identity,
                     ConnectionServices& services, ClosedHandler onClosed);
    ~ClientConnection() override;
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    /// Ends the session for a server shutdown: bye "server-shutdown", leave the room (history
    /// row closed), close (1001).
    void shutdown() { session_.fail("server-shutdown"); }
    /// Ends the session because its sign-in ended (sign-out, password change or reset): bye
    /// "signed-out", leave the room, close (1008). Nothing more is accepted on it.
    void endSession() { session_.fail("signed-out"); }
    /// The signed-in user of the handshake, if any.
    const std::optional<api::Identity>& identity() const { return identity_; }

    // signaling::Session::Listener (sendMessage also serves MessageSink)
    void sendMessage(const protocol::ServerMessage& message) override;
    void closeConnection(unsigned short code, const std::string& reason) override;
    core::Result<protocol::Welcome> joinRoom(const protocol::Join& join) override;
    void onJoined() override;
    core::Status applyAnswer(const std::string& sdp) override;
    void addRemoteCandidate(const protocol::IceCandidate& candidate) override;
    void leaveRoom() override;
    void parkRoom() override;
    core::Status sendChat(const std::string& text) override;
    core::Status requestChatHistory(std::optional<long long> before) override;
    core::Status goOnline() override;
    core::Status placeCall(const std::string& username) override;
    core::Status answerCall(const std::string& callId, bool accept) override;
    core::Status setQuality(const std::string& tier) override;
    core::Status setRecording(bool on) override;
    core::Status record(const protocol::Record& m) override;
    core::Status setStream(const protocol::Stream& m) override;
    core::Status setHls(const protocol::Hls& m) override;
    core::Result<signaling::Admission> screenJoin(const protocol::Join& join) override;
    core::Status setMediaState(const protocol::MediaState& state) override;
    core::Status raiseHand(bool raised) override;
    core::Status react(const std::string& emoji) override;
    core::Status hostCommand(const protocol::HostCommand& command) override;
    core::Status leaveCall() override;
    core::Status rejoinCall() override;
    core::Status restartIce() override;
    core::Status setLayout(const std::string& layout, const std::string& scope) override;
    core::Status setPin(const std::string& participantId) override;
    core::Status shareScreen(bool on) override;

    // room::ParticipantListener
    void onOffer(std::string sdp) override;
    void onLocalCandidate(protocol::IceCandidate candidate) override;
    void onRoster(protocol::Roster roster) override;
    void onChat(const protocol::ChatLine& line) override;
    void onQuality(const protocol::Quality& quality) override;
    void onSendHint(const protocol::SendHint& hint) override;
    void onRecording(const protocol::RecordingState& state) override;
    void onStreaming(const protocol::StreamingState& state) override;
    void onLayout(const protocol::LayoutInfo& layout) override;
    void onRemoved(std::string reason, std::string code, std::string message) override;
    bool onMediaLost() override;
    bool onIceRestart() override;
    void onMeetingEvent(const protocol::MeetingServerMessage& message) override;
    void onAdmitted() override;
    void onDenied() override;

private:
    /// Where a join goes: the room, whether it is a stored meeting, the name shown, who joins.
    struct JoinTarget {
        std::string room;
        bool meeting = false;
        std::optional<int64_t> owner;  ///< The meeting's creator.
        std::string name;
        room::Attendee who;
    };
    /// Errors: no-such-meeting, unauthenticated.
    core::Result<JoinTarget> resolveJoin(const protocol::Join& join);
    /// A join with `resume`: takes over the seat of the token (Reconnects::take) and rebuilds
    /// its media (Room::resume). Error resume-failed (and those of Room::resume).
    core::Result<protocol::Welcome> resumeRoom(const protocol::Join& join, const JoinTarget& t);
    /// The welcome for the room joined (ICE servers, video format, a fresh resume token).
    protocol::Welcome makeWelcome();
    /// Hands our seat over and forgets it here (no leave, the history row stays open).
    Reconnects::Seat takeSeat();
    // Reconnects::Holder
    Reconnects::Seat releaseSeat() override;
    static void onMessage(SoupWebsocketConnection*, gint type, GBytes* message,
                          gpointer self) noexcept;
    static void onClosedSignal(SoupWebsocketConnection*, gpointer self) noexcept;
    room::RoomApi* room();
    /// Takes one chat line from the sender's budget (the account's, or this connection's for
    /// guests). Error "rate-limited" when it is spent.
    core::Status chargeChat();
    /// Sends a chat-history page (no budget: also used for the page sent after joining).
    core::Status sendChatHistory(std::optional<long long> before);

    core::GPtr<SoupWebsocketConnection> connection_;
    std::optional<api::Identity> identity_;
    // Passed by argument.
    ConnectionServices& services_;
    ClosedHandler onClosed_;
    signaling::Session session_{*this, services_.limits};
    signaling::TokenBucket connectionChat_;  ///< Guests' chat budget (per connection).
    signaling::TokenBucket historyRequests_;
    std::string room_;           ///< Room joined ("" when none).
    std::string participantId_;  ///< Our id in that room.
    std::string displayName_;
    bool meeting_ = false;  ///< The room is a stored meeting (history, persisted chat).
    ChatService chat_{services_.store};        ///< Stored chat of meetings.
    MeetingHistory history_{services_.store};  ///< Our row in the meeting's history.
    bool online_ = false;
    /// Meeting-control messages that came during join (sent after the welcome).
    std::vector<protocol::ServerMessage> pendingMeeting_;
    std::string waitId_;  ///< Our id in room_'s waiting room while the session is Waiting.
    std::optional<protocol::SendHint> pendingHint_;      ///< Layout hint that came during join.
    std::optional<protocol::LayoutInfo> pendingLayout_;  ///< Layout that came during join.
    gulong messageHandler_ = 0;
    gulong closedHandler_ = 0;
};

}  // namespace mixmeet::app
