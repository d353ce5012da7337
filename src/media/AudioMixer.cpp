#include "media/AudioMixer.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <vector>

#include "core/Log.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {


AudioMixer::AudioMixer(std::string roomName) : room_(std::move(roomName)) {}

AudioMixer::~AudioMixer() { stop(); }

void AudioMixer::start(GstElement* pipeline) {
    if (running_.exchange(true)) return;
    GstClock* clock = gst_element_get_clock(pipeline);
    if (!clock) clock = gst_system_clock_obtain();
    GstClockTime base = gst_element_get_base_time(pipeline);
    thread_ = std::thread([this, clock, base] {
        run(clock, base);
        gst_object_unref(clock);
    });
}

void AudioMixer::stop() {
    if (!running_.exchange(false)) return;
    {
        std::lock_guard g(clockLock_);
        if (clockId_) gst_clock_id_unschedule(clockId_);
    }
    if (thread_.joinable()) thread_.join();
}

void AudioMixer::run(GstClock* clock, GstClockTime baseTime) {
    const GstClockTime period = kFrameMs * GST_MSECOND;
    GstClockTime start = gst_clock_get_time(clock);
    {
        std::lock_guard g(clockLock_);
        if (!running_) return;
        clockId_ = gst_clock_new_periodic_id(clock, start + period, period);
    }
    GstClockTime next = start + period;
    while (running_) {
        GstClockReturn r = gst_clock_id_wait(clockId_, nullptr);
        if (r == GST_CLOCK_UNSCHEDULED || !running_) break;
        // The audio for [next - period, next) is complete at `next`.
        tick(next - period - baseTime);
        next += period;
    }
    std::lock_guard g(clockLock_);
    gst_clock_id_unref(clockId_);
    clockId_ = nullptr;
}

void AudioMixer::tick(GstClockTime runningTime) {
    std::lock_guard g(lock_);
    if (outputs_.empty()) {
        // Nobody listens: keep the input queues from growing stale.
        for (auto& [id, in] : inputs_) {
            std::lock_guard ig(in->lock);
            std::vector<int16_t> scratch(kFrameSamples);
            in->fifo.pop(scratch);
        }
        return;
    }
    std::vector<int32_t> sum(kFrameSamples, 0);
    std::map<std::string, std::vector<int16_t>> frames;
    for (auto& [id, in] : inputs_) {
        auto& frame = frames[id];
        frame.resize(kFrameSamples);
        std::lock_guard ig(in->lock);
        in->fifo.pop(frame);
        accumulate(sum, frame);
    }
    for (auto& [id, out] : outputs_) {
        GstBuffer* buf = gst_buffer_new_allocate(nullptr, kFrameSamples * sizeof(int16_t), nullptr);
        GstMapInfo map;
        gst_buffer_map(buf, &map, GST_MAP_WRITE);
        std::span<int16_t> dst(reinterpret_cast<int16_t*>(map.data), kFrameSamples);
        auto own = frames.find(id);
        if (own != frames.end())
            mixMinus(sum, own->second, dst);
        else
            mixMinus(sum, {}, dst);
        gst_buffer_unmap(buf, &map);
        GST_BUFFER_PTS(buf) = runningTime;
        GST_BUFFER_DURATION(buf) = kFrameMs * GST_MSECOND;
        // Takes ownership of buf. Fails (FLUSHING) only while the output is shutting down.
        gst_app_src_push_buffer(GST_APP_SRC(out.appsrc.get()), buf);
    }
}

void AudioMixer::addInput(const std::string& id, GstElement* appsink) {
    auto input = std::make_shared<Input>();
    {
        std::lock_guard g(lock_);
        inputs_[id] = input;
    }
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = onNewSample;
    // The appsink owns a strong reference to the queue, so a sample arriving after
    // removeInput() still has somewhere to go; freed with the appsink.
    gst_app_sink_set_callbacks(GST_APP_SINK(appsink), &callbacks,
                               new std::shared_ptr<Input>(input), [](gpointer d) {
                                   delete static_cast<std::shared_ptr<Input>*>(d);
                               });
}

void AudioMixer::removeInput(const std::string& id) {
    std::lock_guard g(lock_);
    inputs_.erase(id);
}

void AudioMixer::addOutput(const std::string& id, GstElement* appsrc) {
    std::lock_guard g(lock_);
    outputs_[id] = Output{core::ElementPtr::ref(appsrc)};
}

void AudioMixer::removeOutput(const std::string& id) {
    std::lock_guard g(lock_);
    outputs_.erase(id);
}

std::size_t AudioMixer::inputCount() const {
    std::lock_guard g(lock_);
    return inputs_.size();
}

std::size_t AudioMixer::outputCount() const {
    std::lock_guard g(lock_);
    return outputs_.size();
}

GstFlowReturn AudioMixer::onNewSample(GstAppSink* sink, gpointer data) noexcept {
    auto& input = *static_cast<std::shared_ptr<Input>*>(data);
    core::SamplePtr sample(gst_app_sink_pull_sample(sink));
    if (!sample) return GST_FLOW_OK;
    GstBuffer* buf = gst_sample_get_buffer(sample.get());
    GstMapInfo map;
    if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ)) return GST_FLOW_OK;
    std::span<const int16_t> samples(reinterpret_cast<const int16_t*>(map.data),
                                     map.size / sizeof(int16_t));
    {
        std::lock_guard g(input->lock);
        input->fifo.push(samples);
    }
    gst_buffer_unmap(buf, &map);
    return GST_FLOW_OK;
}

}  // namespace mixmeet::media
