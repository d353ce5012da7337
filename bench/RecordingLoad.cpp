#include "RecordingLoad.h"

#include <json-glib/json-glib.h>

#include "ApiClient.h"
#include "FrameStamp.h"
#include "ProcStat.h"
#include "RtmpServer.h"
#include "ServerProcess.h"
#include "StreamLatency.h"
#include "SyntheticPeer.h"
#include "Wait.h"
#include "core/Json.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace mixmeet::bench {

using namespace std::chrono_literals;

namespace {

/// One summary row (printSummary).
struct SummaryRow {
    int n = 0;
    std::string composite;
    std::string outputs;
    double cpuBefore = 0, cpuWith = 0, cpuAfter = 0;
    long h264Encoders = -1;
    double h264Fps = -1;  // frames the H.264 encode made per second of the window
    long rssBeforeKiB = 0, rssStartKiB = 0, rssEndKiB = 0, rssAfterKiB = 0;
    long long recordingBytes = -1, recordingMs = -1;
    std::vector<double> rtmpMs;
    std::string rtmpNote;
    HlsWatch::Result hls;
    bool hlsMeasured = false;
    bool complete = true;  // every output started
    int stalls = 0;        // "the server did not run for" lines in server.log during the row
};

/// Lines of the server's log saying its main loop did not run for seconds (Room's liveness
/// check): the machine starved the server, and the row measures that, not the server.
int stallLines(const std::string& logPath) {
    gchar* text = nullptr;
    if (!g_file_get_contents(logPath.c_str(), &text, nullptr, nullptr)) return 0;
    int n = 0;
    for (const char* at = text; (at = std::strstr(at, "the server did not run for")); ++at) ++n;
    g_free(text);
    return n;
}

std::vector<SummaryRow>& summary() {
    static std::vector<SummaryRow> rows;
    return rows;
}

long long memberInt(JsonObject* o, const char* name) {
    return o && json_object_has_member(o, name) ? json_object_get_int_member(o, name) : -1;
}

bool memberBool(JsonObject* o, const char* name) {
    return o && json_object_has_member(o, name) && json_object_get_boolean_member(o, name);
}

std::string fmt1(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

}  // namespace

bool parseStreamList(const std::string& text, OutputOptions& out) {
    std::stringstream in(text);
    std::string item;
    bool any = false;
    while (std::getline(in, item, ',')) {
        if (item == "rtmp")
            out.rtmp = true;
        else if (item == "hls")
            out.hls = true;
        else
            return false;
        any = true;
    }
    return any;
}

/// Counts from GET /api/stats?room=MEETING about the outputs; -1 when unknown.
struct RecordingLoad::Stats {
    bool recording = false;
    long long recordingMs = -1;
    long long h264Encoders = -1;
    long long liveTargets = -1;
    long long liveVideoFrames = -1;
};

RecordingLoad::RecordingLoad(Settings settings, testing::ServerProcess& server)
    : settings_(settings), server_(server) {}

RecordingLoad::~RecordingLoad() = default;

bool RecordingLoad::prepare(std::string& error) {
    api_ = std::make_unique<testing::ApiClient>(server_.port());
    auto registered = api_->post(
        "/api/register", R"({"email":"bench@example.org","username":"bench",)"
                         R"("displayName":"Bench host","password":"correct horse battery"})");
    if (registered.status != 201) {
        error = "cannot register the host's account: " + std::to_string(registered.status) + " " +
                registered.body;
        return false;
    }
    auto created = api_->post("/api/meetings", R"({"title":"bench","allowGuests":true})");
    meeting_ = created.str("meeting.id");
    if (meeting_.empty()) {
        error = "cannot create the meeting: " + std::to_string(created.status) + " " + created.body;
        return false;
    }
    if (settings_.outputs.rtmp) {
        if (testing::RtmpServer::modulePath().empty()) {
            std::fprintf(stderr,
                         "mixmeet-bench: --stream rtmp left out: nginx with libnginx-mod-rtmp is "
                         "not installed (scripts/setup.sh --tests installs both)\n");
            settings_.outputs.rtmp = false;
        } else {
            rtmp_ = std::make_unique<testing::RtmpServer>(testing::TlsProxy::freePort());
            if (!rtmp_->start()) {
                std::fprintf(stderr, "mixmeet-bench: --stream rtmp left out: nginx: %s\n",
                             rtmp_->log().c_str());
                rtmp_.reset();
                settings_.outputs.rtmp = false;
            }
        }
    }
    return true;
}

std::string RecordingLoad::hostCookie() const {
    return api_ ? api_->cookieHeader() : std::string();
}

RecordingLoad::Stats RecordingLoad::stats() {
    Stats out;
    testing::HttpReply reply = server_.get("/api/stats?room=" + meeting_);
    auto doc = core::JsonDocument::parseObject(reply.body);
    if (reply.status != 200 || !doc) return out;
    JsonObject* root = doc.value().root();
    JsonArray* rooms = json_object_has_member(root, "rooms")
                           ? json_object_get_array_member(root, "rooms")
                           : nullptr;
    if (!rooms || json_array_get_length(rooms) == 0) return out;
    JsonObject* r = json_array_get_object_element(rooms, 0);
    out.recording = memberBool(r, "recording");
    out.recordingMs = memberInt(r, "recordingMs");
    out.h264Encoders = memberInt(r, "h264Encoders");
    out.liveTargets = memberInt(r, "liveTargets");
    out.liveVideoFrames = memberInt(r, "liveVideoFrames");
    return out;
}

double RecordingLoad::measureWithout(int seconds) {
    CpuMeter cpu(server_.pid());
    cpu.start();
    testing::runFor(std::chrono::seconds(seconds));
    return cpu.percentOfOneCore();
}

bool RecordingLoad::beforeWindow(testing::SyntheticPeer& host) {
    const OutputOptions& o = settings_.outputs;
    if (!o.any()) return true;
    rssBeforeKiB_ = rssKiB(server_.pid());
    stallsBefore_ = stallLines(server_.logPath());
    std::fprintf(stderr, "N=%d: %d s without the outputs\n", settings_.participants,
                 std::max(1, settings_.durationS / 2));
    cpuBefore_ = measureWithout(std::max(1, settings_.durationS / 2));

    if (o.record) host.sendRaw(R"({"type":"record","on":true})");
    if (o.rtmp)
        host.sendRaw(R"({"type":"stream","action":"add","url":")" + rtmp_->url() + R"(","key":")" +
                     streamKey_ + R"("})");
    if (o.hls) host.sendRaw(R"({"type":"hls","on":true,"access":"participants"})");
    const long long targets = (o.rtmp ? 1 : 0) + (o.hls ? 1 : 0);
    Stats last;
    started_ = testing::waitUntil(
        [&] {
            last = stats();
            if (o.record && !(last.recording && last.recordingMs > 0)) return false;
            return targets == 0 || (last.liveTargets >= targets && last.liveVideoFrames > 0);
        },
        15s);
    if (!started_) {
        std::string errors;
        for (const auto& e : host.errors()) errors += " " + e.code;
        std::fprintf(stderr,
                     "mixmeet-bench: the outputs did not start within 15 s (recording %d, %lld "
                     "ms; live targets %lld, H.264 frames %lld; host's errors:%s)\n",
                     int(last.recording), last.recordingMs, last.liveTargets, last.liveVideoFrames,
                     errors.empty() ? " none" : errors.c_str());
    }
    rssStartKiB_ = rssKiB(server_.pid());
    liveFrames0_ = stats().liveVideoFrames;
    windowStartUs_ = g_get_monotonic_time();
    return started_;
}

