#include "media/RtcpFeedback.h"

#include <gst/rtp/gstrtcpbuffer.h>

namespace mixmeet::media {

namespace {
/// The FMT field of a feedback packet (5 bits the sender picks), read from the packet itself:
/// most values are outside GstRTCPFBType, and holding one in that enum is undefined behaviour
/// in C++ (UBSan's "not a valid value for type", found by tests/fuzz/fuzz_rtcp.cpp).
guint8 feedbackFormat(const GstRTCPPacket& packet) {
    return packet.rtcp->map.data[packet.offset] & 0x1f;
}

/// A PLI about our video, or a FIR naming it in one of its FCI entries (SSRC, seq nr,
/// reserved: 8 bytes each; its media SSRC field is unused).
bool isKeyframeRequest(GstRTCPPacket& packet, guint32 videoSsrc) {
    const guint8 fb = feedbackFormat(packet);
    if (fb == GST_RTCP_PSFB_TYPE_PLI)
        return gst_rtcp_packet_fb_get_media_ssrc(&packet) == videoSsrc;
    if (fb != GST_RTCP_PSFB_TYPE_FIR) return false;
    guint8* fci = gst_rtcp_packet_fb_get_fci(&packet);
    const guint words = gst_rtcp_packet_fb_get_fci_length(&packet);
    for (guint w = 0; fci && w + 1 < words; w += 2)
        if (GST_READ_UINT32_BE(fci + 4 * w) == videoSsrc) return true;
    return false;
}
}  // namespace

std::optional<RtcpSummary> parseRtcp(GstBuffer* buffer, guint32 videoSsrc) {
    if (!buffer) return std::nullopt;
    RtcpSummary out;
    // An empty buffer maps without GST_MAP_READ set, and gst_rtcp_buffer_get_first_packet()
    // then raises a critical: it holds no packet, so it says nothing.
    if (gst_buffer_get_size(buffer) == 0) return out;
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    if (!gst_rtcp_buffer_map(buffer, GST_MAP_READ, &rtcp)) return std::nullopt;
    GstRTCPPacket packet;
    for (gboolean more = gst_rtcp_buffer_get_first_packet(&rtcp, &packet); more;
         more = gst_rtcp_packet_move_to_next(&packet)) {
        GstRTCPType type = gst_rtcp_packet_get_type(&packet);
        if (type == GST_RTCP_TYPE_RTPFB && feedbackFormat(packet) == GST_RTCP_RTPFB_TYPE_NACK &&
            gst_rtcp_packet_fb_get_media_ssrc(&packet) == videoSsrc) {
            // Generic NACKs (RFC 4585 section 6.2.1): each FCI names a lost packet (PID)
            // and up to 16 more (BLP bitmask). Viewers send these at once, while their
            // receiver reports may be held back by the early-feedback rules.
            guint8* fci = gst_rtcp_packet_fb_get_fci(&packet);
            guint words = gst_rtcp_packet_fb_get_fci_length(&packet);
            for (guint w = 0; fci && w < words; ++w) {
                guint16 blp = GST_READ_UINT16_BE(fci + 4 * w + 2);
                out.nackedPackets += 1 + static_cast<unsigned>(__builtin_popcount(blp));
            }
            continue;
        }
        if (type == GST_RTCP_TYPE_PSFB) {
            if (isKeyframeRequest(packet, videoSsrc)) ++out.keyframeRequests;
            continue;
        }
        if (type == GST_RTCP_TYPE_SR) {
            guint32 ssrc = 0;
            gst_rtcp_packet_sr_get_sender_info(&packet, &ssrc, nullptr, nullptr, nullptr, nullptr);
            out.senderSsrcs.push_back(ssrc);
        }
        if (type != GST_RTCP_TYPE_RR && type != GST_RTCP_TYPE_SR) continue;
        for (guint i = 0; i < gst_rtcp_packet_get_rb_count(&packet); ++i) {
            guint32 ssrc = 0, exthighest = 0, jitter = 0, lsr = 0, dlsr = 0;
            guint8 fraction = 0;
            gint32 lost = 0;
            gst_rtcp_packet_get_rb(&packet, i, &ssrc, &fraction, &lost, &exthighest, &jitter, &lsr,
                                   &dlsr);
            if (ssrc != videoSsrc) {
                ++out.otherBlocks;
                out.lastOtherSsrc = ssrc;
                continue;
            }
            out.blocks.push_back(RtcpSummary::Block{lost, exthighest, lsr, dlsr});
        }
    }
    gst_rtcp_buffer_unmap(&rtcp);
    return out;
}

guint32 ntpMiddle32(gint64 realTimeUs) {
    guint64 ntpSec = static_cast<guint64>(realTimeUs / G_USEC_PER_SEC) + 2208988800ULL;
    guint64 frac = static_cast<guint64>(realTimeUs % G_USEC_PER_SEC) * 65536 / G_USEC_PER_SEC;
    return static_cast<guint32>(((ntpSec & 0xFFFF) << 16) | frac);
}

double rttMs(guint32 lsr, guint32 dlsr, guint32 now) {
    if (lsr == 0) return 0;
    guint32 rtt = now - lsr - dlsr;
    if (rtt < 65536 * 10) return rtt * 1000.0 / 65536.0;  // Ignore nonsense.
    return 0;
}

}  // namespace mixmeet::media
