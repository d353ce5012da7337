#include <catch2/catch.hpp>

#include "app/Config.h"
#include "app/Paths.h"
#include "mixmeet-config.h"

using namespace mixmeet::app;

TEST_CASE("an empty config gives the documented defaults", "[config]") {
    auto c = parseConfig("", "test.ini");
    REQUIRE(c.ok());
    CHECK(c.value().address == "127.0.0.1");
    CHECK(c.value().port == 8080);
    CHECK(c.value().media.width == 1280);
    CHECK(c.value().media.height == 720);
    CHECK(c.value().media.iceAddresses.empty());
}

TEST_CASE("the shipped config/mixmeet.ini loads and matches the defaults", "[config]") {
    auto c = loadConfig(std::string(MIXMEET_SOURCE_DIR) + "/config/mixmeet.ini");
    REQUIRE(c.ok());
    Config d = defaultConfig();
    CHECK(c.value().port == d.port);
    CHECK(c.value().media.width == d.media.width);
    CHECK(c.value().media.framerate == d.media.framerate);
    CHECK(c.value().media.jitterBufferMs == d.media.jitterBufferMs);
    CHECK(c.value().webDir == d.webDir);
}

TEST_CASE("keys override defaults; lists split on commas", "[config]") {
    auto c = parseConfig(
        "[server]\nport=0\n[video]\nwidth=640\nheight=360\n"
        "[ice]\naddresses=127.0.0.1, ::1\nstun_servers=stun:example.org:3478\n",
        "t.ini");
    REQUIRE(c.ok());
    CHECK(c.value().port == 0);
    CHECK(c.value().media.width == 640);
    CHECK(c.value().media.iceAddresses == std::vector<std::string>{"127.0.0.1", "::1"});
    CHECK(c.value().media.stunServers.size() == 1);
}

TEST_CASE("bad values are refused with the group and key named", "[config]") {
    auto bad = parseConfig("[video]\nwidth=abc\n", "t.ini");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("[video] width") != std::string::npos);
    CHECK_FALSE(parseConfig("[server]\nport=70000\n", "t.ini").ok());
    CHECK_FALSE(parseConfig("[video]\nwidth=641\n", "t.ini").ok());
    CHECK_FALSE(parseConfig("[ice]\nstun_servers=example.org\n", "t.ini").ok());
    CHECK_FALSE(parseConfig("not an ini [", "t.ini").ok());
    CHECK_FALSE(loadConfig("/nonexistent/mixmeet.ini").ok());
}

TEST_CASE("[limits] caps rooms and malloc arenas", "[config][rooms]") {
    auto shipped = loadConfig(std::string(MIXMEET_SOURCE_DIR) + "/config/mixmeet.ini");
    REQUIRE(shipped.ok());
    CHECK(shipped.value().roomLimits.maxRooms == defaultConfig().roomLimits.maxRooms);
    CHECK(shipped.value().mallocArenas == defaultConfig().mallocArenas);
    auto c = parseConfig("[limits]\nmax_rooms=3\nmalloc_arenas=0\n", "t.ini");
    REQUIRE(c.ok());
    CHECK(c.value().roomLimits.maxRooms == 3);
    CHECK(c.value().mallocArenas == 0);
    auto bad = parseConfig("[limits]\nmax_rooms=0\n", "t.ini");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("[limits] max_rooms") != std::string::npos);
}

TEST_CASE("[room] reconnect_grace_ms: default, shipped value, range", "[config][reconnect]") {
    CHECK(defaultConfig().reconnectGraceMs == 10000);
    auto shipped = loadConfig(std::string(MIXMEET_SOURCE_DIR) + "/config/mixmeet.ini");
    REQUIRE(shipped.ok());
    CHECK(shipped.value().reconnectGraceMs == defaultConfig().reconnectGraceMs);
    auto c = parseConfig("[room]\nreconnect_grace_ms=0\n", "t.ini");
    REQUIRE(c.ok());
    CHECK(c.value().reconnectGraceMs == 0);
    auto bad = parseConfig("[room]\nreconnect_grace_ms=-1\n", "t.ini");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("[room] reconnect_grace_ms") != std::string::npos);
    CHECK_FALSE(liveKey("[room] reconnect_grace_ms"));
}

