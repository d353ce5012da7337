#include "media/Composites.h"

#include <gst/app/gstappsrc.h>

#include <algorithm>

#include "core/Log.h"
#include "media/Teardown.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

namespace {
/// zorder of the highlight bars: above every tile.
constexpr int kHighlightZorder = 1000;
/// The highlight's colour, I420 video range: a warm yellow.
constexpr guint8 kHighlightY = 200, kHighlightU = 30, kHighlightV = 150;
constexpr int kHighlightFrame = 16;  ///< Pixels of the one frame each bar is fed (scaled).
}  // namespace

std::string View::key() const {
    return pin.empty() ? std::string(layoutName(layout)) : "pin-" + pin;
}

View Composites::viewOf(LayoutKind layout, const std::string& pin) {
    return pin.empty() ? View{layout, {}} : View{LayoutKind::Speaker, pin};
}

Composites::Composites(GstBin* pipeline, const MediaConfig& config, const Fragments& fragments)
    : pipeline_(pipeline), config_(config), fragments_(fragments), specs_(tierSpecs(config)) {}

Composites::~Composites() {
    while (!composites_.empty()) destroy(composites_.begin()->first);
}

void Composites::addParticipant(const std::string& id, Endpoint& endpoint) {
    participants_.emplace_back(id, &endpoint);
    for (auto& [view, c] : composites_) addTile(view, c, id, endpoint);
}

void Composites::removeParticipant(const std::string& id) {
    auto it = std::find_if(participants_.begin(), participants_.end(),
                           [&](const auto& p) { return p.first == id; });
    if (it == participants_.end()) return;
    for (auto& [view, c] : composites_) {
        auto in = c.inputs.find(id);
        if (in == c.inputs.end()) continue;
        it->second->removeTile(view.key());
        c.mixer->releaseInput(in->second);
        c.inputs.erase(in);
    }
    participants_.erase(it);
    if (speaker_ == id) speaker_.clear();
    if (presenter_ == id) setScreen({}, nullptr);
}

void Composites::setScreen(const std::string& id, Endpoint* endpoint) {
    for (auto& [view, c] : composites_) removeScreen(view.layout, c);
    presenter_ = endpoint ? id : std::string();
    presenterEp_ = endpoint;
    for (auto& [view, c] : composites_) {
        addScreen(view.layout, c);
        placeOne(view, c);
    }
}

std::optional<Rect> Composites::screenPlacement(LayoutKind layout) const {
    if (layout != LayoutKind::Presentation || !presenterEp_) return std::nullopt;
    LayoutResult r = computeLayout(LayoutRequest{layout, static_cast<int>(shown_.size()), -1, true,
                                                 config_.width, config_.height});
    if (!r.screen) return std::nullopt;
    return r.screen->rect;
}

void Composites::addScreen(LayoutKind layout, Composite& c) {
    if (layout != LayoutKind::Presentation || !presenterEp_ || c.screenInput) return;
    const std::string key(layoutName(layout));
    GstPad* src = presenterEp_->addScreenTile(key);
    core::PadPtr pad = c.mixer->requestInput();
    if (!src || !pad || GST_PAD_LINK_FAILED(gst_pad_link(src, pad.get()))) {
        GST_ERROR("cannot add %s's screen to the %s composite", presenter_.c_str(), key.c_str());
        presenterEp_->removeScreenTile(key);
        c.mixer->releaseInput(pad);
        return;
    }
    c.mixer->hideTile(pad);  // until placed
    c.screenInput = std::move(pad);
}

void Composites::removeScreen(LayoutKind layout, Composite& c) {
    if (!c.screenInput) return;
    if (presenterEp_) presenterEp_->removeScreenTile(std::string(layoutName(layout)));
    c.mixer->releaseInput(c.screenInput);
    c.screenInput.reset();
}

void Composites::addTile(const View& view, Composite& c, const std::string& id, Endpoint& ep) {
    GstPad* src = ep.addTile(view.key());
    core::PadPtr pad = c.mixer->requestInput();
    if (!src || !pad || GST_PAD_LINK_FAILED(gst_pad_link(src, pad.get()))) {
        GST_ERROR("cannot add %s's tile to the %s composite", id.c_str(), view.key().c_str());
        ep.removeTile(view.key());
        c.mixer->releaseInput(pad);
        return;
    }
    c.mixer->hideTile(pad);  // until placed
    c.inputs.emplace(id, std::move(pad));
}

