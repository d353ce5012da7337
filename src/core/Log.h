// One GStreamer debug category per module (GST_DEBUG=mixmeet-*:5 shows them).
#pragma once

#include <gst/gst.h>

GST_DEBUG_CATEGORY_EXTERN(mixmeet_app_debug);
GST_DEBUG_CATEGORY_EXTERN(mixmeet_http_debug);
GST_DEBUG_CATEGORY_EXTERN(mixmeet_signaling_debug);
GST_DEBUG_CATEGORY_EXTERN(mixmeet_room_debug);
GST_DEBUG_CATEGORY_EXTERN(mixmeet_media_debug);

namespace mixmeet::core {
/// Registers the debug categories. Call once after gst_init.
void initLogging();
}  // namespace mixmeet::core