TEST_CASE("accounts bounds: keys, defaults and refusals", "[config]") {
    auto shipped = loadConfig(std::string(MIXMEET_SOURCE_DIR) + "/config/mixmeet.ini");
    REQUIRE(shipped.ok());
    Config d = defaultConfig();
    CHECK(shipped.value().hashThreads == d.hashThreads);
    CHECK(shipped.value().hashQueue == d.hashQueue);
    CHECK(shipped.value().registrationsPerHour == d.registrationsPerHour);
    CHECK(shipped.value().loginAccountFailures == d.loginAccountFailures);
    CHECK(shipped.value().loginAddressFailures == d.loginAddressFailures);
    CHECK(shipped.value().meetingsPerHour == d.meetingsPerHour);
    CHECK(shipped.value().pendingCalls == d.pendingCalls);
    CHECK(shipped.value().trustedProxies.empty());
    auto c = parseConfig(
        "[server]\npublic_url=https://meet.example.org\ntrusted_proxies=127.0.0.1, ::1\n"
        "[auth]\nhash_threads=4\nmeetings_per_hour=5\npending_calls=1\n",
        "t.ini");
    REQUIRE(c.ok());
    CHECK(c.value().trustedProxies == std::vector<std::string>{"127.0.0.1", "::1"});
    CHECK(c.value().hashThreads == 4);
    CHECK(c.value().meetingsPerHour == 5);
    CHECK(c.value().pendingCalls == 1);
    CHECK_FALSE(parseConfig("[server]\ntrusted_proxies=proxy.example.org\n", "t.ini").ok());
    CHECK_FALSE(parseConfig("[auth]\nhash_threads=0\n", "t.ini").ok());
}

TEST_CASE("problems name the file, group, key, reason and value", "[config][check]") {
    auto bad = parseConfig("[video]\nframerate=0\n", "config/mixmeet.ini");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "config/mixmeet.ini: [video] framerate: must be 1..60, got 0");
    auto word = parseConfig("[video]\nwidth=abc\n", "t.ini");
    REQUIRE_FALSE(word.ok());
    CHECK(word.error().message == "t.ini: [video] width: must be an integer, got \"abc\"");
    auto flag = parseConfig("[auth]\nopen_rooms=yes\n", "t.ini");
    REQUIRE_FALSE(flag.ok());
    CHECK(flag.error().message == "t.ini: [auth] open_rooms: must be true or false, got \"yes\"");
    auto odd = parseConfig("[video]\nwidth=641\n", "t.ini");
    REQUIRE_FALSE(odd.ok());
    CHECK(odd.error().message == "t.ini: [video] width: must be even, got 641");
    auto ping = parseConfig("[limits]\nping_interval_s=30\n", "t.ini");
    REQUIRE_FALSE(ping.ok());
    CHECK(ping.error().message.rfind("t.ini: [limits] ping_interval_s: must be below", 0) == 0);
}

TEST_CASE("unknown groups and keys are errors, all problems reported", "[config][check]") {
    auto typo = parseConfig("[limits]\nmax_room=3\n", "t.ini");
    REQUIRE_FALSE(typo.ok());
    CHECK(typo.error().message == "t.ini: [limits] max_room: unknown key");
    auto group = parseConfig("[vidoe]\nwidth=640\n", "t.ini");
    REQUIRE_FALSE(group.ok());
    CHECK(group.error().message == "t.ini: [vidoe]: unknown group");
    auto several =
        parseConfig("[video]\nframerate=0\nfps=30\n[server]\nport=-1\n[colour]\n", "t.ini");
    REQUIRE_FALSE(several.ok());
    CHECK(several.error().message ==
          "t.ini: [server] port: must be 0..65535, got -1\n"
          "t.ini: [video] framerate: must be 1..60, got 0\n"
          "t.ini: [video] fps: unknown key\n"
          "t.ini: [colour]: unknown group");
}

