#include "media/Endpoint.h"
#include "media/KeyframeThrottle.h"
#include "media/Teardown.h"

#include <gst/app/gstappsrc.h>
#include <gst/rtp/gstrtcpbuffer.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>

#include "core/Log.h"
#include "core/MainContext.h"
#include "media/AudioMixer.h"
#include "media/Remb.h"
#include "media/TileLabel.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

using core::ElementPtr;
using core::makeError;
using core::PadPtr;

namespace {
// Payload types the server offers (docs/protocol.md). Dynamic range, RFC 3551 section 6.
constexpr int kOpusPt = 111;
constexpr int kVp8Pt = 96;

constexpr const char* kAudioCaps =
    "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111,"
    "encoding-params=(string)2";
// What we offer on the audio m-line. fmtp (RFC 7587 section 7): usedtx=1 asks each sender for
// discontinuous transmission, so a participant who is silent or muted sends one packet per
// 400 ms instead of 50 per second and costs the server almost nothing to receive and decode;
// useinbandfec=1 asks for in-band FEC, which opusdec uses on a lost packet.
// extmap 1: RFC 6464 client-to-mixer audio level, which browsers then write into every audio
// packet; the mixer decodes only the loudest senders (AudioAdmission).
constexpr int kAudioLevelExtId = 1;
constexpr const char* kAudioPrefCaps =
    "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111,"
    "encoding-params=(string)2,useinbandfec=(string)1,usedtx=(string)1,"
    "extmap-1=(string)urn:ietf:params:rtp-hdrext:ssrc-audio-level";
constexpr const char* kVideoSendCaps =
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96";
// What we offer on the video m-line: VP8 only, both ways (docs/protocol.md, "The offer, line
// by line"; an H.264 entry here is not offered: webrtcbin 1.22 intersects the preferences with
// the payloader's VP8 caps, and a sendrecv H.264 answer would need an H.264 composite).
// rtcp-fb: PLI/FIR so viewers can ask the shared encoder for keyframes and we can ask
// senders; NACK for retransmission (video only: on audio Chrome rejects the RTX group).
// goog-remb is added to the offer text (addRembFeedback): webrtcbin 1.22 does not carry an
// rtcp-fb-goog-remb caps field into the offer.
constexpr const char* kVideoPrefCaps =
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96,"
    "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true,rtcp-fb-nack=(boolean)true";
static_assert(kOpusPt == 111 && kVp8Pt == 96, "see the caps strings");

ElementPtr make(const char* factory, const char* name) {
    return ElementPtr::refSink(gst_element_factory_make(factory, name));
}

core::CapsPtr caps(const char* text) {
    return core::CapsPtr(gst_caps_from_string(text));
}

/// Adds `a=rtcp-fb:96 goog-remb` to the offer's video m-line: senders then obey the REMB
/// (draft-alvestrand-rmcat-remb-03) with which the server caps each to its tile (media/Remb.h).
void addRembFeedback(GstSDPMessage* sdp) {
    for (guint i = 0; i < gst_sdp_message_medias_len(sdp); ++i) {
        GstSDPMedia* media = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(sdp, i));
        if (g_strcmp0(gst_sdp_media_get_media(media), "video") != 0) continue;
        gst_sdp_media_add_attribute(media, "rtcp-fb",
                                    (std::to_string(kVp8Pt) + " goog-remb").c_str());
    }
}

IceState toIceState(GstWebRTCICEConnectionState s) {
    switch (s) {
        case GST_WEBRTC_ICE_CONNECTION_STATE_CHECKING:
            return IceState::Checking;
        case GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED:
            return IceState::Connected;
        case GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED:
            return IceState::Completed;
        case GST_WEBRTC_ICE_CONNECTION_STATE_FAILED:
            return IceState::Failed;
        case GST_WEBRTC_ICE_CONNECTION_STATE_DISCONNECTED:
            return IceState::Disconnected;
        case GST_WEBRTC_ICE_CONNECTION_STATE_CLOSED:
            return IceState::Closed;
        default:
            return IceState::New;
    }
}
}  // namespace

/// What streaming-thread callbacks may touch. The raw element pointers stay valid while any
/// callback can run: the Endpoint holds references until its bin is in NULL state.
struct Endpoint::Shared {
    std::weak_ptr<Endpoint*> owner;
    std::string id;
    GstElement* bin = nullptr;
    GstElement* webrtc = nullptr;
    const Fragments* fragments = nullptr;
    PadPtr tileQueueSink;
    PadPtr audioInSink;
    std::shared_ptr<InputGate> inputGate = std::make_shared<InputGate>();
    /// Shown in the composite: its video is decoded. Off stage, RTP is dropped before the
    /// depayloader.
    std::shared_ptr<std::atomic<bool>> videoShown = std::make_shared<std::atomic<bool>>(true);
    PadPtr videoDecoderIn;  ///< The video decoder bin's sink pad (under `lock`).
    /// Load shedding ([video] max_frame_delay_ms): late frames are dropped before the decoder
    /// and before the tile's scaler, counted in the room's `lateDropped`. Set before build().
    std::chrono::milliseconds maxFrameDelay{0};
    LateCounter lateDropped;
    std::mutex lock;
    bool videoLinked = false;
    bool audioLinked = false;
    unsigned decoderSerial = 0;
    std::atomic<gint64> lastPacketUs{0};  ///< g_get_monotonic_time() of the last packet in.
    guint videoSsrc = 0;  ///< SSRC of our video to this viewer (set on the payloader).
    std::atomic<gint32> cumulativeLost{0};      ///< Last report block: cumulative packets lost.
    std::atomic<guint32> highestSeq{0};         ///< Last report block: extended highest seq.
    std::atomic<double> feedbackRttMs{0};       ///< Last report block: RTT, ms (0: unknown).
    std::atomic<unsigned> feedbackSeq{0};       ///< Report blocks received.
    std::atomic<unsigned> nackedPackets{0};     ///< Video packets the viewer NACKed, cumulative.
    std::atomic<unsigned> rtcpCompounds{0};     ///< RTCP compound packets from the viewer.
    std::atomic<unsigned> keyframeRequests{0};  ///< PLI and FIR about our video, cumulative.
    std::atomic<unsigned> otherBlocks{0};       ///< Report blocks about other SSRCs.
    /// The most this participant should send (its send-hint's maxBitrate plus audio), bps,
    /// told it in a REMB with every RTCP compound we send; 0: none yet.
    std::atomic<uint64_t> rembBps{0};
    std::atomic<unsigned> rembsSent{0};  ///< REMB packets added to our RTCP.
    std::mutex senderSsrcsLock;
    std::vector<uint32_t> senderSsrcs;  ///< SSRCs of the participant's SRs (under the lock).
    std::atomic<guint32> otherSsrc{0};  ///< The last of those SSRCs.
    /// Held while queuing a webrtcbin operation that creates transports (create-offer,
    /// set-local-description) and while the destructor marks `closing` and queues its
    /// get-stats: every such operation is queued before that get-stats, or never.
    std::mutex operationsLock;
    bool closing = false;  ///< Under operationsLock.
};

