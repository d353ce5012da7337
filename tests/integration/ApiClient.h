// A browser-like REST client for the integration tests: libsoup session with a cookie jar,
// the page's Origin header and the X-CSRF-Token the server handed out. Requests run on the
// thread-default main context (the in-process server answers there too).
#pragma once

#include <libsoup/soup.h>

#include <map>
#include <memory>
#include <string>

#include "Wait.h"
#include "core/GstPtr.h"
#include "core/Json.h"

namespace mixmeet::testing {

struct ApiReply {
    guint status = 0;
    std::string body;
    std::string errorCode() const;  ///< error.code of an error body, or "".
    /// A string member at a dotted path ("user.username", "meeting.id").
    std::string str(const std::string& path) const;
    long long num(const std::string& path) const;
    std::string setCookie;
    std::string retryAfter;
    std::string csp;           ///< Content-Security-Policy header.
    std::string contentRange;  ///< Content-Range header.
    std::string contentType;   ///< Content-Type header.
};

class ApiClient {
public:
    explicit ApiClient(int port) : ApiClient("http://127.0.0.1:" + std::to_string(port)) {}
    /// `base`: "scheme://host:port" (no trailing slash), the origin the client sends.
    /// acceptAnyCertificate: trust a self-signed TLS certificate (the test proxy's).
    explicit ApiClient(std::string base, bool acceptAnyCertificate = false)
        : base_(std::move(base)), acceptAnyCertificate_(acceptAnyCertificate) {
        session_ = core::GPtr<SoupSession>::adopt(soup_session_new());
        jar_ = core::GPtr<SoupCookieJar>::adopt(soup_cookie_jar_new());
        soup_session_add_feature(session_.get(), SOUP_SESSION_FEATURE(jar_.get()));
    }

    /// A request under way (startRequest), finished with finish().
    struct InFlight {
        core::GPtr<SoupMessage> msg;
        core::GPtr<GCancellable> cancel;
        GBytes* body = nullptr;
        bool done = false;
        ~InFlight() {
            if (body) g_bytes_unref(body);
        }
    };

    /// Sends a request; body is JSON text for POST/PATCH. `origin` empty: no Origin header;
    /// "default": this server's origin. csrf: send the X-CSRF-Token we hold.
    ApiReply request(const std::string& method, const std::string& path,
                     const std::string& body = {}, bool csrf = true,
                     const std::string& origin = "default") {
        auto f = startRequest(method, path, body, csrf, origin);
        waitUntil([&] { return f->done; }, std::chrono::seconds(10));
        return finish(*f);
    }

    /// Starts a request without waiting (several may be in flight at once).
    std::shared_ptr<InFlight> startRequest(const std::string& method, const std::string& path,
                                           const std::string& body = {}, bool csrf = true,
                                           const std::string& origin = "default") {
        std::string url = base() + path;
        auto f = std::make_shared<InFlight>();
        f->msg = core::GPtr<SoupMessage>::adopt(soup_message_new(method.c_str(), url.c_str()));
        f->cancel = core::GPtr<GCancellable>::adopt(g_cancellable_new());
        SoupMessage* msg = f->msg.get();
        if (acceptAnyCertificate_)
            g_signal_connect(msg, "accept-certificate",
                             G_CALLBACK(+[](SoupMessage*, GTlsCertificate*, GTlsCertificateFlags,
                                            gpointer) -> gboolean { return TRUE; }),
                             nullptr);
        SoupMessageHeaders* h = soup_message_get_request_headers(msg);
        for (const auto& [name, value] : extraHeaders)
            soup_message_headers_replace(h, name.c_str(), value.c_str());
        if (origin == "default")
            soup_message_headers_replace(h, "Origin", base().c_str());
        else if (!origin.empty())
            soup_message_headers_replace(h, "Origin", origin.c_str());
        if (csrf && !csrf_.empty()) soup_message_headers_replace(h, "X-CSRF-Token", csrf_.c_str());
        if (!body.empty()) {
            GBytes* bytes = g_bytes_new(body.data(), body.size());
            soup_message_set_request_body_from_bytes(msg, "application/json", bytes);
            g_bytes_unref(bytes);
        }
        // The callback holds its own reference on the state, so a request abandoned by the test
        // (cancelled, or the client destroyed) completes safely.
        soup_session_send_and_read_async(
            session_.get(), msg, G_PRIORITY_DEFAULT, f->cancel.get(),
            [](GObject* src, GAsyncResult* res, gpointer data) {
                std::unique_ptr<std::shared_ptr<InFlight>> o(
                    static_cast<std::shared_ptr<InFlight>*>(data));
                (*o)->body = soup_session_send_and_read_finish(SOUP_SESSION(src), res, nullptr);
                (*o)->done = true;
            },
            new std::shared_ptr<InFlight>(f));
        return f;
    }

