#include <catch2/catch.hpp>

#include "app/Metrics.h"
#include "core/StructuredLog.h"

using namespace mixmeet::app;

TEST_CASE("metrics text follows the exposition format", "[metrics]") {
    MetricsText m;
    m.family("mixmeet_rooms", "gauge", "Rooms open.").sample("mixmeet_rooms", 2);
    m.family("mixmeet_encoders", "gauge", "Encoders.")
        .sample("mixmeet_encoders", 1, {{"kind", "vp8"}, {"tier", "high"}})
        .sample("mixmeet_encoders", 0.5, {{"room", "a\"b\\c\nd"}});
    CHECK(m.text() ==
          "# HELP mixmeet_rooms Rooms open.\n"
          "# TYPE mixmeet_rooms gauge\n"
          "mixmeet_rooms 2\n"
          "# HELP mixmeet_encoders Encoders.\n"
          "# TYPE mixmeet_encoders gauge\n"
          "mixmeet_encoders{kind=\"vp8\",tier=\"high\"} 1\n"
          "mixmeet_encoders{room=\"a\\\"b\\\\c\\nd\"} 0.5\n");
}

TEST_CASE("metrics: loopback only without a token, bearer token otherwise", "[metrics]") {
    CHECK(metricsAccess("127.0.0.1", "", "") == MetricsAccess::Allowed);
    CHECK(metricsAccess("::1", "", "") == MetricsAccess::Allowed);
    CHECK(metricsAccess("192.0.2.7", "", "") == MetricsAccess::Forbidden);
    CHECK(metricsAccess("192.0.2.7", "Bearer x", "") == MetricsAccess::Forbidden);
    CHECK(metricsAccess("192.0.2.7", "Bearer s3cret", "s3cret") == MetricsAccess::Allowed);
    CHECK(metricsAccess("127.0.0.1", "bearer s3cret", "s3cret") == MetricsAccess::Allowed);
    CHECK(metricsAccess("127.0.0.1", "", "s3cret") == MetricsAccess::Unauthorized);
    CHECK(metricsAccess("192.0.2.7", "Bearer s3cre", "s3cret") == MetricsAccess::Unauthorized);
    CHECK(metricsAccess("192.0.2.7", "Bearer s3cretX", "s3cret") == MetricsAccess::Unauthorized);
    CHECK(metricsAccess("192.0.2.7", "Basic s3cret", "s3cret") == MetricsAccess::Unauthorized);
}

TEST_CASE("process figures are read from /proc", "[metrics]") {
    ProcessFigures p = readProcessFigures();
    CHECK(p.cpuSeconds >= 0);
    CHECK(p.residentBytes > 1024 * 1024);
    CHECK(p.openFds >= 3);
}

TEST_CASE("structured log lines carry room and participant ids as fields", "[log]") {
    using Fields = std::vector<std::pair<std::string, std::string>>;
    CHECK(mixmeet::core::logFields({"abc-defg-hij", "p3"}, "joined") ==
          Fields{{"MESSAGE", "room abc-defg-hij: p3: joined"},
                 {"GLIB_DOMAIN", "mixmeet"},
                 {"MIXMEET_ROOM", "abc-defg-hij"},
                 {"MIXMEET_PARTICIPANT", "p3"}});
    CHECK(mixmeet::core::logFields({"r", ""}, "created") == Fields{{"MESSAGE", "room r: created"},
                                                                   {"GLIB_DOMAIN", "mixmeet"},
                                                                   {"MIXMEET_ROOM", "r"}});
    CHECK(mixmeet::core::logFields({}, "x") ==
          Fields{{"MESSAGE", "x"}, {"GLIB_DOMAIN", "mixmeet"}});
    mixmeet::core::logEvent(G_LOG_LEVEL_DEBUG, {"r", "p"}, "logged without crashing");
}
