// Pure parsing of the RTCP a viewer sends us about the video we send it: receiver-report
// blocks (loss counters and the LSR/DLSR round-trip inputs), generic NACKs, keyframe requests
// (PLI, FIR) and the SSRCs of its sender reports. No state, no threads: Endpoint's RTCP
// callbacks feed it each compound packet and keep the results (media/ViewerFeedback.h).
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace mixmeet::media {

/// What one RTCP compound packet says.
struct RtcpSummary {
    /// A receiver-report block (RFC 3550 section 6.4.1) about our video SSRC.
    struct Block {
        gint32 cumulativeLost = 0;  ///< Cumulative number of packets lost.
        guint32 extHighestSeq = 0;  ///< Extended highest sequence number received.
        guint32 lsr = 0;            ///< Middle 32 bits of our last SR's NTP time (0: none).
        guint32 dlsr = 0;           ///< Delay since that SR, 1/65536 s.
    };
    /// Packets of our video the viewer NACKed (RFC 4585 section 6.2.1: each FCI is one PID
    /// plus up to 16 more in its BLP bitmask).
    unsigned nackedPackets = 0;
    /// PLI (RFC 4585 section 6.3.1) and FIR (RFC 5104 section 4.3.1) about our video.
    unsigned keyframeRequests = 0;
    /// SSRCs of the sender reports in the compound, in order.
    std::vector<guint32> senderSsrcs;
    /// Report blocks about our video, in order.
    std::vector<Block> blocks;
    /// Report blocks about other SSRCs, and the SSRC of the last of them.
    unsigned otherBlocks = 0;
    guint32 lastOtherSsrc = 0;
};

/// Parses one RTCP compound packet about `videoSsrc` (the SSRC we send the viewer video with).
/// nullopt if `buffer` is null or cannot be mapped (its packets are not validated first).
std::optional<RtcpSummary> parseRtcp(GstBuffer* buffer, guint32 videoSsrc);

/// The middle 32 bits of the NTP time (seconds since 1900, 16.16 fixed point) for a wall-clock
/// time in microseconds since 1970 (g_get_real_time()).
guint32 ntpMiddle32(gint64 realTimeUs);

/// Round-trip time from a report block (RFC 3550 section 6.4.1: RTT = A - LSR - DLSR, in
/// 1/65536 s), ms. `now`: ntpMiddle32() of the arrival time. 0 if the block has no LSR or the
/// result is nonsense (10 s or more, or negative).
double rttMs(guint32 lsr, guint32 dlsr, guint32 now);

}  // namespace mixmeet::media
