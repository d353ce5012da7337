#include <gst/gst.h>
#include <gst/rtp/gstrtcpbuffer.h>
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "core/GstPtr.h"
#include "media/Remb.h"

using namespace mixmeet::media;

namespace {
/// Builds an RTCP buffer with one REMB and returns it (the caller unrefs).
GstBuffer* build(uint32_t sender, uint64_t bps, const std::vector<uint32_t>& ssrcs) {
    GstBuffer* buf = gst_rtcp_buffer_new(1200);
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    REQUIRE(gst_rtcp_buffer_map(buf, GST_MAP_READWRITE, &rtcp));
    REQUIRE(appendRemb(rtcp, sender, bps, ssrcs));
    gst_rtcp_buffer_unmap(&rtcp);
    return buf;
}
}  // namespace

TEST_CASE("a REMB packet is PSFB FMT=15 with the draft's FCI", "[remb]") {
    GstBuffer* buf = build(0x11223344, 1500000, {0xAABBCCDD, 0x01020304});
    // The compound is valid RTCP as GStreamer reads it.
    // A valid reduced-size compound (RFC 5506: feedback alone, as rtcp-rsize allows).
    CHECK(gst_rtcp_buffer_validate_reduced(buf));
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    REQUIRE(gst_rtcp_buffer_map(buf, GST_MAP_READ, &rtcp));
    GstRTCPPacket packet;
    REQUIRE(gst_rtcp_buffer_get_first_packet(&rtcp, &packet));
    CHECK(gst_rtcp_packet_get_type(&packet) == GST_RTCP_TYPE_PSFB);
    CHECK(gst_rtcp_packet_fb_get_type(&packet) == GST_RTCP_PSFB_TYPE_AFB);  // FMT 15
    CHECK(gst_rtcp_packet_fb_get_sender_ssrc(&packet) == 0x11223344u);
    CHECK(gst_rtcp_packet_fb_get_media_ssrc(&packet) == 0u);
    // Header (3 words) + "REMB" + Num/Exp/Mantissa + 2 SSRCs = 7 words: length field 6.
    CHECK(gst_rtcp_packet_get_length(&packet) == 6);
    REQUIRE(gst_rtcp_packet_fb_get_fci_length(&packet) == 4);
    const guint8* fci = gst_rtcp_packet_fb_get_fci(&packet);
    CHECK(std::memcmp(fci, "REMB", 4) == 0);
    // 1 500 000 = 187 500 << 3: the smallest exponent with an 18-bit mantissa.
    const uint32_t word = GST_READ_UINT32_BE(fci + 4);
    CHECK(word >> 24 == 2u);             // Num SSRC
    CHECK((word >> 18 & 0x3f) == 3u);    // BR Exp
    CHECK((word & 0x3ffff) == 187500u);  // BR Mantissa
    CHECK(GST_READ_UINT32_BE(fci + 8) == 0xAABBCCDDu);
    CHECK(GST_READ_UINT32_BE(fci + 12) == 0x01020304u);

    auto remb = parseRemb(packet);
    REQUIRE(remb);
    CHECK(remb->bitrateBps == 1500000u);
    CHECK(remb->exponent == 3);
    CHECK(remb->mantissa == 187500u);
    CHECK(remb->senderSsrc == 0x11223344u);
    CHECK(remb->ssrcs == std::vector<uint32_t>{0xAABBCCDD, 0x01020304});
    CHECK_FALSE(gst_rtcp_packet_move_to_next(&packet));
    gst_rtcp_buffer_unmap(&rtcp);
    gst_buffer_unref(buf);
}

TEST_CASE("REMB bitrates: exact below 2^18, rounded down by less than 2^exp above", "[remb]") {
    struct Case {
        uint64_t bps;
        uint8_t exponent;
        uint32_t mantissa;
    };
    for (const Case& c : {Case{0, 0, 0}, Case{30000, 0, 30000}, Case{262143, 0, 262143},
                          Case{262144, 1, 131072}, Case{1200001, 3, 150000},
                          Case{20000000, 7, 156250}, Case{(1ull << 40) + 5, 23, 131072}}) {
        INFO(c.bps << " bps");
        GstBuffer* buf = build(1, c.bps, {7});
        GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
        REQUIRE(gst_rtcp_buffer_map(buf, GST_MAP_READ, &rtcp));
        GstRTCPPacket packet;
        REQUIRE(gst_rtcp_buffer_get_first_packet(&rtcp, &packet));
        auto remb = parseRemb(packet);
        REQUIRE(remb);
        CHECK(remb->exponent == c.exponent);
        CHECK(remb->mantissa == c.mantissa);
        CHECK(remb->bitrateBps <= c.bps);
        CHECK(c.bps - remb->bitrateBps < (uint64_t{1} << remb->exponent));
        gst_rtcp_buffer_unmap(&rtcp);
        gst_buffer_unref(buf);
    }
}

TEST_CASE("REMB is appended after the packets already in a compound; other PSFB is not REMB",
          "[remb]") {
    GstBuffer* buf = gst_rtcp_buffer_new(1200);
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    REQUIRE(gst_rtcp_buffer_map(buf, GST_MAP_READWRITE, &rtcp));
    GstRTCPPacket rr;
    REQUIRE(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_RR, &rr));
    gst_rtcp_packet_rr_set_ssrc(&rr, 5);
    GstRTCPPacket pli;
    REQUIRE(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_PSFB, &pli));
    gst_rtcp_packet_fb_set_type(&pli, GST_RTCP_PSFB_TYPE_PLI);
    REQUIRE(appendRemb(rtcp, 5, 64000, {}));
    gst_rtcp_buffer_unmap(&rtcp);
    CHECK(gst_rtcp_buffer_validate(buf));

    REQUIRE(gst_rtcp_buffer_map(buf, GST_MAP_READ, &rtcp));
    GstRTCPPacket p;
    REQUIRE(gst_rtcp_buffer_get_first_packet(&rtcp, &p));
    CHECK_FALSE(parseRemb(p));  // RR
    REQUIRE(gst_rtcp_packet_move_to_next(&p));
    CHECK_FALSE(parseRemb(p));  // PLI
    REQUIRE(gst_rtcp_packet_move_to_next(&p));
    auto remb = parseRemb(p);
    REQUIRE(remb);
    CHECK(remb->bitrateBps == 64000u);
    CHECK(remb->ssrcs.empty());
    gst_rtcp_buffer_unmap(&rtcp);
    gst_buffer_unref(buf);
}

TEST_CASE("a full compound has no room for a REMB", "[remb]") {
    GstBuffer* buf = gst_rtcp_buffer_new(16);  // room for a header and one word only
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    REQUIRE(gst_rtcp_buffer_map(buf, GST_MAP_READWRITE, &rtcp));
    const std::vector<uint32_t> ssrcs{1, 2, 3};
    CHECK_FALSE(appendRemb(rtcp, 1, 100000, ssrcs));
    gst_rtcp_buffer_unmap(&rtcp);
    gst_buffer_unref(buf);
}
