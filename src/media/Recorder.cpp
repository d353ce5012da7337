#include "media/Recorder.h"

#include <glib/gstdio.h>

#include <chrono>
#include <thread>

#include "core/Log.h"
#include "media/FlowFirewall.h"
#include "media/LiveEncoder.h"
#include "media/Teardown.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

using core::ElementPtr;
using core::makeError;
using core::PadPtr;

namespace {

/// How long the teardown thread waits for the EOS to reach the file, ms.
constexpr int kEosWaitMs = 3000;
/// Audio only: the recording starts with the kAudioRun-th of packets each following the
/// previous one within kAudioGap.
constexpr int kAudioRun = 3;
constexpr uint64_t kAudioGap = 30 * GST_MSECOND;

/// The running time of `b`'s PTS on `pad` (its segment's): the gates compare the two tracks'
/// times, and an encoder may shift its PTS and segment alike (x264enc by 1000 h).
/// GST_CLOCK_TIME_NONE if it has none.
uint64_t runningPts(GstPad* pad, GstBuffer* b) {
    if (!GST_BUFFER_PTS_IS_VALID(b)) return GST_CLOCK_TIME_NONE;
    GstEvent* event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
    if (!event) return GST_BUFFER_PTS(b);
    const GstSegment* segment = nullptr;
    gst_event_parse_segment(event, &segment);
    uint64_t t = segment->format == GST_FORMAT_TIME
                     ? gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(b))
                     : GST_BUFFER_PTS(b);
    gst_event_unref(event);
    return t;
}

void noteEnd(Recorder::Progress& p, uint64_t pts, GstBuffer* b) {
    if (pts == GST_CLOCK_TIME_NONE) return;
    uint64_t end = pts + (GST_BUFFER_DURATION_IS_VALID(b) ? GST_BUFFER_DURATION(b) : uint64_t{0});
    uint64_t seen = p.lastEndPts.load(std::memory_order_relaxed);
    while (end > seen && !p.lastEndPts.compare_exchange_weak(seen, end)) {
    }
}

/// Video: delta frames are dropped until the first keyframe; then everything passes.
GstPadProbeReturn videoGate(GstPad* pad, GstPadProbeInfo* info, gpointer data) noexcept {
    auto& p = **static_cast<std::shared_ptr<Recorder::Progress>*>(data);
    GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info);
    const uint64_t pts = runningPts(pad, b);
    if (!p.started.load(std::memory_order_acquire)) {
        if (GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT) || pts == GST_CLOCK_TIME_NONE)
            return GST_PAD_PROBE_DROP;
        p.firstPts.store(pts, std::memory_order_relaxed);
        p.started.store(true, std::memory_order_release);
    }
    if (p.awaitKey.load(std::memory_order_acquire)) {
        // Moved to another encoder: its stream is decodable from its next keyframe.
        if (GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT)) return GST_PAD_PROBE_DROP;
        p.awaitKey.store(false, std::memory_order_release);
    }
    p.videoFrames.fetch_add(1, std::memory_order_relaxed);
    noteEnd(p, pts, b);
    return GST_PAD_PROBE_OK;
}

/// The audio gate's data: the recording's progress and, audio only, the run of packets seen
/// before the start (audio streaming thread only).
struct AudioGate {
    std::shared_ptr<Recorder::Progress> progress;
    int runCount = 0;     ///< Packets in a row so far.
    uint64_t runEnd = 0;  ///< End of the last, ns.
};

/// Audio: dropped until the video started, and older than its first keyframe. Audio only:
/// starts with the kAudioRun-th of packets following each other (the shared encode may hold
/// a packet from before it was fed on every tick).
GstPadProbeReturn audioGate(GstPad* pad, GstPadProbeInfo* info, gpointer data) noexcept {
    auto& g = *static_cast<AudioGate*>(data);
    auto& p = *g.progress;
    GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info);
    const uint64_t pts = runningPts(pad, b);
    if (p.audioOnly && !p.started.load(std::memory_order_acquire)) {
        if (pts == GST_CLOCK_TIME_NONE) return GST_PAD_PROBE_DROP;
        const uint64_t dur = GST_BUFFER_DURATION_IS_VALID(b) ? GST_BUFFER_DURATION(b) : 0;
        const bool follows = g.runCount > 0 && pts >= g.runEnd && pts <= g.runEnd + kAudioGap;
        g.runCount = follows ? g.runCount + 1 : 1;
        g.runEnd = pts + dur;
        if (g.runCount < kAudioRun) return GST_PAD_PROBE_DROP;
        p.firstPts.store(pts, std::memory_order_relaxed);
        p.started.store(true, std::memory_order_release);
    }
    if (!p.started.load(std::memory_order_acquire) || pts == GST_CLOCK_TIME_NONE ||
        pts < p.firstPts.load(std::memory_order_relaxed))
        return GST_PAD_PROBE_DROP;
    p.audioFrames.fetch_add(1, std::memory_order_relaxed);
    noteEnd(p, pts, b);
    return GST_PAD_PROBE_OK;
}

