#pragma once

#include <gst/gst.h>

#include <chrono>

namespace mixmeet::media {

/// Adds an upstream-event probe to `pad` (a depayloader's sink side) that passes at most one
/// keyframe request (force-key-unit event, sent on as RTCP PLI/FIR) per `interval`, as browsers
/// throttle theirs. GStreamer's VP8 depayloader asks on every lost packet; on a lossy link that
/// is a request per packet, each an early RTCP packet that also pushes the regular receiver
/// reports back, and a keyframe per request only adds to the loss. The probe lives as long as
/// the pad. Any thread.
void addKeyframeRequestThrottle(GstPad* pad, std::chrono::milliseconds interval);

}  // namespace mixmeet::media
