#include "media/SendBranch.h"

#include "media/FlowFirewall.h"
#include "media/MediaMetrics.h"
#include "media/RtpFormats.h"

namespace mixmeet::media {

using core::ElementPtr;
using core::makeError;
using core::PadPtr;

namespace {
constexpr auto make = &core::makeElement;
}  // namespace

core::Status SendBranch::build(GstBin* bin, const MediaConfig& config, const Fragments& fragments) {
    // Audio first: m-line 0. Two sources feed one payloader (one SSRC, one sequence): this
    // participant's private mix-minus encode (while speaking) and the room's shared full-mix
    // encode (otherwise); the SendGate picks one per 20 ms tick.
    audioSrc_ = make("appsrc", "audio_src");
    g_object_set(audioSrc_.get(), "caps", rtpCaps(AudioMixer::kCaps).get(), "is-live", TRUE,
                 "format", GST_FORMAT_TIME, "block", FALSE, "max-bytes",
                 guint64{AudioMixer::kRate * 2 / 5} /* 200 ms */, "leaky-type",
                 2 /* downstream: drop old */, nullptr);
    auto opus = fragments.makeBin(fragment::kAudioEncodeOpus, "audio_encode");
    if (!opus) return opus.error();
    if (ElementPtr enc =
            ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(opus.value().get()), "encoder")))
        g_object_set(enc.get(), "bitrate", config.audioBitrate, nullptr);
    // The shared mix enters the funnel straight from the full-mix tee's thread: a queue per
    // listener cost a thread hand-off per listener per 20 ms packet (docs/performance.md,
    // "Where a participant's time goes"). The gate probe drops it until the listener's DTLS is
    // done (SendGate::secured: webrtcbin would block the tee until then) and on the ticks its
    // private mix-minus was sent instead.
    ElementPtr funnel = make("funnel", "audio_funnel");
    opusPay_ = make("rtpopuspay", "audio_pay");
    // No automatic header extensions: the offer's audio-level extmap is for what senders write
    // to us; a level extension the payloader made from it would give caps webrtcbin refuses.
    // A known SSRC, listed in the offer (WebRtcPeer::linkSenders).
    g_object_set(opusPay_.get(), "pt", kOpusPt, "mtu", 1200, "auto-header-extension", FALSE, "ssrc",
                 static_cast<guint>(g_random_int_range(1, G_MAXINT32)), nullptr);
    gst_bin_add_many(bin, audioSrc_.get(), opus.value().get(), funnel.get(), opusPay_.get(),
                     nullptr);
    if (!gst_element_link_many(audioSrc_.get(), opus.value().get(), funnel.get(), opusPay_.get(),
                               nullptr))
        return makeError("internal", "cannot link the audio send chain");
    PadPtr sharedIn = PadPtr::adopt(gst_element_request_pad_simple(funnel.get(), "sink_%u"));
    if (!sharedIn) return makeError("internal", "cannot link the shared audio branch");
    // Both entries from the room's shared tees are firewalls too: whatever this participant's
    // queue or funnel returns (FLUSHING while its bin stops) never fails the tee for all.
    sharedAudioSink_ = firewallGhost(GST_ELEMENT(bin), sharedIn.get(), "audio_shared_sink");
    if (!sharedAudioSink_) return makeError("internal", "cannot ghost the shared audio branch");
    gst_pad_add_probe(
        sharedIn.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
            const auto& gate = *static_cast<std::shared_ptr<SendGate>*>(data);
            GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info);
            return gate->passShared(GST_BUFFER_PTS(b)) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
        },
        new std::shared_ptr<SendGate>(gate_),
        [](gpointer d) { delete static_cast<std::shared_ptr<SendGate>*>(d); });

    // One stream out of two encoders: each tick once, in order, on the tick.
    PadPtr funnelOut = PadPtr::adopt(gst_element_get_static_pad(funnel.get(), "src"));
    gst_pad_add_probe(
        funnelOut.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
            auto& gate = **static_cast<std::shared_ptr<SendGate>*>(data);
            GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info);
            uint64_t pts = GST_BUFFER_PTS(b);
            if (!GST_CLOCK_TIME_IS_VALID(pts) || !gate.admitInOrder(pts)) return GST_PAD_PROBE_DROP;
            if (pts != GST_BUFFER_PTS(b)) {
                b = gst_buffer_make_writable(b);
                GST_BUFFER_PTS(b) = pts;
                GST_PAD_PROBE_INFO_DATA(info) = b;
            }
            return GST_PAD_PROBE_OK;
        },
        new std::shared_ptr<SendGate>(gate_),
        [](gpointer d) { delete static_cast<std::shared_ptr<SendGate>*>(d); });

    ElementPtr sendQueue = make("queue", "video_send_queue");
    // Leaky: a viewer that cannot keep up loses frames, never stalls the shared tee. Bounded
    // in time as well as in frames (issue 13: every queue bounded in time): at a composite
    // slowed to 13 fps by a saturated machine, 8 frames would be 0.6 s of added latency.
    constexpr guint64 kSendQueueMaxNs = 250 * GST_MSECOND;
    g_object_set(sendQueue.get(), "max-size-buffers", 8, "max-size-bytes", 0, "max-size-time",
                 kSendQueueMaxNs, "leaky", 2 /* downstream */, nullptr);
    valve_ = make("valve", "video_valve");
    g_object_set(valve_.get(), "drop", TRUE, nullptr);
    videoPay_ = make("rtpvp8pay", "video_pay");
    // A known SSRC, to find this viewer's receiver reports in get-stats.
    videoSsrc_ = g_random_int_range(1, G_MAXINT32);
    g_object_set(videoPay_.get(), "pt", kVp8Pt, "mtu", 1200, "picture-id-mode", 2 /* 15-bit */,
                 "ssrc", videoSsrc_, nullptr);
    gst_bin_add_many(bin, sendQueue.get(), valve_.get(), videoPay_.get(), nullptr);
    if (!gst_element_link_many(sendQueue.get(), valve_.get(), videoPay_.get(), nullptr))
        return makeError("internal", "cannot link the video send chain");
    // Firewalls at both payloaders: what this participant's webrtcbin returns (FLUSHING while
    // it is torn down or restarts, an error) stops neither its own send queue nor the shared
    // tees feeding every other participant (media/FlowFirewall.h).
    for (GstElement* pay : {videoPay_.get(), opusPay_.get()}) {
        PadPtr paySink = PadPtr::adopt(gst_element_get_static_pad(pay, "sink"));
        if (!firewallSinkPad(paySink.get()))
            return makeError("internal", "cannot guard the payloader's sink pad");
    }
    // Join to first frame (media/MediaMetrics.h): the first keyframe that reaches the
    // payloader once this participant's DTLS is done, timed from now (its media being built).
    struct FirstFrame {
        std::shared_ptr<SendGate> gate;
        int64_t builtUs;
    };
    PadPtr videoPaySink = PadPtr::adopt(gst_element_get_static_pad(videoPay_.get(), "sink"));
    gst_pad_add_probe(
        videoPaySink.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
            const auto& first = *static_cast<FirstFrame*>(data);
            if (!first.gate->secured.load(std::memory_order_acquire) ||
                GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info), GST_BUFFER_FLAG_DELTA_UNIT))
                return GST_PAD_PROBE_OK;
            mediaMetrics().joinToFirstFrame.observeUs(g_get_monotonic_time() - first.builtUs);
            return GST_PAD_PROBE_REMOVE;
        },
        new FirstFrame{gate_, g_get_monotonic_time()},
        [](gpointer d) { delete static_cast<FirstFrame*>(d); });
    PadPtr queueSink = PadPtr::adopt(gst_element_get_static_pad(sendQueue.get(), "sink"));
    videoSink_ = firewallGhost(GST_ELEMENT(bin), queueSink.get(), "video_sink");
    if (!videoSink_) return makeError("internal", "cannot ghost the video send branch");
    return core::Ok{};
}

void SendBranch::open() {
    g_object_set(valve_.get(), "drop", FALSE, nullptr);
    gate_->open.store(true, std::memory_order_release);
}

}  // namespace mixmeet::media