void addAudioGate(GstElement* queue, const std::shared_ptr<Recorder::Progress>& progress) {
    PadPtr sink = PadPtr::adopt(gst_element_get_static_pad(queue, "sink"));
    gst_pad_add_probe(sink.get(), GST_PAD_PROBE_TYPE_BUFFER, audioGate, new AudioGate{progress},
                      [](gpointer d) { delete static_cast<AudioGate*>(d); });
}

void addGate(GstElement* queue, GstPadProbeCallback gate,
             const std::shared_ptr<Recorder::Progress>& progress) {
    PadPtr sink = PadPtr::adopt(gst_element_get_static_pad(queue, "sink"));
    gst_pad_add_probe(sink.get(), GST_PAD_PROBE_TYPE_BUFFER, gate,
                      new std::shared_ptr<Recorder::Progress>(progress), [](gpointer d) {
                          delete static_cast<std::shared_ptr<Recorder::Progress>*>(d);
                      });
}

/// On the video queue's sink pad: once caps went through, a later stream-start or caps event
/// (the same ones again, from the encoder the input was moved to) is dropped: matroskamux
/// refuses caps on a pad that has some, and the stream goes on as one track.
void keepFirstStream(GstElement* queue) {
    PadPtr sink = PadPtr::adopt(gst_element_get_static_pad(queue, "sink"));
    gst_pad_add_probe(
        sink.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        [](GstPad* pad, GstPadProbeInfo* info, gpointer) noexcept {
            GstEventType type = GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info));
            if (type != GST_EVENT_STREAM_START && type != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
            if (!gst_pad_has_current_caps(pad)) return GST_PAD_PROBE_OK;
            return GST_PAD_PROBE_DROP;
        },
        nullptr, nullptr);
}

ElementPtr makeQueue(const char* name) {
    ElementPtr q = core::makeElement("queue", name);
    // Leaky: a slow disk loses recorded frames, never stalls the room's tees. 2 s of media.
    if (q)
        g_object_set(q.get(), "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time",
                     guint64{2} * GST_SECOND, "leaky", 2 /* downstream */, nullptr);
    return q;
}

}  // namespace

