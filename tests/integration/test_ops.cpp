// Operations on the real binary (tests/support/ServerProcess): SIGHUP reloads the live keys and
// logs the others as needing a restart; /metrics reports rooms, participants and encoders of a
// room with two webrtcbin peers and is refused to remote clients (docs/configuration.md).
#include <glib.h>
#include <signal.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include "ServerProcess.h"
#include "SignalClient.h"
#include "SyntheticPeer.h"
#include "Wait.h"

using namespace mixmeet::testing;
using namespace std::chrono_literals;

namespace {
std::string readText(const std::string& path) {
    g_autofree gchar* text = nullptr;
    gsize len = 0;
    if (!g_file_get_contents(path.c_str(), &text, &len, nullptr)) return {};
    return std::string(text, len);
}

void writeText(const std::string& path, const std::string& text) {
    REQUIRE(
        g_file_set_contents(path.c_str(), text.c_str(), static_cast<gssize>(text.size()), nullptr));
}

/// The value of the sample `series` (name with its labels exactly as printed) in exposition
/// text; nothing when absent.
std::optional<double> metric(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(series + " ", 0) == 0)
            return std::strtod(line.c_str() + series.size() + 1, nullptr);
    return std::nullopt;
}

/// Rewrites one "key=value" line of the config (the first with that key).
std::string replaced(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

/// Sends `n` bad messages (each answered with an error) and waits for `total` errors in all.
void sendBad(SignalClient& c, int n, std::size_t total) {
    for (int i = 0; i < n; ++i) c.sendRaw("{}");
    REQUIRE(waitUntil([&] { return c.all<mixmeet::protocol::ErrorReply>().size() >= total; }, 5s));
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}
}  // namespace

TEST_CASE("SIGHUP applies live keys, logs restart keys and refuses a bad file", "[ops][reload]") {
    ServerSettings settings;
    settings.binary = MIXMEET_SERVER_BINARY;
    ServerProcess server(settings);
    std::string error;
    REQUIRE(server.start(error));
    const std::string bearer = "Bearer s3cret";

    // No token: loopback reads the metrics without credentials.
    auto before = server.get("/metrics");
    REQUIRE(before.status == 200);
    CHECK(metric(before.body, "mixmeet_config_reloads_total") == 0.0);
    // The default message budget (burst 100): five bad messages, five plain errors.
    SignalClient early(server.wsUrl(), "");
    sendBad(early, 5, 5);
    CHECK_FALSE(early.hasError(mixmeet::protocol::errc::kRateLimited));

    // Live keys (the metrics token, the message budget) and a restart key (the frame rate).
    const std::string original = readText(server.configPath());
    writeText(server.configPath(), replaced(original, "framerate=30", "framerate=15") +
                                       "[metrics]\ntoken=s3cret\n"
                                       "[signaling]\nmessage_rate=1\nmessage_burst=2\n");
    REQUIRE(kill(server.pid(), SIGHUP) == 0);
    REQUIRE(waitUntil(
        [&] { return readText(server.logPath()).find("config: reloaded") != std::string::npos; },
        10s));
    std::string log = readText(server.logPath());
    CHECK(log.find("config: needs a restart: [video] framerate") != std::string::npos);
    CHECK(log.find("config: [metrics] token = (changed) (live)") != std::string::npos);
    CHECK(log.find("s3cret") == std::string::npos);  // The secret is not logged.
    CHECK(log.find("config: [signaling] message_burst = 2 (live)") != std::string::npos);
    CHECK(log.find("(3 live changes, 1 need a restart)") != std::string::npos);

    // A connection opened after the reload has the new budget: past 2 messages, rate-limited.
    SignalClient late(server.wsUrl(), "");
    sendBad(late, 5, 5);
    CHECK(late.hasError(mixmeet::protocol::errc::kRateLimited));
    // The one opened before keeps the budget it started with.
    sendBad(early, 3, 8);
    CHECK_FALSE(early.hasError(mixmeet::protocol::errc::kRateLimited));

    // The new token is in force at once; the process is the same.
    CHECK(server.get("/metrics").status == 401);
    CHECK(server.get("/metrics", 5s, {{"Authorization", "Bearer wrong"}}).status == 401);
    auto after = server.get("/metrics", 5s, {{"Authorization", bearer}});
    REQUIRE(after.status == 200);
    CHECK(metric(after.body, "mixmeet_config_reloads_total") == 1.0);
    CHECK(metric(after.body, "mixmeet_config_restart_pending") == 1.0);

    // A file with a problem is refused as a whole: the running configuration stays.
    writeText(server.configPath(), original + "[metrics]\ntoken=other\n[video]\nfps=3\n");
    REQUIRE(kill(server.pid(), SIGHUP) == 0);
    REQUIRE(waitUntil(
        [&] { return readText(server.logPath()).find("not reloaded") != std::string::npos; }, 10s));
    CHECK(readText(server.logPath()).find("[video] fps: unknown key") != std::string::npos);
    auto still = server.get("/metrics", 5s, {{"Authorization", bearer}});
    CHECK(still.status == 200);
    CHECK(metric(still.body, "mixmeet_config_reloads_total") == 1.0);
    CHECK(count(readText(server.logPath()), "config: reloaded") == 1);
    CHECK(server.running());
    CHECK(server.stop(10s));
}

