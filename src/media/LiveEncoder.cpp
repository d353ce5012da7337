#include "media/LiveEncoder.h"

#include <gst/video/video.h>

#include <chrono>
#include <thread>

#include "core/Log.h"
#include "media/FlowFirewall.h"
#include "media/Teardown.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

using core::ElementPtr;
using core::makeError;
using core::PadPtr;

namespace {

/// How long flvmux waits for the later of audio and video before muxing, ms: the AAC path
/// (Opus decode, AAC encode) runs a few hundred ms behind the H.264 one.
constexpr guint64 kFlvLatencyMs = 400;

/// Drops delta frames on `element`'s sink pad until the first keyframe: a target (flvmux, a
/// new RTMP session) starts at a keyframe, which carries SPS/PPS (h264parse config-interval).
void keyframeGate(GstElement* element) {
    PadPtr pad = PadPtr::adopt(gst_element_get_static_pad(element, "sink"));
    gst_pad_add_probe(
        pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo* info, gpointer) noexcept {
            if (GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info), GST_BUFFER_FLAG_DELTA_UNIT))
                return GST_PAD_PROBE_DROP;
            return GST_PAD_PROBE_REMOVE;
        },
        nullptr, nullptr);
}

/// On `element`'s sink pad: once it has caps, a later stream-start or caps event (the same
/// again, from the composite the input was moved to) is dropped, so the encode goes on as one
/// stream.
void keepFirstStream(GstElement* element) {
    PadPtr pad = PadPtr::adopt(gst_element_get_static_pad(element, "sink"));
    gst_pad_add_probe(
        pad.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        [](GstPad* p, GstPadProbeInfo* info, gpointer) noexcept {
            GstEventType type = GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info));
            if (type != GST_EVENT_STREAM_START && type != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
            return gst_pad_has_current_caps(p) ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
        },
        nullptr, nullptr);
}

/// Drops the buffers leaving `element` whose timestamp is not after the last one passed: a
/// composite switched to may start a frame earlier than the last of the one it replaced.
void dropIfNotLater(GstElement* element) {
    if (!element) return;
    PadPtr pad = PadPtr::adopt(gst_element_get_static_pad(element, "src"));
    gst_pad_add_probe(
        pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
            auto& last = *static_cast<GstClockTime*>(data);
            const GstClockTime pts = GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info));
            if (!GST_CLOCK_TIME_IS_VALID(pts)) return GST_PAD_PROBE_DROP;
            if (GST_CLOCK_TIME_IS_VALID(last) && pts <= last) return GST_PAD_PROBE_DROP;
            last = pts;  // One streaming thread (the video queue's) calls this.
            return GST_PAD_PROBE_OK;
        },
        new GstClockTime(GST_CLOCK_TIME_NONE),
        [](gpointer d) { delete static_cast<GstClockTime*>(d); });
}

ElementPtr child(GstElement* bin, const char* name) {
    return ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(bin), name));
}

/// A bin from a gst-launch description (elements named for child()). Null on error.
ElementPtr parseBin(const std::string& description, const std::string& name) {
    core::ErrorOut err;
    GstElement* raw = gst_parse_bin_from_description_full(description.c_str(), FALSE, nullptr,
                                                          GST_PARSE_FLAG_FATAL_ERRORS, err.out());
    if (!raw || err) {
        GST_ERROR("cannot build %s: %s", name.c_str(), err.message());
        if (raw) gst_object_unref(raw);
        return {};
    }
    ElementPtr bin = ElementPtr::refSink(raw);
    gst_object_set_name(GST_OBJECT(bin.get()), name.c_str());
    return bin;
}

/// Leaky queue holding at most `ms` of media: a slow consumer loses frames.
std::string leakyQueue(const char* name, int ms) {
    return std::string("queue name=") + name +
           " leaky=downstream max-size-buffers=0 max-size-bytes=0 max-size-time=" +
           std::to_string(static_cast<guint64>(ms) * GST_MSECOND);
}

