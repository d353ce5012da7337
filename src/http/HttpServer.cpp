#include "http/HttpServer.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cstring>
#include <memory>
#include <utility>

#include "core/Json.h"
#include "core/Log.h"
#include "http/MeteredStream.h"
#include "http/TlsFiles.h"
#include "http/WebSocketGuard.h"

#define GST_CAT_DEFAULT mixmeet_http_debug

namespace mixmeet::http {

namespace {
/// Connections accepted per wake-up of the listening socket at most (fairness to the rest of
/// the main loop under a connection flood).
constexpr int kAcceptBatch = 64;
/// Pause of the accept loop after running out of file descriptors, ms.
constexpr guint kAcceptRetryMs = 250;
/// Pending connections the kernel queues for accept() (listen(2) backlog).
constexpr int kListenBacklog = 128;

bool endsWith(const std::string& s, const char* suffix) {
    std::size_t n = std::strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}
}  // namespace

// 'self' covers same-origin ws:/wss: in CSP Level 3 (section 6.7.2.9). The room page's
// videos take MediaStreams through srcObject, which needs no media-src source; the watch page's
// hls.js feeds its video through MediaSource, a blob: URL.
const char* const kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

void addSecurityHeaders(SoupMessageHeaders* headers) {
    soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
    soup_message_headers_replace(headers, "Content-Security-Policy", kContentSecurityPolicy);
    // For browsers without CSP frame-ancestors (RFC 7034).
    soup_message_headers_replace(headers, "X-Frame-Options", "DENY");
    // Meeting links are capabilities: never leak them to other sites in Referer.
    soup_message_headers_replace(headers, "Referrer-Policy", "same-origin");
}

std::string contentTypeFor(const std::string& path) {
    if (endsWith(path, ".html")) return "text/html; charset=utf-8";
    if (endsWith(path, ".js") || endsWith(path, ".mjs")) return "text/javascript; charset=utf-8";
    if (endsWith(path, ".css")) return "text/css; charset=utf-8";
    if (endsWith(path, ".svg")) return "image/svg+xml";
    if (endsWith(path, ".png")) return "image/png";
    if (endsWith(path, ".ico")) return "image/x-icon";
    if (endsWith(path, ".json")) return "application/json";
    return "application/octet-stream";
}

bool isSafePath(const std::string& path) {
    if (path.empty() || path[0] != '/') return false;
    if (path.find('\\') != std::string::npos || path.find('\0') != std::string::npos) return false;
    std::size_t start = 1;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        std::string seg = path.substr(start, end - start);
        if (seg == ".." || seg == ".") return false;
        start = end + 1;
    }
    return true;
}

/// One accepted client connection, from accept until libsoup closes its stream.
struct HttpServer::Connection {
    std::string address;  ///< Remote IP, for the per-address cap.
    core::GPtr<GSocket> socket;
    core::GPtr<GSocketAddress> remote;
    std::shared_ptr<Meter> meter;
    /// Ends the connection unless the request in progress (or the first one) has been read
    /// by then: slowly sent requests.
    core::SourcePtr requestTimer;
    bool upgraded = false;  ///< Now a WebSocket: request timeouts no longer apply.
};

namespace {
std::size_t totalCap(const Limits& limits) {
    return limits.maxConnections > 0 ? static_cast<std::size_t>(limits.maxConnections)
                                     : connectionCapForFdLimit(fdLimit());
}
std::size_t perAddressCap(const Limits& limits) {
    return static_cast<std::size_t>(std::max(0, limits.maxConnectionsPerAddress));
}
}  // namespace

void HttpServer::setLimits(const Limits& limits) {
    options_.limits = limits;
    table_.setCaps(totalCap(limits), perAddressCap(limits));
}

core::Status HttpServer::reloadTls(const std::string& certificate, const std::string& privateKey) {
    if (!tlsCertificate_)
        return core::makeError("tls",
                               "the server was started without TLS: turning it on needs a restart");
    auto loaded = loadTlsCertificate(certificate, privateKey);
    if (!loaded) return loaded.error();
    // Open connections hold the certificate they started with and keep it.
    tlsCertificate_ = std::move(loaded).value();
    options_.tlsCertificate = certificate;
    options_.tlsPrivateKey = privateKey;
    return core::Ok{};
}

