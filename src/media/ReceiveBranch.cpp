#include "media/ReceiveBranch.h"

#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video.h>

#include <atomic>
#include <mutex>

#include "core/Log.h"
#include "media/KeyframeThrottle.h"
#include "media/OpusPacket.h"
#include "media/RtpFormats.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

using core::ElementPtr;
using core::makeError;
using core::PadPtr;

namespace {
constexpr auto make = &core::makeElement;
}  // namespace

/// What streaming-thread callbacks may touch. The raw element pointers stay valid while any
/// callback can run: the Endpoint holds references until its bin is in NULL state.
struct ReceiveBranch::Shared {
    std::string id;
    GstElement* bin = nullptr;
    const Fragments* fragments = nullptr;
    PadPtr tileQueueSink;
    PadPtr audioInSink;
    std::shared_ptr<InputGate> inputGate = std::make_shared<InputGate>();
    /// Shown in the composite: its video is decoded. Off stage, RTP is dropped before the
    /// depayloader.
    std::shared_ptr<std::atomic<bool>> videoShown = std::make_shared<std::atomic<bool>>(true);
    PadPtr videoDecoderIn;  ///< The video decoder bin's sink pad (under `lock`).
    // The screen share (m-line 2, payload type kScreenPt).
    PadPtr screenQueueSink;
    /// A share of this participant's is on: its screen is decoded. Otherwise RTP on m-line 2
    /// is dropped before the depayloader.
    std::shared_ptr<std::atomic<bool>> screenActive = std::make_shared<std::atomic<bool>>(false);
    PadPtr screenDecoderIn;  ///< The screen decoder bin's sink pad (under `lock`).
    bool screenLinked = false;
    /// Load shedding ([video] max_frame_delay_ms): late frames are dropped before the decoder
    /// and before the tile's scaler, counted in the room's `lateDropped`.
    std::chrono::milliseconds maxFrameDelay{0};
    LateCounter lateDropped;
    std::mutex lock;
    bool videoLinked = false;
    bool audioLinked = false;
    unsigned decoderSerial = 0;
};

/// C trampolines; all noexcept (no exception crosses a C frame).
struct ReceiveBranch::Callbacks {
    using SharedRef = std::shared_ptr<ReceiveBranch::Shared>;

    static gpointer wrap(const SharedRef& s) { return new SharedRef(s); }
    static void unwrap(gpointer data, GClosure*) noexcept { delete static_cast<SharedRef*>(data); }
    static Shared& get(gpointer data) { return **static_cast<SharedRef*>(data); }

    /// Streaming thread: a stream from the participant appeared. Decode it into the tile or
    /// the mixer input; anything unexpected goes to a fakesink (an unlinked src pad would
    /// error the transport).
    static void onPadAdded(GstElement*, GstPad* pad, gpointer data) noexcept {
        if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
        auto& s = get(data);
        core::CapsPtr c(gst_pad_get_current_caps(pad));
        if (!c) c.reset(gst_pad_query_caps(pad, nullptr));
        const GstStructure* st =
            c && !gst_caps_is_empty(c.get()) ? gst_caps_get_structure(c.get(), 0) : nullptr;
        const char* media = st ? gst_structure_get_string(st, "media") : nullptr;
        const char* encoding = st ? gst_structure_get_string(st, "encoding-name") : nullptr;
        std::string m = media ? media : "", enc = encoding ? encoding : "";
        int payload = -1;
        if (st) gst_structure_get_int(st, "payload", &payload);
        GST_INFO("[%s] incoming %s stream %s (pt %d)", s.id.c_str(), m.c_str(), enc.c_str(),
                 payload);

        std::lock_guard g(s.lock);
        const char* fragmentName = nullptr;
        GstPad* target = nullptr;
        Kind kind = Kind::Audio;
        bool* linked = nullptr;
        if (m == "video" && payload == kScreenPt) {
            // m-line 2: the screen share (its own payload type on the bundled transport).
            if (!s.screenLinked && enc == "VP8") {
                fragmentName = fragment::kVideoDecodeVp8;
                target = s.screenQueueSink.get();
                kind = Kind::Screen;
                linked = &s.screenLinked;
            }
        } else if (m == "video" && !s.videoLinked && (enc == "VP8" || enc == "H264")) {
            fragmentName = enc == "VP8" ? fragment::kVideoDecodeVp8 : fragment::kVideoDecodeH264;
            target = s.tileQueueSink.get();
            kind = Kind::Camera;
            linked = &s.videoLinked;
        } else if (m == "audio" && !s.audioLinked && enc == "OPUS") {
            fragmentName = fragment::kAudioDecodeOpus;
            target = s.audioInSink.get();
            linked = &s.audioLinked;
        }
        if (fragmentName && linkDecoder(s, pad, fragmentName, target, kind)) {
            *linked = true;
            return;
        }
        GST_WARNING("[%s] discarding incoming %s/%s stream", s.id.c_str(), m.c_str(), enc.c_str());
        ElementPtr sink = make("fakesink", nullptr);
        g_object_set(sink.get(), "async", FALSE, "sync", FALSE, nullptr);
        gst_bin_add(GST_BIN(s.bin), sink.get());
        gst_element_sync_state_with_parent(sink.get());
        PadPtr sinkPad = PadPtr::adopt(gst_element_get_static_pad(sink.get(), "sink"));
        gst_pad_link(pad, sinkPad.get());
    }

