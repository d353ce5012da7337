#include "http/HttpServer.h"

#include <cstring>
#include <memory>

#include "core/Log.h"

#define GST_CAT_DEFAULT mixmeet_http_debug

namespace mixmeet::http {

namespace {
/// Largest WebSocket message libsoup accepts; bigger ones close the socket with 1009. The
/// protocol's own 64 KiB limit is enforced above it with an error reply (docs/protocol.md).
constexpr guint64 kMaxWebSocketPayload = 1024 * 1024;
constexpr guint kKeepaliveSeconds = 10;

bool endsWith(const std::string& s, const char* suffix) {
    std::size_t n = std::strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}
}  // namespace

// 'self' covers same-origin ws:/wss: in CSP Level 3 (section 6.7.2.9). The room page's
// videos take MediaStreams through srcObject, which needs no media-src source.
const char* const kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
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
    if (path.find('\\') != std::string::npos || path.find('\0') != std::string::npos)
        return false;
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

HttpServer::HttpServer(Options options, WebSocketHandler onWebSocket, DynamicHandler dynamic)
    : options_(std::move(options)),
      onWebSocket_(std::move(onWebSocket)),
      dynamic_(std::move(dynamic)) {
    server_ = core::GPtr<SoupServer>::adopt(
        static_cast<SoupServer*>(g_object_new(SOUP_TYPE_SERVER, "server-header", "mixmeet",
                                              nullptr)));
    soup_server_add_websocket_handler(server_.get(), "/ws", nullptr, nullptr, onWebSocketAccepted, this,
                                      nullptr);
    soup_server_add_handler(server_.get(), nullptr, onRequest, this, nullptr);
}

HttpServer::~HttpServer() {
    if (server_) soup_server_disconnect(server_.get());
}

core::Status HttpServer::listen() {
    core::GPtr<GInetAddress> addr =
        core::GPtr<GInetAddress>::adopt(g_inet_address_new_from_string(options_.address.c_str()));
    if (!addr) return core::makeError("listen", "bad listen address " + options_.address);
    core::GPtr<GSocketAddress> sa = core::GPtr<GSocketAddress>::adopt(
        g_inet_socket_address_new(addr.get(), static_cast<guint16>(options_.port)));
    core::ErrorOut err;
    if (!soup_server_listen(server_.get(), sa.get(), SoupServerListenOptions{}, err.out()))
        return core::makeError("listen", std::string("cannot listen on ") + options_.address +
                                             ":" + std::to_string(options_.port) + ": " +
                                             err.message());
    GSList* uris = soup_server_get_uris(server_.get());
    if (uris) port_ = g_uri_get_port(static_cast<GUri*>(uris->data));
    g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
    return core::Ok{};
}

std::string HttpServer::url() const {
    bool v6 = options_.address.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + options_.address + "]" : options_.address) + ":" +
           std::to_string(port_) + "/";
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
    if (!response.contentType.empty())
        soup_server_message_set_response(msg, response.contentType.c_str(), SOUP_MEMORY_COPY,
                                         response.body.data(), response.body.size());
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

void HttpServer::onRequest(SoupServer*, SoupServerMessage* msg, const char* path,
                           GHashTable* query, gpointer self) noexcept {
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
    soup_server_message_set_response(msg, contentTypeFor(path).c_str(), SOUP_MEMORY_TAKE,
                                     contents, length);
}

void HttpServer::onWebSocketAccepted(SoupServer*, SoupServerMessage* msg, const char* path,
                                     SoupWebsocketConnection* conn, gpointer self) noexcept {
    g_object_set(conn, "max-incoming-payload-size", kMaxWebSocketPayload, "keepalive-interval",
                 kKeepaliveSeconds, nullptr);
    static_cast<HttpServer*>(self)->onWebSocket_(conn, toRequest(msg, path, nullptr));
}

}  // namespace mixmeet::http