HttpServer::HttpServer(Options options, WebSocketHandler onWebSocket, DynamicHandler dynamic)
    : options_(std::move(options)),
      onWebSocket_(std::move(onWebSocket)),
      dynamic_(std::move(dynamic)),
      table_(totalCap(options_.limits), perAddressCap(options_.limits)) {
    server_ = core::GPtr<SoupServer>::adopt(static_cast<SoupServer*>(
        g_object_new(SOUP_TYPE_SERVER, "server-header", "mixmeet", nullptr)));
    // permessage-deflate is not offered: a compressed message is only bounded after it has
    // been inflated (a 1 MB frame can inflate to 1 GB), and signaling messages are small.
    soup_server_remove_websocket_extension(server_.get(), SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
    soup_server_add_websocket_handler(server_.get(), "/ws", nullptr, nullptr, onWebSocketAccepted,
                                      this, nullptr);
    soup_server_add_handler(server_.get(), nullptr, onRequest, this, nullptr);
    g_signal_connect(server_.get(), "request-started", G_CALLBACK(onRequestStarted), this);
    g_signal_connect(server_.get(), "request-read", G_CALLBACK(onRequestRead), this);
    g_signal_connect(server_.get(), "request-finished", G_CALLBACK(onRequestDone), this);
    g_signal_connect(server_.get(), "request-aborted", G_CALLBACK(onRequestDone), this);
}

HttpServer::~HttpServer() {
    acceptRetry_.reset();
    acceptSource_.reset();
    if (listenSocket_) g_socket_close(listenSocket_.get(), nullptr);
    if (server_) {
        g_signal_handlers_disconnect_by_data(server_.get(), this);
        soup_server_disconnect(server_.get());
    }
}

core::Status HttpServer::listen() {
    if (!options_.tlsCertificate.empty() || !options_.tlsPrivateKey.empty()) {
        auto loaded = loadTlsCertificate(options_.tlsCertificate, options_.tlsPrivateKey);
        if (!loaded) return loaded.error();
        tlsCertificate_ = std::move(loaded).value();
    }
    core::GPtr<GInetAddress> addr =
        core::GPtr<GInetAddress>::adopt(g_inet_address_new_from_string(options_.address.c_str()));
    if (!addr) return core::makeError("listen", "bad listen address " + options_.address);
    core::GPtr<GSocketAddress> sa = core::GPtr<GSocketAddress>::adopt(
        g_inet_socket_address_new(addr.get(), static_cast<guint16>(options_.port)));
    auto fail = [this](const char* what) {
        return core::makeError("listen", std::string("cannot listen on ") + options_.address + ":" +
                                             std::to_string(options_.port) + ": " + what);
    };
    core::ErrorOut err;
    listenSocket_ = core::GPtr<GSocket>::adopt(g_socket_new(g_inet_address_get_family(addr.get()),
                                                            G_SOCKET_TYPE_STREAM,
                                                            G_SOCKET_PROTOCOL_TCP, err.out()));
    if (!listenSocket_) return fail(err.message());
    if (g_inet_address_get_family(addr.get()) == G_SOCKET_FAMILY_IPV6)
        g_socket_set_option(listenSocket_.get(), IPPROTO_IPV6, IPV6_V6ONLY, TRUE, nullptr);
    g_socket_set_listen_backlog(listenSocket_.get(), kListenBacklog);
    g_socket_set_blocking(listenSocket_.get(), FALSE);  // accept() until it would block
    if (!g_socket_bind(listenSocket_.get(), sa.get(), TRUE, err.out()) ||
        !g_socket_listen(listenSocket_.get(), err.out())) {
        listenSocket_.reset();
        return fail(err.message());
    }
    core::GPtr<GSocketAddress> bound =
        core::GPtr<GSocketAddress>::adopt(g_socket_get_local_address(listenSocket_.get(), nullptr));
    if (bound && G_IS_INET_SOCKET_ADDRESS(bound.get()))
        port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));

    // libsoup 3.2 keeps a connection alive after a response only while the server has a
    // listener of its own (request_finished in soup-server.c checks priv->listeners). The
    // sockets are accepted here instead, so libsoup gets a listening Unix socket that nobody
    // can reach: its path is removed at once.
    g_autofree gchar* dir = g_dir_make_tmp("mixmeet-http-XXXXXX", err.out());
    if (!dir) return fail(err.message());
    std::string path = std::string(dir) + "/unused";
    core::GPtr<GSocketAddress> unreachable =
        core::GPtr<GSocketAddress>::adopt(g_unix_socket_address_new(path.c_str()));
    bool ok =
        soup_server_listen(server_.get(), unreachable.get(), SoupServerListenOptions{}, err.out());
    g_unlink(path.c_str());
    g_rmdir(dir);
    if (!ok) return fail(err.message());

    startAccepting();
    GST_INFO("listening on %s, at most %zu connections (%zu per address)", url().c_str(),
             table_.maxTotal(), static_cast<std::size_t>(options_.limits.maxConnectionsPerAddress));
    return core::Ok{};
}

