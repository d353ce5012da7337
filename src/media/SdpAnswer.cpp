#include "media/SdpAnswer.h"

namespace mixmeet::media {

core::Result<SdpAnswer> parseSdpAnswer(const std::string& sdp) {
    GstSDPMessage* raw = nullptr;
    if (gst_sdp_message_new_from_text(sdp.c_str(), &raw) != GST_SDP_OK || !raw)
        return core::makeError("bad-sdp", "the answer is not valid SDP");
    SdpAnswer answer{SdpMessagePtr(raw), false};
    if (gst_sdp_message_medias_len(raw) != 2 || !gst_sdp_message_get_version(raw))
        return core::makeError("bad-sdp", "the answer must have the offer's two m-lines");
    const GstSDPMedia* video = gst_sdp_message_get_media(raw, 1);
    answer.sendsNoVideo = gst_sdp_media_get_attribute_val(video, "recvonly") ||
                          gst_sdp_media_get_attribute_val(video, "inactive") ||
                          gst_sdp_media_get_port(video) == 0;
    return answer;
}

}  // namespace mixmeet::media
