#include "FrameStamp.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace mixmeet::testing {

namespace {

constexpr int kCells = kStampColumns * kStampRows;
constexpr int kCrcBits = 6;
static_assert(2 + kStampBits + kCrcBits == kCells, "calibration + data + CRC fill the band");
constexpr std::uint8_t kWhite = 235;
constexpr std::uint8_t kBlack = 16;

/// CRC-6-ITU (x^6 + x + 1) over the low kStampBits of `value`, most significant bit first.
std::uint32_t crc6(std::uint32_t value) {
    std::uint32_t crc = 0;
    for (int i = kStampBits - 1; i >= 0; --i) {
        const std::uint32_t bit = (value >> i) & 1u;
        const std::uint32_t top = (crc >> (kCrcBits - 1)) & 1u;
        crc = (crc << 1) & ((1u << kCrcBits) - 1);
        if (bit ^ top) crc ^= 0x03;
    }
    return crc;
}

/// The 24 cell values (1 white, 0 black) for a stamp.
std::array<int, kCells> cellsFor(std::uint32_t value) {
    std::array<int, kCells> cells{};
    cells[0] = 1;
    cells[1] = 0;
    for (int i = 0; i < kStampBits; ++i) cells[std::size_t(2 + i)] = int((value >> i) & 1u);
    const std::uint32_t crc = crc6(value);
    for (int i = 0; i < kCrcBits; ++i)
        cells[std::size_t(2 + kStampBits + i)] = int((crc >> i) & 1u);
    return cells;
}

/// Cell `i`'s rectangle for a frame that covers `area`: the band starts kStampInset of the
/// height from the top and spans the width less kStampInset on either side.
PixelRect cellRect(const PixelRect& area, int i) {
    const int row = i / kStampColumns, col = i % kStampColumns;
    const int rowH = std::max(1, int(std::lround(area.height * kStampRowHeight)));
    const int left = area.x + int(area.width * kStampInset);
    const int width = area.width - 2 * int(area.width * kStampInset);
    const int x0 = left + col * width / kStampColumns;
    const int x1 = left + (col + 1) * width / kStampColumns;
    return {x0, area.y + int(area.height * kStampInset) + row * rowH, x1 - x0, rowH};
}

}  // namespace

int stampBandTop(int height) {
    return int(height * kStampInset);
}

int stampBandHeight(int height) {
    return kStampRows * std::max(1, int(std::lround(height * kStampRowHeight)));
}

void drawStamp(const LumaView& frame, std::uint64_t ms) {
    const auto cells = cellsFor(std::uint32_t(ms % kStampModulo));
    const PixelRect whole{0, 0, frame.width, frame.height};
    for (int i = 0; i < kCells; ++i) {
        const PixelRect r = cellRect(whole, i);
        const std::uint8_t v = cells[std::size_t(i)] ? kWhite : kBlack;
        for (int y = r.y; y < std::min(r.y + r.height, frame.height); ++y) {
            std::uint8_t* row = frame.data + std::ptrdiff_t(y) * frame.stride;
            for (int x = r.x; x < std::min(r.x + r.width, frame.width); ++x)
                row[std::ptrdiff_t(x) * frame.pixelStride] = v;
        }
    }
}

std::optional<std::uint32_t> readStamp(const LumaView& frame, const PixelRect& area) {
    if (area.width < kStampColumns || area.height < 10) return std::nullopt;
    std::array<double, kCells> means{};
    for (int i = 0; i < kCells; ++i) {
        const PixelRect c = cellRect(area, i);
        // The inner half of the cell: edges blur in the codec and the scalers.
        const int x0 = std::max(0, c.x + c.width / 4);
        const int x1 = std::min(frame.width, std::max(x0 + 1, c.x + c.width - c.width / 4));
        const int y0 = std::max(0, c.y + c.height / 4);
        const int y1 = std::min(frame.height, std::max(y0 + 1, c.y + c.height - c.height / 4));
        if (x1 <= x0 || y1 <= y0) return std::nullopt;
        double sum = 0;
        for (int y = y0; y < y1; ++y) {
            const std::uint8_t* row = frame.data + std::ptrdiff_t(y) * frame.stride;
            for (int x = x0; x < x1; ++x) sum += row[std::ptrdiff_t(x) * frame.pixelStride];
        }
        means[std::size_t(i)] = sum / double((x1 - x0) * (y1 - y0));
    }
    const double white = means[0], black = means[1];
    if (white - black < 80) return std::nullopt;
    const double mid = (white + black) / 2, margin = (white - black) / 4;
    std::array<int, kCells> cells{};
    for (int i = 2; i < kCells; ++i) {
        const double v = means[std::size_t(i)];
        if (std::abs(v - mid) < margin) return std::nullopt;  // neither black nor white
        cells[std::size_t(i)] = v > mid ? 1 : 0;
    }
    std::uint32_t value = 0;
    for (int i = 0; i < kStampBits; ++i) value |= std::uint32_t(cells[std::size_t(2 + i)]) << i;
    std::uint32_t crc = 0;
    for (int i = 0; i < kCrcBits; ++i)
        crc |= std::uint32_t(cells[std::size_t(2 + kStampBits + i)]) << i;
    if (crc != crc6(value)) return std::nullopt;
    return value;
}

PixelRect contentRect(const PixelRect& tile, int srcWidth, int srcHeight) {
    if (srcWidth <= 0 || srcHeight <= 0) return tile;
    int w = tile.width;
    int h = int(std::int64_t(tile.width) * srcHeight / srcWidth);
    if (h > tile.height) {
        h = tile.height;
        w = int(std::int64_t(tile.height) * srcWidth / srcHeight);
    }
    return {tile.x + (tile.width - w) / 2, tile.y + (tile.height - h) / 2, w, h};
}

PixelRect coverRect(const PixelRect& tile, int srcWidth, int srcHeight) {
    if (srcWidth <= 0 || srcHeight <= 0) return tile;
    // The larger scale of the two: the frame covers the tile, the excess is cut equally.
    int w = tile.width;
    int h = int(std::int64_t(tile.width) * srcHeight / srcWidth);
    if (h < tile.height) {
        h = tile.height;
        w = int(std::int64_t(tile.height) * srcWidth / srcHeight);
    }
    return {tile.x + (tile.width - w) / 2, tile.y + (tile.height - h) / 2, w, h};
}

std::uint32_t stampAgeMs(std::uint32_t stamp, std::uint64_t nowMs) {
    return std::uint32_t((nowMs + kStampModulo - stamp % kStampModulo) % kStampModulo);
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0.0;
    std::sort(values.begin(), values.end());
    const double rank = std::ceil(std::clamp(p, 0.0, 1.0) * double(values.size()));
    const std::size_t i = std::size_t(std::max(1.0, rank)) - 1;
    return values[std::min(i, values.size() - 1)];
}

}  // namespace mixmeet::testing
