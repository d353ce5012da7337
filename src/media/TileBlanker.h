// Blanks a participant's tile without touching the tile chain: while blanked, every decoded
// frame on its way to the tile is painted black in place, so the tile shows the name label on
// a black background, as the placeholder tile of a receive-only participant does. Used when
// the host stops a participant's video or the participant turns its camera off
// (docs/protocol.md, "Meeting controls"); the room also asks such a sender for its minimum
// (the off-stage send hint), so the frames painted are small.
//
// Threads: attach/detach/setBlanked on the main thread; the probe runs on the streaming
// thread of the pad and only reads an atomic flag and the pad's caps.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <atomic>
#include <memory>

#include "core/GstPtr.h"

namespace mixmeet::media {

/// Paints the raw video frame in `buffer` (described by `info`, which must match it) black in
/// place: luma 16 and chroma 128 (video range) for planar and semi-planar YUV. `buffer` must
/// be writable. Returns false, leaving it untouched, for any other format or a buffer too
/// small for `info`.
bool paintBlack(GstBuffer* buffer, const GstVideoInfo& info);

class TileBlanker {
public:
    TileBlanker() = default;
    ~TileBlanker() { detach(); }
    TileBlanker(const TileBlanker&) = delete;
    TileBlanker& operator=(const TileBlanker&) = delete;

    /// Watches the raw video buffers flowing through `pad` (a src pad into the tile chain,
    /// e.g. the tile queue's) and sends black frames down it. Replaces an earlier attach.
    void attach(GstPad* pad);
    /// Removes the probe (idempotent).
    void detach();
    /// From the next frame on, blank (true) or show (false) the picture. Blanking also sends
    /// one black frame at once (pushBlackFrame()): a sender that stopped its camera sends no
    /// more frames, and the compositor would keep showing its last picture.
    void setBlanked(bool blanked);
    /// Sends one black frame of the pad's current format down the pad, stamped now (the
    /// compositor keeps showing a tile's last frame). Nothing before the pad had a format or
    /// a segment. The frame goes from one of GStreamer's threads (gst_element_call_async),
    /// never from the caller's.
    void pushBlackFrame();
    bool blanked() const { return state_->blanked.load(std::memory_order_relaxed); }

private:
    struct State {
        std::atomic<bool> blanked{false};
    };
    static GstPadProbeReturn onBuffer(GstPad* pad, GstPadProbeInfo* info, gpointer data) noexcept;

    std::shared_ptr<State> state_ = std::make_shared<State>();
    core::PadPtr pad_;
    gulong probe_ = 0;
};

}  // namespace mixmeet::media
