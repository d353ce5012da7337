// A room's GStreamer pipeline and its bus: LATENCY messages coalesced into one latency
// recalculation per burst, errors and warnings logged and traced to the participant bin
// ("p-<id>") they came from, so that a participant's failure drops that participant and not
// the room.
//
// Threads: main thread only (the bus watch is attached to core::mainContext()).
#pragma once

#include <gst/gst.h>

#include <string>

#include "core/Anchor.h"
#include "core/GstPtr.h"

namespace mixmeet::room {

class RoomPipeline {
public:
    class Listener {
    public:
        virtual ~Listener() = default;
        /// An ERROR message from inside participant `id`'s bin; `message` says what failed.
        virtual void onParticipantMediaError(const std::string& id, const std::string& message) = 0;
        /// An ERROR message from inside the recording's bin (media::Recorder::kBinName), e.g.
        /// the disk is full.
        virtual void onRecorderError(const std::string& message) { (void)message; }
        /// An ERROR message from inside the live encode's bin (media::LiveEncoder::kBinName):
        /// `target` is the name of the output's bin it came from ("rtmp-1", "hls"), empty for
        /// the encode itself. Not logged here: it may hold a stream key.
        virtual void onLiveError(const std::string& target, const std::string& message) {
            (void)target;
            (void)message;
        }
    };

    /// Creates the pipeline "room-<roomName>" (not started) and watches its bus.
    RoomPipeline(const std::string& roomName, Listener& listener);
    /// Stops watching the bus; hands a pipeline not release()d to media::Teardown.
    ~RoomPipeline();
    RoomPipeline(const RoomPipeline&) = delete;
    RoomPipeline& operator=(const RoomPipeline&) = delete;

    GstElement* element() const { return pipeline_.get(); }
    GstBin* bin() const { return GST_BIN(pipeline_.get()); }
    /// Stops watching the bus (no more listener calls).
    void stopWatching();
    /// Hands the pipeline over (for media::Teardown); element() is nullptr afterwards.
    core::ElementPtr release();

    /// LATENCY messages within this window share one gst_bin_recalculate_latency, ms.
    static constexpr unsigned kLatencyCoalesceMs = 100;

private:
    static gboolean onBusMessage(GstBus* bus, GstMessage* message, gpointer data) noexcept;
    void handleBusMessage(GstMessage* message);

    std::string name_;  ///< The room's, for the log.
    Listener& listener_;
    core::ElementPtr pipeline_;
    core::SourcePtr busWatch_;
    bool latencyPending_ = false;
    core::Anchor<RoomPipeline> anchor_{this};
};

}  // namespace mixmeet::room
