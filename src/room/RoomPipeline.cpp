#include "room/RoomPipeline.h"

#include <cstring>

#include "core/Log.h"
#include "core/MainContext.h"
#include "core/StructuredLog.h"
#include "media/LiveEncoder.h"
#include "media/Recorder.h"
#include "media/Teardown.h"

#define GST_CAT_DEFAULT mixmeet_room_debug

namespace mixmeet::room {

RoomPipeline::RoomPipeline(const std::string& roomName, Listener& listener)
    : name_(roomName), listener_(listener) {
    pipeline_ = core::ElementPtr::refSink(gst_pipeline_new(("room-" + name_).c_str()));
    core::GPtr<GstBus> bus = core::GPtr<GstBus>::adopt(gst_element_get_bus(pipeline_.get()));
    busWatch_.reset(gst_bus_create_watch(bus.get()));
    g_source_set_callback(busWatch_.get(), reinterpret_cast<GSourceFunc>(onBusMessage),
                          new std::weak_ptr<RoomPipeline*>(anchor_.weak()),
                          [](gpointer d) { delete static_cast<std::weak_ptr<RoomPipeline*>*>(d); });
    g_source_attach(busWatch_.get(), core::mainContext());
}

RoomPipeline::~RoomPipeline() {
    stopWatching();
    if (pipeline_) media::Teardown::submit(std::move(pipeline_), {});
}

void RoomPipeline::stopWatching() {
    busWatch_.reset();
}

core::ElementPtr RoomPipeline::release() {
    return std::move(pipeline_);
}

gboolean RoomPipeline::onBusMessage(GstBus*, GstMessage* message, gpointer data) noexcept {
    if (RoomPipeline* p = core::resolve(*static_cast<std::weak_ptr<RoomPipeline*>*>(data)))
        p->handleBusMessage(message);
    return G_SOURCE_CONTINUE;
}

void RoomPipeline::handleBusMessage(GstMessage* message) {
    switch (GST_MESSAGE_TYPE(message)) {
        case GST_MESSAGE_LATENCY:
            // One recalculation per burst: it queries every sink of the room (O(elements)) and
            // each join posts several of these, so recalculating per message made a burst of
            // joins cost O(N^2) on the main thread (seconds of backlog at N=50).
            if (!latencyPending_) {
                latencyPending_ = true;
                core::postToMainDelayed(kLatencyCoalesceMs, [weak = anchor_.weak()] {
                    RoomPipeline* p = core::resolve(weak);
                    if (!p) return;
                    p->latencyPending_ = false;
                    if (p->pipeline_) gst_bin_recalculate_latency(p->bin());
                });
            }
            break;
        case GST_MESSAGE_ERROR:
        case GST_MESSAGE_WARNING: {
            bool error = GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR;
            GError* err = nullptr;
            gchar* debug = nullptr;
            if (error)
                gst_message_parse_error(message, &err, &debug);
            else
                gst_message_parse_warning(message, &err, &debug);
            core::ErrorPtr errOwned(err);
            core::CharsPtr debugOwned(debug);
            // Trace the message to the participant bin it came from ("p-<id>" directly in
            // the pipeline): a participant's failure drops that participant, not the room.
            std::string participant;
            bool recorder = false;
            bool live = false;
            std::string liveTarget;  ///< The child of the live bin it came from.
            for (GstObject* o = GST_MESSAGE_SRC(message); o; o = GST_OBJECT_PARENT(o)) {
                if (GST_OBJECT_PARENT(o) == GST_OBJECT(pipeline_.get())) {
                    const char* n = GST_OBJECT_NAME(o);
                    if (n && g_str_has_prefix(n, "p-")) participant = n + 2;
                    recorder = n && std::strcmp(n, media::Recorder::kBinName) == 0;
                    live = n && std::strcmp(n, media::LiveEncoder::kBinName) == 0;
                    break;
                }
                GstObject* parent = GST_OBJECT_PARENT(o);
                if (parent && GST_OBJECT_PARENT(parent) == GST_OBJECT(pipeline_.get()) &&
                    GST_OBJECT_NAME(parent) &&
                    std::strcmp(GST_OBJECT_NAME(parent), media::LiveEncoder::kBinName) == 0)
                    liveTarget = GST_OBJECT_NAME(o);
            }
            if (live) {
                // Its text may hold an RTMP location with the stream key: the room logs it
                // masked (room::RoomLive).
                GST_WARNING("[%s] %s from the live stream (%s)", name_.c_str(),
                            error ? "error" : "warning", liveTarget.c_str());
                if (error)
                    listener_.onLiveError(liveTarget, err ? err->message : "live stream failed");
                break;
            }
            GST_WARNING("[%s] %s from %s (%s): %s", name_.c_str(), error ? "error" : "warning",
                        GST_MESSAGE_SRC_NAME(message), participant.c_str(),
                        err ? err->message : "");
            if (!error) break;
            if (recorder) {
                listener_.onRecorderError(err ? err->message : "recording failed");
            } else if (!participant.empty()) {
                listener_.onParticipantMediaError(
                    participant, std::string("media error: ") + (err ? err->message : ""));
            } else {
                core::logEventf(G_LOG_LEVEL_WARNING, {name_, {}}, "pipeline error from %s: %s",
                                GST_MESSAGE_SRC_NAME(message), err ? err->message : "");
            }
            break;
        }
        default:
            break;
    }
}

}  // namespace mixmeet::room
