#include "worker/Wire.h"

#include <cstdlib>

#include "worker/Channel.h"

namespace mixmeet::worker {

namespace {

// Every integer setting of MediaConfig, once: writing and reading both use this list.
#define MIXMEET_MEDIA_INTS(X)                                                               \
    X(width)                                                                                \
    X(height)                                                                               \
    X(framerate)                                                                            \
    X(videoBitrate)                                                                         \
    X(mediumBitrate)                                                                        \
    X(lowBitrate)                                                                           \
    X(lowFramerate) X(audioBitrate) X(audioMaxMixed) X(jitterBufferMs) X(mixerLatencyMs)    \
        X(keyframeMinIntervalMs) X(maxFrameDelayMs) X(maxParticipants) X(maxTiles)          \
            X(disconnectTimeoutMs) X(connectTimeoutMs) X(iceRestartTimeoutMs) X(iceMinPort) \
                X(iceMaxPort)
#define MIXMEET_STREAMING_INTS(X) \
    X(videoBitrateKbps)           \
    X(audioBitrateKbps) X(segmentS) X(playlistLength) X(retryMinMs) X(retryMaxMs) X(maxTargets)

void writeList(core::JsonWriter& w, const char* key, const std::vector<std::string>& list) {
    w.beginArray(key);
    for (const auto& v : list) w.value(v);
    w.endArray();
}

std::vector<std::string> readList(core::JsonReader& r, const char* key) {
    std::vector<std::string> out;
    JsonArray* a = r.array(key);
    if (!a) return out;
    for (guint i = 0; i < json_array_get_length(a); ++i) {
        JsonNode* n = json_array_get_element(a, i);
        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
            out.emplace_back(json_node_get_string(n));
        else
            r.fail(std::string(key) + " holds a non-string");
    }
    return out;
}

/// An absolute form of `path`, against the server's working directory (a worker runs in its
/// own); empty stays empty.
std::string absolute(const std::string& path) {
    if (path.empty()) return path;
    g_autofree char* full = g_canonicalize_filename(path.c_str(), nullptr);
    return full;
}

constexpr long long kMaxSetting = 1LL << 40;

}  // namespace

std::string configureMessage(const media::MediaConfig& m, const std::string& pipelinesDir) {
    core::JsonWriter w;
    w.str("t", "configure").num("protocol", kProtocolVersion);
    w.str("pipelines", absolute(pipelinesDir));
    w.beginObject("media");
#define X(f) w.num(#f, m.f);
    MIXMEET_MEDIA_INTS(X)
#undef X
    writeList(w, "iceAddresses", m.iceAddresses);
    writeList(w, "stunServers", m.stunServers);
    writeList(w, "turnServers", m.turnServers);
    w.beginObject("streaming");
#define X(f) w.num(#f, m.streaming.f);
    MIXMEET_STREAMING_INTS(X)
#undef X
    w.str("directory", absolute(m.streaming.directory));
    w.endObject();
    w.endObject();
    return w.finish();
}

core::Result<media::MediaConfig> readMediaConfig(JsonObject* configure) {
    core::JsonReader top(configure);
    media::MediaConfig m;
    JsonObject* media = top.object("media");
    core::JsonReader r(media);
#define X(f) m.f = static_cast<int>(r.integer(#f, -kMaxSetting, kMaxSetting));
    MIXMEET_MEDIA_INTS(X)
#undef X
    m.iceAddresses = readList(r, "iceAddresses");
    m.stunServers = readList(r, "stunServers");
    m.turnServers = readList(r, "turnServers");
    core::JsonReader s(r.object("streaming"));
#define X(f) m.streaming.f = static_cast<int>(s.integer(#f, -kMaxSetting, kMaxSetting));
    MIXMEET_STREAMING_INTS(X)
#undef X
    m.streaming.directory = s.string("directory", 4096);
    for (const auto* reader : {&top, &r, &s})
        if (!reader->ok()) return core::makeError("bad-message", "configure: " + reader->error());
    return m;
}

std::string errorReply(long long seq, const core::Error& error) {
    return core::JsonWriter()
        .str("t", "reply")
        .num("n", seq)
        .boolean("ok", false)
        .str("code", error.code)
        .str("message", error.message)
        .finish();
}

std::optional<core::Error> replyError(JsonObject* reply) {
    if (json_object_get_boolean_member_with_default(reply, "ok", FALSE)) return std::nullopt;
    return core::makeError(json_object_get_string_member_with_default(reply, "code", "internal"),
                           json_object_get_string_member_with_default(reply, "message", ""));
}

std::optional<int64_t> optionalId(JsonObject* o, const char* name) {
    if (!json_object_has_member(o, name)) return std::nullopt;
    JsonNode* n = json_object_get_member(o, name);
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return std::nullopt;
    return json_node_get_int(n);
}

}  // namespace mixmeet::worker
