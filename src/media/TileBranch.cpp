#include "media/TileBranch.h"

#include <algorithm>

#include <gst/video/video.h>

#include "core/Log.h"
#include "media/FlowFirewall.h"
#include "media/QueryFence.h"
#include "media/Teardown.h"
#include "media/TileLabel.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

using core::ElementPtr;
using core::makeError;
using core::PadPtr;

namespace {

constexpr auto make = &core::makeElement;

/// Any thread: answers the compositor's LATENCY query for this tile with a minimum of 0
/// instead of the jitter buffer's latency. rtpjitterbuffer pushes in-order packets at once and
/// stamps them with their arrival time, so frames reach the compositor a few ms after their
/// timestamp; counting the jitter buffer's (worst-case) hold would make every composite wait
/// for it. The compositor then waits only its own `latency` (mixer_latency_ms) past each
/// output frame's time; a frame that comes later shows in the next composite instead.
GstPadProbeReturn hideJitterBufferLatency(GstPad*, GstPadProbeInfo* info, gpointer) noexcept {
    GstQuery* query = GST_PAD_PROBE_INFO_QUERY(info);
    if (!(info->type & GST_PAD_PROBE_TYPE_PULL) || !query ||
        GST_QUERY_TYPE(query) != GST_QUERY_LATENCY)
        return GST_PAD_PROBE_OK;
    gboolean live = FALSE;
    GstClockTime min = 0, max = GST_CLOCK_TIME_NONE;
    gst_query_parse_latency(query, &live, &min, &max);
    gst_query_set_latency(query, live, 0, max);
    return GST_PAD_PROBE_OK;
}

/// Streaming thread of the videocrop's sink pad: sets videocrop's margins to centreCrop() of
/// the incoming size for the tile's aspect, on every CAPS event (before videocrop sees it, so
/// it negotiates with margins that fit the new size) and on the first frame after the tile's
/// size changed. Only this thread sets the margins: they always match the caps they crop
/// (margins set from another thread against older caps could exceed a smaller frame).
GstPadProbeReturn applyCrop(GstPad* pad, GstPadProbeInfo* info, gpointer data) noexcept {
    auto& target = **static_cast<std::shared_ptr<TileBranch::CropTarget>*>(data);
    core::CapsPtr caps;
    if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
        GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
        if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
        GstCaps* c = nullptr;
        gst_event_parse_caps(event, &c);
        caps = core::CapsPtr(gst_caps_ref(c));
    } else {
        if (target.generation.load(std::memory_order_acquire) == target.applied)
            return GST_PAD_PROBE_OK;
        caps = core::CapsPtr(gst_pad_get_current_caps(pad));
    }
    target.applied = target.generation.load(std::memory_order_acquire);
    GstVideoInfo vinfo;
    if (!caps || !gst_video_info_from_caps(&vinfo, caps.get())) return GST_PAD_PROBE_OK;
    const int srcW = GST_VIDEO_INFO_WIDTH(&vinfo), srcH = GST_VIDEO_INFO_HEIGHT(&vinfo);
    const Rect keep = centreCrop(srcW, srcH, target.width.load(std::memory_order_relaxed),
                                 target.height.load(std::memory_order_relaxed));
    core::ElementPtr crop = core::ElementPtr::adopt(gst_pad_get_parent_element(pad));
    if (!crop) return GST_PAD_PROBE_OK;
    g_object_set(crop.get(), "left", keep.x, "right", srcW - keep.x - keep.width, "top", keep.y,
                 "bottom", srcH - keep.y - keep.height, nullptr);
    return GST_PAD_PROBE_OK;
}

/// Links src -> sink of each pair without the caps check: gst_element_link_many and a checked
/// gst_pad_link query the caps of the whole chain (videoconvert's and textoverlay's caps are
/// large) for every link, which was three quarters of the main thread's time in a layout
/// switch or share start (perf, bench --action-latency): a new composite builds a tile for
/// every participant. These raw-video elements always fit one another; the caps are
/// negotiated on the streaming thread as before, and a mismatch would show there.
bool linkUnchecked(GstPad* src, GstPad* sink) {
    return src && sink &&
           GST_PAD_LINK_SUCCESSFUL(gst_pad_link_full(src, sink, GST_PAD_LINK_CHECK_HIERARCHY));
}
bool linkUnchecked(GstElement* from, const char* srcPad, GstElement* to, const char* sinkPad) {
    PadPtr src = PadPtr::adopt(gst_element_get_static_pad(from, srcPad));
    PadPtr sink = PadPtr::adopt(gst_element_get_static_pad(to, sinkPad));
    return linkUnchecked(src.get(), sink.get());
}

}  // namespace

