// Bounds on what one client may make the HTTP/WebSocket layer hold: connections, time, bytes.
// Values and reasons: docs/security.md, section "Transport". Config: [limits] in
// config/mixmeet.ini.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>

namespace mixmeet::http {

struct Limits {
    /// Open client connections at most; past it new ones are closed at accept. 0: derived from
    /// RLIMIT_NOFILE by connectionCapForFdLimit().
    int maxConnections = 0;
    /// Open connections from one IP address at most; 0: no per-address cap.
    int maxConnectionsPerAddress = 64;
    /// A request's headers and body must arrive within this, s (slow-send clients).
    int requestTimeoutS = 10;
    /// A socket with no byte read (nor a blocked write making progress) for this long is
    /// closed, s: idle keep-alive HTTP, silent TCP, a WebSocket that stops answering pings.
    int idleTimeoutS = 30;
    /// WebSocket ping interval, s (a live peer's pong then arrives well within idleTimeoutS).
    int pingIntervalS = 10;
    /// Largest HTTP request body, bytes; larger ones get 413 and are not stored.
    std::size_t maxBodyBytes = 16 * 1024;
    /// Largest WebSocket message after reassembly, bytes; larger ones close the socket with
    /// 1009. permessage-deflate is not offered, so this is also the wire size.
    std::size_t maxMessageBytes = 1024 * 1024;
    /// Bytes queued for one WebSocket client but not yet taken by its socket; past it the
    /// client is dropped (closed with 1008), never waited for.
    std::size_t maxSendQueueBytes = 1024 * 1024;
};

/// The connection cap for a process whose RLIMIT_NOFILE soft limit is `nofile`: 64 descriptors
/// are kept for the process itself (stdio, SQLite, GLib/GStreamer internals, the listening
/// socket), and half of the rest for connections, leaving the other half for rooms (each
/// participant's ICE sockets and pipeline). At least 1.
std::size_t connectionCapForFdLimit(unsigned long long nofile);
/// The soft RLIMIT_NOFILE of this process (RLIM_INFINITY as a large number).
unsigned long long fdLimit();

/// Open connections counted in total and per address, against the caps. Main thread only.
class ConnectionTable {
public:
    enum class Admission { Admitted, TooMany, TooManyFromAddress };

    ConnectionTable(std::size_t maxTotal, std::size_t maxPerAddress)
        : maxTotal_(maxTotal), maxPerAddress_(maxPerAddress) {}

    /// Counts a new connection from `address` if the caps allow it.
    Admission admit(const std::string& address);
    /// Uncounts a connection admitted earlier.
    void release(const std::string& address);
    std::size_t count() const { return total_; }
    std::size_t countFrom(const std::string& address) const;
    std::size_t maxTotal() const { return maxTotal_; }
    /// New caps (a config reload): connections already open over them stay open.
    void setCaps(std::size_t maxTotal, std::size_t maxPerAddress) {
        maxTotal_ = maxTotal;
        maxPerAddress_ = maxPerAddress;
    }

private:
    std::size_t maxTotal_;
    std::size_t maxPerAddress_;  ///< 0: none.
    std::size_t total_ = 0;
    std::unordered_map<std::string, std::size_t> perAddress_;
};

}  // namespace mixmeet::http
