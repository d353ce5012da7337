#include "media/VideoMixer.h"

#include "core/Log.h"
#include "media/Teardown.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

using core::ElementPtr;
using core::makeError;

std::vector<TierSpec> tierSpecs(const MediaConfig& c) {
    auto even = [](int v) { return std::max(2, v & ~1); };
    return {
        TierSpec{"high", c.width, c.height, c.framerate, c.videoBitrate},
        TierSpec{"medium", even(c.width / 2), even(c.height / 2), c.framerate, c.mediumBitrate},
        TierSpec{"low", even(c.width / 4), even(c.height / 4),
                 std::min(c.framerate, c.lowFramerate), c.lowBitrate},
    };
}

core::Result<std::unique_ptr<VideoMixer>> VideoMixer::create(
    GstBin* pipeline, const MediaConfig& config, const Fragments& fragments, const std::string& key,
    LateCounter lateDropped, VideoTier::KeyframeCounter keyframes) {
    std::unique_ptr<VideoMixer> m(new VideoMixer());
    m->key_ = key;
    if (lateDropped) m->lateDropped_ = std::move(lateDropped);
    if (keyframes) m->keyframes_ = std::move(keyframes);
    const std::string suffix = key.empty() ? "" : "_" + key;
    m->pipeline_ = pipeline;
    m->fragments_ = &fragments;
    m->keyframeMinIntervalMs_ = config.keyframeMinIntervalMs;
    m->maxFrameDelay_ = std::chrono::milliseconds(config.maxFrameDelayMs);
    m->specs_ = tierSpecs(config);
    // force-live is construct-only. Each output frame waits `latency` past its time for the
    // tiles: the tiles report no upstream latency (Endpoint hides the jitter buffer's), so
    // that is all the compositor adds, and a late joiner's frames are no later than others'.
    m->compositor_ = ElementPtr::refSink(gst_element_factory_make_full(
        "compositor", "name", ("compositor" + suffix).c_str(), "force-live", TRUE,
        "ignore-inactive-pads", TRUE, "background", 1 /* black */, "latency",
        static_cast<guint64>(config.mixerLatencyMs) * GST_MSECOND, nullptr));
    if (!m->compositor_) return makeError("config", "cannot create compositor");
    m->caps_ = core::makeElement("capsfilter", ("composite_caps" + suffix).c_str());
    GstElement* caps = m->caps_.get();
    core::CapsPtr outCaps(gst_caps_new_simple(
        "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, config.width, "height",
        G_TYPE_INT, config.height, "framerate", GST_TYPE_FRACTION, config.framerate, 1,
        "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr));
    g_object_set(caps, "caps", outCaps.get(), nullptr);
    m->compositeTee_ = core::makeElement("tee", ("composite_tee" + suffix).c_str());
    g_object_set(m->compositeTee_.get(), "allow-not-linked", TRUE, nullptr);
    // The burned-in recording mark (docs/recording.md): a red "REC" in the top right corner,
    // rendered once by pango; `silent` while not recording (passthrough, no blending).
    m->recMark_ = core::makeElement("textoverlay", ("rec_mark" + suffix).c_str());
    if (!m->recMark_) return makeError("config", "textoverlay missing (gst-plugins-base pango)");
    g_object_set(m->recMark_.get(), "text", "\u25CF REC", "silent", TRUE, "valignment", 2 /* top */,
                 "halignment", 2 /* right */, "color", 0xFFE53935u, "shaded-background", FALSE,
                 "draw-shadow", TRUE, "font-desc", "Sans Bold 16", "xpad", 16, "ypad", 12,
                 "wait-text", FALSE, nullptr);
    // The pipeline takes its own references; ours drop with *m.
    gst_bin_add_many(pipeline, m->compositor_.get(), caps, m->recMark_.get(),
                     m->compositeTee_.get(), nullptr);
    if (!gst_element_link_many(m->compositor_.get(), caps, m->recMark_.get(),
                               m->compositeTee_.get(), nullptr))
        return makeError("config", "cannot link the composite");
    // Built into a running room (a layout's first viewer): running before tiles feed it.
    gst_element_sync_state_with_parent(m->compositeTee_.get());
    gst_element_sync_state_with_parent(m->recMark_.get());
    gst_element_sync_state_with_parent(caps);
    gst_element_sync_state_with_parent(m->compositor_.get());
    // Live aggregators never skip output on their own: starved of CPU, the compositor would
    // fall further and further behind the clock. A late composite is dropped and the compositor
    // told (QoS) to skip ahead.
    core::PadPtr out = core::PadPtr::adopt(gst_element_get_static_pad(m->compositor_.get(), "src"));
    addLateFrameDrop(out.get(), m->maxFrameDelay_, LateKind::Composite, m->lateDropped_);
    return m;
}

VideoMixer::~VideoMixer() {
    active_.clear();
    // A room's composite can stop while the room runs (its layout lost its last viewer): out
    // of the pipeline, stopped on a teardown thread (media/Teardown.h).
    for (core::ElementPtr* e : {&compositeTee_, &recMark_, &caps_, &compositor_})
        if (*e && pipeline_ && GST_OBJECT_PARENT(e->get()) == GST_OBJECT(pipeline_)) {
            gst_bin_remove(pipeline_, e->get());
            Teardown::submit(std::move(*e));
        }
}

core::PadPtr VideoMixer::requestInput() {
    return core::PadPtr::adopt(gst_element_request_pad_simple(compositor_.get(), "sink_%u"));
}

void VideoMixer::releaseInput(const core::PadPtr& pad) {
    if (pad) gst_element_release_request_pad(compositor_.get(), pad.get());
}

void VideoMixer::setTile(const core::PadPtr& pad, const Rect& rect, int zorder) {
    g_object_set(pad.get(), "xpos", rect.x, "ypos", rect.y, "width", rect.width, "height",
                 rect.height, "zorder", static_cast<guint>(zorder), "alpha", 1.0, nullptr);
}

void VideoMixer::hideTile(const core::PadPtr& pad) {
    g_object_set(pad.get(), "alpha", 0.0, nullptr);
}

core::PadPtr VideoMixer::requestOutput(int tier) {
    if (tier < 0 || tier >= static_cast<int>(specs_.size())) return {};
    auto it = active_.find(tier);
    if (it == active_.end()) {
        auto t =
            VideoTier::create(pipeline_, compositeTee_.get(), spec(tier), keyframeMinIntervalMs_,
                              *fragments_, keyframes_, maxFrameDelay_, lateDropped_);
        if (!t) {
            GST_ERROR("cannot start tier %s: %s", specs_[tier].name.c_str(),
                      t.error().message.c_str());
            return {};
        }
        it = active_.emplace(tier, Active{std::move(t).value(), 0}).first;
    }
    core::PadPtr pad = it->second.tier->requestOutput();
    if (pad) ++it->second.viewers;
    return pad;
}

void VideoMixer::setRecordingMark(bool on) {
    if (recMark_) g_object_set(recMark_.get(), "silent", on ? FALSE : TRUE, nullptr);
}

bool VideoMixer::recordingMark() const {
    gboolean silent = TRUE;
    if (recMark_) g_object_get(recMark_.get(), "silent", &silent, nullptr);
    return !silent;
}

core::PadPtr VideoMixer::requestRawOutput() {
    return core::PadPtr::adopt(gst_element_request_pad_simple(compositeTee_.get(), "src_%u"));
}

void VideoMixer::releaseRawOutput(const core::PadPtr& pad) {
    if (pad) gst_element_release_request_pad(compositeTee_.get(), pad.get());
}

TierSpec VideoMixer::spec(int tier) const {
    TierSpec s = specs_[static_cast<std::size_t>(tier)];
    if (!key_.empty()) s.name = key_ + "-" + s.name;  // the tier's bin: "tier-<key>-<name>"
    return s;
}

void VideoMixer::releaseOutput(int tier, const core::PadPtr& pad) {
    auto it = active_.find(tier);
    if (it == active_.end() || !pad) return;
    it->second.tier->releaseOutput(pad);
    if (--it->second.viewers <= 0) active_.erase(it);
}

void VideoMixer::forceKeyframe(int tier) {
    auto it = active_.find(tier);
    if (it != active_.end()) it->second.tier->forceKeyframe();
}

}  // namespace mixmeet::media