core::Result<std::unique_ptr<Recorder>> Recorder::create(GstBin* pipeline, const std::string& path,
                                                         GstPad* videoSrc, GstPad* audioSrc) {
    std::unique_ptr<Recorder> r(new Recorder());
    r->pipeline_ = pipeline;
    r->path_ = path;
    const bool video = videoSrc != nullptr;
    r->progress_->audioOnly = !video;
    // Opened here, so a bad directory is an error now rather than a bus message later.
    FILE* probe = g_fopen(path.c_str(), "wb");
    if (!probe) return makeError("io", "cannot create " + path);
    fclose(probe);

    r->bin_ = ElementPtr::refSink(gst_bin_new(kBinName));
    GstBin* bin = GST_BIN(r->bin_.get());
    ElementPtr vq = video ? makeQueue("video_queue") : ElementPtr();
    ElementPtr aq = makeQueue("audio_queue");
    ElementPtr mux = core::makeElement("matroskamux", "mux");
    ElementPtr file = core::makeElement("filesink", "file");
    if ((video && !vq) || !aq || !mux || !file)
        return makeError("internal", "matroskamux or filesink missing");
    g_object_set(mux.get(), "streamable", TRUE, "offset-to-zero", TRUE, "max-cluster-duration",
                 static_cast<gint64>(kClusterMs) * GST_MSECOND, "writing-app", "mixmeet", nullptr);
    // Unbuffered: every muxed block goes to the kernel at once, so a kill -9 loses nothing
    // already muxed (a power loss: what the kernel had not flushed).
    g_object_set(file.get(), "location", path.c_str(), "buffer-mode", 2 /* unbuffered */, "sync",
                 FALSE, "async", FALSE, nullptr);
    gst_bin_add_many(bin, aq.get(), mux.get(), file.get(), nullptr);
    PadPtr muxAudio = PadPtr::adopt(gst_element_request_pad_simple(mux.get(), "audio_%u"));
    PadPtr aqSrc = PadPtr::adopt(gst_element_get_static_pad(aq.get(), "src"));
    if (!muxAudio || GST_PAD_LINK_FAILED(gst_pad_link(aqSrc.get(), muxAudio.get())) ||
        !gst_element_link(mux.get(), file.get()))
        return makeError("internal", "cannot link the recording branch");
    if (video) {
        gst_bin_add(bin, vq.get());
        PadPtr muxVideo = PadPtr::adopt(gst_element_request_pad_simple(mux.get(), "video_%u"));
        PadPtr vqSrc = PadPtr::adopt(gst_element_get_static_pad(vq.get(), "src"));
        if (!muxVideo || GST_PAD_LINK_FAILED(gst_pad_link(vqSrc.get(), muxVideo.get())))
            return makeError("internal", "cannot link the recording branch");
        addGate(vq.get(), videoGate, r->progress_);
        keepFirstStream(vq.get());
    }
    addAudioGate(aq.get(), r->progress_);

    r->fileSinkPad_ = PadPtr::adopt(gst_element_get_static_pad(file.get(), "sink"));
    gst_pad_add_probe(
        r->fileSinkPad_.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        [](GstPad*, GstPadProbeInfo* info, gpointer d) noexcept {
            if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS)
                (*static_cast<std::shared_ptr<std::atomic<bool>>*>(d))->store(true);
            return GST_PAD_PROBE_OK;
        },
        new std::shared_ptr<std::atomic<bool>>(r->eosDone_),
        [](gpointer d) { delete static_cast<std::shared_ptr<std::atomic<bool>>*>(d); });

    PadPtr aIn = PadPtr::adopt(gst_element_get_static_pad(aq.get(), "sink"));
    // Firewalls: a full disk stops this recording, never the tier and the mix feeding it.
    r->audioSink_ = firewallGhost(r->bin_.get(), aIn.get(), "audio_sink");
    if (video) {
        PadPtr vIn = PadPtr::adopt(gst_element_get_static_pad(vq.get(), "sink"));
        r->videoSink_ = firewallGhost(r->bin_.get(), vIn.get(), "video_sink");
    }
    if (!r->audioSink_ || (video && !r->videoSink_))
        return makeError("internal", "cannot ghost the recording's sink pads");

    gst_bin_add(pipeline, r->bin_.get());
    // Running before linking into the live tees (design.md, "Live branches").
    if (!gst_element_sync_state_with_parent(r->bin_.get()))
        return makeError("io", "cannot start writing " + path);
    if ((video && GST_PAD_LINK_FAILED(gst_pad_link(videoSrc, r->videoSink_.get()))) ||
        GST_PAD_LINK_FAILED(gst_pad_link(audioSrc, r->audioSink_.get())))
        return makeError("internal", "cannot link the recording to the room");
    GST_INFO("recording %sto %s", video ? "" : "audio only ", path.c_str());
    return r;
}

core::Status Recorder::relinkVideo(GstPad* videoSrc) {
    if (!videoSink_ || stopped_) return makeError("bad-state", "no video is recorded");
    PadPtr peer = PadPtr::adopt(gst_pad_get_peer(videoSink_.get()));
    // Set before the new encoder's first buffer can reach the gate.
    progress_->awaitKey.store(true, std::memory_order_release);
    if (peer) gst_pad_unlink(peer.get(), videoSink_.get());
    if (GST_PAD_LINK_FAILED(gst_pad_link(videoSrc, videoSink_.get())))
        return makeError("internal", "cannot link the recording to the new composite");
    return core::Ok{};
}

