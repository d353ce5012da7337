// A synthetic meeting participant for integration tests and benchmarks.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocol/Messages.h"

namespace mixmeet::testing {

/// Continuity of a received RTP stream, as a viewer sees it.
struct RtpContinuity {
    /// RTP clock ticks per Opus packet from the server: 20 ms at 48 kHz.
    static constexpr std::uint32_t kOpusFrameTicks = 960;
    std::uint64_t packets = 0;
    std::vector<std::uint32_t> ssrcs;  ///< Distinct SSRCs, in order of appearance.
    std::uint64_t seqGaps = 0;         ///< Packets whose sequence number is not the last + 1.
    /// Packets following the last in sequence whose timestamp does not advance by one frame.
    std::uint64_t timestampJumps = 0;
    /// The first few jumps: {packet index, timestamp difference in RTP ticks}, for messages.
    std::vector<std::pair<std::uint64_t, std::int64_t>> firstJumps;
};

struct PeerOptions {
    /// Signaling endpoint, e.g. "ws://127.0.0.1:8080/ws".
    std::string url = "ws://127.0.0.1:8080/ws";
    std::string room = "test";
    std::string name = "peer";
    /// videotestsrc `pattern` (0 smpte, 1 snow, 2 black, 3 white, 4 red, 5 green, 6 blue, ...).
    int pattern = 0;
    /// Frequency and amplitude (full scale 1.0) of the sine tone sent as audio. Several 0.3
    /// tones summed by the server clip above 3 speakers, and clipping puts intermodulation
    /// products on harmonically related frequencies (440/660/880...): lower the volume for
    /// big rooms. Volume 0 is a silent (or muted) participant: with the server's usedtx=1 it
    /// sends Opus DTX, one packet per 400 ms, as a browser does.
    double toneHz = 440.0;
    double toneVolume = 0.3;
    int width = 320;
    int height = 240;
    int fps = 15;
    /// The only local address ICE gathers on (libnice's `add-local-ip-address`; it skips
    /// loopback otherwise). Empty: every interface.
    std::string iceAddress = "127.0.0.1";
    /// UDP port range for ICE (0: libnice's default), for tests that police one peer's port.
    unsigned minRtpPort = 0;
    unsigned maxRtpPort = 0;
    /// Network namespace (an open fd, Netns.h) the media pipeline is built and started in:
    /// webrtcbin's threads start there, so ICE gathers and binds its sockets there (a test
    /// puts one viewer behind a veth pair this way). Signaling stays in the caller's
    /// namespace. -1: the caller's.
    int netnsFd = -1;
    /// webrtcbin jitterbuffer latency in ms.
    unsigned latencyMs = 50;
    bool sendVideo = true;
    bool sendAudio = true;
    /// Screen share: videotestsrc `pattern` sent on the offer's m-line 2 (sendonly, from the
    /// start; the test sends `share-start` itself); -1: m-line 2 answered inactive, as a
    /// client that never shares.
    int screenPattern = -1;
    int screenWidth = 640;  ///< Sent screen size, pixels.
    int screenHeight = 480;
    /// Write the RFC 6464 audio level into each sent audio packet when the offer lists the
    /// extension, as browsers do (false: a client that ignores it and writes none).
    bool writeAudioLevels = true;
    /// Send Opus DTX when the offer asks for it (usedtx=1), as browsers do (false: a client
    /// that ignores it and sends a packet every 20 ms, silence included).
    bool useDtx = true;
    /// Send `join` as soon as the socket opens (false: the test sends its own with sendRaw).
    bool sendJoin = true;
    /// Answer the server's offer (false: the offer is recorded and ignored).
    bool answer = true;
    /// Cookie header for the WebSocket handshake (a signed-in user's "mm_session=..."); empty:
    /// none (a guest, or open rooms).
    std::string cookie;

