// One participant's tile in one composite (one layout), inside the participant's bin:
//
//   decoded tee -> [bin "tile-<key>": queue (leaky) -> videocrop -> videoconvert
//       -> videoscale
//       -> capsfilter (tile size) -> textoverlay (marks and name) -> textoverlay (reaction)]
//       -> ghost "tile_<key>" on the participant's bin -> a compositor sink pad
//
// Each composite a participant is shown in has its own branch: tiles differ in size and aspect
// per layout. Fit::Crop (a camera) centre-crops the source to the tile's aspect, then scales
// it: the tile is filled, as Meet and Jitsi do. Fit::Letterbox (a shared screen) scales it to
// fit (videoscale adds black bars where the aspects differ).
//
// Threads: main thread only.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <memory>
#include <string>

#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/Layout.h"
#include "media/TileMarks.h"

namespace mixmeet::media {

/// The `leaky` mode of the queues on a participant's decoded video (the tile queue before the
/// decoded tee, and each tile branch's): 1, upstream (a full queue drops the incoming frame),
/// never 2, downstream. GStreamer 1.22's queue, leaking downstream, takes the frames and events
/// off its head and stores a leaked CAPS event on its src pad while the src thread may be
/// pushing an older frame: that frame then goes out after the new caps. When a sender changes
/// resolution (its send-hint grew because the grid shrank) a frame of the old, smaller size
/// would reach the next video filter with the new caps: "GStreamer-Video-CRITICAL:
/// gst_video_frame_map_id: assertion 'info->width <= meta->width' failed", frame lost (the
/// likely cause of that line in the server log; not reproduced in a test, see
/// docs/architecture.md, known issues).
/// Leaking upstream never drops events. With 2 buffers at most, a tile is at most two frames
/// behind either way.
constexpr int kTileQueueLeaky = 1;

class TileBranch {
public:
    /// Builds the branch in `participantBin`, fed from `tee` (an element of that bin), labelled
    /// `label`, and adds the ghost pad "tile_<key>" to the bin. Error "internal" if an element
    /// is missing or does not link.
    static core::Result<std::unique_ptr<TileBranch>> create(GstBin* participantBin, GstElement* tee,
                                                            const std::string& key,
                                                            const std::string& label);
    /// Unlinks the branch from the tee and its consumer, removes it from the participant's bin
    /// and stops it on a teardown thread; unless detach() was called.
    ~TileBranch();
    TileBranch(const TileBranch&) = delete;
    TileBranch& operator=(const TileBranch&) = delete;

    /// The participant's bin is being torn down as a whole: the destructor then only drops
    /// its references.
    void detach() { detached_ = true; }

    /// The ghost pad on the participant's bin, to a compositor sink pad.
    GstPad* src() const { return ghost_.get(); }
    /// Sets the tile's size (pixels, even) and how the source fills it. Renegotiates only
    /// when something changed.
    void setGeometry(int width, int height, Fit fit);
    /// Sets the marks drawn on the tile (hand and muted before the name, the reaction large in
    /// the middle). The overlays re-render their text only when it changes (here), never per
    /// frame; no reaction: the reaction overlay is silent (passes frames untouched). The next
    /// frame through the branch shows the change.
    void setMarks(const TileMarks& marks);

    /// The tile size the crop probe crops for (0x0: no crop), shared with the streaming thread.
    struct CropTarget {
        std::atomic<int> width{0};
        std::atomic<int> height{0};
        std::atomic<unsigned> generation{0};  ///< Bumped by every change (main thread).
        unsigned applied = 0;                 ///< The generation applied (streaming thread).
    };

private:
    TileBranch() = default;

    GstBin* participantBin_ = nullptr;
    bool detached_ = false;
    int width_ = 0;
    int height_ = 0;
    Fit fit_ = Fit::Crop;
    std::string name_;
    TileMarks marks_;
    // Allocated by this (the branch bin owns the elements; these are extra references).
    core::ElementPtr bin_;
    core::ElementPtr tee_;
    core::PadPtr teePad_;
    core::PadPtr ghost_;
    core::PadPtr out_;  ///< The label's src pad (the branch's last).
    core::ElementPtr caps_;
    core::ElementPtr crop_;  ///< videocrop (Fit::Crop), margins set by its sink pad probe.
    std::shared_ptr<CropTarget> cropTarget_ = std::make_shared<CropTarget>();
    core::ElementPtr label_;     ///< textoverlay: marks and name.
    core::ElementPtr reaction_;  ///< textoverlay: the reaction.
};

}  // namespace mixmeet::media
