// The libsoup 3 server: static files from the web directory and the signaling WebSocket at
// /ws. Main thread only (libsoup is not thread-safe; the server belongs to the main context
// that called listen()).
//
// The server accepts its sockets itself and hands each to libsoup through a metered stream,
// so that every connection is under the bounds of http::Limits (docs/security.md, Transport):
// connection caps, request and idle timeouts, body size, WebSocket message size and send
// queue.
#pragma once

#include <libsoup/soup.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/Anchor.h"
#include "core/GstPtr.h"
#include "core/Result.h"
#include "http/Limits.h"
#include "http/Request.h"

namespace mixmeet::http {

class HttpServer {
public:
    struct Options {
        std::string address = "127.0.0.1";  ///< IPv4/IPv6 literal to bind.
        int port = 8080;                    ///< 0 picks a free port.
        std::string webDir;                 ///< Root of the static files.
        Limits limits;                      ///< Per-connection bounds.
        /// PEM certificate (chain) and private key files: both set, every connection is TLS
        /// (HTTPS, WSS; glib-networking's GnuTLS backend). Both empty: plain HTTP.
        std::string tlsCertificate;
        std::string tlsPrivateKey;
    };
    /// Called for each accepted WebSocket on /ws (transfer none: take a reference to keep it),
    /// with the handshake request (cookies, Origin).
    using WebSocketHandler = std::function<void(SoupWebsocketConnection*, const Request&)>;
    /// Delivers the response of a dynamic request: exactly once, on the main thread, either
    /// inside the DynamicHandler call or later (the request is paused meanwhile).
    using Responder = std::function<void(const Response&)>;
    /// Answers requests under /api/ and other dynamic paths: returns true and calls the
    /// responder (now or later), or false to fall through to the static files.
    using DynamicHandler = std::function<bool(const Request&, Responder)>;

    HttpServer(Options options, WebSocketHandler onWebSocket, DynamicHandler dynamic);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Loads the TLS certificate (if configured), binds and listens. Error "tls" when the
    /// certificate or key cannot be loaded or GLib has no TLS backend (glib-networking), error
    /// "listen" with the OS's reason.
    core::Status listen();
    /// The bound port (after listen()).
    int port() const { return port_; }
    /// "http://ADDRESS:PORT/", or https:// with TLS.
    std::string url() const;
    /// Client connections open now (HTTP and WebSocket).
    std::size_t connectionCount() const { return table_.count(); }
    /// The cap on connectionCount() (Limits::maxConnections, or derived from RLIMIT_NOFILE).
    std::size_t maxConnections() const { return table_.maxTotal(); }
    /// New bounds (a config reload): the connection caps apply to the next accept (open
    /// connections over them stay), the timeouts and sizes to connections accepted from now.
    void setLimits(const Limits& limits);
    /// Whether connections are TLS (a certificate was configured at listen()).
    bool tls() const { return static_cast<bool>(tlsCertificate_); }
    /// The certificate served now (nullptr without TLS).
    GTlsCertificate* tlsCertificate() const { return tlsCertificate_.get(); }
    /// Loads `certificate` and `privateKey` (PEM files; a config reload, or the same paths
    /// after a renewal replaced the files) for connections accepted from now on; open
    /// connections keep the certificate they started with. Error "tls" (loadTlsCertificate;
    /// the message names the file and the reason), or when the server was started without
    /// TLS: the certificate in use stays.
    core::Status reloadTls(const std::string& certificate, const std::string& privateKey);

private:
    struct Connection;

    // Connection accounting (accept loop, caps, timeouts).
    void startAccepting();
    void acceptReady();
    void adopt(core::GPtr<GSocket> socket);
    void forget(GSocketAddress* key);
    Connection* connectionOf(SoupServerMessage* msg);
    void armRequestTimer(Connection& c);
    static void onRequestStarted(SoupServer*, SoupServerMessage* msg, gpointer self) noexcept;
    static void onRequestRead(SoupServer*, SoupServerMessage* msg, gpointer self) noexcept;
    static void onRequestDone(SoupServer*, SoupServerMessage* msg, gpointer self) noexcept;
    // Request body bound.
    static void onGotHeaders(SoupServerMessage* msg, gpointer self) noexcept;
    static void onGotChunk(SoupServerMessage* msg, GBytes* chunk, gpointer self) noexcept;
    static void refuseBody(SoupServerMessage* msg, std::size_t limit);

    static void onRequest(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                          gpointer self) noexcept;
    static void onWebSocketAccepted(SoupServer*, SoupServerMessage*, const char*,
                                    SoupWebsocketConnection* conn, gpointer self) noexcept;
    void serveFile(SoupServerMessage* msg, const std::string& path);
    static Request toRequest(SoupServerMessage* msg, const char* path, GHashTable* query);
    static void send(SoupServerMessage* msg, const Response& response);
    /// A Response naming a file: the mapped bytes of its range as the body.
    static void sendFile(SoupServerMessage* msg, const Response& response);
    struct PendingReply;

    Options options_;
    WebSocketHandler onWebSocket_;
    DynamicHandler dynamic_;
    core::GPtr<SoupServer> server_;
    core::GPtr<GTlsCertificate> tlsCertificate_;  ///< Set: connections are wrapped in TLS.
    int port_ = 0;
    ConnectionTable table_;
    core::GPtr<GSocket> listenSocket_;
    core::SourcePtr acceptSource_;
    core::SourcePtr acceptRetry_;  ///< Accepting paused after running out of descriptors.
    bool acceptStarved_ = false;   ///< accept() last failed for want of descriptors.
    /// Open connections by their remote address object (the one libsoup hands back from
    /// soup_server_message_get_remote_address).
    std::unordered_map<GSocketAddress*, std::unique_ptr<Connection>> connections_;
    core::Anchor<HttpServer> anchor_{this};
};

/// Adds the headers every page and API answer carries: Content-Security-Policy (no inline
/// script or style, no framing), X-Frame-Options, Referrer-Policy, X-Content-Type-Options.
void addSecurityHeaders(SoupMessageHeaders* headers);
/// The Content-Security-Policy value addSecurityHeaders() sends.
extern const char* const kContentSecurityPolicy;

/// Content type for a file name served to browsers ("text/javascript" for .js and .mjs, as
/// ES modules require).
std::string contentTypeFor(const std::string& path);
/// True if a URL path is safe to map onto the web directory: absolute, no ".." or "."
/// segments, no backslashes or NUL.
bool isSafePath(const std::string& path);

}  // namespace mixmeet::http
