// The stopped-video tile (media/TileBlanker): frames painted black in place, and the probe
// that does it on a real pad while blanked, and not otherwise.
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <catch2/catch.hpp>

#include "core/GstPtr.h"
#include "media/TileBlanker.h"

using namespace mixmeet;

namespace {
GstBuffer* filled(const GstVideoInfo& info, guint8 value) {
    GstBuffer* b = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
    gst_buffer_memset(b, 0, value, GST_VIDEO_INFO_SIZE(&info));
    return b;
}

guint8 byteAt(GstBuffer* b, gsize offset) {
    guint8 v = 0;
    gst_buffer_extract(b, offset, &v, 1);
    return v;
}

/// First luma byte of the one frame `videotestsrc pattern=white` sends through a blanker.
guint8 firstLumaThrough(bool blanked) {
    core::ElementPtr pipeline = core::ElementPtr::refSink(gst_parse_launch(
        "videotestsrc num-buffers=1 pattern=white ! video/x-raw,format=I420,width=32,height=16 "
        "! identity name=tap ! appsink name=sink sync=false",
        nullptr));
    REQUIRE(pipeline);
    core::ElementPtr tap =
        core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "tap"));
    core::ElementPtr sink =
        core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "sink"));
    core::PadPtr src = core::PadPtr::adopt(gst_element_get_static_pad(tap.get(), "src"));
    media::TileBlanker blanker;
    blanker.attach(src.get());
    blanker.setBlanked(blanked);
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink.get()), 5 * GST_SECOND);
    REQUIRE(sample);
    guint8 y = byteAt(gst_sample_get_buffer(sample), 0);
    gst_sample_unref(sample);
    blanker.detach();
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    return y;
}
}  // namespace

TEST_CASE("frames are painted black in place for planar YUV", "[media][moderation]") {
    GstVideoInfo i420;
    gst_video_info_set_format(&i420, GST_VIDEO_FORMAT_I420, 16, 8);
    GstBuffer* b = filled(i420, 200);
    REQUIRE(media::paintBlack(b, i420));
    CHECK(byteAt(b, 0) == 16);
    CHECK(byteAt(b, GST_VIDEO_INFO_PLANE_OFFSET(&i420, 1) - 1) == 16);
    CHECK(byteAt(b, GST_VIDEO_INFO_PLANE_OFFSET(&i420, 1)) == 128);
    CHECK(byteAt(b, GST_VIDEO_INFO_SIZE(&i420) - 1) == 128);
    gst_buffer_unref(b);

    GstVideoInfo nv12;
    gst_video_info_set_format(&nv12, GST_VIDEO_FORMAT_NV12, 16, 8);
    b = filled(nv12, 7);
    REQUIRE(media::paintBlack(b, nv12));
    CHECK(byteAt(b, 5) == 16);
    CHECK(byteAt(b, GST_VIDEO_INFO_SIZE(&nv12) - 1) == 128);
    gst_buffer_unref(b);
}

TEST_CASE("formats it cannot paint and short buffers are refused untouched",
          "[media][moderation]") {
    GstVideoInfo rgb;
    gst_video_info_set_format(&rgb, GST_VIDEO_FORMAT_RGB, 8, 8);
    GstBuffer* b = filled(rgb, 200);
    CHECK_FALSE(media::paintBlack(b, rgb));
    CHECK(byteAt(b, 0) == 200);
    gst_buffer_unref(b);

    GstVideoInfo i420;
    gst_video_info_set_format(&i420, GST_VIDEO_FORMAT_I420, 16, 8);
    b = gst_buffer_new_allocate(nullptr, 10, nullptr);
    gst_buffer_memset(b, 0, 200, 10);
    CHECK_FALSE(media::paintBlack(b, i420));
    CHECK(byteAt(b, 0) == 200);
    gst_buffer_unref(b);
}

TEST_CASE("a blanked tile's frames arrive black, an unblanked tile's unchanged",
          "[media][moderation]") {
    CHECK(firstLumaThrough(true) == 16);
    CHECK(firstLumaThrough(false) == 235);  // white, video range
}
