#include "media/SdpAnswer.h"

#include "media/RtpFormats.h"

namespace mixmeet::media {

core::Result<SdpAnswer> parseSdpAnswer(const std::string& sdp) {
    GstSDPMessage* raw = nullptr;
    if (gst_sdp_message_new_from_text(sdp.c_str(), &raw) != GST_SDP_OK || !raw)
        return core::makeError("bad-sdp", "the answer is not valid SDP");
    SdpAnswer answer{SdpMessagePtr(raw), false, false};
    if (gst_sdp_message_medias_len(raw) != 3 || !gst_sdp_message_get_version(raw))
        return core::makeError("bad-sdp", "the answer must have the offer's three m-lines");
    const GstSDPMedia* video = gst_sdp_message_get_media(raw, 1);
    answer.sendsNoVideo = gst_sdp_media_get_attribute_val(video, "recvonly") ||
                          gst_sdp_media_get_attribute_val(video, "inactive") ||
                          gst_sdp_media_get_port(video) == 0;
    // Bundled m-lines may carry port 0 (bundle-only): the direction says whether it sends.
    const GstSDPMedia* screen = gst_sdp_message_get_media(raw, kScreenMline);
    answer.canShareScreen = g_strcmp0(gst_sdp_media_get_media(screen), "video") == 0 &&
                            (gst_sdp_media_get_attribute_val(screen, "sendonly") ||
                             gst_sdp_media_get_attribute_val(screen, "sendrecv"));
    return answer;
}

}  // namespace mixmeet::media
