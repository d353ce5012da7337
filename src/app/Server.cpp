#include "app/Server.h"

#include "core/Log.h"
#include "core/MainContext.h"

#define GST_CAT_DEFAULT mixmeet_app_debug

namespace mixmeet::app {

Server::Server(Config config) : config_(std::move(config)) {}

Server::~Server() {
    connections_.clear();
    http_.reset();
    rooms_.reset();
}

core::Status Server::start() {
    auto fragments = media::Fragments::load(config_.pipelinesDir);
    if (!fragments) return fragments.error();
    fragments_ = std::move(fragments).value();
    rooms_ = std::make_unique<room::RoomRegistry>(config_.media, *fragments_);
    http::HttpServer::Options options{config_.address, config_.port, config_.webDir};
    http_ = std::make_unique<http::HttpServer>(
        options, [this](SoupWebsocketConnection* c) { accept(c); });
    return http_->listen();
}

void Server::shutdown() {
    for (auto& [key, connection] : connections_) connection->shutdown();
}

void Server::accept(SoupWebsocketConnection* connection) {
    auto c = std::make_unique<ClientConnection>(connection, *rooms_,
                                                [this](ClientConnection* cc) { closed(cc); });
    ClientConnection* key = c.get();
    connections_.emplace(key, std::move(c));
    GST_DEBUG("connection opened, %zu open", connections_.size());
}

void Server::closed(ClientConnection* connection) {
    // Deferred: we are inside the connection's own "closed" handler.
    core::postToMain([weak = anchor_.weak(), connection] {
        if (Server* self = core::resolve(weak)) self->connections_.erase(connection);
    });
}

}  // namespace mixmeet::app
