// What one participant sends the server, inside its bin, from webrtcbin's src pads:
//
//   tile_src (ghost, to a compositor pad) <- label <- tile_caps <- scale <- convert <- queue
//       <- [video-decode-*] <- webrtcbin src (pad-added)
//   audio_sink (appsink, mixer input) <- caps <- resample <- convert <- [audio-decode-opus]
//       <- webrtcbin src (pad-added)
//
// The tile chain and the mixer input exist from the start; the decoders are added when the
// participant's streams appear (webrtcbin pad-added). A participant who sends no video gets a
// PlaceholderTile instead.
//
// Threads: built and driven on the main thread. pad-added builds the decoders on the
// streaming thread, touching only this bin's elements and the shared state under its lock.
// (Not posted to the main context: webrtcbin's new src pad would push into nothing until the
// main loop ran, and an unlinked src pad errors the transport; moving it needs a blocking
// pad probe or a fakesink swap, left for later.)
#pragma once

#include <gst/gst.h>

#include <chrono>
#include <memory>
#include <string>

#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/AudioMixer.h"
#include "media/Fragments.h"
#include "media/LateFrames.h"
#include "media/MediaConfig.h"
#include "media/PlaceholderTile.h"

namespace mixmeet::media {

class ReceiveBranch {
public:
    /// `fragments` must outlive this; `lateDropped` counts frames dropped as late.
    ReceiveBranch(std::string id, const Fragments& fragments,
                  std::chrono::milliseconds maxFrameDelay, LateCounter lateDropped);
    /// Disconnects from webrtcbin's pad-added.
    ~ReceiveBranch();
    ReceiveBranch(const ReceiveBranch&) = delete;
    ReceiveBranch& operator=(const ReceiveBranch&) = delete;

    /// Adds and links the tile chain (labelled `label`, sized from `config`) and the mixer
    /// input chain in `bin`, and the tile_src ghost pad on it. Error "internal" if an element
    /// is missing or does not link. Call once.
    core::Status build(GstBin* bin, const std::string& label, const MediaConfig& config);
    /// Decodes the streams `webrtc` (inside the same bin) adds from now on.
    void watch(GstElement* webrtc);
    /// Stops watching `webrtc` (the destructor does it too).
    void unwatch();

    /// The participant sends no video: show its name on a black tile.
    void startPlaceholder();
    /// Sets the size of the tile in the composite, pixels.
    void setTileSize(int width, int height);
    /// Whether the tile is shown. Off stage the video is dropped before decoding; coming back
    /// asks the sender for a keyframe.
    void setShown(bool shown);

    GstPad* tileSrc() const { return tileSrc_.get(); }
    GstElement* audioSink() const { return audioSink_.get(); }
    std::shared_ptr<InputGate> inputGate() const;

private:
    struct Shared;  // State shared with streaming-thread callbacks.
    struct Callbacks;
    GstBin* bin_ = nullptr;
    core::ElementPtr tileCaps_;
    core::ElementPtr audioSink_;
    core::PadPtr tileSrc_;
    PlaceholderTile placeholder_;
    GstElement* webrtc_ = nullptr;
    gulong padAddedHandler_ = 0;
    std::shared_ptr<Shared> shared_;
};

}  // namespace mixmeet::media
