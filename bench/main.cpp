// mixmeet-bench: the real server (a child process) and N synthetic participants in one room on
// loopback; measures server CPU and memory, delivered frame rate and bitrate, encoder counts
// and glass-to-glass latency, and prints one table row per room size. docs/performance.md
// explains the columns and the method.
#include <gst/gst.h>
#include <unistd.h>

#include "ActionLatency.h"
#include "CpuLoad.h"
#include "DirectLoop.h"
#include "FrameStamp.h"
#include "LayoutSpread.h"
#include "NaiveRoom.h"
#include "ProcStat.h"
#include "RecordingLoad.h"
#include "ServerProcess.h"
#include "SyntheticPeer.h"
#include "Wait.h"
#include "core/OpenSsl.h"
#include "mixmeet-bench-config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using mixmeet::testing::PeerOptions;
using mixmeet::testing::percentile;
using mixmeet::testing::SyntheticPeer;

namespace {

struct Options {
    std::vector<int> participants{3};
    int duration = 20;  // seconds of measurement
    int width = 640, height = 360, fps = 30;
    int sendWidth = 640, sendHeight = 360, sendFps = 30;
    bool sendHints = true;  // peers scale down to their tile, as the web client does
    bool obeyRemb = true;   // peers obey the server's REMB, as Chrome does (--ignore-remb: not)
    int videoBitrate = 800000;
    int jitterBufferMs = 50;  // server and peers (webrtcbin latency)
    int mixerLatencyMs = 20;
    bool audioOnly = false;
    bool levels = true;   // peers write RFC 6464 audio levels (as browsers do)
    bool dtx = true;      // peers send Opus DTX when silent (as browsers do)
    int decoders = -1;    // peers that decode the composite (the rest only count bytes); -1 all
    int speakers = -1;    // peers that send a tone (the rest send silence, as muted mics); -1 all
    int lateJoiners = 3;  // viewers joining the running room one by one after the window
    double load = 0;      // cores of competing busy loops during the window (CpuLoad)
    bool naive = false;   // the naive MCU (NaiveRoom) instead of the server
    int maxFrameDelayMs = -1;  // server [video] max_frame_delay_ms; -1: the server's default
    std::optional<mixmeet::bench::LayoutSpread> layouts;  // --layouts (LayoutSpread.h)
    bool actionLatency = false;                           // --action-latency (ActionLatency.h)
    int repeats = 10;                                     // --repeats K (action latency)
    bool participantsGiven = false;
    std::string server = MIXMEET_BENCH_SERVER;
    bool keep = false;
    int workers = -1;  // --workers N: [workers] count; -1: the server's default (cores)
    mixmeet::bench::OutputOptions outputs;  // --record, --stream (bench/RecordingLoad.h)
};

int usage(FILE* out) {
    std::fprintf(out,
                 "usage: mixmeet-bench [--participants N[,N...]] [--duration S]\n"
                 "                     [--width W --height H --fps F]   composite (server)\n"
                 "                     [--send-width W --send-height H --send-fps F]  peers\n"
                 "                     [--bitrate BPS] [--audio-only]\n"
                 "                     [--layouts grid,speaker,presentation]\n"
                 "                     [--jitter-buffer MS] [--mixer-latency MS] [--decoders K]\n"
                 "                     [--speakers K] [--late-joiners K] [--no-send-hints]\n"
                 "                     [--load SHARE] [--naive] [--max-frame-delay MS]\n"
                 "                     [--no-levels] [--no-dtx] [--ignore-remb]\n"
                 "                     [--server PATH] [--keep] [--workers N]\n"
                 "                     [--record] [--stream rtmp|hls|rtmp,hls]\n"
                 "       mixmeet-bench --action-latency [--participants N] [--repeats K] ...\n"
                 "Defaults: 3 participants, 20 s, 640x360 at 30 fps out, peers capture 640x360\n"
                 "at 30 fps and scale down to their tile (send hints), every peer sends a tone\n"
                 "(--speakers K: only K do; the rest send silence, which the server's usedtx=1\n"
                 "turns into Opus DTX as in a browser), server %s\n"
                 "--load SHARE: busy loops worth SHARE cores (0.5, 1.5) compete during the window\n"
                 "--no-levels / --no-dtx: peers write no RFC 6464 level / send silence as\n"
                 "packets every 20 ms instead of Opus DTX (clients that ignore the offer)\n"
                 "--workers N: the server's [workers] count (0: rooms in the server process);\n"
                 "CPU and memory always count the server and its media workers together\n"
                 "--naive: a minimal decode-all/composite/encode-once MCU (plain RTP) instead\n"
                 "Peers obey the server's REMB as Chrome does (bitrate, and the size libwebrtc\n"
                 "starts at for it) even with --no-send-hints; --ignore-remb: they do not\n"
                 "--layouts L1,L2,...: the decoding viewers spread round-robin over these\n"
                 "layouts (presentation: p1 shares a screen all along); prints /api/stats\n"
                 "composites and encoders against the distinct (layout, tier) pairs\n"
                 "--action-latency: layout switch, share start, host mute and new speaker\n"
                 "timed at a viewer, K times each (default 4 participants, K 10)\n"
                 "--record / --stream: the room is a meeting whose host records / streams it\n"
                 "(RTMP to an nginx-rtmp on loopback, HLS) during the window; a second table\n"
                 "compares the same room without them and gives the latency to the outputs\n",
                 MIXMEET_BENCH_SERVER);
    return out == stdout ? 0 : 2;
}

std::vector<int> parseList(const std::string& text) {
    std::vector<int> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
        if (int n = std::atoi(item.c_str()); n > 0) out.push_back(n);
    return out;
}

double median(std::vector<double> v) {
    return percentile(std::move(v), 0.5);
}

struct Row {
    int n = 0;
    bool complete = true;  // every peer connected and received from everyone before measuring
    double serverCpu = 0, peersCpu = 0;
    long serverRssKiB = 0;
    double fpsMin = 0, fpsMedian = 0;
    double kbpsMin = 0, kbpsMedian = 0;
    std::optional<mixmeet::testing::RoomStats> stats;
    double keyframesPerSecond = -1;    // the tier encoders' keyframes in the window; -1 unknown
    double lateDroppedPerSecond = -1;  // frames the server shed for lateness; -1 unknown
    double g2gP50 = 0, g2gP95 = 0, directP50 = 0, directP95 = 0;
    std::size_t latencySamples = 0;
    double firstFrameMedian = 0, firstFrameMax = 0;  // the joins before the window
    std::vector<double> lateFirstFrames;             // viewers joining the running room
    double stampReadPct = 0;
    double loadCpu = 0;         // what the --load busy loops got, % of one core
    std::uint64_t freezes = 0;  // gaps > kFreezeGapMs between decoded frames, all viewers
    double longestGapMs = 0;    // the longest such gap at any viewer
    std::string note;           // printed under the row (--layouts)
};

std::string fmt(const char* f, double a, double b) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, a, b);
    return buf;
}