void HttpServer::startAccepting() {
    acceptRetry_.reset();
    acceptSource_.reset(g_socket_create_source(listenSocket_.get(), G_IO_IN, nullptr));
    g_source_set_callback(
        acceptSource_.get(),
        reinterpret_cast<GSourceFunc>(+[](GSocket*, GIOCondition, gpointer self) -> gboolean {
            static_cast<HttpServer*>(self)->acceptReady();
            return G_SOURCE_CONTINUE;
        }),
        this, nullptr);
    g_source_attach(acceptSource_.get(), g_main_context_get_thread_default());
}

void HttpServer::acceptReady() {
    for (int i = 0; i < kAcceptBatch; ++i) {
        core::ErrorOut err;
        GSocket* accepted = g_socket_accept(listenSocket_.get(), nullptr, err.out());
        if (accepted) {
            if (std::exchange(acceptStarved_, false)) g_message("accepting connections again");
            adopt(core::GPtr<GSocket>::adopt(accepted));
            continue;
        }
        GError* e = *err.out();
        if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) return;
        if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES) ||
            g_error_matches(e, G_IO_ERROR, G_IO_ERROR_NO_SPACE)) {
            // Out of descriptors: the listening socket stays readable, so accepting again at
            // once would spin. Pause; the connections wait in the kernel's queue.
            if (!acceptStarved_)  // Once per shortage, not every 250 ms.
                g_message("cannot accept: %s; retrying every %u ms", err.message(), kAcceptRetryMs);
            acceptStarved_ = true;
            acceptSource_.reset();
            acceptRetry_.reset(g_timeout_source_new(kAcceptRetryMs));
            g_source_set_callback(
                acceptRetry_.get(),
                [](gpointer self) -> gboolean {
                    auto* s = static_cast<HttpServer*>(self);
                    // Destroying the timer from its own callback is allowed; return REMOVE.
                    s->startAccepting();
                    return G_SOURCE_REMOVE;
                },
                this, nullptr);
            g_source_attach(acceptRetry_.get(), g_main_context_get_thread_default());
            return;
        }
        GST_INFO("accept failed: %s", err.message());  // e.g. the peer reset: try the next.
    }
}

void HttpServer::adopt(core::GPtr<GSocket> socket) {
    core::GPtr<GSocketAddress> remote =
        core::GPtr<GSocketAddress>::adopt(g_socket_get_remote_address(socket.get(), nullptr));
    core::GPtr<GSocketAddress> local =
        core::GPtr<GSocketAddress>::adopt(g_socket_get_local_address(socket.get(), nullptr));
    if (!remote || !local || !G_IS_INET_SOCKET_ADDRESS(remote.get())) {
        g_socket_close(socket.get(), nullptr);
        return;
    }
    g_autofree gchar* ip = g_inet_address_to_string(
        g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote.get())));
    auto admission = table_.admit(ip);
    if (admission != ConnectionTable::Admission::Admitted) {
        GST_INFO("refusing a connection from %s: %s", ip,
                 admission == ConnectionTable::Admission::TooMany ? "too many connections"
                                                                  : "too many from this address");
        g_socket_close(socket.get(), nullptr);
        return;
    }
    // Every read or write waiting longer than this fails with G_IO_ERROR_TIMED_OUT, which
    // makes libsoup close the connection (GSocket's timeout applies to its GSources too).
    g_socket_set_timeout(socket.get(), static_cast<guint>(options_.limits.idleTimeoutS));
    g_socket_set_option(socket.get(), IPPROTO_TCP, TCP_NODELAY, TRUE, nullptr);

    auto c = std::make_unique<Connection>();
    c->address = ip;
    c->socket = socket;
    c->remote = remote;
    c->meter = std::make_shared<Meter>();
    c->meter->onClosed = [weak = anchor_.weak(), key = remote.get()] {
        if (HttpServer* self = core::resolve(weak)) self->forget(key);
    };
    armRequestTimer(*c);
    core::GPtr<GSocketConnection> base = core::GPtr<GSocketConnection>::adopt(
        g_socket_connection_factory_create_connection(socket.get()));
    core::GPtr<GIOStream> stream =
        core::GPtr<GIOStream>::adopt(newMeteredStream(G_IO_STREAM(base.get()), c->meter));
    connections_.emplace(remote.get(), std::move(c));
    core::ErrorOut err;
    if (tlsCertificate_) {
        // TLS over the metered stream (the bounds count the bytes on the wire). libsoup sees a
        // GTlsConnection, so its request URIs are https:// (Request::tls); the handshake runs
        // on the first read, within the request timeout.
        GIOStream* tls =
            g_tls_server_connection_new(stream.get(), tlsCertificate_.get(), err.out());
        if (!tls) {
            GST_WARNING("cannot start TLS on a connection: %s", err.message());
            g_io_stream_close(stream.get(), nullptr, nullptr);  // Forgets it.
            return;
        }
        stream = core::GPtr<GIOStream>::adopt(tls);
    }
    if (!soup_server_accept_iostream(server_.get(), stream.get(), local.get(), remote.get(),
                                     err.out())) {
        GST_WARNING("libsoup refused a connection: %s", err.message());
        g_io_stream_close(stream.get(), nullptr, nullptr);  // Forgets it.
    }
}

