// The GStreamer side of FrameStamp.h: a pad probe that stamps raw I420 frames with the
// monotonic clock as they leave a source.
#pragma once

#include <gst/gst.h>

namespace mixmeet::testing {

/// Adds a buffer probe on `source`'s "src" pad that draws g_get_monotonic_time() (ms) into
/// every I420 frame passing (drawStamp), with grey chroma under the band. Frames of other
/// formats pass untouched, so put `video/x-raw,format=I420` right after the source.
void addStampProbe(GstElement* source);

}  // namespace mixmeet::testing
