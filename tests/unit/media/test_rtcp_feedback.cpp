#include <gst/gst.h>
#include <gst/rtp/gstrtcpbuffer.h>
#include <catch2/catch.hpp>

#include <cstdint>

#include "media/RtcpFeedback.h"

using namespace mixmeet::media;

namespace {
constexpr guint32 kOurs = 0x11111111;   // our video SSRC to the viewer
constexpr guint32 kOther = 0x22222222;  // e.g. our audio SSRC
constexpr guint32 kViewer = 0x33333333;

/// An RTCP buffer the test fills through `fill` (the caller unrefs).
template <typename Fill>
GstBuffer* rtcpBuffer(Fill fill) {
    GstBuffer* buf = gst_rtcp_buffer_new(1400);
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    REQUIRE(gst_rtcp_buffer_map(buf, GST_MAP_READWRITE, &rtcp));
    fill(rtcp);
    gst_rtcp_buffer_unmap(&rtcp);
    return buf;
}

void addRr(GstRTCPBuffer& rtcp, guint32 about, gint32 lost, guint32 highest, guint32 lsr,
           guint32 dlsr) {
    GstRTCPPacket p;
    REQUIRE(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_RR, &p));
    gst_rtcp_packet_rr_set_ssrc(&p, kViewer);
    REQUIRE(gst_rtcp_packet_add_rb(&p, about, 0, lost, highest, 0, lsr, dlsr));
}

void addFb(GstRTCPBuffer& rtcp, GstRTCPType type, GstRTCPFBType fb, guint32 media,
           std::initializer_list<guint32> fciWords) {
    GstRTCPPacket p;
    REQUIRE(gst_rtcp_buffer_add_packet(&rtcp, type, &p));
    gst_rtcp_packet_fb_set_type(&p, fb);
    gst_rtcp_packet_fb_set_sender_ssrc(&p, kViewer);
    gst_rtcp_packet_fb_set_media_ssrc(&p, media);
    if (fciWords.size() == 0) return;
    REQUIRE(gst_rtcp_packet_fb_set_fci_length(&p, static_cast<guint16>(fciWords.size())));
    guint8* fci = gst_rtcp_packet_fb_get_fci(&p);
    for (guint32 w : fciWords) {
        GST_WRITE_UINT32_BE(fci, w);
        fci += 4;
    }
}
}  // namespace

TEST_CASE("receiver-report blocks about our video are kept, others counted", "[rtcp]") {
    GstBuffer* buf = rtcpBuffer([](GstRTCPBuffer& rtcp) {
        addRr(rtcp, kOther, 7, 5000, 0, 0);
        addRr(rtcp, kOurs, 12, 70000, 0x12345678, 0x00010000);
    });
    auto s = parseRtcp(buf, kOurs);
    gst_buffer_unref(buf);
    REQUIRE(s);
    REQUIRE(s->blocks.size() == 1);
    CHECK(s->blocks[0].cumulativeLost == 12);
    CHECK(s->blocks[0].extHighestSeq == 70000);
    CHECK(s->blocks[0].lsr == 0x12345678);
    CHECK(s->blocks[0].dlsr == 0x00010000);
    CHECK(s->otherBlocks == 1);
    CHECK(s->lastOtherSsrc == kOther);
    CHECK(s->nackedPackets == 0);
    CHECK(s->keyframeRequests == 0);
    CHECK(s->senderSsrcs.empty());
}

TEST_CASE("sender reports name the participant's SSRCs and may carry report blocks", "[rtcp]") {
    GstBuffer* buf = rtcpBuffer([](GstRTCPBuffer& rtcp) {
        GstRTCPPacket p;
        REQUIRE(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_SR, &p));
        gst_rtcp_packet_sr_set_sender_info(&p, 0xAAAA0001, 0, 0, 10, 1000);
        REQUIRE(gst_rtcp_packet_add_rb(&p, kOurs, 0, 3, 100, 0, 0, 0));
        REQUIRE(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_SR, &p));
        gst_rtcp_packet_sr_set_sender_info(&p, 0xAAAA0002, 0, 0, 10, 1000);
    });
    auto s = parseRtcp(buf, kOurs);
    gst_buffer_unref(buf);
    REQUIRE(s);
    CHECK(s->senderSsrcs == std::vector<guint32>{0xAAAA0001, 0xAAAA0002});
    REQUIRE(s->blocks.size() == 1);
    CHECK(s->blocks[0].cumulativeLost == 3);
    CHECK(s->blocks[0].extHighestSeq == 100);
}

