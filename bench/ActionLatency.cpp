#include "ActionLatency.h"

#include <glib.h>

#include "FrameStamp.h"
#include "SyntheticPeer.h"
#include "Wait.h"
#include "media/Layout.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mixmeet::bench {

using namespace std::chrono_literals;
using testing::Frame;
using testing::PeerOptions;
using testing::SyntheticPeer;

namespace {

// videotestsrc patterns: moving SMPTE bars for most cameras, solid colours where the viewer
// must tell who is shown.
constexpr int kSmpte = 0, kRed = 4, kGreen = 5, kBlue = 6;
constexpr double kTalkerVolume = 0.1;      // the one talker
constexpr double kNewSpeakerVolume = 0.3;  // 9.5 dB louder: past the 6 dB a takeover needs
constexpr auto kActionTimeout = 5s;        // an effect not seen by then is a miss

std::int64_t nowUs() {
    return g_get_monotonic_time();
}

/// Scheduler times of one thread (/proc/PID/task/TID/schedstat), ns: on a CPU, and runnable
/// but waiting for one (what a loaded machine adds).
struct ThreadTimes {
    double runNs = 0;
    double waitNs = 0;
};

ThreadTimes threadTimes(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                     "/schedstat");
    ThreadTimes t;
    in >> t.runNs >> t.waitNs;
    return t;
}

/// The samples of one action and how often its effect never came.
struct Series {
    std::string name;
    int targetMs = 0;
    std::vector<double> ms;
    std::vector<double> messageMs;  // the viewer's `layout` message, where there is one
    int missed = 0;
    // The server's main thread (signaling, room logic, pipeline changes) from the send to the
    // effect: ms on a CPU and ms runnable but waiting for one, summed over the samples.
    double mainRunMs = 0;
    double mainWaitMs = 0;
};

/// When an action was sent, and the server's main thread then.
struct Mark {
    std::int64_t t0 = 0;
    ThreadTimes main;
};

/// Stamps readable in `rects` (layout pixels of a layoutW x layoutH composite) of `f`.
int stampsIn(Frame& f, const std::vector<media::Rect>& rects, int layoutW, int layoutH, int srcW,
             int srcH) {
    if (f.empty() || layoutW <= 0 || layoutH <= 0) return 0;
    // The G byte of packed RGB stands in for luma: the stamp is grey.
    const testing::LumaView luma{f.rgb.data() + 1, f.width, f.height, f.width * 3, 3};
    int read = 0;
    for (const auto& r : rects) {
        const testing::PixelRect tile{r.x * f.width / layoutW, r.y * f.height / layoutH,
                                      r.width * f.width / layoutW, r.height * f.height / layoutH};
        // Camera tiles are centre-cropped to fill their cell.
        if (testing::readStamp(luma, testing::coverRect(tile, srcW, srcH))) ++read;
    }
    return read;
}

std::vector<media::Rect> cameraRects(const media::LayoutResult& l) {
    std::vector<media::Rect> out;
    for (const auto& t : l.cameras) out.push_back(t.rect);
    return out;
}

/// The largest of `rects` (the speaker layout's large tile).
media::Rect largest(const std::vector<media::Rect>& rects) {
    media::Rect best;
    for (const auto& r : rects)
        if (r.width * r.height > best.width * best.height) best = r;
    return best;
}

/// Whether the middle of `r` (layout pixels) in `f` is mostly `colour` ({r, g, b} each 0 or
/// 255): away from the stamp band at the top, the name banner at the bottom and the speaker
/// highlight at the edges.
bool shows(const Frame& f, media::Rect r, int layoutW, int layoutH, std::array<int, 3> colour) {
    if (f.empty() || layoutW <= 0 || layoutH <= 0) return false;
    const int x = r.x * f.width / layoutW, y = r.y * f.height / layoutH;
    const int w = r.width * f.width / layoutW, h = r.height * f.height / layoutH;
    const auto mean = f.mean(x + w / 4, y + h * 35 / 100, w / 2, h * 30 / 100);
    for (int c = 0; c < 3; ++c)
        if (colour[c] ? mean[c] < 150 : mean[c] > 100) return false;
    return true;
}