/// C trampolines; all noexcept (no exception crosses a C frame).
struct Callbacks {
    using SharedRef = std::shared_ptr<Endpoint::Shared>;

    static gpointer wrap(const SharedRef& s) { return new SharedRef(s); }
    static void unwrap(gpointer data, GClosure*) noexcept { delete static_cast<SharedRef*>(data); }
    static void unwrapPlain(gpointer data) noexcept { delete static_cast<SharedRef*>(data); }
    static Endpoint::Shared& get(gpointer data) { return **static_cast<SharedRef*>(data); }

    static void onNegotiationNeeded(GstElement* webrtc, gpointer data) noexcept {
        GST_DEBUG("[%s] negotiation needed", get(data).id.c_str());
        auto& s = get(data);
        std::lock_guard g(s.operationsLock);
        if (s.closing) return;
        GstPromise* promise = gst_promise_new_with_change_func(
            onOfferCreated, wrap(*static_cast<SharedRef*>(data)), unwrapPlain);
        g_signal_emit_by_name(webrtc, "create-offer", nullptr, promise);
    }

    static void onOfferCreated(GstPromise* promise, gpointer data) noexcept {
        core::PromisePtr owned(promise);  // The reference handed to create-offer's caller.
        auto& s = get(data);
        if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) return;
        const GstStructure* reply = gst_promise_get_reply(promise);
        GstWebRTCSessionDescription* offer = nullptr;
        if (!reply || !gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                                         &offer, nullptr)) {
            GST_ERROR("[%s] create-offer failed", s.id.c_str());
            core::postToMain([owner = s.owner] {
                if (auto* e = core::resolve(owner))
                    e->listener_.onEndpointFailed("internal", "could not create the SDP offer");
            });
            return;
        }
        addRembFeedback(offer->sdp);
        {
            std::lock_guard g(s.operationsLock);
            if (s.closing) {
                gst_webrtc_session_description_free(offer);
                return;
            }
            g_signal_emit_by_name(s.webrtc, "set-local-description", offer, nullptr);
        }
        core::CharsPtr text(gst_sdp_message_as_text(offer->sdp));
        gst_webrtc_session_description_free(offer);
        core::postToMain([owner = s.owner, sdp = std::string(text.get())]() mutable {
            if (auto* e = core::resolve(owner)) e->listener_.onEndpointOffer(std::move(sdp));
        });
    }

    static void onAnswerSet(GstPromise* promise, gpointer data) noexcept {
        core::PromisePtr owned(promise);
        auto& s = get(data);
        std::string error;
        if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) return;
        const GstStructure* reply = gst_promise_get_reply(promise);
        if (reply && gst_structure_has_field(reply, "error")) {
            g_autoptr(GError) err = nullptr;
            gst_structure_get(reply, "error", G_TYPE_ERROR, &err, nullptr);
            error = err ? err->message : "rejected";
        }
        if (error.empty()) return;
        GST_WARNING("[%s] answer rejected: %s", s.id.c_str(), error.c_str());
        core::postToMain([owner = s.owner, error] {
            if (auto* e = core::resolve(owner))
                e->listener_.onEndpointFailed("bad-sdp", "the SDP answer was rejected: " + error);
        });
    }

    static void onIceCandidate(GstElement*, guint mline, gchar* candidate, gpointer data) noexcept {
        auto& s = get(data);
        core::postToMain([owner = s.owner, mline, c = std::string(candidate)]() mutable {
            if (auto* e = core::resolve(owner))
                e->listener_.onEndpointCandidate(static_cast<int>(mline), std::move(c));
        });
    }

    static void onIceStateNotify(GstElement* webrtc, GParamSpec*, gpointer data) noexcept {
        auto& s = get(data);
        GstWebRTCICEConnectionState state;
        g_object_get(webrtc, "ice-connection-state", &state, nullptr);
        GST_INFO("[%s] ICE connection state %d", s.id.c_str(), state);
        core::postToMain([owner = s.owner, st = toIceState(state)] {
            if (auto* e = core::resolve(owner)) e->listener_.onEndpointIceState(st);
        });
    }

    /// Any thread: an element was added somewhere in the participant's bin. Watches the ICE
    /// transport's nicesrc so the room can tell a peer that went silent (network gone, tab
    /// frozen) long before ICE itself gives up.
    static void onDeepElementAdded(GstBin*, GstBin*, GstElement* element, gpointer data) noexcept {
        GstElementFactory* f = gst_element_get_factory(element);
        if (f && std::strcmp(GST_OBJECT_NAME(f), "clocksync") == 0) {
            // webrtcbin's transport send bin holds each outgoing packet until its running time
            // plus the pipeline latency, which in a room includes the jitter buffers and the
            // compositor: ~100-200 ms added to every stream for nothing (the composite is
            // already late by then). Send as soon as encoded.
            g_object_set(element, "sync", FALSE, nullptr);
            return;
        }
        if (f && std::strcmp(GST_OBJECT_NAME(f), "dtlssrtpenc") == 0) {
            g_signal_connect_data(element, "on-key-set", G_CALLBACK(onKeySet),
                                  wrap(*static_cast<SharedRef*>(data)), unwrap, GConnectFlags{});
            return;
        }
        if (!f || std::strcmp(GST_OBJECT_NAME(f), "nicesrc") != 0) return;
        PadPtr src = PadPtr::adopt(gst_element_get_static_pad(element, "src"));
        if (!src) return;
        gst_pad_add_probe(src.get(),
                          static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                       GST_PAD_PROBE_TYPE_BUFFER_LIST),
                          onPacket, wrap(*static_cast<SharedRef*>(data)), unwrapPlain);
    }

    /// DTLS thread: the handshake finished and the SRTP encoder has its keys.
    static void onKeySet(GstElement*, gpointer data) noexcept {
        auto& s = get(data);
        GST_INFO("[%s] DTLS connected, SRTP keys set", s.id.c_str());
        core::postToMain([owner = s.owner] {
            if (auto* e = core::resolve(owner)) e->listener_.onEndpointSecured();
        });
    }

    static GstPadProbeReturn onPacket(GstPad*, GstPadProbeInfo*, gpointer data) noexcept {
        get(data).lastPacketUs.store(g_get_monotonic_time(), std::memory_order_relaxed);
        return GST_PAD_PROBE_OK;
    }

    /// RTCP thread: an RTCP compound packet arrived from the viewer. Keeps its latest report
    /// block about our video SSRC: fraction lost, and the round-trip time from LSR/DLSR
    /// (RFC 3550 section 6.4.1: RTT = A - LSR - DLSR, in 1/65536 s of the NTP clock). We read
    /// the reports ourselves because webrtcbin 1.22's stats keep one report block per remote
    /// source, which with bundle is often the audio one.
    /// A PLI (RFC 4585 section 6.3.1) or FIR (RFC 5104 section 4.3.1) about our video adds
    /// one to keyframeRequests. A FIR names its SSRCs in its FCI entries (SSRC, seq nr,
    /// reserved: 8 bytes each); its media SSRC field is unused.
    static void countKeyframeRequest(Endpoint::Shared& s, GstRTCPPacket& packet) {
        const GstRTCPFBType fb = gst_rtcp_packet_fb_get_type(&packet);
        bool ours = false;
        if (fb == GST_RTCP_PSFB_TYPE_PLI) {
            ours = gst_rtcp_packet_fb_get_media_ssrc(&packet) == s.videoSsrc;
        } else if (fb == GST_RTCP_PSFB_TYPE_FIR) {
            guint8* fci = gst_rtcp_packet_fb_get_fci(&packet);
            const guint words = gst_rtcp_packet_fb_get_fci_length(&packet);
            for (guint w = 0; fci && w + 1 < words && !ours; w += 2)
                ours = GST_READ_UINT32_BE(fci + 4 * w) == s.videoSsrc;
        }
        if (ours) s.keyframeRequests.fetch_add(1, std::memory_order_relaxed);
    }

    /// The participant's media SSRCs, as its sender reports name them (for the REMB's list).
    static void rememberSender(Endpoint::Shared& s, guint32 ssrc) {
        constexpr std::size_t kMaxSsrcs = 4;  // audio, video, their RTX: more is a bad client
        std::lock_guard g(s.senderSsrcsLock);
        if (std::find(s.senderSsrcs.begin(), s.senderSsrcs.end(), ssrc) != s.senderSsrcs.end())
            return;
        if (s.senderSsrcs.size() >= kMaxSsrcs) s.senderSsrcs.erase(s.senderSsrcs.begin());
        s.senderSsrcs.push_back(ssrc);
    }

    /// RTCP thread: our RTCP compound to the participant is about to go out. Appends a REMB
    /// (media/Remb.h) with the most it should send, so a browser caps its encoder to its tile
    /// even when the page ignores send-hint. TRUE: send the compound even when reduced-size
    /// rules would allow suppressing it.
    static gboolean onSendingRtcp(GObject*, GstBuffer* buffer, gboolean, gpointer data) noexcept {
        auto& s = get(data);
        const uint64_t bps = s.rembBps.load(std::memory_order_relaxed);
        if (bps == 0) return FALSE;
        std::vector<uint32_t> ssrcs;
        {
            std::lock_guard g(s.senderSsrcsLock);
            ssrcs = s.senderSsrcs;
        }
        GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
        if (!gst_rtcp_buffer_map(buffer, GST_MAP_READWRITE, &rtcp)) return FALSE;
        const bool added = appendRemb(rtcp, s.videoSsrc, bps, ssrcs);
        gst_rtcp_buffer_unmap(&rtcp);
        if (added) s.rembsSent.fetch_add(1, std::memory_order_relaxed);
        return added ? TRUE : FALSE;
    }

    static void onReceivingRtcp(GObject*, GstBuffer* buffer, gpointer data) noexcept {
        auto& s = get(data);
        GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
        if (!gst_rtcp_buffer_map(buffer, GST_MAP_READ, &rtcp)) return;
        s.rtcpCompounds.fetch_add(1, std::memory_order_relaxed);
        GstRTCPPacket packet;
        for (gboolean more = gst_rtcp_buffer_get_first_packet(&rtcp, &packet); more;
             more = gst_rtcp_packet_move_to_next(&packet)) {
            GstRTCPType type = gst_rtcp_packet_get_type(&packet);
            if (type == GST_RTCP_TYPE_RTPFB &&
                gst_rtcp_packet_fb_get_type(&packet) == GST_RTCP_RTPFB_TYPE_NACK &&
                gst_rtcp_packet_fb_get_media_ssrc(&packet) == s.videoSsrc) {
                // Generic NACKs (RFC 4585 section 6.2.1): each FCI names a lost packet (PID)
                // and up to 16 more (BLP bitmask). Viewers send these at once, while their
                // receiver reports may be held back by the early-feedback rules.
                guint8* fci = gst_rtcp_packet_fb_get_fci(&packet);
                guint words = gst_rtcp_packet_fb_get_fci_length(&packet);
                unsigned count = 0;
                for (guint w = 0; fci && w < words; ++w) {
                    guint16 blp = GST_READ_UINT16_BE(fci + 4 * w + 2);
                    count += 1 + static_cast<unsigned>(__builtin_popcount(blp));
                }
                s.nackedPackets.fetch_add(count);
                continue;
            }
            if (type == GST_RTCP_TYPE_PSFB) {
                countKeyframeRequest(s, packet);
                continue;
            }
            if (type == GST_RTCP_TYPE_SR) {
                guint32 ssrc = 0;
                gst_rtcp_packet_sr_get_sender_info(&packet, &ssrc, nullptr, nullptr, nullptr,
                                                   nullptr);
                rememberSender(s, ssrc);
            }
            if (type != GST_RTCP_TYPE_RR && type != GST_RTCP_TYPE_SR) continue;
            for (guint i = 0; i < gst_rtcp_packet_get_rb_count(&packet); ++i) {
                guint32 ssrc = 0, exthighest = 0, jitter = 0, lsr = 0, dlsr = 0;
                guint8 fraction = 0;
                gint32 lost = 0;
                gst_rtcp_packet_get_rb(&packet, i, &ssrc, &fraction, &lost, &exthighest, &jitter,
                                       &lsr, &dlsr);
                if (ssrc != s.videoSsrc) {
                    s.otherBlocks.fetch_add(1, std::memory_order_relaxed);
                    s.otherSsrc.store(ssrc, std::memory_order_relaxed);
                    continue;
                }
                double rttMs = 0;
                if (lsr != 0) {
                    // Middle 32 bits of the current NTP time (seconds since 1900).
                    gint64 us = g_get_real_time();
                    guint64 ntpSec = static_cast<guint64>(us / G_USEC_PER_SEC) + 2208988800ULL;
                    guint64 frac =
                        static_cast<guint64>(us % G_USEC_PER_SEC) * 65536 / G_USEC_PER_SEC;
                    guint32 now = static_cast<guint32>(((ntpSec & 0xFFFF) << 16) | frac);
                    guint32 rtt = now - lsr - dlsr;
                    if (rtt < 65536 * 10) rttMs = rtt * 1000.0 / 65536.0;  // Ignore nonsense.
                }
                // Cumulative counters: the main thread computes loss over its own 1 s windows
                // (RFC 3550 appendix A.3), steadier than each report's fraction, which early
                // feedback packets (NACK, PLI) make noisy.
                s.cumulativeLost.store(lost);
                s.highestSeq.store(exthighest);
                s.feedbackRttMs.store(rttMs);
                s.feedbackSeq.fetch_add(1);
            }
        }
        gst_rtcp_buffer_unmap(&rtcp);
    }

    /// Any thread: answers the compositor's LATENCY query for this tile with a minimum of 0
    /// instead of the jitter buffer's latency. rtpjitterbuffer pushes in-order packets at once
    /// and stamps them with their arrival time, so frames reach the compositor a few ms after
    /// their timestamp; counting the jitter buffer's (worst-case) hold would make every
    /// composite wait for it. The compositor then waits only its own `latency`
    /// (mixer_latency_ms) past each output frame's time; a frame that comes later (it waited
    /// for a retransmission, say) shows in the next composite instead of delaying everyone.
    static GstPadProbeReturn hideJitterBufferLatency(GstPad*, GstPadProbeInfo* info,
                                                     gpointer) noexcept {
        GstQuery* query = GST_PAD_PROBE_INFO_QUERY(info);
        if (!(info->type & GST_PAD_PROBE_TYPE_PULL) || !query ||
            GST_QUERY_TYPE(query) != GST_QUERY_LATENCY)
            return GST_PAD_PROBE_OK;
        gboolean live = FALSE;
        GstClockTime min = 0, max = GST_CLOCK_TIME_NONE;
        gst_query_parse_latency(query, &live, &min, &max);
        gst_query_set_latency(query, live, 0, max);
        return GST_PAD_PROBE_OK;
    }

    /// Streaming thread: a stream from the participant appeared. Decode it into the tile or
    /// the mixer input; anything unexpected goes to a fakesink (an unlinked src pad would
    /// error the transport).
    static void onPadAdded(GstElement*, GstPad* pad, gpointer data) noexcept {
        if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
        auto& s = get(data);
        core::CapsPtr c(gst_pad_get_current_caps(pad));
        if (!c) c.reset(gst_pad_query_caps(pad, nullptr));
        const GstStructure* st =
            c && !gst_caps_is_empty(c.get()) ? gst_caps_get_structure(c.get(), 0) : nullptr;
        const char* media = st ? gst_structure_get_string(st, "media") : nullptr;
        const char* encoding = st ? gst_structure_get_string(st, "encoding-name") : nullptr;
        std::string m = media ? media : "", enc = encoding ? encoding : "";
        GST_INFO("[%s] incoming %s stream %s", s.id.c_str(), m.c_str(), enc.c_str());

        std::lock_guard g(s.lock);
        const char* fragmentName = nullptr;
        GstPad* target = nullptr;
        bool video = false;
        if (m == "video" && !s.videoLinked && (enc == "VP8" || enc == "H264")) {
            fragmentName = enc == "VP8" ? fragment::kVideoDecodeVp8 : fragment::kVideoDecodeH264;
            target = s.tileQueueSink.get();
            video = true;
        } else if (m == "audio" && !s.audioLinked && enc == "OPUS") {
            fragmentName = fragment::kAudioDecodeOpus;
            target = s.audioInSink.get();
        }
        if (fragmentName && linkDecoder(s, pad, fragmentName, target, video)) {
            (video ? s.videoLinked : s.audioLinked) = true;
            return;
        }
        GST_WARNING("[%s] discarding incoming %s/%s stream", s.id.c_str(), m.c_str(), enc.c_str());
        ElementPtr sink = make("fakesink", nullptr);
        g_object_set(sink.get(), "async", FALSE, "sync", FALSE, nullptr);
        gst_bin_add(GST_BIN(s.bin), sink.get());
        gst_element_sync_state_with_parent(sink.get());
        PadPtr sinkPad = PadPtr::adopt(gst_element_get_static_pad(sink.get(), "sink"));
        gst_pad_link(pad, sinkPad.get());
    }

    using GateRef = std::shared_ptr<InputGate>;
    static void deleteGateRef(gpointer data) noexcept { delete static_cast<GateRef*>(data); }

    /// Streaming thread: keeps the RFC 6464 level an incoming audio packet carries.
    static GstPadProbeReturn onAudioLevel(GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
        InputGate& gate = **static_cast<GateRef*>(data);
        GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
        GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
        if (!buffer || !gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) return GST_PAD_PROBE_OK;
        gpointer ext = nullptr;
        guint size = 0;
        if (gst_rtp_buffer_get_extension_onebyte_header(&rtp, kAudioLevelExtId, 0, &ext, &size) &&
            size >= 1) {
            // RFC 6464 section 3: V bit, then the level in -dBov (0..127).
            const int level = *static_cast<const guint8*>(ext) & 0x7f;
            GST_LOG("audio level -%d dBov", level);
            gate.level.store(level, std::memory_order_relaxed);
            gate.levelAtUs.store(g_get_monotonic_time(), std::memory_order_relaxed);
        }
        gst_rtp_buffer_unmap(&rtp);
        return GST_PAD_PROBE_OK;
    }

    /// Streaming thread: drops a sender's Opus frames while the mixer does not mix them, so
    /// they are not decoded. After the depayloader, so the decoder sees a gap in timestamps
    /// with contiguous frames, as after DTX, and conceals nothing.
    static GstPadProbeReturn onDecodeGate(GstPad*, GstPadProbeInfo*, gpointer data) noexcept {
        const InputGate& gate = **static_cast<GateRef*>(data);
        return gate.mixed.load(std::memory_order_relaxed) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
    }

    /// `in`: the sink (ghost) pad of an audio decoder bin whose first element is the
    /// depayloader.
    static void addAudioGate(Endpoint::Shared& s, GstPad* in) {
        gst_pad_add_probe(in, GST_PAD_PROBE_TYPE_BUFFER, onAudioLevel, new GateRef(s.inputGate),
                          deleteGateRef);
        PadPtr depaySink = PadPtr::adopt(gst_ghost_pad_get_target(GST_GHOST_PAD(in)));
        ElementPtr depay =
            ElementPtr::adopt(depaySink ? gst_pad_get_parent_element(depaySink.get()) : nullptr);
        PadPtr depaySrc =
            PadPtr::adopt(depay ? gst_element_get_static_pad(depay.get(), "src") : nullptr);
        if (depaySrc)
            gst_pad_add_probe(depaySrc.get(), GST_PAD_PROBE_TYPE_BUFFER, onDecodeGate,
                              new GateRef(s.inputGate), deleteGateRef);
    }

    static bool linkDecoder(Endpoint::Shared& s, GstPad* pad, const char* fragmentName,
                            GstPad* target, bool video) {
        std::string name = std::string("decode_") + (video ? "video_" : "audio_") +
                           std::to_string(s.decoderSerial++);
        auto decoder = s.fragments->makeBin(fragmentName, name);
        if (!decoder) {
            GST_ERROR("[%s] %s", s.id.c_str(), decoder.error().message.c_str());
            return false;
        }
        GstElement* d = decoder.value().get();
        gst_bin_add(GST_BIN(s.bin), d);
        // Running before linking (design.md: linking a branch that is not yet running into a
        // live aggregator can stop it).
        gst_element_sync_state_with_parent(d);
        PadPtr in = PadPtr::adopt(gst_element_get_static_pad(d, "sink"));
        PadPtr out = PadPtr::adopt(gst_element_get_static_pad(d, "src"));
        if (!in || !out || GST_PAD_LINK_FAILED(gst_pad_link(out.get(), target)) ||
            GST_PAD_LINK_FAILED(gst_pad_link(pad, in.get()))) {
            GST_ERROR("[%s] cannot link decoder %s", s.id.c_str(), fragmentName);
            gst_element_set_state(d, GST_STATE_NULL);
            gst_bin_remove(GST_BIN(s.bin), d);
            return false;
        }
        if (video) {
            using ShownRef = std::shared_ptr<std::atomic<bool>>;
            gst_pad_add_probe(
                in.get(),
                GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                [](GstPad*, GstPadProbeInfo*, gpointer data) noexcept {
                    return (*static_cast<ShownRef*>(data))->load(std::memory_order_relaxed)
                               ? GST_PAD_PROBE_OK
                               : GST_PAD_PROBE_DROP;
                },
                new ShownRef(s.videoShown),
                [](gpointer data) noexcept { delete static_cast<ShownRef*>(data); });
            s.videoDecoderIn = in;  // the caller (onPadAdded) holds s.lock
            // Frames that waited too long for the decoding thread (the jitter buffer's, which
            // also runs depayloader and decoder) are not decoded: their delay would pass to
            // every frame after them. The decoder is the fragment's last element.
            PadPtr decoded = PadPtr::adopt(GST_IS_GHOST_PAD(out.get())
                                               ? gst_ghost_pad_get_target(GST_GHOST_PAD(out.get()))
                                               : nullptr);
            ElementPtr decoderEl =
                ElementPtr::adopt(decoded ? gst_pad_get_parent_element(decoded.get()) : nullptr);
            PadPtr decoderSink = PadPtr::adopt(
                decoderEl ? gst_element_get_static_pad(decoderEl.get(), "sink") : nullptr);
            addLateFrameDrop(decoderSink.get(), s.maxFrameDelay, LateKind::Encoded, s.lateDropped);
            addKeyframeRequestThrottle(in.get(), std::chrono::milliseconds(500));
            // Ask the sender for a keyframe now (PLI) so the tile starts without waiting for
            // the sender's next periodic one.
            gst_pad_push_event(in.get(), gst_video_event_new_upstream_force_key_unit(
                                             GST_CLOCK_TIME_NONE, TRUE, 0));
        } else {
            addAudioGate(s, in.get());
        }
        return true;
    }
};

