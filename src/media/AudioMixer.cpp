#include "media/AudioMixer.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <algorithm>
#include <vector>

#include "core/Log.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

AudioMixer::AudioMixer(std::string roomName, std::size_t maxMixed)
    : room_(std::move(roomName)),
      selector_(SpeakerSelector::Config{.maxSpeakers = maxMixed}),
      admission_(AudioAdmission::Config{.maxMixed = maxMixed}),
      plan_(kPrivateWarmupTicks) {}

AudioMixer::~AudioMixer() {
    stop();
}

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
    // Ticks on the 20 ms grid of running time: every mix then has a PTS of a whole number of
    // frames, and the shift an Opus encoder puts on its output timestamps (its lookahead,
    // 6.5 ms) cannot carry a packet over to a neighbouring tick in SendGate::tickOf.
    const GstClockTime now = gst_clock_get_time(clock);
    const GstClockTime running = now > baseTime ? now - baseTime : 0;
    GstClockTime next = baseTime + (running / period + 2) * period;
    {
        std::lock_guard g(clockLock_);
        if (!running_) return;
        clockId_ = gst_clock_new_periodic_id(clock, next, period);
    }
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

namespace {
/// A 20 ms buffer of S16 samples stamped with the tick's running time.
GstBuffer* makeBuffer(GstClockTime runningTime, std::span<const int32_t> sum,
                      std::span<const int16_t> own) {
    GstBuffer* buf =
        gst_buffer_new_allocate(nullptr, AudioMixer::kFrameSamples * sizeof(int16_t), nullptr);
    GstMapInfo map;
    gst_buffer_map(buf, &map, GST_MAP_WRITE);
    mixMinus(sum, own,
             std::span<int16_t>(reinterpret_cast<int16_t*>(map.data), AudioMixer::kFrameSamples));
    gst_buffer_unmap(buf, &map);
    GST_BUFFER_PTS(buf) = runningTime;
    GST_BUFFER_DURATION(buf) = AudioMixer::kFrameMs * GST_MSECOND;
    return buf;
}
}  // namespace

uint64_t SendGate::tickOf(uint64_t pts) {
    const uint64_t frame = AudioMixer::kFrameMs * GST_MSECOND;
    return (pts + frame / 2) / frame;
}

bool SendGate::passShared(uint64_t pts) const {
    if (!open.load(std::memory_order_acquire) || !secured.load(std::memory_order_acquire))
        return false;
    return !(privateTicks.load(std::memory_order_acquire) >> (tickOf(pts) % 64) & 1);
}

bool SendGate::admitInOrder(uint64_t& pts) {
    const uint64_t tick = tickOf(pts);
    if (lastSentTick_ && tick <= *lastSentTick_) return false;
    lastSentTick_ = tick;
    pts = tick * AudioMixer::kFrameMs * GST_MSECOND;
    return true;
}

namespace {
/// A level older than this is silence: a sender in DTX sends a packet per 400 ms.
constexpr int64_t kLevelStaleUs = 200 * 1000;
}  // namespace

