#include "media/PlaceholderTile.h"

#include <gst/app/gstappsrc.h>

#include "core/Log.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

void PlaceholderTile::start(GstBin* bin, const std::string& id) {
    if (src_) return;
    core::ElementPtr queue = core::ElementPtr::adopt(gst_bin_get_by_name(bin, "tile_queue"));
    core::PadPtr queueSink =
        core::PadPtr::adopt(queue ? gst_element_get_static_pad(queue.get(), "sink") : nullptr);
    if (!queueSink || gst_pad_is_linked(queueSink.get())) return;
    src_ = core::makeElement("appsrc", "placeholder");
    core::CapsPtr caps(gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                           G_TYPE_INT, kWidth, "height", G_TYPE_INT, kHeight,
                                           "framerate", GST_TYPE_FRACTION, 0, 1,
                                           "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr));
    g_object_set(src_.get(), "caps", caps.get(), "is-live", TRUE, "format", GST_FORMAT_TIME,
                 "do-timestamp", TRUE, nullptr);
    gst_bin_add(bin, src_.get());
    gst_element_sync_state_with_parent(src_.get());
    if (!gst_element_link(src_.get(), queue.get())) {
        GST_ERROR("[%s] cannot link the placeholder tile", id.c_str());
        return;
    }
    pushFrame();
}

void PlaceholderTile::pushFrame() {
    if (!src_) return;
    // One black I420 frame (video range: Y 16, U/V 128). The compositor keeps showing a tile's
    // last frame, so one frame per tile size is enough; the tile chain scales and labels it.
    constexpr gsize kLuma = kWidth * kHeight;
    GstBuffer* frame = gst_buffer_new_allocate(nullptr, kLuma * 3 / 2, nullptr);
    gst_buffer_memset(frame, 0, 16, kLuma);
    gst_buffer_memset(frame, kLuma, 128, kLuma / 2);
    gst_app_src_push_buffer(GST_APP_SRC(src_.get()), frame);  // takes ownership
}

}  // namespace mixmeet::media