    // ---- Benchmarking ------------------------------------------------------------------------
    /// Latency probe: draw the capture time (monotonic clock, ms) into the top band of every
    /// sent frame (FrameStamp.h) and read the stamps back from every tile of the received
    /// composite (latencySamplesMs()).
    bool stampFrames = false;
    /// Keep the last received frame as RGB for lastFrameRGB(). false: received frames stay
    /// I420 and are not copied (much cheaper with many peers in one process); stamps are
    /// still read and frames counted.
    bool keepFrames = true;
    /// Decode the received video. false: it is only counted (videoBytesReceived()) and
    /// dropped, for audio-only runs.
    bool receiveVideo = true;
    /// videotestsrc `horizontal-speed` (pixels per frame): moving content for the encoders.
    int horizontalSpeed = 0;
    /// VP8 target bitrate of the sent video, bps.
    int videoBitrate = 300000;
    /// Follow the server's `send-hint` as the web client does: scale the sent video down to
    /// fit the tile it is shown at (never up) and cap the bitrate at the hint's maxBitrate.
    bool followSendHints = false;
    /// Obey the server's REMB as Chrome does even when its page ignores send-hint: the video
    /// encoder's bitrate becomes the REMB's less 50 kbps for audio, and the sent size the
    /// largest that libwebrtc allows at that bitrate (peerSizeForBitrate()).
    bool obeyRemb = false;
};

/// The largest 16:9 height libwebrtc's VP8 encoder starts at for `videoBps` (its default
/// singlecast bitrate limits: 640x360 from 500 kbps, 480x270 from 300 kbps, else 320x180;
/// webrtc api/video_codecs/encoder_info_settings.cc, GetDefaultSinglecastBitrateLimits),
/// never above `maxHeight`.
int peerHeightForBitrate(int videoBps, int maxHeight);

/// The send encoder SyntheticPeer uses (for a direct encode/decode loop that compares with
/// it); `target-bitrate` is appended.
constexpr const char* kPeerVp8Encoder =
    "vp8enc deadline=1 cpu-used=-16 lag-in-frames=0 end-usage=cbr keyframe-max-dist=60";

/// A freeze: a gap longer than this between two decoded video frames at a receiver (ms).
constexpr int kFreezeGapMs = 500;

/// Gaps between the decoded video frames a peer received (SyntheticPeer::frameGaps()).
struct FrameGaps {
    std::uint64_t freezes = 0;  ///< gaps longer than kFreezeGapMs
    double longestMs = 0;       ///< the longest gap, ms
};

/// `video` of the `welcome` message: the composite the server will send.
struct VideoFormat {
    int width = 0;
    int height = 0;
    int framerate = 0;
};

struct RosterEntry {
    std::string id;
    std::string name;
    // Meeting controls (docs/protocol.md, "Roster entries").
    bool mic = true;
    bool camera = true;
    bool hand = false;
    bool host = false;
    bool inCall = true;
    bool presenting = false;  ///< Shares its screen.
    bool operator==(const RosterEntry&) const = default;
};

/// An `error` message received from the server.
struct ProtocolError {
    std::string code;
    std::string message;
};

/// A decoded frame of the received composite, packed RGB (3 bytes per pixel, no padding).
struct Frame {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> rgb;
    /// When it reached the appsink (g_get_monotonic_time(), µs) and its number among the
    /// decoded frames (1 for the first): a poller can tell a new frame, and when it came.
    std::int64_t receivedAtUs = 0;
    std::uint64_t index = 0;

    bool empty() const { return width <= 0 || height <= 0; }
    /// {r, g, b} at (x, y); {0, 0, 0} outside the frame.
    std::array<std::uint8_t, 3> at(int x, int y) const;
    /// Mean {r, g, b} over the rectangle [x, x+w) x [y, y+h), clipped to the frame.
    std::array<double, 3> mean(int x, int y, int w, int h) const;
};

/// One meeting participant: a libsoup 3 WebSocket client speaking protocol v1
/// (docs/protocol.md) and a webrtcbin pipeline that answers the server's offer, sends a
/// videotestsrc pattern (VP8) and a sine tone (Opus), and decodes what it receives into
/// appsinks whose frames and samples the queries below expose.
///
/// Threads: construct, drive and query it on one thread, whose thread-default main context
/// (at construction) must be iterated (see Wait.h) for anything to happen. webrtcbin and
/// appsink callbacks run on streaming threads; they only update thread-safe receive counters
/// or post work to that main context with a weak guard, so a callback arriving after
/// destruction is harmless.
///
/// Owns: the SoupSession and WebSocket connection, the GstPipeline (webrtcbin, send branches,
/// receive branches). The destructor sets the pipeline to NULL on the calling (main) thread
/// and frees every element, so `GST_TRACERS=leaks` stays quiet.
class SyntheticPeer {
public:
    explicit SyntheticPeer(PeerOptions options);
    ~SyntheticPeer();
    SyntheticPeer(const SyntheticPeer&) = delete;
    SyntheticPeer& operator=(const SyntheticPeer&) = delete;

