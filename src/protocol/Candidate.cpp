#include "protocol/Candidate.h"

#include <gio/gio.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "core/GstPtr.h"

namespace mixmeet::protocol {

namespace {

constexpr const char* kBadCandidate = "bad-candidate";

core::Error bad(const std::string& why) {
    return core::makeError(kBadCandidate, "bad ICE candidate: " + why);
}

std::vector<std::string_view> splitSpaces(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size() && out.size() <= 64) {  // A candidate has ~10-20 tokens.
        while (i < s.size() && s[i] == ' ') ++i;
        std::size_t j = i;
        while (j < s.size() && s[j] != ' ') ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

/// Unsigned decimal of 1..maxDigits digits, at most `max`.
bool number(std::string_view s, std::size_t maxDigits, uint64_t max, uint64_t& out) {
    if (s.empty() || s.size() > maxDigits) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && out <= max;
}

bool iceChars(std::string_view s) {
    // ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 section 5.1).
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return g_ascii_isalnum(c) || c == '+' || c == '/'; });
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = g_ascii_tolower(c);
    return out;
}

bool mdnsName(std::string_view s) {
    // Browsers write "<UUID v4>.local"; allow any short DNS label before ".local".
    constexpr std::string_view kSuffix = ".local";
    if (s.size() <= kSuffix.size() || s.size() > 255) return false;
    if (lower(s.substr(s.size() - kSuffix.size())) != kSuffix) return false;
    std::string_view label = s.substr(0, s.size() - kSuffix.size());
    return label.size() <= 63 && std::all_of(label.begin(), label.end(),
                                             [](char c) { return g_ascii_isalnum(c) || c == '-'; });
}

}  // namespace

core::Result<Candidate> parseCandidate(std::string_view text) {
    if (text.size() > kMaxCandidateBytes)
        return bad("longer than " + std::to_string(kMaxCandidateBytes) + " bytes");
    constexpr std::string_view kPrefix = "candidate:";
    if (text.substr(0, kPrefix.size()) != kPrefix) return bad("must start with 'candidate:'");
    for (char c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return bad("control characters are not allowed");
    // foundation component transport priority address port "typ" type *(name value)
    auto t = splitSpaces(text.substr(kPrefix.size()));
    if (t.size() < 8 || t[6] != "typ")
        return bad(
            "expected '<foundation> <component> <transport> <priority> <address> <port> "
            "typ <type>'");
    if (t.size() % 2 != 0) return bad("extension attributes must come in name/value pairs");
    Candidate c;
    if (t[0].size() > 32 || !iceChars(t[0]))
        return bad("foundation must be 1-32 of A-Z a-z 0-9 + /");
    c.foundation = std::string(t[0]);
    uint64_t n = 0;
    if (!number(t[1], 3, 256, n) || (n != 1 && n != 2)) return bad("component must be 1 or 2");
    c.component = static_cast<int>(n);
    c.transport = lower(t[2]);
    if (c.transport != "udp" && c.transport != "tcp") return bad("transport must be UDP or TCP");
    if (!number(t[3], 10, UINT32_MAX, n)) return bad("priority must be 0..4294967295");
    c.priority = static_cast<uint32_t>(n);
    if (!number(t[5], 5, 65535, n) || n == 0) return bad("port must be 1..65535");
    c.port = static_cast<int>(n);
    c.type = lower(t[7]);
    if (c.type != "host" && c.type != "srflx" && c.type != "prflx" && c.type != "relay")
        return bad("type must be host, srflx, prflx or relay");

    c.address = std::string(t[4]);
    if (mdnsName(c.address)) {
        c.family = Candidate::Address::Mdns;
        return c;
    }
    core::GPtr<GInetAddress> addr =
        core::GPtr<GInetAddress>::adopt(g_inet_address_new_from_string(c.address.c_str()));
    if (!addr) return bad("the address must be an IPv4 or IPv6 literal or an mDNS .local name");
    c.family = g_inet_address_get_family(addr.get()) == G_SOCKET_FAMILY_IPV6
                   ? Candidate::Address::IPv6
                   : Candidate::Address::IPv4;
    if (g_inet_address_get_is_any(addr.get()) || g_inet_address_get_is_multicast(addr.get()) ||
        c.address == "255.255.255.255")
        return bad("the address is unspecified, multicast or broadcast");
    if (c.family == Candidate::Address::IPv6) {
        // ::ffff:a.b.c.d would dodge the IPv4 checks (and browsers never write it).
        const guint8* b = g_inet_address_to_bytes(addr.get());
        if (std::all_of(b, b + 10, [](guint8 x) { return x == 0; }) && b[10] == 0xff &&
            b[11] == 0xff)
            return bad("IPv4-mapped IPv6 addresses are not accepted; send the IPv4 address");
    }
    c.loopback = g_inet_address_get_is_loopback(addr.get());
    return c;
}

}  // namespace mixmeet::protocol
