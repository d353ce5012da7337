#include "app/ClientConnection.h"

#include "core/Log.h"

#define GST_CAT_DEFAULT mixmeet_http_debug

namespace mixmeet::app {

ClientConnection::ClientConnection(SoupWebsocketConnection* connection,
                                   room::RoomRegistry& registry, ClosedHandler onClosed)
    : connection_(core::GPtr<SoupWebsocketConnection>::ref(connection)),
      registry_(registry),
      onClosed_(std::move(onClosed)) {
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

void ClientConnection::onClosedSignal(SoupWebsocketConnection*, gpointer self) noexcept {
    auto* c = static_cast<ClientConnection*>(self);
    c->session_.onSocketClosed();
    c->onClosed_(c);
}

void ClientConnection::sendMessage(const protocol::ServerMessage& message) {
    if (soup_websocket_connection_get_state(connection_.get()) != SOUP_WEBSOCKET_STATE_OPEN)
        return;
    std::string text = protocol::toJson(message);
    soup_websocket_connection_send_text(connection_.get(), text.c_str());
}

void ClientConnection::closeConnection(unsigned short code, const std::string& reason) {
    if (soup_websocket_connection_get_state(connection_.get()) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(connection_.get(), code, reason.c_str());
}

core::Result<protocol::Welcome> ClientConnection::joinRoom(const protocol::Join& join) {
    auto joined = registry_.join(join.room, join.name, *this);
    if (!joined) return joined.error();
    room_ = join.room;
    participantId_ = joined.value().participantId;
    const media::MediaConfig& m = registry_.config();
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
    return w;
}

core::Status ClientConnection::applyAnswer(const std::string& sdp) {
    room::Room* r = registry_.find(room_);
    if (!r) return core::makeError("bad-state", "not in a room");
    return r->applyAnswer(participantId_, sdp);
}

void ClientConnection::addRemoteCandidate(const protocol::IceCandidate& candidate) {
    if (room::Room* r = registry_.find(room_)) r->addRemoteCandidate(participantId_, candidate);
}

void ClientConnection::leaveRoom() {
    if (participantId_.empty()) return;
    std::string room = std::exchange(room_, {});
    std::string id = std::exchange(participantId_, {});
    registry_.leave(room, id);
}

void ClientConnection::onOffer(std::string sdp) { session_.onLocalOffer(std::move(sdp)); }

void ClientConnection::onLocalCandidate(protocol::IceCandidate candidate) {
    session_.onLocalCandidate(std::move(candidate));
}

void ClientConnection::onRoster(protocol::Roster roster) { session_.onRoster(std::move(roster)); }

void ClientConnection::onRemoved(std::string reason, std::string code, std::string message) {
    participantId_.clear();  // Already out of the room.
    room_.clear();
    session_.fail(reason, code, message);
}

}  // namespace mixmeet::app
