#include "app/ClientConnection.h"

#include <utility>

#include "auth/MeetingId.h"
#include "core/Log.h"
#include "http/WebSocketGuard.h"

#define GST_CAT_DEFAULT mixmeet_http_debug

namespace mixmeet::app {

namespace errc = protocol::errc;

namespace {
/// Appended to a guest's chosen name in meetings.
constexpr const char* kGuestSuffix = " (guest)";
}  // namespace

ClientConnection::ClientConnection(SoupWebsocketConnection* connection,
                                   std::optional<api::Identity> identity,
                                   ConnectionServices& services, ClosedHandler onClosed)
    : connection_(core::GPtr<SoupWebsocketConnection>::ref(connection)),
      identity_(std::move(identity)),
      services_(services),
      onClosed_(std::move(onClosed)),
      connectionChat_(services.limits.chat(), g_get_monotonic_time() / 1000),
      historyRequests_(services.limits.history(), g_get_monotonic_time() / 1000) {
    messageHandler_ = g_signal_connect(connection, "message", G_CALLBACK(onMessage), this);
    closedHandler_ = g_signal_connect(connection, "closed", G_CALLBACK(onClosedSignal), this);
}

ClientConnection::~ClientConnection() {
    g_signal_handler_disconnect(connection_.get(), messageHandler_);
    g_signal_handler_disconnect(connection_.get(), closedHandler_);
    shutdown();  // No-op if the socket already closed and ended the session.
    leaveRoom();
    if (soup_websocket_connection_get_state(connection_.get()) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(connection_.get(), SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                        "shutdown");
}

void ClientConnection::onMessage(SoupWebsocketConnection*, gint type, GBytes* message,
                                 gpointer self) noexcept {
    auto* c = static_cast<ClientConnection*>(self);
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
        c->session_.onBinary();
        return;
    }
    gsize size = 0;
    const char* data = static_cast<const char*>(g_bytes_get_data(message, &size));
    c->session_.onText(std::string_view(data ? data : "", size));
}

void ClientConnection::onClosedSignal(SoupWebsocketConnection* ws, gpointer self) noexcept {
    auto* c = static_cast<ClientConnection*>(self);
    // A normal closure (1000) from the client is a leave; a bound that dropped it is final.
    // Anything else (no close frame, 1001 going away, a page's 4000) may come back: parked.
    const bool normal = soup_websocket_connection_get_close_code(ws) == SOUP_WEBSOCKET_CLOSE_NORMAL;
    c->session_.onSocketClosed(!normal && !http::closedByBound(ws));
    c->onClosed_(c);
}

void ClientConnection::sendMessage(const protocol::ServerMessage& message) {
    if (soup_websocket_connection_get_state(connection_.get()) != SOUP_WEBSOCKET_STATE_OPEN) return;
    // Bounded: a client that does not read is dropped past [limits] max_send_queue_bytes.
    http::sendText(connection_.get(), protocol::toJson(message));
}

void ClientConnection::closeConnection(unsigned short code, const std::string& reason) {
    if (soup_websocket_connection_get_state(connection_.get()) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(connection_.get(), code, reason.c_str());
}

room::RoomApi* ClientConnection::room() {
    return services_.rooms.findRoom(room_);
}

core::Result<ClientConnection::JoinTarget> ClientConnection::resolveJoin(
    const protocol::Join& join) {
    // A meeting ID names a stored meeting; other names are plain rooms, allowed only when the
    // admin opened them ([auth] open_rooms) for development and load tests.
    JoinTarget t;
    t.room = join.room;
    std::optional<store::Meeting> stored;
    if (auto m = services_.api.meeting(join.room)) {
        stored = m.value();
        t.room = stored->id;
        t.meeting = true;
        t.owner = stored->hostUserId;
    } else if (!services_.openRooms) {
        return core::makeError(errc::kNoSuchMeeting, "There is no meeting " + join.room + ".");
    }
    if (t.meeting && !identity_ && !stored->allowGuests)
        return core::makeError(errc::kUnauthenticated, "Please sign in to join this meeting.");
    // A guest's name is marked, so nobody can pass for the host or another account holder
    // (docs/security.md, "Guests are marked").
    t.name = identity_   ? identity_->user.displayName
             : t.meeting ? join.name + kGuestSuffix
                         : join.name;
    // Open rooms have no accounts: everyone there is a guest to the host rules.
    if (identity_ && t.meeting) t.who.userId = identity_->user.id;
    return t;
}

core::Result<signaling::Admission> ClientConnection::screenJoin(const protocol::Join& join) {
    auto target = resolveJoin(join);
    if (!target) return target.error();
    const JoinTarget& t = target.value();
    // A resume takes over a participant that is in the meeting already.
    if (!join.resume.empty()) return signaling::Admission::Enter;
    auto admission = services_.rooms.screen(t.room, t.who);
    if (!admission) return admission.error();
    if (admission.value() == room::Moderation::Admission::Enter) return signaling::Admission::Enter;
    room::RoomApi* r = services_.rooms.findRoom(t.room);
    if (!r) return signaling::Admission::Enter;
    room_ = t.room;
    waitId_ = r->hold(t.name, t.who, *this);
    return signaling::Admission::Wait;
}

core::Result<protocol::Welcome> ClientConnection::joinRoom(const protocol::Join& join) {
    auto target = resolveJoin(join);
    if (!target) return target.error();
    if (!join.resume.empty()) return resumeRoom(join, target.value());
    const std::string& roomName = target.value().room;
    const std::string& name = target.value().name;
    const bool meeting = target.value().meeting;
    waitId_.clear();

    auto joined =
        services_.rooms.join(roomName, name, *this, target.value().who, target.value().owner);
    if (!joined) return joined.error();
    room_ = roomName;
    participantId_ = joined.value().participantId;
    displayName_ = name;
    meeting_ = meeting;
    if (meeting) {
        std::optional<int64_t> userId;
        if (identity_) userId = identity_->user.id;
        history_.open(roomName, userId, name, services_.nowMs());
    }
    return makeWelcome();
}

core::Result<protocol::Welcome> ClientConnection::resumeRoom(const protocol::Join& join,
                                                             const JoinTarget& t) {
    if (!services_.reconnects)
        return core::makeError(errc::kResumeFailed, "Reconnecting is not available here.");
    std::optional<int64_t> userId;
    if (identity_) userId = identity_->user.id;
    auto taken = services_.reconnects->take(join.resume, t.room, userId);
    if (!taken) return taken.error();
    Reconnects::Seat seat = std::move(taken).value();
    room_ = seat.room;
    participantId_ = seat.participantId;
    displayName_ = seat.displayName;
    meeting_ = seat.meeting;
    history_.adopt(seat.historyRow);
    room::RoomApi* r = room();
    core::Result<std::string> resumed =
        r ? r->takeOver(participantId_, *this)
          : core::Result<std::string>(core::makeError(errc::kBadState, "no such room"));
    if (resumed) participantId_ = resumed.value();
    if (!resumed) {
        // Out of the room (Room::resume removed it): its stay ends here.
        history_.close(services_.nowMs());
        room_.clear();
        participantId_.clear();
        return core::makeError(
            errc::kResumeFailed,
            "The meeting could not take you back (" + resumed.error().message + "); join afresh.");
    }
    protocol::Welcome w = makeWelcome();
    w.resumed = true;
    return w;
}

protocol::Welcome ClientConnection::makeWelcome() {
    const media::MediaConfig& m = services_.rooms.config();
    protocol::Welcome w;
    w.participantId = participantId_;
    w.room = room_;
    for (const auto& stun : m.stunServers) w.iceServers.push_back({{stun}, {}, {}});
    for (const auto& turn : m.turnServers) {
        // turn://user:password@host:port -> {urls: ["turn:host:port"], username, credential}
        std::string rest = turn.substr(turn.find("://") + 3);
        std::string scheme = turn.substr(0, turn.find("://"));
        protocol::IceServer s;
        auto at = rest.rfind('@');
        if (at != std::string::npos) {
            std::string cred = rest.substr(0, at);
            auto colon = cred.find(':');
            s.username = cred.substr(0, colon);
            if (colon != std::string::npos) s.credential = cred.substr(colon + 1);
            rest = rest.substr(at + 1);
        }
        s.urls.push_back(scheme + ":" + rest);
        w.iceServers.push_back(std::move(s));
    }
    w.width = m.width;
    w.height = m.height;
    w.framerate = m.framerate;
    if (services_.reconnects && services_.reconnects->graceMs() > 0) {
        std::optional<int64_t> userId;
        if (identity_) userId = identity_->user.id;
        w.resumeToken = services_.reconnects->issue(*this, room_, userId);
    }
    return w;
}

Reconnects::Seat ClientConnection::takeSeat() {
    Reconnects::Seat seat;
    seat.room = std::exchange(room_, {});
    seat.participantId = std::exchange(participantId_, {});
    seat.displayName = displayName_;
    seat.meeting = meeting_;
    if (identity_) seat.userId = identity_->user.id;
    seat.historyRow = history_.release();
    return seat;
}

Reconnects::Seat ClientConnection::releaseSeat() {
    Reconnects::Seat seat = takeSeat();
    g_message("room %s: %s reconnected on another connection", seat.room.c_str(),
              seat.participantId.c_str());
    session_.fail("replaced");
    return seat;
}

bool ClientConnection::onMediaLost() {
    if (!services_.reconnects || participantId_.empty() || !session_.inMeeting()) return false;
    Reconnects::Seat seat = takeSeat();
    if (!services_.reconnects->park(*this, seat)) {
        room_ = std::move(seat.room);
        participantId_ = std::move(seat.participantId);
        history_.adopt(seat.historyRow);
        return false;
    }
    // Parked: the page comes back with its resume token and a new PeerConnection.
    session_.fail("media-lost");
    return true;
}

bool ClientConnection::onIceRestart() {
    return session_.beginIceRestart();
}

core::Status ClientConnection::restartIce() {
    room::RoomApi* r = room();
    if (!r) return core::makeError(errc::kBadState, "not in a room");
    return r->restartIce(participantId_);
}

void ClientConnection::parkRoom() {
    if (online_ || !waitId_.empty() || participantId_.empty() || !services_.reconnects) {
        leaveRoom();
        return;
    }
    Reconnects::Seat seat = takeSeat();
    if (services_.reconnects->park(*this, seat)) return;
    // Not kept (no grace period): leave as before.
    room_ = std::move(seat.room);
    participantId_ = std::move(seat.participantId);
    history_.adopt(seat.historyRow);
    leaveRoom();
}

void ClientConnection::onJoined() {
    if (pendingHint_) {
        sendMessage(*pendingHint_);
        pendingHint_.reset();
    }
    if (room::RoomApi* r = room()) {
        if (protocol::RecordingState recording = r->recordingState(); recording.on)
            sendMessage(recording);
        if (auto streaming = r->streamingForJoiner(participantId_)) sendMessage(*streaming);
    }
    for (const auto& m : std::exchange(pendingMeeting_, {})) sendMessage(m);
    if (pendingLayout_) {
        sendMessage(*pendingLayout_);
        pendingLayout_.reset();
    }
    if (!meeting_) return;
    // The first page is a courtesy: a store failure leaves the chat empty, not the join.
    if (auto sent = sendChatHistory(std::nullopt); !sent)
        GST_WARNING("cannot send the chat history: %s", sent.error().message.c_str());
}

core::Status ClientConnection::applyAnswer(const std::string& sdp) {
    room::RoomApi* r = room();
    if (!r) return core::makeError(errc::kBadState, "not in a room");
    return r->applyAnswer(participantId_, sdp);
}

void ClientConnection::addRemoteCandidate(const protocol::IceCandidate& candidate) {
    if (room::RoomApi* r = room()) r->addRemoteCandidate(participantId_, candidate);
}

void ClientConnection::leaveRoom() {
    if (services_.reconnects) services_.reconnects->forget(*this);  // The token dies with us.
    if (online_) {
        online_ = false;
        services_.presence.remove(this);
    }
    history_.close(services_.nowMs());
    if (!waitId_.empty()) {
        if (room::RoomApi* r = room()) r->unhold(waitId_);
        waitId_.clear();
        room_.clear();
    }
    if (participantId_.empty()) return;
    std::string room = std::exchange(room_, {});
    std::string id = std::exchange(participantId_, {});
    services_.rooms.leave(room, id);
}

core::Status ClientConnection::chargeChat() {
    int64_t now = g_get_monotonic_time() / 1000;
    bool ok = identity_ && services_.chatByAccount
                  ? services_.chatByAccount->take(identity_->user.id, now)
                  : connectionChat_.take(now);
    if (ok) return core::Ok{};
    const signaling::Limits& l = services_.limits;
    return core::makeError(errc::kRateLimited, "You are sending messages too fast (at most " +
                                                   std::to_string(l.chatBurst) + " at once, then " +
                                                   std::to_string(l.chatPerMinute) +
                                                   " a minute). This one was not sent.");
}

core::Status ClientConnection::sendChat(const std::string& text) {
    room::RoomApi* r = room();
    if (!r) return core::makeError(errc::kBadState, "not in a room");
    if (auto charged = chargeChat(); !charged) return charged;
    protocol::ChatLine line;
    line.name = displayName_;
    line.text = text;
    line.sentAt = services_.nowMs();
    if (identity_) line.userId = identity_->user.id;
    if (meeting_) {
        auto id = chat_.save(room_, line);
        if (!id) return id.error();
        line.id = id.value();
    } else {
        line.id = ChatService::ephemeralId();
    }
    r->broadcastChat(line);
    return core::Ok{};
}

core::Status ClientConnection::requestChatHistory(std::optional<long long> before) {
    // Each page is up to ~100 KB (50 lines of up to 2000 characters) for a ~30-byte request.
    if (!historyRequests_.take(g_get_monotonic_time() / 1000)) {
        const signaling::Limits& l = services_.limits;
        return core::makeError(errc::kRateLimited,
                               "too many chat-history requests (at most " +
                                   std::to_string(l.historyBurst) + " at once, then " +
                                   std::to_string(l.historyPerMinute) + " a minute)");
    }
    return sendChatHistory(before);
}

core::Status ClientConnection::sendChatHistory(std::optional<long long> before) {
    protocol::ChatHistory history;
    if (meeting_) {
        auto page = chat_.page(room_, before);
        if (!page) return page.error();
        history = std::move(page).value();
    }
    sendMessage(history);
    return core::Ok{};
}

core::Status ClientConnection::goOnline() {
    if (!identity_) return core::makeError(errc::kUnauthenticated, "Please sign in.");
    services_.presence.add(identity_->user.id, this);
    online_ = true;
    return core::Ok{};
}

core::Status ClientConnection::placeCall(const std::string& username) {
    if (!identity_) return core::makeError(errc::kUnauthenticated, "Please sign in.");
    return services_.presence.call(identity_->user, this, username);
}

core::Status ClientConnection::answerCall(const std::string& callId, bool accept) {
    if (!identity_) return core::makeError(errc::kUnauthenticated, "Please sign in.");
    return services_.presence.answer(identity_->user.id, callId, accept);
}

core::Status ClientConnection::setQuality(const std::string& tier) {
    room::RoomApi* r = room();
    if (!r) return core::makeError(errc::kBadState, "not in a room");
    return r->setQuality(participantId_, tier);
}

core::Status ClientConnection::setRecording(bool on) {
    return record(protocol::Record{on, false});
}

core::Status ClientConnection::record(const protocol::Record& m) {
    room::RoomApi* r = room();
    if (!r) return core::makeError(errc::kBadState, "not in a room");
    if (!services_.recordings)
        return core::makeError(errc::kNotHost, "Recording is not available here.");
    return services_.recordings->setRecording(*r, meeting_ ? room_ : std::string(),
                                              r->isHost(participantId_), identity_, m.on,
                                              m.audioOnly);
}

void ClientConnection::onRecording(const protocol::RecordingState& state) {
    if (session_.state() == signaling::State::AwaitingOffer ||
        session_.state() == signaling::State::AwaitingAnswer ||
        session_.state() == signaling::State::Active)
        sendMessage(state);
}

core::Status ClientConnection::setStream(const protocol::Stream& m) {
    room::RoomApi* r = room();
    if (!r) return core::makeError(errc::kBadState, "not in a room");
    if (m.action == "remove") return r->removeStreamTarget(participantId_, m.id);
    auto added = r->addStreamTarget(participantId_, m.url, m.key);
    if (!added) return added.error();
    return core::Ok{};
}

core::Status ClientConnection::setHls(const protocol::Hls& m) {
    room::RoomApi* r = room();
    if (!r) return core::makeError(errc::kBadState, "not in a room");
    return r->setHls(participantId_, m.on, m.access);
}

void ClientConnection::onStreaming(const protocol::StreamingState& state) {
    if (session_.state() == signaling::State::AwaitingOffer ||
        session_.state() == signaling::State::AwaitingAnswer ||
        session_.state() == signaling::State::Active)
        sendMessage(state);
}

core::Status ClientConnection::setLayout(const std::string& layout, const std::string& scope) {
    room::RoomApi* r = room();
    if (!r) return core::makeError(errc::kBadState, "not in a room");
    return r->setLayout(participantId_, layout, scope);
}

core::Status ClientConnection::setPin(const std::string& participantId) {
    room::RoomApi* r = room();
    if (!r) return core::makeError(errc::kBadState, "not in a room");
    return r->setPin(participantId_, participantId);
}

core::Status ClientConnection::shareScreen(bool on) {
    room::RoomApi* r = room();
    if (!r) return core::makeError(errc::kBadState, "not in a room");
    return on ? r->startShare(participantId_) : r->stopShare(participantId_);
}

void ClientConnection::onLayout(const protocol::LayoutInfo& layout) {
    // Only once joined, after the welcome (like the send hint).
    if (session_.state() == signaling::State::Joining) {
        pendingLayout_ = layout;
        return;
    }
    sendMessage(layout);
}

void ClientConnection::onQuality(const protocol::Quality& quality) {
    sendMessage(quality);
}

void ClientConnection::onSendHint(const protocol::SendHint& hint) {
    // Only once joined (the first hint is part of the join; it follows the welcome).
    if (session_.state() == signaling::State::Joining) {
        pendingHint_ = hint;
        return;
    }
    sendMessage(hint);
}

void ClientConnection::onOffer(std::string sdp) {
    session_.onLocalOffer(std::move(sdp));
}

void ClientConnection::onLocalCandidate(protocol::IceCandidate candidate) {
    session_.onLocalCandidate(std::move(candidate));
}

void ClientConnection::onRoster(protocol::Roster roster) {
    session_.onRoster(std::move(roster));
}

void ClientConnection::onChat(const protocol::ChatLine& line) {
    if (session_.inMeeting()) sendMessage(protocol::ChatEvent{line});
}

core::Status ClientConnection::setMediaState(const protocol::MediaState& state) {
    room::RoomApi* r = room();
    if (!r || participantId_.empty()) return core::makeError(errc::kBadState, "not in a room");
    return r->setMediaState(participantId_, state);
}

core::Status ClientConnection::raiseHand(bool raised) {
    room::RoomApi* r = room();
    if (!r || participantId_.empty()) return core::makeError(errc::kBadState, "not in a room");
    return r->raiseHand(participantId_, raised);
}

core::Status ClientConnection::react(const std::string& emoji) {
    room::RoomApi* r = room();
    if (!r || participantId_.empty()) return core::makeError(errc::kBadState, "not in a room");
    return r->react(participantId_, emoji);
}

core::Status ClientConnection::hostCommand(const protocol::HostCommand& command) {
    room::RoomApi* r = room();
    if (!r || participantId_.empty()) return core::makeError(errc::kBadState, "not in a room");
    return r->hostCommand(participantId_, command);
}

core::Status ClientConnection::leaveCall() {
    // The history row stays open: hung up, the participant is still in the meeting (chat).
    room::RoomApi* r = room();
    if (!r || participantId_.empty()) return core::makeError(errc::kBadState, "not in a room");
    return r->leaveCall(participantId_);
}

core::Status ClientConnection::rejoinCall() {
    room::RoomApi* r = room();
    if (!r || participantId_.empty()) return core::makeError(errc::kBadState, "not in a room");
    return r->rejoinCall(participantId_);
}

void ClientConnection::onMeetingEvent(const protocol::MeetingServerMessage& message) {
    protocol::ServerMessage m =
        std::visit([](const auto& v) { return protocol::ServerMessage{v}; }, message);
    // The first ones are part of the join: they follow the welcome.
    if (session_.state() == signaling::State::Joining) {
        pendingMeeting_.push_back(std::move(m));
        return;
    }
    if (session_.inMeeting()) sendMessage(m);
}

void ClientConnection::onAdmitted() {
    waitId_.clear();  // Out of the waiting room already.
    session_.onAdmitted();
}

void ClientConnection::onDenied() {
    waitId_.clear();
    room_.clear();
    session_.onDenied();
}

void ClientConnection::onRemoved(std::string reason, std::string code, std::string message) {
    participantId_.clear();  // Already out of the room.
    room_.clear();
    // Ends the session; its leaveRoom() closes the history row.
    session_.fail(reason, code, message);
}

}  // namespace mixmeet::app
