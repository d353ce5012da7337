// Server configuration: a GKeyFile INI (config/mixmeet.ini documents every key).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/Result.h"
#include "http/Limits.h"
#include "mail/Mailer.h"
#include "media/MediaConfig.h"
#include "room/Capacity.h"
#include "signaling/Limits.h"

namespace mixmeet::app {

/// [recording] (docs/recording.md).
struct RecordingConfig {
    /// [recording] directory; empty: <data_dir>/recordings.
    std::string directory;
    int maxDurationS = 4 * 3600;  ///< [recording] max_duration_s: stopped past this, s.
    int minFreeMb = 500;          ///< [recording] min_free_mb: refused/stopped below this free.
    int retentionDays = 0;        ///< [recording] retention_days: deleted after; 0 keeps all.
    /// [recording] container: "webm" (VP8/Opus from the composite's own encode, no extra
    /// encode) or "mp4" (H.264/AAC, fragmented, from the live encode shared with RTMP/HLS).
    /// Audio-only recordings are WebM whatever this says.
    std::string container = "webm";
};

struct Config {
    std::string address = "127.0.0.1";  ///< [server] address
    int port = 8080;                    ///< [server] port; 0 picks a free one.
    std::string webDir;                 ///< [server] web_dir
    std::string pipelinesDir;           ///< [server] pipelines_dir
    std::string dataDir = "data";       ///< [server] data_dir
    /// [server] public_url: the public origin (mailed links, Origin checks, Secure cookies when
    /// https); empty = http://address:port.
    std::string publicUrl;
    /// [server] tls_certificate, tls_private_key: PEM files; both set: the server speaks HTTPS
    /// and WSS itself (docs/deployment.md, "TLS"). Both empty: plain HTTP.
    std::string tlsCertificate;
    std::string tlsPrivateKey;
    /// [server] trusted_proxies: IP literals whose X-Forwarded-For/-Proto are believed.
    std::vector<std::string> trustedProxies;
    /// [auth] open_rooms: any room name may be joined without an account (development, load
    /// tests); such rooms are not recorded.
    bool openRooms = false;
    /// [auth] password_hash: "interactive" (libsodium's Argon2id INTERACTIVE limits) or
    /// "minimum" (tests only).
    std::string passwordHash = "interactive";
    int hashThreads = 2;            ///< [auth] hash_threads
    int hashQueue = 16;             ///< [auth] hash_queue: hash jobs running + waiting.
    int registrationsPerHour = 10;  ///< [auth] registrations_per_hour, per client address.
    int loginAccountFailures = 5;   ///< [auth] login_account_failures per 15 min.
    int loginAddressFailures = 20;  ///< [auth] login_address_failures per 15 min.
    int meetingsPerHour = 30;       ///< [auth] meetings_per_hour, per user.
    int pendingCalls = 3;           ///< [auth] pending_calls: calls ringing per caller.
    mail::MailConfig mail;
    media::MediaConfig media;
    room::Limits roomLimits;  ///< [limits] max_rooms
    /// [workers] count: media worker processes (docs/workers.md); 0 runs the rooms in the
    /// server's own process. defaultConfig(): the number of cores.
    int workers = 0;
    /// [workers] call_timeout_ms: a worker that leaves a call or its heartbeat unanswered
    /// this long is killed and restarted, ms.
    int workerCallTimeoutMs = 10000;
    /// [room] reconnect_grace_ms: how long a participant whose connection dropped (no `leave`)
    /// is kept, silent with its tile frozen, for a `join` with its resume token; 0: removed at
    /// once (docs/protocol.md, "Reconnecting"), ms.
    int reconnectGraceMs = 10000;
    /// [limits] malloc_arenas: glibc malloc arenas at most (M_ARENA_MAX; 0: glibc's default of
    /// 8 per core). Each thread that allocates may otherwise get its own, and memory freed
    /// into an arena stays with the process (docs/performance.md, "Memory per room").
    int mallocArenas = 2;
    /// [signaling]: per-client message, chat and history budgets, ICE candidate cap.
    /// (allowLoopbackCandidates is derived from [ice] addresses by the Server.)
    signaling::Limits signaling;
    /// [server] liveness_mark_ms: how often open history rows get a "still here" mark; a crash
    /// loses at most this much of each stay, ms.
    int livenessMarkMs = 5000;
    http::Limits limits;  ///< [limits]: connections, timeouts, body and message sizes.
    /// [metrics] token: empty = /metrics only to loopback clients; else every client must send
    /// "Authorization: Bearer TOKEN".
    std::string metricsToken;
    /// Every key there is, "[group] key", with the value in effect (the default when absent)
    /// as text: what a reload compares (Server::reload). Filled by parseConfig.
    std::map<std::string, std::string> values;
    RecordingConfig recording;
};

/// Built-in defaults: web/ and pipelines/ from the source tree.
Config defaultConfig();
/// Reads `path` over the defaults. Error "config" on a missing file, bad syntax, an
/// out-of-range value, an unknown group or key: its message has one line per problem, each
/// "ORIGIN: [group] key: reason" (docs/configuration.md).
core::Result<Config> loadConfig(const std::string& path);
/// Same, from INI text; `origin` names it in the messages.
core::Result<Config> parseConfig(const std::string& text, const std::string& origin);
/// Every problem of the file at `path`, one message each; empty when it is fine
/// (`mixmeet check-config`).
std::vector<std::string> checkConfig(const std::string& path);

/// Whether a key ("[group] key") takes effect on SIGHUP (docs/configuration.md, "Reloading").
bool liveKey(const std::string& key);
/// The keys whose value differs between two parsed configs, split by liveKey().
struct ConfigChanges {
    std::vector<std::string> live;     ///< Applied by a reload.
    std::vector<std::string> restart;  ///< Logged as "needs a restart".
};
ConfigChanges diffConfig(const Config& running, const Config& fresh);

}  // namespace mixmeet::app
