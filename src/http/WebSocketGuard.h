// The WebSocket bounds libsoup 3.2 does not enforce by itself, on top of the metered stream:
//  - the size of a reassembled message: libsoup's max-incoming-payload-size is checked per
//    frame, so continuation frames could grow one message without end. Here every byte read
//    since the last delivered message is counted; past the bound the socket is closed with
//    1009 before libsoup buffers more.
//  - the bytes queued for a client that does not read: libsoup queues every frame without
//    bound. sendText() counts what it hands to libsoup against what the socket has taken and
//    drops the client past the bound, without waiting for it.
// Main thread only.
#pragma once

#include <libsoup/soup.h>

#include <cstddef>
#include <memory>
#include <string>

#include "http/Limits.h"
#include "http/MeteredStream.h"

namespace mixmeet::http {

/// Puts `ws` (a server-side WebSocket on `meter`'s stream; `socket` is its socket) under
/// `limits`: maxMessageBytes, maxSendQueueBytes, pingIntervalS. The guard lives as long as
/// `ws`.
void guardWebSocket(SoupWebsocketConnection* ws, std::shared_ptr<Meter> meter, GSocket* socket,
                    const Limits& limits);

/// Queues `text` on `ws`. If the bytes queued for `ws` and not yet taken by its socket would
/// then pass maxSendQueueBytes, drops the client instead: closes it with 1008 "send queue
/// full", shuts its socket down (its "closed" signal follows from the main loop) and returns
/// false. Unguarded connections just send.
bool sendText(SoupWebsocketConnection* ws, const std::string& text);
/// Whether a bound above closed `ws` (a message too big, a client that does not read): such a
/// client is dropped for good, not kept for a reconnect.
bool closedByBound(SoupWebsocketConnection* ws);

/// Bytes queued for `ws` but not yet taken by its socket (an estimate that errs high by a few
/// bytes per control frame); 0 for unguarded connections.
std::size_t sendBacklog(SoupWebsocketConnection* ws);

/// Size on the wire of a WebSocket frame carrying `payload` bytes (RFC 6455 section 5.2),
/// masked (client to server) or not.
std::size_t frameSize(std::size_t payload, bool masked);

}  // namespace mixmeet::http