/// Polls the viewer until `frameDone` has held for a decoded frame that arrived after `t0`
/// and `messageDone` (if given) has held, at most kActionTimeout. Returns {frame arrival,
/// message seen} in µs (0: not seen). Frames are looked at once each, as they come (the
/// poll runs every 10 ms; a frame replaced before it was looked at costs at most one frame
/// interval of resolution).
std::pair<std::int64_t, std::int64_t> pollEffect(SyntheticPeer& viewer, std::int64_t t0,
                                                 const std::function<bool(Frame&)>& frameDone,
                                                 const std::function<bool()>& messageDone) {
    std::int64_t frameAt = 0, messageAt = 0;
    std::uint64_t lastIndex = 0, lastDecoded = viewer.videoFramesDecoded();
    testing::waitUntil(
        [&] {
            if (messageDone && !messageAt && messageDone()) messageAt = nowUs();
            if (!frameAt && viewer.videoFramesDecoded() != lastDecoded) {
                lastDecoded = viewer.videoFramesDecoded();
                Frame f = viewer.lastFrameRGB();
                if (f.index != lastIndex && f.receivedAtUs > t0) {
                    lastIndex = f.index;
                    if (frameDone(f)) frameAt = f.receivedAtUs;
                }
            }
            return frameAt && (!messageDone || messageAt);
        },
        kActionTimeout);
    return {frameAt, messageAt};
}

/// The room and its roles.
class Bench {
public:
    explicit Bench(const ActionLatencySettings& s) : s_(s), server_(s.server) {}

    bool start() {
        if (s_.keep) server_.keepFiles();
        std::string error;
        if (!server_.start(error)) {
            std::fprintf(stderr, "mixmeet-bench: %s\n", error.c_str());
            return false;
        }
        const int n = s_.participants;
        std::fprintf(stderr, "action latency: server pid %d on port %d, %d participants\n",
                     int(server_.pid()), server_.port(), n);
        for (int i = 0; i < n; ++i) {
            peers_.push_back(std::make_unique<SyntheticPeer>(options(i)));
            peers_.back()->start();
            if (!testing::waitUntil([&] { return peers_.back()->joined(); }, 10s)) {
                std::fprintf(stderr, "mixmeet-bench: p%d did not join\n", i + 1);
                return false;
            }
        }
        auto settled = [&] {
            for (auto& p : peers_)
                if (!p->connected() || int(p->roster().size()) != n) return false;
            return viewer().videoFramesDecoded() > 0 && viewer().tilesWithStamp() == n &&
                   viewer().toneLevel(toneHz(kTalker), 200) > kTalkerVolume / 3;
        };
        if (!testing::waitUntil(settled, 30s + 2s * n)) {
            std::fprintf(stderr,
                         "mixmeet-bench: the room did not settle: viewer frames=%llu tiles=%d "
                         "talker tone %.3f\n",
                         (unsigned long long)viewer().videoFramesDecoded(),
                         viewer().tilesWithStamp(), viewer().toneLevel(toneHz(kTalker), 200));
            return false;
        }
        for (const auto& e : viewer().roster())
            if (e.host && e.id != peers_[kHost]->participantId()) {
                std::fprintf(stderr, "mixmeet-bench: p1 is not the host\n");
                return false;
            }
        return true;
    }

    void stop() {
        for (auto& p : peers_) p->leave();
        testing::waitUntil(
            [&] {
                return std::all_of(peers_.begin(), peers_.end(),
                                   [](auto& p) { return p->socketClosed(); });
            },
            10s);
        peers_.clear();
        server_.stop();
    }