void printHeader(const Options& o) {
    char send[64] = "audio only";
    if (!o.audioOnly)
        std::snprintf(send, sizeof send, "%dx%d@%d VP8%s", o.sendWidth, o.sendHeight, o.sendFps,
                      o.sendHints && !o.naive ? " scaled to the tile" : "");
    char speaking[32] = "all";
    if (o.speakers >= 0) std::snprintf(speaking, sizeof speaking, "%d", o.speakers);
    std::printf(
        "\nmixmeet-bench: %s%s, composite %dx%d@%d, peers send %s, speaking: %s, %d s per row, "
        "%ld cores, load %.2f cores\n",
        o.naive ? "NAIVE MCU (plain RTP), " : "", o.audioOnly ? "audio only" : "audio+video",
        o.width, o.height, o.fps, send, speaking, o.duration, sysconf(_SC_NPROCESSORS_ONLN),
        o.load);
    std::printf(
        "| N | server CPU %% | per participant %% | peers CPU %% | fps min/med | down kbps "
        "min/med | VP8 enc | keyframes/s | Opus enc | elements | server RSS MB | g2g p50/p95 ms | "
        "direct "
        "p50/p95 ms | server-added p50/p95 ms | first frame ms med/max | late join first frame "
        "ms | stamps read %% | freezes count/longest ms | load CPU %% | total CPU %% | late "
        "dropped/s |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    std::fflush(stdout);
}

void printRow(const Options& o, const Row& r) {
    auto count = [&](long mixmeet::testing::RoomStats::*field) {
        return r.stats ? std::to_string(r.stats.value().*field) : std::string("n/a");
    };
    const bool video = !o.audioOnly && r.latencySamples > 0;
    std::string late;
    for (double ms : r.lateFirstFrames) late += (late.empty() ? "" : ", ") + fmt("%.0f", ms, 0);
    std::printf(
        "| %d%s | %.0f | %.1f | %.0f | %s | %s | %s | %s | %s | %s | %.0f | %s | %s | %s | %s | "
        "%s | %s | %s | %.0f | %.0f | %s |\n",
        r.n, r.complete ? "" : "*", r.serverCpu, r.serverCpu / r.n, r.peersCpu,
        o.audioOnly ? "-" : fmt("%.1f / %.1f", r.fpsMin, r.fpsMedian).c_str(),
        fmt("%.0f / %.0f", r.kbpsMin, r.kbpsMedian).c_str(),
        count(&mixmeet::testing::RoomStats::vp8Encoders).c_str(),
        r.keyframesPerSecond < 0 ? "n/a" : fmt("%.1f", r.keyframesPerSecond, 0).c_str(),
        count(&mixmeet::testing::RoomStats::opusEncoders).c_str(),
        count(&mixmeet::testing::RoomStats::elements).c_str(), double(r.serverRssKiB) / 1024.0,
        video ? fmt("%.0f / %.0f", r.g2gP50, r.g2gP95).c_str() : "-",
        video ? fmt("%.0f / %.0f", r.directP50, r.directP95).c_str() : "-",
        video ? fmt("%.0f / %.0f", r.g2gP50 - r.directP50, r.g2gP95 - r.directP95).c_str() : "-",
        o.audioOnly || r.firstFrameMax <= 0
            ? "-"
            : fmt("%.0f / %.0f", r.firstFrameMedian, r.firstFrameMax).c_str(),
        late.empty() ? "-" : late.c_str(),
        o.audioOnly ? "-" : fmt("%.1f", r.stampReadPct, 0.0).c_str(),
        o.audioOnly ? "-" : fmt("%.0f / %.0f", double(r.freezes), r.longestGapMs).c_str(),
        r.loadCpu, r.serverCpu + r.peersCpu + r.loadCpu,
        r.lateDroppedPerSecond < 0 ? "n/a" : fmt("%.1f", r.lateDroppedPerSecond, 0).c_str());
    std::fflush(stdout);
}

/// The measurement window: `seconds` of the main loop, sampling the server's memory once a
/// second. Returns the window's length, seconds.
double runWindow(int seconds, pid_t server, Row& row) {
    const std::int64_t t0 = g_get_monotonic_time();
    for (int s = 1; s <= seconds; ++s) {
        mixmeet::testing::runFor(std::chrono::milliseconds(
            std::max<std::int64_t>(0, (t0 + s * G_USEC_PER_SEC - g_get_monotonic_time()) / 1000)));
        row.serverRssKiB = std::max(row.serverRssKiB, mixmeet::bench::rssKiB(server));
    }
    return double(g_get_monotonic_time() - t0) / 1e6;
}

/// The --load busy loops for one window: started 3 s before it (the room settles into the
/// overload), their CPU measured over it.
class LoadWindow {
public:
    explicit LoadWindow(double share, int durationS) {
        if (share <= 0) return;
        load_ = std::make_unique<mixmeet::bench::CpuLoad>(share, durationS + 120);
        std::fprintf(stderr, "  load: %.2f cores in %zu busy processes, 3 s before the window\n",
                     share, load_->pids().size());
        mixmeet::testing::runFor(3s);
    }
    void start() {
        if (load_)
            for (pid_t pid : load_->pids()) meters_.emplace_back(pid).start();
    }
    /// % of one core the loops got since start(); stops them.
    double stop() {
        double sum = 0;
        for (const auto& m : meters_) sum += m.percentOfOneCore();
        if (load_) load_->stop();
        return sum;
    }

private:
    std::unique_ptr<mixmeet::bench::CpuLoad> load_;
    std::vector<mixmeet::bench::CpuMeter> meters_;
};

/// One room of `n` participants: start the server, join, settle, measure, tear down.
std::optional<Row> runOnce(const Options& o, int n) {
    Row row;
    row.n = n;
    mixmeet::testing::ServerSettings settings{
        o.server,           o.width,          o.height,        o.fps, o.videoBitrate,
        std::max(n + 1, 2), o.jitterBufferMs, o.mixerLatencyMs};
    if (o.maxFrameDelayMs >= 0)
        settings.extraConfig =
            "[video]\nmax_frame_delay_ms=" + std::to_string(o.maxFrameDelayMs) + "\n";
    if (o.workers >= 0)
        settings.extraConfig += "[workers]\ncount=" + std::to_string(o.workers) + "\n";
    mixmeet::testing::ServerProcess server(settings);
    if (o.keep) server.keepFiles();
    std::string error;
    if (!server.start(error)) {
        std::fprintf(stderr, "mixmeet-bench: %s\n", error.c_str());
        return std::nullopt;
    }
    std::fprintf(stderr, "N=%d: server pid %d on port %d, joining...\n", n, int(server.pid()),
                 server.port());

    std::unique_ptr<mixmeet::bench::DirectLoop> loop;
    if (!o.audioOnly) {
        loop = std::make_unique<mixmeet::bench::DirectLoop>(mixmeet::bench::DirectLoopSettings{
            o.sendWidth, o.sendHeight, o.sendFps, 300000, unsigned(o.jitterBufferMs)});
        if (!loop->start(error)) {
            std::fprintf(stderr, "mixmeet-bench: %s\n", error.c_str());
            return std::nullopt;
        }
    }

    mixmeet::bench::RecordingLoad outputs(
        {o.outputs, n, o.width, o.height, o.fps, o.sendWidth, o.sendHeight, o.duration}, server);
    if (o.outputs.any() && !outputs.prepare(error)) {
        std::fprintf(stderr, "mixmeet-bench: %s\n", error.c_str());
        return std::nullopt;
    }
    const std::string room = o.outputs.any() ? outputs.room() : "bench";
    auto peerOptions = [&](int i) {
        PeerOptions p;
        p.url = server.wsUrl();
        p.room = room;
        p.name = "p" + std::to_string(i + 1);
        p.pattern = 0;                  // SMPTE bars...
        p.horizontalSpeed = 1 + i % 4;  // ...moving, at different speeds
        // Distinct, not harmonically related; low enough that n of them summed do not clip.
        p.toneHz = 311.0 + 53.7 * i;
        p.toneVolume = o.speakers >= 0 && i >= o.speakers ? 0.0 : std::min(0.1, 0.8 / n);
        p.width = o.sendWidth;
        p.height = o.sendHeight;
        p.fps = o.sendFps;
        p.followSendHints = o.sendHints;
        p.obeyRemb = o.obeyRemb;
        p.sendVideo = !o.audioOnly;
        p.receiveVideo = !o.audioOnly && (o.decoders < 0 || i < o.decoders);
        p.stampFrames = !o.audioOnly;
        p.keepFrames = false;
        p.latencyMs = unsigned(o.jitterBufferMs);
        p.writeAudioLevels = o.levels;
        p.useDtx = o.dtx;
        if (o.layouts && o.layouts->needsShare() && i == mixmeet::bench::LayoutSpread::kPresenter)
            p.screenPattern = mixmeet::bench::LayoutSpread::kScreenPattern;
        if (i == 0 && o.outputs.any()) p.cookie = outputs.hostCookie();  // the meeting's host
        return p;
    };
    std::vector<std::unique_ptr<SyntheticPeer>> peers;
    for (int i = 0; i < n; ++i) {
        PeerOptions p = peerOptions(i);
        peers.push_back(std::make_unique<SyntheticPeer>(p));
        peers.back()->start();
        // One at a time: tiles then follow the start order, and the server is not measured on
        // a burst of simultaneous negotiations.
        if (!mixmeet::testing::waitUntil([&] { return peers.back()->joined(); }, 10s)) {
            std::fprintf(stderr, "mixmeet-bench: %s did not join\n", p.name.c_str());
            row.complete = false;
        }
        // Audio-only listeners tell the server, which then runs no video encode for them
        // (protocol set-quality "audio").
        if (o.audioOnly) peers.back()->sendRaw(R"({"type":"set-quality","tier":"audio"})");
    }

    auto everyone = [&](auto pred) {
        return std::all_of(peers.begin(), peers.end(), [&](auto& p) { return pred(*p); });
    };
    auto settled = [&](const SyntheticPeer& p) {
        if (!p.connected() || int(p.roster().size()) != n || p.audioSamplesReceived() == 0)
            return false;
        return !p.options().receiveVideo || (p.videoFramesDecoded() > 0 && p.tilesWithStamp() == n);
    };
    if (!mixmeet::testing::waitUntil([&] { return everyone(settled); }, 30s + 2s * n)) {
        row.complete = false;
        for (auto& p : peers)
            if (!settled(*p))
                std::fprintf(
                    stderr, "  %s not settled: ice=%s roster=%zu frames=%llu tiles=%d audio=%llu\n",
                    p->options().name.c_str(), p->iceConnectionState().c_str(), p->roster().size(),
                    (unsigned long long)p->videoFramesDecoded(), p->tilesWithStamp(),
                    (unsigned long long)p->audioSamplesReceived());
    }

    // --layouts: the viewers move to their layouts, then settle again.
    std::vector<SyntheticPeer*> viewers;
    std::vector<bool> decoding;
    for (auto& p : peers) {
        viewers.push_back(p.get());
        decoding.push_back(p->options().receiveVideo);
    }
    if (o.layouts && !o.layouts->apply(viewers, decoding, 10s)) row.complete = false;
    // The small strip tiles of a big room may keep their stamps unreadable: the g2g column then
    // covers the tiles read, and the row is not incomplete for it.
    else if (o.layouts && !mixmeet::testing::waitUntil([&] { return everyone(settled); }, 20s))
        std::fprintf(stderr, "  after --layouts not every tile's stamp is readable\n");

    // ---- measurement window ----
    if (o.outputs.any()) outputs.beforeWindow(*peers[0]);  // half a window without, then start
    LoadWindow load(o.load, o.duration);
    std::vector<std::uint64_t> frames0, bytes0, read0, miss0;
    for (auto& p : peers) {
        p->clearLatencySamples();
        frames0.push_back(p->videoFramesDecoded());
        bytes0.push_back(p->videoBytesReceived() + p->audioBytesReceived());
        read0.push_back(p->stampsRead());
        miss0.push_back(p->stampMisses());
    }
    if (loop) loop->clear();
    const auto statsBefore = server.roomStats(room);
    mixmeet::bench::CpuMeter serverCpu(server.pid()), selfCpu(getpid());
    std::fprintf(stderr, "N=%d: measuring for %d s\n", n, o.duration);
    serverCpu.start();
    selfCpu.start();
    load.start();
    const double seconds = runWindow(o.duration, server.pid(), row);
    row.serverCpu = serverCpu.percentOfOneCore();
    row.peersCpu = selfCpu.percentOfOneCore();
    row.loadCpu = load.stop();
    // A peer that dropped out during the window makes the row describe a smaller room.
    int dropped = 0;
    for (auto& p : peers)
        if (!p->connected() || int(p->roster().size()) != n) {
            row.complete = false;
            if (++dropped <= 5)
                std::fprintf(stderr, "  %s dropped during the window: ice=%s roster=%zu\n",
                             p->options().name.c_str(), p->iceConnectionState().c_str(),
                             p->roster().size());
        }
    if (dropped > 5) std::fprintf(stderr, "  ... %d peers in all dropped\n", dropped);

    std::vector<double> fps, kbps, latency, firstFrame;
    std::uint64_t read = 0, missed = 0;
    for (std::size_t i = 0; i < peers.size(); ++i) {
        SyntheticPeer& p = *peers[i];
        if (p.options().receiveVideo) {
            fps.push_back(double(p.videoFramesDecoded() - frames0[i]) / seconds);
            const auto gaps = p.frameGaps();
            row.freezes += gaps.freezes;
            row.longestGapMs = std::max(row.longestGapMs, gaps.longestMs);
        }
        kbps.push_back(double(p.videoBytesReceived() + p.audioBytesReceived() - bytes0[i]) * 8 /
                       1000 / seconds);
        auto samples = p.latencySamplesMs();
        latency.insert(latency.end(), samples.begin(), samples.end());
        if (p.firstFrameAtUs() > 0 && p.iceConnectedAtUs() > 0)
            firstFrame.push_back(double(p.firstFrameAtUs() - p.iceConnectedAtUs()) / 1000);
        read += p.stampsRead() - read0[i];
        missed += p.stampMisses() - miss0[i];
    }
    row.stats = server.roomStats(room);
    if (o.layouts)
        row.note = mixmeet::bench::LayoutSpread::describe(
            o.layouts->report(server, room, viewers, o.width), o.layouts->layouts());
    if (statsBefore && row.stats) {
        row.keyframesPerSecond = double(row.stats->keyframes - statsBefore->keyframes) / seconds;
        row.lateDroppedPerSecond =
            double(row.stats->lateDropped - statsBefore->lateDropped) / seconds;
    }
    row.fpsMin = fps.empty() ? 0 : *std::min_element(fps.begin(), fps.end());
    row.fpsMedian = median(fps);
    row.kbpsMin = *std::min_element(kbps.begin(), kbps.end());
    row.kbpsMedian = median(kbps);
    row.latencySamples = latency.size();
    row.g2gP50 = percentile(latency, 0.5);
    row.g2gP95 = percentile(latency, 0.95);
    if (loop) {
        auto direct = loop->samplesMs();
        row.directP50 = percentile(direct, 0.5);
        row.directP95 = percentile(direct, 0.95);
    }
    row.firstFrameMedian = median(firstFrame);
    row.firstFrameMax =
        firstFrame.empty() ? 0 : *std::max_element(firstFrame.begin(), firstFrame.end());
    row.stampReadPct = read + missed ? 100.0 * double(read) / double(read + missed) : 0;
    if (o.outputs.any()) outputs.afterWindow(*peers[0], row.serverCpu);  // stop; without again

    // ---- late joiners: one viewer at a time joins the running room and leaves again ----
    // The joins above come as a burst (each waits for the tier's next forced keyframe, one per
    // keyframe_min_interval_ms); this is the usual case, someone joining a meeting under way.
    // A second apart, longer than keyframe_min_interval_ms, as people come in one by one.
    for (int k = 0; !o.audioOnly && k < o.lateJoiners; ++k) {
        mixmeet::testing::runFor(1s);
        PeerOptions p = peerOptions(n);
        p.name = "late" + std::to_string(k + 1);
        p.receiveVideo = true;
        SyntheticPeer late(p);
        late.start();
        if (mixmeet::testing::waitUntil(
                [&] { return late.firstFrameAtUs() > 0 && late.iceConnectedAtUs() > 0; }, 10s)) {
            row.lateFirstFrames.push_back(double(late.firstFrameAtUs() - late.iceConnectedAtUs()) /
                                          1000);
            if (late.securedAtUs() > 0)
                std::fprintf(stderr, "  %s: ICE -> DTLS %.0f ms, DTLS -> first frame %.0f ms\n",
                             p.name.c_str(),
                             double(late.securedAtUs() - late.iceConnectedAtUs()) / 1000,
                             double(late.firstFrameAtUs() - late.securedAtUs()) / 1000);
        } else
            std::fprintf(stderr, "  %s saw no frame within 10 s\n", p.name.c_str());
        late.leave();
        mixmeet::testing::waitUntil(
            [&] { return late.socketClosed() && int(peers[0]->roster().size()) == n; }, 10s);
    }

    // ---- teardown ----
    for (auto& p : peers) p->leave();
    mixmeet::testing::waitUntil([&] { return everyone([](auto& p) { return p.socketClosed(); }); },
                                10s);
    peers.clear();
    loop.reset();
    server.stop();
    return row;
}

/// The same room on the naive MCU (NaiveRoom): no stats, no late joiners, no first-frame
/// times (no ICE); the rest measured the same way.
std::optional<Row> runNaive(const Options& o, int n) {
    Row row;
    row.n = n;
    mixmeet::bench::NaiveRoom room({n, o.decoders, o.sendWidth, o.sendHeight, o.sendFps, 300000,
                                    o.width, o.height, o.fps, o.videoBitrate,
                                    unsigned(o.jitterBufferMs), o.mixerLatencyMs,
                                    MIXMEET_BENCH_PIPELINES "/video-encode-vp8.pipeline"});
    std::string error;
    if (!room.start(error)) {
        std::fprintf(stderr, "mixmeet-bench: %s\n", error.c_str());
        return std::nullopt;
    }
    std::fprintf(stderr, "N=%d: naive MCU pid %d\n", n, int(room.mcuPid()));
    mixmeet::bench::DirectLoop loop(mixmeet::bench::DirectLoopSettings{
        o.sendWidth, o.sendHeight, o.sendFps, 300000, unsigned(o.jitterBufferMs)});
    if (!loop.start(error)) {
        std::fprintf(stderr, "mixmeet-bench: %s\n", error.c_str());
        return std::nullopt;
    }
    auto settled = [&] {
        for (int k = 0; k < room.viewers(); ++k)
            if (room.framesDecoded(k) == 0 || room.tilesWithStamp(k) != n) return false;
        return true;
    };
    if (!mixmeet::testing::waitUntil(settled, 30s + 2s * n)) {
        row.complete = false;
        for (int k = 0; k < room.viewers(); ++k)
            std::fprintf(stderr, "  viewer %d not settled: frames=%llu tiles=%d\n", k,
                         (unsigned long long)room.framesDecoded(k), room.tilesWithStamp(k));
    }

    LoadWindow load(o.load, o.duration);
    std::vector<std::uint64_t> frames0, bytes0, read0, miss0;
    for (int k = 0; k < room.viewers(); ++k) {
        frames0.push_back(room.framesDecoded(k));
        bytes0.push_back(room.bytesReceived(k));
        read0.push_back(room.stampsRead(k));
        miss0.push_back(room.stampMisses(k));
    }
    room.clearWindow();
    loop.clear();
    mixmeet::bench::CpuMeter serverCpu(room.mcuPid()), selfCpu(getpid());
    std::fprintf(stderr, "N=%d: measuring for %d s\n", n, o.duration);
    serverCpu.start();
    selfCpu.start();
    load.start();
    const double seconds = runWindow(o.duration, room.mcuPid(), row);
    row.serverCpu = serverCpu.percentOfOneCore();
    row.peersCpu = selfCpu.percentOfOneCore();
    row.loadCpu = load.stop();

    std::vector<double> fps, kbps, latency;
    std::uint64_t read = 0, missed = 0;
    for (int k = 0; k < room.viewers(); ++k) {
        fps.push_back(double(room.framesDecoded(k) - frames0[k]) / seconds);
        kbps.push_back(double(room.bytesReceived(k) - bytes0[k]) * 8 / 1000 / seconds);
        auto samples = room.latencySamplesMs(k);
        latency.insert(latency.end(), samples.begin(), samples.end());
        read += room.stampsRead(k) - read0[k];
        missed += room.stampMisses(k) - miss0[k];
        const auto gaps = room.frameGaps(k);
        row.freezes += gaps.freezes;
        row.longestGapMs = std::max(row.longestGapMs, gaps.longestMs);
    }
    row.fpsMin = fps.empty() ? 0 : *std::min_element(fps.begin(), fps.end());
    row.fpsMedian = median(fps);
    row.kbpsMin = kbps.empty() ? 0 : *std::min_element(kbps.begin(), kbps.end());
    row.kbpsMedian = median(kbps);
    row.latencySamples = latency.size();
    row.g2gP50 = percentile(latency, 0.5);
    row.g2gP95 = percentile(latency, 0.95);
    auto direct = loop.samplesMs();
    row.directP50 = percentile(direct, 0.5);
    row.directP95 = percentile(direct, 0.95);
    row.stampReadPct = read + missed ? 100.0 * double(read) / double(read + missed) : 0;
    room.stop();
    return row;
}

}  // namespace

