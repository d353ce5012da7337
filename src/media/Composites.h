// A room's composites: one VideoMixer (compositor + tier encoders) per layout that has
// viewers, each with a tile (TileBranch) of every participant. Cost follows the distinct
// (layout, tier) pairs with viewers, never the number of viewers: viewers of the same layout
// and tier share one composite and one encode; a layout nobody watches has no compositor,
// tiles or encoders.
//
//   participant bin: decoded tee -> tile_grid ----> compositor_grid -> tee -> tier encoders
//                                -> tile_speaker -> compositor_speaker -> tee -> tier encoders
//   presenter's bin: screen tee -> tile_screen_presentation -> compositor_presentation (large)
//
// The shared screen (setScreen) is a tile of the presentation composite only: screen large and
// letterboxed, every camera in the strip (media/Layout.h).
//
// The active speaker's tile is highlighted in every composite by four thin opaque bars over its
// edges: compositor pads fed one frame of a solid colour (the compositor repeats a pad's last
// frame), so a highlight costs no render and moving it is four pad property changes.
//
// Threads: main thread only. Owns the composites; participants' endpoints are the room's.
#pragma once

#include <gst/gst.h>

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/GstPtr.h"
#include "media/Endpoint.h"
#include "media/Fragments.h"
#include "media/Layout.h"
#include "media/MediaConfig.h"
#include "media/VideoMixer.h"

namespace mixmeet::media {

/// Where each participant is in one composite: participant id -> tile, in composite pixels.
using Placement = std::map<std::string, Rect>;

/// Which composite: a layout, and for a viewer who pinned someone, the participant shown
/// large (a speaker layout of its own, shared by every viewer who pinned the same one).
struct View {
    LayoutKind layout = LayoutKind::Grid;
    std::string pin;  ///< Empty: the layout as it is for everyone.
    auto operator<=>(const View&) const = default;
    /// The tile key (Endpoint::addTile) and element name part: the layout's name, or
    /// "pin-<id>".
    std::string key() const;
};

class Composites {
public:
    /// `fragments` must outlive this.
    Composites(GstBin* pipeline, const MediaConfig& config, const Fragments& fragments);
    ~Composites();
    Composites(const Composites&) = delete;
    Composites& operator=(const Composites&) = delete;

    /// A participant joined: it gets a tile in every composite (placed by the next place()).
    /// `endpoint` must stay valid until removeParticipant.
    void addParticipant(const std::string& id, Endpoint& endpoint);
    /// Removes its tiles (call before destroying its endpoint).
    void removeParticipant(const std::string& id);

    /// A pad carrying layout `layout`'s composite at tier `tier` (VP8); builds the composite
    /// (tiles, placement) and the tier's encoder if they were idle. Empty pad on failure.
    /// `pin` (a participant id): the speaker layout with that participant large instead of
    /// the active speaker (`layout` is then ignored), for the viewers who pinned them.
    core::PadPtr requestOutput(LayoutKind layout, int tier, const std::string& pin = {});
    /// Stops the tier's encoder with its last viewer, and the composite with its last tier.
    void releaseOutput(LayoutKind layout, int tier, const core::PadPtr& pad,
                       const std::string& pin = {});
    /// A pad carrying layout `layout`'s raw composite (I420, the high tier's size; never a
    /// pinned view); builds the composite if it was idle (it counts as a viewer). Empty pad on
    /// failure.
    core::PadPtr requestRawOutput(LayoutKind layout);
    void releaseRawOutput(LayoutKind layout, const core::PadPtr& pad);
    /// The burned-in recording mark in every composite (and those built later).
    void setRecordingMark(bool on);
    bool recordingMark() const { return recordingMark_; }
    /// Asks that encoder for a keyframe (rate-limited by the encoder).
    void forceKeyframe(LayoutKind layout, int tier, const std::string& pin = {});

    /// Lays out every composite: `shown` in tile order (the others hidden), `speaker` large in
    /// the speaker layout and highlighted in all (empty: nobody). Remembered for composites
    /// built later.
    void place(const std::vector<std::string>& shown, const std::string& speaker);
    /// Where everyone is in layout `layout` (computed even if no composite shows it); with
    /// `pin`, in the speaker layout with that participant large (if shown).
    Placement placement(LayoutKind layout, const std::string& pin = {}) const;

    /// The shared screen: `endpoint`'s (participant `id`) screen share is shown large in the
    /// presentation composite (letterboxed) from now on; a null endpoint takes the screen out
    /// (its tile and compositor pad removed). `endpoint` must stay valid until the screen is
    /// cleared or the participant removed (which clears it).
    void setScreen(const std::string& id, Endpoint* endpoint);
    const std::string& presenter() const { return presenter_; }
    /// Where the screen is in layout `layout`; nullopt if that layout shows none.
    std::optional<Rect> screenPlacement(LayoutKind layout) const;

    /// Layouts that have a composite now (a pinned view counts as speaker).
    std::vector<LayoutKind> active() const;
    /// Where everyone is in each composite that exists now, pinned views included.
    std::vector<Placement> activePlacements() const;
    std::size_t compositeCount() const { return composites_.size(); }
    /// Tier encoders running, over all composites.
    std::size_t activeEncoders() const;
    const std::vector<TierSpec>& tiers() const { return specs_; }
    std::uint64_t keyframes() const { return keyframes_->load(std::memory_order_relaxed); }
    std::uint64_t lateDropped() const { return lateDropped_->load(std::memory_order_relaxed); }
    const LateCounter& lateCounter() const { return lateDropped_; }

    /// Highlight bar thickness, pixels at the composite's size.
    static constexpr int kHighlightPx = 4;
    /// The viewers key of raw outputs.
    static constexpr int kRawTier = -1;

private:
    struct Composite {
        std::unique_ptr<VideoMixer> mixer;
        std::map<std::string, core::PadPtr> inputs;     ///< participant id -> compositor pad
        core::PadPtr screenInput;                       ///< the shared screen's pad
        std::array<core::PadPtr, 4> highlight;          ///< bar pads (compositor)
        std::array<core::ElementPtr, 4> highlightSrcs;  ///< their appsrcs (in the pipeline)
        std::map<int, int> viewers;                     ///< tier (kRawTier: raw outputs) -> viewers
    };
    static View viewOf(LayoutKind layout, const std::string& pin);
    Placement placement(const View& view) const;
    Composite* build(const View& view);
    void destroy(const View& view);
    void addTile(const View& view, Composite& c, const std::string& id, Endpoint& ep);
    void placeOne(const View& view, Composite& c);
    void buildHighlight(const View& view, Composite& c);
    /// Adds / removes the presenter's screen tile in composite `c` (if its layout shows one;
    /// a pinned view never does).
    void addScreen(LayoutKind layout, Composite& c);
    void removeScreen(LayoutKind layout, Composite& c);

    GstBin* pipeline_;
    MediaConfig config_;
    const Fragments& fragments_;
    std::vector<TierSpec> specs_;
    LateCounter lateDropped_ = std::make_shared<std::atomic<std::uint64_t>>(0);
    VideoTier::KeyframeCounter keyframes_ = std::make_shared<std::atomic<std::uint64_t>>(0);
    std::vector<std::pair<std::string, Endpoint*>> participants_;  ///< Join order.
    std::vector<std::string> shown_;
    std::string speaker_;
    std::string presenter_;            ///< Whose screen is shared; empty: nobody's.
    Endpoint* presenterEp_ = nullptr;  ///< Its endpoint.
    bool recordingMark_ = false;
    std::map<View, Composite> composites_;
};

}  // namespace mixmeet::media