void HttpServer::forget(GSocketAddress* key) {
    auto it = connections_.find(key);
    if (it == connections_.end()) return;
    table_.release(it->second->address);
    connections_.erase(it);
}

HttpServer::Connection* HttpServer::connectionOf(SoupServerMessage* msg) {
    auto it = connections_.find(soup_server_message_get_remote_address(msg));
    return it == connections_.end() ? nullptr : it->second.get();
}

void HttpServer::armRequestTimer(Connection& c) {
    // Milliseconds, not g_timeout_source_new_seconds: that one fires on whole-second ticks
    // shared with other timers, so its first expiry can come up to a second early (a client
    // cut off at 0.89 s of a 1 s request_timeout_s, seen under ASan in CI).
    c.requestTimer.reset(
        g_timeout_source_new(static_cast<guint>(options_.limits.requestTimeoutS) * 1000u));
    g_source_set_callback(
        c.requestTimer.get(),
        [](gpointer data) -> gboolean {
            auto* conn = static_cast<Connection*>(data);
            GST_INFO("closing a connection from %s: request not received in time",
                     conn->address.c_str());
            // libsoup reads the end of stream and closes the connection (and the stream).
            g_socket_shutdown(conn->socket.get(), TRUE, TRUE, nullptr);
            return G_SOURCE_REMOVE;
        },
        &c, nullptr);
    g_source_attach(c.requestTimer.get(), g_main_context_get_thread_default());
}

void HttpServer::onRequestStarted(SoupServer*, SoupServerMessage* msg, gpointer self) noexcept {
    g_signal_connect(msg, "got-headers", G_CALLBACK(onGotHeaders), self);
    g_signal_connect(msg, "got-chunk", G_CALLBACK(onGotChunk), self);
}

void HttpServer::onRequestRead(SoupServer*, SoupServerMessage* msg, gpointer self) noexcept {
    if (Connection* c = static_cast<HttpServer*>(self)->connectionOf(msg)) c->requestTimer.reset();
}

void HttpServer::onRequestDone(SoupServer*, SoupServerMessage* msg, gpointer self) noexcept {
    // Between requests on a kept-alive connection: the next one must arrive in time too.
    auto* server = static_cast<HttpServer*>(self);
    if (Connection* c = server->connectionOf(msg); c && !c->upgraded) server->armRequestTimer(*c);
}

void HttpServer::onGotHeaders(SoupServerMessage* msg, gpointer self) noexcept {
    std::size_t limit = static_cast<HttpServer*>(self)->options_.limits.maxBodyBytes;
    SoupMessageHeaders* headers = soup_server_message_get_request_headers(msg);
    if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH &&
        soup_message_headers_get_content_length(headers) > static_cast<goffset>(limit))
        refuseBody(msg, limit);
}

void HttpServer::onGotChunk(SoupServerMessage* msg, GBytes*, gpointer self) noexcept {
    // Chunked bodies announce no length: counted as they come.
    std::size_t limit = static_cast<HttpServer*>(self)->options_.limits.maxBodyBytes;
    SoupMessageBody* body = soup_server_message_get_request_body(msg);
    if (body && body->length > static_cast<goffset>(limit)) refuseBody(msg, limit);
}