    /// (a) the host switches the meeting's layout, grid <-> speaker, K times.
    Series layoutSwitch() {
        Series s{"(a) host switches the meeting layout grid <-> speaker", 300, {}, {}, 0};
        for (int k = 0; k < s_.repeats; ++k) {
            const bool toSpeaker = viewer().lastLayout().layout != "speaker";
            const auto from =
                           rects(toSpeaker ? media::LayoutKind::Grid : media::LayoutKind::Speaker),
                       to = rects(toSpeaker ? media::LayoutKind::Speaker : media::LayoutKind::Grid);
            const std::string target = toSpeaker ? "speaker" : "grid";
            const Mark mark = markNow();
            const std::int64_t t0 = mark.t0;
            peers_[kHost]->sendRaw(R"({"type":"set-layout","layout":")" + target +
                                   R"(","scope":"meeting"})");
            record(s, mark,
                   pollEffect(
                       viewer(), t0, [&](Frame& f) { return geometryIs(f, to, from); },
                       [&] { return viewer().lastLayout().layout == target; }));
            pause();
        }
        if (viewer().lastLayout().layout != "grid") {
            peers_[kHost]->sendRaw(R"({"type":"set-layout","layout":"grid","scope":"meeting"})");
            testing::waitUntil([&] { return viewer().lastLayout().layout == "grid"; }, 5s);
            pause();
        }
        return s;
    }

    /// (b) the presenter starts sharing (and stops again between repetitions), K times. The
    /// second series is the screen's picture appearing in its area (it needs a keyframe of
    /// the screen, which the server asks the presenter for when the share starts).
    std::pair<Series, Series> shareStart() {
        Series geometry{"(b) screen share starts: presentation geometry", 300, {}, {}, 0};
        Series picture{"(b') screen share starts: the screen's picture shown", 0, {}, {}, 0};
        const auto grid = rects(media::LayoutKind::Grid);
        const auto layout = media::computeLayout(
            {media::LayoutKind::Presentation, s_.participants, -1, true, width(), height()});
        const auto strip = cameraRects(layout);
        const media::Rect screen =
            layout.screen ? media::letterbox(kScreenWidth, kScreenHeight, layout.screen->rect)
                          : media::Rect{};
        const std::string presenterId = peers_[kPresenter]->participantId();
        for (int k = 0; k < s_.repeats; ++k) {
            std::int64_t pictureAt = 0;
            const Mark mark = markNow();
            const std::int64_t t0 = mark.t0;
            peers_[kPresenter]->sendRaw(R"({"type":"share-start"})");
            auto effect = pollEffect(
                viewer(), t0,
                [&](Frame& f) {
                    if (!pictureAt && shows(f, screen, width(), height(), {0, 0, 255}))
                        pictureAt = f.receivedAtUs;
                    return geometryIs(f, strip, grid);
                },
                [&] {
                    return viewer().lastLayout().layout == "presentation" &&
                           viewer().lastLayout().presenter == presenterId;
                });
            record(geometry, mark, effect);
            if (!pictureAt)  // the picture may come after the geometry
                pictureAt = pollEffect(
                                viewer(), t0,
                                [&](Frame& f) {
                                    return shows(f, screen, width(), height(), {0, 0, 255});
                                },
                                nullptr)
                                .first;
            record(picture, Mark{t0, {}}, {pictureAt, 0});
            peers_[kPresenter]->sendRaw(R"({"type":"share-stop"})");
            pollEffect(
                viewer(), nowUs(), [&](Frame& f) { return geometryIs(f, grid, strip); },
                [&] { return viewer().lastLayout().layout == "grid"; });
            pause();
        }
        return {geometry, picture};
    }

    /// (c) the host mutes the talker (who unmutes itself between repetitions), K times.
    Series hostMute() {
        Series s{
            "(c) host mutes the talker: its tone gone from the viewer's audio", 300, {}, {}, 0};
        const double hz = toneHz(kTalker);
        const std::string talkerId = peers_[kTalker]->participantId();
        for (int k = 0; k < s_.repeats; ++k) {
            if (!testing::waitUntil([&] { return viewer().toneLevel(hz, 100) > kTalkerVolume / 2; },
                                    5s)) {
                std::fprintf(stderr, "  (c) the talker's tone is not back (%.3f)\n",
                             viewer().toneLevel(hz, 100));
                ++s.missed;
                continue;
            }
            const double baseline = viewer().toneLevel(hz, 200);
            const Mark mark = markNow();
            peers_[kHost]->sendRaw(R"({"type":"mute","participant":")" + talkerId + R"("})");
            // Gone: under a quarter of the level before, over the newest 30 ms, and still gone
            // 100 ms later (a dip of the tone from a late packet is not the mute).
            std::int64_t lowSince = 0;
            const bool gone = testing::waitUntil(
                [&] {
                    if (viewer().toneLevel(hz, 30) >= baseline / 4) {
                        lowSince = 0;
                        return false;
                    }
                    if (!lowSince) lowSince = nowUs();
                    return nowUs() - lowSince >= 100000;
                },
                kActionTimeout);
            if (!gone)
                std::fprintf(stderr,
                             "  (c) the tone stayed: level %.3f of %.3f, %llu audio samples\n",
                             viewer().toneLevel(hz, 30), baseline,
                             (unsigned long long)viewer().audioSamplesReceived());
            record(s, mark, {gone ? lowSince : 0, 0});
            peers_[kTalker]->sendRaw(R"({"type":"media-state","mic":true,"camera":true})");
            pause();
        }
        return s;
    }

    /// (d) a silent participant starts a louder tone, K times (silent again in between, until
    /// the talker has been the speaker again for longer than the 1 s minimum dwell).
    Series newSpeaker() {
        Series s{"(d) new speaker: layout message names it AND its camera is the large tile",
                 1000,
                 {},
                 {},
                 0};
        const auto speaker = rects(media::LayoutKind::Speaker);
        const media::Rect large = largest(speaker);
        const std::string talkerId = peers_[kTalker]->participantId();
        const std::string newId = peers_[kPresenter]->participantId();
        viewer().sendRaw(R"({"type":"set-layout","layout":"speaker","scope":"self"})");
        for (int k = 0; k < s_.repeats; ++k) {
            // The talker is the speaker, large, and has been for longer than the dwell.
            const auto back = pollEffect(
                viewer(), nowUs(),
                [&](Frame& f) {
                    return shows(f, large, width(), height(), {255, 0, 0});
                },
                [&] {
                    return viewer().lastLayout().layout == "speaker" &&
                           viewer().lastLayout().speaker == talkerId;
                });
            if (!back.first || !back.second) {
                std::fprintf(stderr,
                             "  (d) the talker did not become the speaker again: layout %s, "
                             "speaker %s (talker %s), large tile %s, %llu frames\n",
                             viewer().lastLayout().layout.c_str(),
                             viewer().lastLayout().speaker.c_str(), talkerId.c_str(),
                             back.first ? "red" : "not red",
                             (unsigned long long)viewer().videoFramesDecoded());
                ++s.missed;
                continue;
            }
            testing::runFor(1500ms);
            const Mark mark = markNow();
            const std::int64_t t0 = mark.t0;
            peers_[kPresenter]->setToneVolume(kNewSpeakerVolume);
            auto effect = pollEffect(
                viewer(), t0,
                [&](Frame& f) {
                    return shows(f, large, width(), height(), {0, 255, 0});
                },
                [&] { return viewer().lastLayout().speaker == newId; });
            // Both must have happened: the later of the two is when the viewer sees it.
            record(s, mark,
                   {effect.first && effect.second ? std::max(effect.first, effect.second) : 0,
                    effect.second});
            peers_[kPresenter]->setToneVolume(0);
        }
        viewer().sendRaw(R"({"type":"set-layout","layout":"auto","scope":"self"})");
        return s;
    }

    int participants() const { return s_.participants; }
    std::string viewerName() const { return viewerConst().options().name; }

