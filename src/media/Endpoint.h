// One participant's media inside a room pipeline: a bin "p-<id>" holding its webrtcbin, the
// decoders for what it sends (added when its streams appear), its tile (scale + name label)
// and its send branches (the shared composite, payloaded for this viewer; its own mix-minus,
// Opus-encoded). Endpoint is the façade over the parts that build and drive that bin, one job
// each:
//   - WebRtcPeer (media/WebRtcPeer.h): webrtcbin, offer/answer/ICE, the teardown barrier;
//   - ReceiveBranch (media/ReceiveBranch.h): pad-added, decoders, the tile chain, the mixer
//     input; PlaceholderTile (media/PlaceholderTile.h) for a participant who sends no video;
//   - SendBranch (media/SendBranch.h): the composite send path, the Opus send with its gate;
//   - ViewerFeedback (media/ViewerFeedback.h): the viewer's RTCP about our video (parsed by
//     media/RtcpFeedback.h) and the REMB we send it.
//
//   tile_src (ghost, to a compositor pad) <- label <- tile_caps <- scale <- convert <- queue
//       <- [video-decode-*] <- webrtcbin src (pad-added)
//   audio_sink (appsink, mixer input) <- caps <- resample <- convert <- [audio-decode-opus]
//       <- webrtcbin src (pad-added)
//   video_sink (ghost, from the composite tee) -> queue (leaky) -> valve -> rtpvp8pay
//       -> webrtcbin sink_1
//   audio_src (appsrc, private mix-minus) -> [audio-encode-opus] -> funnel -> rtpopuspay
//   audio_shared_sink (ghost, from the full-mix tee) -> gate probe --------^    -> webrtcbin
//   sink_0
//
// The server always makes the SDP offer: m-line 0 audio (Opus), m-line 1 video (VP8), both
// sendrecv, m-line 2 the screen share (VP8, recvonly on the server's side), max-bundle
// (docs/protocol.md lists every line). Never renegotiated, except for ICE restarts, which offer
// the same m-lines with new ICE credentials.
//
// Threads: created, driven and destroyed on the main thread. webrtcbin signals and promise
// replies arrive on webrtcbin's threads and are posted to the main thread guarded by an Anchor;
// pad-added builds decoders on the streaming thread (only touching this bin's elements).
#pragma once

#include <gst/gst.h>

#include <memory>
#include <string>
#include <vector>

#include "core/Anchor.h"
#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/AudioMixer.h"
#include "media/Fragments.h"
#include "media/LateFrames.h"
#include "media/MediaConfig.h"
#include "media/ReceiveBranch.h"
#include "media/SendBranch.h"
#include "media/ViewerFeedback.h"
#include "media/WebRtcPeer.h"

namespace mixmeet::media {

class Endpoint : private WebRtcPeer::Listener {
public:
    /// Events, delivered on the main thread. The endpoint may be destroyed from inside any of
    /// them.
    class Listener {
    public:
        virtual ~Listener() = default;
        virtual void onEndpointOffer(std::string sdp) = 0;
        virtual void onEndpointCandidate(int mlineIndex, std::string candidate) = 0;
        virtual void onEndpointIceState(IceState state) = 0;
        /// The DTLS handshake is done (SRTP keys set): from now on media reaches the viewer.
        /// What was sent before was dropped by webrtcbin, keyframes included.
        virtual void onEndpointSecured() = 0;
        /// Unrecoverable: the answer was rejected by webrtcbin ("bad-sdp").
        virtual void onEndpointFailed(std::string code, std::string message) = 0;
        /// The viewer's latest receiver report for our video: fraction lost (0..1) and
        /// round-trip time in ms (0 if unknown). Answers requestFeedback().
        virtual void onEndpointFeedback(double lossFraction, double rttMs) = 0;
    };

    /// Builds the participant's bin in `pipeline` and starts it; the SDP offer follows
    /// through Listener::onEndpointOffer. Error "internal" if an element is missing.
    /// `fragments` must outlive the endpoint.
    static core::Result<std::unique_ptr<Endpoint>> create(
        GstBin* pipeline, std::string id, const std::string& label, const MediaConfig& config,
        const Fragments& fragments, Listener& listener, LateCounter lateDropped = {});
    /// Disconnects signals, removes the bin from the pipeline and sets it to NULL.
    ~Endpoint() override;
    Endpoint(const Endpoint&) = delete;
    Endpoint& operator=(const Endpoint&) = delete;

    /// Applies the client's SDP answer. Error "bad-sdp" if it does not parse as SDP or has
    /// the wrong m-lines; webrtcbin's later rejection arrives as onEndpointFailed.
    core::Status applyAnswer(const std::string& sdp);
    /// Adds a trickled remote candidate (empty = end-of-candidates, ignored).
    void addRemoteCandidate(int mlineIndex, const std::string& candidate);
    /// ICE restart on the same webrtcbin (WebRtcPeer::restartIce): the new offer follows
    /// through Listener::onEndpointOffer, its answer goes to applyAnswer(). false once closing.
    bool restartIce();