Endpoint::Endpoint(std::string id, Listener& listener)
    : id_(std::move(id)),
      listener_(listener),
      gate_(std::make_shared<SendGate>()),
      shared_(std::make_shared<Shared>()) {}

core::Result<std::unique_ptr<Endpoint>> Endpoint::create(
    GstBin* pipeline, std::string id, const std::string& label, const MediaConfig& config,
    const Fragments& fragments, Listener& listener, LateCounter lateDropped) {
    std::unique_ptr<Endpoint> e(new Endpoint(std::move(id), listener));
    e->shared_->maxFrameDelay = std::chrono::milliseconds(config.maxFrameDelayMs);
    e->shared_->lateDropped =
        lateDropped ? std::move(lateDropped) : std::make_shared<std::atomic<std::uint64_t>>(0);
    auto built = e->build(pipeline, label, config, fragments);
    if (!built) return built.error();
    return e;
}

core::Status Endpoint::build(GstBin* pipeline, const std::string& label, const MediaConfig& config,
                             const Fragments& fragments) {
    pipeline_ = pipeline;
    bin_ = ElementPtr::refSink(gst_bin_new(("p-" + id_).c_str()));
    GstBin* bin = GST_BIN(bin_.get());

    webrtc_ = make("webrtcbin", "webrtc");
    if (!webrtc_) return makeError("internal", "webrtcbin is not installed");
    g_object_set(webrtc_.get(), "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                 static_cast<guint>(config.jitterBufferMs), nullptr);
    gst_bin_add(bin, webrtc_.get());
    configureIce(config);

    // Receive side: the tile and the mixer input exist from the start; decoders are added
    // when the participant's streams appear.
    ElementPtr tileQueue = make("queue", "tile_queue");
    g_object_set(tileQueue.get(), "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time",
                 guint64{0}, "leaky", 2 /* downstream */, nullptr);
    ElementPtr convert = make("videoconvert", "tile_convert");
    ElementPtr scale = make("videoscale", "tile_scale");
    tileCaps_ = make("capsfilter", "tile_caps");
    ElementPtr labelEl = make("textoverlay", "label");
    if (!labelEl) return makeError("internal", "textoverlay (pango) is not installed");
    // "text" is Pango markup: the name goes in escaped and bounded (media/TileLabel.h), on one
    // line (wrap-mode none: a long name is cut at the tile's edge, not wrapped over it).
    g_object_set(labelEl.get(), "text", tileLabelMarkup(label).c_str(), "valignment",
                 1 /* bottom */, "halignment", 0 /* left */, "shaded-background", TRUE, "font-desc",
                 "Sans Bold 16", nullptr);
    gst_util_set_object_arg(G_OBJECT(labelEl.get()), "wrap-mode", "none");
    gst_bin_add_many(bin, tileQueue.get(), convert.get(), scale.get(), tileCaps_.get(),
                     labelEl.get(), nullptr);
    if (!gst_element_link_many(tileQueue.get(), convert.get(), scale.get(), tileCaps_.get(),
                               labelEl.get(), nullptr))
        return makeError("internal", "cannot link the tile chain");
    setTileSize(config.width, config.height);
    PadPtr labelSrc = PadPtr::adopt(gst_element_get_static_pad(labelEl.get(), "src"));
    tileSrc_ = PadPtr::refSink(gst_ghost_pad_new("tile_src", labelSrc.get()));
    gst_pad_add_probe(tileSrc_.get(), GST_PAD_PROBE_TYPE_QUERY_UPSTREAM,
                      Callbacks::hideJitterBufferLatency, nullptr, nullptr);
    gst_element_add_pad(bin_.get(), tileSrc_.get());
    // A decoded frame already late when the tile's thread gets to it is not scaled and
    // labelled (the compositor would not show it either).
    PadPtr tileQueued = PadPtr::adopt(gst_element_get_static_pad(tileQueue.get(), "src"));
    addLateFrameDrop(tileQueued.get(), shared_->maxFrameDelay, LateKind::Raw, shared_->lateDropped);

    ElementPtr aconvert = make("audioconvert", "in_audioconvert");
    ElementPtr aresample = make("audioresample", "in_audioresample");
    ElementPtr acaps = make("capsfilter", "in_audiocaps");
    g_object_set(acaps.get(), "caps", caps(AudioMixer::kCaps).get(), nullptr);
    audioSink_ = make("appsink", "audio_sink");
    g_object_set(audioSink_.get(), "sync", FALSE, "async", FALSE, "drop", TRUE, "max-buffers", 50,
                 nullptr);
    gst_bin_add_many(bin, aconvert.get(), aresample.get(), acaps.get(), audioSink_.get(), nullptr);
    if (!gst_element_link_many(aconvert.get(), aresample.get(), acaps.get(), audioSink_.get(),
                               nullptr))
        return makeError("internal", "cannot link the audio input chain");

    // Send side, audio first: m-line 0. Two sources feed one payloader (one SSRC, one
    // sequence): this participant's private mix-minus encode (while speaking) and the room's
    // shared full-mix encode (otherwise); the SendGate picks one per 20 ms tick.
    audioSrc_ = make("appsrc", "audio_src");
    g_object_set(audioSrc_.get(), "caps", caps(AudioMixer::kCaps).get(), "is-live", TRUE, "format",
                 GST_FORMAT_TIME, "block", FALSE, "max-bytes",
                 guint64{AudioMixer::kRate * 2 / 5} /* 200 ms */, "leaky-type",
                 2 /* downstream: drop old */, nullptr);
    auto opus = fragments.makeBin(fragment::kAudioEncodeOpus, "audio_encode");
    if (!opus) return opus.error();
    if (ElementPtr enc =
            ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(opus.value().get()), "encoder")))
        g_object_set(enc.get(), "bitrate", config.audioBitrate, nullptr);
    ElementPtr sharedQueue = make("queue", "audio_shared_queue");
    g_object_set(sharedQueue.get(), "max-size-buffers", 10, "max-size-bytes", 0, "max-size-time",
                 guint64{0}, "leaky", 2 /* downstream */, nullptr);
    ElementPtr funnel = make("funnel", "audio_funnel");
    ElementPtr opusPay = make("rtpopuspay", "audio_pay");
    // No automatic header extensions: the offer's audio-level extmap is for what senders write
    // to us; a level extension the payloader made from it would give caps webrtcbin refuses.
    g_object_set(opusPay.get(), "pt", kOpusPt, "mtu", 1200, "auto-header-extension", FALSE,
                 nullptr);
    gst_bin_add_many(bin, audioSrc_.get(), opus.value().get(), sharedQueue.get(), funnel.get(),
                     opusPay.get(), nullptr);
    if (!gst_element_link_many(audioSrc_.get(), opus.value().get(), funnel.get(), opusPay.get(),
                               nullptr) ||
        !gst_element_link(sharedQueue.get(), funnel.get()))
        return makeError("internal", "cannot link the audio send chain");
    PadPtr sharedIn = PadPtr::adopt(gst_element_get_static_pad(sharedQueue.get(), "sink"));
    sharedAudioSink_ = PadPtr::refSink(gst_ghost_pad_new("audio_shared_sink", sharedIn.get()));
    gst_element_add_pad(bin_.get(), sharedAudioSink_.get());
    PadPtr sharedOut = PadPtr::adopt(gst_element_get_static_pad(sharedQueue.get(), "src"));
    gst_pad_add_probe(
        sharedOut.get(), GST_PAD_PROBE_TYPE_BUFFER,
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
    // Leaky: a viewer that cannot keep up loses frames, never stalls the shared tee.
    g_object_set(sendQueue.get(), "max-size-buffers", 8, "max-size-bytes", 0, "max-size-time",
                 guint64{0}, "leaky", 2 /* downstream */, nullptr);
    valve_ = make("valve", "video_valve");
    g_object_set(valve_.get(), "drop", TRUE, nullptr);
    ElementPtr vp8Pay = make("rtpvp8pay", "video_pay");
    // A known SSRC, to find this viewer's receiver reports in get-stats.
    shared_->videoSsrc = g_random_int_range(1, G_MAXINT32);
    g_object_set(vp8Pay.get(), "pt", kVp8Pt, "mtu", 1200, "picture-id-mode", 2 /* 15-bit */, "ssrc",
                 shared_->videoSsrc, nullptr);
    videoPay_ = vp8Pay;
    gst_bin_add_many(bin, sendQueue.get(), valve_.get(), vp8Pay.get(), nullptr);
    if (!gst_element_link_many(sendQueue.get(), valve_.get(), vp8Pay.get(), nullptr))
        return makeError("internal", "cannot link the video send chain");
    PadPtr queueSink = PadPtr::adopt(gst_element_get_static_pad(sendQueue.get(), "sink"));
    videoSink_ = PadPtr::refSink(gst_ghost_pad_new("video_sink", queueSink.get()));
    gst_element_add_pad(bin_.get(), videoSink_.get());

    // Two sendrecv transceivers with codec preferences, so the offer can be made before any
    // media flows.
    struct Mline {
        GstElement* payloader;
        const char* padName;
        const char* sendCaps;
        const char* prefCaps;
        bool nack;
    };
    for (const Mline& ml : {Mline{opusPay.get(), "sink_0", kAudioCaps, kAudioPrefCaps, false},
                            Mline{vp8Pay.get(), "sink_1", kVideoSendCaps, kVideoPrefCaps, true}}) {
        core::CapsPtr send = caps(ml.sendCaps);
        GstPadTemplate* templ =
            gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(webrtc_.get()), "sink_%u");
        PadPtr sink =
            PadPtr::adopt(gst_element_request_pad(webrtc_.get(), templ, ml.padName, send.get()));
        if (!sink) return makeError("internal", "webrtcbin refused a sink pad");
        GstWebRTCRTPTransceiver* trans = nullptr;
        g_object_get(sink.get(), "transceiver", &trans, nullptr);
        core::GPtr<GstWebRTCRTPTransceiver> transceiver =
            core::GPtr<GstWebRTCRTPTransceiver>::adopt(trans);
        if (transceiver)
            g_object_set(transceiver.get(), "direction",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, "codec-preferences",
                         caps(ml.prefCaps).get(), "do-nack", ml.nack, nullptr);
        PadPtr src = PadPtr::adopt(gst_element_get_static_pad(ml.payloader, "src"));
        if (GST_PAD_LINK_FAILED(gst_pad_link(src.get(), sink.get())))
            return makeError("internal", "cannot link a payloader to webrtcbin");
    }

    // Callbacks.
    shared_->owner = anchor_.weak();
    shared_->id = id_;
    shared_->bin = bin_.get();
    shared_->webrtc = webrtc_.get();
    shared_->fragments = &fragments;
    shared_->tileQueueSink = PadPtr::adopt(gst_element_get_static_pad(tileQueue.get(), "sink"));
    shared_->audioInSink = PadPtr::adopt(gst_element_get_static_pad(aconvert.get(), "sink"));
    auto connect = [this](const char* signal, GCallback cb) {
        handlers_.push_back(g_signal_connect_data(webrtc_.get(), signal, cb,
                                                  Callbacks::wrap(shared_), Callbacks::unwrap,
                                                  GConnectFlags{}));
    };
    connect("on-negotiation-needed", G_CALLBACK(Callbacks::onNegotiationNeeded));
    connect("on-ice-candidate", G_CALLBACK(Callbacks::onIceCandidate));
    connect("notify::ice-connection-state", G_CALLBACK(Callbacks::onIceStateNotify));
    connect("pad-added", G_CALLBACK(Callbacks::onPadAdded));

    binHandler_ = g_signal_connect_data(
        bin_.get(), "deep-element-added", G_CALLBACK(Callbacks::onDeepElementAdded),
        Callbacks::wrap(shared_), Callbacks::unwrap, GConnectFlags{});
    // Nothing has arrived yet: count silence from now.
    shared_->lastPacketUs.store(g_get_monotonic_time());

    gst_bin_add(pipeline, bin_.get());
    if (!gst_element_sync_state_with_parent(bin_.get()))
        return makeError("internal", "cannot start the participant's media");
    return core::Ok{};
}

