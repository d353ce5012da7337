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

/// A WebSocket frame as a client sends it (masked; RFC 6455 section 5.2). `rsv1` marks it as
/// compressed (permessage-deflate, RFC 7692).
inline std::string clientFrame(uint8_t opcode, const std::string& payload, bool fin = true,
                               bool rsv1 = false) {
    std::string f;
    f.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode));
    std::size_t n = payload.size();
    if (n < 126) {
        f.push_back(static_cast<char>(0x80 | n));
    } else if (n <= 0xFFFF) {
        f.push_back(static_cast<char>(0x80 | 126));
        f.push_back(static_cast<char>(n >> 8));
        f.push_back(static_cast<char>(n & 0xFF));
    } else {
        f.push_back(static_cast<char>(0x80 | 127));
        for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
    }
    const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    for (uint8_t m : mask) f.push_back(static_cast<char>(m));
    for (std::size_t i = 0; i < n; ++i)
        f.push_back(static_cast<char>(static_cast<uint8_t>(payload[i]) ^ mask[i % 4]));
    return f;
}

/// One server frame parsed from the front of `buf` (unmasked), or false if incomplete.
struct ServerFrame {
    uint8_t opcode = 0;
    std::string payload;
};
inline bool takeServerFrame(std::string& buf, ServerFrame& out) {
    if (buf.size() < 2) return false;
    auto b = [&](std::size_t i) { return static_cast<uint8_t>(buf[i]); };
    std::size_t len = b(1) & 0x7F, at = 2;
    if (len == 126) {
        if (buf.size() < 4) return false;
        len = (std::size_t(b(2)) << 8) | b(3);
        at = 4;
    } else if (len == 127) {
        if (buf.size() < 10) return false;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | b(2 + i);
        at = 10;
    }
    if (buf.size() < at + len) return false;
    out.opcode = b(0) & 0x0F;
    out.payload = buf.substr(at, len);
    buf.erase(0, at + len);
    return true;
}

/// The opening handshake for /ws (RFC 6455 section 4.1), with the page's Origin.
inline std::string wsHandshake(int port, const std::string& extraHeaders = {}) {
    std::string host = "127.0.0.1:" + std::to_string(port);
    return "GET /ws HTTP/1.1\r\nHost: " + host +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           "Origin: http://" +
           host + "\r\n" + extraHeaders + "\r\n";
}

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
