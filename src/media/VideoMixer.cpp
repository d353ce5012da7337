#include "media/VideoMixer.h"

#include <gst/video/video.h>

#include "core/Log.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

using core::ElementPtr;
using core::makeError;

namespace {
ElementPtr make(const char* factory, const char* name) {
    return ElementPtr::refSink(gst_element_factory_make(factory, name));
}
}  // namespace

core::Result<std::unique_ptr<VideoMixer>> VideoMixer::create(GstBin* pipeline,
                                                             const MediaConfig& config,
                                                             const Fragments& fragments) {
    std::unique_ptr<VideoMixer> m(new VideoMixer());
    // force-live is construct-only. min-upstream-latency covers jitter buffer + decode so a
    // late joiner's frames are not late (design.md, "Mixers").
    m->compositor_ = ElementPtr::refSink(gst_element_factory_make_full(
        "compositor", "name", "compositor", "force-live", TRUE, "ignore-inactive-pads", TRUE,
        "background", 1 /* black */, "latency",
        static_cast<guint64>(config.mixerLatencyMs) * GST_MSECOND, "min-upstream-latency",
        static_cast<guint64>(config.jitterBufferMs + 20) * GST_MSECOND, nullptr));
    if (!m->compositor_) return makeError("config", "cannot create compositor");
    ElementPtr caps = make("capsfilter", "composite_caps");
    core::CapsPtr outCaps(gst_caps_new_simple(
        "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, config.width,
        "height", G_TYPE_INT, config.height, "framerate", GST_TYPE_FRACTION, config.framerate, 1,
        "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr));
    g_object_set(caps.get(), "caps", outCaps.get(), nullptr);
    ElementPtr queue = make("queue", "encode_queue");
    g_object_set(queue.get(), "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time",
                 guint64{0}, "leaky", 2 /* downstream */, nullptr);
    auto encodeBin = fragments.makeBin(fragment::kVideoEncodeVp8, "video_encode");
    if (!encodeBin) return encodeBin.error();
    m->encoder_ =
        ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(encodeBin.value().get()), "encoder"));
    if (!m->encoder_)
        return makeError("config", "video-encode-vp8.pipeline has no element named 'encoder'");
    g_object_set(m->encoder_.get(), "target-bitrate", config.videoBitrate,
                 "min-force-key-unit-interval",
                 static_cast<guint64>(config.keyframeMinIntervalMs) * GST_MSECOND, nullptr);
    m->tee_ = make("tee", "video_tee");
    g_object_set(m->tee_.get(), "allow-not-linked", TRUE, nullptr);

    // The pipeline takes its own references; ours drop at the end of scope or with *m.
    gst_bin_add_many(pipeline, m->compositor_.get(), caps.get(), queue.get(),
                     encodeBin.value().get(), m->tee_.get(), nullptr);
    if (!gst_element_link_many(m->compositor_.get(), caps.get(), queue.get(),
                               encodeBin.value().get(), m->tee_.get(), nullptr))
        return makeError("config", "cannot link the composite encoder chain");
    return m;
}

core::PadPtr VideoMixer::requestInput() {
    return core::PadPtr::adopt(gst_element_request_pad_simple(compositor_.get(), "sink_%u"));
}

void VideoMixer::releaseInput(const core::PadPtr& pad) {
    if (pad) gst_element_release_request_pad(compositor_.get(), pad.get());
}

void VideoMixer::setTile(const core::PadPtr& pad, const Rect& rect, int zorder) {
    g_object_set(pad.get(), "xpos", rect.x, "ypos", rect.y, "width", rect.width, "height",
                 rect.height, "zorder", static_cast<guint>(zorder), nullptr);
}

core::PadPtr VideoMixer::requestOutput() {
    return core::PadPtr::adopt(gst_element_request_pad_simple(tee_.get(), "src_%u"));
}

void VideoMixer::releaseOutput(const core::PadPtr& pad) {
    if (pad) gst_element_release_request_pad(tee_.get(), pad.get());
}

void VideoMixer::forceKeyframe() {
    core::PadPtr src = core::PadPtr::adopt(gst_element_get_static_pad(encoder_.get(), "src"));
    gst_pad_send_event(src.get(),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

}  // namespace mixmeet::media
