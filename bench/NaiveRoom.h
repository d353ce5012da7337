// The naive baseline for the benchmark (--naive): a minimal MCU that decodes every sender,
// composites and encodes once, with the same synthetic senders and stamp-reading viewers.
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include <sys/types.h>

#include "SyntheticPeer.h"
#include "core/GstPtr.h"

#include <memory>
#include <string>
#include <vector>

namespace mixmeet::bench {

struct NaiveSettings {
    int participants = 3;
    int decoders = -1;  ///< participants that decode and read the composite; -1 all
    int sendWidth = 640, sendHeight = 360, sendFps = 30;
    int sendBitrate = 300000;  ///< each sender's VP8 target, bps (the synthetic peers' default)
    int width = 640, height = 360, fps = 30;  ///< the composite
    int bitrate = 800000;                     ///< the composite's VP8 target, bps
    unsigned jitterBufferMs = 50;
    int mixerLatencyMs = 20;
    std::string encoderFragment;  ///< pipelines/video-encode-vp8.pipeline (path)
};

/// The "naive MCU": one `gst-launch-1.0` child process (so its CPU is measured apart from the
/// participants') running, per participant, udpsrc -> rtpjitterbuffer -> rtpvp8depay -> vp8dec
/// into one compositor (grid layout, the compositor scales each 640x360 input to its tile),
/// then one VP8 encode (the server's own encoder settings, pipelines/video-encode-vp8.pipeline)
/// -> rtpvp8pay -> multiudpsink to every viewer; and the same for audio: every participant's
/// Opus decoded, one audiomixer, one Opus encode sent to everyone. No queues, no tiers, no
/// labels, no mix-minus, no load shedding: what a first MCU looks like.
///
/// It is *not* WebRTC: plain RTP over loopback UDP, no ICE/DTLS/SRTP, no RTCP, so no NACK or
/// PLI (the composite encoder makes a keyframe every second instead, so a viewer recovers from
/// a lost packet). That makes it cheaper than a real naive MCU, never dearer: a comparison of
/// CPU against it is conservative.
///
/// The participants live in the bench process: N senders (the synthetic peers' stamped moving
/// bars, the same VP8 encoder, a tone through Opus) and K viewers that decode the composite and
/// read every tile's stamp (same method as SyntheticPeer: a latency sample each time a tile's
/// stamp changes), count bytes and note gaps between decoded frames.
///
/// Main thread only (the viewers' counters are written on their streaming threads under a
/// mutex).
class NaiveRoom {
public:
    explicit NaiveRoom(NaiveSettings settings);
    ~NaiveRoom();
    NaiveRoom(const NaiveRoom&) = delete;
    NaiveRoom& operator=(const NaiveRoom&) = delete;

    /// Starts viewers, the MCU process and the senders; false with `error` if any fails.
    bool start(std::string& error);
    /// The MCU process; 0 before start().
    pid_t mcuPid() const { return mcuPid_; }
    /// Stops the MCU (SIGTERM, then SIGKILL after 5 s) and the participants.
    void stop();

    struct Viewer;
    int viewers() const { return int(viewers_.size()); }
    std::uint64_t framesDecoded(int viewer) const;
    std::uint64_t bytesReceived(int viewer) const;  ///< RTP bytes, video + audio
    std::vector<double> latencySamplesMs(int viewer) const;
    std::uint64_t stampsRead(int viewer) const;
    std::uint64_t stampMisses(int viewer) const;
    int tilesWithStamp(int viewer) const;
    testing::FrameGaps frameGaps(int viewer) const;
    std::int64_t firstFrameAtUs(int viewer) const;
    /// Starts a measurement window: clears latency samples and gaps.
    void clearWindow();

private:
    std::string mcuDescription(const std::vector<int>& videoIn, const std::vector<int>& audioIn,
                               const std::vector<int>& videoOut,
                               const std::vector<int>& audioOut) const;

    NaiveSettings settings_;
    core::GPtr<GSubprocess> mcu_;
    pid_t mcuPid_ = 0;
    core::ElementPtr senders_;
    std::vector<core::ElementPtr> viewerPipelines_;
    std::vector<std::shared_ptr<Viewer>> viewers_;
};

}  // namespace mixmeet::bench
