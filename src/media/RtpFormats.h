// The RTP formats the server offers every participant (docs/protocol.md, "The offer, line by
// line"): payload types, the caps of what we send and the codec preferences of each m-line.
#pragma once

#include <gst/gst.h>

#include "core/GstPtr.h"

namespace mixmeet::media {

// Payload types the server offers (docs/protocol.md). Dynamic range, RFC 3551 section 6.
inline constexpr int kOpusPt = 111;
inline constexpr int kVp8Pt = 96;

inline constexpr const char* kAudioCaps =
    "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111,"
    "encoding-params=(string)2";
// What we offer on the audio m-line. fmtp (RFC 7587 section 7): usedtx=1 asks each sender for
// discontinuous transmission, so a participant who is silent or muted sends one packet per
// 400 ms instead of 50 per second and costs the server almost nothing to receive and decode;
// useinbandfec=1 asks for in-band FEC, which opusdec uses on a lost packet.
// extmap 1: RFC 6464 client-to-mixer audio level, which browsers then write into every audio
// packet; the mixer decodes only the loudest senders (AudioAdmission).
inline constexpr int kAudioLevelExtId = 1;
inline constexpr const char* kAudioPrefCaps =
    "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111,"
    "encoding-params=(string)2,useinbandfec=(string)1,usedtx=(string)1,"
    "extmap-1=(string)urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr const char* kVideoSendCaps =
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96";
// What we offer on the video m-line: VP8 only, both ways (docs/protocol.md, "The offer, line
// by line"; an H.264 entry here is not offered: webrtcbin 1.22 intersects the preferences with
// the payloader's VP8 caps, and a sendrecv H.264 answer would need an H.264 composite).
// rtcp-fb: PLI/FIR so viewers can ask the shared encoder for keyframes and we can ask
// senders; NACK for retransmission (video only: on audio Chrome rejects the RTX group).
// goog-remb is added to the offer text (WebRtcPeer): webrtcbin 1.22 does not carry an
// rtcp-fb-goog-remb caps field into the offer.
inline constexpr const char* kVideoPrefCaps =
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96,"
    "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true,rtcp-fb-nack=(boolean)true";
// m-line 2, the screen share (docs/protocol.md, "Screen sharing"): VP8 the client sends and the
// server receives (server side recvonly), with its own payload type so that on the bundled
// transport its packets are told from the camera's by payload type alone.
inline constexpr int kScreenPt = 98;
inline constexpr const char* kScreenPrefCaps =
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=98,"
    "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true,rtcp-fb-nack=(boolean)true";
/// The m-line index of the screen share.
inline constexpr int kScreenMline = 2;
static_assert(kOpusPt == 111 && kVp8Pt == 96 && kScreenPt == 98, "see the caps strings");

/// Caps from their text form (one of the above, or AudioMixer::kCaps).
inline core::CapsPtr rtpCaps(const char* text) {
    return core::CapsPtr(gst_caps_from_string(text));
}

}  // namespace mixmeet::media