void countBuffers(GstElement* element, const char* padName,
                  const std::shared_ptr<std::atomic<uint64_t>>& counter) {
    PadPtr pad = PadPtr::adopt(gst_element_get_static_pad(element, padName));
    if (!pad) return;
    gst_pad_add_probe(
        pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo*, gpointer d) noexcept {
            (*static_cast<std::shared_ptr<std::atomic<uint64_t>>*>(d))
                ->fetch_add(1, std::memory_order_relaxed);
            return GST_PAD_PROBE_OK;
        },
        new std::shared_ptr<std::atomic<uint64_t>>(counter),
        [](gpointer d) { delete static_cast<std::shared_ptr<std::atomic<uint64_t>>*>(d); });
}

}  // namespace

core::Result<std::unique_ptr<LiveEncoder>> LiveEncoder::create(GstBin* pipeline,
                                                               const StreamingConfig& config,
                                                               int framerate, GstPad* rawVideoSrc,
                                                               GstPad* opusSrc) {
    std::unique_ptr<LiveEncoder> e(new LiveEncoder());
    e->pipeline_ = pipeline;
    int keyInt = std::max(1, framerate * config.segmentS);
    std::string description =
        leakyQueue("video_queue", 1000) +
        // One timeline for the encode whichever composite feeds it: the live encode follows
        // the meeting layout by relinking to another compositor (relinkVideo), whose segment
        // differs; in running time, increasing (dropIfNotLater), mpegtsmux and flvmux accept
        // it ("Timestamping error on input streams" failed HLS after a switch otherwise).
        " ! identity name=video_timeline single-segment=true"
        " ! x264enc name=x264 tune=zerolatency speed-preset=veryfast bitrate=" +
        std::to_string(config.videoBitrateKbps) + " key-int-max=" + std::to_string(keyInt) +
        " bframes=0 ! video/x-h264,profile=main ! h264parse config-interval=-1 ! tee name=vtee "
        "allow-not-linked=true " +
        leakyQueue("audio_queue", 1000) +
        " ! opusdec plc=true ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! "
        "avenc_aac name=aac bitrate=" +
        std::to_string(config.audioBitrateKbps * 1000) +
        " ! aacparse ! tee name=atee allow-not-linked=true";
    e->bin_ = parseBin(description, kBinName);
    if (!e->bin_)
        return makeError("internal", "the live encode cannot be built (x264enc, avenc_aac)");
    ElementPtr vq = child(e->bin_.get(), "video_queue");
    ElementPtr aq = child(e->bin_.get(), "audio_queue");
    e->videoTee_ = child(e->bin_.get(), "vtee");
    e->audioTee_ = child(e->bin_.get(), "atee");
    ElementPtr x264 = child(e->bin_.get(), "x264");
    ElementPtr aac = child(e->bin_.get(), "aac");
    e->videoSink_ = firewallGhost(e->bin_.get(), vq.get(), "video_sink");
    e->audioSink_ = firewallGhost(e->bin_.get(), aq.get(), "audio_sink");
    if (!e->videoSink_ || !e->audioSink_)
        return makeError("internal", "the live encode has no sink pads");
    keepFirstStream(vq.get());
    dropIfNotLater(child(e->bin_.get(), "video_timeline").get());
    countBuffers(x264.get(), "src", e->videoFrames_);
    countBuffers(aac.get(), "src", e->audioFrames_);

    gst_bin_add(pipeline, e->bin_.get());
    // Running before linking into the live tees (design.md, "Live branches").
    if (!gst_element_sync_state_with_parent(e->bin_.get()))
        return makeError("internal", "cannot start the live encode");
    if (GST_PAD_LINK_FAILED(gst_pad_link(rawVideoSrc, e->videoSink_.get())) ||
        GST_PAD_LINK_FAILED(gst_pad_link(opusSrc, e->audioSink_.get())))
        return makeError("internal", "cannot link the live encode to the room");
    GST_INFO("live encode started");
    return e;
}

