// A bare signaling client for tests that need no media: a libsoup WebSocket with optional
// cookies, sending JSON text and recording every message received (parsed with the
// protocol module). Runs on the thread-default main context.
#pragma once

#include <libsoup/soup.h>

#include <string>
#include <vector>

#include "Wait.h"
#include "core/GstPtr.h"
#include "protocol/Messages.h"

namespace mixmeet::testing {

class SignalClient {
public:
    /// acceptAnyCertificate: trust a self-signed TLS certificate (wss:// through the test proxy).
    SignalClient(const std::string& url, const std::string& cookie, const std::string& origin = {},
                 bool acceptAnyCertificate = false) {
        session_ = core::GPtr<SoupSession>::adopt(soup_session_new());
        core::GPtr<SoupMessage> msg =
            core::GPtr<SoupMessage>::adopt(soup_message_new("GET", url.c_str()));
        if (acceptAnyCertificate)
            g_signal_connect(msg.get(), "accept-certificate",
                             G_CALLBACK(+[](SoupMessage*, GTlsCertificate*, GTlsCertificateFlags,
                                            gpointer) -> gboolean { return TRUE; }),
                             nullptr);
        SoupMessageHeaders* h = soup_message_get_request_headers(msg.get());
        if (!cookie.empty()) soup_message_headers_replace(h, "Cookie", cookie.c_str());
        if (!origin.empty()) soup_message_headers_replace(h, "Origin", origin.c_str());
        soup_session_websocket_connect_async(
            session_.get(), msg.get(), nullptr, nullptr, G_PRIORITY_DEFAULT, nullptr,
            [](GObject* src, GAsyncResult* res, gpointer data) {
                auto* self = static_cast<SignalClient*>(data);
                SoupWebsocketConnection* c =
                    soup_session_websocket_connect_finish(SOUP_SESSION(src), res, nullptr);
                self->connectDone_ = true;
                if (!c) return;
                self->conn_ = core::GPtr<SoupWebsocketConnection>::adopt(c);
                g_signal_connect(c, "message", G_CALLBACK(onMessage), self);
                g_signal_connect(c, "closed", G_CALLBACK(onClosed), self);
            },
            this);
        waitUntil([&] { return connectDone_; }, std::chrono::seconds(5));
    }
    ~SignalClient() {
        if (conn_) {
            g_signal_handlers_disconnect_by_data(conn_.get(), this);
            if (soup_websocket_connection_get_state(conn_.get()) == SOUP_WEBSOCKET_STATE_OPEN)
                soup_websocket_connection_close(conn_.get(), 1000, nullptr);
        }
    }

    bool open() const {
        return conn_ && !closed_ &&
               soup_websocket_connection_get_state(conn_.get()) == SOUP_WEBSOCKET_STATE_OPEN;
    }
    bool closed() const { return closed_ || !conn_; }
    /// The WebSocket close code the server sent (0 while open or if none).
    unsigned short closeCode() const {
        return conn_ ? soup_websocket_connection_get_close_code(conn_.get()) : 0;
    }
    void send(const protocol::ClientMessage& m) { sendRaw(protocol::toJson(m)); }
    void sendRaw(const std::string& text) {
        if (open()) soup_websocket_connection_send_text(conn_.get(), text.c_str());
    }
    const std::vector<protocol::ServerMessage>& received() const { return received_; }

    template <class T>
    std::vector<T> all() const {
        std::vector<T> out;
        for (const auto& m : received_)
            if (auto* v = std::get_if<T>(&m)) out.push_back(*v);
        return out;
    }
    template <class T>
    bool has() const {
        return !all<T>().empty();
    }
    bool hasError(const std::string& code) const {
        for (const auto& e : all<protocol::ErrorReply>())
            if (e.code == code) return true;
        return false;
    }

private:
    static void onMessage(SoupWebsocketConnection*, gint, GBytes* message, gpointer data) {
        auto* self = static_cast<SignalClient*>(data);
        gsize size = 0;
        const char* text = static_cast<const char*>(g_bytes_get_data(message, &size));
        auto parsed = protocol::parseServerMessage(std::string_view(text, size));
        if (parsed)
            self->received_.push_back(parsed.value());
        else
            self->unparsed_.emplace_back(text, size);
    }
    static void onClosed(SoupWebsocketConnection*, gpointer data) {
        static_cast<SignalClient*>(data)->closed_ = true;
    }

    core::GPtr<SoupSession> session_;
    core::GPtr<SoupWebsocketConnection> conn_;
    bool connectDone_ = false;
    bool closed_ = false;
    std::vector<protocol::ServerMessage> received_;

public:
    std::vector<std::string> unparsed_;  ///< Messages the protocol module rejected.
};

}  // namespace mixmeet::testing
