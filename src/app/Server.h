// The whole server: config, store, auth, pipeline fragments, rooms, HTTP/WebSocket front end
// and the live client connections. Main thread only. Used by main() and, in-process, by the
// integration tests and the benchmark.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "api/Api.h"
#include "app/AdminApi.h"
#include "app/ClientConnection.h"
#include "app/Config.h"
#include "app/Presence.h"
#include "app/Recordings.h"
#include "auth/LoginThrottle.h"
#include "auth/PasswordHasher.h"
#include "core/Anchor.h"
#include "core/Result.h"
#include "http/HttpServer.h"
#include "mail/Mailer.h"
#include "media/Fragments.h"
#include "room/RoomRegistry.h"
#include "room/RoomReport.h"
#include "store/Store.h"
#include "worker/WorkerPool.h"

namespace mixmeet::app {

class Server {
public:
    explicit Server(Config config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Opens the store (repairing history rows a crash left open), loads the pipeline
    /// fragments and starts listening. Errors "config", "db", "listen".
    core::Status start();
    /// How long the destructor waits for media elements still stopping, ms.
    static constexpr unsigned kTeardownDrainMs = 5000;
    /// Says bye "server-shutdown" to every client, closes their history rows and sockets, and
    /// ends the participants waiting for a reconnect; the sockets disappear from
    /// connectionCount() as the close handshakes finish (keep iterating the main context).
    void shutdown();
    /// Participants whose connection dropped, kept for a resume.
    const Reconnects& reconnects() const { return *reconnects_; }
    int port() const { return http_ ? http_->port() : 0; }
    std::string url() const { return http_ ? http_->url() : std::string(); }
    room::RoomRegistry& rooms() { return *rooms_; }
    /// The media workers, or null when the rooms run in this process.
    worker::WorkerPool* workers() { return workers_.get(); }
    store::Store& store() { return *store_; }
    std::size_t connectionCount() const { return connections_.size(); }
    /// Open client sockets (HTTP and WebSocket; at most [limits] max_connections).
    std::size_t httpConnectionCount() const { return http_ ? http_->connectionCount() : 0; }
    /// The REST API (after start()).
    api::Api& api() { return *api_; }
    /// A SIGHUP: applies the live keys of `fresh` (a config that passed validation; see
    /// liveKey()) and logs "config: needs a restart: [group] key" for every other key whose
    /// value differs from the running one (those keep their running value). After start().
    ConfigChanges reload(const Config& fresh);
    /// The configuration in effect (live keys as of the last reload).
    const Config& config() const { return config_; }
    /// Recordings (after start()).
    Recordings& recordings() { return *recordings_; }

private:
    bool dynamic(const http::Request& request, http::HttpServer::Responder respond);
    /// Closes the WebSockets of sessions that were signed out or revoked (bye "signed-out").
    void endSessions(const api::RevokedSessions& revoked);
    http::Response meetingPage(const http::Request& request);
    /// A page of the web directory as a 200 text/html answer (500 if it is missing).
    http::Response staticPage(const std::string& name) const;
    http::Response stats(const http::Request& request);
    /// GET /live/<meeting-id>/<file>: the meeting's HLS playlist (index.m3u8) and segments
    /// (segmentNNNNN.ts) while HLS runs; 404 otherwise or for any other name (no paths from the
    /// request reach the file system). Access "participants": signed-in participants only
    /// (401/403).
    http::Response liveFile(const http::Request& request);
    /// GET /metrics: Prometheus text (app/Metrics.h for who may read it).
    http::Response metrics(const http::Request& request);
    void accept(SoupWebsocketConnection* connection, const http::Request& handshake);
    void closed(ClientConnection* connection);
    /// [signaling] limits for the connections (docs/security.md, "Signaling").
    /// Part of reload(): loads the TLS certificate and key of `fresh` again (also when the
    /// paths are the same: a renewal replaces the files). On failure logs the file and the
    /// reason, keeps the certificate in use and drops the TLS keys from `changes.live`;
    /// turning TLS on or off moves them to `changes.restart`.
    void reloadTls(const Config& fresh, ConfigChanges& changes);
    void configureSignalingLimits();
    /// (Re)arms the timer that marks open history rows ([server] liveness_mark_ms).
    void armLivenessMarks();
    /// Every room's figures and the media figures of every process running rooms (this one
    /// and the workers). `withEmpty`: also rooms being torn down (no participants).
    struct RoomReports {
        std::vector<room::RoomReport> rooms;
        room::MediaReport media;
    };
    RoomReports roomReports(bool withEmpty);
    /// Where the connections' rooms are: the media workers if any, else this process.
    room::RoomDirectory& directory() {
        return workers_ ? static_cast<room::RoomDirectory&>(*workers_) : *rooms_;
    }

    Config config_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<auth::PasswordHasher> hasher_;
    std::unique_ptr<auth::LoginThrottle> loginThrottle_;
    std::unique_ptr<mail::Mailer> mailer_;
    std::unique_ptr<api::Api> api_;
    std::unique_ptr<AdminApi> admin_;  ///< /api/admin/ (after api_ and rooms_).
    std::unique_ptr<Presence> presence_;
    std::optional<media::Fragments> fragments_;
    std::unique_ptr<room::RoomRegistry> rooms_;
    /// The media workers ([workers] count > 0): the rooms run there, rooms_ stays empty.
    std::unique_ptr<worker::WorkerPool> workers_;
    // Outlives the rooms (~Server resets rooms_ first): a recording that ends as its room
    // closes at shutdown (SIGTERM) gets its row finished.
    std::unique_ptr<Recordings> recordings_;
    std::unique_ptr<ConnectionServices> services_;
    /// Parked participants and resume tokens; destroyed after the connections, before the
    /// rooms (~Server).
    std::unique_ptr<Reconnects> reconnects_;
    std::unique_ptr<http::HttpServer> http_;
    core::SourcePtr touchTimer_;
    int reloads_ = 0;              ///< Successful SIGHUP reloads.
    int tlsReloadFailures_ = 0;    ///< Reloads whose TLS certificate did not load.
    std::size_t restartKeys_ = 0;  ///< Keys the last reload found changed but not live.
    // Destroyed first (declared last): connections leave their rooms.
    std::map<ClientConnection*, std::unique_ptr<ClientConnection>> connections_;
    core::Anchor<Server> anchor_{this};
};

}  // namespace mixmeet::app
