// mixmeet-peer: N synthetic participants against a running server, for manual testing.
//   mixmeet-peer --url ws://127.0.0.1:8080/ws --room R --count N [--duration S]
// Prints once a second per peer: ICE state, frames decoded, last frame size, and the level of
// every peer's tone in what that peer hears (its own should be ~0: mix-minus).
#include <glib-unix.h>
#include <gst/gst.h>

#include "FrameStamp.h"
#include "SyntheticPeer.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "Wait.h"
#include "core/OpenSsl.h"

using mixmeet::testing::PeerOptions;
using mixmeet::testing::SyntheticPeer;

namespace {

void usage() {
    std::fprintf(stderr,
                 "usage: mixmeet-peer [--url ws://127.0.0.1:8080/ws] [--room R] [--count N]\n"
                 "                    [--duration S] [--width W --height H --fps F]\n"
                 "                    [--ice-address A] [--name-prefix P] [--volume V]\n"
                 "                    [--recvonly] [--stamp]\n"
                 "--stamp: stamp sent frames with the capture time and print glass-to-glass\n"
                 "         latency (p50/p95 ms) read from every tile of the composite\n");
}

// Distinct-looking videotestsrc patterns: smpte, red, green, blue, ball, pinwheel, spokes,
// colors, smpte75, checkers-8, circular, zone-plate.
constexpr int kPatterns[] = {0, 4, 5, 6, 18, 21, 22, 24, 13, 10, 11, 14};

}  // namespace

int main(int argc, char** argv) {
    mixmeet::core::skipOpenSslCleanupAtExit();
    gst_init(&argc, &argv);
    PeerOptions base;
    int count = 2;
    int duration = 0;  // 0: until Ctrl-C
    std::string prefix = "peer";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) {
                usage();
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--url")
            base.url = next();
        else if (a == "--room")
            base.room = next();
        else if (a == "--count")
            count = std::atoi(next());
        else if (a == "--duration")
            duration = std::atoi(next());
        else if (a == "--width")
            base.width = std::atoi(next());
        else if (a == "--height")
            base.height = std::atoi(next());
        else if (a == "--fps")
            base.fps = std::atoi(next());
        else if (a == "--ice-address")
            base.iceAddress = next();
        else if (a == "--name-prefix")
            prefix = next();
        else if (a == "--volume")
            base.toneVolume = std::atof(next());
        else if (a == "--stamp")
            base.stampFrames = true;
        else if (a == "--recvonly")
            base.sendAudio = base.sendVideo = false;
        else {
            usage();
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    if (count < 1) count = 1;

    std::vector<std::unique_ptr<SyntheticPeer>> peers;
    std::vector<double> tones;
    for (int i = 0; i < count; ++i) {
        PeerOptions o = base;
        o.name = prefix + std::to_string(i + 1);
        o.pattern = kPatterns[std::size_t(i) % std::size(kPatterns)];
        o.toneHz = 440.0 + 220.0 * i;
        tones.push_back(o.toneHz);
        peers.push_back(std::make_unique<SyntheticPeer>(o));
        peers.back()->start();
    }

    bool stop = false;
    g_unix_signal_add(
        SIGINT,
        [](gpointer p) -> gboolean { return *static_cast<bool*>(p) = true, G_SOURCE_REMOVE; },
        &stop);
    g_unix_signal_add(
        SIGTERM,
        [](gpointer p) -> gboolean { return *static_cast<bool*>(p) = true, G_SOURCE_REMOVE; },
        &stop);

    const gint64 begin = g_get_monotonic_time();
    std::vector<std::uint64_t> lastFrames(peers.size(), 0);
    for (int second = 1;; ++second) {
        // Until the next whole second after start (or a signal).
        const gint64 target = begin + gint64(second) * G_USEC_PER_SEC;
        mixmeet::testing::waitUntil([&] { return stop || g_get_monotonic_time() >= target; },
                                    std::chrono::milliseconds(1100));
        if (stop) break;
        std::printf("--- t=%ds\n", second);
        for (std::size_t i = 0; i < peers.size(); ++i) {
            SyntheticPeer& p = *peers[i];
            const auto frames = p.videoFramesDecoded();
            const auto size = p.lastVideoSize();
            std::printf(
                "%-8s id=%-6s ws=%-6s ice=%-12s pc=%-10s frames=%-6llu (+%llu/s) %dx%d "
                "audio=%.1fs tones:",
                p.options().name.c_str(), p.participantId().c_str(),
                p.socketClosed() ? "closed" : (p.socketOpen() ? "open" : "..."),
                p.iceConnectionState().c_str(), p.connectionState().c_str(),
                (unsigned long long)frames, (unsigned long long)(frames - lastFrames[i]), size[0],
                size[1], double(p.audioSamplesReceived()) / 48000.0);
            lastFrames[i] = frames;
            for (double hz : tones)
                std::printf(" %g=%.2f%s", hz, p.toneLevel(hz), hz == p.options().toneHz ? "*" : "");
            if (base.stampFrames) {
                const auto latency = p.latencySamplesMs();
                p.clearLatencySamples();
                std::printf(" latency p50=%.0f p95=%.0f ms (%zu)",
                            mixmeet::testing::percentile(latency, 0.5),
                            mixmeet::testing::percentile(latency, 0.95), latency.size());
            }
            std::printf("\n");
            for (const auto& e : p.errors())
                std::printf("         server error %s: %s\n", e.code.c_str(), e.message.c_str());
            for (const auto& e : p.localErrors()) std::printf("         local: %s\n", e.c_str());
            if (!p.byeReason().empty()) std::printf("         bye: %s\n", p.byeReason().c_str());
        }
        std::fflush(stdout);
        if (duration > 0 && second >= duration) break;
    }

    for (auto& p : peers) p->leave();
    mixmeet::testing::waitUntil(
        [&] {
            for (auto& p : peers)
                if (!p->socketClosed()) return false;
            return true;
        },
        std::chrono::milliseconds(3000));
    peers.clear();
    gst_deinit();
    return 0;
}
