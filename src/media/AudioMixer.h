// The room's audio mixer: our own code instead of audiomixer (whose pad release races in
// GStreamer 1.22.0, fixed upstream in 1.22.7; see docs/architecture.md). Every 20 ms tick of
// the pipeline clock it pulls 960 samples (48 kHz mono S16) from each input, sums them once
// and pushes each output its mix-minus (sum minus its own input) into an appsrc.
//
// Threads: addInput/removeInput/addOutput/removeOutput on the main thread; appsink callbacks
// on streaming threads; the tick on the mixer's own thread. One mutex guards the maps.
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/GstPtr.h"
#include "media/MixMinus.h"

namespace mixmeet::media {

class AudioMixer {
public:
    static constexpr int kRate = 48000;           ///< Hz.
    static constexpr int kFrameMs = 20;           ///< Tick, ms.
    static constexpr int kFrameSamples = kRate * kFrameMs / 1000;
    /// Caps every input appsink must produce and every output appsrc carries.
    static constexpr const char* kCaps =
        "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved";

    explicit AudioMixer(std::string roomName);
    ~AudioMixer();
    AudioMixer(const AudioMixer&) = delete;
    AudioMixer& operator=(const AudioMixer&) = delete;

    /// Starts ticking on the clock of `pipeline` (must be PLAYING). Idempotent.
    void start(GstElement* pipeline);
    /// Stops the tick thread and joins it. Idempotent.
    void stop();

    /// Feeds the decoded audio of participant `id` from `appsink` (caps kCaps).
    void addInput(const std::string& id, GstElement* appsink);
    void removeInput(const std::string& id);
    /// Sends the mix-minus for participant `id` (everyone but id) into `appsrc`.
    void addOutput(const std::string& id, GstElement* appsrc);
    void removeOutput(const std::string& id);

    std::size_t inputCount() const;
    std::size_t outputCount() const;

private:
    struct Input {
        std::mutex lock;
        AudioFifo fifo{kFrameSamples * 2, kFrameSamples * 5};
    };
    struct Output {
        core::ElementPtr appsrc;
    };

    static GstFlowReturn onNewSample(GstAppSink* sink, gpointer data) noexcept;
    void run(GstClock* clock, GstClockTime baseTime);
    void tick(GstClockTime runningTime);

    std::string room_;
    mutable std::mutex lock_;
    std::map<std::string, std::shared_ptr<Input>> inputs_;
    std::map<std::string, Output> outputs_;
    std::thread thread_;
    std::atomic<bool> running_{false};
    std::mutex clockLock_;
    GstClockID clockId_ = nullptr;  // Allocated by this; guarded by clockLock_.
};

}  // namespace mixmeet::media
