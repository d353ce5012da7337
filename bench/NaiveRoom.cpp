#include "NaiveRoom.h"

#include <arpa/inet.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "FrameStamp.h"
#include "StampProbe.h"
#include "Wait.h"
#include "media/Layout.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>

namespace mixmeet::bench {

using core::ElementPtr;
using core::ErrorOut;

struct NaiveRoom::Viewer {
    int tiles = 0;  // grid size (the participants), fixed
    int senderWidth = 0, senderHeight = 0;
    mutable std::mutex mutex;
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    std::vector<std::uint32_t> lastStamp;
    std::vector<double> latencyMs;
    std::uint64_t stampsRead = 0, stampMisses = 0;
    std::int64_t firstFrameUs = 0, lastFrameUs = 0, longestGapUs = 0;
    std::uint64_t freezes = 0;
};

namespace {

using ViewerBox = std::shared_ptr<NaiveRoom::Viewer>;
constexpr std::uint32_t kNoStamp = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kFreezeGapUs = std::int64_t(testing::kFreezeGapMs) * 1000;
constexpr std::size_t kMaxSamples = 500000;
constexpr const char* kVp8RtpCaps =
    "application/x-rtp,media=(string)video,clock-rate=(int)90000,encoding-name=(string)VP8,"
    "payload=(int)96";
constexpr const char* kOpusRtpCaps =
    "application/x-rtp,media=(string)audio,clock-rate=(int)48000,encoding-name=(string)OPUS,"
    "payload=(int)111";

/// A UDP port free on 127.0.0.1 right now (the kernel's choice); 0 if none. Another process
/// could take it before it is bound again; on a test machine that does not happen.
int freeUdpPort() {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/// Whether another socket holds UDP `port` on 127.0.0.1: binding it here (without
/// SO_REUSEADDR) then fails with EADDRINUSE.
bool udpPortTaken(int port) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool taken =
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno == EADDRINUSE;
    close(fd);
    return taken;
}

/// The pipeline fragment file without its comment lines, on one line.
std::string readFragment(const std::string& path) {
    std::ifstream in(path);
    std::string line, out;
    while (std::getline(in, line))
        if (!line.empty() && line[0] != '#') out += line + " ";
    return out;
}

std::string clients(const std::vector<int>& ports) {
    std::string out;
    for (int p : ports)
        out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(p);
    return out;
}

/// Appsink callback (streaming thread): one decoded composite; reads every tile's stamp.
GstFlowReturn onComposite(GstAppSink* appsink, gpointer data) noexcept {
    const std::int64_t nowUs = g_get_monotonic_time();
    NaiveRoom::Viewer& v = **static_cast<ViewerBox*>(data);
    core::SamplePtr sample(gst_app_sink_pull_sample(appsink));
    if (!sample) return GST_FLOW_EOS;
    std::vector<std::optional<std::uint32_t>> read;
    {
        const testing::MappedLuma luma(sample.get());
        if (!luma) return GST_FLOW_OK;
        for (const auto& t : media::gridLayout(v.tiles, luma.width(), luma.height()))
            read.push_back(testing::readStamp(
                luma.view(), testing::contentRect({t.x, t.y, t.width, t.height}, v.senderWidth,
                                                  v.senderHeight)));
    }
    const auto nowMs = std::uint64_t(nowUs / 1000);
    std::lock_guard lock(v.mutex);
    ++v.frames;
    if (v.firstFrameUs == 0) v.firstFrameUs = nowUs;
    if (v.lastFrameUs > 0) {
        const std::int64_t gap = nowUs - v.lastFrameUs;
        if (gap > kFreezeGapUs) ++v.freezes;
        v.longestGapUs = std::max(v.longestGapUs, gap);
    }
    v.lastFrameUs = nowUs;
    if (v.lastStamp.size() != read.size()) v.lastStamp.assign(read.size(), kNoStamp);
    for (std::size_t i = 0; i < read.size(); ++i) {
        if (!read[i]) {
            ++v.stampMisses;
            continue;
        }
        ++v.stampsRead;
        if (v.lastStamp[i] == *read[i]) continue;
        const bool first = v.lastStamp[i] == kNoStamp;
        v.lastStamp[i] = *read[i];
        if (!first && v.latencyMs.size() < kMaxSamples)
            v.latencyMs.push_back(double(testing::stampAgeMs(*read[i], nowMs)));
    }
    return GST_FLOW_OK;
}

/// Counts the bytes of every buffer leaving a udpsrc (streaming thread).
GstPadProbeReturn countBytes(GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
    NaiveRoom::Viewer& v = **static_cast<ViewerBox*>(data);
    if (GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info)) {
        std::lock_guard lock(v.mutex);
        v.bytes += gst_buffer_get_size(b);
    }
    return GST_PAD_PROBE_OK;
}

ElementPtr launch(const std::string& desc, std::string& error) {
    ErrorOut err;
    ElementPtr p = ElementPtr::refSink(
        gst_parse_launch_full(desc.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, err.out()));
    if (!p) error = err.message();
    return p;
}

}  // namespace