core::Result<std::unique_ptr<TileBranch>> TileBranch::create(GstBin* participantBin,
                                                             GstElement* tee,
                                                             const std::string& key,
                                                             const std::string& label) {
    std::unique_ptr<TileBranch> t(new TileBranch());
    t->participantBin_ = participantBin;
    t->tee_ = ElementPtr::ref(tee);
    t->bin_ = ElementPtr::refSink(gst_bin_new(("tile-" + key).c_str()));
    GstBin* bin = GST_BIN(t->bin_.get());

    ElementPtr queue = make("queue", "queue");
    g_object_set(queue.get(), "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time",
                 guint64{0}, "leaky", kTileQueueLeaky, nullptr);
    t->crop_ = make("videocrop", "crop");
    ElementPtr convert = make("videoconvert", "convert");
    ElementPtr scale = make("videoscale", "scale");
    t->caps_ = make("capsfilter", "caps");
    ElementPtr labelEl = make("textoverlay", "label");
    t->reaction_ = make("textoverlay", "reaction");
    if (!labelEl || !t->reaction_)
        return makeError("internal", "textoverlay (pango) is not installed");
    if (!t->crop_) return makeError("internal", "videocrop is not installed");
    t->label_ = labelEl;
    t->name_ = label;
    // "text" is Pango markup: the name goes in escaped and bounded (media/TileLabel.h), on one
    // line (wrap-mode none: a long name is cut at the tile's edge, not wrapped over it).
    g_object_set(labelEl.get(), "text", tileLabelMarkup(label).c_str(), "valignment",
                 1 /* bottom */, "halignment", 0 /* left */, "shaded-background", TRUE, "font-desc",
                 "Sans Bold 16", nullptr);
    gst_util_set_object_arg(G_OBJECT(labelEl.get()), "wrap-mode", "none");
    // The reaction: one emoji (protocol::kReactions) in the middle, sized by setGeometry;
    // silent (frames pass untouched) while there is none.
    g_object_set(t->reaction_.get(), "text", "", "silent", TRUE, "valignment", 4 /* center */,
                 "halignment", 1 /* center */, "font-desc", "Sans 48", nullptr);
    gst_util_set_object_arg(G_OBJECT(t->reaction_.get()), "wrap-mode", "none");
    gst_bin_add_many(bin, queue.get(), t->crop_.get(), convert.get(), scale.get(), t->caps_.get(),
                     labelEl.get(), t->reaction_.get(), nullptr);
    if (!linkUnchecked(queue.get(), "src", t->crop_.get(), "sink") ||
        !linkUnchecked(t->crop_.get(), "src", convert.get(), "sink") ||
        !linkUnchecked(convert.get(), "src", scale.get(), "sink") ||
        !linkUnchecked(scale.get(), "src", t->caps_.get(), "sink") ||
        !linkUnchecked(t->caps_.get(), "src", labelEl.get(), "video_sink") ||
        !linkUnchecked(labelEl.get(), "src", t->reaction_.get(), "video_sink"))
        return makeError("internal", "cannot link the tile chain");
    {
        PadPtr cropSink = PadPtr::adopt(gst_element_get_static_pad(t->crop_.get(), "sink"));
        gst_pad_add_probe(cropSink.get(),
                          static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                       GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                          applyCrop, new std::shared_ptr<CropTarget>(t->cropTarget_),
                          [](gpointer d) { delete static_cast<std::shared_ptr<CropTarget>*>(d); });
    }
    PadPtr in = PadPtr::adopt(gst_element_get_static_pad(queue.get(), "sink"));
    fenceSerializedQueries(in.get());
    // A firewall: a tile whose compositor pad goes away must not stop the participant's
    // decoded tee (and so its other tiles).
    if (!firewallGhost(t->bin_.get(), in.get(), "sink"))
        return makeError("internal", "cannot ghost the tile's sink pad");
    t->out_ = PadPtr::adopt(gst_element_get_static_pad(t->reaction_.get(), "src"));
    gst_element_add_pad(t->bin_.get(), gst_ghost_pad_new("src", t->out_.get()));

    gst_bin_add(participantBin, t->bin_.get());
    PadPtr binSrc = PadPtr::adopt(gst_element_get_static_pad(t->bin_.get(), "src"));
    t->ghost_ = PadPtr::refSink(gst_ghost_pad_new(("tile_" + key).c_str(), binSrc.get()));
    gst_pad_add_probe(t->ghost_.get(), GST_PAD_PROBE_TYPE_QUERY_UPSTREAM, hideJitterBufferLatency,
                      nullptr, nullptr);
    gst_pad_set_active(t->ghost_.get(), TRUE);
    gst_element_add_pad(GST_ELEMENT(participantBin), t->ghost_.get());
    // Running before it is fed (design.md, "Live branches").
    gst_element_sync_state_with_parent(t->bin_.get());
    t->teePad_ = PadPtr::adopt(gst_element_request_pad_simple(tee, "src_%u"));
    PadPtr sink = PadPtr::adopt(gst_element_get_static_pad(t->bin_.get(), "sink"));
    if (!t->teePad_ || !linkUnchecked(t->teePad_.get(), sink.get()))
        return makeError("internal", "cannot feed the tile chain");
    return t;
}

