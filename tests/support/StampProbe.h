// The GStreamer side of FrameStamp.h: a pad probe that stamps raw I420 frames with the
// monotonic clock as they leave a source, and the luma of a decoded sample to read them in.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include "FrameStamp.h"

namespace mixmeet::testing {

/// Adds a buffer probe on `source`'s "src" pad that draws g_get_monotonic_time() (ms) into
/// every I420 frame passing (drawStamp), with grey chroma under the band. Frames of other
/// formats pass untouched, so put `video/x-raw,format=I420` right after the source.
void addStampProbe(GstElement* source);

/// The first plane (Y of I420) of a decoded video sample, mapped for reading while this object
/// lives (appsink callbacks that read stamps). False when the sample has no video caps or its
/// buffer cannot be mapped.
class MappedLuma {
public:
    explicit MappedLuma(GstSample* sample);
    ~MappedLuma();
    MappedLuma(const MappedLuma&) = delete;
    MappedLuma& operator=(const MappedLuma&) = delete;

    explicit operator bool() const { return mapped_; }
    const LumaView& view() const { return view_; }
    int width() const { return view_.width; }    ///< Pixels.
    int height() const { return view_.height; }  ///< Pixels.

private:
    GstVideoFrame frame_{};
    bool mapped_ = false;
    LumaView view_;
};

}  // namespace mixmeet::testing