    using GateRef = std::shared_ptr<InputGate>;
    static void deleteGateRef(gpointer data) noexcept { delete static_cast<GateRef*>(data); }

    /// Streaming thread: keeps the RFC 6464 level an incoming audio packet carries.
    static GstPadProbeReturn onAudioLevel(GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
        InputGate& gate = **static_cast<GateRef*>(data);
        GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
        GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
        if (!buffer || !gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) return GST_PAD_PROBE_OK;
        gpointer ext = nullptr;
        guint size = 0;
        if (gst_rtp_buffer_get_extension_onebyte_header(&rtp, kAudioLevelExtId, 0, &ext, &size) &&
            size >= 1) {
            // RFC 6464 section 3: V bit, then the level in -dBov (0..127).
            const int level = *static_cast<const guint8*>(ext) & 0x7f;
            GST_LOG("audio level -%d dBov", level);
            gate.level.store(level, std::memory_order_relaxed);
            gate.levelAtUs.store(g_get_monotonic_time(), std::memory_order_relaxed);
        } else if (!isOpusSilence(
                       {static_cast<const std::uint8_t*>(gst_rtp_buffer_get_payload(&rtp)),
                        gst_rtp_buffer_get_payload_len(&rtp)})) {
            // No level: a packet larger than silence means sound (OpusPacket.h).
            gate.soundAtUs.store(g_get_monotonic_time(), std::memory_order_relaxed);
        }
        gst_rtp_buffer_unmap(&rtp);
        return GST_PAD_PROBE_OK;
    }

    /// Streaming thread: drops a sender's Opus frames while the mixer does not mix them, so
    /// they are not decoded. After the depayloader, so the decoder sees a gap in timestamps
    /// with contiguous frames, as after DTX, and conceals nothing.
    static GstPadProbeReturn onDecodeGate(GstPad*, GstPadProbeInfo*, gpointer data) noexcept {
        const InputGate& gate = **static_cast<GateRef*>(data);
        return gate.mixed.load(std::memory_order_relaxed) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
    }

    /// `in`: the sink (ghost) pad of an audio decoder bin whose first element is the
    /// depayloader.
    static void addAudioGate(Shared& s, GstPad* in) {
        gst_pad_add_probe(in, GST_PAD_PROBE_TYPE_BUFFER, onAudioLevel, new GateRef(s.inputGate),
                          deleteGateRef);
        PadPtr depaySink = PadPtr::adopt(gst_ghost_pad_get_target(GST_GHOST_PAD(in)));
        ElementPtr depay =
            ElementPtr::adopt(depaySink ? gst_pad_get_parent_element(depaySink.get()) : nullptr);
        PadPtr depaySrc =
            PadPtr::adopt(depay ? gst_element_get_static_pad(depay.get(), "src") : nullptr);
        if (depaySrc)
            gst_pad_add_probe(depaySrc.get(), GST_PAD_PROBE_TYPE_BUFFER, onDecodeGate,
                              new GateRef(s.inputGate), deleteGateRef);
    }

