// The REST API (docs/api.md): accounts, sessions, meetings, history, chat paging, user search.
// Takes library-neutral http::Request values and returns http::Response values, so it is
// tested without sockets. Main thread only (the store is not thread-safe).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

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

/// Who is behind a request or a WebSocket handshake.
struct Identity {
    store::User user;
    store::Session session;
};

class Api {
public:
    struct Deps {
        store::Store& store;
        const auth::PasswordHasher& hasher;
        auth::RateLimiter& loginLimiter;
        mail::Mailer& mailer;
        std::function<int64_t()> nowMs;                ///< Unix ms, UTC.
        std::function<bool(int64_t userId)> isOnline;  ///< Has a presence socket open.
        std::string
            publicUrl;  ///< "http://host:port" used in mailed links (never the Host header).
    };

    explicit Api(Deps deps) : d_(std::move(deps)) {}

    /// Handles one /api/ request. Never throws; every failure is an error response.
    http::Response handle(const http::Request& request);

    /// The signed-in user of a request (session cookie), if any.
    std::optional<Identity> authenticate(const http::Request& request);

    /// True if the request's Origin header (when present) names this server: the Host header
    /// with the request's scheme. Guards state-changing requests and WebSocket handshakes.
    static bool sameOrigin(const http::Request& request);

    /// Meeting lookup for pages and signaling. Error code "no-such-meeting".
    core::Result<store::Meeting> meeting(const std::string& id);

    /// Creates a meeting under a fresh random ID (retrying the astronomically rare collision
    /// of ~47-bit IDs). Errors: the store's.
    static core::Result<store::Meeting> createMeetingWithFreshId(store::Store& store,
                                                                 const std::string& title,
                                                                 int64_t hostUserId,
                                                                 bool allowGuests, int64_t nowMs);

private:
    http::Response registerUser(const http::Request& r);
    http::Response login(const http::Request& r);
    http::Response logout(const http::Request& r, const std::optional<Identity>& who);
    http::Response me(const Identity& who);
    http::Response updateMe(const http::Request& r, const Identity& who);
    http::Response changePassword(const http::Request& r, const Identity& who);
    http::Response forgotPassword(const http::Request& r);
    http::Response resetPassword(const http::Request& r);
    http::Response searchUsers(const http::Request& r, const Identity& who);
    http::Response createMeeting(const http::Request& r, const Identity& who);
    http::Response listMeetings(const Identity& who);
    http::Response getMeeting(const std::string& id, const std::optional<Identity>& who);
    http::Response chatPage(const http::Request& r, const std::string& id,
                            const std::optional<Identity>& who);
    http::Response history(const Identity& who);

    /// A new session for user: stores it and returns the response with the cookie set.
    http::Response startSession(const http::Request& r, const store::User& user, int status);
    /// Writes one meeting object (under `key`, or as an array element when key is null).
    void writeMeeting(core::JsonWriter& w, const char* key, const store::Meeting& m, bool isHost);
    std::string meetingJson(const store::Meeting& m, const std::optional<Identity>& who);

    Deps d_;
};

/// JSON error response `{"error": {"code", "message"}}`.
http::Response errorResponse(int status, const std::string& code, const std::string& message);

/// Username rule: 3-32 of a-z 0-9 _ . - (after lowercasing).
bool isValidUsername(const std::string& username);
/// A plausible email address: one '@', a dot in the domain, no spaces, at most 254 bytes.
bool isPlausibleEmail(const std::string& email);

}  // namespace mixmeet::api
