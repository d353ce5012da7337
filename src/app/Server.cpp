#include "app/Server.h"

#include <glib/gstdio.h>

#include <algorithm>

#include "app/Metrics.h"
#include "auth/Tokens.h"
#include "core/Json.h"
#include "core/Log.h"
#include "core/MainContext.h"
#include "http/TlsFiles.h"
#include "media/FlowFirewall.h"
#include "media/MediaMetrics.h"
#include "media/Teardown.h"
#include "store/SqliteStore.h"

#define GST_CAT_DEFAULT mixmeet_app_debug

namespace mixmeet::app {

namespace {
int64_t nowMs() {
    return g_get_real_time() / 1000;
}

http::Response htmlPage(int status, const std::string& html) {
    http::Response r;
    r.status = status;
    r.contentType = "text/html; charset=utf-8";
    r.body = html;
    return r;
}
}  // namespace

Server::Server(Config config) : config_(std::move(config)) {}

Server::~Server() {
    connections_.clear();
    reconnects_.reset();  // Parked participants leave; their history rows are closed.
    http_.reset();
    workers_.reset();  // Each worker closes its rooms and exits (bounded wait).
    rooms_.reset();
    recordings_.reset();
    touchTimer_.reset();
    presence_.reset();
    // The rooms' pipelines go to NULL on teardown threads; wait for them (bounded: one stuck
    // for good must not keep the process from exiting).
    if (!media::Teardown::drain(std::chrono::milliseconds(kTeardownDrainMs)))
        g_warning("%zu media elements still stopping after %u ms", media::Teardown::pending(),
                  kTeardownDrainMs);
}

namespace {

/// The executable the media workers run: this one (`mixmeet worker`), or
/// $MIXMEET_WORKER_BINARY (tests whose server runs inside the test program).
std::string workerBinary() {
    if (const char* env = g_getenv("MIXMEET_WORKER_BINARY"); env && *env) return env;
    g_autofree char* self = g_file_read_link("/proc/self/exe", nullptr);
    return self ? self : "mixmeet";
}

}  // namespace

core::Status Server::start() {
    if (g_mkdir_with_parents(config_.dataDir.c_str(), 0700) != 0)
        return core::makeError("db", "cannot create data directory " + config_.dataDir);
    auto store = store::SqliteStore::open(config_.dataDir + "/mixmeet.sqlite");
    if (!store) return store.error();
    store_ = std::move(store).value();
    // History rows a crash or kill left open are closed at their last liveness mark.
    if (auto closed = store_->closeOpenParticipations(nowMs()); closed && closed.value() > 0)
        g_message("closed %d meeting history rows left open by the previous run", closed.value());
    if (auto expired = store_->deleteExpiredSessions(nowMs()); !expired)
        GST_WARNING("cannot delete expired sessions: %s", expired.error().message.c_str());

    hasher_ = std::make_unique<auth::PasswordHasher>(
        config_.passwordHash == "minimum" ? auth::HashCost::Minimum : auth::HashCost::Interactive);
    mailer_ = mail::makeMailer(config_.mail);
    auto origin = api::OriginPolicy::make(config_.publicUrl, config_.trustedProxies);
    if (!origin) return origin.error();
    presence_ = std::make_unique<Presence>(
        *store_,
        [this](const store::User& caller, const store::User& callee) -> core::Result<std::string> {
            // The dashboard's call flow: a new meeting hosted by the caller (counted in the
            // caller's meetings per hour).
            auto m = api_->createMeetingFor(
                caller, "Call: " + caller.displayName + " and " + callee.displayName, false);
            if (!m) return m.error();
            return m.value().id;
        },
        Presence::Limits{static_cast<std::size_t>(config_.pendingCalls)});

    fragments_.reset();
    auto fragments = media::Fragments::load(config_.pipelinesDir);
    if (!fragments) return fragments.error();
    fragments_ = std::move(fragments).value();
    // Now, while threads can be had: a room that fails to build later is torn down on them.
    media::Teardown::start();
    if (config_.media.streaming.directory.empty())
        config_.media.streaming.directory = config_.dataDir + "/live";
    // No meeting is live yet: HLS directories a crash or kill left behind go.
    if (int stale = room::removeStaleHlsDirectories(config_.media.streaming.directory); stale > 0)
        g_message("removed %d stale HLS directories", stale);
    rooms_ = std::make_unique<room::RoomRegistry>(config_.media, *fragments_, config_.roomLimits);
    if (config_.workers > 0) {
        worker::WorkerPool::Options w;
        w.count = config_.workers;
        w.callTimeoutMs = config_.workerCallTimeoutMs;
        w.binary = workerBinary();
        w.pipelinesDir = config_.pipelinesDir;
        w.limits = config_.roomLimits;
        w.mallocArenas = config_.mallocArenas;
        workers_ = std::make_unique<worker::WorkerPool>(config_.media, w);
        if (auto started = workers_->start(); !started) return started;
        g_message("media: %d worker processes", config_.workers);
    }
    recordings_ = std::make_unique<Recordings>(config_.recording,
                                               config_.recording.directory.empty()
                                                   ? config_.dataDir + "/recordings"
                                                   : config_.recording.directory,
                                               *store_, directory(), nowMs);
    // Files a crash left unfinished are closed (their duration read from them) and listed.
    if (int repaired = recordings_->recover(); repaired > 0)
        g_message("closed %d recordings left unfinished by the previous run", repaired);

    http::HttpServer::Options options{config_.address,        config_.port,
                                      config_.webDir,         config_.limits,
                                      config_.tlsCertificate, config_.tlsPrivateKey};
    http_ = std::make_unique<http::HttpServer>(
        options,
        [this](SoupWebsocketConnection* c, const http::Request& handshake) {
            accept(c, handshake);
        },
        [this](const http::Request& r, http::HttpServer::Responder respond) {
            return dynamic(r, std::move(respond));
        });
    auto listening = http_->listen();
    if (!listening) return listening;

    std::string publicUrl = config_.publicUrl;
    if (publicUrl.empty()) {
        publicUrl = http_->url();
        publicUrl.pop_back();  // No trailing slash.
    }
    loginThrottle_ = std::make_unique<auth::LoginThrottle>(
        auth::LoginThrottle::Config{config_.loginAccountFailures, config_.loginAddressFailures});
    api::Api::Limits limits;
    limits.registrationsPerHour = config_.registrationsPerHour;
    limits.meetingsPerHour = config_.meetingsPerHour;
    limits.hashing.threads = config_.hashThreads;
    limits.hashing.maxJobs = static_cast<std::size_t>(config_.hashQueue);
    api_ = std::make_unique<api::Api>(
        api::Api::Deps{*store_, *hasher_, *loginThrottle_, *mailer_, nowMs,
                       [this](int64_t userId) { return presence_->online(userId); }, publicUrl,
                       std::move(origin).value(), limits,
                       [this](const api::RevokedSessions& revoked) { endSessions(revoked); }});
    admin_ = std::make_unique<AdminApi>(
        directory(), [this] { return roomReports(false).rooms; }, *api_);
    services_ = std::make_unique<ConnectionServices>(
        ConnectionServices{directory(), *store_, *api_, *presence_, config_.openRooms, nowMs});
    services_->recordings = recordings_.get();
    reconnects_ =
        std::make_unique<Reconnects>(directory(), *store_, nowMs, config_.reconnectGraceMs);
    services_->reconnects = reconnects_.get();
    configureSignalingLimits();

    armLivenessMarks();
    return core::Ok{};
}

void Server::armLivenessMarks() {
    // One batched UPDATE of every open row per mark (cheap: the partial index
    // participations_open finds them); a kill -9 loses at most one interval of each stay.
    touchTimer_.reset(g_timeout_source_new(static_cast<guint>(config_.livenessMarkMs)));
    g_source_set_callback(
        touchTimer_.get(),
        [](gpointer d) -> gboolean {
            if (auto touched = static_cast<store::Store*>(d)->touchOpenParticipations(nowMs());
                !touched)
                GST_WARNING("cannot mark open history rows: %s", touched.error().message.c_str());
            return G_SOURCE_CONTINUE;
        },
        store_.get(), nullptr);
    g_source_attach(touchTimer_.get(), core::mainContext());
}

ConfigChanges Server::reload(const Config& fresh) {
    ConfigChanges changes = diffConfig(config_, fresh);
    ++reloads_;
    reloadTls(fresh, changes);
    restartKeys_ = changes.restart.size();
    for (const auto& key : changes.restart) g_message("config: needs a restart: %s", key.c_str());
    if (!changes.live.empty()) {
        for (const auto& key : changes.live) {
            // Secrets are not logged.
            bool secret = key == "[metrics] token";
            g_message("config: %s = %s (live)", key.c_str(),
                      secret ? "(changed)" : fresh.values.at(key).c_str());
            config_.values[key] = fresh.values.at(key);
        }
        config_.signaling = fresh.signaling;
        config_.openRooms = fresh.openRooms;
        config_.limits = fresh.limits;
        config_.metricsToken = fresh.metricsToken;
        services_->openRooms = config_.openRooms;
        // Only when they changed: the per-account chat budgets start full again.
        for (const auto& key : changes.live)
            if (key.rfind("[signaling] ", 0) == 0) {
                configureSignalingLimits();
                break;
            }
        http_->setLimits(config_.limits);
        if (fresh.livenessMarkMs != config_.livenessMarkMs) {
            config_.livenessMarkMs = fresh.livenessMarkMs;
            armLivenessMarks();
        }
    }
    return changes;
}

void Server::reloadTls(const Config& fresh, ConfigChanges& changes) {
    static const std::vector<std::string> keys = {"[server] tls_certificate",
                                                  "[server] tls_private_key"};
    auto moveKeys = [&](std::vector<std::string>* to) {
        for (const auto& key : keys) {
            auto at = std::find(changes.live.begin(), changes.live.end(), key);
            if (at == changes.live.end()) continue;
            changes.live.erase(at);
            if (to) to->push_back(key);
        }
    };
    const bool wanted = !fresh.tlsCertificate.empty();
    if (wanted != http_->tls()) {
        // Between HTTP and HTTPS: the listener and every URL change, a restart.
        moveKeys(&changes.restart);
        return;
    }
    if (!wanted) return;
    // Re-read even when the paths did not change: a renewal replaces the files in place.
    if (auto reloaded = http_->reloadTls(fresh.tlsCertificate, fresh.tlsPrivateKey); !reloaded) {
        g_warning("config: TLS certificate not reloaded, the one in use stays: %s",
                  reloaded.error().message.c_str());
        ++tlsReloadFailures_;
        moveKeys(nullptr);  // Their running values stay, so the next reload tries again.
        return;
    }
    config_.tlsCertificate = fresh.tlsCertificate;
    config_.tlsPrivateKey = fresh.tlsPrivateKey;
    g_message(
        "config: TLS certificate reloaded from %s (SHA-256 %s); open connections keep "
        "theirs",
        fresh.tlsCertificate.c_str(), http::tlsFingerprint(http_->tlsCertificate()).c_str());
}

void Server::configureSignalingLimits() {
    signaling::Limits limits = config_.signaling;
    // Loopback candidates only where the server itself gathers on loopback (tests, development).
    for (const auto& a : config_.media.iceAddresses)
        if (a == "::1" || a.rfind("127.", 0) == 0) limits.allowLoopbackCandidates = true;
    services_->limits = limits;
    services_->chatByAccount = std::make_unique<signaling::KeyedBuckets>(limits.chat());
}

bool Server::dynamic(const http::Request& received, http::HttpServer::Responder respond) {
    if (!api_) return false;
    http::Request request = received;
    api_->applyForwarded(request);
    if (request.path == "/api/stats") {
        respond(stats(request));
        return true;
    }
    if (request.path == "/metrics") {
        respond(metrics(request));
        return true;
    }
    if (request.path == "/api/recordings") {
        respond(recordings_->list(request, api_->authenticate(request)));
        return true;
    }
    if (request.path.rfind("/recordings/", 0) == 0) {
        respond(recordings_->download(request, api_->authenticate(request)));
        return true;
    }
    if (request.path.rfind("/api/admin/", 0) == 0) {
        respond(admin_->handle(request, api_->authenticate(request)));
        return true;
    }
    if (request.path == "/admin") {
        respond(staticPage("admin.html"));
        return true;
    }
    if (request.path.rfind("/live/", 0) == 0) {
        respond(liveFile(request));
        return true;
    }
    if (request.path.rfind("/api/", 0) == 0) {
        api_->handle(request, std::move(respond));
        return true;
    }
    if (request.path.rfind("/m/", 0) == 0) {
        respond(meetingPage(request));
        return true;
    }
    return false;
}

void Server::endSessions(const api::RevokedSessions& revoked) {
    // Collected first: ending a session may close sockets, whose handlers run later anyway.
    std::vector<ClientConnection*> ended;
    for (auto& [key, connection] : connections_) {
        const auto& who = connection->identity();
        if (who && revoked.covers(who->user.id, who->session.tokenHash)) ended.push_back(key);
    }
    for (ClientConnection* c : ended) c->endSession();
    if (!ended.empty())
        g_message("closed %zu WebSocket(s) of ended sessions of user %lld", ended.size(),
                  static_cast<long long>(revoked.userId));
}

http::Response Server::staticPage(const std::string& name) const {
    gchar* contents = nullptr;
    gsize length = 0;
    std::string file = config_.webDir + "/" + name;
    if (!g_file_get_contents(file.c_str(), &contents, &length, nullptr))
        return htmlPage(500, "<!doctype html><title>mixmeet</title><p>The page is missing.");
    http::Response r = htmlPage(200, std::string(contents, length));
    g_free(contents);
    return r;
}

http::Response Server::meetingPage(const http::Request& request) {
    std::string id = request.path.substr(3);
    if (auto meeting = api_->meeting(id)) {
        gchar* contents = nullptr;
        gsize length = 0;
        std::string file = config_.webDir + "/room.html";
        if (g_file_get_contents(file.c_str(), &contents, &length, nullptr)) {
            http::Response r = htmlPage(200, std::string(contents, length));
            g_free(contents);
            return r;
        }
        return htmlPage(500, "<!doctype html><title>mixmeet</title><p>The room page is missing.");
    }
    // Nothing from the request is echoed back (no injection). The markup is the account
    // pages' card (web/login.html), so the page looks like every other one.
    return htmlPage(404,
                    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<meta name=\"color-scheme\" content=\"light dark\">"
                    "<title>No such meeting - mixmeet</title>"
                    "<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">"
                    "<link rel=\"stylesheet\" href=\"/css/style.css\"></head>"
                    "<body class=\"page-auth\"><main class=\"card auth-card\">"
                    "<a class=\"brand brand-large\" href=\"/\">mixmeet</a><h1>No such meeting</h1>"
                    "<p id=\"no-such-meeting\">There is no meeting with this ID. Check the link "
                    "or ask the host for a new one.</p><p class=\"card-links\"><a href=\"/\">"
                    "Back to the dashboard</a></p></main></body></html>");
}

http::Response Server::liveFile(const http::Request& request) {
    if (request.method != "GET" && request.method != "HEAD")
        return api::errorResponse(405, "method-not-allowed", "GET only.");
    // "/live/<id>/<name>" or "/live/<id>/<token>/<name>" (a guest's watch token): the id a
    // meeting id, the name one HLS writes; nothing else.
    std::string rest = request.path.substr(std::string("/live/").size());
    std::size_t slash = rest.find('/');
    if (slash == std::string::npos) return api::errorResponse(404, "not-found", "No such stream.");
    std::string id = rest.substr(0, slash);
    std::string name = rest.substr(slash + 1);
    std::string token;
    if (std::size_t inner = name.find('/'); inner != std::string::npos) {
        token = name.substr(0, inner);
        name = name.substr(inner + 1);
        if (token.size() != auth::kTokenChars)
            return api::errorResponse(404, "not-found", "No such stream.");
    }
    bool idOk = !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return g_ascii_isalnum(c) || c == '-' || c == '_';
    });
    bool playlist = name == "index.m3u8";
    bool segment =
        name.size() == 15 && name.rfind("segment", 0) == 0 && name.compare(12, 3, ".ts") == 0 &&
        std::all_of(name.begin() + 7, name.begin() + 12, [](char c) { return g_ascii_isdigit(c); });
    if (!idOk || (!playlist && !segment))
        return api::errorResponse(404, "not-found", "No such stream.");
    room::RoomApi* r = directory().findRoom(id);
    const std::optional<room::RoomApi::Hls> hls = r ? r->hls() : std::nullopt;
    if (!hls) return api::errorResponse(404, "not-found", "No such stream.");
    if (hls->access != "anyone" && !token.empty()) {
        // A guest's session of the meeting, while it is in the meeting.
        if (!r->mayWatchWithToken(token))
            return api::errorResponse(403, "forbidden",
                                      "Only the meeting's participants may watch.");
    } else if (hls->access != "anyone") {
        auto who = api_->authenticate(request);
        if (!who) return api::errorResponse(401, "unauthenticated", "Please sign in.");
        if (!recordings_->mayWatch(id, *who))
            return api::errorResponse(403, "forbidden",
                                      "Only the meeting's participants may watch.");
    }
    std::string path = hls->directory + "/" + name;
    http::Response resp;
    resp.headers.emplace_back("Cache-Control", playlist ? "no-cache" : "max-age=60");
    if (playlist) {
        // Small and rewritten every segment: read whole, not mapped.
        gchar* contents = nullptr;
        gsize length = 0;
        if (!g_file_get_contents(path.c_str(), &contents, &length, nullptr))
            return api::errorResponse(404, "not-found", "The stream has not started yet.");
        resp.contentType = "application/vnd.apple.mpegurl";
        resp.body.assign(contents, length);
        g_free(contents);
        return resp;
    }
    GStatBuf st;
    if (g_stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return api::errorResponse(404, "not-found", "No such segment.");
    resp.contentType = "video/mp2t";
    resp.file = path;
    resp.fileLength = static_cast<long long>(st.st_size);
    return resp;
}

