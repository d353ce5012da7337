#include "media/VideoTier.h"

#include <gst/video/video.h>

#include "core/Log.h"
#include "core/MainContext.h"
#include "media/FlowFirewall.h"
#include "media/MediaMetrics.h"
#include "media/QueryFence.h"
#include "media/Teardown.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

using core::ElementPtr;
using core::makeError;

core::Result<std::unique_ptr<VideoTier>> VideoTier::create(
    GstBin* pipeline, GstElement* compositeTee, const TierSpec& spec, int keyframeMinIntervalMs,
    const Fragments& fragments, KeyframeCounter keyframes, std::chrono::milliseconds maxFrameDelay,
    LateCounter lateDropped) {
    std::unique_ptr<VideoTier> t(new VideoTier());
    t->spec_ = spec;
    t->pipeline_ = pipeline;
    t->compositeTee_ = ElementPtr::ref(compositeTee);
    t->bin_ = ElementPtr::refSink(gst_bin_new(("tier-" + spec.name).c_str()));
    GstBin* bin = GST_BIN(t->bin_.get());

    constexpr auto make = &core::makeElement;
    ElementPtr queue = make("queue", "queue");
    g_object_set(queue.get(), "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time",
                 guint64{0}, "leaky", 2 /* downstream */, nullptr);
    ElementPtr scale = make("videoscale", "scale");
    ElementPtr rate = make("videorate", "rate");
    // skip-to-first: a tier started mid-stream would otherwise restamp its output from 0 and
    // never drop (it only catches up with the live timestamps by passing every frame).
    g_object_set(rate.get(), "drop-only", TRUE, "skip-to-first", TRUE, nullptr);
    ElementPtr caps = make("capsfilter", "caps");
    core::CapsPtr c(gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                        G_TYPE_INT, spec.width, "height", G_TYPE_INT, spec.height,
                                        "framerate", GST_TYPE_FRACTION, spec.framerate, 1,
                                        "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr));
    g_object_set(caps.get(), "caps", c.get(), nullptr);
    auto encode = fragments.makeBin(fragment::kVideoEncodeVp8, "encode");
    if (!encode) return encode.error();
    t->encoder_ = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(encode.value().get()), "encoder"));
    if (!t->encoder_)
        return makeError("config", "video-encode-vp8.pipeline has no element named 'encoder'");
    g_object_set(t->encoder_.get(), "target-bitrate", spec.bitrate, "min-force-key-unit-interval",
                 static_cast<guint64>(keyframeMinIntervalMs) * GST_MSECOND, nullptr);
    // Count what the encoder outputs that is not a delta frame (a keyframe).
    core::PadPtr encoded =
        core::PadPtr::adopt(gst_element_get_static_pad(t->encoder_.get(), "src"));
    gst_pad_add_probe(
        encoded.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
            if (!GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info),
                                        GST_BUFFER_FLAG_DELTA_UNIT))
                (*static_cast<KeyframeCounter*>(data))->fetch_add(1, std::memory_order_relaxed);
            return GST_PAD_PROBE_OK;
        },
        new KeyframeCounter(std::move(keyframes)),
        [](gpointer data) { delete static_cast<KeyframeCounter*>(data); });
    t->tee_ = make("tee", "tee");
    g_object_set(t->tee_.get(), "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(bin, queue.get(), scale.get(), rate.get(), caps.get(), encode.value().get(),
                     t->tee_.get(), nullptr);
    if (!gst_element_link_many(queue.get(), scale.get(), rate.get(), caps.get(),
                               encode.value().get(), t->tee_.get(), nullptr))
        return makeError("internal", "cannot link the " + spec.name + " tier");
    // A composite frame already late when the encoder thread gets to it is not encoded.
    core::PadPtr queued = core::PadPtr::adopt(gst_element_get_static_pad(queue.get(), "src"));
    addLateFrameDrop(queued.get(), maxFrameDelay, LateKind::Raw, std::move(lateDropped));
    core::PadPtr in = core::PadPtr::adopt(gst_element_get_static_pad(queue.get(), "sink"));
    fenceSerializedQueries(in.get());
    // A firewall: whatever fails in this tier never reaches the composite tee (and so the
    // compositor and the other tiers); the tier restarts itself (header).
    auto stopped = [weak = t->anchor_.weak(), reported = t->stopReported_](GstFlowReturn flow) {
        if (reported->exchange(true)) return;
        core::postToMain([weak, flow] {
            if (VideoTier* tier = core::resolve(weak)) tier->onStopped(flow);
        });
    };
    if (!firewallGhost(t->bin_.get(), in.get(), "sink", stopped))
        return makeError("internal", "cannot ghost the " + spec.name + " tier's sink pad");

    gst_bin_add(pipeline, t->bin_.get());
    // Running before linking into the live composite (design.md, "Live branches").
    gst_element_sync_state_with_parent(t->bin_.get());
    if (!t->link()) return makeError("internal", "cannot feed the " + spec.name + " tier");
    GST_INFO("tier %s started: %dx%d@%d %d bps", spec.name.c_str(), spec.width, spec.height,
             spec.framerate, spec.bitrate);
    return t;
}

