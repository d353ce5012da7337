#include "media/Layout.h"

#include <algorithm>
#include <cmath>

namespace mixmeet::media {

namespace {
int evenDown(int v) {
    return v & ~1;
}
}  // namespace

std::vector<Rect> gridLayout(int count, int outputWidth, int outputHeight) {
    std::vector<Rect> tiles;
    if (count <= 0 || outputWidth <= 0 || outputHeight <= 0) return tiles;
    int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count))));
    int rows = (count + columns - 1) / columns;
    int cellW = outputWidth / columns;
    int cellH = outputHeight / rows;
    // Largest rectangle of the output's aspect ratio that fits the cell (integer maths:
    // width/height == outputWidth/outputHeight).
    int tileW = cellW;
    int tileH = static_cast<int>(static_cast<long long>(cellW) * outputHeight / outputWidth);
    if (tileH > cellH) {
        tileH = cellH;
        tileW = static_cast<int>(static_cast<long long>(cellH) * outputWidth / outputHeight);
    }
    tileW = std::max(2, evenDown(tileW));
    tileH = std::max(2, evenDown(tileH));
    tiles.reserve(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        int row = i / columns;
        int col = i % columns;
        int inRow = std::min(columns, count - row * columns);
        // Centre incomplete rows: shift by half the missing cells.
        int rowOffset = (columns - inRow) * cellW / 2;
        int x = rowOffset + col * cellW + (cellW - tileW) / 2;
        int y = row * cellH + (cellH - tileH) / 2;
        tiles.push_back(Rect{evenDown(x), evenDown(y), tileW, tileH});
    }
    return tiles;
}

}  // namespace mixmeet::media