int main(int argc, char** argv) {
    mixmeet::core::skipOpenSslCleanupAtExit();
    gst_init(&argc, &argv);
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) std::exit(usage(stderr));
            return argv[++i];
        };
        if (a == "--participants") {
            o.participants = parseList(next());
            o.participantsGiven = true;
        } else if (a == "--duration")
            o.duration = std::max(1, std::atoi(next().c_str()));
        else if (a == "--width")
            o.width = std::atoi(next().c_str());
        else if (a == "--height")
            o.height = std::atoi(next().c_str());
        else if (a == "--fps")
            o.fps = std::atoi(next().c_str());
        else if (a == "--send-width")
            o.sendWidth = std::atoi(next().c_str());
        else if (a == "--send-height")
            o.sendHeight = std::atoi(next().c_str());
        else if (a == "--send-fps")
            o.sendFps = std::atoi(next().c_str());
        else if (a == "--bitrate")
            o.videoBitrate = std::atoi(next().c_str());
        else if (a == "--jitter-buffer")
            o.jitterBufferMs = std::atoi(next().c_str());
        else if (a == "--mixer-latency")
            o.mixerLatencyMs = std::atoi(next().c_str());
        else if (a == "--decoders")
            o.decoders = std::atoi(next().c_str());
        else if (a == "--speakers")
            o.speakers = std::atoi(next().c_str());
        else if (a == "--late-joiners")
            o.lateJoiners = std::max(0, std::atoi(next().c_str()));
        else if (a == "--audio-only")
            o.audioOnly = true;
        else if (a == "--load")
            o.load = std::max(0.0, std::atof(next().c_str()));
        else if (a == "--no-levels")
            o.levels = false;
        else if (a == "--no-dtx")
            o.dtx = false;
        else if (a == "--naive")
            o.naive = true;
        else if (a == "--max-frame-delay")
            o.maxFrameDelayMs = std::max(0, std::atoi(next().c_str()));
        else if (a == "--no-send-hints")
            o.sendHints = false;
        else if (a == "--ignore-remb")
            o.obeyRemb = false;
        else if (a == "--layout" || a == "--layouts") {
            std::string error;
            o.layouts = mixmeet::bench::LayoutSpread::parse(next(), error);
            if (!o.layouts) {
                std::fprintf(stderr, "mixmeet-bench: %s\n", error.c_str());
                return 2;
            }
        } else if (a == "--action-latency")
            o.actionLatency = true;
        else if (a == "--repeats")
            o.repeats = std::max(1, std::atoi(next().c_str()));
        else if (a == "--server")
            o.server = next();
        else if (a == "--keep")
            o.keep = true;
        else if (a == "--workers")
            o.workers = std::max(0, std::atoi(next().c_str()));
        else if (a == "--record")
            o.outputs.record = true;
        else if (a == "--stream") {
            if (!mixmeet::bench::parseStreamList(next(), o.outputs)) return usage(stderr);
        } else
            return usage(a == "--help" || a == "-h" ? stdout : stderr);
    }
    if (o.participants.empty()) return usage(stderr);
    if (o.layouts && (o.naive || o.audioOnly)) {
        std::fprintf(stderr, "mixmeet-bench: --layouts needs the server's video\n");
        return 2;
    }
    if (o.outputs.any() && (o.naive || o.audioOnly || o.actionLatency)) {
        std::fprintf(stderr,
                     "mixmeet-bench: --record/--stream do not combine with --naive, --audio-only "
                     "or --action-latency\n");
        return 2;
    }
    if (o.actionLatency) {
        const int status =
            mixmeet::bench::runActionLatency({{o.server, o.width, o.height, o.fps, o.videoBitrate,
                                               0, o.jitterBufferMs, o.mixerLatencyMs},
                                              o.participantsGiven ? o.participants.front() : 4,
                                              o.repeats,
                                              o.sendWidth,
                                              o.sendHeight,
                                              o.sendFps,
                                              unsigned(o.jitterBufferMs),
                                              o.keep});
        gst_deinit();
        return status;
    }

    printHeader(o);
    int status = 0;
    for (int n : o.participants) {
        auto row = o.naive ? runNaive(o, n) : runOnce(o, n);
        if (!row) {
            status = 1;
            continue;
        }
        printRow(o, *row);
        std::fputs(row->note.c_str(), stdout);
    }
    std::printf(
        "(* = not every peer was connected and receiving from everyone before the "
        "window, or one dropped out during it; stats n/a = the server has no /api/stats)\n");
    mixmeet::bench::RecordingLoad::printSummary();
    gst_deinit();
    return status;
}
