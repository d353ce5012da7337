#include "SyntheticPeer.h"

#include "media/KeyframeThrottle.h"

#define GST_USE_UNSTABLE_API  // gst/webrtc is "unstable API" in 1.22
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "FrameStamp.h"
#include "Goertzel.h"
#include "Netns.h"
#include "StampProbe.h"
#include "core/GstPtr.h"
#include "media/Layout.h"
#include "media/Remb.h"
#include "protocol/Messages.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <span>
#include <utility>

namespace mixmeet::testing {

using core::CharsPtr;
using core::ElementPtr;
using core::ErrorOut;
using core::FnDeleter;
using core::GPtr;
using core::PadPtr;
using core::SamplePtr;
using core::SourcePtr;

namespace {

// RAII owners for types GstPtr.h does not cover (yet).
void freeSdp(GstSDPMessage* m) {
    gst_sdp_message_free(m);
}
using SdpPtr = std::unique_ptr<GstSDPMessage, FnDeleter<GstSDPMessage, freeSdp>>;
using DescriptionPtr =
    std::unique_ptr<GstWebRTCSessionDescription,
                    FnDeleter<GstWebRTCSessionDescription, gst_webrtc_session_description_free>>;
using JsonNodePtr = std::unique_ptr<JsonNode, FnDeleter<JsonNode, json_node_unref>>;
using ContextPtr = std::unique_ptr<GMainContext, FnDeleter<GMainContext, g_main_context_unref>>;
/// Drops our reference to a GSource without destroying it (it stays attached).
using SourceRef = std::unique_ptr<GSource, FnDeleter<GSource, g_source_unref>>;
using CapsPtr = core::CapsPtr;

constexpr int kAudioRate = 48000;
constexpr std::size_t kAudioRing = 2 * kAudioRate;  // 2 s of mono samples

/// What the receive branches record; written on streaming threads, read on the main thread.
/// Shared (std::shared_ptr) between the peer and the appsink callbacks, so it outlives both.
struct ReceiveStats {
    // Set before the pipeline starts, read-only afterwards.
    bool keepFrames = true;
    bool receiveVideo = true;
    bool stampFrames = false;
    int senderWidth = 0;  // stamped content is assumed to have this aspect ratio
    int senderHeight = 0;

    std::atomic<std::uint64_t> videoBytes{0};
    std::atomic<std::uint64_t> audioBytes{0};
    std::atomic<std::uint64_t> rtcpSent{0};          // RTCP compound packets this peer sent
    std::atomic<std::uint64_t> rembsReceived{0};     // REMB packets from the server
    std::atomic<std::uint64_t> lastRembBps{0};       // the bitrate of the last of them
    std::atomic<std::uint64_t> audioPacketsSent{0};  // RTP packets out of the Opus payloader
    // RFC 6464 audio level written into each sent audio packet (extmap id from the offer; 0:
    // not offered) and its value in -dBov, 127 = silence.
    std::atomic<int> audioLevelExtId{0};
    std::atomic<int> audioLevel{127};

    mutable std::mutex mutex;
    // Latency probe.
    int tileCount = 0;  // roster size, from the main thread
    // The tiles of the last `layout` message (its width x height) when it is not the grid;
    // empty: the grid of tileCount tiles. From the main thread.
    std::vector<PixelRect> layoutTiles;
    int layoutWidth = 0;
    int layoutHeight = 0;
    std::uint64_t tilesGeneration = 0;     // bumped whenever tileCount or layoutTiles change
    std::vector<std::uint32_t> lastStamp;  // per tile; kNoStamp before one was read
    std::vector<double> latencyMs;
    std::uint64_t stampsRead = 0;
    std::uint64_t stampMisses = 0;
    std::int64_t firstFrameUs = 0;
    // Freezes: gaps between decoded video frames since the last clearLatencySamples().
    std::int64_t lastFrameUs = 0;
    std::uint64_t freezes = 0;  // gaps over kFreezeGapUs
    std::int64_t longestGapUs = 0;

    std::uint64_t videoFrames = 0;
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> rgbx;  // last frame, stride width * 4
    std::int64_t rgbxAtUs = 0;       // when it came (monotonic µs)
    std::uint64_t rgbxIndex = 0;     // its videoFrames number
    std::uint64_t audioSamples = 0;
    RtpContinuity audioRtp;  // of the received audio RTP stream
    guint16 lastAudioSeq = 0;
    guint32 lastAudioTs = 0;
    std::vector<float> ring = std::vector<float>(kAudioRing);
    std::size_t ringPos = 0;  // next write position
};

using StatsBox = std::shared_ptr<ReceiveStats>;

constexpr std::int64_t kFreezeGapUs = std::int64_t(kFreezeGapMs) * 1000;
constexpr std::uint32_t kNoStamp = std::numeric_limits<std::uint32_t>::max();
/// Bounds memory on long runs: 25 tiles at 30 fps for 10 minutes.
constexpr std::size_t kMaxLatencySamples = 500000;

/// Reads the stamp of every tile of a received composite; records a latency sample for each
/// tile whose stamp changed. Streaming thread.
void readStamps(ReceiveStats& stats, const LumaView& luma, std::int64_t nowUs) {
    std::vector<PixelRect> rects;
    int tiles = 0;
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(stats.mutex);
        generation = stats.tilesGeneration;
        tiles = stats.tileCount;
        if (!stats.layoutTiles.empty() && stats.layoutWidth > 0 && stats.layoutHeight > 0) {
            // A speaker or presentation layout: its tiles, scaled to this tier's frame.
            for (const auto& t : stats.layoutTiles)
                rects.push_back({t.x * luma.width / stats.layoutWidth,
                                 t.y * luma.height / stats.layoutHeight,
                                 t.width * luma.width / stats.layoutWidth,
                                 t.height * luma.height / stats.layoutHeight});
        }
    }
    if (rects.empty() && tiles > 0)
        for (const auto& t : media::gridLayout(tiles, luma.width, luma.height))
            rects.push_back({t.x, t.y, t.width, t.height});
    if (rects.empty()) return;
    std::vector<std::optional<std::uint32_t>> read(rects.size());
    for (std::size_t i = 0; i < rects.size(); ++i)
        // Camera tiles are centre-cropped to fill their cell (media/TileBranch.h).
        read[i] = readStamp(luma, coverRect(rects[i], stats.senderWidth, stats.senderHeight));
    const auto nowMs = std::uint64_t(nowUs / 1000);
    std::lock_guard lock(stats.mutex);
    if (stats.tilesGeneration != generation) return;  // the roster or layout changed meanwhile
    if (stats.lastStamp.size() != rects.size()) stats.lastStamp.assign(rects.size(), kNoStamp);
    for (std::size_t i = 0; i < read.size(); ++i) {
        if (!read[i]) {
            ++stats.stampMisses;
            continue;
        }
        ++stats.stampsRead;
        if (stats.lastStamp[i] == *read[i]) continue;  // the same sender frame, repeated
        const bool first = stats.lastStamp[i] == kNoStamp;
        stats.lastStamp[i] = *read[i];
        // The first stamp seen in a tile may be a frame repeated since long before we joined.
        if (!first && stats.latencyMs.size() < kMaxLatencySamples)
            stats.latencyMs.push_back(double(stampAgeMs(*read[i], nowMs)));
    }
}

void deleteStatsBox(gpointer p) noexcept {
    delete static_cast<StatsBox*>(p);
}

GstFlowReturn onVideoSample(GstAppSink* sink, gpointer data) noexcept {
    const std::int64_t nowUs = g_get_monotonic_time();
    ReceiveStats& stats = **static_cast<StatsBox*>(data);
    SamplePtr sample(gst_app_sink_pull_sample(sink));
    if (!sample) return GST_FLOW_EOS;
    GstVideoInfo info;
    if (!gst_video_info_from_caps(&info, gst_sample_get_caps(sample.get()))) return GST_FLOW_OK;
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, &info, gst_sample_get_buffer(sample.get()), GST_MAP_READ))
        return GST_FLOW_OK;
    const int w = GST_VIDEO_FRAME_WIDTH(&frame);
    const int h = GST_VIDEO_FRAME_HEIGHT(&frame);
    const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
    auto* src = static_cast<std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
    const bool packed = GST_VIDEO_FRAME_N_PLANES(&frame) == 1;  // RGBx, else I420
    {
        std::lock_guard lock(stats.mutex);
        if (stats.keepFrames && packed) {
            stats.rgbx.resize(std::size_t(w) * std::size_t(h) * 4);
            for (int y = 0; y < h; ++y)
                std::copy_n(src + std::ptrdiff_t(y) * stride, std::size_t(w) * 4,
                            stats.rgbx.begin() + std::ptrdiff_t(y) * w * 4);
            stats.rgbxAtUs = nowUs;
            stats.rgbxIndex = stats.videoFrames + 1;
        }
        stats.width = w;
        stats.height = h;
        ++stats.videoFrames;
        if (stats.firstFrameUs == 0) stats.firstFrameUs = nowUs;
        if (stats.lastFrameUs > 0) {
            const std::int64_t gap = nowUs - stats.lastFrameUs;
            if (gap > kFreezeGapUs) ++stats.freezes;
            stats.longestGapUs = std::max(stats.longestGapUs, gap);
        }
        stats.lastFrameUs = nowUs;
    }
    if (stats.stampFrames) {
        // RGBx: the G byte stands in for luma (the stamp is grey).
        const LumaView luma =
            packed ? LumaView{src + 1, w, h, stride, 4} : LumaView{src, w, h, stride, 1};
        readStamps(stats, luma, nowUs);
    }
    gst_video_frame_unmap(&frame);
    return GST_FLOW_OK;
}

GstFlowReturn onAudioSample(GstAppSink* sink, gpointer data) noexcept {
    ReceiveStats& stats = **static_cast<StatsBox*>(data);
    SamplePtr sample(gst_app_sink_pull_sample(sink));
    if (!sample) return GST_FLOW_EOS;
    GstMapInfo map;
    GstBuffer* buffer = gst_sample_get_buffer(sample.get());
    if (!buffer || !gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_FLOW_OK;
    const auto* samples = reinterpret_cast<const std::int16_t*>(map.data);
    const std::size_t n = map.size / sizeof(std::int16_t);
    {
        std::lock_guard lock(stats.mutex);
        for (std::size_t i = 0; i < n; ++i) {
            stats.ring[stats.ringPos] = float(samples[i]) / 32768.0f;
            stats.ringPos = (stats.ringPos + 1) % kAudioRing;
        }
        stats.audioSamples += n;
    }
    gst_buffer_unmap(buffer, &map);
    return GST_FLOW_OK;
}

/// Pad probe adding the size of every buffer to a counter of ReceiveStats.
template <std::atomic<std::uint64_t> ReceiveStats::*counter>
GstPadProbeReturn countBytes(GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
    ReceiveStats& stats = **static_cast<StatsBox*>(data);
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
        stats.*counter += gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info));
    else if (GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info))
        stats.*counter += gst_buffer_list_calculate_size(list);
    return GST_PAD_PROBE_OK;
}