    enum class Kind { Audio, Camera, Screen };

    using ShownRef = std::shared_ptr<std::atomic<bool>>;
    /// Drops what reaches `pad` while `flag` is false.
    static void addDropUnless(GstPad* pad, const ShownRef& flag) {
        gst_pad_add_probe(
            pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
            [](GstPad*, GstPadProbeInfo*, gpointer data) noexcept {
                return (*static_cast<ShownRef*>(data))->load(std::memory_order_relaxed)
                           ? GST_PAD_PROBE_OK
                           : GST_PAD_PROBE_DROP;
            },
            new ShownRef(flag),
            [](gpointer data) noexcept { delete static_cast<ShownRef*>(data); });
    }

    static bool linkDecoder(Shared& s, GstPad* pad, const char* fragmentName, GstPad* target,
                            Kind kind) {
        const bool video = kind == Kind::Camera;
        const char* prefix = kind == Kind::Camera   ? "video_"
                             : kind == Kind::Screen ? "screen_"
                                                    : "audio_";
        std::string name = std::string("decode_") + prefix + std::to_string(s.decoderSerial++);
        auto decoder = s.fragments->makeBin(fragmentName, name);
        if (!decoder) {
            GST_ERROR("[%s] %s", s.id.c_str(), decoder.error().message.c_str());
            return false;
        }
        GstElement* d = decoder.value().get();
        gst_bin_add(GST_BIN(s.bin), d);
        // Running before linking (design.md: linking a branch that is not yet running into a
        // live aggregator can stop it).
        gst_element_sync_state_with_parent(d);
        PadPtr in = PadPtr::adopt(gst_element_get_static_pad(d, "sink"));
        PadPtr out = PadPtr::adopt(gst_element_get_static_pad(d, "src"));
        if (!in || !out || GST_PAD_LINK_FAILED(gst_pad_link(out.get(), target)) ||
            GST_PAD_LINK_FAILED(gst_pad_link(pad, in.get()))) {
            GST_ERROR("[%s] cannot link decoder %s", s.id.c_str(), fragmentName);
            gst_element_set_state(d, GST_STATE_NULL);
            gst_bin_remove(GST_BIN(s.bin), d);
            return false;
        }
        if (kind == Kind::Screen) {
            // Decoded only while a share of this participant's is on (one decode per share).
            addDropUnless(in.get(), s.screenActive);
            s.screenDecoderIn = in;  // the caller (onPadAdded) holds s.lock
            addKeyframeRequestThrottle(in.get(), std::chrono::milliseconds(500));
            gst_pad_push_event(in.get(), gst_video_event_new_upstream_force_key_unit(
                                             GST_CLOCK_TIME_NONE, TRUE, 0));
        } else if (video) {
            addDropUnless(in.get(), s.videoShown);
            s.videoDecoderIn = in;  // the caller (onPadAdded) holds s.lock
            // Frames that waited too long for the decoding thread (the jitter buffer's, which
            // also runs depayloader and decoder) are not decoded: their delay would pass to
            // every frame after them. The decoder is the fragment's last element.
            PadPtr decoded = PadPtr::adopt(GST_IS_GHOST_PAD(out.get())
                                               ? gst_ghost_pad_get_target(GST_GHOST_PAD(out.get()))
                                               : nullptr);
            ElementPtr decoderEl =
                ElementPtr::adopt(decoded ? gst_pad_get_parent_element(decoded.get()) : nullptr);
            PadPtr decoderSink = PadPtr::adopt(
                decoderEl ? gst_element_get_static_pad(decoderEl.get(), "sink") : nullptr);
            addLateFrameDrop(decoderSink.get(), s.maxFrameDelay, LateKind::Encoded, s.lateDropped);
            addKeyframeRequestThrottle(in.get(), std::chrono::milliseconds(500));
            // Ask the sender for a keyframe now (PLI) so the tile starts without waiting for
            // the sender's next periodic one.
            gst_pad_push_event(in.get(), gst_video_event_new_upstream_force_key_unit(
                                             GST_CLOCK_TIME_NONE, TRUE, 0));
        } else {
            addAudioGate(s, in.get());
        }
        return true;
    }
};

