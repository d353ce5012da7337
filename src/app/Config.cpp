#include "app/Config.h"
#include "app/Paths.h"

#include <glib.h>

#include <memory>
#include <optional>
#include <set>

#include "core/GstPtr.h"
#include "mixmeet-config.h"

namespace mixmeet::app {

using core::makeError;

namespace {
struct KeyFileDeleter {
    void operator()(GKeyFile* k) const { g_key_file_unref(k); }
};
using KeyFilePtr = std::unique_ptr<GKeyFile, KeyFileDeleter>;

/// Reads typed keys, keeping defaults for absent ones. Records every problem (bad values,
/// and at the end groups and keys nobody asked for) and the value in effect of every key.
class Reader {
public:
    Reader(GKeyFile* kf, std::string origin, Config& c)
        : kf_(kf), origin_(std::move(origin)), c_(c) {}

    void str(const char* group, const char* key, std::string& out) {
        if (present(group, key)) {
            g_autofree gchar* v = g_key_file_get_string(kf_, group, key, nullptr);
            if (v && *v) out = v;
        }
        note(group, key, out);
    }
    void integer(const char* group, const char* key, int& out, int min, int max) {
        if (present(group, key)) {
            core::ErrorOut err;
            gint v = g_key_file_get_integer(kf_, group, key, err.out());
            if (err)
                fail(group, key, "must be an integer, got \"" + raw(group, key) + "\"");
            else if (v < min || v > max)
                fail(group, key,
                     "must be " + std::to_string(min) + ".." + std::to_string(max) + ", got " +
                         std::to_string(v));
            else
                out = v;
        }
        note(group, key, std::to_string(out));
    }
    void boolean(const char* group, const char* key, bool& out) {
        if (present(group, key)) {
            core::ErrorOut err;
            gboolean v = g_key_file_get_boolean(kf_, group, key, err.out());
            if (err)
                fail(group, key, "must be true or false, got \"" + raw(group, key) + "\"");
            else
                out = v != FALSE;
        }
        note(group, key, out ? "true" : "false");
    }
    void size(const char* group, const char* key, std::size_t& out, int min, int max) {
        int v = static_cast<int>(out);
        integer(group, key, v, min, max);
        out = static_cast<std::size_t>(v);
    }
    void list(const char* group, const char* key, std::vector<std::string>& out) {
        if (present(group, key)) {
            gsize n = 0;
            g_auto(GStrv) items = g_key_file_get_string_list(kf_, group, key, &n, nullptr);
            out.clear();
            for (gsize i = 0; i < n; ++i) {
                std::string item = g_strstrip(items[i]);
                if (!item.empty()) out.push_back(item);
            }
        }
        std::string joined;
        for (const auto& item : out) joined += (joined.empty() ? "" : ",") + item;
        note(group, key, joined);
    }
    /// A problem with a key: "ORIGIN: [group] key: why".
    void fail(const char* group, const char* key, const std::string& why) {
        problems_.push_back(origin_ + ": [" + group + "] " + key + ": " + why);
    }
    /// Groups and keys in the file that no read asked for (typos): one problem each.
    void reportUnknown() {
        gsize ngroups = 0;
        g_auto(GStrv) groups = g_key_file_get_groups(kf_, &ngroups);
        for (gsize g = 0; g < ngroups; ++g) {
            std::string group = groups[g];
            if (!knownGroups_.count(group)) {
                problems_.push_back(origin_ + ": [" + group + "]: unknown group");
                continue;
            }
            gsize nkeys = 0;
            g_auto(GStrv) keys = g_key_file_get_keys(kf_, groups[g], &nkeys, nullptr);
            for (gsize k = 0; k < nkeys; ++k)
                if (!c_.values.count("[" + group + "] " + keys[k]))
                    problems_.push_back(origin_ + ": [" + group + "] " + keys[k] + ": unknown key");
        }
    }
    std::vector<std::string>& problems() { return problems_; }

private:
    bool present(const char* group, const char* key) {
        return g_key_file_has_key(kf_, group, key, nullptr);
    }
    std::string raw(const char* group, const char* key) {
        g_autofree gchar* v = g_key_file_get_value(kf_, group, key, nullptr);
        return v ? v : "";
    }
    void note(const char* group, const char* key, const std::string& value) {
        knownGroups_.insert(group);
        c_.values["[" + std::string(group) + "] " + key] = value;
    }

