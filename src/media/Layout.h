// Tile geometry of a composite: grid, speaker and presentation layouts, and how a source fills
// its tile (centre crop for cameras, letterbox for a shared screen). Pure functions, no
// GStreamer; any thread.
#pragma once

#include <array>
#include <optional>
#include <string_view>
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

/// The layouts a composite can have.
enum class LayoutKind {
    Grid,          ///< Everyone in equal tiles.
    Speaker,       ///< The active speaker large, everyone else in a strip below.
    Presentation,  ///< A shared screen large, every camera in a strip below.
};
/// "grid", "speaker", "presentation".
std::string_view layoutName(LayoutKind kind);
/// The kind named `name` (as layoutName spells it); nullopt for anything else.
std::optional<LayoutKind> parseLayout(std::string_view name);

/// How a source is fitted into its tile.
enum class Fit {
    /// Centre-cropped to the tile's aspect, then scaled: fills the tile, nothing letterboxed
    /// (camera tiles, as Meet and Jitsi do).
    Crop,
    /// Scaled to fit inside the tile, black bars where the aspects differ: nothing cut (a
    /// shared screen).
    Letterbox,
};

struct Tile {
    Rect rect;
    Fit fit = Fit::Crop;
    bool operator==(const Tile&) const = default;
};

/// What to lay out.
struct LayoutRequest {
    LayoutKind kind = LayoutKind::Grid;
    int participants = 0;  ///< Camera tiles (participants shown), >= 0.
    /// Speaker layout: the index of the participant shown large (the active speaker); out of
    /// range (e.g. -1, nobody has spoken yet): the first.
    int focus = -1;
    bool screen = false;  ///< A screen is shared (Presentation only).
    int width = 0;        ///< Output frame, pixels.
    int height = 0;
};

/// Where everything goes. Tiles never overlap, stay inside the frame, and are even.
struct LayoutResult {
    std::vector<Tile> cameras;   ///< One per participant, in request order.
    std::optional<Tile> screen;  ///< The shared screen (Presentation with a screen only).
};

/// Tile aspect ratios (width / height) a grid cell may take: a camera (16:9 from a browser) is
/// cropped by at most a quarter of its width to fill its cell.
constexpr double kMinTileAspect = 4.0 / 3.0;
constexpr double kMaxTileAspect = 16.0 / 9.0;
/// The strip of small tiles (speaker and presentation layouts) takes this share of the output
/// height, at the bottom.
constexpr double kStripShare = 0.2;

/// The geometry of `request`:
/// - Grid: the columns (rows = ceil(count / columns)) that give the largest tiles; each tile is
///   the largest rectangle of its cell with an aspect in [kMinTileAspect, kMaxTileAspect],
///   centred in the cell; an incomplete last row is centred. 1 -> the frame (within 16:9).
/// - Speaker: one participant -> Grid; otherwise the focus takes the area above the strip (a
///   tile of aspect within the bounds, centred) and the others are a grid in the strip, in
///   request order.
/// - Presentation with a screen: the screen takes all the area above the strip (Letterbox),
///   every participant is in the strip. Without a screen: Speaker.
/// Zero participants (and no screen), or a non-positive size, gives nothing.
LayoutResult computeLayout(const LayoutRequest& request);

/// Grid layout of `count` tiles in an outputWidth x outputHeight frame (computeLayout's Grid),
/// in reading order.
std::vector<Rect> gridLayout(int count, int outputWidth, int outputHeight);

/// The part of a srcWidth x srcHeight source shown in a dstWidth x dstHeight tile with
/// Fit::Crop: the largest centred region with the tile's aspect, in source pixels (even
/// offsets). Degenerate sizes give the whole source.
Rect centreCrop(int srcWidth, int srcHeight, int dstWidth, int dstHeight);
/// Where a srcWidth x srcHeight source lands in `cell` with Fit::Letterbox: the largest
/// centred rectangle of the source's aspect inside the cell, in output pixels (even).
Rect letterbox(int srcWidth, int srcHeight, const Rect& cell);

/// The highlight around a tile (the active speaker): four bars of `thickness` pixels inside
/// `tile`'s edges, {top, bottom, left, right}; thickness is rounded up to even and bounded by
/// a quarter of the tile's smaller side.
std::array<Rect, 4> borderBars(const Rect& tile, int thickness);

}  // namespace mixmeet::media