void AudioMixer::tick(GstClockTime runningTime) {
    std::lock_guard g(lock_);
    // Whose packets are decoded from the next ones on: the loudest by their RFC 6464 levels,
    // and everyone who writes none while it sends sound (not only Opus silence or DTX).
    std::vector<AudioAdmission::Input> heard;
    const int64_t nowUs = g_get_monotonic_time();
    for (auto& [id, in] : inputs_) {
        if (muted_.count(id)) continue;  // Never decoded, never summed.
        const int level = in->gate->level.load(std::memory_order_relaxed);
        std::optional<double> dbov;
        if (level >= 0) {
            dbov = nowUs - in->gate->levelAtUs.load(std::memory_order_relaxed) > kLevelStaleUs
                       ? -127.0
                       : -static_cast<double>(level);
        } else if (nowUs - in->gate->soundAtUs.load(std::memory_order_relaxed) > kLevelStaleUs) {
            // No level, and only silence frames or DTX (or nothing) lately: nothing to decode,
            // and no place among the ranked (which fill max_mixed places, silent or not).
            continue;
        }
        heard.push_back({id, dbov});
    }
    const auto nowMs = static_cast<int64_t>(runningTime / GST_MSECOND);
    const auto& decoded = admission_.update(heard, nowMs);
    decodedInputs_ = decoded.size();

    // Every input's FIFO is drained each tick; the decoded ones are ranked by what they sound
    // like. The speakers (at most max_mixed) are the inputs this tick may sum: one decision
    // for "heard by the others" and "gets a private mix-minus".
    std::map<std::string, std::vector<int16_t>> frames;
    std::vector<SpeakerSelector::Level> levels;
    std::vector<ActiveSpeaker::Level> everyone;  // decoded: measured; the others: RFC 6464
    for (auto& [id, in] : inputs_) {
        const bool decode = decoded.count(id) > 0;
        in->gate->mixed.store(decode, std::memory_order_relaxed);
        auto& frame = frames[id];
        frame.resize(kFrameSamples);
        {
            std::lock_guard ig(in->lock);
            in->fifo.pop(frame);
        }
        if (decode) levels.push_back({id, rmsDbfs(frame)});
        // Not decoded: its RFC 6464 level if it writes one (quiet, or it would be decoded).
        double level = -120.0;
        if (decode) {
            level = levels.back().dbfs;
        } else {
            auto h = std::find_if(heard.begin(), heard.end(),
                                  [&](const AudioAdmission::Input& i) { return i.id == id; });
            if (h != heard.end() && h->dbov) level = *h->dbov;
        }
        everyone.push_back({id, level});
    }
    speakers_ = selector_.update(levels, nowMs);
    if (active_.update(everyone, nowMs) && activeListener_) activeListener_(active_.speaker());
    std::set<std::string> listeners;
    for (const auto& [id, out] : outputs_) listeners.insert(id);
    const uint64_t tickNow = SendGate::tickOf(runningTime);
    // Only inputs whose listener gets its private mix-minus on this very tick are summed
    // (MixPlan), so no mix a listener receives holds its own voice.
    const MixPlan::Tick& plan = plan_.update(speakers_, listeners, tickNow);
    mixedInputs_ = plan.summed.size();
    std::vector<int32_t> sum(kFrameSamples, 0);
    for (const auto& id : plan.summed) accumulate(sum, frames[id]);
    if (outputs_.empty()) {
        activeEncodes_ = 0;
        return;
    }
    const uint64_t bit = uint64_t{1} << (tickNow % 64);
    std::size_t encodes = 0;
    std::size_t onShared = 0;
    // Private mixes first, so each gate says "private" for this tick before the shared
    // buffer of the same tick can reach the listener's probe.
    for (auto& [id, out] : outputs_) {
        const bool sendPrivate = !plan.onShared(id);
        if (sendPrivate)
            out.gate->privateTicks.fetch_or(bit, std::memory_order_acq_rel);
        else
            out.gate->privateTicks.fetch_and(~bit, std::memory_order_acq_rel);
        onShared += sendPrivate ? 0 : 1;
        if (!sendPrivate && !plan.warming.count(id)) continue;
        // A warming branch's mix is the shared one (its input is not summed yet), so whichever
        // of the two frames of this tick reaches the listener first is right.
        std::span<const int16_t> own;
        if (plan.summed.count(id)) own = frames[id];
        gst_app_src_push_buffer(GST_APP_SRC(out.appsrc.get()), makeBuffer(runningTime, sum, own));
        ++encodes;
    }
    if (shared_ && (onShared > 0 || sharedAlwaysOn_.load(std::memory_order_relaxed))) {
        // Takes ownership of the buffer; fails (FLUSHING) only while shutting down.
        gst_app_src_push_buffer(GST_APP_SRC(shared_.get()), makeBuffer(runningTime, sum, {}));
        ++encodes;
    }
    activeEncodes_ = encodes;
}

void AudioMixer::setMuted(const std::string& id, bool muted) {
    std::lock_guard g(lock_);
    if (muted)
        muted_.insert(id);
    else
        muted_.erase(id);
}

bool AudioMixer::isMuted(const std::string& id) const {
    std::lock_guard g(lock_);
    return muted_.count(id) > 0;
}

void AudioMixer::forget(const std::string& id) {
    std::lock_guard g(lock_);
    muted_.erase(id);
}

void AudioMixer::addInput(const std::string& id, GstElement* appsink,
                          std::shared_ptr<InputGate> gate) {
    auto input = std::make_shared<Input>();
    input->gate = std::move(gate);
    {
        std::lock_guard g(lock_);
        inputs_[id] = input;
    }
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = onNewSample;
    // The appsink owns a strong reference to the queue, so a sample arriving after
    // removeInput() still has somewhere to go; freed with the appsink.
    gst_app_sink_set_callbacks(GST_APP_SINK(appsink), &callbacks, new std::shared_ptr<Input>(input),
                               [](gpointer d) { delete static_cast<std::shared_ptr<Input>*>(d); });
}

void AudioMixer::removeInput(const std::string& id) {
    std::lock_guard g(lock_);
    inputs_.erase(id);
}

void AudioMixer::setSharedOutput(GstElement* appsrc) {
    std::lock_guard g(lock_);
    shared_ = core::ElementPtr::ref(appsrc);
}

void AudioMixer::addOutput(const std::string& id, GstElement* appsrc,
                           std::shared_ptr<SendGate> gate) {
    std::lock_guard g(lock_);
    outputs_[id] = Output{core::ElementPtr::ref(appsrc), std::move(gate)};
}

std::string AudioMixer::activeSpeaker() const {
    std::lock_guard g(lock_);
    return active_.speaker();
}

std::set<std::string> AudioMixer::speakers() const {
    std::lock_guard g(lock_);
    return speakers_;
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
