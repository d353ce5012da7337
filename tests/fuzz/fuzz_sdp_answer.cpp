// SDP answers from `answer` messages: the checks before webrtcbin sees them (media/SdpAnswer).
#include "FuzzInput.h"
#include "media/SdpAnswer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    std::string sdp(mixmeet::fuzz::text(data, size));
    auto answer = mixmeet::media::parseSdpAnswer(sdp);
    if (answer && !answer.value().message) __builtin_trap();
    return 0;
}