TEST_CASE("checkConfig lists problems of a file; the shipped one has none", "[config][check]") {
    CHECK(checkConfig(std::string(MIXMEET_SOURCE_DIR) + "/config/mixmeet.ini").empty());
    auto missing = checkConfig("/nonexistent/mixmeet.ini");
    REQUIRE(missing.size() == 1);
    CHECK(missing[0].find("cannot read config") != std::string::npos);
}

TEST_CASE("every key's value in effect is recorded, defaults included", "[config][check]") {
    auto c = parseConfig("[signaling]\nmessage_rate=7\n[ice]\naddresses=127.0.0.1, ::1\n", "t.ini");
    REQUIRE(c.ok());
    CHECK(c.value().values.at("[signaling] message_rate") == "7");
    CHECK(c.value().values.at("[video] framerate") == "30");
    CHECK(c.value().values.at("[ice] addresses") == "127.0.0.1,::1");
    CHECK(c.value().values.at("[auth] open_rooms") == "false");
    CHECK(c.value().values.count("[metrics] token") == 1);
}

TEST_CASE("a reload's changes split into live keys and restart keys", "[config][reload]") {
    auto running = parseConfig("[signaling]\nmessage_rate=20\n", "t.ini");
    auto fresh = parseConfig(
        "[signaling]\nmessage_rate=5\n[video]\nframerate=15\n[auth]\nopen_rooms=true\n"
        "[limits]\nmax_rooms=3\nidle_timeout_s=60\n",
        "t.ini");
    REQUIRE(running.ok());
    REQUIRE(fresh.ok());
    auto changes = diffConfig(running.value(), fresh.value());
    CHECK(changes.live == std::vector<std::string>{"[auth] open_rooms", "[limits] idle_timeout_s",
                                                   "[signaling] message_rate"});
    CHECK(changes.restart == std::vector<std::string>{"[limits] max_rooms", "[video] framerate"});
    auto same = diffConfig(running.value(), running.value());
    CHECK(same.live.empty());
    CHECK(same.restart.empty());
    CHECK(liveKey("[metrics] token"));
    CHECK_FALSE(liveKey("[server] port"));
}

TEST_CASE("[recording] keys: defaults match the shipped file, bounds are checked",
          "[config][recording]") {
    auto shipped = loadConfig(std::string(MIXMEET_SOURCE_DIR) + "/config/mixmeet.ini");
    REQUIRE(shipped.ok());
    Config d = defaultConfig();
    CHECK(shipped.value().recording.directory == d.recording.directory);
    CHECK(shipped.value().recording.maxDurationS == d.recording.maxDurationS);
    CHECK(shipped.value().recording.minFreeMb == d.recording.minFreeMb);
    CHECK(shipped.value().recording.retentionDays == d.recording.retentionDays);
    auto c = parseConfig(
        "[recording]\ndirectory=/srv/rec\nmax_duration_s=60\nmin_free_mb=0\nretention_days=30\n",
        "t.ini");
    REQUIRE(c.ok());
    CHECK(c.value().recording.directory == "/srv/rec");
    CHECK(c.value().recording.maxDurationS == 60);
    CHECK(c.value().recording.minFreeMb == 0);
    CHECK(c.value().recording.retentionDays == 30);
    CHECK(parseConfig("[recording]\nmax_duration_s=1\n", "t.ini")
              .error()
              .message.find("max_duration_s") != std::string::npos);
    CHECK_FALSE(parseConfig("[recording]\nretention_days=-1\n", "t.ini").ok());
}

TEST_CASE("TLS certificate and key go together; they are re-read on reload", "[config][tls]") {
    auto both = parseConfig("[server]\ntls_certificate=/c.pem\ntls_private_key=/k.pem\n", "t.ini");
    REQUIRE(both.ok());
    CHECK(both.value().tlsCertificate == "/c.pem");
    CHECK(both.value().tlsPrivateKey == "/k.pem");
    auto certOnly = parseConfig("[server]\ntls_certificate=/c.pem\n", "t.ini");
    REQUIRE_FALSE(certOnly.ok());
    CHECK(certOnly.error().message ==
          "t.ini: [server] tls_private_key: tls_certificate and tls_private_key go together: set "
          "both or neither");
    CHECK_FALSE(parseConfig("[server]\ntls_private_key=/k.pem\n", "t.ini").ok());
    // Live: Server::reload re-reads them (switching HTTP and HTTPS still needs a restart).
    CHECK(liveKey("[server] tls_certificate"));
    CHECK(liveKey("[server] tls_private_key"));
}

