// What the admin page, /api/stats and /metrics show of the rooms and their media, read in the
// process that runs them (the server, or a media worker: docs/workers.md), and its JSON form,
// the same in both places so a worker's report crosses the channel as is. Main thread only.
#pragma once

#include <json-glib/json-glib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/Json.h"
#include "core/Result.h"

namespace mixmeet::room {

class Room;

/// One room's figures (docs/api.md, "/api/stats").
struct RoomReport {
    std::string name;
    long long participants = 0;
    long long composites = 0;
    long long vp8Encoders = 0;
    long long keyframes = 0;
    long long lateDropped = 0;
    long long keyframeRequests = 0;
    long long rembsSent = 0;
    long long opusEncoders = 0;
    long long opusEncoderElements = 0;
    long long speakers = 0;
    long long mixedInputs = 0;
    std::string activeSpeaker;
    long long elements = 0;
    bool recording = false;
    long long h264Encoders = 0;
    long long liveTargets = 0;
    long long liveVideoFrames = 0;
    long long recordingMs = 0;
    std::string recordingLayout;
    /// One participant as the admin page lists it.
    struct Member {
        std::string id;
        std::string name;
        bool host = false;
        bool inCall = false;
        std::string tier;   ///< "high", "medium", "low" or "none" (audio only, out of call).
        double loss = -1;   ///< Last receiver report's fraction lost (0..1); -1 before one.
        double rttMs = -1;  ///< Its round-trip time, ms; -1 before one.
    };
    std::vector<Member> members;         ///< In tile order.
    std::vector<std::string> tierNames;  ///< The room's composite tiers (high, medium, low).
};

/// The figures of `room` now.
RoomReport reportOf(const Room& room);
/// Writes `r` as one JSON object (an array element: the writer must be inside an array).
void writeReport(core::JsonWriter& w, const RoomReport& r);
/// Reads what writeReport wrote. Error "bad-message" naming the field.
core::Result<RoomReport> readReport(JsonObject* o);

/// The process's media figures (media::MediaMetrics and media::absorbedFlows()), summed over
/// processes by the server.
struct MediaReport {
    double receivedBytes = 0;
    double sentBytes = 0;
    double tierRestarts = 0;
    double absorbedFlushing = 0, absorbedEos = 0, absorbedNotNegotiated = 0, absorbedError = 0;
    /// media::DurationHistogram of join to first frame: cumulative buckets, sum (s), count.
    std::vector<double> joinToFirstFrameBuckets;
    double joinToFirstFrameSumS = 0;
    double joinToFirstFrameCount = 0;
    /// Pipelines and bins handed to media::Teardown and not yet stopped and freed.
    double teardownsPending = 0;

    /// Adds another process's figures.
    void add(const MediaReport& other);
};

/// This process's media figures now.
MediaReport processMediaReport();
/// Writes `r` as the object member `key`.
void writeMediaReport(core::JsonWriter& w, const char* key, const MediaReport& r);
MediaReport readMediaReport(JsonObject* o);

}  // namespace mixmeet::room