void Endpoint::configureIce(const MediaConfig& config) {
    GstObject* ice = nullptr;
    g_object_get(webrtc_.get(), "ice-agent", &ice, nullptr);
    core::GPtr<GstObject> agent = core::GPtr<GstObject>::adopt(ice);
    if (agent) {
        // libnice skips loopback when it enumerates addresses; adding any address turns
        // enumeration off (design.md, "Browser tests").
        for (const auto& addr : config.iceAddresses) {
            gboolean ok = FALSE;
            g_signal_emit_by_name(agent.get(), "add-local-ip-address", addr.c_str(), &ok);
            if (!ok) GST_WARNING("[%s] cannot use ICE address %s", id_.c_str(), addr.c_str());
        }
        if (config.iceMinPort > 0 && config.iceMaxPort >= config.iceMinPort)
            g_object_set(agent.get(), "min-rtp-port", static_cast<guint>(config.iceMinPort),
                         "max-rtp-port", static_cast<guint>(config.iceMaxPort), nullptr);
    }
    for (const auto& stun : config.stunServers) {
        // webrtcbin wants stun://host:port; browsers and our config say stun:host:port.
        std::string url = stun.rfind("stun://", 0) == 0 ? stun : "stun://" + stun.substr(5);
        g_object_set(webrtc_.get(), "stun-server", url.c_str(), nullptr);
        break;  // webrtcbin takes one STUN server.
    }
    for (const auto& turn : config.turnServers) {
        gboolean ok = FALSE;
        g_signal_emit_by_name(webrtc_.get(), "add-turn-server", turn.c_str(), &ok);
    }
}

