#include "app/Config.h"

#include <glib.h>

#include <memory>

#include "core/GstPtr.h"
#include "mixmeet-config.h"

namespace mixmeet::app {

using core::makeError;

namespace {
struct KeyFileDeleter {
    void operator()(GKeyFile* k) const { g_key_file_unref(k); }
};
using KeyFilePtr = std::unique_ptr<GKeyFile, KeyFileDeleter>;

/// Reads typed keys, keeping defaults for absent ones and recording the first bad value.
class Reader {
public:
    Reader(GKeyFile* kf, std::string origin) : kf_(kf), origin_(std::move(origin)) {}

    void str(const char* group, const char* key, std::string& out) {
        if (!g_key_file_has_key(kf_, group, key, nullptr)) return;
        g_autofree gchar* v = g_key_file_get_string(kf_, group, key, nullptr);
        if (v && *v) out = v;
    }
    void integer(const char* group, const char* key, int& out, int min, int max) {
        if (!g_key_file_has_key(kf_, group, key, nullptr)) return;
        core::ErrorOut err;
        gint v = g_key_file_get_integer(kf_, group, key, err.out());
        if (err) {
            fail(group, key, "must be an integer");
            return;
        }
        if (v < min || v > max) {
            fail(group, key,
                 "must be between " + std::to_string(min) + " and " + std::to_string(max));
            return;
        }
        out = v;
    }
    void boolean(const char* group, const char* key, bool& out) {
        if (!g_key_file_has_key(kf_, group, key, nullptr)) return;
        core::ErrorOut err;
        gboolean v = g_key_file_get_boolean(kf_, group, key, err.out());
        if (err) {
            fail(group, key, "must be true or false");
            return;
        }
        out = v != FALSE;
    }
    void size(const char* group, const char* key, std::size_t& out, int min, int max) {
        int v = static_cast<int>(out);
        integer(group, key, v, min, max);
        out = static_cast<std::size_t>(v);
    }
    void list(const char* group, const char* key, std::vector<std::string>& out) {
        if (!g_key_file_has_key(kf_, group, key, nullptr)) return;
        gsize n = 0;
        g_auto(GStrv) items = g_key_file_get_string_list(kf_, group, key, &n, nullptr);
        out.clear();
        for (gsize i = 0; i < n; ++i) {
            std::string item = g_strstrip(items[i]);
            if (!item.empty()) out.push_back(item);
        }
    }
    void fail(const char* group, const char* key, const std::string& why) {
        if (error_.empty()) error_ = origin_ + ": [" + group + "] " + key + " " + why;
    }
    const std::string& error() const { return error_; }

private:
    GKeyFile* kf_;
    std::string origin_;
    std::string error_;
};
}  // namespace

namespace {
/// [signaling] and [server] liveness_mark_ms (docs/security.md, "Signaling").
void readSignalingLimits(Reader& r, Config& c) {
    signaling::Limits& l = c.signaling;
    r.integer("signaling", "message_rate", l.messageRate, 1, 100000);
    r.integer("signaling", "message_burst", l.messageBurst, 1, 100000);
    r.integer("signaling", "chat_per_minute", l.chatPerMinute, 1, 100000);
    r.integer("signaling", "chat_burst", l.chatBurst, 1, 100000);
    r.integer("signaling", "history_per_minute", l.historyPerMinute, 1, 100000);
    r.integer("signaling", "history_burst", l.historyBurst, 1, 100000);
    r.integer("signaling", "max_candidates", l.maxCandidates, 1, 1000);
    r.integer("server", "liveness_mark_ms", c.livenessMarkMs, 100, 3600000);
}
}  // namespace

Config defaultConfig() {
    Config c;
    c.webDir = std::string(MIXMEET_SOURCE_DIR) + "/web";
    c.pipelinesDir = std::string(MIXMEET_SOURCE_DIR) + "/pipelines";
    return c;
}

core::Result<Config> parseConfig(const std::string& text, const std::string& origin) {
    KeyFilePtr kf(g_key_file_new());
    g_key_file_set_list_separator(kf.get(), ',');
    core::ErrorOut err;
    if (!g_key_file_load_from_data(kf.get(), text.data(), text.size(), G_KEY_FILE_NONE, err.out()))
        return makeError("config", origin + ": " + err.message());
    Config c = defaultConfig();
    media::MediaConfig& m = c.media;
    Reader r(kf.get(), origin);
    r.str("server", "address", c.address);
    r.integer("server", "port", c.port, 0, 65535);
    r.str("server", "web_dir", c.webDir);
    r.str("server", "pipelines_dir", c.pipelinesDir);
    r.str("server", "data_dir", c.dataDir);
    r.str("server", "public_url", c.publicUrl);
    r.list("server", "trusted_proxies", c.trustedProxies);
    r.boolean("auth", "open_rooms", c.openRooms);
    r.str("auth", "password_hash", c.passwordHash);
    r.integer("auth", "hash_threads", c.hashThreads, 1, 64);
    r.integer("auth", "hash_queue", c.hashQueue, 1, 10000);
    r.integer("auth", "registrations_per_hour", c.registrationsPerHour, 1, 1000000);
    r.integer("auth", "login_account_failures", c.loginAccountFailures, 1, 1000);
    r.integer("auth", "login_address_failures", c.loginAddressFailures, 1, 100000);
    r.integer("auth", "meetings_per_hour", c.meetingsPerHour, 1, 1000000);
    r.integer("auth", "pending_calls", c.pendingCalls, 1, 1000);
    r.str("mail", "url", c.mail.url);
    r.str("mail", "from", c.mail.from);
    r.str("mail", "username", c.mail.username);
    r.str("mail", "password", c.mail.password);
    r.integer("room", "max_participants", m.maxParticipants, 1, 100);
    r.integer("limits", "max_rooms", c.roomLimits.maxRooms, 1, 10000);
    r.integer("limits", "malloc_arenas", c.mallocArenas, 0, 1024);
    r.integer("video", "width", m.width, 64, 3840);
    r.integer("video", "height", m.height, 64, 2160);
    r.integer("video", "framerate", m.framerate, 1, 60);
    r.integer("video", "bitrate", m.videoBitrate, 50000, 20000000);
    r.integer("video", "max_tiles", m.maxTiles, 1, 100);
    r.integer("tiers", "medium_bitrate", m.mediumBitrate, 30000, 20000000);
    r.integer("tiers", "low_bitrate", m.lowBitrate, 30000, 20000000);
    r.integer("tiers", "low_framerate", m.lowFramerate, 1, 60);
    r.integer("video", "keyframe_min_interval_ms", m.keyframeMinIntervalMs, 0, 10000);
    r.integer("video", "max_frame_delay_ms", m.maxFrameDelayMs, 0, 10000);
    r.integer("audio", "bitrate", m.audioBitrate, 6000, 510000);
    r.integer("audio", "max_mixed", m.audioMaxMixed, 1, 100);
    r.integer("webrtc", "jitter_buffer_ms", m.jitterBufferMs, 0, 2000);
    r.integer("webrtc", "mixer_latency_ms", m.mixerLatencyMs, 0, 2000);
    r.integer("webrtc", "disconnect_timeout_ms", m.disconnectTimeoutMs, 100, 60000);
    r.integer("webrtc", "connect_timeout_ms", m.connectTimeoutMs, 500, 300000);
    readSignalingLimits(r, c);
    r.list("ice", "addresses", m.iceAddresses);
    r.integer("ice", "min_port", m.iceMinPort, 0, 65535);
    r.integer("ice", "max_port", m.iceMaxPort, 0, 65535);
    r.list("ice", "stun_servers", m.stunServers);
    r.list("ice", "turn_servers", m.turnServers);
    http::Limits& l = c.limits;
    r.integer("limits", "max_connections", l.maxConnections, 0, 1000000);
    r.integer("limits", "max_connections_per_address", l.maxConnectionsPerAddress, 0, 1000000);
    r.integer("limits", "request_timeout_s", l.requestTimeoutS, 1, 3600);
    r.integer("limits", "idle_timeout_s", l.idleTimeoutS, 1, 3600);
    r.integer("limits", "ping_interval_s", l.pingIntervalS, 1, 3600);
    r.size("limits", "max_body_bytes", l.maxBodyBytes, 1024, 64 * 1024 * 1024);
    r.size("limits", "max_message_bytes", l.maxMessageBytes, 64 * 1024, 64 * 1024 * 1024);
    r.size("limits", "max_send_queue_bytes", l.maxSendQueueBytes, 64 * 1024, 1024 * 1024 * 1024);
    r.str("recording", "directory", c.recording.directory);
    r.integer("recording", "max_duration_s", c.recording.maxDurationS, 10, 7 * 24 * 3600);
    r.integer("recording", "min_free_mb", c.recording.minFreeMb, 0, 10000000);
    r.integer("recording", "retention_days", c.recording.retentionDays, 0, 36500);
    if (!r.error().empty()) return makeError("config", r.error());
    if (l.pingIntervalS >= l.idleTimeoutS)
        return makeError("config", origin +
                                       ": [limits] ping_interval_s must be below idle_timeout_s "
                                       "(a live client answers pings within the idle timeout)");
    if (c.passwordHash != "interactive" && c.passwordHash != "minimum")
        return makeError("config", origin + ": [auth] password_hash is interactive or minimum");
    for (const auto& p : c.trustedProxies)
        if (!g_hostname_is_ip_address(p.c_str()))
            return makeError("config", origin +
                                           ": [server] trusted_proxies entries are IP "
                                           "addresses, not " +
                                           p);
    if (!c.mail.url.empty() && c.mail.from.empty())
        return makeError("config", origin + ": [mail] from is required with [mail] url");
    if (m.width % 2 || m.height % 2)
        return makeError("config", origin + ": [video] width and height must be even");
    for (const auto& s : m.stunServers)
        if (s.rfind("stun:", 0) != 0)
            return makeError("config", origin + ": [ice] stun_servers entries start with stun:");
    for (const auto& t : m.turnServers)
        if (t.rfind("turn://", 0) != 0 && t.rfind("turns://", 0) != 0)
            return makeError(
                "config", origin + ": [ice] turn_servers entries are turn://user:pass@host:port");
    return c;
}

core::Result<Config> loadConfig(const std::string& path) {
    g_autofree gchar* text = nullptr;
    gsize len = 0;
    core::ErrorOut err;
    if (!g_file_get_contents(path.c_str(), &text, &len, err.out()))
        return makeError("config", "cannot read config: " + std::string(err.message()));
    return parseConfig(std::string(text, len), path);
}

}  // namespace mixmeet::app
