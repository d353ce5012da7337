// Latency to the live outputs (issue 15): the senders' frame stamps (tests/support/FrameStamp.h)
// read back from the H.264 composite the server streams, pulled from the RTMP server or
// fetched as HLS segments. docs/performance.md, "Recording and streaming cost", explains the
// method.
#pragma once

#include <gst/gst.h>

#include "core/GstPtr.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mixmeet::testing {
class ServerProcess;
}

namespace mixmeet::bench {

/// Decodes video from a pipeline description and reads the stamp of every tile of each
/// decoded grid composite (`tiles` senders of senderWidth x senderHeight, media::gridLayout).
/// Keeps, for a live source, the age of each tile's stamp each time it changes (the first stamp
/// of a tile is left out: it may be a frame repeated from before the pull started), and for a
/// file, the stamps of every frame in order.
///
/// Owns the pipeline. Construct, poll and destroy on the main thread; the appsink's streaming
/// thread writes under a mutex.
class StampedDecoder {
public:
    StampedDecoder(int tiles, int senderWidth, int senderHeight);
    ~StampedDecoder();
    StampedDecoder(const StampedDecoder&) = delete;
    StampedDecoder& operator=(const StampedDecoder&) = delete;

    /// Starts `source ! videoconvert ! video/x-raw,format=I420 ! appsink`; `source` ends in
    /// raw video. A demuxer named "d" in it has its "video..." pads linked to the element named
    /// "vq" and its "audio..." pads to "aq", as they come. false (with `error`) when it does not
    /// parse or start.
    bool start(const std::string& source, std::string& error);
    /// Stops the pipeline (NULL); idempotent.
    void stop();
    /// Whether EOS or an error came (pops the bus; main thread). error() says which.
    bool finished();
    const std::string& error() const { return error_; }

    std::uint64_t frames() const;
    /// Encoded buffers that entered the element named "vq" (the demuxed video), if there is one.
    std::uint64_t encodedFrames() const;
    /// Ages (ms, now minus the stamp) of tile stamps when they changed, live sources.
    std::vector<double> changeAgesMs() const;
    /// The stamps (16-bit ms) read in each decoded frame, frames in order (frames where no
    /// tile could be read are left out).
    std::vector<std::vector<std::uint32_t>> frameStamps() const;

    struct State;  ///< Written on the appsink's thread (public for its callback only).

private:
    core::ElementPtr pipeline_;
    std::shared_ptr<State> state_;
    std::string error_;
    bool finished_ = false;
};

/// Glass-to-glass from the senders to the RTMP output: pulls `location` back with
/// rtmp2src ! flvdemux ! h264parse ! avdec_h264 and reads the tiles' stamps as they change.
class RtmpPull {
public:
    RtmpPull(std::string location, int tiles, int senderWidth, int senderHeight);
    bool start(std::string& error);
    void stop() { decoder_.stop(); }
    /// Polls the bus: whether the pull failed or ended.
    bool failed() { return decoder_.finished(); }
    const std::string& error() const { return decoder_.error(); }
    std::uint64_t frames() const { return decoder_.frames(); }
    /// H.264 buffers demuxed so far (frames() stays 0 until the first keyframe arrives).
    std::uint64_t encodedFrames() const { return decoder_.encodedFrames(); }
    std::vector<double> samplesMs() const { return decoder_.changeAgesMs(); }

private:
    std::string location_;
    StampedDecoder decoder_;
};

/// The HLS side: polls the playlist (GET through the server) and fetches every segment that
/// appears in it, noting when it appeared; after the watch, decodes each fetched segment and
/// gives how old its first and last frames' captures were when the segment was listed.
class HlsWatch {
public:
    /// `playlistPath`: "/live/<meeting-id>/index.m3u8"; `cookie`: a participant's session.
    HlsWatch(testing::ServerProcess& server, std::string playlistPath, std::string cookie);

    /// One poll (main thread; waits for the server's answers, at most 5 s each). Segments
    /// listed at the first poll appeared before the watch and are ignored.
    void poll();

    struct Result {
        int segments = 0;              ///< segments decoded
        double segmentS = 0;           ///< median #EXTINF of those segments, seconds
        std::vector<double> oldestMs;  ///< per segment: listed time minus its first frame's capture
        std::vector<double> newestMs;  ///< per segment: listed time minus its last frame's capture
        std::string error;             ///< why nothing could be measured, if nothing could
    };
    /// Decodes the fetched segments (tsdemux ! h264parse ! avdec_h264), each frame's capture
    /// time the median of its tiles' stamps.
    Result measure(int tiles, int senderWidth, int senderHeight);

private:
    struct Segment {
        std::string name;
        double durationS = 0;
        std::int64_t listedUs = 0;  ///< g_get_monotonic_time() of the poll that first listed it
        std::string data;
    };

    testing::ServerProcess& server_;
    std::string playlistPath_;
    std::string base_;  ///< playlistPath_ up to its last '/'
    std::string cookie_;
    bool first_ = true;
    std::vector<std::string> seen_;
    std::vector<Segment> segments_;
};

}  // namespace mixmeet::bench
