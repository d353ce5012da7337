#include "media/KeyframeThrottle.h"

#include <gst/video/video.h>

#include <atomic>

namespace mixmeet::media {

namespace {
struct Throttle {
    gint64 intervalUs;
    std::atomic<gint64> lastUs{0};
};

GstPadProbeReturn onUpstreamEvent(GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
    GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
    if (!event || !gst_video_event_is_force_key_unit(event)) return GST_PAD_PROBE_OK;
    auto& t = *static_cast<Throttle*>(data);
    gint64 now = g_get_monotonic_time();
    gint64 previous = t.lastUs.load();
    if (previous != 0 && now - previous < t.intervalUs) return GST_PAD_PROBE_DROP;
    t.lastUs.store(now);
    return GST_PAD_PROBE_OK;
}
}  // namespace

void addKeyframeRequestThrottle(GstPad* pad, std::chrono::milliseconds interval) {
    auto* t = new Throttle{static_cast<gint64>(interval.count()) * 1000};
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, onUpstreamEvent, t,
                      [](gpointer p) { delete static_cast<Throttle*>(p); });
}

}  // namespace mixmeet::media
