// What one participant sends the server, inside its bin, from webrtcbin's src pads:
//
//   tile_<key> (ghosts, to compositor pads) <- TileBranch per composite <- decoded_tee
//       <- queue <- [video-decode-*] <- webrtcbin src (pad-added)
//   audio_sink (appsink, mixer input) <- caps <- resample <- convert <- [audio-decode-opus]
//       <- webrtcbin src (pad-added)
//   tile_screen_<key> (ghosts) <- TileBranch (letterbox) <- screen_tee <- screen_queue
//       <- [video-decode-vp8] <- drop probe (share not active) <- webrtcbin src (m-line 2)
//
// The decoded tee and the mixer input exist from the start; the decoders are added when the
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
#include <map>
#include <memory>
#include <string>

#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/AudioMixer.h"
#include "media/Fragments.h"
#include "media/LateFrames.h"
#include "media/MediaConfig.h"
#include "media/PlaceholderTile.h"
#include "media/TileBlanker.h"
#include "media/TileBranch.h"

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

    /// Adds and links the tile queue and tee (tiles labelled `label`) and the mixer input
    /// chain in `bin`. Error "internal" if an element
    /// is missing or does not link. Call once.
    core::Status build(GstBin* bin, const std::string& label, const MediaConfig& config);
    /// Decodes the streams `webrtc` (inside the same bin) adds from now on.
    void watch(GstElement* webrtc);
    /// Stops watching `webrtc` (the destructor does it too).
    void unwatch();

    /// The participant sends no video: show its name on a black tile.
    void startPlaceholder();
    /// The ghost pad of this participant's tile in composite `key` (a layout name), built on
    /// first use (TileBranch); nullptr if it cannot be built.
    GstPad* addTile(const std::string& key);
    /// Removes the tile of composite `key` (the caller releases the compositor pad after).
    void removeTile(const std::string& key);
    /// Forgets every tile without touching the graph (the whole bin is being torn down).
    void detachTiles();
    /// Sets the size (pixels) and fit of the tile in composite `key`.
    void setTileGeometry(const std::string& key, int width, int height, Fit fit);
    /// Whether the tile is shown. Off stage the video is dropped before decoding; coming back
    /// asks the sender for a keyframe.
    void setShown(bool shown);
    /// Whether the camera shows (false: the name tile, a black frame with the label, whatever
    /// the participant sends; media/TileBlanker).
    void setVideoBlanked(bool blanked);
    /// Sets the marks drawn on every tile of this participant (media/TileMarks.h), now and
    /// for tiles built later; a tile that gets no frames (placeholder, blanked) gets one.
    void setTileMarks(const TileMarks& marks);

    // The screen share (m-line 2). Its decoder is linked when its stream appears and stays
    // (webrtcbin's pad must stay linked), but decodes only while the share is active.
    /// Starts (asking the presenter for a keyframe) or stops decoding the screen.
    void setScreenActive(bool active);
    bool screenActive() const;
    /// The ghost pad of the screen's tile in composite `key`, built on first use; nullptr if
    /// it cannot be built.
    GstPad* addScreenTile(const std::string& key);
    /// Removes it (the caller releases the compositor pad after).
    void removeScreenTile(const std::string& key);
    /// The screen tile's size in composite `key`, pixels: the screen is letterboxed into it.
    void setScreenGeometry(const std::string& key, int width, int height);

    GstElement* audioSink() const { return audioSink_.get(); }
    std::shared_ptr<InputGate> inputGate() const;

private:
    struct Shared;  // State shared with streaming-thread callbacks.
    struct Callbacks;
    GstBin* bin_ = nullptr;
    std::string label_;
    core::ElementPtr decodedTee_;
    TileMarks marks_;
    std::map<std::string, std::unique_ptr<TileBranch>> tiles_;        ///< By composite key.
    core::ElementPtr screenTee_;                                      ///< The decoded screen share.
    std::map<std::string, std::unique_ptr<TileBranch>> screenTiles_;  ///< By composite key.
    core::ElementPtr audioSink_;
    PlaceholderTile placeholder_;
    core::PadPtr tileQueueSrc_;  ///< Decoded video on its way to the tile's scaler.
    TileBlanker blanker_;        ///< Attached to tileQueueSrc_ once first blanked.
    GstElement* webrtc_ = nullptr;
    gulong padAddedHandler_ = 0;
    std::shared_ptr<Shared> shared_;
};

}  // namespace mixmeet::media