TileBranch::~TileBranch() {
    if (detached_ || !bin_) return;
    // Frames still in the branch are dropped from now on: pushed into the unlinked ghost pad
    // they would stop the branch's queue with a not-linked error, and a bus error from a
    // participant's bin removes the participant.
    if (out_)
        gst_pad_add_probe(
            out_.get(), GST_PAD_PROBE_TYPE_BUFFER,
            [](GstPad*, GstPadProbeInfo*, gpointer) noexcept { return GST_PAD_PROBE_DROP; },
            nullptr, nullptr);
    if (ghost_) {
        if (PadPtr peer = PadPtr::adopt(gst_pad_get_peer(ghost_.get())))
            gst_pad_unlink(ghost_.get(), peer.get());
        gst_element_remove_pad(GST_ELEMENT(participantBin_), ghost_.get());
    }
    if (teePad_) {
        PadPtr sink = PadPtr::adopt(gst_element_get_static_pad(bin_.get(), "sink"));
        gst_pad_unlink(teePad_.get(), sink.get());
        gst_element_release_request_pad(tee_.get(), teePad_.get());
    }
    if (GST_OBJECT_PARENT(bin_.get()) == GST_OBJECT(participantBin_))
        gst_bin_remove(participantBin_, bin_.get());
    Teardown::submit(std::move(bin_));
}

void TileBranch::setGeometry(int width, int height, Fit fit) {
    if (width == width_ && height == height_ && fit == fit_) return;
    width_ = width;
    height_ = height;
    fit_ = fit;
    // Fit::Crop: the crop probe (applyCrop) recomputes videocrop's margins for the new aspect
    // on the next frame; 0x0 crops nothing (letterbox: videoscale adds the bars).
    const bool crop = fit == Fit::Crop && width > 0 && height > 0;
    cropTarget_->width.store(crop ? width : 0, std::memory_order_relaxed);
    cropTarget_->height.store(crop ? height : 0, std::memory_order_relaxed);
    cropTarget_->generation.fetch_add(1, std::memory_order_release);
    core::CapsPtr c(gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                        G_TYPE_INT, width, "height", G_TYPE_INT, height,
                                        "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr));
    g_object_set(caps_.get(), "caps", c.get(), nullptr);
    // The reaction's font is half the tile's height: the glyph itself is then about a third of
    // it (a colour emoji fills ~0.6 em), large enough to read in a 72-pixel strip tile.
    const int px = std::max(8, height / 2);
    g_object_set(reaction_.get(), "font-desc", ("Sans " + std::to_string(px) + "px").c_str(),
                 nullptr);
}

}  // namespace mixmeet::media

namespace mixmeet::media {

void TileBranch::setMarks(const TileMarks& marks) {
    if (marks == marks_) return;
    if (marks.hand != marks_.hand || marks.muted != marks_.muted)
        g_object_set(label_.get(), "text", markedLabelMarkup(marks, name_).c_str(), nullptr);
    if (marks.reaction != marks_.reaction) {
        const std::string text = reactionMarkup(marks);
        g_object_set(reaction_.get(), "text", text.c_str(), "silent", text.empty(), nullptr);
    }
    marks_ = marks;
}

}  // namespace mixmeet::media
