#include "media/OpusPacket.h"

namespace mixmeet::media {

int opusFrameCount(std::span<const std::uint8_t> payload) {
    if (payload.empty()) return 0;
    switch (payload[0] & 0x3) {
        case 0:
            return 1;
        case 1:
        case 2:
            return 2;
        default:
            // Code 3: frame count in the low 6 bits of the second byte (RFC 6716 section 3.2.5);
            // 0 frames is invalid.
            return payload.size() < 2 ? 0 : payload[1] & 0x3f;
    }
}

bool isOpusSilence(std::span<const std::uint8_t> payload) {
    if (payload.size() <= 2) return true;  // Empty or DTX (RFC 6716 section 2.1.9).
    const int frames = opusFrameCount(payload);
    if (frames <= 0) return false;
    return payload.size() <= kOpusSilenceFrameBytes * static_cast<std::size_t>(frames);
}

}  // namespace mixmeet::media