void HttpServer::refuseBody(SoupServerMessage* msg, std::size_t limit) {
    // libsoup 3.2 reads the rest of the body anyway (there is no way to skip it from here),
    // but it is no longer stored, the handler is not called (a status is set), the request
    // timer bounds how long the reading may take, and the connection closes after the 413.
    SoupMessageBody* body = soup_server_message_get_request_body(msg);
    soup_message_body_set_accumulate(body, FALSE);
    soup_message_body_truncate(body);
    if (soup_server_message_get_status(msg) != 0) return;
    GST_INFO("refusing a request body over %zu bytes", limit);
    Response r;
    r.status = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
    core::JsonWriter w;
    w.beginObject("error")
        .str("code", "too-large")
        .str("message", "The request body is over " + std::to_string(limit / 1024) + " KiB.")
        .endObject();
    r.body = w.finish();
    r.headers.emplace_back("Connection", "close");
    send(msg, r);
}

std::string HttpServer::url() const {
    bool v6 = options_.address.find(':') != std::string::npos;
    return (tlsCertificate_ ? "https://" : "http://") +
           (v6 ? "[" + options_.address + "]" : options_.address) + ":" + std::to_string(port_) +
           "/";
}

Request HttpServer::toRequest(SoupServerMessage* msg, const char* path, GHashTable* query) {
    Request r;
    r.method = soup_server_message_get_method(msg);
    r.path = path ? path : "/";
    if (query) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, query);
        while (g_hash_table_iter_next(&it, &k, &v))
            r.query[static_cast<const char*>(k)] = v ? static_cast<const char*>(v) : "";
    }
    soup_message_headers_foreach(
        soup_server_message_get_request_headers(msg),
        [](const char* name, const char* value, gpointer data) {
            std::string key = name;
            for (char& c : key) c = g_ascii_tolower(c);
            auto& headers = *static_cast<std::map<std::string, std::string>*>(data);
            // Repeated headers are joined as RFC 9110 section 5.3 allows (Cookie uses "; ").
            auto& slot = headers[key];
            slot = slot.empty() ? value : slot + (key == "cookie" ? "; " : ", ") + value;
        },
        &r.headers);
    SoupMessageBody* body = soup_server_message_get_request_body(msg);
    if (body && body->length > 0) {
        GBytes* bytes = soup_message_body_flatten(body);
        gsize size = 0;
        const char* data = static_cast<const char*>(g_bytes_get_data(bytes, &size));
        r.body.assign(data, size);
        g_bytes_unref(bytes);
    }
    const char* host = soup_server_message_get_remote_host(msg);
    r.clientAddress = host ? host : "";
    GUri* uri = soup_server_message_get_uri(msg);
    r.tls = uri && g_strcmp0(g_uri_get_scheme(uri), "https") == 0;
    return r;
}

void HttpServer::send(SoupServerMessage* msg, const Response& response) {
    SoupMessageHeaders* headers = soup_server_message_get_response_headers(msg);
    addSecurityHeaders(headers);
    soup_message_headers_replace(headers, "Cache-Control", "no-store");
    for (const auto& [name, value] : response.headers)
        soup_message_headers_append(headers, name.c_str(), value.c_str());
    // libsoup 3.2 has no reason phrase for 429 (RFC 6585 section 4).
    soup_server_message_set_status(msg, static_cast<guint>(response.status),
                                   response.status == 429 ? "Too Many Requests" : nullptr);
    if (!response.file.empty()) {
        sendFile(msg, response);
        return;
    }
    if (!response.contentType.empty())
        soup_server_message_set_response(msg, response.contentType.c_str(), SOUP_MEMORY_COPY,
                                         response.body.data(), response.body.size());
}

