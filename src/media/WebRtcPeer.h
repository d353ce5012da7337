// The participant's webrtcbin: ICE configuration, the SDP offer (always ours) and the answer,
// trickled candidates, the transport watches (last packet in, DTLS keys set, no clocksync),
// and the teardown barrier.
//
// The server always makes the SDP offer: m-line 0 audio (Opus), m-line 1 video (VP8), both
// sendrecv, m-line 2 the screen share (VP8, server side recvonly), max-bundle (docs/protocol.md
// lists every line; media/RtpFormats.h). The m-lines are never renegotiated (a client shares by
// starting to send on m-line 2); an ICE restart offers them again with new ICE credentials.
//
// Threads: created, driven and destroyed on the main thread. webrtcbin signals and promise
// replies arrive on webrtcbin's threads and are posted to the main thread guarded by an
// Anchor; the listener's methods run there.
#pragma once

#include <gst/gst.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/Anchor.h"
#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/MediaConfig.h"

namespace mixmeet::media {

/// ICE connection state as webrtcbin reports it (GstWebRTCICEConnectionState).
enum class IceState { New, Checking, Connected, Completed, Failed, Disconnected, Closed };

/// What an applied answer says about the participant's sending.
struct AnswerInfo {
    bool sendsNoVideo = false;  ///< m-line 1 recvonly, inactive or port 0.
    /// m-line 2 (the screen) answered sendonly/sendrecv: the participant may share a screen.
    bool canShareScreen = false;
};

class WebRtcPeer {
public:
    /// Events, delivered on the main thread. The peer may be destroyed from inside any of them.
    class Listener {
    public:
        virtual ~Listener() = default;
        virtual void onPeerOffer(std::string sdp) = 0;
        virtual void onPeerCandidate(int mlineIndex, std::string candidate) = 0;
        virtual void onPeerIceState(IceState state) = 0;
        /// DTLS done, SRTP keys set.
        virtual void onPeerSecured() = 0;
        /// `code` "internal" (no offer) or "bad-sdp" (answer rejected).
        virtual void onPeerFailed(std::string code, std::string message) = 0;
    };

    /// Completion of a get-stats queued behind webrtcbin's other operations (close()).
    class Barrier;

    /// `id` is for the log.
    WebRtcPeer(std::string id, Listener& listener);
    /// Disconnects what close() did not.
    ~WebRtcPeer();
    WebRtcPeer(const WebRtcPeer&) = delete;
    WebRtcPeer& operator=(const WebRtcPeer&) = delete;

    /// Creates webrtcbin ("webrtc") in `bin` and configures ICE, STUN and TURN. Error
    /// "internal" if webrtcbin is not installed.
    core::Status build(GstBin* bin, const MediaConfig& config);
    /// Links the payloaders to two sendrecv transceivers with our codec preferences (sink_0
    /// audio, sink_1 video) and adds the recvonly screen transceiver (m-line 2), so the offer
    /// can be made before any media flows.
    core::Status linkSenders(GstElement* opusPay, GstElement* vp8Pay);
    /// Connects webrtcbin's signals and watches `bin`'s transport elements; the offer follows
    /// (Listener::onPeerOffer). Counts silence from now.
    void start(GstBin* bin);

    /// Applies the client's SDP answer. Error "bad-sdp" if it does not parse as SDP or has the
    /// wrong m-lines (the offer's three); webrtcbin's later rejection arrives as onPeerFailed.
    core::Result<AnswerInfo> applyAnswer(const std::string& sdp);
    /// ICE restart on this webrtcbin (docs/protocol.md, "ICE restart"): a new offer with the
    /// same m-lines, codecs and SSRCs but new ICE credentials follows through
    /// Listener::onPeerOffer; apply the client's answer to it with applyAnswer(). The
    /// transports, and the media over them, stay. false after close() or before build().
    bool restartIce();
    /// Adds a trickled remote candidate (empty = end-of-candidates, ignored).
    void addRemoteCandidate(int mlineIndex, const std::string& candidate);
    /// Time since the last packet (RTP, RTCP or DTLS) arrived, ms.
    gint64 millisecondsSinceLastPacket() const;

    /// Queues no transport-creating operation from now on, queues a get-stats behind those
    /// already queued, and disconnects every signal. Wait on the result (off the main
    /// thread) before setting webrtcbin to NULL. nullptr if build() did not get that far.
    std::shared_ptr<Barrier> close();

    GstElement* element() const { return webrtc_.get(); }

private:
    struct Shared;  // State shared with webrtcbin-thread callbacks.
    friend struct PeerCallbacks;
    void configureIce(const MediaConfig& config);

    std::string id_;
    Listener& listener_;
    core::ElementPtr webrtc_;
    GstElement* bin_ = nullptr;
    std::vector<gulong> handlers_;  ///< Signal handlers on webrtc_, disconnected first.
    gulong binHandler_ = 0;         ///< deep-element-added on bin_.
    std::shared_ptr<Shared> shared_;
    core::Anchor<WebRtcPeer> anchor_{this};
};

class WebRtcPeer::Barrier {
public:
    /// Queues the get-stats on `webrtc`.
    explicit Barrier(GstElement* webrtc);
    /// Blocks the caller at most `timeout`; true if everything queued before ran.
    bool wait(std::chrono::milliseconds timeout);

private:
    struct Done;
    std::shared_ptr<Done> done_;
};

}  // namespace mixmeet::media