Server::RoomReports Server::roomReports(bool withEmpty) {
    RoomReports r;
    rooms_->forEach([&](const room::Room& room) {
        if (withEmpty || room.participantCount() > 0) r.rooms.push_back(room::reportOf(room));
    });
    r.media = room::processMediaReport();
    if (workers_)
        for (auto& report : workers_->reports(r.media)) r.rooms.push_back(std::move(report));
    return r;
}

http::Response Server::stats(const http::Request& request) {
    // Diagnostics for admins and the benchmark: from this machine only.
    if (request.clientAddress != "127.0.0.1" && request.clientAddress != "::1")
        return api::errorResponse(403, "forbidden", "Stats are only served to localhost.");
    auto only = request.query.find("room");
    const RoomReports reports = roomReports(true);
    core::JsonWriter w;
    w.beginArray("rooms");
    for (const auto& r : reports.rooms)
        if (only == request.query.end() || only->second == r.name) room::writeReport(w, r);
    http::Response resp;
    resp.body = w.endArray()
                    .num("connections", static_cast<long long>(connections_.size()))
                    // Pipelines and bins handed to the teardown threads and not yet stopped and
                    // freed. In the server and its media workers.
                    .num("teardownsPending", static_cast<long long>(reports.media.teardownsPending))
                    // Flow errors kept from the shared composites and mixes (media/FlowFirewall.h).
                    .num("absorbedFlows",
                         static_cast<long long>(
                             reports.media.absorbedFlushing + reports.media.absorbedEos +
                             reports.media.absorbedNotNegotiated + reports.media.absorbedError))
                    .finish();
    return resp;
}