private:
    // Roles, by join order: p1 is the host (an open room's first joiner), p2 the one talker,
    // p3 shares its screen in (b) and is the new speaker in (d), the last peer is the viewer
    // that decodes (p1 when there are only three).
    static constexpr int kHost = 0, kTalker = 1, kPresenter = 2;
    static constexpr int kScreenWidth = 640, kScreenHeight = 480;

    PeerOptions options(int i) const {
        PeerOptions p;
        p.url = server_.wsUrl();
        p.room = "latency";
        p.name = "p" + std::to_string(i + 1);
        p.pattern = i == kTalker ? kRed : i == kPresenter ? kGreen : kSmpte;
        p.horizontalSpeed = p.pattern == kSmpte ? 1 + i % 4 : 0;
        p.toneHz = toneHz(i);
        p.toneVolume = i == kTalker ? kTalkerVolume : 0.0;
        p.width = s_.sendWidth;
        p.height = s_.sendHeight;
        p.fps = s_.sendFps;
        p.followSendHints = true;
        p.obeyRemb = true;
        p.stampFrames = true;
        p.receiveVideo = i == viewerIndex();
        p.keepFrames = i == viewerIndex();
        p.latencyMs = s_.jitterBufferMs;
        if (i == kPresenter) {
            p.screenPattern = kBlue;
            p.screenWidth = kScreenWidth;
            p.screenHeight = kScreenHeight;
        }
        return p;
    }
    static double toneHz(int i) { return 311.0 + 53.7 * i; }
    int viewerIndex() const { return s_.participants >= 4 ? s_.participants - 1 : kHost; }
    SyntheticPeer& viewer() { return *peers_[std::size_t(viewerIndex())]; }
    const SyntheticPeer& viewerConst() const { return *peers_[std::size_t(viewerIndex())]; }
    /// The composite's size in layout pixels (the high tier's: what `layout` says).
    int width() const { return s_.server.width; }
    int height() const { return s_.server.height; }

    std::vector<media::Rect> rects(media::LayoutKind kind) const {
        return cameraRects(
            media::computeLayout({kind, s_.participants, 0, false, width(), height()}));
    }
    /// `f` has the geometry `to` rather than `from`: more of its tiles carry a readable stamp
    /// where `to` puts them than where `from` does (at least one: the strip tiles of a big room
    /// are too small for a stamp, the large tile is not).
    bool geometryIs(Frame& f, const std::vector<media::Rect>& to,
                    const std::vector<media::Rect>& from) const {
        const int now = stampsIn(f, to, width(), height(), s_.sendWidth, s_.sendHeight);
        if (now == 0) return false;
        return now > stampsIn(f, from, width(), height(), s_.sendWidth, s_.sendHeight);
    }
    Mark markNow() const { return {nowUs(), threadTimes(server_.pid())}; }
    /// Records a sample (at: {effect, message} in µs, 0: not seen); right after the effect
    /// was seen, so the server's main thread is read over (about) the action's time.
    void record(Series& s, const Mark& mark, std::pair<std::int64_t, std::int64_t> at) const {
        if (at.first > 0) {
            s.ms.push_back(double(at.first - mark.t0) / 1000);
            if (mark.main.runNs > 0) {
                const ThreadTimes now = threadTimes(server_.pid());
                s.mainRunMs += (now.runNs - mark.main.runNs) / 1e6;
                s.mainWaitMs += (now.waitNs - mark.main.waitNs) / 1e6;
            }
        } else {
            ++s.missed;
            std::fprintf(stderr, "  %s: not seen within %lld s%s\n", s.name.c_str(),
                         (long long)std::chrono::seconds(kActionTimeout).count(),
                         at.second > 0 ? " (the viewer's layout message came)" : "");
        }
        if (at.second > 0) s.messageMs.push_back(double(at.second - mark.t0) / 1000);
    }
    /// Between repetitions: the senders follow their new send hints, keyframes settle.
    static void pause() { testing::runFor(700ms); }

    ActionLatencySettings s_;
    testing::ServerProcess server_;
    std::vector<std::unique_ptr<SyntheticPeer>> peers_;
};

