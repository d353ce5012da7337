// The latency baseline: a synthetic peer's video encode looped straight into a decode, with no
// server in between, so the server's share of the glass-to-glass latency can be estimated.
#pragma once

#include <gst/gst.h>

#include "core/GstPtr.h"

#include <memory>
#include <string>
#include <vector>

namespace mixmeet::bench {

struct DirectLoopSettings {
    int width = 320;  ///< the peers' send size and rate
    int height = 180;
    int fps = 15;
    int bitrate = 300000;
    unsigned jitterBufferMs = 50;  ///< the peers' webrtcbin latency
};

/// One pipeline, the same as a SyntheticPeer sends and receives minus the network and the
/// MCU: videotestsrc (stamped) -> the peer's VP8 encoder -> rtpvp8pay -> queue ->
/// rtpjitterbuffer -> rtpvp8depay -> vp8dec -> appsink, where each frame's stamp is read and
/// its age recorded. What it leaves out (ICE/DTLS/SRTP, loopback UDP, webrtcbin's rtpbin) costs
/// well under a millisecond on this machine.
///
/// Owns the pipeline. Construct and destroy on the main thread; samples are written on the
/// appsink's streaming thread and read under a mutex.
class DirectLoop {
public:
    explicit DirectLoop(DirectLoopSettings settings);
    ~DirectLoop();
    DirectLoop(const DirectLoop&) = delete;
    DirectLoop& operator=(const DirectLoop&) = delete;

    bool start(std::string& error);
    std::vector<double> samplesMs() const;
    void clear();

    /// Written on the appsink's thread (public for its callback only).
    struct Samples;

private:
    DirectLoopSettings settings_;
    core::ElementPtr pipeline_;
    std::shared_ptr<Samples> samples_;
};

}  // namespace mixmeet::bench
