// RTCP compound packets viewers send about our video (media/RtcpFeedback), and REMB packets
// (media/Remb). Input: 4 bytes of our video SSRC, then the packet.
#include <gst/gst.h>
#include <gst/rtp/gstrtcpbuffer.h>

#include "FuzzInput.h"
#include "media/Remb.h"
#include "media/RtcpFeedback.h"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    gst_init(argc, argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    guint32 ssrc = GST_READ_UINT32_BE(data);
    // An empty packet is a plain empty buffer (gst_buffer_new_memdup() refuses 0 bytes with a
    // critical and hands back a buffer with no memory: a crash in the harness, not the parser).
    GstBuffer* buffer = size > 4 ? gst_buffer_new_memdup(data + 4, size - 4) : gst_buffer_new();
    (void)mixmeet::media::parseRtcp(buffer, ssrc);
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    if (gst_rtcp_buffer_map(buffer, GST_MAP_READ, &rtcp)) {
        GstRTCPPacket packet;
        for (gboolean more = gst_rtcp_buffer_get_first_packet(&rtcp, &packet); more;
             more = gst_rtcp_packet_move_to_next(&packet))
            (void)mixmeet::media::parseRemb(packet);
        gst_rtcp_buffer_unmap(&rtcp);
    }
    gst_buffer_unref(buffer);
    return 0;
}
