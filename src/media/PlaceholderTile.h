// The tile of a participant who sends no video (recvonly answer): an appsrc feeding the tile
// chain one black frame per tile size, so the tile shows the name label instead of nothing.
//
// Threads: main thread only.
#pragma once

#include <gst/gst.h>

#include <string>

#include "core/GstPtr.h"

namespace mixmeet::media {

class PlaceholderTile {
public:
    /// Adds the appsrc "placeholder" to `bin`, linked to the element "tile_queue", and pushes
    /// the first frame. Does nothing if already started or if the tile queue is already fed
    /// (the participant's video decoder came first). `id` is for the log.
    void start(GstBin* bin, const std::string& id);
    /// Pushes one more black frame (after the tile size changed, so it is labelled at the new
    /// size); nothing if not started.
    void pushFrame();

    static constexpr int kWidth = 64;   ///< pixels, 16:9
    static constexpr int kHeight = 36;  ///< pixels

private:
    core::ElementPtr src_;  ///< appsrc, owned by the bin; an extra reference.
};

}  // namespace mixmeet::media