namespace {
/// Completion of a get-stats queued behind webrtcbin's other operations: its promise is
/// answered from webrtcbin's operation thread once everything queued before it has run.
class OperationsBarrier {
public:
    /// Queues the get-stats on `webrtc`.
    explicit OperationsBarrier(GstElement* webrtc) {
        GstPromise* promise = gst_promise_new_with_change_func(
            [](GstPromise*, gpointer data) noexcept {
                Done& d = **static_cast<DoneRef*>(data);
                {
                    std::lock_guard g(d.lock);
                    d.done = true;
                }
                d.cv.notify_all();
            },
            new DoneRef(done_), [](gpointer data) noexcept { delete static_cast<DoneRef*>(data); });
        g_signal_emit_by_name(webrtc, "get-stats", nullptr, promise);
        gst_promise_unref(promise);
    }
    /// Blocks the caller at most `timeout`; true if everything queued before ran.
    bool wait(std::chrono::milliseconds timeout) {
        std::unique_lock l(done_->lock);
        return done_->cv.wait_for(l, timeout, [&] { return done_->done; });
    }

private:
    struct Done {
        std::mutex lock;
        std::condition_variable cv;
        bool done = false;
    };
    using DoneRef = std::shared_ptr<Done>;
    std::shared_ptr<Done> done_ = std::make_shared<Done>();
};
}  // namespace

