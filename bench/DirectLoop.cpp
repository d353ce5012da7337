#include "DirectLoop.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "FrameStamp.h"
#include "StampProbe.h"
#include "SyntheticPeer.h"

#include <cstdio>
#include <mutex>

namespace mixmeet::bench {

using core::ElementPtr;
using core::ErrorOut;

struct DirectLoop::Samples {
    mutable std::mutex mutex;
    std::vector<double> ms;
    std::uint32_t last = 0xffffffffu;
};

namespace {

using SamplesBox = std::shared_ptr<DirectLoop::Samples>;

}  // namespace

DirectLoop::DirectLoop(DirectLoopSettings settings)
    : settings_(settings), samples_(std::make_shared<Samples>()) {}

DirectLoop::~DirectLoop() {
    if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

bool DirectLoop::start(std::string& error) {
    char desc[1024];
    std::snprintf(desc, sizeof desc,
                  "videotestsrc name=src is-live=true pattern=0 horizontal-speed=2 ! "
                  "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! videoconvert ! "
                  "%s target-bitrate=%d ! rtpvp8pay mtu=1200 picture-id-mode=15-bit ! queue ! "
                  "rtpjitterbuffer latency=%u ! rtpvp8depay ! vp8dec ! "
                  "video/x-raw,format=I420 ! appsink name=sink sync=false max-buffers=4 drop=true",
                  settings_.width, settings_.height, settings_.fps, testing::kPeerVp8Encoder,
                  settings_.bitrate, settings_.jitterBufferMs);
    ErrorOut err;
    pipeline_ = ElementPtr::refSink(
        gst_parse_launch_full(desc, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, err.out()));
    if (!pipeline_) {
        error = std::string("direct loop: ") + err.message();
        return false;
    }
    ElementPtr src = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline_.get()), "src"));
    testing::addStampProbe(src.get());
    ElementPtr sink = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline_.get()), "sink"));
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = [](GstAppSink* appsink, gpointer data) noexcept -> GstFlowReturn {
        const std::int64_t nowUs = g_get_monotonic_time();
        Samples& s = **static_cast<SamplesBox*>(data);
        core::SamplePtr sample(gst_app_sink_pull_sample(appsink));
        if (!sample) return GST_FLOW_EOS;
        std::optional<std::uint32_t> stamp;
        {
            const testing::MappedLuma luma(sample.get());
            if (!luma) return GST_FLOW_OK;
            stamp = testing::readStamp(luma.view(), {0, 0, luma.width(), luma.height()});
        }
        if (stamp) {
            std::lock_guard lock(s.mutex);
            if (*stamp != s.last && s.ms.size() < 500000)
                s.ms.push_back(double(testing::stampAgeMs(*stamp, std::uint64_t(nowUs / 1000))));
            s.last = *stamp;
        }
        return GST_FLOW_OK;
    };
    gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks, new SamplesBox(samples_),
                               [](gpointer p) noexcept { delete static_cast<SamplesBox*>(p); });
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        error = "direct loop: cannot start";
        return false;
    }
    return true;
}

std::vector<double> DirectLoop::samplesMs() const {
    std::lock_guard lock(samples_->mutex);
    return samples_->ms;
}

void DirectLoop::clear() {
    std::lock_guard lock(samples_->mutex);
    samples_->ms.clear();
}

}  // namespace mixmeet::bench