    GKeyFile* kf_;
    std::string origin_;
    Config& c_;
    std::set<std::string> knownGroups_;
    std::vector<std::string> problems_;
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
    c.webDir = installPaths().webDir;
    c.pipelinesDir = installPaths().pipelinesDir;
    // One media worker per core (docs/workers.md): a room's pipeline runs on one worker.
    c.workers = static_cast<int>(g_get_num_processors());
    return c;
}

namespace {
/// Checks that involve several keys or a value's form; adds to the reader's problems.
void checkValues(Reader& r, const Config& c) {
    const media::MediaConfig& m = c.media;
    if (c.limits.pingIntervalS >= c.limits.idleTimeoutS)
        r.fail("limits", "ping_interval_s",
               "must be below idle_timeout_s (" + std::to_string(c.limits.idleTimeoutS) +
                   "): a live client answers pings within the idle timeout, got " +
                   std::to_string(c.limits.pingIntervalS));
    if (c.passwordHash != "interactive" && c.passwordHash != "minimum")
        r.fail("auth", "password_hash", "must be interactive or minimum, got " + c.passwordHash);
    for (const auto& p : c.trustedProxies)
        if (!g_hostname_is_ip_address(p.c_str()))
            r.fail("server", "trusted_proxies", "entries must be IP addresses, got " + p);
    if (c.tlsCertificate.empty() != c.tlsPrivateKey.empty())
        r.fail("server", c.tlsCertificate.empty() ? "tls_certificate" : "tls_private_key",
               "tls_certificate and tls_private_key go together: set both or neither");
    if (!c.mail.url.empty() && c.mail.from.empty())
        r.fail("mail", "from", "required when [mail] url is set");
    if (m.streaming.retryMaxMs < m.streaming.retryMinMs)
        r.fail("streaming", "retry_max_ms",
               "must be at least retry_min_ms (" + std::to_string(m.streaming.retryMinMs) +
                   "), got " + std::to_string(m.streaming.retryMaxMs));
    if (m.width % 2) r.fail("video", "width", "must be even, got " + std::to_string(m.width));
    if (m.height % 2) r.fail("video", "height", "must be even, got " + std::to_string(m.height));
    if (m.iceMinPort && m.iceMaxPort && m.iceMinPort > m.iceMaxPort)
        r.fail("ice", "max_port",
               "must be at least min_port (" + std::to_string(m.iceMinPort) + "), got " +
                   std::to_string(m.iceMaxPort));
    for (const auto& a : m.iceAddresses)
        if (!g_hostname_is_ip_address(a.c_str()))
            r.fail("ice", "addresses", "entries must be IP addresses, got " + a);
    for (const auto& s : m.stunServers)
        if (s.rfind("stun:", 0) != 0)
            r.fail("ice", "stun_servers", "entries must start with stun:, got " + s);
    for (const auto& t : m.turnServers)
        if (t.rfind("turn://", 0) != 0 && t.rfind("turns://", 0) != 0)
            r.fail("ice", "turn_servers", "entries must be turn://user:pass@host:port");
}

std::string joinLines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
    return out;
}

/// Parses `text` over the defaults into `c`; every problem goes to `problems`.
Config parse(const std::string& text, const std::string& origin,
             std::vector<std::string>& problems) {
    Config c = defaultConfig();
    KeyFilePtr kf(g_key_file_new());
    g_key_file_set_list_separator(kf.get(), ',');
    core::ErrorOut err;
    if (!g_key_file_load_from_data(kf.get(), text.data(), text.size(), G_KEY_FILE_NONE,
                                   err.out())) {
        problems.push_back(origin + ": " + err.message());
        return c;
    }
    media::MediaConfig& m = c.media;
    Reader r(kf.get(), origin, c);
    r.str("server", "address", c.address);
    r.integer("server", "port", c.port, 0, 65535);
    r.str("server", "web_dir", c.webDir);
    r.str("server", "pipelines_dir", c.pipelinesDir);
    r.str("server", "data_dir", c.dataDir);
    r.str("server", "public_url", c.publicUrl);
    r.list("server", "trusted_proxies", c.trustedProxies);
    r.str("server", "tls_certificate", c.tlsCertificate);
    r.str("server", "tls_private_key", c.tlsPrivateKey);
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
    r.integer("room", "reconnect_grace_ms", c.reconnectGraceMs, 0, 300000);
    r.integer("limits", "max_rooms", c.roomLimits.maxRooms, 1, 10000);
    r.integer("limits", "malloc_arenas", c.mallocArenas, 0, 1024);
    r.integer("workers", "count", c.workers, 0, 256);
    r.integer("workers", "call_timeout_ms", c.workerCallTimeoutMs, 100, 600000);
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
    r.integer("webrtc", "ice_restart_timeout_ms", m.iceRestartTimeoutMs, 0, 60000);
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
    r.str("recording", "container", c.recording.container);
    if (c.recording.container != "webm" && c.recording.container != "mp4")
        r.fail("recording", "container",
               "must be webm or mp4, got \"" + c.recording.container + "\"");
    media::StreamingConfig& st = m.streaming;
    r.integer("streaming", "video_bitrate_kbps", st.videoBitrateKbps, 100, 50000);
    r.integer("streaming", "audio_bitrate_kbps", st.audioBitrateKbps, 32, 512);
    r.integer("streaming", "segment_s", st.segmentS, 1, 30);
    r.integer("streaming", "playlist_length", st.playlistLength, 3, 100);
    r.integer("streaming", "retry_min_ms", st.retryMinMs, 100, 600000);
    r.integer("streaming", "retry_max_ms", st.retryMaxMs, 100, 3600000);
    r.integer("streaming", "max_targets", st.maxTargets, 0, 16);
    r.str("streaming", "directory", st.directory);
    r.str("metrics", "token", c.metricsToken);
    checkValues(r, c);
    r.reportUnknown();
    problems = std::move(r.problems());
    return c;
}

std::optional<std::string> readFile(const std::string& path, std::string& text) {
    g_autofree gchar* contents = nullptr;
    gsize len = 0;
    core::ErrorOut err;
    if (!g_file_get_contents(path.c_str(), &contents, &len, err.out()))
        return "cannot read config: " + std::string(err.message());
    text.assign(contents, len);
    return std::nullopt;
}
}  // namespace

core::Result<Config> parseConfig(const std::string& text, const std::string& origin) {
    std::vector<std::string> problems;
    Config c = parse(text, origin, problems);
    if (!problems.empty()) return makeError("config", joinLines(problems));
    return c;
}

core::Result<Config> loadConfig(const std::string& path) {
    std::string text;
    if (auto failed = readFile(path, text)) return makeError("config", *failed);
    return parseConfig(text, path);
}

std::vector<std::string> checkConfig(const std::string& path) {
    std::string text;
    if (auto failed = readFile(path, text)) return {*failed};
    std::vector<std::string> problems;
    parse(text, path, problems);
    return problems;
}

bool liveKey(const std::string& key) {
    // Read per use or per new connection by the Server (Server::reload applies them); every
    // other value is copied into long-lived objects at start.
    static const std::set<std::string> live = {
        "[server] liveness_mark_ms",      "[auth] open_rooms",
        "[limits] max_connections",       "[limits] max_connections_per_address",
        "[limits] request_timeout_s",     "[limits] idle_timeout_s",
        "[limits] ping_interval_s",       "[limits] max_body_bytes",
        "[limits] max_message_bytes",     "[limits] max_send_queue_bytes",
        "[signaling] message_rate",       "[signaling] message_burst",
        "[signaling] chat_per_minute",    "[signaling] chat_burst",
        "[signaling] history_per_minute", "[signaling] history_burst",
        "[signaling] max_candidates",     "[metrics] token",
        "[server] tls_certificate",       "[server] tls_private_key",
    };
    return live.count(key) > 0;
}

ConfigChanges diffConfig(const Config& running, const Config& fresh) {
    ConfigChanges changes;
    for (const auto& [key, value] : fresh.values) {
        auto was = running.values.find(key);
        if (was != running.values.end() && was->second == value) continue;
        (liveKey(key) ? changes.live : changes.restart).push_back(key);
    }
    return changes;
}

}  // namespace mixmeet::app