NaiveRoom::NaiveRoom(NaiveSettings settings) : settings_(std::move(settings)) {}

NaiveRoom::~NaiveRoom() {
    stop();
}

std::string NaiveRoom::mcuDescription(const std::vector<int>& videoIn,
                                      const std::vector<int>& audioIn,
                                      const std::vector<int>& videoOut,
                                      const std::vector<int>& audioOut) const {
    const NaiveSettings& s = settings_;
    const int n = s.participants;
    std::ostringstream d;
    // Not ignore-inactive-pads: on GStreamer 1.22 a live compositor whose pads have all had
    // no data yet at its first timeout goes EOS with it (every decoder then logs "could not
    // send sticky events" and the viewers get no video; the bench showed none at N >= 9).
    d << "compositor name=mix background=black latency="
      << std::uint64_t(s.mixerLatencyMs) * GST_MSECOND;
    const auto layout = media::gridLayout(n, s.width, s.height);
    for (int i = 0; i < n; ++i) {
        const auto r =
            testing::contentRect({layout[i].x, layout[i].y, layout[i].width, layout[i].height},
                                 s.sendWidth, s.sendHeight);
        d << " sink_" << i << "::xpos=" << r.x << " sink_" << i << "::ypos=" << r.y << " sink_" << i
          << "::width=" << r.width << " sink_" << i << "::height=" << r.height;
    }
    // The server's encoder settings; a keyframe every second as the only repair (no RTCP).
    d << " ! video/x-raw,format=I420,width=" << s.width << ",height=" << s.height
      << ",framerate=" << s.fps << "/1,pixel-aspect-ratio=1/1 ! " << readFragment(s.encoderFragment)
      << " target-bitrate=" << s.bitrate << " keyframe-max-dist=" << s.fps
      << " ! rtpvp8pay mtu=1200 picture-id-mode=15-bit pt=96 ! multiudpsink sync=false "
         "async=false clients="
      << clients(videoOut);
    d << " audiomixer name=amix latency=" << std::uint64_t(s.mixerLatencyMs) * GST_MSECOND
      << " ! audio/x-raw,rate=48000,channels=1 ! opusenc bitrate=32000 frame-size=20 "
         "complexity=5 ! rtpopuspay pt=111 ! multiudpsink sync=false async=false clients="
      << clients(audioOut);
    for (int i = 0; i < n; ++i) {
        d << " udpsrc port=" << videoIn[i] << " caps=\"" << kVp8RtpCaps
          << "\" ! rtpjitterbuffer latency=" << s.jitterBufferMs
          << " ! rtpvp8depay wait-for-keyframe=true ! vp8dec threads=1 ! mix.sink_" << i;
        d << " udpsrc port=" << audioIn[i] << " caps=\"" << kOpusRtpCaps
          << "\" ! rtpjitterbuffer latency=" << s.jitterBufferMs
          << " ! rtpopusdepay ! opusdec ! audioconvert ! audioresample ! amix.";
    }
    return d.str();
}

