// Settings of the media side, read from the [video], [audio], [webrtc] and [ice] groups of
// the config file (config/mixmeet.ini documents each key).
#pragma once

#include <string>
#include <vector>

namespace mixmeet::media {

/// [streaming]: the room's one H.264/AAC encode and its RTMP and HLS outputs
/// (docs/recording.md, "Live streaming").
struct StreamingConfig {
    int videoBitrateKbps = 2500;  ///< x264enc bitrate, kbit/s.
    int audioBitrateKbps = 128;   ///< AAC bitrate, kbit/s.
    /// HLS segment length and the H.264 keyframe interval (a segment starts at one), s.
    int segmentS = 2;
    int playlistLength = 6;  ///< Segments listed in the live HLS playlist (older are deleted).
    int retryMinMs = 1000;   ///< First wait before an RTMP target reconnects, ms (doubling).
    int retryMaxMs = 30000;  ///< Longest wait between reconnects, ms.
    int maxTargets = 4;      ///< RTMP targets per meeting at most.
    /// Where HLS segments go (a directory per meeting, deleted when HLS stops); empty:
    /// <data_dir>/live.
    std::string directory;
};

struct MediaConfig {
    int width = 1280;            ///< Composite width, pixels.
    int height = 720;            ///< Composite height, pixels.
    int framerate = 30;          ///< Composite frames per second.
    int videoBitrate = 1200000;  ///< VP8 target bitrate of the high tier, bps.
    int mediumBitrate = 500000;  ///< Medium tier (half size), bps.
    int lowBitrate = 150000;     ///< Low tier (quarter size), bps.
    int lowFramerate = 15;       ///< Low tier frames per second.
    int audioBitrate = 32000;    ///< Opus bitrate, bps.
    /// Senders mixed at most, each with a private mix-minus encode; also senders with an
    /// RFC 6464 level decoded at most (the loudest by it).
    int audioMaxMixed = 5;
    int jitterBufferMs = 50;          ///< webrtcbin (rtpjitterbuffer) latency, ms.
    int mixerLatencyMs = 20;          ///< how long the compositor waits for late tiles, ms.
    int keyframeMinIntervalMs = 500;  ///< Shared encoder's minimum gap between forced keyframes.
    /// A video frame later than this (ms past its capture, arrival or composite time) is
    /// dropped before it is decoded, scaled or encoded (media/LateFrames.h); 0 = never.
    int maxFrameDelayMs = 0;
    int maxParticipants = 25;  ///< Per room.
    /// Tiles in the composite at most; participants beyond are off stage (not shown, not
    /// decoded, asked to send at a minimum) until they speak.
    int maxTiles = 25;
    int disconnectTimeoutMs = 5000;  ///< ICE "disconnected" for this long removes a peer.
    /// A participant whose answer has not come, or whose ICE has not connected, this long after
    /// joining is removed (error "connect-timeout"), ms. [webrtc] connect_timeout_ms.
    int connectTimeoutMs = 15000;
    /// A participant whose media failed while its socket is up gets an ICE restart on the same
    /// webrtcbin first; if no packet arrives from it this long after the restart began, it
    /// falls back to a new PeerConnection (parked, bye "media-lost"), ms. 0: no ICE restart.
    /// [webrtc] ice_restart_timeout_ms.
    int iceRestartTimeoutMs = 5000;
    std::vector<std::string> iceAddresses;  ///< Local addresses to gather on; empty = all.
    int iceMinPort = 0;                     ///< UDP port range for ICE; 0 = any.
    int iceMaxPort = 0;
    std::vector<std::string> stunServers;  ///< Browser form: "stun:host:port".
    std::vector<std::string> turnServers;  ///< "turn://user:password@host:port".
    StreamingConfig streaming;             ///< [streaming]
};

}  // namespace mixmeet::media