Endpoint::~Endpoint() {
    blanker_.detach();
    // Stopping webrtcbin while set-local-description is still building its transports leaks
    // a transport receive bin (GST_TRACERS=leaks, ~1 run in 30 of the bad-SDP test): no new
    // transport-creating operation is queued from now on, and those already queued finish
    // (waited for at most 2 s, usually microseconds) before the bin goes to NULL.
    std::shared_ptr<OperationsBarrier> barrier;
    if (webrtc_) {
        std::lock_guard g(shared_->operationsLock);
        shared_->closing = true;
        barrier = std::make_shared<OperationsBarrier>(webrtc_.get());
    }
    for (gulong h : handlers_) g_signal_handler_disconnect(webrtc_.get(), h);
    handlers_.clear();
    if (binHandler_) g_signal_handler_disconnect(bin_.get(), binHandler_);
    if (rtcpHandler_) g_signal_handler_disconnect(rtpSession_.get(), rtcpHandler_);
    if (sendingRtcpHandler_) g_signal_handler_disconnect(rtpSession_.get(), sendingRtcpHandler_);
    rtpSession_.reset();
    if (!bin_) return;
    // Order verified on 1.22 (design.md): remove (unlinks the ghost pads from the room's tee
    // and compositor), then NULL; never from a webrtcbin thread. The wait and the NULL run on
    // a teardown thread (media/Teardown.h): the main loop never waits for a streaming thread.
    if (pipeline_ && GST_OBJECT_PARENT(bin_.get()) == GST_OBJECT(pipeline_))
        gst_bin_remove(pipeline_, bin_.get());
    Teardown::submit(std::move(bin_), [barrier, id = id_] {
        if (barrier && !barrier->wait(std::chrono::milliseconds(2000)))
            GST_WARNING("[%s] webrtcbin still busy after 2 s; stopping it anyway", id.c_str());
    });
}