ReceiveBranch::ReceiveBranch(std::string id, const Fragments& fragments,
                             std::chrono::milliseconds maxFrameDelay, LateCounter lateDropped)
    : shared_(std::make_shared<Shared>()) {
    shared_->id = std::move(id);
    shared_->fragments = &fragments;
    shared_->maxFrameDelay = maxFrameDelay;
    shared_->lateDropped = std::move(lateDropped);
}

ReceiveBranch::~ReceiveBranch() {
    unwatch();
    blanker_.detach();
}

core::Status ReceiveBranch::build(GstBin* bin, const std::string& label,
                                  const MediaConfig& /*config*/) {
    bin_ = bin;
    shared_->bin = GST_ELEMENT(bin);
    label_ = label;
    ElementPtr tileQueue = make("queue", "tile_queue");
    g_object_set(tileQueue.get(), "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time",
                 guint64{0}, "leaky", kTileQueueLeaky, nullptr);
    // One decode, one tile chain per composite the participant is shown in (TileBranch).
    decodedTee_ = make("tee", "decoded_tee");
    g_object_set(decodedTee_.get(), "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(bin, tileQueue.get(), decodedTee_.get(), nullptr);
    if (!gst_element_link(tileQueue.get(), decodedTee_.get()))
        return makeError("internal", "cannot link the tile queue");
    // A decoded frame already late when the tile's thread gets to it is not scaled and
    // labelled (the compositor would not show it either).
    PadPtr tileQueued = PadPtr::adopt(gst_element_get_static_pad(tileQueue.get(), "src"));
    addLateFrameDrop(tileQueued.get(), shared_->maxFrameDelay, LateKind::Raw, shared_->lateDropped);
    tileQueueSrc_ = tileQueued;

    ElementPtr aconvert = make("audioconvert", "in_audioconvert");
    ElementPtr aresample = make("audioresample", "in_audioresample");
    ElementPtr acaps = make("capsfilter", "in_audiocaps");
    g_object_set(acaps.get(), "caps", rtpCaps(AudioMixer::kCaps).get(), nullptr);
    audioSink_ = make("appsink", "audio_sink");
    g_object_set(audioSink_.get(), "sync", FALSE, "async", FALSE, "drop", TRUE, "max-buffers", 50,
                 nullptr);
    gst_bin_add_many(bin, aconvert.get(), aresample.get(), acaps.get(), audioSink_.get(), nullptr);
    if (!gst_element_link_many(aconvert.get(), aresample.get(), acaps.get(), audioSink_.get(),
                               nullptr))
        return makeError("internal", "cannot link the audio input chain");

    // The screen share: decoded into its own queue and tee; a tile per composite that shows
    // it (the presentation's), letterboxed.
    ElementPtr screenQueue = make("queue", "screen_queue");
    g_object_set(screenQueue.get(), "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time",
                 guint64{0}, "leaky", kTileQueueLeaky, nullptr);
    screenTee_ = make("tee", "screen_tee");
    g_object_set(screenTee_.get(), "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(bin, screenQueue.get(), screenTee_.get(), nullptr);
    if (!gst_element_link(screenQueue.get(), screenTee_.get()))
        return makeError("internal", "cannot link the screen queue");
    shared_->screenQueueSink = PadPtr::adopt(gst_element_get_static_pad(screenQueue.get(), "sink"));

    shared_->tileQueueSink = PadPtr::adopt(gst_element_get_static_pad(tileQueue.get(), "sink"));
    shared_->audioInSink = PadPtr::adopt(gst_element_get_static_pad(aconvert.get(), "sink"));
    return core::Ok{};
}

void ReceiveBranch::watch(GstElement* webrtc) {
    webrtc_ = webrtc;
    padAddedHandler_ =
        g_signal_connect_data(webrtc, "pad-added", G_CALLBACK(Callbacks::onPadAdded),
                              Callbacks::wrap(shared_), Callbacks::unwrap, GConnectFlags{});
}

void ReceiveBranch::unwatch() {
    if (padAddedHandler_) g_signal_handler_disconnect(webrtc_, padAddedHandler_);
    padAddedHandler_ = 0;
}

void ReceiveBranch::startPlaceholder() {
    placeholder_.start(bin_, shared_->id);
}

std::shared_ptr<InputGate> ReceiveBranch::inputGate() const {
    return shared_->inputGate;
}

void ReceiveBranch::setShown(bool shown) {
    if (shared_->videoShown->exchange(shown) || !shown) return;
    // Back on stage: decoding restarts mid-stream, so ask the sender for a keyframe (PLI).
    PadPtr in;
    {
        std::lock_guard g(shared_->lock);
        in = shared_->videoDecoderIn;
    }
    if (in)
        gst_pad_push_event(
            in.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

GstPad* ReceiveBranch::addTile(const std::string& key) {
    auto found = tiles_.find(key);
    if (found != tiles_.end()) return found->second->src();
    auto tile = TileBranch::create(bin_, decodedTee_.get(), key, label_);
    if (!tile) {
        GST_ERROR("[%s] tile %s: %s", shared_->id.c_str(), key.c_str(),
                  tile.error().message.c_str());
        return nullptr;
    }
    GstPad* src = tile.value()->src();
    tile.value()->setMarks(marks_);
    tiles_.emplace(key, std::move(tile).value());
    return src;
}

void ReceiveBranch::removeTile(const std::string& key) {
    tiles_.erase(key);
}

void ReceiveBranch::detachTiles() {
    for (auto& [key, tile] : tiles_) tile->detach();
    tiles_.clear();
    for (auto& [key, tile] : screenTiles_) tile->detach();
    screenTiles_.clear();
}

void ReceiveBranch::setScreenActive(bool active) {
    if (shared_->screenActive->exchange(active) == active || !active) return;
    // Decoding starts mid-stream: ask the presenter for a keyframe (PLI).
    PadPtr in;
    {
        std::lock_guard g(shared_->lock);
        in = shared_->screenDecoderIn;
    }
    if (in)
        gst_pad_push_event(
            in.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

bool ReceiveBranch::screenActive() const {
    return shared_->screenActive->load(std::memory_order_relaxed);
}

GstPad* ReceiveBranch::addScreenTile(const std::string& key) {
    auto found = screenTiles_.find(key);
    if (found != screenTiles_.end()) return found->second->src();
    auto tile = TileBranch::create(bin_, screenTee_.get(), "screen_" + key, label_);
    if (!tile) {
        GST_ERROR("[%s] screen tile %s: %s", shared_->id.c_str(), key.c_str(),
                  tile.error().message.c_str());
        return nullptr;
    }
    GstPad* src = tile.value()->src();
    screenTiles_.emplace(key, std::move(tile).value());
    return src;
}

void ReceiveBranch::removeScreenTile(const std::string& key) {
    screenTiles_.erase(key);
}

void ReceiveBranch::setScreenGeometry(const std::string& key, int width, int height) {
    auto found = screenTiles_.find(key);
    if (found != screenTiles_.end()) found->second->setGeometry(width, height, Fit::Letterbox);
}

void ReceiveBranch::setTileGeometry(const std::string& key, int width, int height, Fit fit) {
    auto found = tiles_.find(key);
    if (found == tiles_.end()) return;
    found->second->setGeometry(width, height, fit);
    placeholder_.pushFrame();  // re-labelled at the new size
    if (blanker_.blanked()) blanker_.pushBlackFrame();
}

void ReceiveBranch::setTileMarks(const TileMarks& marks) {
    if (marks == marks_) return;
    marks_ = marks;
    for (auto& [key, tile] : tiles_) tile->setMarks(marks);
    // The compositor keeps a tile's last frame: one that gets no frames is given one.
    placeholder_.pushFrame();
    if (blanker_.blanked()) blanker_.pushBlackFrame();
}

void ReceiveBranch::setVideoBlanked(bool blanked) {
    if (blanked == blanker_.blanked()) return;
    if (blanked && tileQueueSrc_) blanker_.attach(tileQueueSrc_.get());
    blanker_.setBlanked(blanked);
}

}  // namespace mixmeet::media
