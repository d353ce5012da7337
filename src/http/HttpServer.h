// The libsoup 3 server: static files from the web directory and the signaling WebSocket at
// /ws. Main thread only (libsoup is not thread-safe; the server belongs to the main context
// that called listen()).
#pragma once

#include <libsoup/soup.h>

#include <functional>
#include <string>

#include "core/GstPtr.h"
#include "core/Result.h"
#include "http/Request.h"

namespace mixmeet::http {

class HttpServer {
public:
    struct Options {
        std::string address = "127.0.0.1";  ///< IPv4/IPv6 literal to bind.
        int port = 8080;                    ///< 0 picks a free port.
        std::string webDir;                 ///< Root of the static files.
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

    /// Binds and listens. Error "listen" with the OS's reason.
    core::Status listen();
    /// The bound port (after listen()).
    int port() const { return port_; }
    /// "http://ADDRESS:PORT/".
    std::string url() const;

private:
    static void onRequest(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                          gpointer self) noexcept;
    static void onWebSocketAccepted(SoupServer*, SoupServerMessage*, const char*,
                            SoupWebsocketConnection* conn, gpointer self) noexcept;
    void serveFile(SoupServerMessage* msg, const std::string& path);
    static Request toRequest(SoupServerMessage* msg, const char* path, GHashTable* query);
    static void send(SoupServerMessage* msg, const Response& response);
    struct PendingReply;

    Options options_;
    WebSocketHandler onWebSocket_;
    DynamicHandler dynamic_;
    core::GPtr<SoupServer> server_;
    int port_ = 0;
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
