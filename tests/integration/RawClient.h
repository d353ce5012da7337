// A raw TCP client for the hostile-client tests: plain POSIX sockets to 127.0.0.1, so a test
// can send exactly the bytes a hostile client would (half requests, huge bodies, hand-made
// WebSocket frames) and see exactly what the server does with the socket. Every wait iterates
// the thread-default main context (the in-process server runs there) and has a deadline.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "Wait.h"
#include "WebSocketWire.h"

namespace mixmeet::testing {

class RawClient {
public:
    /// Connects to 127.0.0.1:port. rcvbuf > 0 shrinks the receive buffer first (a client
    /// that reads nothing then holds little in its kernel).
    explicit RawClient(int port, int rcvbuf = 0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // Loopback connects complete in the kernel's backlog, without the server's accept.
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    }
    ~RawClient() { close(); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool connected() const { return connected_; }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    /// Sends all of `data`, iterating the main context while the socket is full. False if the
    /// peer closed or the deadline passed.
    bool send(const std::string& data,
              std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        std::size_t off = 0;
        bool ok = waitUntil(
            [&] {
                while (off < data.size()) {
                    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
                    if (n > 0) {
                        off += static_cast<std::size_t>(n);
                        continue;
                    }
                    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
                    failed_ = true;
                    return true;
                }
                return true;
            },
            timeout);
        return ok && !failed_;
    }

    /// Reads what is there without waiting; notes end of stream or a reset.
    void drain() {
        char buf[65536];
        for (;;) {
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) {
                received_.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) closedByPeer_ = true;
            return;
        }
    }
    /// Reads (iterating the main context) until `cond` holds or the deadline passes.
    bool readUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
        return waitUntil(
            [&] {
                drain();
                return cond();
            },
            timeout);
    }
    /// Waits for the server to end the connection (end of stream or reset).
    bool waitClosed(std::chrono::milliseconds timeout) {
        return readUntil([&] { return closedByPeer_; }, timeout);
    }
    bool closedByPeer() const { return closedByPeer_; }
    std::string& received() { return received_; }

    /// True once the server's answer to a request is complete enough to read the status line.
    bool hasStatusLine() const { return received_.find("\r\n") != std::string::npos; }
    int status() const {
        if (received_.rfind("HTTP/1.1 ", 0) != 0 || received_.size() < 12) return 0;
        return std::atoi(received_.c_str() + 9);
    }

private:
    int fd_ = -1;
    bool connected_ = false;
    bool failed_ = false;
    bool closedByPeer_ = false;
    std::string received_;
};

/// Opens a WebSocket on `c`: sends the handshake and waits for the 101 and the end of its
/// headers (leaving any bytes after them in received()). The response headers, or "".
inline std::string openWebSocket(RawClient& c, int port, const std::string& extraHeaders = {}) {
    if (!c.send(wsHandshake(port, extraHeaders))) return {};
    if (!c.readUntil([&] { return c.received().find("\r\n\r\n") != std::string::npos; },
                     std::chrono::seconds(10)))
        return {};
    std::size_t end = c.received().find("\r\n\r\n") + 4;
    std::string headers = c.received().substr(0, end);
    c.received().erase(0, end);
    return headers;
}

}  // namespace mixmeet::testing
