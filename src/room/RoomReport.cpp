#include "room/RoomReport.h"

#include <algorithm>

#include "media/FlowFirewall.h"
#include "media/MediaMetrics.h"
#include "media/Teardown.h"
#include "room/Room.h"

namespace mixmeet::room {

namespace {

constexpr std::size_t kMaxText = 4096;
constexpr long long kMaxCount = 1LL << 52;

// Every integer figure of RoomReport, once: writing and reading both use this list.
#define MIXMEET_REPORT_INTS(X)                                                                  \
    X(participants)                                                                             \
    X(composites)                                                                               \
    X(vp8Encoders) X(keyframes) X(lateDropped) X(keyframeRequests) X(rembsSent) X(opusEncoders) \
        X(opusEncoderElements) X(speakers) X(mixedInputs) X(elements) X(h264Encoders)           \
            X(liveTargets) X(liveVideoFrames) X(recordingMs)

// Every figure of MediaReport but the histogram's buckets.
#define MIXMEET_MEDIA_FIGURES(X)                                                                 \
    X(receivedBytes)                                                                             \
    X(sentBytes)                                                                                 \
    X(tierRestarts) X(absorbedFlushing) X(absorbedEos) X(absorbedNotNegotiated) X(absorbedError) \
        X(joinToFirstFrameSumS) X(joinToFirstFrameCount) X(teardownsPending)

double number(JsonObject* o, const char* name) {
    if (!o || !json_object_has_member(o, name)) return 0;
    JsonNode* n = json_object_get_member(o, name);
    return JSON_NODE_HOLDS_VALUE(n) ? json_node_get_double(n) : 0;
}

}  // namespace

RoomReport reportOf(const Room& r) {
    RoomReport out;
    out.name = r.name();
    out.participants = static_cast<long long>(r.participantCount());
    const auto& mixer = r.videoMixer();
    out.composites = static_cast<long long>(mixer.compositeCount());
    out.vp8Encoders = static_cast<long long>(mixer.activeEncoders());
    out.keyframes = static_cast<long long>(mixer.keyframes());
    out.lateDropped = static_cast<long long>(mixer.lateDropped());
    out.keyframeRequests = static_cast<long long>(r.keyframeRequests());
    out.rembsSent = static_cast<long long>(r.rembsSent());
    out.opusEncoders = static_cast<long long>(r.audioMixer().activeEncodes());
    out.opusEncoderElements = static_cast<long long>(r.elementCount("opusenc"));
    out.speakers = static_cast<long long>(r.audioMixer().speakers().size());
    out.mixedInputs = static_cast<long long>(r.audioMixer().mixedInputs());
    out.activeSpeaker = r.activeSpeaker();
    out.elements = static_cast<long long>(r.elementCount());
    // The recording counts as a viewer of the high tier: its encoder runs for it when nobody
    // watches that tier (vp8Encoders includes it).
    out.recording = r.recording() != nullptr;
    // The one H.264/AAC encode of the live stream (RTMP targets and HLS share it).
    out.h264Encoders = static_cast<long long>(r.elementCount("x264enc"));
    const auto* encoder = r.live() ? r.live()->encoder() : nullptr;
    out.liveTargets = encoder ? static_cast<long long>(encoder->targetCount()) : 0;
    out.liveVideoFrames = encoder ? static_cast<long long>(encoder->videoFrames()) : 0;
    out.recordingMs = r.recording() ? static_cast<long long>(r.recording()->durationMs()) : 0;
    out.recordingLayout =
        r.recording() ? std::string(media::layoutName(r.recording()->layout())) : std::string();
    const auto& tiers = mixer.tiers();
    for (const auto& t : tiers) out.tierNames.push_back(t.name);
    for (const auto& p : r.roster().participants) {
        RoomReport::Member m;
        m.id = p.id;
        m.name = p.name;
        m.host = p.host;
        m.inCall = p.inCall;
        const int tier = r.tierOf(p.id);
        m.tier = tier >= 0 && static_cast<std::size_t>(tier) < tiers.size()
                     ? tiers[static_cast<std::size_t>(tier)].name
                     : std::string("none");
        std::tie(m.loss, m.rttMs) = r.lastFeedback(p.id);
        out.members.push_back(std::move(m));
    }
    return out;
}

void writeReport(core::JsonWriter& w, const RoomReport& r) {
    w.beginObject(nullptr).str("name", r.name);
#define X(f) w.num(#f, r.f);
    MIXMEET_REPORT_INTS(X)
#undef X
    w.str("activeSpeaker", r.activeSpeaker)
        .boolean("recording", r.recording)
        .str("recordingLayout", r.recordingLayout);
    w.beginArray("tierNames");
    for (const auto& t : r.tierNames) w.value(t);
    w.endArray();
    w.beginArray("members");
    for (const auto& m : r.members) {
        w.beginObject(nullptr)
            .str("id", m.id)
            .str("name", m.name)
            .boolean("host", m.host)
            .boolean("inCall", m.inCall)
            .str("tier", m.tier);
        // Fractions as integers per million (JsonWriter writes integers): exact enough.
        w.num("lossPpm", static_cast<long long>(m.loss * 1e6))
            .num("rttUs", static_cast<long long>(m.rttMs * 1e3))
            .endObject();
    }
    w.endArray().endObject();
}

core::Result<RoomReport> readReport(JsonObject* o) {
    core::JsonReader r(o);
    RoomReport out;
    out.name = r.string("name", kMaxText);
#define X(f) out.f = r.integer(#f, 0, kMaxCount);
    MIXMEET_REPORT_INTS(X)
#undef X
    out.activeSpeaker = r.string("activeSpeaker", kMaxText);
    out.recording = r.optBoolean("recording").value_or(false);
    out.recordingLayout = r.string("recordingLayout", kMaxText);
    if (JsonArray* names = r.array("tierNames"))
        for (guint i = 0; i < json_array_get_length(names); ++i)
            out.tierNames.emplace_back(json_array_get_string_element(names, i));
    if (JsonArray* members = r.array("members")) {
        for (guint i = 0; i < json_array_get_length(members); ++i) {
            core::JsonReader m(json_array_get_object_element(members, i));
            RoomReport::Member member;
            member.id = m.string("id", kMaxText);
            member.name = m.string("name", kMaxText);
            member.host = m.optBoolean("host").value_or(false);
            member.inCall = m.optBoolean("inCall").value_or(false);
            member.tier = m.string("tier", kMaxText);
            member.loss = static_cast<double>(m.integer("lossPpm", -kMaxCount, kMaxCount)) / 1e6;
            member.rttMs = static_cast<double>(m.integer("rttUs", -kMaxCount, kMaxCount)) / 1e3;
            if (!m.ok()) return core::makeError("bad-message", "report member: " + m.error());
            out.members.push_back(std::move(member));
        }
    }
    if (!r.ok()) return core::makeError("bad-message", "report: " + r.error());
    return out;
}

void MediaReport::add(const MediaReport& o) {
#define X(f) f += o.f;
    MIXMEET_MEDIA_FIGURES(X)
#undef X
    if (joinToFirstFrameBuckets.size() < o.joinToFirstFrameBuckets.size())
        joinToFirstFrameBuckets.resize(o.joinToFirstFrameBuckets.size(), 0);
    for (std::size_t i = 0; i < o.joinToFirstFrameBuckets.size(); ++i)
        joinToFirstFrameBuckets[i] += o.joinToFirstFrameBuckets[i];
}

MediaReport processMediaReport() {
    MediaReport r;
    const media::MediaMetrics& m = media::mediaMetrics();
    r.receivedBytes = static_cast<double>(m.receivedBytes.load(std::memory_order_relaxed));
    r.sentBytes = static_cast<double>(m.sentBytes.load(std::memory_order_relaxed));
    r.tierRestarts = static_cast<double>(m.tierRestarts.load(std::memory_order_relaxed));
    const media::AbsorbedFlows a = media::absorbedFlows();
    r.absorbedFlushing = static_cast<double>(a.flushing);
    r.absorbedEos = static_cast<double>(a.eos);
    r.absorbedNotNegotiated = static_cast<double>(a.notNegotiated);
    r.absorbedError = static_cast<double>(a.error);
    const auto h = m.joinToFirstFrame.snapshot();
    for (auto c : h.cumulative) r.joinToFirstFrameBuckets.push_back(static_cast<double>(c));
    r.joinToFirstFrameSumS = h.sumS;
    r.joinToFirstFrameCount = static_cast<double>(h.count);
    r.teardownsPending = static_cast<double>(media::Teardown::pending());
    return r;
}

// The figures of MediaReport that cross as whole numbers (bytes and counts).
#define MIXMEET_MEDIA_COUNTS(X)                                                                  \
    X(receivedBytes)                                                                             \
    X(sentBytes)                                                                                 \
    X(tierRestarts) X(absorbedFlushing) X(absorbedEos) X(absorbedNotNegotiated) X(absorbedError) \
        X(joinToFirstFrameCount) X(teardownsPending)

void writeMediaReport(core::JsonWriter& w, const char* key, const MediaReport& r) {
    // JsonWriter writes integers: bytes and counts are whole; the histogram's sum crosses in
    // microseconds.
    w.beginObject(key);
#define X(f) w.num(#f, static_cast<long long>(r.f));
    MIXMEET_MEDIA_COUNTS(X)
#undef X
    w.num("joinToFirstFrameSumUs", static_cast<long long>(r.joinToFirstFrameSumS * 1e6));
    w.beginArray("joinToFirstFrameBuckets");
    for (double b : r.joinToFirstFrameBuckets)
        json_builder_add_int_value(w.raw(), static_cast<gint64>(b));
    w.endArray();
    w.endObject();
}

MediaReport readMediaReport(JsonObject* o) {
    MediaReport r;
#define X(f) r.f = number(o, #f);
    MIXMEET_MEDIA_COUNTS(X)
#undef X
    r.joinToFirstFrameSumS = number(o, "joinToFirstFrameSumUs") / 1e6;
    if (o && json_object_has_member(o, "joinToFirstFrameBuckets")) {
        JsonArray* a = json_object_get_array_member(o, "joinToFirstFrameBuckets");
        for (guint i = 0; a && i < json_array_get_length(a); ++i)
            r.joinToFirstFrameBuckets.push_back(json_node_get_double(json_array_get_element(a, i)));
    }
    return r;
}

}  // namespace mixmeet::room