void HttpServer::sendFile(SoupServerMessage* msg, const Response& response) {
    SoupMessageHeaders* headers = soup_server_message_get_response_headers(msg);
    soup_message_headers_set_content_type(headers, response.contentType.c_str(), nullptr);
    if (response.fileLength <= 0) return;
    // Mapped: pages are read as the socket takes them, nothing is copied into the heap.
    core::ErrorOut err;
    GMappedFile* mapped = g_mapped_file_new(response.file.c_str(), FALSE, err.out());
    if (!mapped) {
        GST_WARNING("cannot map %s: %s", response.file.c_str(), err.message());
        soup_server_message_set_status(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, nullptr);
        return;
    }
    GBytes* whole = g_mapped_file_get_bytes(mapped);
    g_mapped_file_unref(mapped);
    gsize size = g_bytes_get_size(whole);
    auto offset = static_cast<gsize>(response.fileOffset);
    auto length = static_cast<gsize>(response.fileLength);
    if (offset > size || length > size - offset) {
        g_bytes_unref(whole);
        soup_server_message_set_status(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, nullptr);
        return;
    }
    GBytes* part = g_bytes_new_from_bytes(whole, offset, length);
    g_bytes_unref(whole);
    soup_message_body_append_bytes(soup_server_message_get_response_body(msg), part);
    g_bytes_unref(part);
}

/// A dynamic request whose response may come later (e.g. after a password hash on a worker
/// thread): holds a reference on the message, pauses it until the response is ready, and
/// drops the response if the client went away meanwhile (libsoup then finished the message).
struct HttpServer::PendingReply {
    core::GPtr<SoupServerMessage> msg;
    bool paused = false;
    bool replied = false;
    bool finished = false;  ///< libsoup finished the message (client disconnected).
    gulong finishedHandler = 0;

    explicit PendingReply(SoupServerMessage* m) : msg(core::GPtr<SoupServerMessage>::ref(m)) {
        finishedHandler = g_signal_connect(m, "finished", G_CALLBACK(onFinished), this);
    }
    ~PendingReply() { g_signal_handler_disconnect(msg.get(), finishedHandler); }
    PendingReply(const PendingReply&) = delete;
    PendingReply& operator=(const PendingReply&) = delete;

    static void onFinished(SoupServerMessage*, gpointer self) noexcept {
        static_cast<PendingReply*>(self)->finished = true;
    }
    void reply(const Response& response) {
        if (replied) return;
        replied = true;
        if (finished) return;  // The client is gone; nothing to write to.
        send(msg.get(), response);
        if (paused) soup_server_message_unpause(msg.get());
    }
};

void HttpServer::onRequest(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable* query,
                           gpointer self) noexcept {
    auto* server = static_cast<HttpServer*>(self);
    if (server->dynamic_) {
        auto pending = std::make_shared<PendingReply>(msg);
        bool handled = server->dynamic_(toRequest(msg, path, query),
                                        [pending](const Response& r) { pending->reply(r); });
        if (handled) {
            if (!pending->replied) {
                soup_server_message_pause(msg);
                pending->paused = true;
            }
            return;
        }
    }
    server->serveFile(msg, path ? path : "/");
}

void HttpServer::serveFile(SoupServerMessage* msg, const std::string& rawPath) {
    const char* method = soup_server_message_get_method(msg);
    if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
        soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
        return;
    }
    std::string path = rawPath;
    if (!path.empty() && path.back() == '/') path += "index.html";
    SoupMessageHeaders* headers = soup_server_message_get_response_headers(msg);
    addSecurityHeaders(headers);
    soup_message_headers_replace(headers, "Cache-Control", "no-cache");
    if (!isSafePath(path)) {
        soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
        return;
    }
    std::string file = options_.webDir + path;
    gchar* contents = nullptr;
    gsize length = 0;
    if (!g_file_test(file.c_str(), G_FILE_TEST_IS_REGULAR) ||
        !g_file_get_contents(file.c_str(), &contents, &length, nullptr)) {
        static const char kNotFound[] = "404 not found\n";
        soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
        soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC,
                                         kNotFound, sizeof(kNotFound) - 1);
        return;
    }
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    soup_server_message_set_response(msg, contentTypeFor(path).c_str(), SOUP_MEMORY_TAKE, contents,
                                     length);
}

void HttpServer::onWebSocketAccepted(SoupServer*, SoupServerMessage* msg, const char* path,
                                     SoupWebsocketConnection* conn, gpointer self) noexcept {
    auto* server = static_cast<HttpServer*>(self);
    Connection* c = server->connectionOf(msg);
    if (!c) {  // Not one of ours: cannot be bounded, so not served.
        soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, nullptr);
        return;
    }
    c->upgraded = true;
    c->requestTimer.reset();
    guardWebSocket(conn, c->meter, c->socket.get(), server->options_.limits);
    server->onWebSocket_(conn, toRequest(msg, path, nullptr));
}

}  // namespace mixmeet::http