std::string stat(const std::vector<double>& v, double p) {
    if (v.empty()) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", testing::percentile(v, p));
    return buf;
}

void printSeries(const Series& s) {
    const double max = s.ms.empty() ? 0 : *std::max_element(s.ms.begin(), s.ms.end());
    const bool over =
        !s.ms.empty() && s.targetMs > 0 && testing::percentile(s.ms, 0.95) > s.targetMs;
    char main[64] = "-";
    if (!s.ms.empty() && (s.mainRunMs > 0 || s.mainWaitMs > 0))
        std::snprintf(main, sizeof main, "%.0f / %.0f", s.mainRunMs / double(s.ms.size()),
                      s.mainWaitMs / double(s.ms.size()));
    std::printf("| %s | %s | %zu | %d | %s | %s | %s | %s | %s |%s\n", s.name.c_str(),
                s.targetMs > 0 ? std::to_string(s.targetMs).c_str() : "-", s.ms.size(), s.missed,
                stat(s.ms, 0.5).c_str(), stat(s.ms, 0.95).c_str(),
                s.ms.empty() ? "-" : std::to_string(int(max + 0.5)).c_str(),
                stat(s.messageMs, 0.5).c_str(), main, over ? " over target" : "");
}

}  // namespace

int runActionLatency(const ActionLatencySettings& settings) {
    ActionLatencySettings s = settings;
    s.participants = std::max(3, s.participants);
    s.repeats = std::max(1, s.repeats);
    s.server.maxParticipants = std::max(s.server.maxParticipants, s.participants + 1);
    Bench bench(s);
    if (!bench.start()) {
        bench.stop();
        return 1;
    }
    std::fprintf(stderr, "action latency: (a) layout switches...\n");
    const Series a = bench.layoutSwitch();
    std::fprintf(stderr, "action latency: (b) screen shares...\n");
    const auto [b, picture] = bench.shareStart();
    std::fprintf(stderr, "action latency: (c) host mutes...\n");
    const Series c = bench.hostMute();
    std::fprintf(stderr, "action latency: (d) new speakers...\n");
    const Series d = bench.newSpeaker();
    const std::string viewer = bench.viewerName();
    bench.stop();

    std::printf(
        "\nmixmeet-bench --action-latency: N=%d, K=%d repetitions, composite %dx%d@%d, "
        "peers send %dx%d@%d, measured at viewer %s; ms from the action's message to "
        "its effect in what the viewer decodes\n",
        s.participants, s.repeats, s.server.width, s.server.height, s.server.framerate, s.sendWidth,
        s.sendHeight, s.sendFps, viewer.c_str());
    std::printf(
        "| action | target ms | samples | missed | p50 ms | p95 ms | max ms | `layout` "
        "message p50 ms | server main thread run / wait ms "
        "|\n|---|---|---|---|---|---|---|---|---|\n");
    for (const Series* series : {&a, &b, &picture, &c, &d}) printSeries(*series);
    std::printf(
        "(missed: the effect was not seen within %lld s; over target: p95 above it; "
        "server main thread: mean ms per sample on a CPU / runnable but waiting for "
        "one, from the send to the effect)\n",
        (long long)std::chrono::seconds(kActionTimeout).count());
    std::fflush(stdout);
    return 0;
}

}  // namespace mixmeet::bench