core::Status Endpoint::applyAnswer(const std::string& sdp) {
    GstSDPMessage* msg = nullptr;
    if (gst_sdp_message_new_from_text(sdp.c_str(), &msg) != GST_SDP_OK || !msg)
        return makeError("bad-sdp", "the answer is not valid SDP");
    if (gst_sdp_message_medias_len(msg) != 2 || !gst_sdp_message_get_version(msg)) {
        gst_sdp_message_free(msg);
        return makeError("bad-sdp", "the answer must have the offer's two m-lines");
    }
    const GstSDPMedia* video = gst_sdp_message_get_media(msg, 1);
    bool sendsNoVideo = gst_sdp_media_get_attribute_val(video, "recvonly") ||
                        gst_sdp_media_get_attribute_val(video, "inactive") ||
                        gst_sdp_media_get_port(video) == 0;
    GstWebRTCSessionDescription* desc =
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg);
    GstPromise* promise = gst_promise_new_with_change_func(
        Callbacks::onAnswerSet, Callbacks::wrap(shared_), Callbacks::unwrapPlain);
    g_signal_emit_by_name(webrtc_.get(), "set-remote-description", desc, promise);
    gst_webrtc_session_description_free(desc);
    if (sendsNoVideo) startPlaceholder();
    return core::Ok{};
}

