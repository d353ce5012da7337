// The checks a client's SDP answer must pass before webrtcbin sees it (WebRtcPeer::applyAnswer).
// Pure: parses text, no GStreamer elements; safe to call from any thread.
#pragma once

#include <gst/sdp/sdp.h>

#include <memory>
#include <string>

#include "core/Result.h"

namespace mixmeet::media {

struct SdpMessageFree {
    void operator()(GstSDPMessage* m) const { gst_sdp_message_free(m); }
};
using SdpMessagePtr = std::unique_ptr<GstSDPMessage, SdpMessageFree>;

/// A parsed answer that has our offer's shape.
struct SdpAnswer {
    SdpMessagePtr message;
    /// The answer sends us no video (recvonly, inactive or port 0 on the video m-line).
    bool sendsNoVideo = false;
    /// The screen m-line (kScreenMline) is video answered sendonly/sendrecv: the participant
    /// may share a screen.
    bool canShareScreen = false;
};

/// Parses `sdp` (text up to its first NUL). Error "bad-sdp" if it is not SDP or does not have
/// exactly the offer's three m-lines (audio, video, screen) and a version line.
core::Result<SdpAnswer> parseSdpAnswer(const std::string& sdp);

}  // namespace mixmeet::media
