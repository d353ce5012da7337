// The REST API (docs/api.md): accounts, sessions, meetings, history, chat paging, user search.
// Takes library-neutral http::Request values and answers with http::Response values through a
// responder, so it is tested without sockets. Password hashing and verification run on a
// HashWorker thread and answer later; everything else answers at once. Main thread only (the
// store is not thread-safe).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <memory>
#include <mutex>

#include "api/Origin.h"
#include "auth/HashWorker.h"
#include "auth/LoginThrottle.h"
#include "auth/PasswordHasher.h"
#include "auth/RateLimiter.h"
#include "core/Json.h"
#include "core/Result.h"
#include "http/Request.h"
#include "mail/Mailer.h"
#include "store/Store.h"

namespace mixmeet::api {

/// Name of the session cookie.
inline constexpr const char* kSessionCookie = "mm_session";
/// Session lifetime, ms (30 days).
inline constexpr int64_t kSessionLifetimeMs = 30LL * 24 * 3600 * 1000;
/// Password-reset link lifetime, ms (1 hour).
inline constexpr int64_t kResetLifetimeMs = 3600LL * 1000;
/// Largest accepted request body, bytes.
inline constexpr std::size_t kMaxBodyBytes = 16 * 1024;

/// User search (GET /api/users): shortest query, characters.
inline constexpr int kMinSearchChars = 3;
/// User search: most results per query.
inline constexpr int kMaxSearchResults = 10;
/// User search: queries per user per minute (the dashboard sends one per pause in typing and
/// one every 10 s while results are shown).
inline constexpr int kSearchesPerMinute = 60;

/// Password-reset requests (POST /api/password/forgot) per client address per hour.
inline constexpr int kResetRequestsPerAddressPerHour = 10;
/// Password-reset requests per email address per hour (each may send a mail to it).
inline constexpr int kResetMailsPerEmailPerHour = 3;

/// Who is behind a request or a WebSocket handshake.
struct Identity {
    store::User user;
    store::Session session;
};

/// Sessions that just ended (sign-out, password change or reset): their WebSockets must
/// close too.
struct RevokedSessions {
    int64_t userId = 0;
    std::optional<std::string> onlyTokenHash;    ///< Just this session (sign-out).
    std::optional<std::string> exceptTokenHash;  ///< All of the user's but this one.
    /// True if a session of `userId` with `tokenHash` is among them.
    bool covers(int64_t user, const std::string& tokenHash) const {
        if (user != userId) return false;
        if (onlyTokenHash) return tokenHash == *onlyTokenHash;
        return !exceptTokenHash || tokenHash != *exceptTokenHash;
    }
};

class Api {
public:
    /// Per-client bounds (docs/security.md, "Accounts and sessions").
    struct Limits {
        int registrationsPerHour = 10;  ///< Registration attempts per client address.
        int meetingsPerHour = 30;       ///< Meetings created per user (with accepted calls).
        auth::HashWorker::Config hashing;
    };
    struct Deps {
        store::Store& store;
        const auth::PasswordHasher& hasher;  ///< Used from the HashWorker threads too.
        auth::LoginThrottle& loginThrottle;
        mail::Mailer& mailer;
        std::function<int64_t()> nowMs;                ///< Unix ms, UTC.
        std::function<bool(int64_t userId)> isOnline;  ///< Has a presence socket open.
        std::string
            publicUrl;  ///< "http://host:port" used in mailed links (never the Host header).
        OriginPolicy origin;
        Limits limits;
        /// Called after sessions are deleted, so their WebSockets can be closed (may be empty).
        std::function<void(const RevokedSessions&)> sessionsRevoked;
    };
    /// Delivers the response: exactly once, on the main thread, now or later.
    using Responder = std::function<void(const http::Response&)>;

    explicit Api(Deps deps);

    /// Handles one /api/ request and answers through `respond`, at once or (for requests that
    /// hash a password) after the hash, from the main context. Never throws; every failure is
    /// an error response. `respond` is dropped unanswered only if the Api is destroyed first.
    void handle(const http::Request& request, Responder respond);

    /// The signed-in user of a request (session cookie), if any.
    std::optional<Identity> authenticate(const http::Request& request);

