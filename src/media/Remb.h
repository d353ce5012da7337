// REMB, "receiver estimated maximum bitrate" (draft-alvestrand-rmcat-remb-03): an RTCP
// payload-specific feedback message (PT=206, FMT=15, application layer feedback) with which a
// receiver tells a sender the most it should send. Every browser's WebRTC stack obeys it when
// the answer keeps `a=rtcp-fb:* goog-remb`: its encoder lowers bitrate and then resolution.
// The server uses it to cap each sender to its tile (the send-hint's maxBitrate) even when the
// client ignores send-hint. Pure packet code over GStreamer's RTCP buffer API.
#pragma once

#include <gst/rtp/gstrtcpbuffer.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace mixmeet::media {

struct Remb {
    uint32_t senderSsrc = 0;      ///< SSRC of the packet sender (the server's stream).
    uint64_t bitrateBps = 0;      ///< The maximum, bps (as decoded: mantissa << exponent).
    std::vector<uint32_t> ssrcs;  ///< The sender's media SSRCs the estimate applies to.
    uint8_t exponent = 0;         ///< BR Exp, 6 bits.
    uint32_t mantissa = 0;        ///< BR Mantissa, 18 bits.
};

/// Appends a REMB packet to the RTCP compound `rtcp` (mapped for writing): common header
/// PT=206 FMT=15, packet sender SSRC `senderSsrc`, media source SSRC 0, then the FCI:
/// "REMB", Num SSRC (8 bits), BR Exp (6 bits), BR Mantissa (18 bits), the SSRC list. The
/// bitrate is encoded with the smallest exponent whose mantissa fits 18 bits (so it is rounded
/// down by less than 2^exp bps). At most 255 SSRCs. false if the buffer has no room.
bool appendRemb(GstRTCPBuffer& rtcp, uint32_t senderSsrc, uint64_t bitrateBps,
                std::span<const uint32_t> ssrcs);

/// The REMB in `packet`, if it is one (PSFB, FMT=15, FCI starting "REMB" and long enough for
/// its SSRC count).
std::optional<Remb> parseRemb(GstRTCPPacket& packet);

}  // namespace mixmeet::media
