// The room's audio mixer: our own code instead of audiomixer (whose pad release races in
// GStreamer 1.22.0, fixed upstream in 1.22.7; see docs/architecture.md). Every 20 ms tick of
// the pipeline clock it pulls 960 samples (48 kHz mono S16) from each input and sums the
// speakers' once: the inputs that are heard. AudioAdmission picks whose packets are decoded
// (the loudest by their RFC 6464 levels, and everyone who writes none); SpeakerSelector picks,
// among those, the at most `[audio] max_mixed` speakers; MixPlan sums a speaker only on ticks
// its listener gets its private mix-minus (sum minus own input, its own appsrc and encode).
// Everyone else shares one encode of the sum (one appsrc): it holds none of their voices. So
// Opus encodes = speakers + 1. A per-listener SendGate tells the listener's send branch, tick
// by tick, which of the two streams to pass, so exactly one reaches its payloader (same SSRC,
// continuous timestamps).
//
// Threads: addInput/removeInput/addOutput/removeOutput on the main thread; appsink callbacks
// on streaming threads; the tick on the mixer's own thread. One mutex guards the maps.
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "core/GstPtr.h"
#include "media/ActiveSpeaker.h"
#include "media/AudioAdmission.h"
#include "media/MixMinus.h"
#include "media/MixPlan.h"
#include "media/SpeakerSelector.h"

namespace mixmeet::media {

/// Per-listener switch between the shared full-mix stream and the private mix-minus stream,
/// written by the mixer thread, read by a pad probe on the listener's shared branch.
struct SendGate {
    /// Closed until the listener's ICE connects: nothing reaches its webrtcbin before.
    std::atomic<bool> open{false};
    /// Set once the listener's DTLS handshake is done (SRTP keys set). The shared mix is
    /// pushed into the listener's webrtcbin from the full-mix tee's own thread (no queue per
    /// listener), and webrtcbin blocks RTP until DTLS connects: a buffer let through before
    /// would stall the tee, and everyone's shared audio with it.
    std::atomic<bool> secured{false};
    /// Bit (n % 64) set: tick n was sent privately, so the shared buffer of tick n is dropped.
    std::atomic<uint64_t> privateTicks{0};

    /// Tick number of a buffer timestamp (running time, ns), rounding to the nearest tick.
    static uint64_t tickOf(uint64_t pts);
    /// Should the shared-mix buffer with this timestamp pass?
    bool passShared(uint64_t pts) const;
    /// The last step before the listener's payloader, for the Opus packets of both encodes:
    /// true for a tick later than any sent so far, with `pts` set to the tick's start (the
    /// two encoders' timestamps differ by up to their lookahead, 6.5 ms, after a pause), so
    /// the RTP timestamps advance by exactly one frame per tick; false for a tick already
    /// sent or passed, e.g. the frame a private encoder still held from before its speaker
    /// fell silent. Called on one streaming thread at a time (the funnel's).
    bool admitInOrder(uint64_t& pts);

private:
    std::optional<uint64_t> lastSentTick_;
};

/// One sender's RFC 6464 audio level and whether the mixer wants its audio: written by pad
/// probes on the sender's decode chain (streaming thread) and by the mixer tick.
struct InputGate {
    /// The level of the latest packet that carried one: 0..127 meaning 0..-127 dBov; -1 while
    /// none has (the sender does not write levels).
    std::atomic<int> level{-1};
    /// g_get_monotonic_time() of that packet, us.
    std::atomic<int64_t> levelAtUs{0};
    /// For a sender that writes no level: g_get_monotonic_time() of its latest packet that was
    /// not Opus silence (isOpusSilence), us; 0 while none has been. Such a sender is decoded
    /// while it sends sound and not while it sends only silence frames or DTX.
    std::atomic<int64_t> soundAtUs{0};
    /// Decode this sender's audio (AudioAdmission); packets are dropped before the decoder
    /// otherwise. Whether it is then mixed is the mixer's choice among the decoded.
    std::atomic<bool> mixed{true};
};

class AudioMixer {
public:
    static constexpr int kRate = 48000;  ///< Hz.
    static constexpr int kFrameMs = 20;  ///< Tick, ms.
    static constexpr int kFrameSamples = kRate * kFrameMs / 1000;
    /// Caps every input appsink must produce and every output appsrc carries.
    static constexpr const char* kCaps =
        "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved";

    /// `maxMixed`: senders heard at most, and senders with an RFC 6464 level decoded at most
    /// (`[audio] max_mixed`).
    AudioMixer(std::string roomName, std::size_t maxMixed);
    ~AudioMixer();
    AudioMixer(const AudioMixer&) = delete;
    AudioMixer& operator=(const AudioMixer&) = delete;