TEST_CASE("/metrics counts a room of two webrtcbin peers; remote clients are refused",
          "[ops][metrics]") {
    ServerSettings settings;
    settings.binary = MIXMEET_SERVER_BINARY;
    // Requests through a proxy on 127.0.0.1 carry the client's address in X-Forwarded-For.
    settings.extraConfig = "[server]\ntrusted_proxies=127.0.0.1\n";
    ServerProcess server(settings);
    std::string error;
    REQUIRE(server.start(error));

    auto empty = server.get("/metrics");
    REQUIRE(empty.status == 200);
    CHECK(metric(empty.body, "mixmeet_rooms") == 0.0);
    CHECK(metric(empty.body, "mixmeet_participants") == 0.0);

    PeerOptions o;
    o.url = server.wsUrl();
    o.room = "ops";
    o.width = 160;
    o.height = 120;
    o.name = "a";
    SyntheticPeer a(o);
    o.name = "b";
    SyntheticPeer b(o);
    a.start();
    b.start();
    REQUIRE(
        waitUntil([&] { return a.videoFramesDecoded() > 10 && b.videoFramesDecoded() > 10; }, 40s));

    // Both participants waited for their first frame once: each decoded a keyframe that went
    // through its payloader after its DTLS handshake (the histogram's +Inf bucket is the count).
    CHECK(waitUntil(
        [&] {
            return metric(server.get("/metrics").body,
                          "mixmeet_join_to_first_frame_seconds_count") == 2.0;
        },
        10s));
    auto stats = server.roomStats("ops");
    REQUIRE(stats);
    auto reply = server.get("/metrics");
    REQUIRE(reply.status == 200);
    const std::string& text = reply.body;
    INFO(text);
    CHECK(text.find("# TYPE mixmeet_encoders gauge") != std::string::npos);
    CHECK(metric(text, "mixmeet_rooms") == 1.0);
    CHECK(metric(text, "mixmeet_participants") == 2.0);
    CHECK(metric(text, "mixmeet_room_participants{room=\"ops\"}") == 2.0);
    double vp8 = 0;
    for (const char* tier : {"high", "medium", "low"}) {
        auto n = metric(text, std::string("mixmeet_encoders{kind=\"vp8\",tier=\"") + tier + "\"}");
        REQUIRE(n);
        vp8 += *n;
    }
    CHECK(vp8 >= 1);
    CHECK(vp8 == static_cast<double>(stats->vp8Encoders));
    CHECK(metric(text, "mixmeet_encoders{kind=\"opus\",tier=\"mix\"}") ==
          static_cast<double>(stats->opusEncoders));
    CHECK(metric(text, "mixmeet_keyframe_requests_total{room=\"ops\"}").has_value());
    CHECK(metric(text, "mixmeet_signaling_connections") == 2.0);
    CHECK(text.find("# TYPE mixmeet_join_to_first_frame_seconds histogram") != std::string::npos);
    CHECK(metric(text, "mixmeet_join_to_first_frame_seconds_bucket{le=\"+Inf\"}") == 2.0);
    auto waited = metric(text, "mixmeet_join_to_first_frame_seconds_sum");
    REQUIRE(waited);
    CHECK(*waited > 0.0);
    CHECK(*waited < 2 * 40.0);  // Both decoded frames within the 40 s above.
    // Media both ways through the ICE transports: each peer sends 160x120 video and audio and
    // receives the composite; over 10 decoded frames each is far more than 10 kB.
    auto received = metric(text, "mixmeet_media_received_bytes_total");
    auto sent = metric(text, "mixmeet_media_sent_bytes_total");
    REQUIRE(received);
    REQUIRE(sent);
    CHECK(*received > 10000);
    CHECK(*sent > 10000);
    CHECK(waitUntil(
        [&] {
            auto later = metric(server.get("/metrics").body, "mixmeet_media_received_bytes_total");
            return later && *later > *received;
        },
        5s));
    // The viewers' latest receiver reports: a loss ratio in 0..1 (loopback: none to speak of).
    auto loss = metric(text, "mixmeet_room_viewer_loss_ratio_max{room=\"ops\"}");
    REQUIRE(loss);
    CHECK(*loss >= 0.0);
    CHECK(*loss <= 1.0);
    // CPU of the server and of its media workers, where the room's media runs
    // (docs/workers.md): one series per worker.
    auto cpu = metric(text, "process_cpu_seconds_total");
    REQUIRE(cpu);
    auto workers = metric(text, "mixmeet_workers");
    REQUIRE(workers);
    REQUIRE(*workers >= 1);
    double total = *cpu;
    for (int w = 0; w < static_cast<int>(*workers); ++w) {
        auto own =
            metric(text, "mixmeet_worker_cpu_seconds_total{worker=\"" + std::to_string(w) + "\"}");
        REQUIRE(own);
        total += *own;
    }
    CHECK(total > 0.1);
    auto rss = metric(text, "process_resident_memory_bytes");
    REQUIRE(rss);
    const double vmRss = static_cast<double>(server.statusField("VmRSS")) * 1024;
    CHECK(*rss > vmRss * 0.7);
    CHECK(*rss < vmRss * 1.3);

    // A client that is not on this machine (as the trusted proxy reports it) gets nothing.
    auto remote = server.get("/metrics", 5s, {{"X-Forwarded-For", "203.0.113.9"}});
    CHECK(remote.status == 403);
    CHECK(remote.body.find("mixmeet_") == std::string::npos);

    a.leave();
    b.leave();
    CHECK(waitUntil(
        [&] { return metric(server.get("/metrics").body, "mixmeet_participants") == 0.0; }, 20s));
    CHECK(server.stop(10s));
}
