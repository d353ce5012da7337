// The room's one composite and its one shared encode:
//   compositor (force-live) ! capsfilter (output size/rate, I420) ! queue ! [video-encode-vp8]
//     ! tee allow-not-linked=true
// Inputs are compositor request pads (one tile each); outputs are tee request pads (one per
// viewer, each viewer payloads on its own). Main thread only.
#pragma once

#include <gst/gst.h>

#include <string>

#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/Fragments.h"
#include "media/Layout.h"
#include "media/MediaConfig.h"

namespace mixmeet::media {

class VideoMixer {
public:
    /// Builds the elements into `pipeline`. Error "config" if the encoder fragment fails.
    static core::Result<std::unique_ptr<VideoMixer>> create(GstBin* pipeline,
                                                            const MediaConfig& config,
                                                            const Fragments& fragments);
    ~VideoMixer() = default;

    /// A new compositor sink pad (a tile). Release with releaseInput.
    core::PadPtr requestInput();
    void releaseInput(const core::PadPtr& pad);
    /// Places a tile: position and size in the composite, pixels.
    void setTile(const core::PadPtr& pad, const Rect& rect, int zorder);

    /// A new tee src pad carrying the encoded composite (VP8). Release with releaseOutput.
    core::PadPtr requestOutput();
    void releaseOutput(const core::PadPtr& pad);

    /// Asks the shared encoder for a keyframe (rate-limited by the encoder's
    /// min-force-key-unit-interval).
    void forceKeyframe();

    GstElement* encoder() const { return encoder_.get(); }

private:
    VideoMixer() = default;

    // Owned by the pipeline; these are extra references for our own use.
    core::ElementPtr compositor_;
    core::ElementPtr encoder_;
    core::ElementPtr tee_;
};

}  // namespace mixmeet::media