/// Follows the received audio RTP packets (webrtcbin's src pad: after its jitter buffer, in
/// sequence order) for RtpContinuity.
GstPadProbeReturn followAudioRtp(GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
    ReceiveStats& stats = **static_cast<StatsBox*>(data);
    auto one = [&stats](GstBuffer* buffer) {
        GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
        if (!gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) return;
        const guint32 ssrc = gst_rtp_buffer_get_ssrc(&rtp);
        const guint16 seq = gst_rtp_buffer_get_seq(&rtp);
        const guint32 ts = gst_rtp_buffer_get_timestamp(&rtp);
        gst_rtp_buffer_unmap(&rtp);
        std::lock_guard lock(stats.mutex);
        RtpContinuity& c = stats.audioRtp;
        if (std::find(c.ssrcs.begin(), c.ssrcs.end(), ssrc) == c.ssrcs.end())
            c.ssrcs.push_back(ssrc);
        if (c.packets > 0) {
            if (seq != guint16(stats.lastAudioSeq + 1))
                ++c.seqGaps;
            else if (ts - stats.lastAudioTs != RtpContinuity::kOpusFrameTicks) {
                ++c.timestampJumps;
                if (c.firstJumps.size() < 8)
                    c.firstJumps.emplace_back(c.packets,
                                              std::int64_t(std::int32_t(ts - stats.lastAudioTs)));
            }
        }
        ++c.packets;
        stats.lastAudioSeq = seq;
        stats.lastAudioTs = ts;
    };
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
        one(GST_PAD_PROBE_INFO_BUFFER(info));
    } else if (GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info)) {
        for (guint i = 0; i < gst_buffer_list_length(list); ++i) one(gst_buffer_list_get(list, i));
    }
    return GST_PAD_PROBE_OK;
}

/// Decode branches for webrtcbin's src pads; the appsink is named "sink".
constexpr const char* kVideoReceive =
    "queue ! rtpvp8depay name=depay request-keyframe=true wait-for-keyframe=true ! vp8dec ! "
    "videoconvert ! "
    "video/x-raw,format=RGBx ! appsink name=sink sync=false max-buffers=4 drop=true";
constexpr const char* kVideoReceiveI420 =
    "queue ! rtpvp8depay name=depay request-keyframe=true wait-for-keyframe=true ! vp8dec ! "
    "video/x-raw,format=I420 ! appsink name=sink sync=false max-buffers=4 drop=true";
constexpr const char* kAudioReceive =
    "queue ! rtpopusdepay ! opusdec plc=true ! audioconvert ! audioresample ! "
    "audio/x-raw,format=S16LE,rate=48000,channels=1 ! appsink name=sink sync=false";

/// Runs on a streaming thread. Adding and starting a new branch here (rather than posting to
/// the main context) is deliberate: the pad must be linked before its first buffer, or the
/// pipeline errors with not-linked.
void onPadAdded(GstElement* webrtc, GstPad* pad, gpointer data) noexcept {
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
    const StatsBox& stats = *static_cast<StatsBox*>(data);
    GPtr<GstObject> parent = GPtr<GstObject>::adopt(gst_object_get_parent(GST_OBJECT(webrtc)));
    if (!parent) return;

    CapsPtr caps(gst_pad_get_current_caps(pad));
    if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
    std::string media, encoding;
    if (caps && gst_caps_get_size(caps.get()) > 0) {
        const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
        if (const char* m = gst_structure_get_string(s, "media")) media = m;
        if (const char* e = gst_structure_get_string(s, "encoding-name")) encoding = e;
    }
    const char* description = "fakesink sync=false async=false";
    bool video = false, audio = false;
    // Receive counters: RTP after SRTP, before the jitter buffer.
    if (media == "video" || media == "audio")
        gst_pad_add_probe(
            pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
            media == "video" ? countBytes<&ReceiveStats::videoBytes>
                             : countBytes<&ReceiveStats::audioBytes>,
            new StatsBox(stats), deleteStatsBox);
    if (media == "video" && g_ascii_strcasecmp(encoding.c_str(), "VP8") == 0 &&
        stats->receiveVideo) {
        description = stats->keepFrames ? kVideoReceive : kVideoReceiveI420;
        video = true;
    } else if (media == "audio" && g_ascii_strcasecmp(encoding.c_str(), "OPUS") == 0) {
        description = kAudioReceive;
        audio = true;
        gst_pad_add_probe(
            pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
            followAudioRtp, new StatsBox(stats), deleteStatsBox);
    }

    ErrorOut err;
    ElementPtr bin = ElementPtr::refSink(gst_parse_bin_from_description_full(
        description, TRUE, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, err.out()));
    if (!bin) {
        g_printerr("SyntheticPeer: cannot build receive branch: %s\n", err.message());
        return;
    }
    if (video) {
        ElementPtr depay = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(bin.get()), "depay"));
        PadPtr depaySink = PadPtr::adopt(gst_element_get_static_pad(depay.get(), "sink"));
        // One keyframe request per second, as browsers do: without it the depayloader's
        // request per lost packet starves this viewer's receiver reports (KeyframeThrottle.h).
        media::addKeyframeRequestThrottle(depaySink.get(), std::chrono::seconds(1));
    }
    if (video || audio) {
        ElementPtr sink = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(bin.get()), "sink"));
        GstAppSinkCallbacks callbacks{};
        callbacks.new_sample = video ? onVideoSample : onAudioSample;
        gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks, new StatsBox(stats),
                                   deleteStatsBox);
    }
    gst_bin_add(GST_BIN(parent.get()), bin.get());
    gst_element_sync_state_with_parent(bin.get());
    PadPtr sinkPad = PadPtr::adopt(gst_element_get_static_pad(bin.get(), "sink"));
    if (gst_pad_link(pad, sinkPad.get()) != GST_PAD_LINK_OK)
        g_printerr("SyntheticPeer: cannot link %s receive branch\n", GST_PAD_NAME(pad));
}

const char* iceStateName(int state) {
    switch (state) {
        case GST_WEBRTC_ICE_CONNECTION_STATE_NEW:
            return "new";
        case GST_WEBRTC_ICE_CONNECTION_STATE_CHECKING:
            return "checking";
        case GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED:
            return "connected";
        case GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED:
            return "completed";
        case GST_WEBRTC_ICE_CONNECTION_STATE_FAILED:
            return "failed";
        case GST_WEBRTC_ICE_CONNECTION_STATE_DISCONNECTED:
            return "disconnected";
        case GST_WEBRTC_ICE_CONNECTION_STATE_CLOSED:
            return "closed";
        default:
            return "unknown";
    }
}

const char* peerStateName(int state) {
    switch (state) {
        case GST_WEBRTC_PEER_CONNECTION_STATE_NEW:
            return "new";
        case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING:
            return "connecting";
        case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
            return "connected";
        case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED:
            return "disconnected";
        case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
            return "failed";
        case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED:
            return "closed";
        default:
            return "unknown";
    }
}

// ---- JSON helpers --------------------------------------------------------------------------

std::string toJson(JsonBuilder* builder) {
    JsonNodePtr root(json_builder_get_root(builder));
    GPtr<JsonGenerator> gen = GPtr<JsonGenerator>::adopt(json_generator_new());
    json_generator_set_root(gen.get(), root.get());
    CharsPtr text(json_generator_to_data(gen.get(), nullptr));
    return text.get();
}

/// Builds {"type": type, ...} with `members` adding the rest.
std::string message(const char* type, const std::function<void(JsonBuilder*)>& members = {}) {
    GPtr<JsonBuilder> b = GPtr<JsonBuilder>::adopt(json_builder_new());
    json_builder_begin_object(b.get());
    json_builder_set_member_name(b.get(), "type");
    json_builder_add_string_value(b.get(), type);
    if (members) members(b.get());
    json_builder_end_object(b.get());
    return toJson(b.get());
}

std::string stringMember(JsonObject* o, const char* name) {
    if (!o || !json_object_has_member(o, name)) return {};
    JsonNode* n = json_object_get_member(o, name);
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) return {};
    return json_node_get_string(n);
}

std::int64_t intMember(JsonObject* o, const char* name, std::int64_t fallback = 0) {
    if (!o || !json_object_has_member(o, name)) return fallback;
    JsonNode* n = json_object_get_member(o, name);
    if (!JSON_NODE_HOLDS_VALUE(n)) return fallback;
    const GType t = json_node_get_value_type(n);
    if (t == G_TYPE_INT64) return json_node_get_int(n);
    if (t == G_TYPE_DOUBLE) return std::int64_t(json_node_get_double(n));
    return fallback;
}

JsonObject* objectMember(JsonObject* o, const char* name) {
    if (!o || !json_object_has_member(o, name)) return nullptr;
    JsonNode* n = json_object_get_member(o, name);
    return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
}

/// Payload type of the first `a=rtpmap:<pt> <encoding>/...` of `media`, or -1.
int findPayloadType(const GstSDPMedia* media, const char* encoding) {
    const std::size_t encLen = std::char_traits<char>::length(encoding);
    for (guint i = 0;; ++i) {
        const char* rtpmap = gst_sdp_media_get_attribute_val_n(media, "rtpmap", i);
        if (!rtpmap) return -1;
        char* end = nullptr;
        const long pt = std::strtol(rtpmap, &end, 10);
        if (end == rtpmap || *end != ' ') continue;
        ++end;
        if (g_ascii_strncasecmp(end, encoding, encLen) == 0 && end[encLen] == '/') return int(pt);
    }
}

constexpr const char* kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