    // ---- Actions --------------------------------------------------------------------------
    /// Builds the pipeline and connects the socket; `join` follows when it opens.
    void start();
    /// Sends `leave`, tears the media down; the socket closes when the server closes it after
    /// its `bye` (or after 2 s at the latest).
    void leave();
    /// The latest `send-hint` from the server: width, height (pixels), maxBitrate (bps); zeros
    /// before one came. Main thread.
    std::array<int, 3> lastSendHint() const;
    /// Sends a text frame as is (queued until the socket is open).
    void sendRaw(std::string text);
    /// Asks the server for a keyframe of the composite now, as a decoder that lost a frame
    /// does: an upstream force-key-unit event into webrtcbin, which sends RTCP PLI/FIR
    /// (bypassing the one-per-second throttle the decode branch has). false before the video
    /// receive pad exists.
    bool requestKeyframe();
    /// Drops the TCP connection without a WebSocket close frame and the pipeline without
    /// `leave`: a vanished tab / crashed client.
    void closeAbruptly();
    /// How reconnect() treats the old connection and which join it sends.
    enum class ReconnectMode {
        Resume,         ///< Drop the socket (no close frame), join with the resume token.
        KeepOldSocket,  ///< Leave the old socket open and unread, join with the resume token.
        Fresh,          ///< Drop the socket, join without a token.
    };
    /// A page coming back after its connection dropped: the old socket and media go (see
    /// mode), a new socket joins (with the last welcome's resume token unless Fresh) and a
    /// new webrtcbin answers the new offer. Receive counters keep counting.
    void reconnect(ReconnectMode mode = ReconnectMode::Resume);
    /// Stops sending audio and video (buffers dropped before the payloaders); the connection
    /// stays up and received media keeps being decoded.
    void stopSendingMedia();
    /// Resumes sending after stopSendingMedia() (with a keyframe).
    void resumeSendingMedia();
    /// Changes the sent tone's amplitude (full scale 1.0; 0: silence, sent as DTX when the
    /// server asked for it). No effect before the audio send branch exists.
    void setToneVolume(double volume);
    /// RTP packets the audio payloader has sent since start().
    std::uint64_t audioPacketsSent() const;
    /// Sets the whole pipeline to NULL and frees it while the socket stays open: ICE goes
    /// silent, as when a client's network disappears but its signaling survives.
    void dropMedia();
    /// Drops every packet between webrtcbin and its ICE transport, both ways (true), or lets
    /// them through again (false): media, RTCP and DTLS stop as on a network blip while ICE's
    /// own checks and the socket go on. After ICE connected.
    void blockMedia(bool blocked);
    /// Sends `ice-restart` (docs/protocol.md, "ICE restart"); a later `offer` is answered by
    /// the same webrtcbin, as every offer after the first.
    void requestIceRestart();
    /// Hangs up but stays in the meeting: sends `leave-call` and frees the media pipeline;
    /// the socket (roster, chat) stays.
    void leaveCall();
    /// Joins the call again after leaveCall(): builds a new pipeline, sends `rejoin-call` and
    /// answers the server's new offer as the first. Receive counters keep counting.
    void rejoinCall();