Composites::Composite* Composites::build(const View& view) {
    const std::string key = view.key();
    auto mixer = VideoMixer::create(pipeline_, config_, fragments_, key, lateDropped_, keyframes_);
    if (!mixer) {
        GST_ERROR("cannot build the %s composite: %s", key.c_str(), mixer.error().message.c_str());
        return nullptr;
    }
    Composite& c = composites_[view];
    c.mixer = std::move(mixer).value();
    c.mixer->setRecordingMark(recordingMark_);
    for (auto& [id, ep] : participants_) addTile(view, c, id, *ep);
    addScreen(view.layout, c);
    buildHighlight(view, c);
    placeOne(view, c);
    GST_INFO("%s composite started", key.c_str());
    return &c;
}

void Composites::buildHighlight(const View& view, Composite& c) {
    // Each bar: an appsrc fed one solid frame; the compositor repeats a pad's last frame, so
    // nothing is rendered again until the bar moves (pad properties only).
    for (std::size_t i = 0; i < c.highlight.size(); ++i) {
        const std::string name = "highlight_" + view.key() + "_" + std::to_string(i);
        core::ElementPtr src = core::makeElement("appsrc", name.c_str());
        core::CapsPtr caps(gst_caps_new_simple(
            "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, kHighlightFrame,
            "height", G_TYPE_INT, kHighlightFrame, "framerate", GST_TYPE_FRACTION, 0, 1,
            "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr));
        g_object_set(src.get(), "caps", caps.get(), "is-live", TRUE, "format", GST_FORMAT_TIME,
                     "do-timestamp", TRUE, nullptr);
        gst_bin_add(pipeline_, src.get());
        gst_element_sync_state_with_parent(src.get());
        core::PadPtr out = core::PadPtr::adopt(gst_element_get_static_pad(src.get(), "src"));
        core::PadPtr pad = c.mixer->requestInput();
        if (!pad || GST_PAD_LINK_FAILED(gst_pad_link(out.get(), pad.get()))) {
            GST_ERROR("cannot link highlight bar %s", name.c_str());
            c.mixer->releaseInput(pad);
            gst_bin_remove(pipeline_, src.get());
            Teardown::submit(std::move(src));
            continue;
        }
        c.mixer->hideTile(pad);
        constexpr gsize kLuma = kHighlightFrame * kHighlightFrame;
        GstBuffer* frame = gst_buffer_new_allocate(nullptr, kLuma * 3 / 2, nullptr);
        gst_buffer_memset(frame, 0, kHighlightY, kLuma);
        gst_buffer_memset(frame, kLuma, kHighlightU, kLuma / 4);
        gst_buffer_memset(frame, kLuma + kLuma / 4, kHighlightV, kLuma / 4);
        gst_app_src_push_buffer(GST_APP_SRC(src.get()), frame);  // takes ownership
        c.highlight[i] = std::move(pad);
        c.highlightSrcs[i] = std::move(src);
    }
}

void Composites::destroy(const View& view) {
    auto it = composites_.find(view);
    if (it == composites_.end()) return;
    Composite& c = it->second;
    const std::string key = view.key();
    for (auto& [id, pad] : c.inputs) {
        auto p = std::find_if(participants_.begin(), participants_.end(),
                              [&](const auto& e) { return e.first == id; });
        if (p != participants_.end()) p->second->removeTile(key);
        c.mixer->releaseInput(pad);
    }
    c.inputs.clear();
    removeScreen(view.layout, c);
    for (std::size_t i = 0; i < c.highlight.size(); ++i) {
        if (c.highlightSrcs[i]) {
            gst_bin_remove(pipeline_, c.highlightSrcs[i].get());
            Teardown::submit(std::move(c.highlightSrcs[i]));
        }
        c.mixer->releaseInput(c.highlight[i]);
    }
    composites_.erase(it);  // the mixer: its tiers, then its own elements
    GST_INFO("%s composite stopped", key.c_str());
}

core::PadPtr Composites::requestOutput(LayoutKind layout, int tier, const std::string& pin) {
    const View view = viewOf(layout, pin);
    auto it = composites_.find(view);
    Composite* c = it == composites_.end() ? build(view) : &it->second;
    if (!c) return {};
    core::PadPtr pad = c->mixer->requestOutput(tier);
    if (pad)
        ++c->viewers[tier];
    else if (c->viewers.empty())
        destroy(view);
    return pad;
}

void Composites::releaseOutput(LayoutKind layout, int tier, const core::PadPtr& pad,
                               const std::string& pin) {
    const View view = viewOf(layout, pin);
    auto it = composites_.find(view);
    if (it == composites_.end() || !pad) return;
    Composite& c = it->second;
    c.mixer->releaseOutput(tier, pad);
    if (--c.viewers[tier] <= 0) c.viewers.erase(tier);
    if (c.viewers.empty()) destroy(view);
}

core::PadPtr Composites::requestRawOutput(LayoutKind layout) {
    const View view = viewOf(layout, {});
    auto it = composites_.find(view);
    Composite* c = it == composites_.end() ? build(view) : &it->second;
    if (!c) return {};
    core::PadPtr pad = c->mixer->requestRawOutput();
    if (pad)
        ++c->viewers[kRawTier];
    else if (c->viewers.empty())
        destroy(view);
    return pad;
}

void Composites::releaseRawOutput(LayoutKind layout, const core::PadPtr& pad) {
    const View view = viewOf(layout, {});
    auto it = composites_.find(view);
    if (it == composites_.end() || !pad) return;
    Composite& c = it->second;
    c.mixer->releaseRawOutput(pad);
    if (--c.viewers[kRawTier] <= 0) c.viewers.erase(kRawTier);
    if (c.viewers.empty()) destroy(view);
}

void Composites::setRecordingMark(bool on) {
    recordingMark_ = on;
    for (auto& [view, c] : composites_) c.mixer->setRecordingMark(on);
}

void Composites::forceKeyframe(LayoutKind layout, int tier, const std::string& pin) {
    auto it = composites_.find(viewOf(layout, pin));
    if (it != composites_.end()) it->second.mixer->forceKeyframe(tier);
}

void Composites::place(const std::vector<std::string>& shown, const std::string& speaker) {
    shown_ = shown;
    speaker_ = speaker;
    for (auto& [view, c] : composites_) placeOne(view, c);
}

Placement Composites::placement(LayoutKind layout, const std::string& pin) const {
    return placement(viewOf(layout, pin));
}

Placement Composites::placement(const View& view) const {
    Placement out;
    int focus = -1;
    const std::string& large =
        !view.pin.empty() && std::find(shown_.begin(), shown_.end(), view.pin) != shown_.end()
            ? view.pin
            : speaker_;
    for (std::size_t i = 0; i < shown_.size(); ++i)
        if (shown_[i] == large) focus = static_cast<int>(i);
    const bool screen = view.layout == LayoutKind::Presentation && presenterEp_;
    LayoutResult r = computeLayout(LayoutRequest{view.layout, static_cast<int>(shown_.size()),
                                                 focus, screen, config_.width, config_.height});
    for (std::size_t i = 0; i < shown_.size() && i < r.cameras.size(); ++i)
        out[shown_[i]] = r.cameras[i].rect;
    return out;
}

void Composites::placeOne(const View& view, Composite& c) {
    const std::string key = view.key();
    Placement where = placement(view);
    for (auto& [id, pad] : c.inputs) {
        auto at = where.find(id);
        auto p = std::find_if(participants_.begin(), participants_.end(),
                              [&](const auto& e) { return e.first == id; });
        if (at == where.end() || p == participants_.end()) {
            c.mixer->hideTile(pad);
            continue;
        }
        const Rect& r = at->second;
        auto order = std::find(shown_.begin(), shown_.end(), id) - shown_.begin();
        c.mixer->setTile(pad, r, static_cast<int>(order));
        p->second->setTileGeometry(key, r.width, r.height, Fit::Crop);
    }
    if (c.screenInput) {
        std::optional<Rect> screen = screenPlacement(view.layout);
        if (screen && presenterEp_) {
            c.mixer->setTile(c.screenInput, *screen, 0);
            presenterEp_->setScreenGeometry(key, screen->width, screen->height);
        } else {
            c.mixer->hideTile(c.screenInput);
        }
    }
    auto speaker = where.find(speaker_);
    for (std::size_t i = 0; i < c.highlight.size(); ++i) {
        if (!c.highlight[i]) continue;
        if (speaker == where.end() || where.size() < 2) {
            c.mixer->hideTile(c.highlight[i]);
            continue;
        }
        const Rect bar = borderBars(speaker->second, kHighlightPx)[i];
        // (A 0 size would make the compositor draw the bar's frame at its own size.)
        if (bar.width <= 0 || bar.height <= 0)
            c.mixer->hideTile(c.highlight[i]);
        else
            c.mixer->setTile(c.highlight[i], bar, kHighlightZorder);
    }
}

std::vector<LayoutKind> Composites::active() const {
    std::vector<LayoutKind> out;
    for (const auto& [view, c] : composites_)
        if (std::find(out.begin(), out.end(), view.layout) == out.end()) out.push_back(view.layout);
    return out;
}

std::vector<Placement> Composites::activePlacements() const {
    std::vector<Placement> out;
    for (const auto& [view, c] : composites_) out.push_back(placement(view));
    return out;
}

std::size_t Composites::activeEncoders() const {
    std::size_t n = 0;
    for (const auto& [view, c] : composites_) n += c.mixer->activeEncoders();
    return n;
}

}  // namespace mixmeet::media