/// The offer's extmap id for header extension `uri` (RFC 8285), 0 if it has none.
int extmapId(const GstSDPMedia* media, const char* uri) {
    for (guint i = 0;; ++i) {
        const char* extmap = gst_sdp_media_get_attribute_val_n(media, "extmap", i);
        if (!extmap) return 0;
        g_auto(GStrv) parts = g_strsplit(extmap, " ", 3);
        if (parts[0] && parts[1] && std::strcmp(parts[1], uri) == 0) return std::atoi(parts[0]);
    }
}

/// RFC 6464 level (-dBov, 0..127) of a sine of amplitude `volume` (full scale 1): its RMS is
/// volume/sqrt(2).
int sineLevel(double volume) {
    if (volume <= 0) return 127;
    double dbov = 20 * std::log10(volume / std::sqrt(2.0));
    return std::clamp(int(std::lround(-dbov)), 0, 127);
}

/// Pad probe on the Opus payloader's output: counts packets and, when the offer listed the
/// audio-level extension, writes the tone's level into each (with the voice-activity bit).
GstPadProbeReturn onAudioSent(GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
    ReceiveStats& stats = **static_cast<StatsBox*>(data);
    stats.audioPacketsSent.fetch_add(1, std::memory_order_relaxed);
    const int id = stats.audioLevelExtId.load(std::memory_order_relaxed);
    if (id <= 0) return GST_PAD_PROBE_OK;
    GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (gst_rtp_buffer_map(buffer, GST_MAP_READWRITE, &rtp)) {
        const int level = stats.audioLevel.load(std::memory_order_relaxed);
        const guint8 byte = static_cast<guint8>(level | (level < 127 ? 0x80 : 0));
        gst_rtp_buffer_add_extension_onebyte_header(&rtp, static_cast<guint8>(id), &byte, 1);
        gst_rtp_buffer_unmap(&rtp);
    }
    return GST_PAD_PROBE_OK;
}

/// Whether the offer's fmtp for payload type `pt` has parameter `name`=1 (RFC 7587 section 7:
/// Opus `usedtx`, `useinbandfec`).
bool fmtpFlag(const GstSDPMedia* media, int pt, const char* name) {
    const std::string prefix = std::to_string(pt) + " ";
    for (guint i = 0;; ++i) {
        const char* fmtp = gst_sdp_media_get_attribute_val_n(media, "fmtp", i);
        if (!fmtp) return false;
        if (!g_str_has_prefix(fmtp, prefix.c_str())) continue;
        g_auto(GStrv) params = g_strsplit(fmtp + prefix.size(), ";", -1);
        for (char** p = params; *p; ++p) {
            g_autofree char* param = g_strstrip(g_strdup(*p));
            if (g_ascii_strcasecmp(param, (std::string(name) + "=1").c_str()) == 0) return true;
        }
        return false;
    }
}

}  // namespace

// ---- Frame ---------------------------------------------------------------------------------

std::array<std::uint8_t, 3> Frame::at(int x, int y) const {
    if (x < 0 || y < 0 || x >= width || y >= height) return {0, 0, 0};
    const std::size_t i = (std::size_t(y) * std::size_t(width) + std::size_t(x)) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
}

std::array<double, 3> Frame::mean(int x, int y, int w, int h) const {
    const int x0 = std::max(x, 0), y0 = std::max(y, 0);
    const int x1 = std::min(x + w, width), y1 = std::min(y + h, height);
    std::array<double, 3> sum{0, 0, 0};
    if (x1 <= x0 || y1 <= y0) return sum;
    for (int yy = y0; yy < y1; ++yy)
        for (int xx = x0; xx < x1; ++xx) {
            const auto p = at(xx, yy);
            for (int c = 0; c < 3; ++c) sum[c] += p[c];
        }
    const double n = double(x1 - x0) * double(y1 - y0);
    for (auto& v : sum) v /= n;
    return sum;
}

// ---- Impl ----------------------------------------------------------------------------------

int peerHeightForBitrate(int videoBps, int maxHeight) {
    const int height = videoBps >= 500000 ? 360 : videoBps >= 300000 ? 270 : 180;
    return std::min(height, maxHeight);
}

struct SyntheticPeer::Impl : std::enable_shared_from_this<SyntheticPeer::Impl> {
    explicit Impl(PeerOptions o) : opts(std::move(o)), ctx(g_main_context_ref_thread_default()) {
        stats->keepFrames = opts.keepFrames;
        stats->receiveVideo = opts.receiveVideo;
        stats->stampFrames = opts.stampFrames;
        // Every peer of a benchmark sends the same size; a different aspect ratio would only
        // shift where the stamp is looked for.
        stats->senderWidth = opts.width;
        stats->senderHeight = opts.height;
    }

    /// Lets callbacks on other threads reach the peer on its main context, if it still exists.
    /// Immutable after construction, hence usable from any thread.
    struct Guard {
        std::weak_ptr<Impl> self;
        ContextPtr ctx;

        /// Runs fn(peer) on the main context later (always deferred, even when called on the
        /// main thread), unless the peer is gone by then.
        void post(std::function<void(Impl&)> fn) const {
            struct Call {
                std::weak_ptr<Impl> self;
                std::function<void(Impl&)> fn;
            };
            SourceRef src(g_idle_source_new());
            g_source_set_priority(src.get(), G_PRIORITY_DEFAULT);
            g_source_set_callback(
                src.get(),
                [](gpointer p) noexcept -> gboolean {
                    auto* call = static_cast<Call*>(p);
                    if (auto impl = call->self.lock()) call->fn(*impl);
                    return G_SOURCE_REMOVE;
                },
                new Call{self, std::move(fn)},
                [](gpointer p) noexcept { delete static_cast<Call*>(p); });
            g_source_attach(src.get(), ctx.get());
        }
    };
    using GuardBox = std::shared_ptr<const Guard>;
    static void deleteGuardBox(gpointer p, GClosure*) noexcept { delete static_cast<GuardBox*>(p); }
    static void deleteGuardBoxPlain(gpointer p) noexcept { delete static_cast<GuardBox*>(p); }

    GuardBox makeGuard() {
        auto g = std::make_shared<Guard>();
        g->self = weak_from_this();
        g->ctx.reset(g_main_context_ref(ctx.get()));
        return g;
    }

    // Passed by argument.
    PeerOptions opts;
    ContextPtr ctx;

    // Shared with the appsink callbacks.
    StatsBox stats = std::make_shared<ReceiveStats>();

    // Allocated by this (main thread only).
    GPtr<SoupSession> session;
    GPtr<GCancellable> connectCancel;
    GPtr<SoupWebsocketConnection> ws;
    std::vector<gulong> wsHandlers;
    SourcePtr closeTimer;
    /// Once a second until the first video frame is decoded: asks for a keyframe, as a
    /// browser's receiver does when it has nothing decodable (the server's first keyframe can
    /// arrive before this side's SRTP keys and be dropped).
    SourcePtr firstFrameTimer;
    std::vector<std::string> pendingOut;  // sendRaw before the socket opened
    std::string resumeWith;               // the token the next join resumes with
    // Sockets (and their sessions) left open by reconnect(KeepOldSocket), unwatched.
    std::vector<GPtr<SoupWebsocketConnection>> staleSockets;
    std::vector<GPtr<SoupSession>> staleSessions;

    ElementPtr pipeline;
    ElementPtr webrtc;
    std::vector<gulong> webrtcHandlers;
    SourcePtr busWatch;
    std::vector<ElementPtr> encoders;  // send branch encoders (keyframe requests)
    ElementPtr videoEncoder;           // the video one, for send hints
    ElementPtr sendSize;               // capsfilter after the camera's scaler, for send hints
    ElementPtr toneSource;             // the audiotestsrc, for setToneVolume()
    std::array<int, 3> lastHint{};     // the latest send-hint: width, height, maxBitrate
    std::uint64_t lastRembBps = 0;     // the latest REMB from the server, bps (0: none)
    std::vector<ElementPtr> valves;    // send gates, opened when ICE connects
    bool sendingStopped = false;
    bool offerHandled = false;
    int offerCount = 0;  // `offer` messages received (more than one: ICE restarts)
    // blockMedia(): drop every packet through the ICE transport (probes on nicesrc/nicesink,
    // installed on first use; the flag is shared with them).
    std::shared_ptr<std::atomic<bool>> mediaBlocked = std::make_shared<std::atomic<bool>>(false);
    bool blockProbes = false;
    bool rtcpTuned = false;  // speedUpRtcp() done

    // Model (main thread only).
    bool opened = false;
    bool closed = false;
    int closeCode = 0;
    bool joined = false;
    std::string participantId;
    std::string resumeToken;  // of the last welcome
    bool resumed = false;     // the last welcome took over a participant
    int welcomeCount = 0;
    std::vector<std::vector<std::string>> rosterIds;  // ids of every roster received
    VideoFormat video;
    std::vector<RosterEntry> roster;
    int rosterCount = 0;
    std::vector<ProtocolError> errors;
    std::string byeReason;
    std::vector<std::string> receivedTypes;
    protocol::LayoutInfo lastLayout;  // the latest `layout` message
    int layoutCount = 0;
    std::string offerSdp;
    std::string answerSdp;
    bool answerSent = false;
    std::vector<std::pair<unsigned, std::string>> pendingCandidates;
    int localCandidatesSent = 0;
    int remoteCandidatesReceived = 0;
    std::vector<std::string> localErrors;
    int iceState = GST_WEBRTC_ICE_CONNECTION_STATE_NEW;
    std::int64_t iceConnectedUs = 0;
    std::int64_t securedUs = 0;  // peer connection "connected": ICE and DTLS done
    int pcState = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;

    // ---- lifecycle -----------------------------------------------------------------------

    void start() {
        if (session) return;
        // libsoup binds the connection to the thread-default context at connect time.
        g_main_context_push_thread_default(ctx.get());
        {
            NetnsScope media(opts.netnsFd);
            buildPipeline();
        }
        connectSocket();
        g_main_context_pop_thread_default(ctx.get());
        if (opts.receiveVideo) {
            firstFrameTimer.reset(g_timeout_source_new(1000));
            g_source_set_callback(
                firstFrameTimer.get(),
                [](gpointer p) noexcept -> gboolean {
                    auto* self = static_cast<Impl*>(p);
                    {
                        std::lock_guard lock(self->stats->mutex);
                        if (self->stats->videoFrames > 0) return G_SOURCE_REMOVE;
                    }
                    if (self->securedUs > 0 &&
                        g_get_monotonic_time() - self->securedUs >= G_USEC_PER_SEC)
                        self->requestCompositeKeyframe();
                    return G_SOURCE_CONTINUE;
                },
                this, nullptr);
            g_source_attach(firstFrameTimer.get(), ctx.get());
        }
    }

