// ICE candidates from clients: only sane, well-formed candidates pass (protocol/Candidate.h).
#include <catch2/catch.hpp>

#include <string>

#include "protocol/Candidate.h"

using mixmeet::protocol::Candidate;
using mixmeet::protocol::parseCandidate;

namespace {
std::string errorOf(const std::string& text) {
    auto c = parseCandidate(text);
    return c ? std::string() : c.error().message;
}
}  // namespace

TEST_CASE("browser candidates parse", "[hostile][signaling][candidate]") {
    auto host = parseCandidate(
        "candidate:842163049 1 udp 1677729535 192.0.2.7 51413 typ host generation 0 ufrag "
        "EsAw network-cost 999");
    REQUIRE(host);
    CHECK(host.value().component == 1);
    CHECK(host.value().transport == "udp");
    CHECK(host.value().priority == 1677729535u);
    CHECK(host.value().address == "192.0.2.7");
    CHECK(host.value().port == 51413);
    CHECK(host.value().type == "host");
    CHECK(host.value().family == Candidate::Address::IPv4);
    CHECK_FALSE(host.value().loopback);

    auto mdns = parseCandidate(
        "candidate:1 1 UDP 2122252543 4b5c3a1e-7f3a-4bd4-9c3e-2f1d7e1b2c3d.local 60000 typ host");
    REQUIRE(mdns);
    CHECK(mdns.value().family == Candidate::Address::Mdns);

    auto relay = parseCandidate(
        "candidate:3 1 udp 41885439 2001:db8::5 3478 typ relay raddr 203.0.113.9 rport 50000");
    REQUIRE(relay);
    CHECK(relay.value().family == Candidate::Address::IPv6);
    CHECK(relay.value().type == "relay");

    auto tcp = parseCandidate("candidate:4 1 TCP 1518280447 192.0.2.7 9 typ host tcptype active");
    REQUIRE(tcp);
    CHECK(tcp.value().transport == "tcp");

    auto lo = parseCandidate("candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host");
    REQUIRE(lo);
    CHECK(lo.value().loopback);
    CHECK(parseCandidate("candidate:1 1 UDP 1 ::1 40000 typ host").value().loopback);
}

TEST_CASE("malformed or absurd candidates are refused with a reason",
          "[hostile][signaling][candidate]") {
    const char* ok = "candidate:1 1 UDP 2015363327 192.0.2.1 40000 typ host";
    REQUIRE(errorOf(ok).empty());
    // Not a candidate at all.
    CHECK_THAT(errorOf("hello"), Catch::Contains("candidate:"));
    CHECK_THAT(errorOf("a=candidate:1 1 UDP 1 192.0.2.1 1 typ host"),
               Catch::Contains("candidate:"));
    CHECK_FALSE(errorOf("candidate:").empty());
    CHECK_FALSE(errorOf("candidate:1 1 UDP 1 192.0.2.1 40000 host").empty());  // no "typ"
    // Absurd lengths.
    CHECK_THAT(errorOf(std::string(ok) + " x " + std::string(600, 'y')),
               Catch::Contains("longer than 512"));
    CHECK_FALSE(
        errorOf("candidate:" + std::string(33, 'f') + " 1 UDP 1 192.0.2.1 1 typ host").empty());
    // Bad components, transports, priorities, ports, types.
    CHECK_THAT(errorOf("candidate:1 0 UDP 1 192.0.2.1 40000 typ host"),
               Catch::Contains("component"));
    CHECK_THAT(errorOf("candidate:1 3 UDP 1 192.0.2.1 40000 typ host"),
               Catch::Contains("component"));
    CHECK_THAT(errorOf("candidate:1 99999 UDP 1 192.0.2.1 40000 typ host"),
               Catch::Contains("component"));
    CHECK_THAT(errorOf("candidate:1 1 SCTP 1 192.0.2.1 40000 typ host"),
               Catch::Contains("transport"));
    CHECK_THAT(errorOf("candidate:1 1 UDP 4294967296 192.0.2.1 40000 typ host"),
               Catch::Contains("priority"));
    CHECK_THAT(errorOf("candidate:1 1 UDP -1 192.0.2.1 40000 typ host"),
               Catch::Contains("priority"));
    CHECK_THAT(errorOf("candidate:1 1 UDP 1 192.0.2.1 0 typ host"), Catch::Contains("port"));
    CHECK_THAT(errorOf("candidate:1 1 UDP 1 192.0.2.1 65536 typ host"), Catch::Contains("port"));
    CHECK_THAT(errorOf("candidate:1 1 UDP 1 192.0.2.1 40000 typ evil"), Catch::Contains("type"));
    CHECK_THAT(errorOf("candidate:1 1 UDP 1 192.0.2.1 40000 typ host raddr"),
               Catch::Contains("pairs"));
    CHECK_THAT(errorOf("candidate:1 1 UDP 1 192.0.2.1 40000 typ host\n"),
               Catch::Contains("control"));
    // Addresses no peer has, or names the server would have to resolve.
    CHECK_THAT(errorOf("candidate:1 1 UDP 1 0.0.0.0 40000 typ host"),
               Catch::Contains("unspecified"));
    CHECK_THAT(errorOf("candidate:1 1 UDP 1 :: 40000 typ host"), Catch::Contains("unspecified"));
    CHECK_THAT(errorOf("candidate:1 1 UDP 1 224.0.0.251 40000 typ host"),
               Catch::Contains("multicast"));
    CHECK_THAT(errorOf("candidate:1 1 UDP 1 255.255.255.255 40000 typ host"),
               Catch::Contains("broadcast"));
    CHECK_THAT(errorOf("candidate:1 1 UDP 1 ::ffff:127.0.0.1 40000 typ host"),
               Catch::Contains("IPv4-mapped"));
    CHECK_THAT(errorOf("candidate:1 1 UDP 1 evil.example.com 40000 typ host"),
               Catch::Contains("literal"));
    CHECK_THAT(errorOf("candidate:1 1 UDP 1 999.1.1.1 40000 typ host"), Catch::Contains("literal"));
}
