// What each sender is asked to send (protocol `send-hint`), with hysteresis. Pure logic, no
// GStreamer.
#pragma once

#include <optional>

namespace mixmeet::media {

/// A sender's target: at most width x height pixels (its tile) at `bitrate` bps.
struct SendSize {
    int width = 0;
    int height = 0;
    int bitrate = 0;
    bool operator==(const SendSize&) const = default;
};

/// Sizes senders to their tiles. Senders send what is shown, but a room going back and forth
/// across a grid step (25 <-> 26 people: 5x5 <-> 6x5, every tile 5/6 the size) should not make
/// every sender rescale each time: a new send size costs a keyframe from each sender and a
/// decoder re-initialisation on the server, all at once. So a hint covers every tile up to its
/// own size and down to just above kShrinkNum/kShrinkDen of it (a sender then sends less than
/// 1.25x the tile's width and height); the server scales the picture into the tile either way.
class SendHintPolicy {
public:
    static constexpr int kShrinkNum = 4;  ///< A tile at or below 4/5 of the hint gets a new one.
    static constexpr int kShrinkDen = 5;
    static constexpr int kMinBitrate = 100000;   ///< bps.
    static constexpr int kMaxBitrate = 1500000;  ///< bps.

    /// compositeWidth x compositeHeight pixels encoded at compositeBitrate bps (the top tier).
    SendHintPolicy(int compositeWidth, int compositeHeight, int compositeBitrate);

    /// The target for a tile of tileWidth x tileHeight pixels: the tile's size at 1.5x the
    /// composite's bits per pixel for its area (headroom for the sender's own encode of a
    /// picture the server then re-encodes), clamped to kMinBitrate..kMaxBitrate.
    SendSize forTile(int tileWidth, int tileHeight) const;

    /// The target for a sender who is not shown (off stage): the minimum, kOffStageWidth
    /// pixels wide at the composite's aspect ratio and kOffStageBitrate bps, so it can come on
    /// stage without renegotiating.
    SendSize offStage() const;
    static constexpr int kOffStageWidth = 64;       ///< Pixels.
    static constexpr int kOffStageBitrate = 30000;  ///< bps.

    /// The hint to send when a sender's tile becomes tileWidth x tileHeight and its current
    /// hint is `current` (nullopt: none sent yet); nullopt when `current` still covers the
    /// tile: the tile is no larger than it and above 4/5 of it in both dimensions.
    std::optional<SendSize> update(const std::optional<SendSize>& current, int tileWidth,
                                   int tileHeight) const;

private:
    int width_;
    int height_;
    int bitrate_;
};

}  // namespace mixmeet::media