http::Response Server::metrics(const http::Request& request) {
    switch (metricsAccess(request.clientAddress, request.header("authorization"),
                          config_.metricsToken)) {
        case MetricsAccess::Forbidden:
            return api::errorResponse(403, "forbidden",
                                      "Metrics are only served to localhost unless [metrics] token "
                                      "is set.");
        case MetricsAccess::Unauthorized: {
            http::Response r =
                api::errorResponse(401, "unauthorized", "A bearer token is required.");
            r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"mixmeet metrics\"");
            return r;
        }
        case MetricsAccess::Allowed:
            break;
    }
    // Summed over the live rooms; per-room counters carry a room label (they end with it).
    double participants = 0, opusEncoders = 0;
    std::map<std::string, double> vp8ByTier, viewersByTier;
    struct RoomFigures {
        std::string name;
        double participants, keyframeRequests, keyframes, lateDropped;
        double worstLoss = 0, worstRttS = 0;  ///< Over the room's viewers' latest reports.
    };
    std::vector<RoomFigures> perRoom;
    const RoomReports reports = roomReports(false);
    for (const auto& r : reports.rooms) {
        participants += static_cast<double>(r.participants);
        opusEncoders += static_cast<double>(r.opusEncoders);
        std::map<std::string, int> viewers;
        for (const auto& t : r.tierNames) viewers[t] = 0;
        for (const auto& member : r.members) {
            if (viewers.count(member.tier))
                ++viewers[member.tier];
            else
                viewersByTier["audio"] += 1;
        }
        for (const auto& [tier, n] : viewers) {
            viewersByTier[tier] += n;
            // A tier's encoder runs while it has viewers (VideoMixer::requestOutput).
            vp8ByTier[tier] += n > 0 ? 1 : 0;
        }
        RoomFigures figures{r.name, static_cast<double>(r.participants),
                            static_cast<double>(r.keyframeRequests),
                            static_cast<double>(r.keyframes), static_cast<double>(r.lateDropped)};
        for (const auto& member : r.members) {
            figures.worstLoss = std::max(figures.worstLoss, member.loss);
            figures.worstRttS = std::max(figures.worstRttS, member.rttMs / 1000.0);
        }
        perRoom.push_back(figures);
    }
    for (const char* tier : {"high", "medium", "low"}) {
        vp8ByTier.try_emplace(tier, 0);
        viewersByTier.try_emplace(tier, 0);
    }
    viewersByTier.try_emplace("audio", 0);

    MetricsText m;
    m.family("mixmeet_rooms", "gauge", "Rooms open (each a media pipeline).")
        .sample("mixmeet_rooms",
                static_cast<double>(rooms_->roomCount() + (workers_ ? workers_->roomCount() : 0)));
    m.family("mixmeet_participants", "gauge", "Participants in all rooms.")
        .sample("mixmeet_participants", participants);
    m.family("mixmeet_workers", "gauge",
             "Media worker processes running ([workers] count; 0: rooms run in the server).")
        .sample("mixmeet_workers", workers_ ? static_cast<double>(workers_->runningWorkers()) : 0);
    m.family("mixmeet_worker_restarts_total", "counter",
             "Media workers restarted after they exited, crashed or stopped answering.")
        .sample("mixmeet_worker_restarts_total",
                workers_ ? static_cast<double>(workers_->restarts()) : 0);
    m.family("mixmeet_encoders", "gauge",
             "Encoders running, by kind (vp8: one per composite tier with viewers; opus: "
             "mix-minus encodes plus the shared one).");
    for (const auto& [tier, n] : vp8ByTier)
        m.sample("mixmeet_encoders", n, {{"kind", "vp8"}, {"tier", tier}});
    m.sample("mixmeet_encoders", opusEncoders, {{"kind", "opus"}, {"tier", "mix"}});
    m.family("mixmeet_viewers", "gauge",
             "Participants by the composite tier they receive (audio: none).");
    for (const auto& [tier, n] : viewersByTier) m.sample("mixmeet_viewers", n, {{"tier", tier}});
    // One sample per room of the figure `field`.
    auto perRoomFamily = [&](const char* name, const char* type, const char* help,
                             double RoomFigures::*field) {
        m.family(name, type, help);
        for (const auto& r : perRoom) m.sample(name, r.*field, {{"room", r.name}});
    };
    perRoomFamily("mixmeet_room_participants", "gauge", "Participants per room.",
                  &RoomFigures::participants);
    perRoomFamily("mixmeet_keyframe_requests_total", "counter",
                  "Keyframe requests (PLI/FIR) about the composite from the room's participants.",
                  &RoomFigures::keyframeRequests);
    perRoomFamily("mixmeet_keyframes_total", "counter", "Keyframes the room's tier encoders made.",
                  &RoomFigures::keyframes);
    perRoomFamily("mixmeet_late_frames_dropped_total", "counter",
                  "Video frames the room dropped for lateness ([video] max_frame_delay_ms).",
                  &RoomFigures::lateDropped);
    perRoomFamily("mixmeet_room_viewer_loss_ratio_max", "gauge",
                  "The highest loss (0..1) a viewer of the room reported on its composite in its "
                  "latest receiver reports.",
                  &RoomFigures::worstLoss);
    perRoomFamily("mixmeet_room_viewer_rtt_seconds_max", "gauge",
                  "The longest round-trip time a viewer of the room has, seconds (RTCP).",
                  &RoomFigures::worstRttS);
    const room::MediaReport& media = reports.media;  // Summed over the worker processes.
    m.family("mixmeet_media_received_bytes_total", "counter",
             "Bytes received through the participants' ICE transports (RTP, RTCP, DTLS, STUN).")
        .sample("mixmeet_media_received_bytes_total", media.receivedBytes);
    m.family("mixmeet_media_sent_bytes_total", "counter",
             "Bytes sent through the participants' ICE transports.")
        .sample("mixmeet_media_sent_bytes_total", media.sentBytes);
    m.family("mixmeet_tier_restarts_total", "counter",
             "Composite tiers restarted after a flow error inside their scaler, rate or encoder.")
        .sample("mixmeet_tier_restarts_total", media.tierRestarts);
    m.family("mixmeet_join_to_first_frame_seconds", "histogram",
             "From a participant entering the call to the first composite keyframe sent to "
             "it after its DTLS handshake, seconds.");
    for (std::size_t i = 0; i <= media::DurationHistogram::kBoundsS.size(); ++i) {
        const bool inf = i == media::DurationHistogram::kBoundsS.size();
        char le[32];
        if (inf)
            std::snprintf(le, sizeof le, "+Inf");
        else
            std::snprintf(le, sizeof le, "%g", media::DurationHistogram::kBoundsS[i]);
        const double n =
            i < media.joinToFirstFrameBuckets.size() ? media.joinToFirstFrameBuckets[i] : 0;
        m.sample("mixmeet_join_to_first_frame_seconds_bucket", n, {{"le", le}});
    }
    m.sample("mixmeet_join_to_first_frame_seconds_sum", media.joinToFirstFrameSumS);
    m.sample("mixmeet_join_to_first_frame_seconds_count", media.joinToFirstFrameCount);
    m.family("mixmeet_absorbed_flows_total", "counter",
             "Flow errors a branch returned that a firewall kept from the shared composite or "
             "mix feeding it (media/FlowFirewall.h), by flow.");
    for (const auto& [flow, n] :
         {std::pair{"flushing", media.absorbedFlushing}, std::pair{"eos", media.absorbedEos},
          std::pair{"not-negotiated", media.absorbedNotNegotiated},
          std::pair{"error", media.absorbedError}})
        m.sample("mixmeet_absorbed_flows_total", n, {{"flow", flow}});
    m.family("mixmeet_signaling_connections", "gauge", "Open signaling WebSockets.")
        .sample("mixmeet_signaling_connections", static_cast<double>(connections_.size()));
    m.family("mixmeet_http_connections", "gauge", "Open client sockets (HTTP and WebSocket).")
        .sample("mixmeet_http_connections", static_cast<double>(httpConnectionCount()));
    m.family("mixmeet_config_reloads_total", "counter", "Successful SIGHUP reloads.")
        .sample("mixmeet_config_reloads_total", reloads_);
    m.family("mixmeet_config_restart_pending", "gauge",
             "Keys the last reload found changed that take effect only after a restart.")
        .sample("mixmeet_config_restart_pending", static_cast<double>(restartKeys_));
    m.family("mixmeet_tls_reload_failures_total", "counter",
             "SIGHUP reloads whose TLS certificate or key did not load (the old one stayed).")
        .sample("mixmeet_tls_reload_failures_total", tlsReloadFailures_);
    ProcessFigures p = readProcessFigures();
    m.family("process_cpu_seconds_total", "counter", "User and system CPU time, seconds.")
        .sample("process_cpu_seconds_total", p.cpuSeconds);
    m.family("process_resident_memory_bytes", "gauge", "Resident memory, bytes.")
        .sample("process_resident_memory_bytes", p.residentBytes);
    m.family("process_open_fds", "gauge", "Open file descriptors.")
        .sample("process_open_fds", p.openFds);
    // The media workers, one series each (process_* above is the server process alone).
    std::vector<std::pair<std::string, ProcessFigures>> workerFigures;
    if (workers_)
        for (const auto& [index, pid] : workers_->runningPids())
            workerFigures.emplace_back(std::to_string(index), readProcessFigures(pid));
    m.family("mixmeet_worker_cpu_seconds_total", "counter",
             "User and system CPU time of a media worker process, seconds (from its start).");
    for (const auto& [w, f] : workerFigures)
        m.sample("mixmeet_worker_cpu_seconds_total", f.cpuSeconds, {{"worker", w}});
    m.family("mixmeet_worker_resident_memory_bytes", "gauge",
             "Resident memory of a media worker process, bytes.");
    for (const auto& [w, f] : workerFigures)
        m.sample("mixmeet_worker_resident_memory_bytes", f.residentBytes, {{"worker", w}});
    m.family("mixmeet_worker_open_fds", "gauge", "Open descriptors of a media worker process.");
    for (const auto& [w, f] : workerFigures)
        m.sample("mixmeet_worker_open_fds", f.openFds, {{"worker", w}});
    http::Response resp;
    resp.contentType = "text/plain; version=0.0.4; charset=utf-8";
    resp.body = m.text();
    return resp;
}