void RecordingLoad::afterWindow(testing::SyntheticPeer& host, double serverCpuWith) {
    const OutputOptions& o = settings_.outputs;
    if (!o.any()) return;
    SummaryRow row;
    row.n = settings_.participants;
    row.composite = std::to_string(settings_.width) + "x" + std::to_string(settings_.height) + "@" +
                    std::to_string(settings_.fps);
    for (const char* name : {o.record ? "record" : "", o.rtmp ? "rtmp" : "", o.hls ? "hls" : ""})
        if (*name) row.outputs += (row.outputs.empty() ? "" : " + ") + std::string(name);
    row.complete = started_;
    row.cpuBefore = cpuBefore_;
    row.cpuWith = serverCpuWith;
    row.rssBeforeKiB = rssBeforeKiB_;
    row.rssStartKiB = rssStartKiB_;
    row.rssEndKiB = rssKiB(server_.pid());
    const Stats atEnd = stats();
    row.h264Encoders = long(atEnd.h264Encoders);
    if (o.rtmp || o.hls)
        row.h264Fps = double(atEnd.liveVideoFrames - liveFrames0_) * 1e6 /
                      double(std::max<std::int64_t>(1, g_get_monotonic_time() - windowStartUs_));

    // ---- latency to the live outputs (not part of the CPU windows: the pull decodes here) ----
    if (o.rtmp || o.hls) {
        const int seconds = std::max(settings_.durationS, 12);
        std::fprintf(stderr, "N=%d: %d s of latency to the outputs\n", row.n, seconds);
        const std::string location = o.rtmp ? rtmp_->url() + "/" + streamKey_ : "";
        std::unique_ptr<RtmpPull> pull;
        std::vector<double> rtmpMs;
        int pulls = 0;
        std::int64_t pullStartUs = 0;
        auto startPull = [&] {
            pull = std::make_unique<RtmpPull>(location, row.n, settings_.sendWidth,
                                              settings_.sendHeight);
            std::string error;
            ++pulls;
            pullStartUs = g_get_monotonic_time();
            if (!pull->start(error)) row.rtmpNote = error;
        };
        if (o.rtmp) startPull();
        HlsWatch watch(server_, "/live/" + meeting_ + "/index.m3u8", hostCookie());
        const std::int64_t end = g_get_monotonic_time() + std::int64_t(seconds) * G_USEC_PER_SEC;
        while (g_get_monotonic_time() < end) {
            if (o.hls) watch.poll();
            testing::runFor(50ms);
            // nginx may refuse a player for a moment, or a player joining at a bad moment gets
            // no video (as in the integration test): a new player, as a viewer would retry,
            // after an error, 3 s without any H.264 from nginx, or 8 s without a decoded frame
            // (the first needs a keyframe: one per segment_s at full rate); at most 4.
            const std::int64_t pulledUs = g_get_monotonic_time() - pullStartUs;
            const bool noVideo = pull && pull->encodedFrames() == 0 && pulledUs > 3000000;
            const bool noFrame = pull && pull->frames() == 0 && pulledUs > 8000000;
            if (pull && (pull->failed() || noVideo || noFrame)) {
                row.rtmpNote = noVideo   ? "no H.264 from nginx within 3 s"
                               : noFrame ? "no frame decoded within 8 s"
                                         : pull->error();
                auto got = pull->samplesMs();
                rtmpMs.insert(rtmpMs.end(), got.begin(), got.end());
                pull.reset();
                if (pulls < 4) startPull();
            }
        }
        if (pull) {
            pull->stop();
            auto got = pull->samplesMs();
            rtmpMs.insert(rtmpMs.end(), got.begin(), got.end());
            if (got.empty())
                row.rtmpNote += (row.rtmpNote.empty() ? "" : "; ") +
                                std::to_string(pull->encodedFrames()) + " H.264 buffers, " +
                                std::to_string(pull->frames()) + " frames, no stamp read";
        }
        row.rtmpMs = std::move(rtmpMs);
        if (pulls > 1)
            std::fprintf(stderr, "  RTMP: %d players (the last retry's reason: %s)\n", pulls,
                         row.rtmpNote.c_str());
        if (o.hls) {
            row.hls = watch.measure(row.n, settings_.sendWidth, settings_.sendHeight);
            row.hlsMeasured = true;
        }
    }

    // ---- stop, the recording's file ----
    if (o.record) host.sendRaw(R"({"type":"record","on":false})");
    // The bench's room has had exactly one target: RoomLive numbers them from 1.
    if (o.rtmp) host.sendRaw(R"({"type":"stream","action":"remove","id":"1"})");
    if (o.hls) host.sendRaw(R"({"type":"hls","on":false})");
    if (!testing::waitUntil(
            [&] {
                Stats s = stats();
                return !s.recording && s.h264Encoders <= 0;
            },
            10s))
        std::fprintf(stderr, "mixmeet-bench: the outputs did not stop within 10 s\n");
    if (o.record) {
        testing::waitUntil(
            [&] {
                auto reply = api_->get("/api/recordings?meeting=" + meeting_);
                auto doc = core::JsonDocument::parseObject(reply.body);
                if (reply.status != 200 || !doc) return false;
                JsonObject* root = doc.value().root();
                JsonArray* list = json_object_has_member(root, "recordings")
                                      ? json_object_get_array_member(root, "recordings")
                                      : nullptr;
                if (!list || json_array_get_length(list) == 0) return false;
                JsonObject* r = json_array_get_object_element(list, 0);
                row.recordingMs = memberInt(r, "durationMs");
                row.recordingBytes = memberInt(r, "sizeBytes");
                return !memberBool(r, "recording");
            },
            10s);
    }
    std::fprintf(stderr, "N=%d: %d s without the outputs\n", row.n,
                 std::max(1, settings_.durationS / 2));
    row.cpuAfter = measureWithout(std::max(1, settings_.durationS / 2));
    row.rssAfterKiB = rssKiB(server_.pid());
    row.stalls = stallLines(server_.logPath()) - stallsBefore_;
    if (row.stalls > 0)
        std::fprintf(stderr,
                     "mixmeet-bench: the server's main loop stalled %d times during the row "
                     "(server.log: \"the server did not run for\"): not a measurement\n",
                     row.stalls);
    summary().push_back(std::move(row));
}