VideoTier::~VideoTier() {
    if (!bin_ || !pipeline_) return;
    if (core::ElementPtr rate =
            core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(bin_.get()), "rate"))) {
        guint64 in = 0, out = 0, drop = 0;
        g_object_get(rate.get(), "in", &in, "out", &out, "drop", &drop, nullptr);
        core::PadPtr src = core::PadPtr::adopt(gst_element_get_static_pad(rate.get(), "src"));
        core::CapsPtr caps(gst_pad_get_current_caps(src.get()));
        core::CharsPtr text(caps ? gst_caps_to_string(caps.get()) : nullptr);
        GST_INFO("tier %s: %" G_GUINT64_FORMAT " frames in, %" G_GUINT64_FORMAT
                 " out, %" G_GUINT64_FORMAT " dropped; %s",
                 spec_.name.c_str(), in, out, drop, text ? text.get() : "no caps");
    }
    // Removing the bin unlinks it from the composite tee; it goes to NULL on a teardown
    // thread (media/Teardown.h): the main loop never waits for its encoder's streaming thread.
    if (GST_OBJECT_PARENT(bin_.get()) == GST_OBJECT(pipeline_))
        gst_bin_remove(pipeline_, bin_.get());
    if (compositePad_) gst_element_release_request_pad(compositeTee_.get(), compositePad_.get());
    Teardown::submit(std::move(bin_));
    GST_INFO("tier %s stopped", spec_.name.c_str());
}

bool VideoTier::link() {
    compositePad_ =
        core::PadPtr::adopt(gst_element_request_pad_simple(compositeTee_.get(), "src_%u"));
    core::PadPtr sink = core::PadPtr::adopt(gst_element_get_static_pad(bin_.get(), "sink"));
    return compositePad_ && !GST_PAD_LINK_FAILED(gst_pad_link(compositePad_.get(), sink.get()));
}

void VideoTier::onStopped(GstFlowReturn flow) {
    const gint64 wait =
        lastRestartUs_ + kMinRestartInterval.count() * 1000 - g_get_monotonic_time();
    if (lastRestartUs_ && wait > 0) {
        // Failed again soon after a restart: restart at the interval's end, not in a loop.
        core::postToMainDelayed(static_cast<unsigned>(wait / 1000) + 1,
                                [weak = anchor_.weak(), flow] {
                                    if (VideoTier* t = core::resolve(weak)) t->restart(flow);
                                });
        return;
    }
    restart(flow);
}

void VideoTier::restart(GstFlowReturn flow) {
    lastRestartUs_ = g_get_monotonic_time();
    ++restarts_;
    mediaMetrics().tierRestarts.fetch_add(1, std::memory_order_relaxed);
    g_message("tier %s stopped (flow %s inside it); restarting it (restart %d)", spec_.name.c_str(),
              gst_flow_get_name(flow), restarts_);
    if (compositePad_) {
        gst_element_release_request_pad(compositeTee_.get(), compositePad_.get());
        compositePad_.reset();
    }
    Teardown::cycle(bin_, [weak = anchor_.weak()] {
        if (VideoTier* t = core::resolve(weak)) t->feed();
    });
}

void VideoTier::feed() {
    if (!link()) {
        GST_ERROR("tier %s: cannot feed it again after its restart", spec_.name.c_str());
        return;
    }
    stopReported_->store(false);
    forceKeyframe();
}

core::PadPtr VideoTier::requestOutput() {
    // Viewers' bins are siblings of ours, so they link to a ghost pad on our bin (pads link
    // only between elements with the same parent).
    core::PadPtr teePad = core::PadPtr::adopt(gst_element_request_pad_simple(tee_.get(), "src_%u"));
    if (!teePad) return {};
    core::PadPtr ghost = core::PadPtr::refSink(gst_ghost_pad_new(nullptr, teePad.get()));
    gst_pad_set_active(ghost.get(), TRUE);
    gst_element_add_pad(bin_.get(), ghost.get());
    return ghost;
}

void VideoTier::releaseOutput(const core::PadPtr& pad) {
    if (!pad) return;
    core::PadPtr teePad = core::PadPtr::adopt(gst_ghost_pad_get_target(GST_GHOST_PAD(pad.get())));
    gst_element_remove_pad(bin_.get(), pad.get());
    if (teePad) gst_element_release_request_pad(tee_.get(), teePad.get());
}

void VideoTier::forceKeyframe() {
    core::PadPtr src = core::PadPtr::adopt(gst_element_get_static_pad(encoder_.get(), "src"));
    gst_pad_send_event(src.get(),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

}  // namespace mixmeet::media