    void shutdown() {
        closeTimer.reset();
        firstFrameTimer.reset();
        stopPipeline();
        dropSocket(true);
    }

    // ---- WebSocket -----------------------------------------------------------------------

    void connectSocket() {
        session = GPtr<SoupSession>::adopt(soup_session_new());
        GPtr<SoupMessage> msg = GPtr<SoupMessage>::adopt(soup_message_new("GET", opts.url.c_str()));
        if (msg && !opts.cookie.empty())
            soup_message_headers_replace(soup_message_get_request_headers(msg.get()), "Cookie",
                                         opts.cookie.c_str());
        if (!msg) {
            localErrors.push_back("invalid url " + opts.url);
            closed = true;
            return;
        }
        connectCancel = GPtr<GCancellable>::adopt(g_cancellable_new());
        soup_session_websocket_connect_async(
            session.get(), msg.get(), nullptr, nullptr, G_PRIORITY_DEFAULT, connectCancel.get(),
            &Impl::onConnected, new std::weak_ptr<Impl>(weak_from_this()));
    }

    static void onConnected(GObject* source, GAsyncResult* result, gpointer data) noexcept {
        std::unique_ptr<std::weak_ptr<Impl>> box(static_cast<std::weak_ptr<Impl>*>(data));
        ErrorOut err;
        auto conn = GPtr<SoupWebsocketConnection>::adopt(
            soup_session_websocket_connect_finish(SOUP_SESSION(source), result, err.out()));
        auto self = box->lock();
        if (!self) return;  // peer destroyed meanwhile; `conn` (if any) is dropped
        if (!conn) {
            self->localErrors.push_back(std::string("websocket connect: ") + err.message());
            self->closed = true;
            return;
        }
        self->onOpen(std::move(conn));
    }

    void onOpen(GPtr<SoupWebsocketConnection> conn) {
        ws = std::move(conn);
        opened = true;
        // Server offers are far below libsoup's 128 KiB default, but tests may echo big frames.
        soup_websocket_connection_set_max_incoming_payload_size(ws.get(), 4 * 1024 * 1024);
        wsHandlers.push_back(
            g_signal_connect(ws.get(), "message", G_CALLBACK(&Impl::onWsMessage), this));
        wsHandlers.push_back(
            g_signal_connect(ws.get(), "closed", G_CALLBACK(&Impl::onWsClosed), this));
        wsHandlers.push_back(
            g_signal_connect(ws.get(), "error", G_CALLBACK(&Impl::onWsError), this));
        if (opts.sendJoin) {
            sendText(message("join", [this](JsonBuilder* b) {
                json_builder_set_member_name(b, "version");
                json_builder_add_int_value(b, 1);
                json_builder_set_member_name(b, "room");
                json_builder_add_string_value(b, opts.room.c_str());
                json_builder_set_member_name(b, "name");
                json_builder_add_string_value(b, opts.name.c_str());
                if (!resumeWith.empty()) {
                    json_builder_set_member_name(b, "resume");
                    json_builder_add_string_value(b, resumeWith.c_str());
                }
            }));
        }
        auto queued = std::exchange(pendingOut, {});
        for (auto& text : queued) sendText(text);
    }

    void sendText(const std::string& text) {
        if (!ws) {
            if (!closed) pendingOut.push_back(text);
            return;
        }
        if (soup_websocket_connection_get_state(ws.get()) != SOUP_WEBSOCKET_STATE_OPEN) return;
        soup_websocket_connection_send_text(ws.get(), text.c_str());
    }

    void disconnectSocketHandlers() {
        if (!ws) return;
        for (gulong id : wsHandlers) g_signal_handler_disconnect(ws.get(), id);
        wsHandlers.clear();
    }

    void dropSocket(bool graceful) {
        if (connectCancel) g_cancellable_cancel(connectCancel.get());
        if (ws) {
            if (soup_websocket_connection_get_state(ws.get()) == SOUP_WEBSOCKET_STATE_OPEN) {
                if (graceful) {
                    soup_websocket_connection_close(ws.get(), SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
                    closeCode = SOUP_WEBSOCKET_CLOSE_NORMAL;
                } else {
                    // No close frame: shut the TCP connection down under libsoup's feet.
                    GIOStream* io = soup_websocket_connection_get_io_stream(ws.get());
                    g_io_stream_close(io, nullptr, nullptr);
                }
            }
            disconnectSocketHandlers();
            ws.reset();
        }
        closed = true;
    }

    static void onWsMessage(SoupWebsocketConnection*, gint type, GBytes* bytes,
                            gpointer data) noexcept {
        auto* self = static_cast<Impl*>(data);
        if (type != SOUP_WEBSOCKET_DATA_TEXT) {
            self->localErrors.push_back("binary frame received");
            return;
        }
        gsize size = 0;
        const auto* text = static_cast<const char*>(g_bytes_get_data(bytes, &size));
        self->onMessage(text ? std::string_view(text, size) : std::string_view());
    }

    static void onWsClosed(SoupWebsocketConnection* conn, gpointer data) noexcept {
        auto* self = static_cast<Impl*>(data);
        self->closed = true;
        self->closeCode = soup_websocket_connection_get_close_code(conn);
        self->closeTimer.reset();
    }

    static void onWsError(SoupWebsocketConnection*, GError* error, gpointer data) noexcept {
        auto* self = static_cast<Impl*>(data);
        self->localErrors.push_back(std::string("websocket: ") + error->message);
    }

    // ---- protocol ------------------------------------------------------------------------

    void onMessage(std::string_view text) {
        GPtr<JsonParser> parser = GPtr<JsonParser>::adopt(json_parser_new());
        ErrorOut err;
        if (!json_parser_load_from_data(parser.get(), text.data(), gssize(text.size()),
                                        err.out())) {
            localErrors.push_back(std::string("bad json from server: ") + err.message());
            return;
        }
        JsonNode* root = json_parser_get_root(parser.get());
        if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
            localErrors.push_back("server message is not an object");
            return;
        }
        JsonObject* o = json_node_get_object(root);
        const std::string type = stringMember(o, "type");
        receivedTypes.push_back(type);
        if (type == "welcome") {
            joined = true;
            ++welcomeCount;
            participantId = stringMember(o, "participantId");
            resumeToken = stringMember(o, "resumeToken");
            resumed = json_object_get_boolean_member_with_default(o, "resumed", FALSE) != FALSE;
            JsonObject* v = objectMember(o, "video");
            video = {int(intMember(v, "width")), int(intMember(v, "height")),
                     int(intMember(v, "framerate"))};
        } else if (type == "roster") {
            ++rosterCount;
            roster.clear();
            if (json_object_has_member(o, "participants")) {
                JsonNode* n = json_object_get_member(o, "participants");
                if (JSON_NODE_HOLDS_ARRAY(n)) {
                    JsonArray* a = json_node_get_array(n);
                    for (guint i = 0; i < json_array_get_length(a); ++i) {
                        JsonNode* e = json_array_get_element(a, i);
                        if (!JSON_NODE_HOLDS_OBJECT(e)) continue;
                        JsonObject* p = json_node_get_object(e);
                        RosterEntry entry{stringMember(p, "id"), stringMember(p, "name")};
                        auto flag = [p](const char* name, bool absent) {
                            return json_object_get_boolean_member_with_default(p, name, absent) !=
                                   FALSE;
                        };
                        entry.mic = flag("mic", true);
                        entry.camera = flag("camera", true);
                        entry.hand = flag("hand", false);
                        entry.host = flag("host", false);
                        entry.inCall = flag("inCall", true);
                        entry.presenting = flag("presenting", false);
                        roster.push_back(std::move(entry));
                    }
                }
            }
            std::vector<std::string> ids;
            for (const auto& e : roster) ids.push_back(e.id);
            rosterIds.push_back(std::move(ids));
            std::lock_guard lock(stats->mutex);
            if (stats->tileCount != int(roster.size())) {
                stats->tileCount = int(roster.size());
                ++stats->tilesGeneration;
                stats->lastStamp.assign(
                    stats->layoutTiles.empty() ? roster.size() : stats->layoutTiles.size(),
                    kNoStamp);
            }
        } else if (type == "offer") {
            ++offerCount;
            offerSdp = stringMember(o, "sdp");
            if (opts.answer) {
                if (offerHandled && answerSent && webrtc)
                    handleReoffer();  // ICE restart: the same PeerConnection answers again
                else
                    handleOffer();
            }
        } else if (type == "ice") {
            ++remoteCandidatesReceived;
            const std::string candidate = stringMember(o, "candidate");
            const auto mline = intMember(o, "sdpMLineIndex", 0);
            // "" is end-of-candidates; all-host loopback ICE does not need it.
            if (webrtc && !candidate.empty())
                g_signal_emit_by_name(webrtc.get(), "add-ice-candidate", guint(mline),
                                      candidate.c_str());
        } else if (type == "layout") {
            auto parsed = protocol::parseServerMessage(text);
            if (parsed && std::holds_alternative<protocol::LayoutInfo>(parsed.value())) {
                lastLayout = std::get<protocol::LayoutInfo>(parsed.value());
                ++layoutCount;
                followLayoutTiles();
            } else {
                localErrors.push_back("bad layout message");
            }
        } else if (type == "send-hint") {
            applySendHint(int(intMember(o, "width")), int(intMember(o, "height")),
                          int(intMember(o, "maxBitrate")));
        } else if (type == "error") {
            errors.push_back({stringMember(o, "code"), stringMember(o, "message")});
        } else if (type == "bye") {
            byeReason = stringMember(o, "reason");
        }
    }

    // ---- media ---------------------------------------------------------------------------

