// A deliberately minimal WebSocket client on a plain TCP socket, for hostile-client tests: it
// can write frames as fast as the kernel takes them (from its own thread) and can stop
// reading altogether, which a libsoup client on the test's main loop cannot. Client frames
// are masked (RFC 6455 section 5.3); replies are read only when asked (drain()).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "WebSocketWire.h"

namespace mixmeet::testing {

class RawWebSocket {
public:
    /// Connects to 127.0.0.1:port and sends the upgrade request for /ws (the response is read
    /// by upgraded()). `cookie`: a Cookie header value, or empty.
    explicit RawWebSocket(int port, const std::string& cookie = {}) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) return;
        timeval tv{0, 200 * 1000};  // A send blocked this long counts as "server not reading".
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            close();
            return;
        }
        std::string req = wsHandshake(port, cookie.empty() ? "" : "Cookie: " + cookie + "\r\n");
        if (!writeAll(req)) close();
    }
    ~RawWebSocket() { close(); }
    RawWebSocket(const RawWebSocket&) = delete;
    RawWebSocket& operator=(const RawWebSocket&) = delete;

    /// Reads (without blocking) what the server sent so far; true once the 101 response is in.
    bool upgraded() {
        if (upgraded_) return true;
        drain();
        auto end = input_.find("\r\n\r\n");
        if (end == std::string::npos) return false;
        upgraded_ = input_.rfind("HTTP/1.1 101", 0) == 0;
        input_.erase(0, end + 4);
        return upgraded_;
    }
    bool ok() const { return fd_ >= 0 && !eof_; }
    /// Whether the server closed the connection (seen by the last drain()).
    bool eof() const { return eof_; }
    std::size_t bytesReceived() const { return received_; }
    /// Everything received after the handshake (raw frames; tests search it for text).
    const std::string& input() const { return input_; }

    /// One masked text frame. False when the socket is closed or the server stopped reading
    /// (a send blocked for 200 ms).
    bool sendText(const std::string& payload) {
        if (fd_ < 0) return false;
        return writeAll(clientFrame(0x1, payload));
    }

    /// Reads whatever is waiting, without blocking; notes EOF.
    void drain() {
        if (fd_ < 0) return;
        char buf[16384];
        for (int i = 0; i < 64; ++i) {
            ssize_t r = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
            if (r > 0) {
                received_ += static_cast<std::size_t>(r);
                if (input_.size() < (1u << 20)) input_.append(buf, static_cast<std::size_t>(r));
                continue;
            }
            if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) eof_ = true;
            return;
        }
    }

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    bool writeAll(const std::string& data) {
        std::size_t off = 0;
        while (off < data.size()) {
            ssize_t w = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
            if (w <= 0) {
                if (w < 0 && errno == EINTR) continue;
                return false;
            }
            off += static_cast<std::size_t>(w);
        }
        return true;
    }

    int fd_ = -1;
    bool upgraded_ = false;
    bool eof_ = false;
    std::size_t received_ = 0;
    std::string input_;
};

}  // namespace mixmeet::testing
