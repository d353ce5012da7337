#include "media/LateFrames.h"

#include <gst/video/video.h>

#include "core/GstPtr.h"
#include "core/Log.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

namespace {

/// Between two keyframe requests from one probe, ns.
constexpr std::int64_t kKeyframeRequestGapNs = 250 * GST_MSECOND;

struct LateProbe {
    GstClockTimeDiff maxDelayNs = 0;
    LateKind kind = LateKind::Raw;
    LateCounter dropped;
    // Encoded: dropping up to the next keyframe; when the last request went out (monotonic ns).
    std::atomic<bool> waitingForKeyframe{false};
    std::atomic<std::int64_t> lastRequestNs{0};
};

/// How late `buffer` on `pad` is now, ns; 0 when it cannot tell.
GstClockTimeDiff lateness(GstPad* pad, GstBuffer* buffer, GstClockTime* runningTime) {
    const GstClockTime pts = GST_BUFFER_PTS(buffer);
    if (!GST_CLOCK_TIME_IS_VALID(pts)) return 0;
    GstElement* element = GST_PAD_PARENT(pad);  // alive while its pad streams
    if (!element) return 0;
    core::GPtr<GstClock> clock = core::GPtr<GstClock>::adopt(gst_element_get_clock(element));
    if (!clock) return 0;
    const GstClockTime now = gst_clock_get_time(clock.get());
    const GstClockTime base = gst_element_get_base_time(element);
    core::EventPtr segmentEvent(gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0));
    if (!segmentEvent || now < base) return 0;
    const GstSegment* segment = nullptr;
    gst_event_parse_segment(segmentEvent.get(), &segment);
    if (!segment || segment->format != GST_FORMAT_TIME) return 0;
    const GstClockTime rt = gst_segment_to_running_time(segment, GST_FORMAT_TIME, pts);
    if (!GST_CLOCK_TIME_IS_VALID(rt)) return 0;
    *runningTime = rt;
    return GST_CLOCK_DIFF(rt, now - base);
}

GstPadProbeReturn onBuffer(GstPad* pad, GstPadProbeInfo* info, gpointer data) noexcept {
    LateProbe& p = *static_cast<LateProbe*>(data);
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (!buffer) return GST_PAD_PROBE_OK;
    const bool keyframe = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    if (p.kind == LateKind::Encoded && keyframe) {
        p.waitingForKeyframe.store(false, std::memory_order_relaxed);
        return GST_PAD_PROBE_OK;
    }
    GstClockTime rt = GST_CLOCK_TIME_NONE;
    const GstClockTimeDiff late = lateness(pad, buffer, &rt);
    const bool waiting =
        p.kind == LateKind::Encoded && p.waitingForKeyframe.load(std::memory_order_relaxed);
    if (late <= p.maxDelayNs && !waiting) return GST_PAD_PROBE_OK;

    p.dropped->fetch_add(1, std::memory_order_relaxed);
    GST_LOG_OBJECT(pad, "dropping a frame %" G_GINT64_FORMAT " ms late", late / GST_MSECOND);
    if (p.kind == LateKind::Encoded) {
        p.waitingForKeyframe.store(true, std::memory_order_relaxed);
        const std::int64_t now = g_get_monotonic_time() * 1000;
        if (now - p.lastRequestNs.load(std::memory_order_relaxed) >= kKeyframeRequestGapNs) {
            p.lastRequestNs.store(now, std::memory_order_relaxed);
            gst_pad_push_event(
                pad, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
        }
    } else if (p.kind == LateKind::Composite && late > p.maxDelayNs) {
        // To the compositor's own src pad: its QoS handling (earliest time = rt + 2 * late +
        // one frame) makes it skip composing until it is back on time.
        gst_pad_send_event(pad, gst_event_new_qos(GST_QOS_TYPE_UNDERFLOW, 1.0, late, rt));
    }
    return GST_PAD_PROBE_DROP;
}

}  // namespace

void addLateFrameDrop(GstPad* pad, std::chrono::milliseconds maxDelay, LateKind kind,
                      LateCounter dropped) {
    if (!pad || maxDelay.count() <= 0) return;
    auto* p = new LateProbe();
    p->maxDelayNs = GstClockTimeDiff(maxDelay.count()) * GST_MSECOND;
    p->kind = kind;
    p->dropped = dropped ? std::move(dropped) : std::make_shared<std::atomic<std::uint64_t>>(0);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, onBuffer, p,
                      [](gpointer data) noexcept { delete static_cast<LateProbe*>(data); });
}

}  // namespace mixmeet::media
