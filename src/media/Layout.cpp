#include "media/Layout.h"

#include <algorithm>

namespace mixmeet::media {

namespace {

int evenDown(int v) {
    return v & ~1;
}

/// The largest rectangle with an aspect in [kMinTileAspect, kMaxTileAspect] inside a
/// cellWidth x cellHeight cell: {width, height}, even, at least 2.
std::pair<int, int> fitTile(int cellWidth, int cellHeight) {
    int w = cellWidth;
    int h = cellHeight;
    if (w > h * kMaxTileAspect)
        w = static_cast<int>(h * kMaxTileAspect);
    else if (w < h * kMinTileAspect)
        h = static_cast<int>(w / kMinTileAspect);
    return {std::max(2, evenDown(w)), std::max(2, evenDown(h))};
}

/// `count` equal tiles in `area`, in reading order (computeLayout's Grid rule).
std::vector<Rect> gridIn(int count, const Rect& area) {
    std::vector<Rect> tiles;
    if (count <= 0 || area.width < 2 || area.height < 2) return tiles;
    int columns = 1;
    long long bestArea = -1;
    for (int c = 1; c <= count; ++c) {
        int r = (count + c - 1) / c;
        auto [w, h] = fitTile(area.width / c, area.height / r);
        // Largest tiles win; on a tie, the fewer columns (found first).
        if (static_cast<long long>(w) * h > bestArea) {
            bestArea = static_cast<long long>(w) * h;
            columns = c;
        }
    }
    const int rows = (count + columns - 1) / columns;
    const int cellW = area.width / columns;
    const int cellH = area.height / rows;
    auto [tileW, tileH] = fitTile(cellW, cellH);
    tiles.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        int row = i / columns;
        int col = i % columns;
        int inRow = std::min(columns, count - row * columns);
        // Centre an incomplete row: shift by half the missing cells.
        int rowOffset = (columns - inRow) * cellW / 2;
        int x = area.x + rowOffset + col * cellW + (cellW - tileW) / 2;
        int y = area.y + row * cellH + (cellH - tileH) / 2;
        tiles.push_back(Rect{evenDown(x), evenDown(y), tileW, tileH});
    }
    return tiles;
}

/// The largest tile (aspect within bounds) centred in `area`.
Rect centredIn(const Rect& area) {
    auto [w, h] = fitTile(area.width, area.height);
    return Rect{evenDown(area.x + (area.width - w) / 2), evenDown(area.y + (area.height - h) / 2),
                w, h};
}

}  // namespace

std::string_view layoutName(LayoutKind kind) {
    switch (kind) {
        case LayoutKind::Grid:
            return "grid";
        case LayoutKind::Speaker:
            return "speaker";
        case LayoutKind::Presentation:
            return "presentation";
    }
    return "grid";
}

std::optional<LayoutKind> parseLayout(std::string_view name) {
    for (LayoutKind k : {LayoutKind::Grid, LayoutKind::Speaker, LayoutKind::Presentation})
        if (layoutName(k) == name) return k;
    return std::nullopt;
}

LayoutResult computeLayout(const LayoutRequest& request) {
    LayoutResult out;
    const int n = std::max(0, request.participants);
    const int width = evenDown(request.width);
    const int height = evenDown(request.height);
    if (width < 2 || height < 2) return out;
    const Rect frame{0, 0, width, height};
    const bool presenting = request.kind == LayoutKind::Presentation && request.screen;
    auto withFit = [](const std::vector<Rect>& rects, Fit fit) {
        std::vector<Tile> tiles;
        tiles.reserve(rects.size());
        for (const Rect& r : rects) tiles.push_back(Tile{r, fit});
        return tiles;
    };
    if (!presenting && (request.kind == LayoutKind::Grid || n <= 1)) {
        out.cameras = withFit(gridIn(n, frame), Fit::Crop);
        return out;
    }
    const int stripH = std::max(2, evenDown(static_cast<int>(height * kStripShare)));
    const Rect main{0, 0, width, height - stripH};
    const Rect strip{0, height - stripH, width, stripH};
    if (presenting) {
        out.screen = Tile{main, Fit::Letterbox};
        out.cameras = withFit(gridIn(n, strip), Fit::Crop);
        return out;
    }
    // Speaker (or Presentation with nothing shared).
    const int focus = request.focus >= 0 && request.focus < n ? request.focus : 0;
    std::vector<Rect> others = gridIn(n - 1, strip);
    out.cameras.reserve(static_cast<std::size_t>(n));
    for (int i = 0, o = 0; i < n; ++i)
        out.cameras.push_back(i == focus ? Tile{centredIn(main), Fit::Crop}
                                         : Tile{others[static_cast<std::size_t>(o++)], Fit::Crop});
    return out;
}

std::vector<Rect> gridLayout(int count, int outputWidth, int outputHeight) {
    return gridIn(count, Rect{0, 0, evenDown(outputWidth), evenDown(outputHeight)});
}

Rect centreCrop(int srcWidth, int srcHeight, int dstWidth, int dstHeight) {
    if (srcWidth <= 0 || srcHeight <= 0 || dstWidth <= 0 || dstHeight <= 0)
        return Rect{0, 0, std::max(0, srcWidth), std::max(0, srcHeight)};
    int w = srcWidth;
    int h = srcHeight;
    // Compare aspects exactly: srcW/srcH > dstW/dstH <=> srcW*dstH > dstW*srcH.
    if (static_cast<long long>(srcWidth) * dstHeight > static_cast<long long>(dstWidth) * srcHeight)
        w = static_cast<int>(static_cast<long long>(srcHeight) * dstWidth / dstHeight);
    else
        h = static_cast<int>(static_cast<long long>(srcWidth) * dstHeight / dstWidth);
    if (w >= 2) w = evenDown(w);
    if (h >= 2) h = evenDown(h);
    return Rect{evenDown((srcWidth - w) / 2), evenDown((srcHeight - h) / 2), w, h};
}

Rect letterbox(int srcWidth, int srcHeight, const Rect& cell) {
    if (srcWidth <= 0 || srcHeight <= 0 || cell.width <= 0 || cell.height <= 0) return cell;
    int w = cell.width;
    int h = cell.height;
    if (static_cast<long long>(cell.width) * srcHeight >
        static_cast<long long>(srcWidth) * cell.height)
        w = static_cast<int>(static_cast<long long>(cell.height) * srcWidth / srcHeight);
    else
        h = static_cast<int>(static_cast<long long>(cell.width) * srcHeight / srcWidth);
    w = std::max(2, evenDown(w));
    h = std::max(2, evenDown(h));
    return Rect{cell.x + evenDown((cell.width - w) / 2), cell.y + evenDown((cell.height - h) / 2),
                w, h};
}

std::array<Rect, 4> borderBars(const Rect& tile, int thickness) {
    int t = (std::max(0, thickness) + 1) & ~1;
    t = std::min(t, evenDown(std::min(tile.width, tile.height) / 4));
    return {Rect{tile.x, tile.y, tile.width, t},
            Rect{tile.x, tile.y + tile.height - t, tile.width, t},
            Rect{tile.x, tile.y + t, t, tile.height - 2 * t},
            Rect{tile.x + tile.width - t, tile.y + t, t, tile.height - 2 * t}};
}

}  // namespace mixmeet::media
