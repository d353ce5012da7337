#include "media/Remb.h"

#include <cstring>

namespace mixmeet::media {

namespace {
constexpr uint32_t kMantissaBits = 18;
constexpr uint32_t kMaxMantissa = (1u << kMantissaBits) - 1;
constexpr uint8_t kMaxExponent = 63;  // 6 bits
constexpr guint kFixedFciWords = 2;   // "REMB", then Num SSRC | BR Exp | BR Mantissa
}  // namespace

bool appendRemb(GstRTCPBuffer& rtcp, uint32_t senderSsrc, uint64_t bitrateBps,
                std::span<const uint32_t> ssrcs) {
    if (ssrcs.size() > 255) ssrcs = ssrcs.first(255);
    uint8_t exponent = 0;
    uint64_t mantissa = bitrateBps;
    while (mantissa > kMaxMantissa && exponent < kMaxExponent) {
        mantissa >>= 1;
        ++exponent;
    }
    GstRTCPPacket packet;
    if (!gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_PSFB, &packet)) return false;
    gst_rtcp_packet_fb_set_type(&packet, GST_RTCP_PSFB_TYPE_AFB);
    gst_rtcp_packet_fb_set_sender_ssrc(&packet, senderSsrc);
    gst_rtcp_packet_fb_set_media_ssrc(&packet, 0);  // draft section 2.2: always 0
    const auto words = static_cast<guint16>(kFixedFciWords + ssrcs.size());
    if (!gst_rtcp_packet_fb_set_fci_length(&packet, words)) {
        gst_rtcp_packet_remove(&packet);
        return false;
    }
    guint8* fci = gst_rtcp_packet_fb_get_fci(&packet);
    std::memcpy(fci, "REMB", 4);
    GST_WRITE_UINT32_BE(fci + 4, static_cast<uint32_t>(ssrcs.size()) << 24 |
                                     static_cast<uint32_t>(exponent) << kMantissaBits |
                                     static_cast<uint32_t>(mantissa));
    for (std::size_t i = 0; i < ssrcs.size(); ++i) GST_WRITE_UINT32_BE(fci + 8 + 4 * i, ssrcs[i]);
    return true;
}

std::optional<Remb> parseRemb(GstRTCPPacket& packet) {
    if (gst_rtcp_packet_get_type(&packet) != GST_RTCP_TYPE_PSFB ||
        gst_rtcp_packet_fb_get_type(&packet) != GST_RTCP_PSFB_TYPE_AFB)
        return std::nullopt;
    const guint words = gst_rtcp_packet_fb_get_fci_length(&packet);
    const guint8* fci = gst_rtcp_packet_fb_get_fci(&packet);
    if (!fci || words < kFixedFciWords || std::memcmp(fci, "REMB", 4) != 0) return std::nullopt;
    const uint32_t word = GST_READ_UINT32_BE(fci + 4);
    Remb r;
    r.senderSsrc = gst_rtcp_packet_fb_get_sender_ssrc(&packet);
    const guint count = word >> 24;
    r.exponent = static_cast<uint8_t>(word >> kMantissaBits & 0x3f);
    r.mantissa = word & kMaxMantissa;
    r.bitrateBps = static_cast<uint64_t>(r.mantissa) << r.exponent;
    if (words < kFixedFciWords + count) return std::nullopt;
    for (guint i = 0; i < count; ++i) r.ssrcs.push_back(GST_READ_UINT32_BE(fci + 8 + 4 * i));
    return r;
}

}  // namespace mixmeet::media
