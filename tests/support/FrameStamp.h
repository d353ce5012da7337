// A capture-time stamp drawn into video frames as big black/white blocks, for glass-to-glass
// latency through the MCU: the sender draws its monotonic clock (ms) into the top band of each
// raw frame before encoding; a receiver finds it again in the sender's tile of the composite.
// Pure functions over luma samples, no GStreamer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace mixmeet::testing {

/// The barcode: kStampRows rows of kStampColumns cells across the frame (kStampInset clear on
/// either side), each row kStampRowHeight (fraction of the frame height) high, from
/// kStampInset below the top. Cell 0 is white and
/// cell 1 black (the receiver's threshold and contrast check), then 16 bits of the ms clock
/// (least significant first), then a 6-bit CRC over those 16 bits. At a 5x5 grid of a
/// 640x360 composite a cell is about 10x7 pixels: big enough to survive VP8 at a few hundred
/// kbps and two rescales.
constexpr int kStampColumns = 12;
constexpr int kStampRows = 2;
constexpr double kStampRowHeight = 0.1;
constexpr int kStampBits = 16;
/// The band keeps this share of the frame's width and height clear of it on its left, right
/// and top: the server centre-crops a camera to its tile's aspect (4:3 to 16:9) by at most an
/// eighth on each side, so the whole band stays in the tile.
constexpr double kStampInset = 0.125;
/// The stamp wraps every 65.536 s; latencies are far below that.
constexpr std::uint32_t kStampModulo = 1u << kStampBits;

/// A view of one 8-bit luma-like channel: pixel (x, y) is data[y * stride + x * pixelStride].
/// For I420 the Y plane (pixelStride 1); for packed RGBx the G byte (pixelStride 4), which is
/// close enough to luma for black and white blocks.
struct LumaView {
    std::uint8_t* data = nullptr;
    int width = 0;
    int height = 0;
    int stride = 0;
    int pixelStride = 1;
};

/// A rectangle in a frame, pixels.
struct PixelRect {
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;
};

/// Draws `ms` (only its low 16 bits are kept) into the top band of the whole frame: white 235,
/// black 16 (video range). The caller neutralises chroma in the band if it has any (see
/// stampBandHeight) so the blocks stay grey.
void drawStamp(const LumaView& frame, std::uint64_t ms);

/// The first row and the height in pixels of the band drawStamp covers in a frame `height`
/// pixels high.
int stampBandTop(int height);
int stampBandHeight(int height);

/// Reads a stamp from `area` of `frame` (a whole frame, or a tile of a composite). Returns the
/// 16-bit value, or nothing when the calibration cells lack contrast or the CRC fails (no
/// stamp there, a tile in transition, a frame damaged by loss).
std::optional<std::uint32_t> readStamp(const LumaView& frame, const PixelRect& area);

/// Where a sender's frame of srcWidth x srcHeight lands inside a `tile` when it is scaled with
/// its aspect ratio kept and centred (videoscale add-borders=true).
PixelRect contentRect(const PixelRect& tile, int srcWidth, int srcHeight);

/// Where a sender's whole frame of srcWidth x srcHeight lies (partly outside `tile`) when the
/// server centre-crops it to the tile's aspect and scales it to fill the tile (camera tiles):
/// pass this to readStamp for such a tile.
PixelRect coverRect(const PixelRect& tile, int srcWidth, int srcHeight);

/// Milliseconds from a 16-bit stamp to `nowMs` (same clock), modulo the stamp's wrap.
std::uint32_t stampAgeMs(std::uint32_t stamp, std::uint64_t nowMs);

/// The p-quantile (0..1, nearest rank) of `values`; 0 for none. Takes a copy to sort.
double percentile(std::vector<double> values, double p);

}  // namespace mixmeet::testing
