#include "media/TileBlanker.h"

#include <cstring>

namespace mixmeet::media {

bool paintBlack(GstBuffer* buffer, const GstVideoInfo& info) {
    switch (GST_VIDEO_INFO_FORMAT(&info)) {
        case GST_VIDEO_FORMAT_I420:
        case GST_VIDEO_FORMAT_YV12:
        case GST_VIDEO_FORMAT_Y42B:
        case GST_VIDEO_FORMAT_Y444:
        case GST_VIDEO_FORMAT_NV12:
        case GST_VIDEO_FORMAT_NV21:
            break;
        default:
            return false;
    }
    if (gst_buffer_get_size(buffer) < GST_VIDEO_INFO_SIZE(&info)) return false;
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, const_cast<GstVideoInfo*>(&info), buffer, GST_MAP_WRITE))
        return false;
    for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); ++p) {
        auto* data = static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, p));
        const gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
        // Rows of this plane: the component height of its first component.
        const guint component = p == 0 ? 0 : (p == 1 ? 1 : 2);
        const gint rows = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, component);
        std::memset(data, p == 0 ? 16 : 128, static_cast<std::size_t>(stride) * rows);
    }
    gst_video_frame_unmap(&frame);
    return true;
}

void TileBlanker::setBlanked(bool blanked) {
    bool was = state_->blanked.exchange(blanked, std::memory_order_relaxed);
    if (blanked && !was) pushBlackFrame();
}

void TileBlanker::pushBlackFrame() {
    if (!pad_) return;
    core::ElementPtr element = core::ElementPtr::adopt(gst_pad_get_parent_element(pad_.get()));
    if (!element) return;
    // The pad is a src pad whose peer takes the frame; pushing from another thread than the
    // streaming one is serialized by the peer's stream lock.
    gst_element_call_async(
        element.get(),
        [](GstElement* e, gpointer data) {
            GstPad* pad = static_cast<GstPad*>(data);
            core::CapsPtr caps(gst_pad_get_current_caps(pad));
            GstEvent* seg = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
            GstVideoInfo info;
            if (!caps || !seg || !gst_video_info_from_caps(&info, caps.get())) {
                if (seg) gst_event_unref(seg);
                return;
            }
            GstSegment segment;
            gst_event_copy_segment(seg, &segment);
            gst_event_unref(seg);
            core::GPtr<GstClock> clock = core::GPtr<GstClock>::adopt(gst_element_get_clock(e));
            if (!clock) return;
            GstClockTime running = gst_clock_get_time(clock.get()) - gst_element_get_base_time(e);
            guint64 position =
                gst_segment_position_from_running_time(&segment, GST_FORMAT_TIME, running);
            if (position == GST_CLOCK_TIME_NONE) return;
            GstBuffer* frame =
                gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
            if (!paintBlack(frame, info)) {
                gst_buffer_unref(frame);
                return;
            }
            GST_BUFFER_PTS(frame) = position;
            gst_pad_push(pad, frame);  // Takes ownership.
        },
        gst_object_ref(pad_.get()), [](gpointer d) { gst_object_unref(d); });
}

void TileBlanker::attach(GstPad* pad) {
    detach();
    pad_ = core::PadPtr::ref(pad);
    probe_ = gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, onBuffer,
                               new std::shared_ptr<State>(state_),
                               [](gpointer d) { delete static_cast<std::shared_ptr<State>*>(d); });
}

void TileBlanker::detach() {
    if (pad_ && probe_) gst_pad_remove_probe(pad_.get(), probe_);
    probe_ = 0;
    pad_.reset();
}

GstPadProbeReturn TileBlanker::onBuffer(GstPad* pad, GstPadProbeInfo* info,
                                        gpointer data) noexcept {
    const State& state = **static_cast<std::shared_ptr<State>*>(data);
    if (!state.blanked.load(std::memory_order_relaxed)) return GST_PAD_PROBE_OK;
    core::CapsPtr caps(gst_pad_get_current_caps(pad));
    GstVideoInfo vinfo;
    if (!caps || !gst_video_info_from_caps(&vinfo, caps.get())) return GST_PAD_PROBE_DROP;
    // The decoder may still hold the buffer (reference frames): paint a copy if so.
    GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    // A format we cannot paint is not shown at all rather than shown.
    return paintBlack(buffer, vinfo) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

}  // namespace mixmeet::media
