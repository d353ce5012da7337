#include "media/ViewerFeedback.h"

#include <gst/rtp/gstrtcpbuffer.h>

#include <algorithm>

#include "core/Log.h"
#include "media/Remb.h"
#include "media/RtcpFeedback.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

/// What the RTCP callbacks touch.
struct ViewerFeedback::Shared {
    guint32 videoSsrc = 0;                      ///< SSRC of our video to this viewer.
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
};

/// C trampolines; all noexcept (no exception crosses a C frame).
struct ViewerFeedback::Callbacks {
    using SharedRef = std::shared_ptr<ViewerFeedback::Shared>;
    static gpointer wrap(const SharedRef& s) { return new SharedRef(s); }
    static void unwrap(gpointer data, GClosure*) noexcept { delete static_cast<SharedRef*>(data); }
    static Shared& get(gpointer data) { return **static_cast<SharedRef*>(data); }

    /// The participant's media SSRCs, as its sender reports name them (for the REMB's list).
    static void rememberSender(Shared& s, guint32 ssrc) {
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

    /// RTCP thread: an RTCP compound packet arrived from the viewer. Keeps its latest report
    /// block about our video SSRC: cumulative loss, and the round-trip time from LSR/DLSR.
    /// We read the reports ourselves because webrtcbin 1.22's stats keep one report block per
    /// remote source, which with bundle is often the audio one.
    static void onReceivingRtcp(GObject*, GstBuffer* buffer, gpointer data) noexcept {
        auto& s = get(data);
        std::optional<RtcpSummary> summary = parseRtcp(buffer, s.videoSsrc);
        if (!summary) return;
        s.rtcpCompounds.fetch_add(1, std::memory_order_relaxed);
        if (summary->nackedPackets) s.nackedPackets.fetch_add(summary->nackedPackets);
        if (summary->keyframeRequests)
            s.keyframeRequests.fetch_add(summary->keyframeRequests, std::memory_order_relaxed);
        for (guint32 ssrc : summary->senderSsrcs) rememberSender(s, ssrc);
        if (summary->otherBlocks) {
            s.otherBlocks.fetch_add(summary->otherBlocks, std::memory_order_relaxed);
            s.otherSsrc.store(summary->lastOtherSsrc, std::memory_order_relaxed);
        }
        for (const RtcpSummary::Block& b : summary->blocks) {
            // Cumulative counters: the main thread computes loss over its own 1 s windows
            // (RFC 3550 appendix A.3), steadier than each report's fraction, which early
            // feedback packets (NACK, PLI) make noisy.
            s.cumulativeLost.store(b.cumulativeLost);
            s.highestSeq.store(b.extHighestSeq);
            s.feedbackRttMs.store(rttMs(b.lsr, b.dlsr, ntpMiddle32(g_get_real_time())));
            s.feedbackSeq.fetch_add(1);
        }
    }
};

ViewerFeedback::ViewerFeedback(GstElement* webrtc, GstElement* videoPay, guint32 videoSsrc)
    : webrtc_(webrtc), videoPay_(videoPay), shared_(std::make_shared<Shared>()) {
    shared_->videoSsrc = videoSsrc;
}

ViewerFeedback::~ViewerFeedback() {
    if (rtcpHandler_) g_signal_handler_disconnect(rtpSession_.get(), rtcpHandler_);
    if (sendingRtcpHandler_) g_signal_handler_disconnect(rtpSession_.get(), sendingRtcpHandler_);
    rtpSession_.reset();
}

std::optional<ViewerFeedback::Report> ViewerFeedback::poll(GstObject* logObject) {
    if (!rtpSession_) {
        // The RTP session exists once the transport is up; watch its incoming RTCP.
        core::ElementPtr rtpbin =
            core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(webrtc_), "rtpbin"));
        GObject* session = nullptr;
        if (rtpbin) g_signal_emit_by_name(rtpbin.get(), "get-internal-session", 0u, &session);
        if (!session) return std::nullopt;
        rtpSession_ = core::GPtr<GObject>::adopt(session);
        rtcpHandler_ = g_signal_connect_data(
            session, "on-receiving-rtcp", G_CALLBACK(Callbacks::onReceivingRtcp),
            Callbacks::wrap(shared_), Callbacks::unwrap, GConnectFlags{});
        sendingRtcpHandler_ =
            g_signal_connect_data(session, "on-sending-rtcp", G_CALLBACK(Callbacks::onSendingRtcp),
                                  Callbacks::wrap(shared_), Callbacks::unwrap, GConnectFlags{});
        sendRtcpSoon();
        return std::nullopt;
    }
    // A cap is set but no REMB went out since the last poll (~1 s): the regular RTCP interval
    // is randomized and can run to several seconds, while a page that ignores send-hint keeps
    // sending at its start rate until it hears the REMB.
    const unsigned rembs = shared_->rembsSent.load(std::memory_order_relaxed);
    if (shared_->rembBps.load(std::memory_order_relaxed) > 0 && rembs == rembsAtLastPoll_)
        sendRtcpSoon();
    rembsAtLastPoll_ = rembs;
    // Loss over this window, two ways: NACKed packets / packets we sent (prompt), and the
    // receiver reports' cumulative counters (RFC 3550 A.3; may lag behind). The larger wins.
    guint sentSeq = 0;
    g_object_get(videoPay_, "seqnum", &sentSeq, nullptr);
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
    GST_LOG_OBJECT(logObject,
                   "feedback: %u RTCP compounds, %u report blocks about ours (%u), %u about others "
                   "(last %u), %u NACKed of %u sent",
                   shared_->rtcpCompounds.load(), seq, shared_->videoSsrc,
                   shared_->otherBlocks.load(), shared_->otherSsrc.load(), nacked, sentSeq);
    if (first) return std::nullopt;
    std::optional<double> fraction;
    if (sent > 0 && nackedNow > 0)
        fraction = std::clamp(static_cast<double>(nackedNow) / sent, 0.0, 1.0);
    if (newReport && expected > 0 && expected < (1u << 20)) {
        double reported = std::clamp(static_cast<double>(lostNow) / expected, 0.0, 1.0);
        fraction = std::max(fraction.value_or(0.0), reported);
    }
    if (!fraction) return std::nullopt;  // Nothing new from this viewer.
    return Report{*fraction, shared_->feedbackRttMs.load()};
}

void ViewerFeedback::sendRtcpSoon() {
    if (!rtpSession_) return;
    gboolean scheduled = FALSE;
    g_signal_emit_by_name(rtpSession_.get(), "send-rtcp-full", static_cast<guint64>(0), &scheduled);
}

void ViewerFeedback::setRembBps(uint64_t bps) {
    const uint64_t before = shared_->rembBps.exchange(bps, std::memory_order_relaxed);
    if (bps != before && bps > 0) sendRtcpSoon();
}

unsigned ViewerFeedback::rembsSent() const {
    return shared_->rembsSent.load(std::memory_order_relaxed);
}

unsigned ViewerFeedback::keyframeRequests() const {
    return shared_->keyframeRequests.load(std::memory_order_relaxed);
}

}  // namespace mixmeet::media