TEST_CASE("install paths: the source tree from the build directory, else the installed tree",
          "[config][install]") {
    auto fromBuild = installPathsFor(std::string(MIXMEET_BUILD_DIR) + "/src/mixmeet");
    CHECK_FALSE(fromBuild.installed);
    CHECK(fromBuild.webDir == std::string(MIXMEET_SOURCE_DIR) + "/web");
    CHECK(fromBuild.configFile == std::string(MIXMEET_SOURCE_DIR) + "/config/mixmeet.ini");
    auto installed = installPathsFor(std::string(MIXMEET_BINDIR) + "/mixmeet");
    CHECK(installed.installed);
    CHECK(installed.webDir == std::string(MIXMEET_DATADIR) + "/web");
    CHECK(installed.pipelinesDir == std::string(MIXMEET_DATADIR) + "/pipelines");
    CHECK(installed.configFile == std::string(MIXMEET_SYSCONFDIR) + "/mixmeet.ini");
    // A staged (--destdir) tree: the same places under the stage.
    auto staged = installPathsFor("/tmp/stage" + std::string(MIXMEET_BINDIR) + "/mixmeet");
    CHECK(staged.webDir == "/tmp/stage" + std::string(MIXMEET_DATADIR) + "/web");
    CHECK(staged.configFile == "/tmp/stage" + std::string(MIXMEET_SYSCONFDIR) + "/mixmeet.ini");
}

TEST_CASE("[streaming] keys: defaults match the shipped file, bounds are checked",
          "[config][streaming]") {
    auto shipped = loadConfig(std::string(MIXMEET_SOURCE_DIR) + "/config/mixmeet.ini");
    REQUIRE(shipped.ok());
    const auto& s = shipped.value().media.streaming;
    const auto d = defaultConfig().media.streaming;
    CHECK(s.videoBitrateKbps == d.videoBitrateKbps);
    CHECK(s.audioBitrateKbps == d.audioBitrateKbps);
    CHECK(s.segmentS == d.segmentS);
    CHECK(s.playlistLength == d.playlistLength);
    CHECK(s.retryMinMs == d.retryMinMs);
    CHECK(s.retryMaxMs == d.retryMaxMs);
    CHECK(s.maxTargets == d.maxTargets);
    CHECK(s.directory == d.directory);
    auto c = parseConfig(
        "[streaming]\nvideo_bitrate_kbps=4000\naudio_bitrate_kbps=96\nsegment_s=4\n"
        "playlist_length=10\nretry_min_ms=500\nretry_max_ms=8000\nmax_targets=2\n"
        "directory=/srv/live\n",
        "t.ini");
    REQUIRE(c.ok());
    const auto& v = c.value().media.streaming;
    CHECK(v.videoBitrateKbps == 4000);
    CHECK(v.audioBitrateKbps == 96);
    CHECK(v.segmentS == 4);
    CHECK(v.playlistLength == 10);
    CHECK(v.retryMinMs == 500);
    CHECK(v.retryMaxMs == 8000);
    CHECK(v.maxTargets == 2);
    CHECK(v.directory == "/srv/live");
    CHECK(parseConfig("[streaming]\nretry_min_ms=5000\nretry_max_ms=1000\n", "t.ini")
              .error()
              .message.find("retry_max_ms") != std::string::npos);
    CHECK_FALSE(parseConfig("[streaming]\nsegment_s=0\n", "t.ini").ok());
    CHECK_FALSE(parseConfig("[streaming]\nplaylist_length=2\n", "t.ini").ok());
    CHECK_FALSE(parseConfig("[streaming]\nkey=abc\n", "t.ini").ok());
}
