#include "StampProbe.h"

#include "core/GstPtr.h"

#include <algorithm>
#include <cstdint>

namespace mixmeet::testing {

namespace {

/// Streaming thread: draws the capture time into the raw frame leaving the source.
GstPadProbeReturn stampProbe(GstPad* pad, GstPadProbeInfo* info, gpointer) noexcept {
    const std::int64_t nowUs = g_get_monotonic_time();
    core::CapsPtr caps(gst_pad_get_current_caps(pad));
    GstVideoInfo vinfo;
    if (!caps || !gst_video_info_from_caps(&vinfo, caps.get()) ||
        GST_VIDEO_INFO_FORMAT(&vinfo) != GST_VIDEO_FORMAT_I420)
        return GST_PAD_PROBE_OK;
    GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, &vinfo, buffer, GST_MAP_WRITE)) return GST_PAD_PROBE_OK;
    const int w = GST_VIDEO_FRAME_WIDTH(&frame), h = GST_VIDEO_FRAME_HEIGHT(&frame);
    drawStamp({static_cast<std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)), w, h,
               GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0), 1},
              std::uint64_t(nowUs / 1000));
    // Grey chroma under the band, so the blocks stay black and white after conversion.
    const int top = stampBandTop(h) / 2, band = (stampBandTop(h) + stampBandHeight(h) + 1) / 2;
    for (int plane = 1; plane <= 2; ++plane) {
        auto* data = static_cast<std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, plane));
        const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, plane);
        const int cw = GST_VIDEO_FRAME_COMP_WIDTH(&frame, plane);
        for (int y = top; y < std::min(band, GST_VIDEO_FRAME_COMP_HEIGHT(&frame, plane)); ++y)
            std::fill_n(data + std::ptrdiff_t(y) * stride, cw, std::uint8_t{128});
    }
    gst_video_frame_unmap(&frame);
    return GST_PAD_PROBE_OK;
}

}  // namespace

void addStampProbe(GstElement* source) {
    core::PadPtr pad = core::PadPtr::adopt(gst_element_get_static_pad(source, "src"));
    if (pad) gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, &stampProbe, nullptr, nullptr);
}

MappedLuma::MappedLuma(GstSample* sample) {
    GstVideoInfo info;
    GstCaps* caps = sample ? gst_sample_get_caps(sample) : nullptr;
    GstBuffer* buffer = sample ? gst_sample_get_buffer(sample) : nullptr;
    if (!caps || !buffer || !gst_video_info_from_caps(&info, caps)) return;
    mapped_ = gst_video_frame_map(&frame_, &info, buffer, GST_MAP_READ);
    if (!mapped_) return;
    view_ = {static_cast<std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame_, 0)),
             GST_VIDEO_FRAME_WIDTH(&frame_), GST_VIDEO_FRAME_HEIGHT(&frame_),
             GST_VIDEO_FRAME_PLANE_STRIDE(&frame_, 0), 1};
}

MappedLuma::~MappedLuma() {
    if (mapped_) gst_video_frame_unmap(&frame_);
}

}  // namespace mixmeet::testing