void Recorder::stop() {
    if (stopped_ || !bin_) return;
    stopped_ = true;
    for (const PadPtr& sink : {videoSink_, audioSink_}) {
        if (!sink) continue;  // create() failed before the ghost pads.
        PadPtr peer = PadPtr::adopt(gst_pad_get_peer(sink.get()));
        if (peer) gst_pad_unlink(peer.get(), sink.get());
        // Serialized: waits for a buffer still in the queue's chain function (a queue never
        // blocks there: it is leaky), then travels behind the queued data to the file.
        gst_pad_send_event(sink.get(), gst_event_new_eos());
    }
}

Recorder::~Recorder() {
    if (!bin_) return;
    stop();
    if (pipeline_ && GST_OBJECT_PARENT(bin_.get()) == GST_OBJECT(pipeline_))
        gst_bin_remove(pipeline_, bin_.get());
    fileSinkPad_.reset();
    videoSink_.reset();
    audioSink_.reset();
    GST_INFO("recording %s stopped: %" G_GINT64_FORMAT " ms, %" G_GUINT64_FORMAT " video frames",
             path_.c_str(), durationMs(), videoFrames());
    // The file is closed when the filesink goes to NULL: after the EOS reached it (muxer
    // flushed), or after kEosWaitMs if it never does (the file is streamable either way).
    Teardown::submit(std::move(bin_), [eos = eosDone_] {
        for (int waited = 0; !eos->load() && waited < kEosWaitMs; waited += 10)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    });
}

int64_t Recorder::durationMs() const {
    if (!started()) return 0;
    uint64_t first = progress_->firstPts.load();
    uint64_t end = progress_->lastEndPts.load();
    return end > first ? static_cast<int64_t>((end - first) / GST_MSECOND) : 0;
}

namespace {
int64_t progressMs(const Recorder::Progress& p) {
    if (!p.started.load(std::memory_order_acquire)) return 0;
    uint64_t first = p.firstPts.load();
    uint64_t end = p.lastEndPts.load();
    return end > first ? static_cast<int64_t>((end - first) / GST_MSECOND) : 0;
}
}  // namespace

int64_t Mp4Target::durationMs() const {
    return progressMs(*progress);
}

core::Result<Mp4Target> makeMp4Target(const std::string& name, const std::string& path) {
    Mp4Target t;
    FILE* probe = g_fopen(path.c_str(), "wb");
    if (!probe) return makeError("io", "cannot create " + path);
    fclose(probe);
    t.bin = ElementPtr::refSink(gst_bin_new(name.c_str()));
    GstBin* bin = GST_BIN(t.bin.get());
    ElementPtr vq = makeQueue("vq");
    ElementPtr aq = makeQueue("aq");
    ElementPtr vparse = core::makeElement("h264parse", "vparse");
    ElementPtr aparse = core::makeElement("aacparse", "aparse");
    ElementPtr mux = core::makeElement("mp4mux", "mux");
    ElementPtr file = core::makeElement("filesink", "file");
    if (!vq || !aq || !vparse || !aparse || !mux || !file)
        return makeError("internal", "mp4mux, h264parse or aacparse missing");
    // A live aggregator: it waits this long for the later of the two paths (the AAC one runs a
    // few hundred ms behind the H.264 one, as for flvmux) before muxing without it.
    g_object_set(mux.get(), "fragment-duration", static_cast<guint>(Mp4Target::kFragmentMs),
                 "latency", guint64{1000} * GST_MSECOND, nullptr);
    g_object_set(file.get(), "location", path.c_str(), "buffer-mode", 2 /* unbuffered */, "sync",
                 FALSE, "async", FALSE, nullptr);
    gst_bin_add_many(bin, vq.get(), aq.get(), vparse.get(), aparse.get(), mux.get(), file.get(),
                     nullptr);
    if (!gst_element_link_many(vq.get(), vparse.get(), mux.get(), nullptr) ||
        !gst_element_link_many(aq.get(), aparse.get(), mux.get(), nullptr) ||
        !gst_element_link(mux.get(), file.get()))
        return makeError("internal", "cannot link the MP4 recording");
    addGate(vq.get(), videoGate, t.progress);
    addAudioGate(aq.get(), t.progress);
    PadPtr fileSink = PadPtr::adopt(gst_element_get_static_pad(file.get(), "sink"));
    gst_pad_add_probe(
        fileSink.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        [](GstPad*, GstPadProbeInfo* info, gpointer d) noexcept {
            if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS)
                (*static_cast<std::shared_ptr<std::atomic<bool>>*>(d))->store(true);
            return GST_PAD_PROBE_OK;
        },
        new std::shared_ptr<std::atomic<bool>>(t.eosDone),
        [](gpointer d) { delete static_cast<std::shared_ptr<std::atomic<bool>>*>(d); });
    // Firewalls: a failing disk must not stop the live encode's tees (other targets).
    if (!firewallGhost(t.bin.get(), vq.get(), "video") ||
        !firewallGhost(t.bin.get(), aq.get(), "audio"))
        return makeError("internal", "the MP4 recording has no sink pads");
    return t;
}

