#include "http/WebSocketGuard.h"

#include "core/GstPtr.h"
#include "core/Log.h"

#define GST_CAT_DEFAULT mixmeet_http_debug

namespace mixmeet::http {

namespace {
constexpr const char* kGuardKey = "mixmeet-websocket-guard";
/// Bytes read past a message boundary that may belong to the next message: libsoup reads 1024
/// bytes at a time (READ_BUFFER_SIZE), and a frame header is at most 14 bytes.
constexpr std::size_t kFrameSlack = 4096;

struct Guard {
    std::shared_ptr<Meter> meter;
    core::GPtr<GSocket> socket;
    std::size_t maxMessage = 0;
    std::size_t maxQueue = 0;
    guint64 readBase = 0;     ///< meter->bytesRead at the upgrade.
    guint64 readMark = 0;     ///< meter->bytesRead when the last message or pong arrived.
    guint64 framesIn = 0;     ///< Wire bytes of the messages and pongs delivered.
    guint64 writtenBase = 0;  ///< meter->bytesWritten at the upgrade.
    guint64 queued = 0;       ///< Wire bytes handed to libsoup by sendText().
    bool dropped = false;

    ~Guard() { meter->onRead = nullptr; }

    /// Bytes queued and not yet written. Bytes read that were not messages or pongs are the
    /// client's pings (and close), which libsoup answers with as many bytes: counted too.
    guint64 backlog() const {
        guint64 readSinceUpgrade = readMark - readBase;
        guint64 control = readSinceUpgrade > framesIn ? readSinceUpgrade - framesIn : 0;
        guint64 owed = writtenBase + queued + control;
        return owed > meter->bytesWritten ? owed - meter->bytesWritten : 0;
    }
    void delivered(gsize payload) {
        framesIn += frameSize(payload, true);
        readMark = meter->bytesRead;
    }
};

Guard* guardOf(SoupWebsocketConnection* ws) {
    return static_cast<Guard*>(g_object_get_data(G_OBJECT(ws), kGuardKey));
}

void onMessage(SoupWebsocketConnection*, gint, GBytes* message, gpointer data) noexcept {
    static_cast<Guard*>(data)->delivered(g_bytes_get_size(message));
}

void onPong(SoupWebsocketConnection*, GBytes* message, gpointer data) noexcept {
    static_cast<Guard*>(data)->delivered(g_bytes_get_size(message));
}
}  // namespace

std::size_t frameSize(std::size_t payload, bool masked) {
    std::size_t header = payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10;
    return header + (masked ? 4 : 0) + payload;
}

void guardWebSocket(SoupWebsocketConnection* ws, std::shared_ptr<Meter> meter, GSocket* socket,
                    const Limits& limits) {
    auto* g = new Guard;
    g->meter = std::move(meter);
    g->socket = core::GPtr<GSocket>::ref(socket);
    g->maxMessage = limits.maxMessageBytes;
    g->maxQueue = limits.maxSendQueueBytes;
    g->readBase = g->readMark = g->meter->bytesRead;
    g->writtenBase = g->meter->bytesWritten;
    g_object_set_data_full(G_OBJECT(ws), kGuardKey, g,
                           [](gpointer p) { delete static_cast<Guard*>(p); });
    g_signal_connect(ws, "message", G_CALLBACK(onMessage), g);
    g_signal_connect(ws, "pong", G_CALLBACK(onPong), g);
    // Reads on this stream come only from `ws` (libsoup stole it from the HTTP side), and the
    // guard lives as long as `ws` and clears this hook when it goes: the raw pointers hold.
    g->meter->onRead = [g, ws](gsize) {
        if (g->meter->bytesRead - g->readMark <= g->maxMessage + kFrameSlack) return true;
        GST_INFO("WebSocket message over %zu bytes: closing with 1009", g->maxMessage);
        g->dropped = true;
        if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "message too big");
        // No more bytes reach libsoup: end of stream closes the connection.
        g_socket_shutdown(g->socket.get(), FALSE, TRUE, nullptr);
        return false;
    };
    // A frame announcing far more than the bound is refused by libsoup from its header alone
    // (that close has no close frame); anything smaller is counted above.
    g_object_set(ws, "max-incoming-payload-size",
                 static_cast<guint64>(limits.maxMessageBytes + 64 * 1024), "keepalive-interval",
                 static_cast<guint>(limits.pingIntervalS), nullptr);
}

bool closedByBound(SoupWebsocketConnection* ws) {
    Guard* g = guardOf(ws);
    return g && g->dropped;
}

bool sendText(SoupWebsocketConnection* ws, const std::string& text) {
    Guard* g = guardOf(ws);
    if (g) {
        if (g->dropped) return false;
        g->queued += frameSize(text.size(), false);
        if (g->backlog() > g->maxQueue) {
            g->dropped = true;
            GST_WARNING("dropping a WebSocket client that does not read: %" G_GUINT64_FORMAT
                        " bytes queued (limit %zu)",
                        g->backlog(), g->maxQueue);
            if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN)
                soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                                "send queue full");
            // The close frame cannot get through a full queue: end the socket now; libsoup
            // reads the end of stream and reports "closed".
            g_socket_shutdown(g->socket.get(), TRUE, TRUE, nullptr);
            return false;
        }
    }
    soup_websocket_connection_send_text(ws, text.c_str());
    return true;
}

std::size_t sendBacklog(SoupWebsocketConnection* ws) {
    Guard* g = guardOf(ws);
    return g ? static_cast<std::size_t>(g->backlog()) : 0;
}

}  // namespace mixmeet::http
