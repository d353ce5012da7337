// One end of the channel between the server and a media worker process (docs/workers.md):
// frames of a 4-byte big-endian length and that many bytes of one JSON object (UTF-8) over a
// connected stream socket (a socketpair). No pointers or shared memory cross it, so the same
// frames could run over TCP to a worker on another machine.
//
// Reading is non-blocking on the main context: every frame is handed to the message handler
// in arrival order. The server's calls into a worker also wait for their reply (request()),
// bounded by a timeout; frames that arrive meanwhile are handed over afterwards, in order.
// Main thread only. Neither handler may destroy the channel while it runs (defer it).
#pragma once

#include <gio/gio.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "core/Anchor.h"
#include "core/GstPtr.h"
#include "core/Json.h"
#include "core/Result.h"

namespace mixmeet::worker {

/// Version of the frame format and message set (the `protocol` of hello/configure).
inline constexpr int kProtocolVersion = 1;

class Channel {
public:
    /// Largest frame accepted or sent, bytes (an SDP offer is ~5 kB, a 25-person roster
    /// ~4 kB). A larger length prefix closes the channel.
    static constexpr std::size_t kMaxFrameBytes = 4u << 20;
    /// Bytes queued for a peer that does not read before the channel is closed.
    static constexpr std::size_t kMaxQueuedBytes = 64u << 20;

    /// The object is valid during the call only.
    using MessageHandler = std::function<void(JsonObject* message)>;
    /// Called once, when the peer closed, the socket failed or a frame was invalid.
    using ClosedHandler = std::function<void(const std::string& why)>;

    /// Takes ownership of `fd` (a connected SOCK_STREAM socket) and starts reading on the
    /// main context (core::mainContext()).
    Channel(int fd, MessageHandler onMessage, ClosedHandler onClosed);
    ~Channel();
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    /// Queues one message (the text of a JSON object). false once closed (it is dropped).
    bool send(std::string json);
    /// Sends `json`, then waits up to `timeoutMs` for the frame {"t":"reply","n":seq,...}.
    /// Errors: "timeout", "closed" (the peer went away meanwhile).
    core::Result<core::JsonDocument> request(std::string json, long long seq, int timeoutMs);
    /// Waits up to `timeoutMs` for the reply frame `seq` without sending (request() less the
    /// send). Same errors.
    core::Result<core::JsonDocument> awaitReply(long long seq, int timeoutMs);
    bool isOpen() const { return open_; }
    /// Hands every frame received so far to the message handler now (not at the next
    /// iteration).
    void dispatchPending() { drain(); }
    /// Closes the socket; nothing more is handed over and the closed handler is not called
    /// (also when called from the message handler).
    void close();

private:
    /// Reads what the socket has into in_ and moves whole frames to inbox_. false: closed
    /// (closeWith was called).
    bool readAvailable();
    /// Writes what it can of out_ without blocking. false: closed.
    bool flush();
    void closeWith(const std::string& why);
    /// Stops reading and writing and closes the socket (the inbox stays).
    void shutdownSocket();
    /// Hands inbox_ to the message handler, in order (re-entrant calls return at once).
    void drain();
    void scheduleDrain();
    void updateWriteWatch();
    static gboolean onReadable(GSocket*, GIOCondition, gpointer self) noexcept;
    static gboolean onWritable(GSocket*, GIOCondition, gpointer self) noexcept;

    core::GPtr<GSocket> socket_;
    MessageHandler onMessage_;
    ClosedHandler onClosed_;
    std::string in_;                 ///< Bytes read, not yet a whole frame.
    std::string out_;                ///< Frames not yet written.
    std::deque<std::string> inbox_;  ///< Whole frames not yet handed over (their text).
    bool open_ = true;
    bool draining_ = false;
    bool closedPending_ = false;  ///< Closed; the handler runs after the inbox is drained.
    std::string closedWhy_;
    core::SourcePtr readWatch_;
    core::SourcePtr writeWatch_;
    core::SourcePtr drainIdle_;
    core::Anchor<Channel> anchor_{this};
};

}  // namespace mixmeet::worker
