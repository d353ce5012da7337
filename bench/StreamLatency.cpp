#include "StreamLatency.h"

#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <unistd.h>

#include "FrameStamp.h"
#include "ServerProcess.h"
#include "StampProbe.h"
#include "Wait.h"
#include "media/Layout.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <sstream>

namespace mixmeet::bench {

using core::ElementPtr;
using core::ErrorOut;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t kNoStamp = 0xffffffffu;
/// Bounds memory on long pulls: 25 tiles at 30 fps for 10 minutes.
constexpr std::size_t kMaxSamples = 500000;

}  // namespace

struct StampedDecoder::State {
    mutable std::mutex mutex;
    int tiles = 0;
    int senderWidth = 0;
    int senderHeight = 0;
    std::uint64_t frames = 0;
    std::atomic<std::uint64_t> encoded{0};  // buffers into "vq"
    std::vector<std::uint32_t> last;        // per tile, the last stamp read
    std::vector<double> agesMs;
    std::vector<std::vector<std::uint32_t>> frameStamps;
};

namespace {

using StateBox = std::shared_ptr<StampedDecoder::State>;

GstFlowReturn onSample(GstAppSink* appsink, gpointer data) noexcept {
    const std::int64_t nowUs = g_get_monotonic_time();
    StampedDecoder::State& s = **static_cast<StateBox*>(data);
    core::SamplePtr sample(gst_app_sink_pull_sample(appsink));
    if (!sample) return GST_FLOW_EOS;
    std::vector<std::optional<std::uint32_t>> read;
    {
        const testing::MappedLuma luma(sample.get());
        if (!luma) return GST_FLOW_OK;
        // Camera tiles are centre-cropped to fill their cell (media/TileBranch.h).
        for (const auto& t : media::gridLayout(s.tiles, luma.width(), luma.height()))
            read.push_back(testing::readStamp(
                luma.view(),
                testing::coverRect({t.x, t.y, t.width, t.height}, s.senderWidth, s.senderHeight)));
    }

    const auto nowMs = std::uint64_t(nowUs / 1000);
    std::lock_guard lock(s.mutex);
    ++s.frames;
    if (s.last.size() != read.size()) s.last.assign(read.size(), kNoStamp);
    std::vector<std::uint32_t> stamps;
    for (std::size_t i = 0; i < read.size(); ++i) {
        if (!read[i]) continue;
        stamps.push_back(*read[i]);
        if (s.last[i] == *read[i]) continue;  // the same sender frame, repeated
        const bool first = s.last[i] == kNoStamp;
        s.last[i] = *read[i];
        if (!first && s.agesMs.size() < kMaxSamples)
            s.agesMs.push_back(double(testing::stampAgeMs(*read[i], nowMs)));
    }
    if (!stamps.empty() && s.frameStamps.size() < kMaxSamples)
        s.frameStamps.push_back(std::move(stamps));
    return GST_FLOW_OK;
}

/// A demuxer's pad-added: "video..." pads to the element named "vq", "audio..." to "aq"
/// (gst_parse's own delayed linking gives up at no-more-pads, and flvdemux announces the video
/// pad after it when the FLV header lists audio only). Streaming thread.
void linkDemuxerPad(GstElement* demux, GstPad* pad, gpointer) noexcept {
    const char* target = g_str_has_prefix(GST_PAD_NAME(pad), "video")   ? "vq"
                         : g_str_has_prefix(GST_PAD_NAME(pad), "audio") ? "aq"
                                                                        : nullptr;
    GstObject* parent = gst_object_get_parent(GST_OBJECT(demux));
    if (!target || !parent) {
        if (parent) gst_object_unref(parent);
        return;
    }
    ElementPtr queue = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(parent), target));
    gst_object_unref(parent);
    if (!queue) return;
    core::PadPtr sink = core::PadPtr::adopt(gst_element_get_static_pad(queue.get(), "sink"));
    if (sink && !gst_pad_is_linked(sink.get())) gst_pad_link(pad, sink.get());
}

}  // namespace

StampedDecoder::StampedDecoder(int tiles, int senderWidth, int senderHeight)
    : state_(std::make_shared<State>()) {
    state_->tiles = tiles;
    state_->senderWidth = senderWidth;
    state_->senderHeight = senderHeight;
}

StampedDecoder::~StampedDecoder() {
    stop();
}

bool StampedDecoder::start(const std::string& source, std::string& error) {
    const std::string desc = source +
                             " ! videoconvert ! video/x-raw,format=I420 ! appsink name=sink "
                             "sync=false max-buffers=8 drop=false";
    ErrorOut err;
    pipeline_ = ElementPtr::refSink(
        gst_parse_launch_full(desc.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, err.out()));
    if (!pipeline_) {
        error = err.message();
        return false;
    }
    if (ElementPtr demux = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline_.get()), "d")))
        g_signal_connect(demux.get(), "pad-added", G_CALLBACK(linkDemuxerPad), nullptr);
    if (ElementPtr vq = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline_.get()), "vq"))) {
        core::PadPtr pad = core::PadPtr::adopt(gst_element_get_static_pad(vq.get(), "sink"));
        gst_pad_add_probe(
            pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
            [](GstPad*, GstPadProbeInfo*, gpointer data) noexcept {
                ++(*static_cast<StateBox*>(data))->encoded;
                return GST_PAD_PROBE_OK;
            },
            new StateBox(state_), [](gpointer p) noexcept { delete static_cast<StateBox*>(p); });
    }
    ElementPtr sink = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline_.get()), "sink"));
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = onSample;
    gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks, new StateBox(state_),
                               [](gpointer p) noexcept { delete static_cast<StateBox*>(p); });
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        error = "cannot start: " + desc;
        stop();
        return false;
    }
    return true;
}

