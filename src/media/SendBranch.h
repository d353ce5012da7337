// What the server sends one participant, inside its bin, up to webrtcbin's sink pads:
//
//   video_sink (ghost, from the composite tee) -> queue (leaky) -> valve -> rtpvp8pay
//       -> webrtcbin sink_1
//   audio_src (appsrc, private mix-minus) -> [audio-encode-opus] -> funnel -> rtpopuspay
//   audio_shared_sink (ghost, from the full-mix tee) -> gate probe --------^    -> webrtcbin
//   sink_0
//
// Two sources feed the one Opus payloader (one SSRC, one sequence): the participant's private
// mix-minus encode (while speaking) and the room's shared full-mix encode (otherwise); the
// SendGate picks one per 20 ms tick. The valve holds the composite back until openSend().
//
// Threads: built and driven on the main thread; the gate probes run on streaming threads and
// only touch the SendGate.
#pragma once

#include <gst/gst.h>

#include <memory>

#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/AudioMixer.h"
#include "media/Fragments.h"
#include "media/MediaConfig.h"

namespace mixmeet::media {

class SendBranch {
public:
    SendBranch() = default;
    SendBranch(const SendBranch&) = delete;
    SendBranch& operator=(const SendBranch&) = delete;

    /// Adds and links both send chains in `bin` and their ghost pads on it. Error "internal"
    /// if an element is missing or does not link. Call once.
    core::Status build(GstBin* bin, const MediaConfig& config, const Fragments& fragments);
    /// Lets the composite and the shared audio through (once ICE is connected).
    void open();

    GstElement* opusPayloader() const { return opusPay_.get(); }    ///< To webrtcbin sink_0.
    GstElement* videoPayloader() const { return videoPay_.get(); }  ///< To webrtcbin sink_1.
    guint32 videoSsrc() const { return videoSsrc_; }  ///< Random, set on the VP8 payloader.
    GstPad* videoSink() const { return videoSink_.get(); }
    GstElement* audioSrc() const { return audioSrc_.get(); }
    GstPad* sharedAudioSink() const { return sharedAudioSink_.get(); }
    const std::shared_ptr<SendGate>& gate() const { return gate_; }

private:
    core::ElementPtr valve_;
    core::ElementPtr videoPay_;
    core::ElementPtr opusPay_;
    core::ElementPtr audioSrc_;
    core::PadPtr videoSink_;
    core::PadPtr sharedAudioSink_;
    guint32 videoSsrc_ = 0;
    std::shared_ptr<SendGate> gate_ = std::make_shared<SendGate>();
};

}  // namespace mixmeet::media