    /// The reply of a finished request (status 0 if it failed or was cancelled).
    ApiReply finish(InFlight& f) {
        SoupMessage* msg = f.msg.get();
        ApiReply reply;
        reply.status = f.done ? soup_message_get_status(msg) : 0;
        if (f.body) {
            gsize size = 0;
            const char* data = static_cast<const char*>(g_bytes_get_data(f.body, &size));
            reply.body.assign(data, size);
        }
        SoupMessageHeaders* rh = soup_message_get_response_headers(msg);
        if (const char* v = soup_message_headers_get_list(rh, "Set-Cookie")) reply.setCookie = v;
        if (const char* v = soup_message_headers_get_one(rh, "Retry-After")) reply.retryAfter = v;
        if (const char* v = soup_message_headers_get_one(rh, "Content-Range"))
            reply.contentRange = v;
        if (const char* v = soup_message_headers_get_one(rh, "Content-Type")) reply.contentType = v;
        if (const char* v = soup_message_headers_get_one(rh, "Content-Security-Policy"))
            reply.csp = v;
        std::string token = reply.str("csrfToken");
        if (!token.empty()) csrf_ = token;
        return reply;
    }

    ApiReply post(const std::string& path, const std::string& body) {
        return request("POST", path, body);
    }
    ApiReply get(const std::string& path) { return request("GET", path); }

    /// The Cookie header this client would send (for a WebSocket handshake).
    std::string cookieHeader() {
        GUri* uri = g_uri_parse((base() + "/").c_str(), G_URI_FLAGS_NONE, nullptr);
        char* c = soup_cookie_jar_get_cookies(jar_.get(), uri, TRUE);
        std::string out = c ? c : "";
        g_free(c);
        g_uri_unref(uri);
        return out;
    }
    const std::string& csrf() const { return csrf_; }
    void forgetCsrf() { csrf_.clear(); }
    const std::string& base() const { return base_; }

    /// Sent with every request (e.g. X-Forwarded-For through a trusted proxy).
    std::map<std::string, std::string> extraHeaders;

private:
    std::string base_;
    bool acceptAnyCertificate_ = false;
    core::GPtr<SoupSession> session_;
    core::GPtr<SoupCookieJar> jar_;
    std::string csrf_;
};

inline std::string ApiReply::errorCode() const {
    return str("error.code");
}

inline std::string ApiReply::str(const std::string& path) const {
    auto doc = core::JsonDocument::parseObject(body);
    if (!doc) return {};
    JsonObject* obj = doc.value().root();
    std::string rest = path;
    while (true) {
        auto dot = rest.find('.');
        std::string key = rest.substr(0, dot);
        if (!obj || !json_object_has_member(obj, key.c_str())) return {};
        JsonNode* n = json_object_get_member(obj, key.c_str());
        if (dot == std::string::npos) {
            if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
                return json_node_get_string(n);
            if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64)
                return std::to_string(json_node_get_int(n));
            if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN)
                return json_node_get_boolean(n) ? "true" : "false";
            return {};
        }
        obj = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
        rest = rest.substr(dot + 1);
    }
}

inline long long ApiReply::num(const std::string& path) const {
    std::string s = str(path);
    return s.empty() ? 0 : std::stoll(s);
}

}  // namespace mixmeet::testing