    // ---- Queries --------------------------------------------------------------------------
    const PeerOptions& options() const;
    bool socketOpen() const;
    /// The socket was closed (by either side) or failed to connect.
    bool socketClosed() const;
    /// WebSocket close code received/sent (0 while open or if none).
    int closeCode() const;
    /// `welcome` received.
    bool joined() const;
    const std::string& participantId() const;
    /// `resumeToken` of the last welcome (empty: none) and whether it said `resumed`.
    const std::string& resumeToken() const;
    bool resumed() const;
    int welcomeCount() const;
    /// The participant ids of every roster received, in order.
    const std::vector<std::vector<std::string>>& rosterHistory() const;
    VideoFormat announcedVideo() const;
    /// Participants of the last `roster` (empty before one arrived).
    const std::vector<RosterEntry>& roster() const;
    int rosterCount() const;  ///< number of `roster` messages received
    const std::vector<ProtocolError>& errors() const;
    bool hasError(const std::string& code) const;
    /// `reason` of the `bye` received; empty if none.
    const std::string& byeReason() const;
    /// `type` of every message received, in order.
    const std::vector<std::string>& receivedTypes() const;
    /// The latest `layout` message (empty before one came) and how many came.
    const protocol::LayoutInfo& lastLayout() const;
    int layoutCount() const;
    /// The last `offer`'s SDP, and how many offers came (over one: ICE restarts, resumes).
    const std::string& offerSdp() const;
    int offerCount() const;
    const std::string& answerSdp() const;  ///< empty until sent
    bool answerSent() const;
    int localCandidatesSent() const;
    int remoteCandidatesReceived() const;
    /// Problems seen on this side, as text: bus errors, failed webrtcbin operations, WebSocket
    /// errors, unparseable server messages.
    const std::vector<std::string>& localErrors() const;

    /// GstWebRTCICEConnectionState / GstWebRTCPeerConnectionState as their nick
    /// ("new", "checking", "connected", "completed", "failed", "disconnected", "closed").
    std::string iceConnectionState() const;
    std::string connectionState() const;
    /// ICE state is connected or completed.
    bool connected() const;

    // Receive side; safe to call at any time (the counters are updated on streaming threads).
    std::uint64_t videoFramesDecoded() const;
    /// RTCP compound packets (reports, feedback) this peer has sent so far.
    std::uint64_t rtcpSent() const;
    /// REMB packets (draft-alvestrand-rmcat-remb-03) the server sent this peer so far, and the
    /// bitrate (bps) the last one asked for (0 before one came).
    std::uint64_t rembsReceived() const;
    std::uint64_t lastRembBps() const;
    /// {width, height} of the last decoded frame; {0, 0} before the first.
    std::array<int, 2> lastVideoSize() const;
    Frame lastFrameRGB() const;
    std::uint64_t audioSamplesReceived() const;  ///< mono samples at 48 kHz
    /// SSRCs, sequence and timestamp continuity of the audio RTP received so far.
    RtpContinuity audioRtpContinuity() const;
    /// Goertzel amplitude (Goertzel.h) at `hz` over the most recent `windowMs` of received
    /// audio (at most 2 s are kept): ~1.0 for a full-scale tone, ~0.3 for another peer's tone
    /// passed through at unity gain, ~0 when absent. 0 while less than the window was received.
    double toneLevel(double hz, int windowMs = 500) const;

    // Latency probe (PeerOptions::stampFrames) and receive counters; safe at any time.
    /// Glass-to-glass latency samples in ms since start() or the last clearLatencySamples():
    /// for each tile of the received composite, each time its stamp changes, the time the
    /// decoded composite reached the appsink minus the stamp (the sender's capture time).
    std::vector<double> latencySamplesMs() const;
    /// Clears the latency samples and the frame gaps (a measurement window starts).
    void clearLatencySamples();
    /// Gaps between decoded video frames since start() or the last clearLatencySamples(),
    /// including one still open now (no frame for more than kFreezeGapMs so far).
    FrameGaps frameGaps() const;
    /// Tiles whose stamp could be read / could not be read, summed over frames since start().
    std::uint64_t stampsRead() const;
    std::uint64_t stampMisses() const;
    /// Tiles of the current grid (roster size) from which a stamp has been read since the
    /// roster last changed.
    int tilesWithStamp() const;
    /// RTP bytes (headers and payload, after SRTP) received since start().
    std::uint64_t videoBytesReceived() const;
    std::uint64_t audioBytesReceived() const;
    /// g_get_monotonic_time() (us) when ICE first connected / when the first received video
    /// frame was decoded; 0 before.
    std::int64_t iceConnectedAtUs() const;
    /// When the peer connection became "connected" (ICE and DTLS done), monotonic µs; 0 before.
    std::int64_t securedAtUs() const;
    std::int64_t firstFrameAtUs() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace mixmeet::testing
