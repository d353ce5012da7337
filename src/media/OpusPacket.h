// What an Opus packet says about its sound without decoding it (RFC 6716, section 3.1: the
// TOC byte and the frame count). Used for senders that write no RFC 6464 level: a packet whose
// frames are no bigger than libopus's coding of digital silence (3 bytes a frame: the muted
// or zeroed microphone a client without levels sends when it ignores DTX), or a DTX packet,
// is silence, so that sender need not be decoded. Anything larger may be sound at any level:
// Opus VBR spends about as many bytes on -60 dBFS noise as on speech (measured: 62 bytes a
// 20 ms frame at 32 kbps for both), so the size ranks nothing beyond silent/not silent.
// Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace mixmeet::media {

/// Frames in an Opus packet (RFC 6716 section 3.1, TOC code c: 0 one, 1 and 2 two, 3 the
/// count in the second byte); 0 for an empty or malformed packet.
int opusFrameCount(std::span<const std::uint8_t> payload);

/// True if `payload` (an RTP packet's Opus payload) carries no sound: empty, a DTX packet
/// (at most 2 bytes, RFC 6716 section 2.1.9), or at most kOpusSilenceFrameBytes per frame.
/// A malformed packet is not silence (it is left to the decoder).
bool isOpusSilence(std::span<const std::uint8_t> payload);

/// The largest frame, in bytes including its share of the TOC, libopus emits for digital
/// silence (measured with libopus 1.3.1 at 16-510 kbps: 3 bytes per 20 ms frame).
inline constexpr std::size_t kOpusSilenceFrameBytes = 3;

}  // namespace mixmeet::media