bool NaiveRoom::start(std::string& error) {
    const NaiveSettings& s = settings_;
    const int n = s.participants;
    const int k = s.decoders < 0 ? n : std::min(n, s.decoders);
    std::vector<int> videoIn, audioIn, videoOut, audioOut;
    for (int i = 0; i < n; ++i) {
        videoIn.push_back(freeUdpPort());
        audioIn.push_back(freeUdpPort());
    }
    for (int i = 0; i < k; ++i) {
        videoOut.push_back(freeUdpPort());
        audioOut.push_back(freeUdpPort());
    }
    for (auto* ports : {&videoIn, &audioIn, &videoOut, &audioOut})
        if (std::count(ports->begin(), ports->end(), 0) > 0) {
            error = "naive: no free UDP port";
            return false;
        }

    // Viewers first, so they see the composite's first keyframe.
    for (int i = 0; i < k; ++i) {
        char desc[1024];
        std::snprintf(desc, sizeof desc,
                      "udpsrc name=vin port=%d caps=\"%s\" ! rtpjitterbuffer latency=%u ! "
                      "rtpvp8depay wait-for-keyframe=true ! vp8dec ! video/x-raw,format=I420 ! "
                      "appsink name=sink sync=false max-buffers=4 drop=true "
                      "udpsrc name=ain port=%d ! fakesink sync=false async=false",
                      videoOut[i], kVp8RtpCaps, s.jitterBufferMs, audioOut[i]);
        ElementPtr p = launch(desc, error);
        if (!p) return false;
        auto v = std::make_shared<Viewer>();
        v->tiles = n;
        v->senderWidth = s.sendWidth;
        v->senderHeight = s.sendHeight;
        for (const char* name : {"vin", "ain"}) {
            ElementPtr src = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(p.get()), name));
            core::PadPtr pad = core::PadPtr::adopt(gst_element_get_static_pad(src.get(), "src"));
            gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, countBytes, new ViewerBox(v),
                              [](gpointer b) noexcept { delete static_cast<ViewerBox*>(b); });
        }
        ElementPtr sink = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(p.get()), "sink"));
        GstAppSinkCallbacks callbacks{};
        callbacks.new_sample = onComposite;
        gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks, new ViewerBox(v),
                                   [](gpointer b) noexcept { delete static_cast<ViewerBox*>(b); });
        if (gst_element_set_state(p.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
            error = "naive: a viewer cannot start";
            return false;
        }
        viewerPipelines_.push_back(std::move(p));
        viewers_.push_back(std::move(v));
    }

    // The MCU.
    ErrorOut err;
    core::GPtr<GSubprocessLauncher> launcher = core::GPtr<GSubprocessLauncher>::adopt(
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE));
    const std::string desc = mcuDescription(videoIn, audioIn, videoOut, audioOut);
    if (g_getenv("MIXMEET_BENCH_VERBOSE")) std::fprintf(stderr, "naive MCU: %s\n", desc.c_str());
    // gst-launch takes the description as separate arguments (one per token, as a shell
    // would split it): it quotes each argument it is given.
    gchar** argv = nullptr;
    if (!g_shell_parse_argv(("gst-launch-1.0 -q " + desc).c_str(), nullptr, &argv, err.out())) {
        error = std::string("naive: ") + err.message();
        return false;
    }
    mcu_ = core::GPtr<GSubprocess>::adopt(
        g_subprocess_launcher_spawnv(launcher.get(), argv, err.out()));
    g_strfreev(argv);
    if (!mcu_) {
        error = std::string("naive: gst-launch-1.0: ") + err.message();
        return false;
    }
    mcuPid_ = pid_t(std::atoi(g_subprocess_get_identifier(mcu_.get())));

    // The senders start once the MCU (a child process, slower to start the bigger the room)
    // listens on every input port: a sender's first keyframe, sent into a port nobody holds
    // yet, would be lost, and its encoder sends the next one only seconds later (the bench
    // used to show no video at all at N >= 9 this way).
    auto allBound = [&] {
        for (const auto* ports : {&videoIn, &audioIn})
            for (int port : *ports)
                if (!udpPortTaken(port)) return false;
        return true;
    };
    if (!testing::waitUntil(allBound, std::chrono::seconds(20))) {
        error = "naive: the MCU did not open its input ports within 20 s";
        return false;
    }

    // The senders: the synthetic peers' source, encoder and tone, as plain RTP.
    std::ostringstream d;
    for (int i = 0; i < n; ++i) {
        d << "videotestsrc name=src" << i
          << " is-live=true pattern=0 horizontal-speed=" << 1 + i % 4
          << " ! video/x-raw,format=I420,width=" << s.sendWidth << ",height=" << s.sendHeight
          << ",framerate=" << s.sendFps << "/1 ! videoconvert ! " << testing::kPeerVp8Encoder
          << " target-bitrate=" << s.sendBitrate
          << " ! rtpvp8pay mtu=1200 picture-id-mode=15-bit pt=96 ! udpsink host=127.0.0.1 port="
          << videoIn[i] << " sync=false async=false ";
        d << "audiotestsrc is-live=true wave=sine freq=" << 311.0 + 53.7 * i
          << " volume=" << std::min(0.1, 0.8 / n)
          << " ! audioconvert ! audioresample ! opusenc ! rtpopuspay pt=111 ! udpsink "
             "host=127.0.0.1 port="
          << audioIn[i] << " sync=false async=false ";
    }
    senders_ = launch(d.str(), error);
    if (!senders_) return false;
    for (int i = 0; i < n; ++i) {
        ElementPtr src = ElementPtr::adopt(
            gst_bin_get_by_name(GST_BIN(senders_.get()), ("src" + std::to_string(i)).c_str()));
        testing::addStampProbe(src.get());
    }
    if (gst_element_set_state(senders_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        error = "naive: the senders cannot start";
        return false;
    }
    return true;
}