void RecordingLoad::printSummary() {
    if (summary().empty()) return;
    std::printf(
        "\nOutputs: server CPU without them (half a window before, half after), with them (the "
        "row's window), %% of one core; RSS before, at the start and end of the window, after "
        "the stop; latency to the outputs measured after the window\n"
        "| N | composite | outputs | server CPU %% without (before / after) | with | extra %% of "
        "a core | H.264 enc / fps | server RSS MB before / start / end / after | recording MB / "
        "s | RTMP g2g p50/p95 ms (samples) | HLS segment s: listed after its first / last "
        "frame, p50 (max) ms (segments) | server stalls |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const SummaryRow& r : summary()) {
        const double without = (r.cpuBefore + r.cpuAfter) / 2;
        std::string recording = "-";
        if (r.recordingBytes >= 0)
            recording = fmt1("%.1f", double(r.recordingBytes) / 1e6) + " / " +
                        fmt1("%.1f", double(r.recordingMs) / 1000);
        std::string rtmp = "-";
        if (!r.rtmpMs.empty())
            rtmp = fmt1("%.0f", testing::percentile(r.rtmpMs, 0.5)) + " / " +
                   fmt1("%.0f", testing::percentile(r.rtmpMs, 0.95)) + " (" +
                   std::to_string(r.rtmpMs.size()) + ")";
        else if (r.outputs.find("rtmp") != std::string::npos)
            rtmp = "none: " + r.rtmpNote;
        std::string hls = "-";
        if (r.hlsMeasured && r.hls.segments > 0) {
            auto maxOf = [](const std::vector<double>& v) {
                return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
            };
            hls = fmt1("%.1f: ", r.hls.segmentS) +
                  fmt1("%.0f", testing::percentile(r.hls.oldestMs, 0.5)) +
                  fmt1(" (%.0f)", maxOf(r.hls.oldestMs)) + " / " +
                  fmt1("%.0f", testing::percentile(r.hls.newestMs, 0.5)) +
                  fmt1(" (%.0f)", maxOf(r.hls.newestMs)) + " (" + std::to_string(r.hls.segments) +
                  ")";
        } else if (r.hlsMeasured)
            hls = "none: " + r.hls.error;
        std::printf(
            "| %d%s | %s | %s | %.1f (%.1f / %.1f) | %.1f | %+.1f | %s%s | %.0f / %.0f / %.0f / "
            "%.0f | %s | %s | %s | %d |\n",
            r.n, r.complete ? "" : "*", r.composite.c_str(), r.outputs.c_str(), without,
            r.cpuBefore, r.cpuAfter, r.cpuWith, r.cpuWith - without,
            r.h264Encoders < 0 ? "n/a" : std::to_string(r.h264Encoders).c_str(),
            r.h264Fps < 0 ? "" : fmt1(" / %.1f", r.h264Fps).c_str(), double(r.rssBeforeKiB) / 1024,
            double(r.rssStartKiB) / 1024, double(r.rssEndKiB) / 1024, double(r.rssAfterKiB) / 1024,
            recording.c_str(), rtmp.c_str(), hls.c_str(), r.stalls);
    }
    std::printf(
        "(* = an output did not start within 15 s; the row measured less than asked. server "
        "stalls > 0: the server's main loop did not run for seconds (server.log), the machine "
        "starved it: not a measurement)\n");
    std::fflush(stdout);
}

}  // namespace mixmeet::bench
