#include "http/HttpServer.h"

#include <cstring>

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

HttpServer::HttpServer(Options options, WebSocketHandler onWebSocket)
    : options_(std::move(options)), onWebSocket_(std::move(onWebSocket)) {
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

void HttpServer::onRequest(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                           gpointer self) noexcept {
    static_cast<HttpServer*>(self)->serveFile(msg, path);
}

void HttpServer::serveFile(SoupServerMessage* msg, const char* rawPath) {
    const char* method = soup_server_message_get_method(msg);
    if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
        soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
        return;
    }
    std::string path = rawPath ? rawPath : "/";
    if (!path.empty() && path.back() == '/') path += "index.html";
    SoupMessageHeaders* headers = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
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

void HttpServer::onWebSocketAccepted(SoupServer*, SoupServerMessage*, const char*,
                             SoupWebsocketConnection* conn, gpointer self) noexcept {
    g_object_set(conn, "max-incoming-payload-size", kMaxWebSocketPayload, "keepalive-interval",
                 kKeepaliveSeconds, nullptr);
    static_cast<HttpServer*>(self)->onWebSocket_(conn);
}

}  // namespace mixmeet::http