void NaiveRoom::stop() {
    if (senders_) gst_element_set_state(senders_.get(), GST_STATE_NULL);
    senders_.reset();
    if (mcu_) {
        g_subprocess_send_signal(mcu_.get(), SIGTERM);
        auto exited = std::make_shared<bool>(false);
        g_subprocess_wait_async(
            mcu_.get(), nullptr,
            [](GObject*, GAsyncResult*, gpointer data) noexcept {
                std::unique_ptr<std::shared_ptr<bool>> done(
                    static_cast<std::shared_ptr<bool>*>(data));
                **done = true;
            },
            new std::shared_ptr<bool>(exited));
        if (!testing::waitUntil([&] { return *exited; }, std::chrono::seconds(5))) {
            g_subprocess_force_exit(mcu_.get());
            testing::waitUntil([&] { return *exited; }, std::chrono::seconds(5));
        }
        mcu_.reset();
    }
    for (auto& p : viewerPipelines_) gst_element_set_state(p.get(), GST_STATE_NULL);
    viewerPipelines_.clear();
}

std::uint64_t NaiveRoom::framesDecoded(int i) const {
    std::lock_guard lock(viewers_[i]->mutex);
    return viewers_[i]->frames;
}

std::uint64_t NaiveRoom::bytesReceived(int i) const {
    std::lock_guard lock(viewers_[i]->mutex);
    return viewers_[i]->bytes;
}

std::vector<double> NaiveRoom::latencySamplesMs(int i) const {
    std::lock_guard lock(viewers_[i]->mutex);
    return viewers_[i]->latencyMs;
}

std::uint64_t NaiveRoom::stampsRead(int i) const {
    std::lock_guard lock(viewers_[i]->mutex);
    return viewers_[i]->stampsRead;
}

std::uint64_t NaiveRoom::stampMisses(int i) const {
    std::lock_guard lock(viewers_[i]->mutex);
    return viewers_[i]->stampMisses;
}

int NaiveRoom::tilesWithStamp(int i) const {
    std::lock_guard lock(viewers_[i]->mutex);
    return int(std::count_if(viewers_[i]->lastStamp.begin(), viewers_[i]->lastStamp.end(),
                             [](std::uint32_t s) { return s != kNoStamp; }));
}

testing::FrameGaps NaiveRoom::frameGaps(int i) const {
    const std::int64_t nowUs = g_get_monotonic_time();
    std::lock_guard lock(viewers_[i]->mutex);
    const Viewer& v = *viewers_[i];
    testing::FrameGaps g{v.freezes, double(v.longestGapUs) / 1000};
    if (v.lastFrameUs > 0) {
        const std::int64_t open = nowUs - v.lastFrameUs;
        if (open > kFreezeGapUs) ++g.freezes;
        g.longestMs = std::max(g.longestMs, double(open) / 1000);
    }
    return g;
}

std::int64_t NaiveRoom::firstFrameAtUs(int i) const {
    std::lock_guard lock(viewers_[i]->mutex);
    return viewers_[i]->firstFrameUs;
}

void NaiveRoom::clearWindow() {
    const std::int64_t nowUs = g_get_monotonic_time();
    for (auto& v : viewers_) {
        std::lock_guard lock(v->mutex);
        v->latencyMs.clear();
        v->freezes = 0;
        v->longestGapUs = 0;
        if (v->lastFrameUs > 0) v->lastFrameUs = nowUs;
    }
}

}  // namespace mixmeet::bench
