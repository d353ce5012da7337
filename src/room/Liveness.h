// Which participants a room drops for not being there: connected ones from which nothing
// (RTP, RTCP or DTLS) arrived for disconnectTimeoutMs, and ones not connected
// connectTimeoutMs after joining (zombies that never answer the offer, or whose ICE never
// connects). Pure policy: the room passes what it knows and removes whom this names.
//
// Threads: main thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mixmeet::room {

class Liveness {
public:
    /// What the room knows of one participant.
    struct Peer {
        std::string id;
        bool connected = false;         ///< ICE connected (or completed) once.
        bool answered = false;          ///< Its SDP answer was applied.
        int64_t joinedMs = 0;           ///< Monotonic, ms.
        int64_t sinceLastPacketMs = 0;  ///< Only read for connected peers.
    };
    /// A participant to remove, and why (for the participant and the log).
    struct Removal {
        std::string id;
        std::string message;
    };

    Liveness(int disconnectTimeoutMs, int connectTimeoutMs)
        : disconnectTimeoutMs_(disconnectTimeoutMs), connectTimeoutMs_(connectTimeoutMs) {}

    /// Connected peers silent for over disconnectTimeoutMs, in order.
    std::vector<std::string> silent(const std::vector<Peer>& peers) const;
    /// Peers still not connected over connectTimeoutMs after joining at `nowMs`, in order.
    std::vector<Removal> unconnected(const std::vector<Peer>& peers, int64_t nowMs) const;

    /// Called at every check, `nowMs` monotonic; `periodMs` is how often checks are meant to
    /// run. FALSE while the checks must not remove anyone: a gap between two checks of more
    /// than three periods means the server itself did not run (SIGSTOP, a swapped-out or
    /// saturated machine), so participants' "silence" over that gap is ours, not theirs; they
    /// get disconnectTimeoutMs after the server resumes before silent() or unconnected() are
    /// believed again.
    bool checksApply(int64_t nowMs, int periodMs);
    /// Stalls checksApply() detected so far, and the length of the last one, ms.
    unsigned stalls() const { return stalls_; }
    int64_t lastStallMs() const { return lastStallMs_; }

    int disconnectTimeoutMs() const { return disconnectTimeoutMs_; }

private:
    int disconnectTimeoutMs_;
    int connectTimeoutMs_;
    int64_t lastCheckMs_ = -1;
    int64_t resumedAtMs_ = -1;  ///< When the last stall ended (-1: never).
    int64_t lastStallMs_ = 0;
    unsigned stalls_ = 0;
};

}  // namespace mixmeet::room
