// What a viewer tells us about the video we send it, and the REMB we tell it back: watches
// webrtcbin's RTP session (bundle, session 0) once it exists, keeps the latest receiver-report
// counters, NACK and keyframe-request counts (parsed by media/RtcpFeedback.h), computes loss
// over the caller's windows, and appends a REMB (media/Remb.h) to every RTCP compound we send.
//
// Threads: created, polled and destroyed on the main thread; the RTCP callbacks run on the RTP
// session's thread and only touch the shared atomics.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/GstPtr.h"

namespace mixmeet::media {

class ViewerFeedback {
public:
    /// `webrtc` (its "rtpbin") and `videoPay` (its "seqnum") must outlive this. `videoSsrc`:
    /// the SSRC we send video to this viewer with.
    ViewerFeedback(GstElement* webrtc, GstElement* videoPay, guint32 videoSsrc);
    /// Disconnects from the RTP session.
    ~ViewerFeedback();
    ViewerFeedback(const ViewerFeedback&) = delete;
    ViewerFeedback& operator=(const ViewerFeedback&) = delete;

    struct Report {
        double lossFraction;  ///< 0..1
        double rttMs;         ///< 0: unknown
    };
    /// The viewer's loss on our video since the previous call (the larger of its NACKs per
    /// packet sent and the cumulative counters of its receiver reports) and the latest RTT;
    /// nullopt if the viewer reported nothing new (or on the first calls, which find the RTP
    /// session and open the first window).
    std::optional<Report> poll(GstObject* logObject);
    /// The most the participant should send, bps, told it in a REMB; 0: no REMB. A new value
    /// goes out in an early RTCP compound (RFC 4585 section 3.5.2) rather than waiting for the
    /// next regular one.
    void setRembBps(uint64_t bps);
    /// REMB packets added to our RTCP so far.
    unsigned rembsSent() const;
    /// PLI and FIR about our video so far.
    unsigned keyframeRequests() const;

private:
    struct Shared;
    struct Callbacks;
    GstElement* webrtc_;
    GstElement* videoPay_;
    core::GPtr<GObject> rtpSession_;  ///< webrtcbin's RTPSession 0 (bundle), once known.
    gulong rtcpHandler_ = 0;          ///< on-receiving-rtcp on rtpSession_.
    gulong sendingRtcpHandler_ = 0;   ///< on-sending-rtcp on rtpSession_ (REMB).
    unsigned lastFeedbackSeq_ = 0;
    bool haveWindow_ = false;  ///< Loss window start (cumulative counters at the last call).
    gint32 windowLost_ = 0;
    guint32 windowHighest_ = 0;
    guint16 windowSentSeq_ = 0;
    unsigned windowNacked_ = 0;
    unsigned rembsAtLastPoll_ = 0;  ///< rembsSent() at the previous poll().
    std::shared_ptr<Shared> shared_;

    /// Asks the RTP session for an RTCP compound now (its "send-rtcp-full" action signal), so
    /// the REMB reaches the participant without waiting for the regular RTCP interval.
    void sendRtcpSoon();
};

}  // namespace mixmeet::media
