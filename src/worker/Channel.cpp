#include "worker/Channel.h"

#include <glib-unix.h>

#include <cstdint>
#include <utility>

#include "core/MainContext.h"

namespace mixmeet::worker {

namespace {

/// A frame's length prefix: 4 bytes, big-endian (network order).
std::string prefix(std::size_t n) {
    const auto v = static_cast<std::uint32_t>(n);
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

std::size_t lengthOf(const std::string& s) {
    const auto* b = reinterpret_cast<const unsigned char*>(s.data());
    return (std::size_t{b[0]} << 24) | (std::size_t{b[1]} << 16) | (std::size_t{b[2]} << 8) |
           std::size_t{b[3]};
}

bool isReplyTo(JsonObject* o, long long seq) {
    return json_object_has_member(o, "t") && json_object_has_member(o, "n") &&
           g_strcmp0(json_object_get_string_member(o, "t"), "reply") == 0 &&
           json_object_get_int_member(o, "n") == seq;
}

}  // namespace

Channel::Channel(int fd, MessageHandler onMessage, ClosedHandler onClosed)
    : onMessage_(std::move(onMessage)), onClosed_(std::move(onClosed)) {
    core::ErrorOut err;
    socket_ = core::GPtr<GSocket>::adopt(g_socket_new_from_fd(fd, err.out()));
    if (!socket_) {
        ::close(fd);
        open_ = false;
        closedWhy_ = std::string("not a socket: ") + err.message();
        return;
    }
    g_socket_set_blocking(socket_.get(), FALSE);
    readWatch_.reset(g_socket_create_source(
        socket_.get(), static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR), nullptr));
    g_source_set_callback(readWatch_.get(), reinterpret_cast<GSourceFunc>(onReadable), this,
                          nullptr);
    g_source_attach(readWatch_.get(), core::mainContext());
}

Channel::~Channel() {
    close();
}

void Channel::close() {
    shutdownSocket();
    drainIdle_.reset();
    inbox_.clear();  // Nothing more is handed over, and no closed handler runs.
    closedPending_ = false;
}

void Channel::shutdownSocket() {
    readWatch_.reset();
    writeWatch_.reset();
    if (socket_ && open_) g_socket_close(socket_.get(), nullptr);
    open_ = false;
}

bool Channel::send(std::string json) {
    if (!open_) return false;
    if (json.size() > kMaxFrameBytes) {
        g_warning("worker channel: a %zu-byte message is over the frame limit; dropped",
                  json.size());
        return true;
    }
    out_ += prefix(json.size());
    out_ += json;
    if (out_.size() > kMaxQueuedBytes) {
        closeWith("the peer does not read (" + std::to_string(out_.size()) + " bytes queued)");
        return false;
    }
    return flush();
}

bool Channel::flush() {
    while (open_ && !out_.empty()) {
        core::ErrorOut err;
        gssize n = g_socket_send(socket_.get(), out_.data(), out_.size(), nullptr, err.out());
        if (n < 0) {
            if (g_error_matches(*err.out(), G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) break;
            closeWith(std::string("write: ") + err.message());
            return false;
        }
        out_.erase(0, static_cast<std::size_t>(n));
    }
    updateWriteWatch();
    return open_;
}

void Channel::updateWriteWatch() {
    if (out_.empty() || !open_) {
        writeWatch_.reset();
        return;
    }
    if (writeWatch_) return;
    writeWatch_.reset(g_socket_create_source(socket_.get(), G_IO_OUT, nullptr));
    g_source_set_callback(writeWatch_.get(), reinterpret_cast<GSourceFunc>(onWritable), this,
                          nullptr);
    g_source_attach(writeWatch_.get(), core::mainContext());
}

bool Channel::readAvailable() {
    char buf[65536];
    for (;;) {
        core::ErrorOut err;
        gssize n = g_socket_receive(socket_.get(), buf, sizeof buf, nullptr, err.out());
        if (n < 0) {
            if (g_error_matches(*err.out(), G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) break;
            closeWith(std::string("read: ") + err.message());
            return false;
        }
        if (n == 0) {
            closeWith("the peer closed the channel");
            return false;
        }
        in_.append(buf, static_cast<std::size_t>(n));
        while (in_.size() >= 4) {
            const std::size_t len = lengthOf(in_);
            if (len > kMaxFrameBytes) {
                closeWith("a frame of " + std::to_string(len) + " bytes is over the limit");
                return false;
            }
            if (in_.size() < 4 + len) break;
            inbox_.push_back(in_.substr(4, len));
            in_.erase(0, 4 + len);
        }
    }
    return true;
}

void Channel::closeWith(const std::string& why) {
    if (!open_) return;
    shutdownSocket();  // Frames already read are still handed over, then the handler runs.
    closedPending_ = true;
    closedWhy_ = why;
    scheduleDrain();
}

core::Result<core::JsonDocument> Channel::request(std::string json, long long seq, int timeoutMs) {
    if (!send(std::move(json))) return core::makeError("closed", "the worker channel is closed");
    return awaitReply(seq, timeoutMs);
}

core::Result<core::JsonDocument> Channel::awaitReply(long long seq, int timeoutMs) {
    const gint64 deadline = g_get_monotonic_time() + gint64{timeoutMs} * 1000;
    std::size_t seen = 0;
    for (;;) {
        // A reply queued by readAvailable() below.
        for (std::size_t i = seen; i < inbox_.size(); ++i) {
            auto doc = core::JsonDocument::parseObject(inbox_[i]);
            if (doc && isReplyTo(doc.value().root(), seq)) {
                inbox_.erase(inbox_.begin() + static_cast<std::ptrdiff_t>(i));
                if (!inbox_.empty()) scheduleDrain();
                return doc;
            }
        }
        seen = inbox_.size();
        if (!open_) return core::makeError("closed", "the worker went away: " + closedWhy_);
        const gint64 left = deadline - g_get_monotonic_time();
        if (left <= 0) {
            if (!inbox_.empty()) scheduleDrain();
            return core::makeError(
                "timeout", "the worker did not answer within " + std::to_string(timeoutMs) + " ms");
        }
        GPollFD pfd{
            g_socket_get_fd(socket_.get()),
            static_cast<gushort>(G_IO_IN | G_IO_HUP | G_IO_ERR | (out_.empty() ? 0 : G_IO_OUT)), 0};
        g_poll(&pfd, 1, static_cast<gint>((left + 999) / 1000));
        if (pfd.revents & G_IO_OUT) flush();
        if (open_ && (pfd.revents & (G_IO_IN | G_IO_HUP | G_IO_ERR))) readAvailable();
    }
}

void Channel::scheduleDrain() {
    if (drainIdle_) return;
    drainIdle_.reset(g_idle_source_new());
    g_source_set_callback(
        drainIdle_.get(),
        [](gpointer data) -> gboolean {
            auto* weak = static_cast<std::weak_ptr<Channel*>*>(data);
            if (Channel* self = core::resolve(*weak)) {
                // Ours to drop (the dispatcher holds its own reference while this runs);
                // drain() may schedule the next one.
                GSource* running = self->drainIdle_.release();
                self->drain();
                g_source_unref(running);
            }
            return G_SOURCE_REMOVE;
        },
        new std::weak_ptr<Channel*>(anchor_.weak()),
        [](gpointer data) { delete static_cast<std::weak_ptr<Channel*>*>(data); });
    g_source_attach(drainIdle_.get(), core::mainContext());
}

void Channel::drain() {
    if (draining_) return;
    draining_ = true;
    auto weak = anchor_.weak();
    while (!inbox_.empty()) {
        std::string text = std::move(inbox_.front());
        inbox_.pop_front();
        auto doc = core::JsonDocument::parseObject(text);
        if (!doc) {
            // Nothing after a broken frame can be trusted: the channel ends here.
            inbox_.clear();
            shutdownSocket();
            closedPending_ = true;
            closedWhy_ = "a frame is not a JSON object: " + doc.error().message;
            break;
        }
        onMessage_(doc.value().root());
        if (!core::resolve(weak)) return;
    }
    draining_ = false;
    if (closedPending_) {
        closedPending_ = false;
        if (onClosed_) onClosed_(closedWhy_);
    }
}

gboolean Channel::onReadable(GSocket*, GIOCondition, gpointer data) noexcept {
    auto* self = static_cast<Channel*>(data);
    if (self->readAvailable()) self->drain();
    return G_SOURCE_CONTINUE;  // close() destroys the source when the channel ends.
}

gboolean Channel::onWritable(GSocket*, GIOCondition, gpointer data) noexcept {
    auto* self = static_cast<Channel*>(data);
    // Ours to drop (the dispatcher holds its own reference); flush() makes the next one.
    GSource* running = self->writeWatch_.release();
    self->flush();
    g_source_unref(running);
    return G_SOURCE_REMOVE;
}

}  // namespace mixmeet::worker
