// Connection accounting and the [limits] config (docs/security.md, Transport).
#include <catch2/catch.hpp>

#include "app/Config.h"
#include "http/Limits.h"
#include "http/WebSocketGuard.h"
#include "mixmeet-config.h"

using namespace mixmeet;

TEST_CASE("the connection cap leaves descriptors for the process and for rooms", "[limits]") {
    CHECK(http::connectionCapForFdLimit(1024) == 480);
    CHECK(http::connectionCapForFdLimit(128) == 32);
    CHECK(http::connectionCapForFdLimit(65536) == 32736);
    CHECK(http::connectionCapForFdLimit(10) == 1);
    CHECK(http::fdLimit() > 0);
}

TEST_CASE("the connection table caps per address and in total", "[limits]") {
    using A = http::ConnectionTable::Admission;
    http::ConnectionTable t(3, 2);
    CHECK(t.admit("10.0.0.1") == A::Admitted);
    CHECK(t.admit("10.0.0.1") == A::Admitted);
    CHECK(t.admit("10.0.0.1") == A::TooManyFromAddress);
    CHECK(t.admit("10.0.0.2") == A::Admitted);
    CHECK(t.admit("10.0.0.3") == A::TooMany);
    CHECK(t.count() == 3);
    t.release("10.0.0.1");
    CHECK(t.countFrom("10.0.0.1") == 1);
    CHECK(t.admit("10.0.0.3") == A::Admitted);
    t.release("10.0.0.9");  // Unknown: ignored.
    CHECK(t.count() == 3);

    http::ConnectionTable open(2, 0);  // No per-address cap.
    CHECK(open.admit("a") == A::Admitted);
    CHECK(open.admit("a") == A::Admitted);
    CHECK(open.admit("a") == A::TooMany);
}

TEST_CASE("WebSocket frame sizes follow RFC 6455 section 5.2", "[limits]") {
    CHECK(http::frameSize(0, false) == 2);
    CHECK(http::frameSize(125, true) == 131);
    CHECK(http::frameSize(126, false) == 130);
    CHECK(http::frameSize(65535, false) == 65539);
    CHECK(http::frameSize(65536, true) == 65550);
}

TEST_CASE("[limits] is read from the config with safe defaults", "[limits][config]") {
    auto d = app::parseConfig("", "test");
    REQUIRE(d);
    CHECK(d.value().limits.maxBodyBytes == 16 * 1024);
    CHECK(d.value().limits.maxMessageBytes == 1024 * 1024);
    CHECK(d.value().limits.idleTimeoutS == 30);
    auto c = app::parseConfig(
        "[limits]\nmax_connections=100\nmax_connections_per_address=5\nrequest_timeout_s=3\n"
        "idle_timeout_s=20\nping_interval_s=5\nmax_body_bytes=4096\n"
        "max_message_bytes=131072\nmax_send_queue_bytes=262144\n",
        "test");
    REQUIRE(c);
    const http::Limits& l = c.value().limits;
    CHECK(l.maxConnections == 100);
    CHECK(l.maxConnectionsPerAddress == 5);
    CHECK(l.requestTimeoutS == 3);
    CHECK(l.idleTimeoutS == 20);
    CHECK(l.pingIntervalS == 5);
    CHECK(l.maxBodyBytes == 4096);
    CHECK(l.maxMessageBytes == 131072);
    CHECK(l.maxSendQueueBytes == 262144);
    auto bad = app::parseConfig("[limits]\nidle_timeout_s=5\nping_interval_s=5\n", "test");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("ping_interval_s") != std::string::npos);
    CHECK_FALSE(app::parseConfig("[limits]\nmax_body_bytes=10\n", "test"));
}

TEST_CASE("the shipped config/mixmeet.ini has the built-in [limits]", "[limits][config]") {
    auto c = app::loadConfig(std::string(MIXMEET_SOURCE_DIR) + "/config/mixmeet.ini");
    REQUIRE(c);
    const http::Limits& l = c.value().limits;
    const http::Limits d;
    CHECK(l.maxConnections == d.maxConnections);
    CHECK(l.maxConnectionsPerAddress == d.maxConnectionsPerAddress);
    CHECK(l.requestTimeoutS == d.requestTimeoutS);
    CHECK(l.idleTimeoutS == d.idleTimeoutS);
    CHECK(l.pingIntervalS == d.pingIntervalS);
    CHECK(l.maxBodyBytes == d.maxBodyBytes);
    CHECK(l.maxMessageBytes == d.maxMessageBytes);
    CHECK(l.maxSendQueueBytes == d.maxSendQueueBytes);
}
