// A pollable GIOStream around an accepted socket connection that counts the bytes through it.
// The HttpServer hands it to libsoup (soup_server_accept_iostream), so every byte libsoup reads
// or writes for that client, over HTTP and later the WebSocket, passes here: that is how the
// server bounds what libsoup itself does not (a reassembled WebSocket message, the bytes queued
// for a client that does not read). Main thread only, like libsoup.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <memory>

namespace mixmeet::http {

/// Byte counts of one client connection, shared by its metered stream (which counts) and the
/// HttpServer (which reads them and sets the hooks).
struct Meter {
    guint64 bytesRead = 0;     ///< Bytes read from the socket so far.
    guint64 bytesWritten = 0;  ///< Bytes written to the socket so far.
    /// Called after each read with the byte count just read (> 0). Returning false ends the
    /// connection: the read reports end of stream and so does every later one.
    std::function<bool(gsize)> onRead;
    /// Called once, when the stream is closed (or, failing that, finalized).
    std::function<void()> onClosed;
};

/// Wraps `base` (an accepted GSocketConnection) in a pollable GIOStream counting into
/// `meter`. Closing it closes `base` at once (a socket close does not block), also from
/// g_io_stream_close_async, so onClosed runs on the caller's thread. Returns a new reference.
GIOStream* newMeteredStream(GIOStream* base, std::shared_ptr<Meter> meter);

}  // namespace mixmeet::http