void Server::shutdown() {
    for (auto& [key, connection] : connections_) connection->shutdown();
    if (reconnects_) reconnects_->endAll();
    // Rooms in this process end their recordings as the rooms go (~Server); a worker's
    // rooms go with its channel, after which its events cannot come: stopped now.
    if (workers_) workers_->stopRecordings();
}

void Server::accept(SoupWebsocketConnection* connection, const http::Request& received) {
    if (!api_) {
        soup_websocket_connection_close(connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "starting");
        return;
    }
    http::Request handshake = received;
    api_->applyForwarded(handshake);
    if (!api_->sameOrigin(handshake)) {
        // Cross-site WebSocket hijacking guard: a page from another origin may not ride on
        // the user's cookie.
        soup_websocket_connection_close(connection, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                        "cross-origin");
        return;
    }
    auto c =
        std::make_unique<ClientConnection>(connection, api_->authenticate(handshake), *services_,
                                           [this](ClientConnection* cc) { closed(cc); });
    ClientConnection* key = c.get();
    connections_.emplace(key, std::move(c));
    GST_DEBUG("connection opened, %zu open", connections_.size());
}

void Server::closed(ClientConnection* connection) {
    // Deferred: we are inside the connection's own "closed" handler.
    core::postToMain([weak = anchor_.weak(), connection] {
        if (Server* self = core::resolve(weak)) self->connections_.erase(connection);
    });
}

}  // namespace mixmeet::app