    /// True if the request's Origin header (when present) names this server (OriginPolicy).
    /// Guards state-changing requests and WebSocket handshakes.
    bool sameOrigin(const http::Request& request) const { return d_.origin.sameOrigin(request); }
    /// Applies the trusted-proxy headers to a request before anything else reads it.
    void applyForwarded(http::Request& request) const { d_.origin.applyForwarded(request); }

    /// Creates a meeting hosted by `host` if they are within [auth] meetings_per_hour. Errors:
    /// "rate-limited" (message says when to retry), the store's.
    core::Result<store::Meeting> createMeetingFor(const store::User& host, const std::string& title,
                                                  bool allowGuests);
    /// Password-hash jobs accepted and not finished (tests, metrics).
    std::size_t pendingHashes() const { return worker_->pending(); }

    /// Meeting lookup for pages and signaling. Error code "no-such-meeting".
    core::Result<store::Meeting> meeting(const std::string& id);

    /// Creates a meeting under a fresh random ID (retrying the astronomically rare collision
    /// of ~47-bit IDs). Errors: the store's.
    static core::Result<store::Meeting> createMeetingWithFreshId(store::Store& store,
                                                                 const std::string& title,
                                                                 int64_t hostUserId,
                                                                 bool allowGuests, int64_t nowMs);

private:
    http::Response route(const http::Request& r, const std::optional<Identity>& who);
    void registerUser(const http::Request& r, Responder respond);
    void login(const http::Request& r, Responder respond);
    http::Response logout(const http::Request& r, const std::optional<Identity>& who);
    http::Response me(const Identity& who);
    http::Response updateMe(const http::Request& r, const Identity& who);
    void changePassword(const http::Request& r, const Identity& who, Responder respond);
    http::Response forgotPassword(const http::Request& r);
    void resetPassword(const http::Request& r, Responder respond);
    http::Response searchUsers(const http::Request& r, const Identity& who);
    http::Response createMeeting(const http::Request& r, const Identity& who);
    http::Response listMeetings(const Identity& who);
    http::Response getMeeting(const std::string& id, const std::optional<Identity>& who);
    http::Response chatPage(const http::Request& r, const std::string& id,
                            const std::optional<Identity>& who);
    http::Response history(const Identity& who);

    /// A new session for user: stores it and returns the response with the cookie set
    /// (`secure`: with the Secure attribute).
    http::Response startSession(bool secure, const store::User& user, int status);
    /// True when the hash worker takes no more jobs (callers answer 503 "busy" before
    /// counting anything against the client).
    bool hashQueueFull() const;
    /// Runs `work` on the hash worker and then `done` here; answers 503 "busy" at once when
    /// the worker's queue is full.
    void hashThenRespond(std::function<void()> work, std::function<void()> done,
                         const Responder& respond);
    /// A stored hash to verify against when the account does not exist (same time either
    /// way). Made on first use, on a worker thread.
    const std::string& dummyHash();
    void revoke(const RevokedSessions& sessions);
    /// Writes one meeting object (under `key`, or as an array element when key is null).
    void writeMeeting(core::JsonWriter& w, const char* key, const store::Meeting& m, bool isHost);
    std::string meetingJson(const store::Meeting& m, const std::optional<Identity>& who);

    Deps d_;
    auth::RateLimiter registrations_;    ///< Per client address, 1 h window.
    auth::RateLimiter meetings_;         ///< Per user, 1 h window.
    auth::RateLimiter searches_;         ///< User searches per user, 1 min window.
    auth::RateLimiter resetsByAddress_;  ///< Reset requests per client address, 1 h window.
    auth::RateLimiter resetsByEmail_;    ///< Reset requests per email, 1 h window.
    std::once_flag dummyOnce_;
    std::string dummyHash_;
    // Destroyed first: no hash job's `done` (which uses this Api) runs after it.
    std::unique_ptr<auth::HashWorker> worker_;
};

/// A 429 "rate-limited" error with retryAfterMs in the body and a Retry-After header.
http::Response rateLimitedResponse(int64_t retryAfterMs, const std::string& message);

/// JSON error response `{"error": {"code", "message"}}`.
http::Response errorResponse(int status, const std::string& code, const std::string& message);

/// Username rule: 3-32 of a-z 0-9 _ . - (after lowercasing).
bool isValidUsername(const std::string& username);
/// A plausible email address: one '@', a dot in the domain, no spaces, at most 254 bytes.
bool isPlausibleEmail(const std::string& email);

}  // namespace mixmeet::api
