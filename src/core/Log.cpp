#include "core/Log.h"

GST_DEBUG_CATEGORY(mixmeet_app_debug);
GST_DEBUG_CATEGORY(mixmeet_http_debug);
GST_DEBUG_CATEGORY(mixmeet_signaling_debug);
GST_DEBUG_CATEGORY(mixmeet_room_debug);
GST_DEBUG_CATEGORY(mixmeet_media_debug);

namespace mixmeet::core {
void initLogging() {
    static bool done = false;
    if (done) return;
    done = true;
    GST_DEBUG_CATEGORY_INIT(mixmeet_app_debug, "mixmeet-app", 0, "mixmeet start-up and config");
    GST_DEBUG_CATEGORY_INIT(mixmeet_http_debug, "mixmeet-http", 0, "mixmeet HTTP and WebSocket");
    GST_DEBUG_CATEGORY_INIT(mixmeet_signaling_debug, "mixmeet-signaling", 0,
                            "mixmeet signaling sessions");
    GST_DEBUG_CATEGORY_INIT(mixmeet_room_debug, "mixmeet-room", 0, "mixmeet rooms");
    GST_DEBUG_CATEGORY_INIT(mixmeet_media_debug, "mixmeet-media", 0, "mixmeet media pipelines");
}
}  // namespace mixmeet::core
