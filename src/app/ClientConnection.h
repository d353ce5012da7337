// One signaling WebSocket: glues the libsoup connection, the protocol Session and the
// participant's place in a room. Main thread only. Owned by the Server; reports its end
// through the onClosed callback (the Server then destroys it at the next iteration).
#pragma once

#include <libsoup/soup.h>

#include <functional>
#include <string>

#include "core/GstPtr.h"
#include "room/ParticipantListener.h"
#include "room/RoomRegistry.h"
#include "signaling/Session.h"

namespace mixmeet::app {

class ClientConnection : public signaling::Session::Listener, public room::ParticipantListener {
public:
    using ClosedHandler = std::function<void(ClientConnection*)>;

    ClientConnection(SoupWebsocketConnection* connection, room::RoomRegistry& registry,
                     ClosedHandler onClosed);
    ~ClientConnection() override;
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    /// Ends the session for a server shutdown: bye "shutdown", leave the room, close (1001).
    void shutdown() { session_.fail("shutdown"); }

    // signaling::Session::Listener
    void sendMessage(const protocol::ServerMessage& message) override;
    void closeConnection(unsigned short code, const std::string& reason) override;
    core::Result<protocol::Welcome> joinRoom(const protocol::Join& join) override;
    core::Status applyAnswer(const std::string& sdp) override;
    void addRemoteCandidate(const protocol::IceCandidate& candidate) override;
    void leaveRoom() override;

    // room::ParticipantListener
    void onOffer(std::string sdp) override;
    void onLocalCandidate(protocol::IceCandidate candidate) override;
    void onRoster(protocol::Roster roster) override;
    void onRemoved(std::string reason, std::string code, std::string message) override;

private:
    static void onMessage(SoupWebsocketConnection*, gint type, GBytes* message,
                          gpointer self) noexcept;
    static void onClosedSignal(SoupWebsocketConnection*, gpointer self) noexcept;

    core::GPtr<SoupWebsocketConnection> connection_;
    // Passed by argument.
    room::RoomRegistry& registry_;
    ClosedHandler onClosed_;
    signaling::Session session_{*this};
    std::string room_;
    std::string participantId_;
    gulong messageHandler_ = 0;
    gulong closedHandler_ = 0;
};

}  // namespace mixmeet::app
