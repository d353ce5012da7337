// The WebSocket wire format as the hostile-client tests' raw clients write and read it
// (RFC 6455): masked client frames, unmasked server frames, the opening handshake. Shared by
// RawClient (main-context driven) and RawWebSocket (a flooding thread).
#pragma once

#include <cstdint>
#include <string>

namespace mixmeet::testing {

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

}  // namespace mixmeet::testing