    /// Lets the composite and the shared audio reach this viewer (call once ICE is connected;
    /// design.md: media reaching webrtcbin before that can stall a shared tee).
    void openSend();
    /// Delivers the viewer's loss on our video since the previous call (the larger of its NACKs
    /// per packet sent and the cumulative counters of its RTCP receiver reports) and the
    /// latest RTT through
    /// Listener::onEndpointFeedback, synchronously, if the viewer reported anything since the
    /// last call. Call about once a second once ICE is connected.
    void requestFeedback();
    /// Time since the last packet (RTP, RTCP or DTLS) arrived from this participant, ms.
    /// Browsers send RTCP at least every few seconds even when they send no media.
    gint64 millisecondsSinceLastPacket() const;
    /// Keyframe requests (RTCP PLI or FIR) this viewer sent about our video so far; counted
    /// once requestFeedback() has found the RTP session.
    unsigned keyframeRequestsReceived() const;
    /// Caps what this participant sends, whatever its page does with send-hint: from now on
    /// every RTCP compound we send it carries a REMB (draft-alvestrand-rmcat-remb-03) of
    /// `bitrateBps` (its video, the send-hint's maxBitrate) plus kRembAudioBps for its audio: a
    /// browser counts a REMB against everything it sends. 0: no REMB.
    void setSendCap(int bitrateBps);
    /// Room for the sender's Opus (32 kbps) and its packet overhead in the REMB, bps.
    static constexpr uint64_t kRembAudioBps = 50000;
    /// REMB packets sent to this participant so far (once requestFeedback() found the session).
    unsigned rembsSent() const;
    /// This participant's tile in composite `key` (a layout name): a ghost pad to link to
    /// that composite's compositor pad; built on first use, nullptr on failure.
    GstPad* addTile(const std::string& key) { return receive_.addTile(key); }
    /// Removes the tile of composite `key` (unlinked; release the compositor pad after).
    void removeTile(const std::string& key) { receive_.removeTile(key); }
    /// Sets the size (pixels) of the tile in composite `key` and how the video fills it.
    void setTileGeometry(const std::string& key, int width, int height, Fit fit) {
        receive_.setTileGeometry(key, width, height, fit);
    }
    // The screen share (m-line 2; ReceiveBranch).
    /// The answer reserved m-line 2 for sending (sendonly): this participant can share.
    bool canShareScreen() const { return canShareScreen_; }
    /// Starts or stops decoding its screen.
    void setScreenActive(bool active) { receive_.setScreenActive(active); }
    /// Its screen's tile in composite `key`: a ghost pad for a compositor pad; nullptr on
    /// failure.
    GstPad* addScreenTile(const std::string& key) { return receive_.addScreenTile(key); }
    void removeScreenTile(const std::string& key) { receive_.removeScreenTile(key); }
    /// The screen tile's size in composite `key` (letterboxed into it), pixels.
    void setScreenGeometry(const std::string& key, int width, int height) {
        receive_.setScreenGeometry(key, width, height);
    }
    /// Whether this participant is shown in the composite. Off stage its video is dropped
    /// before decoding; coming back asks the sender for a keyframe.
    void setShown(bool shown);
    /// Whether its camera shows (false: the name tile, whatever it sends: host stop-video,
    /// camera off). ReceiveBranch::setVideoBlanked.
    void setVideoBlanked(bool blanked);
    /// The marks drawn on its tiles (hand, muted, reaction): ReceiveBranch::setTileMarks.
    void setTileMarks(const TileMarks& marks) { receive_.setTileMarks(marks); }

    const std::string& id() const { return id_; }
    GstPad* videoSink() const { return send_.videoSink(); }         ///< From a composite tee pad.
    GstElement* audioSink() const { return receive_.audioSink(); }  ///< Mixer input (appsink).
    GstElement* audioSrc() const { return send_.audioSrc(); }       ///< Private mix (appsrc).
    GstPad* sharedAudioSink() const { return send_.sharedAudioSink(); }  ///< From the full-mix tee.
    const std::shared_ptr<SendGate>& sendGate() const { return send_.gate(); }
    /// This sender's audio level and the mixer's decision to decode it (AudioMixer::addInput).
    std::shared_ptr<InputGate> inputGate() const;
    GstElement* bin() const { return bin_.get(); }

private:
    Endpoint(std::string id, Listener& listener, const MediaConfig& config,
             const Fragments& fragments, LateCounter lateDropped);
    core::Status build(GstBin* pipeline, const std::string& label, const MediaConfig& config,
                       const Fragments& fragments);
    // WebRtcPeer::Listener: forwarded to listener_.
    void onPeerOffer(std::string sdp) override;
    void onPeerCandidate(int mlineIndex, std::string candidate) override;
    void onPeerIceState(IceState state) override;
    void onPeerSecured() override;
    void onPeerFailed(std::string code, std::string message) override;

    std::string id_;
    // Passed by argument.
    Listener& listener_;
    GstBin* pipeline_ = nullptr;
    // Allocated by this (the bin owns the elements; the parts hold extra references).
    core::ElementPtr bin_;
    WebRtcPeer peer_;
    ReceiveBranch receive_;
    SendBranch send_;
    std::unique_ptr<ViewerFeedback> feedback_;  ///< Once the send branch is built.
    bool canShareScreen_ = false;
    bool answered_ = false;  ///< The first answer was applied (later ones: ICE restarts).
};

}  // namespace mixmeet::media
