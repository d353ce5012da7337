// The whole server: config, pipeline fragments, rooms, HTTP/WebSocket front end and the live
// client connections. Main thread only. Used by main() and, in-process, by the integration
// tests and the benchmark.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "app/ClientConnection.h"
#include "app/Config.h"
#include "core/Anchor.h"
#include "core/Result.h"
#include "http/HttpServer.h"
#include "media/Fragments.h"
#include "room/RoomRegistry.h"

namespace mixmeet::app {

class Server {
public:
    explicit Server(Config config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Loads the pipeline fragments and starts listening. Errors "config", "listen".
    core::Status start();
    /// Says bye to every client and closes their sockets; they disappear from
    /// connectionCount() as the close handshakes finish (keep iterating the main context).
    void shutdown();
    int port() const { return http_ ? http_->port() : 0; }
    std::string url() const { return http_ ? http_->url() : std::string(); }
    room::RoomRegistry& rooms() { return *rooms_; }
    std::size_t connectionCount() const { return connections_.size(); }

private:
    void accept(SoupWebsocketConnection* connection);
    void closed(ClientConnection* connection);

    Config config_;
    std::optional<media::Fragments> fragments_;
    std::unique_ptr<room::RoomRegistry> rooms_;
    std::unique_ptr<http::HttpServer> http_;
    // Destroyed first (declared last): connections leave their rooms.
    std::map<ClientConnection*, std::unique_ptr<ClientConnection>> connections_;
    core::Anchor<Server> anchor_{this};
};

}  // namespace mixmeet::app