void StampedDecoder::stop() {
    if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    pipeline_.reset();
}

bool StampedDecoder::finished() {
    if (finished_ || !pipeline_) return finished_;
    core::GPtr<GstBus> bus = core::GPtr<GstBus>::adopt(gst_element_get_bus(pipeline_.get()));
    core::MessagePtr m(gst_bus_pop_filtered(
        bus.get(), static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS)));
    if (!m) return false;
    finished_ = true;
    if (GST_MESSAGE_TYPE(m.get()) == GST_MESSAGE_ERROR) {
        ErrorOut e;
        gst_message_parse_error(m.get(), e.out(), nullptr);
        error_ = e.message();
    }
    return true;
}

std::uint64_t StampedDecoder::frames() const {
    std::lock_guard lock(state_->mutex);
    return state_->frames;
}

std::uint64_t StampedDecoder::encodedFrames() const {
    return state_->encoded.load();
}

std::vector<double> StampedDecoder::changeAgesMs() const {
    std::lock_guard lock(state_->mutex);
    return state_->agesMs;
}

std::vector<std::vector<std::uint32_t>> StampedDecoder::frameStamps() const {
    std::lock_guard lock(state_->mutex);
    return state_->frameStamps;
}

RtmpPull::RtmpPull(std::string location, int tiles, int senderWidth, int senderHeight)
    : location_(std::move(location)), decoder_(tiles, senderWidth, senderHeight) {}

bool RtmpPull::start(std::string& error) {
    // flvdemux adds its pads as the tags come (audio first, often): both are consumed so the
    // demuxer never sees not-linked on the only pad it has.
    return decoder_.start("rtmp2src location=" + location_ +
                              " ! flvdemux name=d queue name=aq ! fakesink sync=false "
                              "async=false queue name=vq ! h264parse ! avdec_h264",
                          error);
}

HlsWatch::HlsWatch(testing::ServerProcess& server, std::string playlistPath, std::string cookie)
    : server_(server), playlistPath_(std::move(playlistPath)), cookie_(std::move(cookie)) {
    base_ = playlistPath_.substr(0, playlistPath_.rfind('/') + 1);
}

void HlsWatch::poll() {
    const std::vector<std::pair<std::string, std::string>> headers{{"Cookie", cookie_}};
    const testing::HttpReply playlist = server_.get(playlistPath_, 5s, headers);
    const std::int64_t listedUs = g_get_monotonic_time() - playlist.elapsed.count() * 1000 / 2;
    if (playlist.status != 200) return;
    std::istringstream lines(playlist.body);
    std::string line;
    double extinf = 0;
    std::vector<Segment> fresh;
    while (std::getline(lines, line)) {
        if (line.rfind("#EXTINF:", 0) == 0) extinf = std::atof(line.c_str() + 8);
        if (line.empty() || line[0] == '#') continue;
        if (std::find(seen_.begin(), seen_.end(), line) != seen_.end()) continue;
        seen_.push_back(line);
        if (!first_) fresh.push_back({line, extinf, listedUs, {}});
    }
    first_ = false;
    // Fetched at once: the playlist keeps only the last few segments.
    for (auto& s : fresh) {
        testing::HttpReply body = server_.get(base_ + s.name, 5s, headers);
        if (body.status != 200) continue;
        s.data = std::move(body.body);
        segments_.push_back(std::move(s));
    }
}

HlsWatch::Result HlsWatch::measure(int tiles, int senderWidth, int senderHeight) {
    Result out;
    std::vector<double> lengths;
    for (const Segment& s : segments_) {
        gchar* path = nullptr;
        const int fd = g_file_open_tmp("mixmeet-bench-XXXXXX.ts", &path, nullptr);
        if (fd < 0) {
            out.error = "cannot write a temporary file";
            break;
        }
        close(fd);
        const std::string file = path;
        g_free(path);
        if (!g_file_set_contents(file.c_str(), s.data.data(), gssize(s.data.size()), nullptr)) {
            g_remove(file.c_str());
            continue;
        }
        StampedDecoder decoder(tiles, senderWidth, senderHeight);
        std::string error;
        if (decoder.start("filesrc location=" + file +
                              " ! tsdemux name=d queue name=aq ! fakesink sync=false "
                              "async=false queue name=vq ! h264parse ! avdec_h264",
                          error)) {
            testing::waitUntil([&] { return decoder.finished(); }, 20s);
            if (!decoder.error().empty()) error = decoder.error();
        }
        decoder.stop();
        g_remove(file.c_str());
        const auto frames = decoder.frameStamps();
        if (frames.empty()) {
            if (out.error.empty())
                out.error = s.name + ": no stamp read" + (error.empty() ? "" : " (" + error + ")");
            continue;
        }
        const auto listedMs = std::uint64_t(s.listedUs / 1000);
        auto age = [&](const std::vector<std::uint32_t>& stamps) {
            std::vector<double> ages;
            for (std::uint32_t stamp : stamps)
                ages.push_back(double(testing::stampAgeMs(stamp, listedMs)));
            return testing::percentile(ages, 0.5);
        };
        out.oldestMs.push_back(age(frames.front()));
        out.newestMs.push_back(age(frames.back()));
        lengths.push_back(s.durationS);
        ++out.segments;
    }
    out.segmentS = testing::percentile(lengths, 0.5);
    if (segments_.empty() && out.error.empty()) out.error = "no segment appeared";
    return out;
}

}  // namespace mixmeet::bench