core::Result<int64_t> probeRecordingDurationMs(const std::string& path, int timeoutMs) {
    // What the demuxer's pads carried (declared first: outlives the pipeline).
    struct Seen {
        std::atomic<uint64_t> first{GST_CLOCK_TIME_NONE};
        std::atomic<uint64_t> end{0};
    } seen;
    core::ErrorOut err;
    // Fragmented MP4 (a ".mp4" recording, [recording] container=mp4) or streamable WebM.
    const bool mp4 = g_str_has_suffix(path.c_str(), ".mp4");
    core::ElementPtr pipeline = core::ElementPtr::refSink(gst_parse_launch(
        (std::string("filesrc name=src ! ") + (mp4 ? "qtdemux" : "matroskademux") + " name=demux")
            .c_str(),
        err.out()));
    if (!pipeline) return makeError("internal", "cannot build the probe pipeline");
    ElementPtr src = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "src"));
    g_object_set(src.get(), "location", path.c_str(), nullptr);
    ElementPtr demux = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "demux"));
    // Each track (one or two: audio-only files have one) into a fakesink of its own, so the
    // pipeline ends (EOS) whatever the number of tracks.
    g_signal_connect(
        demux.get(), "pad-added", G_CALLBACK(+[](GstElement* d, GstPad* pad, gpointer data) {
            gst_pad_add_probe(
                pad, GST_PAD_PROBE_TYPE_BUFFER,
                [](GstPad*, GstPadProbeInfo* info, gpointer sd) noexcept {
                    auto* s = static_cast<Seen*>(sd);
                    GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info);
                    if (!GST_BUFFER_PTS_IS_VALID(b)) return GST_PAD_PROBE_OK;
                    uint64_t pts = GST_BUFFER_PTS(b);
                    uint64_t e =
                        pts + (GST_BUFFER_DURATION_IS_VALID(b) ? GST_BUFFER_DURATION(b) : 0);
                    uint64_t f = s->first.load();
                    while ((f == GST_CLOCK_TIME_NONE || pts < f) &&
                           !s->first.compare_exchange_weak(f, pts)) {
                    }
                    uint64_t had = s->end.load();
                    while (e > had && !s->end.compare_exchange_weak(had, e)) {
                    }
                    return GST_PAD_PROBE_OK;
                },
                data, nullptr);
            GstElement* sink = gst_element_factory_make("fakesink", nullptr);
            if (!sink) return;
            // async=false: the demuxer feeds every track from one thread, so a sink waiting
            // for its preroll must not hold the pipeline's state change (the next track's
            // sink would never get a buffer).
            g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
            gst_bin_add(GST_BIN(GST_OBJECT_PARENT(d)), sink);
            gst_element_sync_state_with_parent(sink);
            PadPtr sinkPad = PadPtr::adopt(gst_element_get_static_pad(sink, "sink"));
            gst_pad_link(pad, sinkPad.get());
        }),
        &seen);
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
    core::GPtr<GstBus> bus = core::GPtr<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
    core::MessagePtr msg(gst_bus_timed_pop_filtered(
        bus.get(), static_cast<GstClockTime>(timeoutMs) * GST_MSECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    uint64_t f = seen.first.load();
    uint64_t e = seen.end.load();
    if (f == GST_CLOCK_TIME_NONE || e <= f) {
        if (msg && GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR)
            return makeError("io", path + " does not demux");
        return int64_t{0};
    }
    // A truncated file ends in an error after its last whole block: what came before counts.
    return static_cast<int64_t>((e - f) / GST_MSECOND);
}

}  // namespace mixmeet::media
