#include <catch2/catch.hpp>

#include "app/Metrics.h"
#include "core/StructuredLog.h"
#include "media/MediaMetrics.h"

using namespace mixmeet::app;
namespace media = mixmeet::media;

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

TEST_CASE("the join-to-first-frame histogram counts each duration in every bucket at or above it",
          "[metrics]") {
    media::DurationHistogram h;
    h.observeUs(50'000);      // 0.05 s
    h.observeUs(100'000);     // 0.1 s: "le" is inclusive
    h.observeUs(300'000);     // 0.3 s
    h.observeUs(20'000'000);  // 20 s: only +Inf
    h.observeUs(-5);          // a clock step back counts as 0
    const auto s = h.snapshot();
    REQUIRE(s.cumulative.size() == media::DurationHistogram::kBoundsS.size() + 1);
    CHECK(s.cumulative[0] == 3);                                              // <= 0.1
    CHECK(s.cumulative[1] == 3);                                              // <= 0.25
    CHECK(s.cumulative[2] == 4);                                              // <= 0.5
    CHECK(s.cumulative[media::DurationHistogram::kBoundsS.size() - 1] == 4);  // <= 10
    CHECK(s.cumulative.back() == 5);
    CHECK(s.count == 5);
    CHECK(s.sumS == Approx(20.45));
}