LiveEncoder::~LiveEncoder() {
    if (!bin_) return;
    for (auto& [name, t] : targets_) unlink(t);
    for (const PadPtr& sink : {videoSink_, audioSink_}) {
        if (!sink) continue;
        PadPtr peer = PadPtr::adopt(gst_pad_get_peer(sink.get()));
        if (peer) gst_pad_unlink(peer.get(), sink.get());
    }
    if (pipeline_ && GST_OBJECT_PARENT(bin_.get()) == GST_OBJECT(pipeline_))
        gst_bin_remove(pipeline_, bin_.get());
    for (auto& [name, t] : targets_) t.bin.reset();  // Inside bin_: freed with it.
    targets_.clear();
    videoSink_.reset();
    audioSink_.reset();
    videoTee_.reset();
    audioTee_.reset();
    Teardown::submit(std::move(bin_));
}

core::Status LiveEncoder::addTarget(ElementPtr target) {
    std::string name = GST_OBJECT_NAME(target.get());
    if (targets_.count(name)) return makeError("internal", "target " + name + " exists");
    PadPtr video = PadPtr::adopt(gst_element_get_static_pad(target.get(), "video"));
    PadPtr audio = PadPtr::adopt(gst_element_get_static_pad(target.get(), "audio"));
    if (!video || !audio) return makeError("internal", "target " + name + " has no sink pads");
    Target t;
    t.bin = target;
    gst_bin_add(GST_BIN(bin_.get()), target.get());
    if (!gst_element_sync_state_with_parent(target.get())) {
        gst_bin_remove(GST_BIN(bin_.get()), target.get());
        Teardown::submit(std::move(target));
        return makeError("internal", "target " + name + " does not start");
    }
    t.videoTeePad = PadPtr::adopt(gst_element_request_pad_simple(videoTee_.get(), "src_%u"));
    t.audioTeePad = PadPtr::adopt(gst_element_request_pad_simple(audioTee_.get(), "src_%u"));
    bool linked = t.videoTeePad && t.audioTeePad &&
                  !GST_PAD_LINK_FAILED(gst_pad_link(t.videoTeePad.get(), video.get())) &&
                  !GST_PAD_LINK_FAILED(gst_pad_link(t.audioTeePad.get(), audio.get()));
    targets_.emplace(name, std::move(t));
    if (!linked) {
        removeTarget(name);
        return makeError("internal", "target " + name + " does not link");
    }
    // The target's gate waits for a keyframe: asked for now rather than at the next interval.
    gst_pad_send_event(targets_.at(name).videoTeePad.get(),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
    GST_INFO("live target %s added", name.c_str());
    return core::Ok{};
}

void LiveEncoder::unlink(Target& t) {
    for (auto [teePad, tee] :
         {std::pair{&t.videoTeePad, &videoTee_}, std::pair{&t.audioTeePad, &audioTee_}}) {
        if (!*teePad) continue;
        PadPtr peer = PadPtr::adopt(gst_pad_get_peer(teePad->get()));
        if (peer) gst_pad_unlink(teePad->get(), peer.get());
        gst_element_release_request_pad(tee->get(), teePad->get());
        teePad->reset();
    }
}

void LiveEncoder::removeTarget(const std::string& name, std::function<void()> after) {
    auto it = targets_.find(name);
    if (it == targets_.end()) return;
    Target t = std::move(it->second);
    targets_.erase(it);
    unlink(t);
    if (GST_OBJECT_PARENT(t.bin.get()) == GST_OBJECT(bin_.get()))
        gst_bin_remove(GST_BIN(bin_.get()), t.bin.get());
    GST_INFO("live target %s removed", name.c_str());
    Teardown::submit(std::move(t.bin), {}, std::move(after));
}

void LiveEncoder::finishTarget(const std::string& name,
                               std::shared_ptr<std::atomic<bool>> eosDone) {
    auto it = targets_.find(name);
    if (it == targets_.end()) return;
    Target t = std::move(it->second);
    targets_.erase(it);
    unlink(t);
    for (const char* pad : {"video", "audio"}) {
        PadPtr sink = PadPtr::adopt(gst_element_get_static_pad(t.bin.get(), pad));
        // Serialized: behind what the target's queues hold, through its muxer to the file.
        if (sink) gst_pad_send_event(sink.get(), gst_event_new_eos());
    }
    if (GST_OBJECT_PARENT(t.bin.get()) == GST_OBJECT(bin_.get()))
        gst_bin_remove(GST_BIN(bin_.get()), t.bin.get());
    GST_INFO("live target %s finished", name.c_str());
    Teardown::submit(std::move(t.bin), [eos = std::move(eosDone)] {
        for (int waited = 0; eos && !eos->load() && waited < kFinishWaitMs; waited += 10)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    });
}

core::Status LiveEncoder::relinkVideo(GstPad* rawVideoSrc) {
    PadPtr peer = PadPtr::adopt(gst_pad_get_peer(videoSink_.get()));
    if (peer) gst_pad_unlink(peer.get(), videoSink_.get());
    if (GST_PAD_LINK_FAILED(gst_pad_link(rawVideoSrc, videoSink_.get())))
        return makeError("internal", "cannot link the live encode to the new composite");
    return core::Ok{};
}

uint64_t LiveEncoder::videoFrames() const {
    return videoFrames_->load(std::memory_order_relaxed);
}

uint64_t LiveEncoder::audioFrames() const {
    return audioFrames_->load(std::memory_order_relaxed);
}

uint64_t LiveEncoder::targetBytes(const std::string& name) const {
    auto it = targets_.find(name);
    if (it == targets_.end()) return 0;
    ElementPtr sink = child(it->second.bin.get(), "sink");
    if (!sink || !g_object_class_find_property(G_OBJECT_GET_CLASS(sink.get()), "stats")) return 0;
    GstStructure* stats = nullptr;
    g_object_get(sink.get(), "stats", &stats, nullptr);
    if (!stats) return 0;
    guint64 bytes = 0;
    gst_structure_get_uint64(stats, "out-bytes-total", &bytes);
    gst_structure_free(stats);
    return bytes;
}

core::Result<ElementPtr> LiveEncoder::makeRtmpTarget(const std::string& name,
                                                     const std::string& location) {
    ElementPtr bin = parseBin(
        leakyQueue("vq", 2000) + " ! h264parse ! flvmux name=mux streamable=true latency=" +
            std::to_string(kFlvLatencyMs * GST_MSECOND) +
            " ! rtmp2sink name=sink sync=false async=false async-connect=true " +
            leakyQueue("aq", 2000) + " ! aacparse ! mux.",
        name);
    if (!bin) return makeError("internal", "flvmux or rtmp2sink missing");
    ElementPtr sink = child(bin.get(), "sink");
    g_object_set(sink.get(), "location", location.c_str(), nullptr);
    ElementPtr vq = child(bin.get(), "vq");
    ElementPtr aq = child(bin.get(), "aq");
    if (!firewallGhost(bin.get(), vq.get(), "video") ||
        !firewallGhost(bin.get(), aq.get(), "audio"))
        return makeError("internal", "the RTMP target has no sink pads");
    keyframeGate(vq.get());
    return bin;
}

core::Result<ElementPtr> LiveEncoder::makeHlsTarget(const std::string& name,
                                                    const std::string& directory,
                                                    const StreamingConfig& config) {
    ElementPtr bin = parseBin(leakyQueue("vq", 4000) + " ! h264parse ! hlssink2 name=sink " +
                                  leakyQueue("aq", 4000) + " ! aacparse ! sink.audio",
                              name);
    if (!bin) return makeError("internal", "hlssink2 missing");
    ElementPtr sink = child(bin.get(), "sink");
    g_object_set(sink.get(), "location", (directory + "/segment%05d.ts").c_str(),
                 "playlist-location", (directory + "/index.m3u8").c_str(), "target-duration",
                 static_cast<guint>(config.segmentS), "playlist-length",
                 static_cast<guint>(config.playlistLength), "max-files",
                 static_cast<guint>(config.playlistLength + 2), nullptr);
    ElementPtr vq = child(bin.get(), "vq");
    ElementPtr aq = child(bin.get(), "aq");
    if (!firewallGhost(bin.get(), vq.get(), "video") ||
        !firewallGhost(bin.get(), aq.get(), "audio"))
        return makeError("internal", "the HLS target has no sink pads");
    return bin;
}

}  // namespace mixmeet::media