    void buildPipeline() {
        pipeline = ElementPtr::refSink(gst_pipeline_new(("peer-" + opts.name).c_str()));
        webrtc = ElementPtr::refSink(gst_element_factory_make("webrtcbin", "webrtc"));
        if (!webrtc) {
            localErrors.push_back("no webrtcbin");
            return;
        }
        g_object_set(webrtc.get(), "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                     guint(opts.latencyMs), nullptr);
        gst_bin_add(GST_BIN(pipeline.get()), webrtc.get());

        GPtr<GObject> ice;
        g_object_get(webrtc.get(), "ice-agent", ice.out(), nullptr);
        if (ice) {
            if (!opts.iceAddress.empty()) {
                gboolean ok = FALSE;
                g_signal_emit_by_name(ice.get(), "add-local-ip-address", opts.iceAddress.c_str(),
                                      &ok);
                if (!ok) localErrors.push_back("add-local-ip-address failed");
            }
            if (opts.maxRtpPort) g_object_set(ice.get(), "max-rtp-port", opts.maxRtpPort, nullptr);
            if (opts.minRtpPort) g_object_set(ice.get(), "min-rtp-port", opts.minRtpPort, nullptr);
            // No UPnP discovery per peer (a gupnp context each; "Address already in use"
            // warnings with 25 peers in one process), as the server does (WebRtcPeer).
            GPtr<GObject> nice;
            g_object_get(ice.get(), "agent", nice.out(), nullptr);
            if (nice) g_object_set(nice.get(), "upnp", FALSE, nullptr);
        }

        auto connectGuarded = [this](const char* signal, GCallback cb) {
            webrtcHandlers.push_back(
                g_signal_connect_data(webrtc.get(), signal, cb, new GuardBox(makeGuard()),
                                      &Impl::deleteGuardBox, GConnectFlags(0)));
        };
        connectGuarded("on-ice-candidate", G_CALLBACK(&Impl::onIceCandidate));
        connectGuarded("notify::ice-connection-state", G_CALLBACK(&Impl::onIceStateNotify));
        connectGuarded("notify::connection-state", G_CALLBACK(&Impl::onPeerStateNotify));
        webrtcHandlers.push_back(g_signal_connect_data(
            webrtc.get(), "pad-added", G_CALLBACK(onPadAdded), new StatsBox(stats),
            [](gpointer p, GClosure*) noexcept { deleteStatsBox(p); }, GConnectFlags(0)));
        // Send as browsers do, as soon as encoded: webrtcbin's transport send bin holds each
        // packet in a clocksync until its running time plus the pipeline latency.
        webrtcHandlers.push_back(g_signal_connect(
            webrtc.get(), "deep-element-added",
            G_CALLBACK(+[](GstBin*, GstBin*, GstElement* element, gpointer) noexcept {
                GstElementFactory* f = gst_element_get_factory(element);
                if (f && g_strcmp0(GST_OBJECT_NAME(f), "clocksync") == 0)
                    g_object_set(element, "sync", FALSE, nullptr);
            }),
            nullptr));

        GPtr<GstBus> bus = GPtr<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
        busWatch.reset(gst_bus_create_watch(bus.get()));
        g_source_set_callback(busWatch.get(), G_SOURCE_FUNC(&Impl::onBusMessage), this, nullptr);
        g_source_attach(busWatch.get(), ctx.get());

        if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
            localErrors.push_back("pipeline failed to start");
    }

    static gboolean onBusMessage(GstBus*, GstMessage* msg, gpointer data) noexcept {
        auto* self = static_cast<Impl*>(data);
        switch (GST_MESSAGE_TYPE(msg)) {
            case GST_MESSAGE_ERROR: {
                GError* err = nullptr;
                gchar* debug = nullptr;
                gst_message_parse_error(msg, &err, &debug);
                core::ErrorPtr errPtr(err);
                CharsPtr debugPtr(debug);
                self->localErrors.push_back(std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg))) +
                                            ": " + err->message + " (" + (debug ? debug : "") +
                                            ")");
                break;
            }
            case GST_MESSAGE_LATENCY:
                if (self->pipeline) gst_bin_recalculate_latency(GST_BIN(self->pipeline.get()));
                break;
            default:
                break;
        }
        return G_SOURCE_CONTINUE;
    }

    void stopPipeline() {
        if (!pipeline) return;
        // Order (WebKit's): signal handlers, bus watch, NULL state, references.
        if (webrtc) {
            for (gulong id : webrtcHandlers) g_signal_handler_disconnect(webrtc.get(), id);
        }
        webrtcHandlers.clear();
        busWatch.reset();
        const gint64 t0 = g_get_monotonic_time();
        gst_element_set_state(pipeline.get(), GST_STATE_NULL);
        if (const gint64 took = g_get_monotonic_time() - t0; took > 2 * G_USEC_PER_SEC)
            g_warning("peer %s: stopping its pipeline took %.1f s", opts.name.c_str(), took / 1e6);
        valves.clear();
        encoders.clear();
        webrtc.reset();
        pipeline.reset();
        blockProbes = false;  // gone with the pipeline
    }

    /// Where readStamps looks: the tiles of lastLayout unless it is the grid (then the grid of
    /// the roster's size, as before layout messages existed).
    void followLayoutTiles() {
        std::vector<PixelRect> tiles;
        if (lastLayout.layout != "grid")
            for (const auto& t : lastLayout.tiles) tiles.push_back({t.x, t.y, t.width, t.height});
        std::lock_guard lock(stats->mutex);
        const bool same = tiles.size() == stats->layoutTiles.size() &&
                          std::equal(tiles.begin(), tiles.end(), stats->layoutTiles.begin(),
                                     [](const PixelRect& a, const PixelRect& b) {
                                         return a.x == b.x && a.y == b.y && a.width == b.width &&
                                                a.height == b.height;
                                     }) &&
                          stats->layoutWidth == lastLayout.width &&
                          stats->layoutHeight == lastLayout.height;
        if (same) return;
        stats->layoutTiles = std::move(tiles);
        stats->layoutWidth = lastLayout.width;
        stats->layoutHeight = lastLayout.height;
        ++stats->tilesGeneration;
        stats->lastStamp.assign(
            stats->layoutTiles.empty() ? std::size_t(stats->tileCount) : stats->layoutTiles.size(),
            kNoStamp);
    }

    /// Adds a send branch for m-line kind `kind` to a new webrtcbin sink pad whose transceiver
    /// prefers exactly the offered payload type.
    /// `dtx`: the offer asked for Opus DTX (usedtx=1); a silent tone then sends one packet per
    /// 400 ms, as a browser does.
    /// `levelExtId`: the offer's extmap id for RFC 6464 audio levels (0: none).
    bool addSendBranch(bool isVideo, int pt, GstCaps* prefs, bool dtx, int levelExtId = 0,
                       bool screen = false) {
        char desc[1024];
        if (screen) {
            // A screen share: a still test pattern at its own size, sendonly (m-line 2).
            std::snprintf(desc, sizeof desc,
                          "videotestsrc name=src is-live=true pattern=%d ! "
                          "video/x-raw,width=%d,height=%d,framerate=%d/1 ! videoconvert ! "
                          "%s name=enc target-bitrate=%d ! "
                          "valve name=gate drop=true ! "
                          "rtpvp8pay pt=%d mtu=1200 picture-id-mode=15-bit",
                          opts.screenPattern, opts.screenWidth, opts.screenHeight, opts.fps,
                          kPeerVp8Encoder, opts.videoBitrate, pt);
        } else if (isVideo) {
            // Stamped frames are I420 from the source on, so the probe on the source's pad
            // draws into the planes the encoder reads.
            std::snprintf(desc, sizeof desc,
                          "videotestsrc name=src is-live=true pattern=%d horizontal-speed=%d ! "
                          "video/x-raw,%swidth=%d,height=%d,framerate=%d/1 ! videoconvert ! "
                          "videoscale ! capsfilter name=sendsize ! "
                          "%s name=enc target-bitrate=%d ! "
                          "valve name=gate drop=true ! "
                          "rtpvp8pay pt=%d mtu=1200 picture-id-mode=15-bit",
                          opts.pattern, opts.horizontalSpeed,
                          opts.stampFrames ? "format=I420," : "", opts.width, opts.height, opts.fps,
                          kPeerVp8Encoder, opts.videoBitrate, pt);
        } else {
            std::snprintf(desc, sizeof desc,
                          "audiotestsrc name=tone is-live=true wave=sine freq=%.3f volume=%.3f ! "
                          "audioconvert ! audioresample ! opusenc name=enc dtx=%d ! "
                          "valve name=gate drop=true ! rtpopuspay name=pay pt=%d dtx=%d "
                          "auto-header-extension=false",
                          opts.toneHz, opts.toneVolume, int(dtx), pt, int(dtx));
        }
        ErrorOut err;
        ElementPtr bin = ElementPtr::refSink(gst_parse_bin_from_description_full(
            desc, TRUE, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, err.out()));
        if (!bin) {
            localErrors.push_back(std::string("send branch: ") + err.message());
            return false;
        }
        PadPtr sinkPad = PadPtr::adopt(gst_element_request_pad_simple(webrtc.get(), "sink_%u"));
        GPtr<GstWebRTCRTPTransceiver> trans;
        g_object_get(sinkPad.get(), "transceiver", trans.out(), nullptr);
        if (!trans) {
            localErrors.push_back("sink pad without transceiver");
            return false;
        }
        g_object_set(trans.get(), "codec-preferences", prefs, "direction",
                     screen ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY
                            : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV,
                     nullptr);

        gst_bin_add(GST_BIN(pipeline.get()), bin.get());
        PadPtr src = PadPtr::adopt(gst_element_get_static_pad(bin.get(), "src"));
        if (gst_pad_link(src.get(), sinkPad.get()) != GST_PAD_LINK_OK) {
            localErrors.push_back("cannot link send branch");
            return false;
        }
        if (isVideo && opts.stampFrames) {
            ElementPtr source = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(bin.get()), "src"));
            addStampProbe(source.get());
        }
        gst_element_sync_state_with_parent(bin.get());
        encoders.push_back(ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(bin.get()), "enc")));
        if (screen) {
            // Not the camera: send hints do not apply.
        } else if (isVideo) {
            videoEncoder = encoders.back();
            sendSize = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(bin.get()), "sendsize"));
            if (lastHint[0] > 0 || lastRembBps > 0) applySendLimits();
        } else {
            toneSource = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(bin.get()), "tone"));
            ElementPtr pay = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(bin.get()), "pay"));
            PadPtr out = PadPtr::adopt(gst_element_get_static_pad(pay.get(), "src"));
            stats->audioLevel = sineLevel(opts.toneVolume);
            stats->audioLevelExtId = levelExtId;
            gst_pad_add_probe(out.get(), GST_PAD_PROBE_TYPE_BUFFER, onAudioSent,
                              new StatsBox(stats), deleteStatsBox);
        }
        valves.push_back(ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(bin.get()), "gate")));
        return true;
    }

    void addRecvOnlyTransceiver(GstCaps* prefs) {
        GstWebRTCRTPTransceiver* trans = nullptr;
        g_signal_emit_by_name(webrtc.get(), "add-transceiver",
                              GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, prefs, &trans);
        GPtr<GstWebRTCRTPTransceiver>::adopt(trans);  // returned transfer full
    }

    void handleOffer() {
        if (offerHandled || !webrtc) return;
        offerHandled = true;
        GstSDPMessage* raw = nullptr;
        if (gst_sdp_message_new_from_text(offerSdp.c_str(), &raw) != GST_SDP_OK || !raw) {
            localErrors.push_back("cannot parse offer");
            return;
        }
        SdpPtr sdp(raw);
        // One transceiver per m-line, created in m-line order: webrtcbin 1.22 pairs
        // unassociated transceivers with the offer's m-lines in creation order.
        for (guint i = 0; i < gst_sdp_message_medias_len(sdp.get()); ++i) {
            const GstSDPMedia* media = gst_sdp_message_get_media(sdp.get(), i);
            const std::string kind = gst_sdp_media_get_media(media);
            const bool isVideo = kind == "video";
            if (!isVideo && kind != "audio") continue;
            const char* encoding = isVideo ? "VP8" : "OPUS";
            const int pt = findPayloadType(media, encoding);
            if (pt < 0) {
                // Keep the transceiver order aligned with the m-lines: receive whatever is
                // offered there (it ends in a fakesink) and send nothing.
                localErrors.push_back("offer m-line " + std::to_string(i) + " has no " + encoding);
                addRecvOnlyTransceiver(nullptr);
                continue;
            }
            CapsPtr prefs(gst_caps_new_simple(
                "application/x-rtp", "media", G_TYPE_STRING, kind.c_str(), "encoding-name",
                G_TYPE_STRING, encoding, "clock-rate", G_TYPE_INT, isVideo ? 90000 : 48000,
                "payload", G_TYPE_INT, pt, nullptr));
            // m-line 2: the screen share (the server receives only).
            if (isVideo && i >= 2) {
                if (opts.screenPattern >= 0)
                    addSendBranch(true, pt, prefs.get(), false, 0, true);
                else
                    addRecvOnlyTransceiver(prefs.get());
                continue;
            }
            const bool send = isVideo ? opts.sendVideo : opts.sendAudio;
            // Audio levels as a browser writes them, if offered (the answer lists the extmap).
            const int levelExt =
                isVideo || !opts.writeAudioLevels ? 0 : extmapId(media, kAudioLevelUri);
            if (levelExt > 0)
                gst_caps_set_simple(prefs.get(), ("extmap-" + std::to_string(levelExt)).c_str(),
                                    G_TYPE_STRING, kAudioLevelUri, nullptr);
            if (send) {
                addSendBranch(isVideo, pt, prefs.get(),
                              !isVideo && opts.useDtx && fmtpFlag(media, pt, "usedtx"), levelExt);
            } else {
                addRecvOnlyTransceiver(prefs.get());
            }
        }

        DescriptionPtr offer(
            gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp.release()));
        GstPromise* setRemote = gst_promise_new_with_change_func(
            &Impl::onRemoteDescriptionSet, new GuardBox(makeGuard()), &Impl::deleteGuardBoxPlain);
        g_signal_emit_by_name(webrtc.get(), "set-remote-description", offer.get(), setRemote);
        core::PromisePtr ownPromise(setRemote);
    }

    /// A new offer for the PeerConnection that answered the first (an ICE restart): the same
    /// transceivers answer it, as a browser's setRemoteDescription/createAnswer does.
    void handleReoffer() {
        GstSDPMessage* raw = nullptr;
        if (gst_sdp_message_new_from_text(offerSdp.c_str(), &raw) != GST_SDP_OK || !raw) {
            localErrors.push_back("cannot parse offer");
            return;
        }
        DescriptionPtr offer(gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, raw));
        GstPromise* setRemote = gst_promise_new_with_change_func(
            &Impl::onRemoteDescriptionSet, new GuardBox(makeGuard()), &Impl::deleteGuardBoxPlain);
        g_signal_emit_by_name(webrtc.get(), "set-remote-description", offer.get(), setRemote);
        core::PromisePtr ownPromise(setRemote);
    }

    /// Drops (or lets through again) every packet between the ICE transport and webrtcbin,
    /// both ways: media, RTCP and DTLS stop, ICE's own checks (inside libnice) go on.
    void blockMedia(bool on) {
        mediaBlocked->store(on);
        if (blockProbes || !webrtc) return;
        blockProbes = true;
        GstIterator* it = gst_bin_iterate_recurse(GST_BIN(webrtc.get()));
        GValue item = G_VALUE_INIT;
        while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
            auto* element = GST_ELEMENT(g_value_get_object(&item));
            GstElementFactory* f = gst_element_get_factory(element);
            const char* name = f ? GST_OBJECT_NAME(f) : "";
            const bool src = std::strcmp(name, "nicesrc") == 0;
            if (src || std::strcmp(name, "nicesink") == 0) {
                PadPtr pad =
                    PadPtr::adopt(gst_element_get_static_pad(element, src ? "src" : "sink"));
                if (pad)
                    gst_pad_add_probe(
                        pad.get(),
                        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                     GST_PAD_PROBE_TYPE_BUFFER_LIST),
                        [](GstPad*, GstPadProbeInfo*, gpointer flag) noexcept {
                            return static_cast<std::shared_ptr<std::atomic<bool>>*>(flag)
                                           ->get()
                                           ->load()
                                       ? GST_PAD_PROBE_DROP
                                       : GST_PAD_PROBE_OK;
                        },
                        new std::shared_ptr<std::atomic<bool>>(mediaBlocked),
                        [](gpointer flag) noexcept {
                            delete static_cast<std::shared_ptr<std::atomic<bool>>*>(flag);
                        });
            }
            g_value_reset(&item);
        }
        g_value_unset(&item);
        gst_iterator_free(it);
    }

    /// webrtcbin thread.
    static void onRemoteDescriptionSet(GstPromise* promise, gpointer data) noexcept {
        const Guard& guard = **static_cast<GuardBox*>(data);
        std::string error = promiseError(promise);
        guard.post([error](Impl& self) {
            if (!error.empty()) {
                self.localErrors.push_back("set-remote-description: " + error);
                return;
            }
            if (!self.webrtc) return;
            self.speedUpRtcp();  // the RTP session exists now: report from the first interval
            GstPromise* p = gst_promise_new_with_change_func(
                &Impl::onAnswerCreated, new GuardBox(self.makeGuard()), &Impl::deleteGuardBoxPlain);
            g_signal_emit_by_name(self.webrtc.get(), "create-answer", nullptr, p);
            core::PromisePtr own(p);
        });
    }

    /// Called from a promise's change func, where the promise is already replied or
    /// interrupted, so gst_promise_wait() returns at once (it never blocks webrtcbin's thread).
    static std::string promiseError(GstPromise* promise) {
        if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) return "interrupted";
        const GstStructure* reply = gst_promise_get_reply(promise);
        if (reply && gst_structure_has_field(reply, "error")) {
            GError* err = nullptr;
            gst_structure_get(reply, "error", G_TYPE_ERROR, &err, nullptr);
            core::ErrorPtr own(err);
            return err ? err->message : "error";
        }
        return {};
    }

    /// webrtcbin thread.
    static void onAnswerCreated(GstPromise* promise, gpointer data) noexcept {
        const Guard& guard = **static_cast<GuardBox*>(data);
        std::string error = promiseError(promise);
        std::string text;
        if (error.empty()) {
            GstWebRTCSessionDescription* answer = nullptr;
            const GstStructure* reply = gst_promise_get_reply(promise);
            if (reply)
                gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer,
                                  nullptr);
            DescriptionPtr own(answer);
            if (answer) {
                CharsPtr sdp(gst_sdp_message_as_text(answer->sdp));
                text = sdp.get();
            } else {
                error = "no answer in reply";
            }
        }
        guard.post([error, text](Impl& self) {
            if (!error.empty()) {
                self.localErrors.push_back("create-answer: " + error);
                return;
            }
            self.applyAnswer(text);
        });
    }

    void applyAnswer(const std::string& text) {
        if (!webrtc) return;
        GstSDPMessage* raw = nullptr;
        if (gst_sdp_message_new_from_text(text.c_str(), &raw) != GST_SDP_OK || !raw) {
            localErrors.push_back("cannot parse own answer");
            return;
        }
        DescriptionPtr answer(gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, raw));
        GstPromise* p = gst_promise_new_with_change_func(
            [](GstPromise* promise, gpointer data) noexcept {
                const Guard& guard = **static_cast<GuardBox*>(data);
                std::string error = promiseError(promise);
                if (!error.empty())
                    guard.post([error](Impl& self) {
                        self.localErrors.push_back("set-local-description: " + error);
                    });
            },
            new GuardBox(makeGuard()), &Impl::deleteGuardBoxPlain);
        g_signal_emit_by_name(webrtc.get(), "set-local-description", answer.get(), p);
        core::PromisePtr own(p);

        answerSdp = text;
        sendText(message("answer", [&text](JsonBuilder* b) {
            json_builder_set_member_name(b, "sdp");
            json_builder_add_string_value(b, text.c_str());
        }));
        answerSent = true;
        auto queued = std::exchange(pendingCandidates, {});
        for (auto& [mline, candidate] : queued) sendCandidate(mline, candidate);
    }

    void sendCandidate(unsigned mline, const std::string& candidate) {
        if (!answerSent) {
            pendingCandidates.emplace_back(mline, candidate);
            return;
        }
        ++localCandidatesSent;
        sendText(message("ice", [&](JsonBuilder* b) {
            json_builder_set_member_name(b, "candidate");
            json_builder_add_string_value(b, candidate.c_str());
            json_builder_set_member_name(b, "sdpMLineIndex");
            json_builder_add_int_value(b, mline);
        }));
    }

    /// webrtcbin thread.
    static void onIceCandidate(GstElement*, guint mline, gchar* candidate, gpointer data) noexcept {
        const Guard& guard = **static_cast<GuardBox*>(data);
        guard.post([mline, c = std::string(candidate ? candidate : "")](Impl& self) {
            self.sendCandidate(mline, c);
        });
    }

    /// webrtcbin thread.
    static void onIceStateNotify(GstElement* webrtc, GParamSpec*, gpointer data) noexcept {
        const Guard& guard = **static_cast<GuardBox*>(data);
        GstWebRTCICEConnectionState state{};
        g_object_get(webrtc, "ice-connection-state", &state, nullptr);
        const std::int64_t now = g_get_monotonic_time();
        guard.post([state, now](Impl& self) {
            self.iceState = state;
            if (state == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
                state == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED) {
                if (self.iceConnectedUs == 0) self.iceConnectedUs = now;
                self.speedUpRtcp();
                self.openGates();
            }
        });
    }

    /// webrtcbin thread.
    static void onPeerStateNotify(GstElement* webrtc, GParamSpec*, gpointer data) noexcept {
        const Guard& guard = **static_cast<GuardBox*>(data);
        GstWebRTCPeerConnectionState state{};
        g_object_get(webrtc, "connection-state", &state, nullptr);
        const std::int64_t now = g_get_monotonic_time();
        guard.post([state, now](Impl& self) {
            self.pcState = state;
            if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && self.securedUs == 0)
                self.securedUs = now;
            // DTLS is up now: frames sent between ICE and DTLS connecting were lost, so start
            // the picture again with a keyframe.
            if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) self.openGates();
        });
    }

    /// Receiver reports every ~0.5 s instead of RFC 3550's 5 s minimum, as browsers do for
    /// video (Chrome reports about once a second), so the server's tier controller gets timely
    /// feedback from synthetic viewers too.
    void speedUpRtcp() {
        if (!webrtc) return;
        ElementPtr rtpbin = ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(webrtc.get()), "rtpbin"));
        if (!rtpbin) return;
        GObject* raw = nullptr;
        g_signal_emit_by_name(rtpbin.get(), "get-internal-session", 0u, &raw);
        core::GPtr<GObject> session = core::GPtr<GObject>::adopt(raw);
        if (!session || rtcpTuned) return;
        rtcpTuned = true;
        g_object_set(session.get(), "rtcp-min-interval", guint64{500 * GST_MSECOND}, nullptr);
        g_signal_connect_data(
            session.get(), "on-sending-rtcp",
            G_CALLBACK(+[](GObject*, GstBuffer*, gboolean, gpointer data) noexcept -> gboolean {
                (*static_cast<StatsBox*>(data))->rtcpSent.fetch_add(1, std::memory_order_relaxed);
                return FALSE;
            }),
            new StatsBox(stats), [](gpointer d, GClosure*) { delete static_cast<StatsBox*>(d); },
            GConnectFlags{});
        // REMBs from the server (media/Remb.h), obeyed (on the main context) with obeyRemb.
        struct RembWatch {
            StatsBox stats;
            GuardBox guard;
        };
        g_signal_connect_data(
            session.get(), "on-receiving-rtcp",
            G_CALLBACK(+[](GObject*, GstBuffer* buffer, gpointer data) noexcept {
                auto& watch = *static_cast<RembWatch*>(data);
                ReceiveStats& st = *watch.stats;
                GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
                if (!gst_rtcp_buffer_map(buffer, GST_MAP_READ, &rtcp)) return;
                GstRTCPPacket packet;
                for (gboolean more = gst_rtcp_buffer_get_first_packet(&rtcp, &packet); more;
                     more = gst_rtcp_packet_move_to_next(&packet)) {
                    if (auto remb = media::parseRemb(packet)) {
                        const std::uint64_t before =
                            st.lastRembBps.exchange(remb->bitrateBps, std::memory_order_relaxed);
                        st.rembsReceived.fetch_add(1, std::memory_order_relaxed);
                        if (before != remb->bitrateBps)
                            watch.guard->post(
                                [bps = remb->bitrateBps](Impl& peer) { peer.applyRemb(bps); });
                    }
                }
                gst_rtcp_buffer_unmap(&rtcp);
            }),
            new RembWatch{stats, makeGuard()},
            [](gpointer d, GClosure*) { delete static_cast<RembWatch*>(d); }, GConnectFlags{});
    }

    /// Scales the sent video to fit `width` x `height` (never up; aspect ratio kept) and caps
    /// its bitrate, as web/js/room.js applySendHint() does with scaleResolutionDownBy.
    void applySendHint(int width, int height, int maxBitrate) {
        if (width <= 0 || height <= 0) return;
        lastHint = {width, height, maxBitrate};
        applySendLimits();
    }

    /// A REMB of `bps` (audio and video together) from the server.
    void applyRemb(std::uint64_t bps) {
        lastRembBps = bps;
        applySendLimits();
    }

    /// Sends the smaller of what the send-hint (if followed) and the REMB (if obeyed) allow.
    void applySendLimits() {
        if (!sendSize) return;  // applied when the send branch is built (the hint comes first)
        const bool hinted = opts.followSendHints && lastHint[0] > 0 && lastHint[1] > 0;
        const bool capped = opts.obeyRemb && lastRembBps > 0;
        if (!hinted && !capped) return;  // the sender's own size and bitrate
        double scale = 1.0;
        int bitrate = opts.videoBitrate;
        if (hinted) {
            scale = std::max(
                {scale, double(opts.width) / lastHint[0], double(opts.height) / lastHint[1]});
            if (lastHint[2] > 0) bitrate = std::min(bitrate, lastHint[2]);
        }
        if (capped) {
            // As a browser: audio's share first, the video encoder gets the rest.
            constexpr std::uint64_t kAudioBps = 50000, kMinVideoBps = 30000;
            const int video = int(std::max(kMinVideoBps, lastRembBps > kAudioBps + kMinVideoBps
                                                             ? lastRembBps - kAudioBps
                                                             : kMinVideoBps));
            bitrate = std::min(bitrate, video);
            scale = std::max(scale, double(opts.height) / peerHeightForBitrate(video, opts.height));
        }
        int w = std::max(2, int(opts.width / scale) & ~1);
        int h = std::max(2, int(opts.height / scale) & ~1);
        CapsPtr caps(gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, w, "height",
                                         G_TYPE_INT, h, nullptr));
        g_object_set(sendSize.get(), "caps", caps.get(), nullptr);
        if (videoEncoder) g_object_set(videoEncoder.get(), "target-bitrate", bitrate, nullptr);
    }

    /// Lets media flow (once connected, unless stopped) and asks the encoders for a keyframe.
    void openGates() {
        if (sendingStopped) return;
        for (auto& v : valves) g_object_set(v.get(), "drop", FALSE, nullptr);
        requestKeyframes();
    }

    /// An upstream force-key-unit event into webrtcbin's video src pad: RTCP PLI/FIR.
    bool requestCompositeKeyframe() {
        if (!webrtc) return false;
        bool sent = false;
        GstIterator* it = gst_element_iterate_src_pads(webrtc.get());
        GValue item = G_VALUE_INIT;
        while (!sent && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
            auto* pad = GST_PAD(g_value_get_object(&item));
            CapsPtr caps(gst_pad_get_current_caps(pad));
            const GstStructure* st = caps && !gst_caps_is_empty(caps.get())
                                         ? gst_caps_get_structure(caps.get(), 0)
                                         : nullptr;
            if (st && g_strcmp0(gst_structure_get_string(st, "media"), "video") == 0)
                sent = gst_pad_send_event(
                    pad, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
            g_value_reset(&item);
        }
        g_value_unset(&item);
        gst_iterator_free(it);
        return sent;
    }

    void requestKeyframes() {
        for (auto& e : encoders)
            gst_element_send_event(
                e.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
    }
};

// ---- SyntheticPeer -------------------------------------------------------------------------

SyntheticPeer::SyntheticPeer(PeerOptions options)
    : impl_(std::make_shared<Impl>(std::move(options))) {}

SyntheticPeer::~SyntheticPeer() {
    impl_->shutdown();
}

void SyntheticPeer::start() {
    impl_->start();
}

void SyntheticPeer::leave() {
    Impl& d = *impl_;
    d.sendText(message("leave"));
    d.stopPipeline();
    if (d.ws && !d.closeTimer) {
        // The server answers bye and closes; close ourselves if it does not within 2 s.
        d.closeTimer.reset(g_timeout_source_new(2000));
        g_source_set_callback(
            d.closeTimer.get(),
            [](gpointer p) noexcept -> gboolean {
                auto* self = static_cast<Impl*>(p);
                if (self->ws && soup_websocket_connection_get_state(self->ws.get()) ==
                                    SOUP_WEBSOCKET_STATE_OPEN)
                    soup_websocket_connection_close(self->ws.get(), SOUP_WEBSOCKET_CLOSE_NORMAL,
                                                    nullptr);
                return G_SOURCE_REMOVE;
            },
            &d, nullptr);
        g_source_attach(d.closeTimer.get(), d.ctx.get());
    }
}

std::array<int, 3> SyntheticPeer::lastSendHint() const {
    return impl_->lastHint;
}

bool SyntheticPeer::requestKeyframe() {
    return impl_->requestCompositeKeyframe();
}

void SyntheticPeer::sendRaw(std::string text) {
    impl_->sendText(text);
}

void SyntheticPeer::closeAbruptly() {
    impl_->closeTimer.reset();
    impl_->dropSocket(false);
    impl_->stopPipeline();
}

void SyntheticPeer::reconnect(ReconnectMode mode) {
    Impl& d = *impl_;
    d.closeTimer.reset();
    if (mode != ReconnectMode::KeepOldSocket) d.dropSocket(false);
    if (mode == ReconnectMode::KeepOldSocket && d.ws) {
        // Leave the old socket open, unwatched: the server still thinks it is alive.
        d.disconnectSocketHandlers();
        d.staleSockets.push_back(std::move(d.ws));
        d.staleSessions.push_back(std::move(d.session));
    }
    d.stopPipeline();
    d.resumeWith = mode == ReconnectMode::Fresh ? std::string() : d.resumeToken;
    // A new connection and a new media session.
    d.session.reset();
    d.ws.reset();
    d.opened = d.closed = d.joined = false;
    d.closeCode = 0;
    d.byeReason.clear();
    d.offerHandled = false;
    d.answerSent = false;
    d.answerSdp.clear();
    d.offerSdp.clear();
    d.pendingCandidates.clear();
    d.iceState = GST_WEBRTC_ICE_CONNECTION_STATE_NEW;
    d.pcState = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
    d.iceConnectedUs = 0;
    d.securedUs = 0;
    d.rtcpTuned = false;
    g_main_context_push_thread_default(d.ctx.get());
    {
        NetnsScope media(d.opts.netnsFd);
        d.buildPipeline();
    }
    d.connectSocket();
    g_main_context_pop_thread_default(d.ctx.get());
}

const std::string& SyntheticPeer::resumeToken() const {
    return impl_->resumeToken;
}
bool SyntheticPeer::resumed() const {
    return impl_->resumed;
}
int SyntheticPeer::welcomeCount() const {
    return impl_->welcomeCount;
}
const std::vector<std::vector<std::string>>& SyntheticPeer::rosterHistory() const {
    return impl_->rosterIds;
}

void SyntheticPeer::stopSendingMedia() {
    impl_->sendingStopped = true;
    for (auto& v : impl_->valves) g_object_set(v.get(), "drop", TRUE, nullptr);
}

void SyntheticPeer::setToneVolume(double volume) {
    if (impl_->toneSource) g_object_set(impl_->toneSource.get(), "volume", volume, nullptr);
    impl_->stats->audioLevel = sineLevel(volume);
}

std::uint64_t SyntheticPeer::audioPacketsSent() const {
    return impl_->stats->audioPacketsSent.load(std::memory_order_relaxed);
}

void SyntheticPeer::resumeSendingMedia() {
    impl_->sendingStopped = false;
    if (connected()) impl_->openGates();
}

void SyntheticPeer::dropMedia() {
    impl_->stopPipeline();
}

void SyntheticPeer::blockMedia(bool blocked) {
    impl_->blockMedia(blocked);
}

void SyntheticPeer::requestIceRestart() {
    impl_->sendText(message("ice-restart"));
}

int SyntheticPeer::offerCount() const {
    return impl_->offerCount;
}

void SyntheticPeer::leaveCall() {
    impl_->sendText(message("leave-call"));
    impl_->stopPipeline();
    impl_->iceState = GST_WEBRTC_ICE_CONNECTION_STATE_CLOSED;
    impl_->pcState = GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED;
}

void SyntheticPeer::rejoinCall() {
    Impl& d = *impl_;
    d.stopPipeline();
    // A new media session: a new webrtcbin answers the new offer.
    d.offerHandled = false;
    d.answerSent = false;
    d.answerSdp.clear();
    d.pendingCandidates.clear();
    d.iceState = GST_WEBRTC_ICE_CONNECTION_STATE_NEW;
    d.pcState = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
    d.iceConnectedUs = 0;
    d.securedUs = 0;
    d.rtcpTuned = false;
    g_main_context_push_thread_default(d.ctx.get());
    {
        NetnsScope media(d.opts.netnsFd);
        d.buildPipeline();
    }
    g_main_context_pop_thread_default(d.ctx.get());
    d.sendText(message("rejoin-call"));
}

const PeerOptions& SyntheticPeer::options() const {
    return impl_->opts;
}
bool SyntheticPeer::socketOpen() const {
    return impl_->opened && !impl_->closed;
}
bool SyntheticPeer::socketClosed() const {
    return impl_->closed;
}
int SyntheticPeer::closeCode() const {
    return impl_->closeCode;
}
bool SyntheticPeer::joined() const {
    return impl_->joined;
}
const std::string& SyntheticPeer::participantId() const {
    return impl_->participantId;
}
VideoFormat SyntheticPeer::announcedVideo() const {
    return impl_->video;
}
const std::vector<RosterEntry>& SyntheticPeer::roster() const {
    return impl_->roster;
}
int SyntheticPeer::rosterCount() const {
    return impl_->rosterCount;
}
const std::vector<ProtocolError>& SyntheticPeer::errors() const {
    return impl_->errors;
}
bool SyntheticPeer::hasError(const std::string& code) const {
    return std::any_of(impl_->errors.begin(), impl_->errors.end(),
                       [&](const ProtocolError& e) { return e.code == code; });
}
const std::string& SyntheticPeer::byeReason() const {
    return impl_->byeReason;
}
const protocol::LayoutInfo& SyntheticPeer::lastLayout() const {
    return impl_->lastLayout;
}

int SyntheticPeer::layoutCount() const {
    return impl_->layoutCount;
}

const std::vector<std::string>& SyntheticPeer::receivedTypes() const {
    return impl_->receivedTypes;
}
const std::string& SyntheticPeer::offerSdp() const {
    return impl_->offerSdp;
}
const std::string& SyntheticPeer::answerSdp() const {
    return impl_->answerSdp;
}
bool SyntheticPeer::answerSent() const {
    return impl_->answerSent;
}
int SyntheticPeer::localCandidatesSent() const {
    return impl_->localCandidatesSent;
}
int SyntheticPeer::remoteCandidatesReceived() const {
    return impl_->remoteCandidatesReceived;
}
const std::vector<std::string>& SyntheticPeer::localErrors() const {
    return impl_->localErrors;
}

std::string SyntheticPeer::iceConnectionState() const {
    return iceStateName(impl_->iceState);
}
std::string SyntheticPeer::connectionState() const {
    return peerStateName(impl_->pcState);
}
bool SyntheticPeer::connected() const {
    return impl_->iceState == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
           impl_->iceState == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED;
}

std::uint64_t SyntheticPeer::videoFramesDecoded() const {
    std::lock_guard lock(impl_->stats->mutex);
    return impl_->stats->videoFrames;
}

std::uint64_t SyntheticPeer::rembsReceived() const {
    return impl_->stats->rembsReceived.load(std::memory_order_relaxed);
}

std::uint64_t SyntheticPeer::lastRembBps() const {
    return impl_->stats->lastRembBps.load(std::memory_order_relaxed);
}

std::uint64_t SyntheticPeer::rtcpSent() const {
    return impl_->stats->rtcpSent.load(std::memory_order_relaxed);
}

std::array<int, 2> SyntheticPeer::lastVideoSize() const {
    std::lock_guard lock(impl_->stats->mutex);
    return {impl_->stats->width, impl_->stats->height};
}

Frame SyntheticPeer::lastFrameRGB() const {
    Frame f;
    std::vector<std::uint8_t> rgbx;
    {
        std::lock_guard lock(impl_->stats->mutex);
        f.width = impl_->stats->width;
        f.height = impl_->stats->height;
        f.receivedAtUs = impl_->stats->rgbxAtUs;
        f.index = impl_->stats->rgbxIndex;
        rgbx = impl_->stats->rgbx;
    }
    const std::size_t pixels = rgbx.size() / 4;
    f.rgb.resize(pixels * 3);
    for (std::size_t i = 0; i < pixels; ++i) {
        f.rgb[i * 3] = rgbx[i * 4];
        f.rgb[i * 3 + 1] = rgbx[i * 4 + 1];
        f.rgb[i * 3 + 2] = rgbx[i * 4 + 2];
    }
    return f;
}

RtpContinuity SyntheticPeer::audioRtpContinuity() const {
    std::lock_guard lock(impl_->stats->mutex);
    return impl_->stats->audioRtp;
}

std::uint64_t SyntheticPeer::audioSamplesReceived() const {
    std::lock_guard lock(impl_->stats->mutex);
    return impl_->stats->audioSamples;
}

double SyntheticPeer::toneLevel(double hz, int windowMs) const {
    const std::size_t n =
        std::min<std::size_t>(kAudioRing, std::size_t(std::max(windowMs, 1)) * kAudioRate / 1000);
    std::vector<float> window(n);
    {
        const ReceiveStats& s = *impl_->stats;
        std::lock_guard lock(s.mutex);
        if (s.audioSamples < n) return 0.0;
        // The newest n samples, oldest first.
        const std::size_t start = (s.ringPos + kAudioRing - n) % kAudioRing;
        for (std::size_t i = 0; i < n; ++i) window[i] = s.ring[(start + i) % kAudioRing];
    }
    return goertzelAmplitude(std::span<const float>(window), kAudioRate, hz);
}

std::vector<double> SyntheticPeer::latencySamplesMs() const {
    std::lock_guard lock(impl_->stats->mutex);
    return impl_->stats->latencyMs;
}

void SyntheticPeer::clearLatencySamples() {
    std::lock_guard lock(impl_->stats->mutex);
    impl_->stats->latencyMs.clear();
    impl_->stats->freezes = 0;
    impl_->stats->longestGapUs = 0;
    // A gap that began before now counts from now on.
    if (impl_->stats->lastFrameUs > 0) impl_->stats->lastFrameUs = g_get_monotonic_time();
}

FrameGaps SyntheticPeer::frameGaps() const {
    const std::int64_t nowUs = g_get_monotonic_time();
    std::lock_guard lock(impl_->stats->mutex);
    const ReceiveStats& s = *impl_->stats;
    FrameGaps g{s.freezes, double(s.longestGapUs) / 1000};
    // A freeze still going on at the end counts too.
    if (s.lastFrameUs > 0) {
        const std::int64_t open = nowUs - s.lastFrameUs;
        if (open > kFreezeGapUs) ++g.freezes;
        g.longestMs = std::max(g.longestMs, double(open) / 1000);
    }
    return g;
}

std::uint64_t SyntheticPeer::stampsRead() const {
    std::lock_guard lock(impl_->stats->mutex);
    return impl_->stats->stampsRead;
}

std::uint64_t SyntheticPeer::stampMisses() const {
    std::lock_guard lock(impl_->stats->mutex);
    return impl_->stats->stampMisses;
}

int SyntheticPeer::tilesWithStamp() const {
    std::lock_guard lock(impl_->stats->mutex);
    return int(std::count_if(impl_->stats->lastStamp.begin(), impl_->stats->lastStamp.end(),
                             [](std::uint32_t s) { return s != kNoStamp; }));
}

std::uint64_t SyntheticPeer::videoBytesReceived() const {
    return impl_->stats->videoBytes.load();
}

std::uint64_t SyntheticPeer::audioBytesReceived() const {
    return impl_->stats->audioBytes.load();
}

std::int64_t SyntheticPeer::iceConnectedAtUs() const {
    return impl_->iceConnectedUs;
}

std::int64_t SyntheticPeer::securedAtUs() const {
    return impl_->securedUs;
}

std::int64_t SyntheticPeer::firstFrameAtUs() const {
    std::lock_guard lock(impl_->stats->mutex);
    return impl_->stats->firstFrameUs;
}

}  // namespace mixmeet::testing