    /// Starts ticking on the clock of `pipeline` (must be PLAYING). Idempotent.
    void start(GstElement* pipeline);
    /// Stops the tick thread and joins it. Idempotent.
    void stop();

    /// Feeds the decoded audio of participant `id` from `appsink` (caps kCaps); `gate` says,
    /// tick by tick, whether its audio is among the mixed (AudioAdmission).
    void addInput(const std::string& id, GstElement* appsink, std::shared_ptr<InputGate> gate);
    void removeInput(const std::string& id);
    /// Whether participant `id`'s audio is kept out of the mix (a host mute, or its own
    /// microphone switched off), whatever it sends: from the next tick its packets are dropped
    /// before decoding and it is never summed. Kept across removeInput/addInput (a participant
    /// who hangs up and rejoins the call stays muted); forgotten by forget().
    void setMuted(const std::string& id, bool muted);
    bool isMuted(const std::string& id) const;
    /// Forgets everything kept about `id` beyond its input and output (it left the meeting).
    void forget(const std::string& id);
    /// The appsrc of the shared full-mix encode.
    void setSharedOutput(GstElement* appsrc);
    /// Feed the shared full-mix encode on every tick, even when no listener is on it (a
    /// recording takes the full mix from it). Any thread.
    void setSharedAlwaysOn(bool on) { sharedAlwaysOn_.store(on); }
    /// Listener `id`: its private mix-minus (the sum minus its own input) goes into `appsrc`
    /// while its input is mixed; `gate` switches its send branch between that and the shared
    /// stream.
    void addOutput(const std::string& id, GstElement* appsrc, std::shared_ptr<SendGate> gate);
    void removeOutput(const std::string& id);

    std::size_t inputCount() const;
    std::size_t outputCount() const;
    /// Opus encodes fed on the last tick: the shared one (if anyone is on it) plus one per
    /// mixed listener.
    std::size_t activeEncodes() const { return activeEncodes_.load(); }
    /// The current speakers (participant ids): the inputs heard, at most maxMixed.
    std::set<std::string> speakers() const;
    /// The room's active speaker (ActiveSpeaker: one person, held against flapping); empty
    /// before anyone spoke.
    std::string activeSpeaker() const;
    /// Called on the mixer thread (with the mixer's lock held: post, do not call back in)
    /// each time the active speaker changes, with the new one. Set before start().
    void setActiveSpeakerListener(std::function<void(const std::string&)> listener) {
        activeListener_ = std::move(listener);
    }
    /// Senders whose audio was summed on the last tick.
    std::size_t mixedInputs() const { return mixedInputs_.load(); }
    /// Senders whose audio was decoded on the last tick.
    std::size_t decodedInputs() const { return decodedInputs_.load(); }

private:
    struct Input {
        std::mutex lock;
        AudioFifo fifo{kFrameSamples * 2, kFrameSamples * 5};
        std::shared_ptr<InputGate> gate;
    };
    struct Output {
        core::ElementPtr appsrc;
        std::shared_ptr<SendGate> gate;
    };
    /// Ticks a new speaker's private encoder runs before the listener is switched to it: an
    /// Opus encoder that resumes after a pause (a gap in its input timestamps) drains and
    /// resets, and the packet of its first frame back is lost; the shared stream covers it.
    static constexpr uint64_t kPrivateWarmupTicks = 1;

    static GstFlowReturn onNewSample(GstAppSink* sink, gpointer data) noexcept;
    void run(GstClock* clock, GstClockTime baseTime);
    void tick(GstClockTime runningTime);

    std::string room_;
    mutable std::mutex lock_;
    std::map<std::string, std::shared_ptr<Input>> inputs_;
    std::map<std::string, Output> outputs_;
    core::ElementPtr shared_;
    SpeakerSelector selector_;
    ActiveSpeaker active_;  ///< Guarded by lock_.
    std::function<void(const std::string&)> activeListener_;
    AudioAdmission admission_;
    MixPlan plan_;
    std::atomic<std::size_t> mixedInputs_{0};
    std::atomic<std::size_t> decodedInputs_{0};
    std::set<std::string> speakers_;  ///< Guarded by lock_.
    std::set<std::string> muted_;     ///< Guarded by lock_.
    std::atomic<std::size_t> activeEncodes_{0};
    std::atomic<bool> sharedAlwaysOn_{false};
    std::thread thread_;
    std::atomic<bool> running_{false};
    std::mutex clockLock_;
    GstClockID clockId_ = nullptr;  // Allocated by this; guarded by clockLock_.
};

}  // namespace mixmeet::media
