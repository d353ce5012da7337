// Tile geometry of the composite grid. Pure function, no GStreamer.
#pragma once

#include <vector>

namespace mixmeet::media {

/// A rectangle in the output frame, in pixels. x, y, width and height are even (I420 chroma
/// is subsampled 2x2).
struct Rect {
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;
    bool operator==(const Rect&) const = default;
};

/// Grid layout of `count` tiles in an outputWidth x outputHeight frame (pixels).
///
/// Columns = ceil(sqrt(count)), rows = ceil(count / columns): 1 -> 1x1, 2 -> 2x1, 3-4 -> 2x2,
/// 5-6 -> 3x2, 7-9 -> 3x3, ... Each tile keeps the output's aspect ratio and is centred
/// (letterboxed) in its cell; an incomplete last row is centred horizontally. Tiles are
/// returned in reading order (row by row, left to right) and never overlap. count <= 0 or a
/// non-positive size gives no tiles.
std::vector<Rect> gridLayout(int count, int outputWidth, int outputHeight);

}  // namespace mixmeet::media