void Endpoint::startPlaceholder() {
    if (placeholder_) return;
    GstBin* bin = GST_BIN(bin_.get());
    core::ElementPtr queue = core::ElementPtr::adopt(gst_bin_get_by_name(bin, "tile_queue"));
    core::PadPtr queueSink =
        core::PadPtr::adopt(queue ? gst_element_get_static_pad(queue.get(), "sink") : nullptr);
    if (!queueSink || gst_pad_is_linked(queueSink.get())) return;
    placeholder_ = core::ElementPtr::refSink(gst_element_factory_make("appsrc", "placeholder"));
    core::CapsPtr caps(gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                           G_TYPE_INT, kPlaceholderWidth, "height", G_TYPE_INT,
                                           kPlaceholderHeight, "framerate", GST_TYPE_FRACTION, 0, 1,
                                           "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr));
    g_object_set(placeholder_.get(), "caps", caps.get(), "is-live", TRUE, "format", GST_FORMAT_TIME,
                 "do-timestamp", TRUE, nullptr);
    gst_bin_add(bin, placeholder_.get());
    gst_element_sync_state_with_parent(placeholder_.get());
    if (!gst_element_link(placeholder_.get(), queue.get())) {
        GST_ERROR("[%s] cannot link the placeholder tile", id_.c_str());
        return;
    }
    pushPlaceholderFrame();
}

void Endpoint::pushPlaceholderFrame() {
    if (!placeholder_) return;
    // One black I420 frame (video range: Y 16, U/V 128). The compositor keeps showing a tile's
    // last frame, so one frame per tile size is enough; the tile chain scales and labels it.
    constexpr gsize kLuma = kPlaceholderWidth * kPlaceholderHeight;
    GstBuffer* frame = gst_buffer_new_allocate(nullptr, kLuma * 3 / 2, nullptr);
    gst_buffer_memset(frame, 0, 16, kLuma);
    gst_buffer_memset(frame, kLuma, 128, kLuma / 2);
    gst_app_src_push_buffer(GST_APP_SRC(placeholder_.get()), frame);  // takes ownership
}

void Endpoint::addRemoteCandidate(int mlineIndex, const std::string& candidate) {
    if (candidate.empty()) return;
    g_signal_emit_by_name(webrtc_.get(), "add-ice-candidate", static_cast<guint>(mlineIndex),
                          candidate.c_str());
}

void Endpoint::requestFeedback() {
    if (!rtpSession_) {
        // The RTP session exists once the transport is up; watch its incoming RTCP.
        core::ElementPtr rtpbin =
            core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(webrtc_.get()), "rtpbin"));
        GObject* session = nullptr;
        if (rtpbin) g_signal_emit_by_name(rtpbin.get(), "get-internal-session", 0u, &session);
        if (!session) return;
        rtpSession_ = core::GPtr<GObject>::adopt(session);
        rtcpHandler_ = g_signal_connect_data(
            session, "on-receiving-rtcp", G_CALLBACK(Callbacks::onReceivingRtcp),
            Callbacks::wrap(shared_), Callbacks::unwrap, GConnectFlags{});
        sendingRtcpHandler_ =
            g_signal_connect_data(session, "on-sending-rtcp", G_CALLBACK(Callbacks::onSendingRtcp),
                                  Callbacks::wrap(shared_), Callbacks::unwrap, GConnectFlags{});
        return;
    }
    // Loss over this window, two ways: NACKed packets / packets we sent (prompt), and the
    // receiver reports' cumulative counters (RFC 3550 A.3; may lag behind). The larger wins.
    guint sentSeq = 0;
    g_object_get(videoPay_.get(), "seqnum", &sentSeq, nullptr);
    unsigned nacked = shared_->nackedPackets.load();
    unsigned seq = shared_->feedbackSeq.load();
    gint32 lost = shared_->cumulativeLost.load();
    guint32 highest = shared_->highestSeq.load();
    bool first = !haveWindow_;
    guint16 sent = static_cast<guint16>(sentSeq - windowSentSeq_);
    unsigned nackedNow = nacked - windowNacked_;
    bool newReport = seq != lastFeedbackSeq_;
    guint32 expected = highest - windowHighest_;
    gint32 lostNow = lost - windowLost_;
    windowSentSeq_ = static_cast<guint16>(sentSeq);
    windowNacked_ = nacked;
    lastFeedbackSeq_ = seq;
    if (newReport) {
        windowLost_ = lost;
        windowHighest_ = highest;
    }
    haveWindow_ = true;
    GST_LOG_OBJECT(bin_.get(),
                   "feedback: %u RTCP compounds, %u report blocks about ours (%u), %u about others "
                   "(last %u), %u NACKed of %u sent",
                   shared_->rtcpCompounds.load(), seq, shared_->videoSsrc,
                   shared_->otherBlocks.load(), shared_->otherSsrc.load(), nacked, sentSeq);
    if (first) return;
    std::optional<double> fraction;
    if (sent > 0 && nackedNow > 0)
        fraction = std::clamp(static_cast<double>(nackedNow) / sent, 0.0, 1.0);
    if (newReport && expected > 0 && expected < (1u << 20)) {
        double reported = std::clamp(static_cast<double>(lostNow) / expected, 0.0, 1.0);
        fraction = std::max(fraction.value_or(0.0), reported);
    }
    if (!fraction) return;  // Nothing new from this viewer.
    listener_.onEndpointFeedback(*fraction, shared_->feedbackRttMs.load());
}

std::shared_ptr<InputGate> Endpoint::inputGate() const {
    return shared_->inputGate;
}

unsigned Endpoint::keyframeRequestsReceived() const {
    return shared_->keyframeRequests.load(std::memory_order_relaxed);
}

gint64 Endpoint::millisecondsSinceLastPacket() const {
    return (g_get_monotonic_time() - shared_->lastPacketUs.load(std::memory_order_relaxed)) / 1000;
}

void Endpoint::openSend() {
    g_object_set(valve_.get(), "drop", FALSE, nullptr);
    gate_->open.store(true, std::memory_order_release);
}

void Endpoint::setSendCap(int bitrateBps) {
    shared_->rembBps.store(bitrateBps > 0 ? static_cast<uint64_t>(bitrateBps) + kRembAudioBps : 0,
                           std::memory_order_relaxed);
}

unsigned Endpoint::rembsSent() const {
    return shared_->rembsSent.load(std::memory_order_relaxed);
}

void Endpoint::setShown(bool shown) {
    if (shared_->videoShown->exchange(shown) || !shown) return;
    // Back on stage: decoding restarts mid-stream, so ask the sender for a keyframe (PLI).
    PadPtr in;
    {
        std::lock_guard g(shared_->lock);
        in = shared_->videoDecoderIn;
    }
    if (in)
        gst_pad_push_event(
            in.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

void Endpoint::setTileSize(int width, int height) {
    core::CapsPtr c(gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                        G_TYPE_INT, width, "height", G_TYPE_INT, height,
                                        "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr));
    g_object_set(tileCaps_.get(), "caps", c.get(), nullptr);
    pushPlaceholderFrame();  // re-labelled at the new size
    if (blanker_.blanked()) blanker_.pushBlackFrame();
}

void Endpoint::setVideoBlanked(bool blanked) {
    if (blanked == blanker_.blanked()) return;
    if (blanked && bin_) {
        core::ElementPtr queue =
            core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(bin_.get()), "tile_queue"));
        core::PadPtr src =
            core::PadPtr::adopt(queue ? gst_element_get_static_pad(queue.get(), "src") : nullptr);
        if (src) blanker_.attach(src.get());
    }
    blanker_.setBlanked(blanked);
}

}  // namespace mixmeet::media
