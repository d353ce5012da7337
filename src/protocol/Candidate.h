// Parses and vets one ICE candidate a client sends (the `candidate` of an `ice` message, as
// RTCIceCandidate.candidate writes it). Grammar: RFC 8839 section 5.1; TCP candidates: RFC
// 6544. Pure: no I/O, no name resolution. Safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/Result.h"

namespace mixmeet::protocol {

/// Longest accepted candidate string, bytes. Browsers write ~100-200 (an IPv6 relay candidate
/// with raddr/rport, generation, ufrag and network-id/cost is under 250).
constexpr std::size_t kMaxCandidateBytes = 512;

struct Candidate {
    enum class Address {
        IPv4,
        IPv6,
        Mdns,  ///< A browser's mDNS name ("<uuid>.local", draft-ietf-mmusic-mdns-ice-candidates).
    };
    std::string foundation;
    int component = 1;      ///< 1 (RTP; with rtcp-mux the only one) or 2 (RTCP).
    std::string transport;  ///< "udp" or "tcp" (lowercased).
    uint32_t priority = 0;
    std::string address;
    Address family = Address::IPv4;
    bool loopback = false;  ///< 127.0.0.0/8 or ::1.
    int port = 0;           ///< 1..65535.
    std::string type;       ///< "host", "srflx", "prflx" or "relay".
};

/// Parses `text` ("candidate:<foundation> <component> <transport> <priority> <address> <port>
/// typ <type> [<name> <value>]..."). Error code "bad-candidate", with a message saying what
/// is wrong, for: anything over kMaxCandidateBytes or not starting "candidate:", a component
/// other than 1 or 2, a transport other than UDP/TCP, a priority over 2^32-1, a port outside
/// 1..65535, an unknown type, an odd number of trailing tokens, and an address that is not an
/// IPv4/IPv6 literal or an mDNS ".local" name, or that no peer can have: unspecified
/// (0.0.0.0, ::), multicast or broadcast. Other host names are refused too: resolving names a
/// client picks would make the server query DNS for it.
core::Result<Candidate> parseCandidate(std::string_view text);

}  // namespace mixmeet::protocol