TEST_CASE("generic NACKs about our video count the PID and each BLP bit", "[rtcp]") {
    GstBuffer* buf = rtcpBuffer([](GstRTCPBuffer& rtcp) {
        // PID 100 + 3 more; PID 200 alone.
        addFb(rtcp, GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, kOurs,
              {(100u << 16) | 0x0007u, (200u << 16) | 0x0000u});
        // About another SSRC: not counted.
        addFb(rtcp, GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, kOther, {(5u << 16) | 0xFFFFu});
    });
    auto s = parseRtcp(buf, kOurs);
    gst_buffer_unref(buf);
    REQUIRE(s);
    CHECK(s->nackedPackets == 4 + 1);
}

TEST_CASE("PLI about our video and FIR naming it are keyframe requests", "[rtcp]") {
    GstBuffer* buf = rtcpBuffer([](GstRTCPBuffer& rtcp) {
        addFb(rtcp, GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI, kOurs, {});
        addFb(rtcp, GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI, kOther, {});
        // FIR: media SSRC unused (0); FCI entries are (SSRC, seq nr + reserved).
        addFb(rtcp, GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_FIR, 0,
              {kOther, 1u << 24, kOurs, 2u << 24});
        addFb(rtcp, GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_FIR, kOurs, {kOther, 3u << 24});
    });
    auto s = parseRtcp(buf, kOurs);
    gst_buffer_unref(buf);
    REQUIRE(s);
    CHECK(s->keyframeRequests == 2);
}

TEST_CASE("an empty buffer says nothing, no buffer is refused", "[rtcp]") {
    GstBuffer* buf = gst_buffer_new_allocate(nullptr, 0, nullptr);
    auto s = parseRtcp(buf, kOurs);
    gst_buffer_unref(buf);
    REQUIRE(s);
    CHECK(s->blocks.empty());
    CHECK(s->nackedPackets == 0);
    CHECK(s->keyframeRequests == 0);
    CHECK(s->senderSsrcs.empty());
    CHECK(s->otherBlocks == 0);
    CHECK_FALSE(parseRtcp(nullptr, kOurs));
}

TEST_CASE("RTT is A - LSR - DLSR in 1/65536 s, nonsense ignored", "[rtcp]") {
    // 0.5 s after our SR, of which the viewer held the report 0.25 s: 250 ms round trip.
    const guint32 lsr = 0x10000000;
    CHECK(rttMs(lsr, 0x4000, lsr + 0x8000) == Approx(250.0));
    CHECK(rttMs(0, 0x4000, lsr + 0x8000) == 0);    // no SR received yet
    CHECK(rttMs(lsr, 0x9000, lsr + 0x8000) == 0);  // negative
    CHECK(rttMs(lsr, 0, lsr + 65536 * 11) == 0);   // 11 s
    // NTP middle bits: 1970 is 2208988800 s after 1900; 0.5 s is 0x8000.
    CHECK(ntpMiddle32(500000) == (((2208988800ULL & 0xFFFF) << 16) | 0x8000));
}

TEST_CASE("a feedback packet with an unknown FMT is ignored (fuzz finding)", "[rtcp][fuzz]") {
    // tests/fuzz/fuzz_rtcp.cpp's first finding: a PSFB with FMT 24, then a REMB, about SSRC
    // 0x11203344. Reading FMT 24 into GstRTCPFBType was undefined behaviour (UBSan: "load of
    // value 24, which is not a valid value for type 'const GstRTCPFBType'"); the sanitizer
    // build (scripts/sanitize.sh) halts on it.
    static const guint8 packet[] = {0x98, 0xce, 0x00, 0x05, 0x00, 0x00, 0xaa, 0xaa,
                                    0x11, 0x22, 0x33, 0x44, 0x8f, 0xce, 0x00, 0x05,
                                    0x00, 0x00, 0x00, 0xaa, 0xaa, 0x00, 0x00, 0x00};
    GstBuffer* buf = gst_buffer_new_memdup(packet, sizeof packet);
    auto s = parseRtcp(buf, 0x11203344);
    gst_buffer_unref(buf);
    REQUIRE(s);
    CHECK(s->keyframeRequests == 0);
    CHECK(s->nackedPackets == 0);
}
