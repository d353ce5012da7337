#include "api/Api.h"

#include <glib.h>

#include <algorithm>
#include <utility>

#include "auth/MeetingId.h"
#include "auth/PasswordPolicy.h"
#include "auth/Tokens.h"
#include "core/Json.h"
#include "core/Text.h"

namespace mixmeet::api {

using core::JsonReader;
using core::JsonWriter;
using core::trim;
using http::Request;
using http::Response;

namespace {

Response json(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

Response noContent() {
    Response r;
    r.status = 204;
    r.contentType.clear();
    return r;
}

std::string lower(std::string s) {
    for (char& c : s) c = g_ascii_tolower(c);
    return s;
}

void writeUser(JsonWriter& w, const char* key, const store::User& u) {
    w.beginObject(key)
        .num("id", u.id)
        .str("email", u.email)
        .str("username", u.username)
        .str("displayName", u.displayName)
        .boolean("admin", u.admin)  // The dashboard links /admin for admins.
        .endObject();
}

/// Maps store errors of profile writes to API errors.
Response storeError(const core::Error& e) {
    if (e.code == store::errc::kConflictEmail)
        return errorResponse(409, "email-taken", "An account with this email already exists.");
    if (e.code == store::errc::kConflictUsername)
        return errorResponse(409, "username-taken", "This username is taken.");
    if (e.code == store::errc::kNotFound) return errorResponse(404, "not-found", "Not found.");
    g_warning("store error %s: %s", e.code.c_str(), e.message.c_str());
    return errorResponse(500, "internal", "Something went wrong on the server.");
}

Response badRequest(const std::string& message) {
    return errorResponse(400, "bad-request", message);
}

/// Parses the body as a JSON object and returns `handler(reader of it)`; a body that is not a
/// JSON object is a 400 bad-request with the parser's message.
template <typename Handler>
Response withJsonBody(const Request& r, Handler&& handler) {
    auto doc = core::JsonDocument::parseObject(r.body);
    if (!doc) return badRequest(doc.error().message);
    JsonReader in(doc.value().root());
    return std::forward<Handler>(handler)(in);
}

bool isStateChanging(const std::string& method) {
    return method == "POST" || method == "PATCH" || method == "PUT" || method == "DELETE";
}

}  // namespace

Response errorResponse(int status, const std::string& code, const std::string& message) {
    JsonWriter w;
    w.beginObject("error").str("code", code).str("message", message).endObject();
    return json(status, w.finish());
}

bool isValidUsername(const std::string& username) {
    if (username.size() < 3 || username.size() > 32) return false;
    for (char c : username)
        if (!(g_ascii_islower(c) || g_ascii_isdigit(c) || c == '_' || c == '.' || c == '-'))
            return false;
    return true;
}

bool isPlausibleEmail(const std::string& email) {
    if (email.size() < 3 || email.size() > 254) return false;
    auto at = email.find('@');
    if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos)
        return false;
    auto dot = email.find('.', at);
    if (dot == std::string::npos || dot == at + 1 || dot == email.size() - 1) return false;
    for (unsigned char c : email)
        if (c <= ' ' || c == 0x7f) return false;
    return true;
}

Response rateLimitedResponse(int64_t retryAfterMs, const std::string& message) {
    JsonWriter w;
    w.beginObject("error")
        .str("code", "rate-limited")
        .str("message", message)
        .num("retryAfterMs", retryAfterMs)
        .endObject()
        .num("retryAfterMs", retryAfterMs);
    Response resp = json(429, w.finish());
    resp.headers.emplace_back("Retry-After", std::to_string((retryAfterMs + 999) / 1000));
    return resp;
}

namespace {
constexpr int64_t kHourMs = 3600LL * 1000;
}  // namespace

Api::Api(Deps deps)
    : d_(std::move(deps)),
      registrations_(auth::RateLimiter::Config{d_.limits.registrationsPerHour, kHourMs, 10000}),
      meetings_(auth::RateLimiter::Config{d_.limits.meetingsPerHour, kHourMs, 10000}),
      searches_(auth::RateLimiter::Config{kSearchesPerMinute, 60 * 1000, 10000}),
      resetsByAddress_(auth::RateLimiter::Config{kResetRequestsPerAddressPerHour, kHourMs, 10000}),
      resetsByEmail_(auth::RateLimiter::Config{kResetMailsPerEmailPerHour, kHourMs, 10000}),
      worker_(std::make_unique<auth::HashWorker>(d_.limits.hashing)) {}

const std::string& Api::dummyHash() {
    std::call_once(dummyOnce_, [this] {
        auto h = d_.hasher.hash("not-a-real-password-0");
        dummyHash_ = h ? h.value() : std::string();
    });
    return dummyHash_;
}

namespace {
Response busyResponse() {
    Response busy = errorResponse(503, "busy", "The server is busy. Try again in a moment.");
    busy.headers.emplace_back("Retry-After", "1");
    return busy;
}
}  // namespace

bool Api::hashQueueFull() const {
    return worker_->pending() >= worker_->config().maxJobs;
}

void Api::hashThenRespond(std::function<void()> work, std::function<void()> done,
                          const Responder& respond) {
    if (!worker_->submit(std::move(work), std::move(done))) respond(busyResponse());
}

void Api::revoke(const RevokedSessions& sessions) {
    if (d_.sessionsRevoked) d_.sessionsRevoked(sessions);
}

std::optional<Identity> Api::authenticate(const Request& r) {
    auto token = r.cookie(kSessionCookie);
    if (!token || token->empty()) return std::nullopt;
    auto session = d_.store.sessionByTokenHash(auth::hashToken(*token), d_.nowMs());
    if (!session) return std::nullopt;
    auto user = d_.store.userById(session.value().userId);
    if (!user) return std::nullopt;
    return Identity{std::move(user).value(), std::move(session).value()};
}

core::Result<store::Meeting> Api::meeting(const std::string& id) {
    auto normalized = auth::normalizeMeetingId(id);
    if (!normalized) return core::makeError("no-such-meeting", "There is no meeting " + id + ".");
    auto m = d_.store.meetingById(*normalized);
    if (!m) return core::makeError("no-such-meeting", "There is no meeting " + id + ".");
    return m;
}

void Api::handle(const Request& r, Responder respond) {
    if (r.body.size() > kMaxBodyBytes)
        return respond(errorResponse(413, "too-large", "The request body is over 16 KiB."));
    std::optional<Identity> who = authenticate(r);
    if (isStateChanging(r.method)) {
        if (!sameOrigin(r))
            return respond(errorResponse(403, "csrf", "Cross-site request refused."));
        // A request riding on a session must prove it comes from our page.
        if (who && !auth::constantTimeEquals(r.header("x-csrf-token"), who->session.csrfToken))
            return respond(errorResponse(403, "csrf", "Missing or wrong X-CSRF-Token."));
    }
    // The requests that hash or verify a password answer from the hash worker.
    if (r.method == "POST") {
        if (r.path == "/api/register") return registerUser(r, std::move(respond));
        if (r.path == "/api/login") return login(r, std::move(respond));
        if (r.path == "/api/password/reset") return resetPassword(r, std::move(respond));
        if (r.path == "/api/me/password" && who) return changePassword(r, *who, std::move(respond));
    }
    respond(route(r, who));
}

Response Api::route(const Request& r, const std::optional<Identity>& who) {
    const std::string& p = r.path;
    const std::string& m = r.method;
    auto requireUser = [&]() -> std::optional<Response> {
        if (!who) return errorResponse(401, "unauthenticated", "Please sign in.");
        return std::nullopt;
    };

    auto postOnly = [&](const char* path) { return p == path && m != "POST"; };
    for (const char* path : {"/api/register", "/api/login", "/api/logout", "/api/password/forgot",
                             "/api/password/reset", "/api/me/password"})
        if (postOnly(path)) return errorResponse(405, "method-not-allowed", "Use POST.");
    if ((p == "/api/users" || p == "/api/history") && m != "GET")
        return errorResponse(405, "method-not-allowed", "Use GET.");
    if (p == "/api/logout") return logout(r, who);
    if (p == "/api/password/forgot") return forgotPassword(r);
    if (p == "/api/me") {
        if (auto e = requireUser()) return *e;
        if (m == "GET") return me(*who);
        if (m == "PATCH") return updateMe(r, *who);
        return errorResponse(405, "method-not-allowed", "Use GET or PATCH.");
    }
    if (p == "/api/me/password" && m == "POST") {
        if (auto e = requireUser()) return *e;
    }
    if (p == "/api/users" && m == "GET") {
        if (auto e = requireUser()) return *e;
        return searchUsers(r, *who);
    }
    if (p == "/api/history" && m == "GET") {
        if (auto e = requireUser()) return *e;
        return history(*who);
    }
    if (p == "/api/meetings") {
        if (auto e = requireUser()) return *e;
        if (m == "POST") return createMeeting(r, *who);
        if (m == "GET") return listMeetings(*who);
        return errorResponse(405, "method-not-allowed", "Use GET or POST.");
    }
    const std::string prefix = "/api/meetings/";
    if (p.rfind(prefix, 0) == 0 && m == "GET") {
        std::string rest = p.substr(prefix.size());
        auto slash = rest.find('/');
        if (slash == std::string::npos) return getMeeting(rest, who);
        if (rest.substr(slash) == "/chat") return chatPage(r, rest.substr(0, slash), who);
    }
    return errorResponse(404, "not-found", "No such API endpoint.");
}

Response Api::startSession(bool secure, const store::User& user, int status) {
    std::string token = auth::generateToken();
    store::Session s;
    s.tokenHash = auth::hashToken(token);
    s.userId = user.id;
    s.csrfToken = auth::generateCsrfToken();
    s.createdAt = d_.nowMs();
    s.expiresAt = s.createdAt + kSessionLifetimeMs;
    if (auto ok = d_.store.createSession(s); !ok) return storeError(ok.error());
    JsonWriter w;
    writeUser(w, "user", user);
    Response resp = json(status, w.str("csrfToken", s.csrfToken).finish());
    std::string cookie =
        std::string(kSessionCookie) + "=" + token +
        "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(kSessionLifetimeMs / 1000);
    if (secure) cookie += "; Secure";
    resp.headers.emplace_back("Set-Cookie", cookie);
    return resp;
}

void Api::registerUser(const Request& r, Responder respond) {
    auto doc = core::JsonDocument::parseObject(r.body);
    if (!doc) return respond(badRequest(doc.error().message));
    JsonReader in(doc.value().root());
    std::string email = lower(trim(in.string("email", 254)));
    std::string username = lower(trim(in.string("username", 64)));
    std::string displayName = trim(in.string("displayName", 1024));
    std::string password = in.string("password", auth::PasswordHasher::kMaxPasswordBytes);
    if (!in.ok()) return respond(badRequest(in.error()));
    if (!isPlausibleEmail(email)) return respond(badRequest("Please enter a valid email address."));
    if (!isValidUsername(username))
        return respond(badRequest("Usernames are 3-32 characters of a-z, 0-9, _ . and -."));
    if (!core::isValidText(displayName, 64))
        return respond(badRequest("Display names are 1-64 characters."));
    if (auto strong = auth::checkPasswordStrength(password, email, username); !strong)
        return respond(errorResponse(400, "weak-password", strong.error().message));
    // Every well-formed attempt counts, taken names too: it bounds both the hashing an address
    // can make us do and how fast it can probe which emails have accounts.
    // A busy server refuses before counting anything against the client.
    if (hashQueueFull()) return respond(busyResponse());
    const int64_t now = d_.nowMs();
    const std::string addressKey = "address:" + r.clientAddress;
    if (auto d = registrations_.check(addressKey, now); !d.allowed)
        return respond(rateLimitedResponse(
            d.retryAfterMs, "Too many accounts registered from your address. Try again later."));
    registrations_.recordFailure(addressKey, now);
    if (d_.store.userByEmail(email))
        return respond(
            errorResponse(409, "email-taken", "An account with this email already exists."));
    if (d_.store.userByUsername(username))
        return respond(errorResponse(409, "username-taken", "This username is taken."));
    auto hash = std::make_shared<core::Result<std::string>>(core::makeError("", ""));
    hashThenRespond(
        [hasher = &d_.hasher, hash, password] { *hash = hasher->hash(password); },
        [this, hash, respond, secure = d_.origin.secureCookies(r), email, username, displayName,
         address = r.clientAddress] {
            if (!*hash)
                return respond(errorResponse(500, "internal", "Could not secure the password."));
            // The names may have been taken while hashing: the store's constraints answer.
            auto user =
                d_.store.createUser({email, username, displayName, hash->value(), d_.nowMs()});
            if (!user) return respond(storeError(user.error()));
            g_message("account %s registered", username.c_str());
            // The address that created the account has a good history with it.
            d_.loginThrottle.trust("user:" + std::to_string(user.value().id), address, d_.nowMs());
            respond(startSession(secure, user.value(), 201));
        },
        respond);
}

void Api::login(const Request& r, Responder respond) {
    auto doc = core::JsonDocument::parseObject(r.body);
    if (!doc) return respond(badRequest(doc.error().message));
    JsonReader in(doc.value().root());
    std::string login = lower(trim(in.string("login", 254)));
    std::string password = in.string("password", auth::PasswordHasher::kMaxPasswordBytes);
    if (!in.ok()) return respond(badRequest(in.error()));
    // A busy server refuses before counting the attempt against the account.
    if (hashQueueFull()) return respond(busyResponse());
    const int64_t now = d_.nowMs();
    auto user = login.find('@') != std::string::npos ? d_.store.userByEmail(login)
                                                     : d_.store.userByUsername(login);
    // One key per account whichever name is typed; names of no account behave alike.
    std::string account = user ? "user:" + std::to_string(user.value().id) : "login:" + login;
    const std::string address = r.clientAddress;
    if (auto d = d_.loginThrottle.check(account, address, now); !d.allowed)
        return respond(
            rateLimitedResponse(d.retryAfterMs, "Too many failed sign-ins. Try again later."));
    auto attempt = d_.loginThrottle.recordAttempt(account, address, now);
    std::optional<std::string> stored;
    if (user) stored = user.value().passwordHash;
    auto good = std::make_shared<bool>(false);
    hashThenRespond(
        [this, good, password, stored] {
            // Verify against a real hash even for unknown accounts, so timing does not reveal
            // them.
            *good = d_.hasher.verify(password, stored ? *stored : dummyHash()) && stored;
        },
        [this, good, respond, secure = d_.origin.secureCookies(r), attempt,
         userId = user ? user.value().id : 0] {
            if (!*good)
                return respond(
                    errorResponse(401, "bad-credentials", "Wrong email/username or password."));
            auto fresh = d_.store.userById(userId);
            if (!fresh) return respond(storeError(fresh.error()));
            d_.loginThrottle.recordSuccess(attempt, d_.nowMs());
            respond(startSession(secure, fresh.value(), 200));
        },
        respond);
}

Response Api::logout(const Request& r, const std::optional<Identity>& who) {
    if (who) {
        // The token stops working either way (revoke below); a row left behind expires.
        if (auto deleted = d_.store.deleteSession(who->session.tokenHash); !deleted)
            g_warning("logout: cannot delete the session: %s", deleted.error().message.c_str());
        revoke(RevokedSessions{who->user.id, who->session.tokenHash, std::nullopt});
    }
    Response resp = noContent();
    std::string cookie =
        std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
    if (d_.origin.secureCookies(r)) cookie += "; Secure";
    resp.headers.emplace_back("Set-Cookie", cookie);
    return resp;
}

Response Api::me(const Identity& who) {
    JsonWriter w;
    writeUser(w, "user", who.user);
    return json(200, w.str("csrfToken", who.session.csrfToken).finish());
}

Response Api::updateMe(const Request& r, const Identity& who) {
    return withJsonBody(r, [&](JsonReader& in) -> Response {
        store::ProfileUpdate u;
        auto displayName = in.optString("displayName", 1024);
        auto username = in.optString("username", 64);
        auto email = in.optString("email", 254);
        if (!in.ok()) return badRequest(in.error());
        if (displayName) {
            u.displayName = trim(*displayName);
            if (!core::isValidText(*u.displayName, 64))
                return badRequest("Display names are 1-64 characters.");
        }
        if (username) {
            u.username = lower(trim(*username));
            if (!isValidUsername(*u.username))
                return badRequest("Usernames are 3-32 characters of a-z, 0-9, _ . and -.");
        }
        if (email) {
            u.email = lower(trim(*email));
            if (!isPlausibleEmail(*u.email))
                return badRequest("Please enter a valid email address.");
        }
        auto user = d_.store.updateUserProfile(who.user.id, u);
        if (!user) return storeError(user.error());
        JsonWriter w;
        writeUser(w, "user", user.value());
        return json(200, w.finish());
    });
}

void Api::changePassword(const Request& r, const Identity& who, Responder respond) {
    auto doc = core::JsonDocument::parseObject(r.body);
    if (!doc) return respond(badRequest(doc.error().message));
    JsonReader in(doc.value().root());
    std::string current = in.string("currentPassword", auth::PasswordHasher::kMaxPasswordBytes);
    std::string next = in.string("newPassword", auth::PasswordHasher::kMaxPasswordBytes);
    if (!in.ok()) return respond(badRequest(in.error()));
    if (auto strong = auth::checkPasswordStrength(next, who.user.email, who.user.username); !strong)
        return respond(errorResponse(400, "weak-password", strong.error().message));
    if (hashQueueFull()) return respond(busyResponse());
    // Guessing the current password through a stolen session counts like sign-in guesses.
    const std::string account = "user:" + std::to_string(who.user.id);
    const std::string address = r.clientAddress;
    if (auto d = d_.loginThrottle.check(account, address, d_.nowMs()); !d.allowed)
        return respond(
            rateLimitedResponse(d.retryAfterMs, "Too many wrong passwords. Try again later."));
    auto attempt = d_.loginThrottle.recordAttempt(account, address, d_.nowMs());
    struct Out {
        bool currentOk = false;
        core::Result<std::string> hash = core::makeError("", "");
    };
    auto out = std::make_shared<Out>();
    hashThenRespond(
        [hasher = &d_.hasher, out, current, next, stored = who.user.passwordHash] {
            out->currentOk = hasher->verify(current, stored);
            if (out->currentOk) out->hash = hasher->hash(next);
        },
        [this, out, respond, userId = who.user.id, keep = who.session.tokenHash, attempt] {
            if (!out->currentOk)
                return respond(errorResponse(403, "forbidden", "The current password is wrong."));
            d_.loginThrottle.recordSuccess(attempt, d_.nowMs());
            if (!out->hash)
                return respond(errorResponse(500, "internal", "Could not secure the password."));
            if (auto ok = d_.store.updatePassword(userId, out->hash.value()); !ok)
                return respond(storeError(ok.error()));
            // Revoked below either way; rows left behind expire.
            if (auto deleted = d_.store.deleteSessionsForUser(userId, keep); !deleted)
                g_warning("password change: cannot delete the other sessions: %s",
                          deleted.error().message.c_str());
            revoke(RevokedSessions{userId, std::nullopt, keep});
            respond(noContent());
        },
        respond);
}

Response Api::forgotPassword(const Request& r) {
    return withJsonBody(r, [&](JsonReader& in) -> Response {
        std::string email = lower(trim(in.string("email", 254)));
        if (!in.ok()) return badRequest(in.error());
        // Counted per address and per email whether or not the account exists, so the limit
        // reveals nothing either; it bounds the mail one client can make us send to anyone.
        const int64_t now = d_.nowMs();
        const std::string addressKey = "address:" + r.clientAddress;
        const std::string emailKey = "email:" + email;
        auto byAddress = resetsByAddress_.check(addressKey, now);
        auto byEmail = resetsByEmail_.check(emailKey, now);
        if (!byAddress.allowed || !byEmail.allowed)
            return rateLimitedResponse(std::max(byAddress.retryAfterMs, byEmail.retryAfterMs),
                                       "Too many reset requests. Try again later.");
        resetsByAddress_.recordFailure(addressKey, now);
        resetsByEmail_.recordFailure(emailKey, now);
        // Same answer whether or not the account exists (no account enumeration).
        Response accepted = json(202, "{}");
        auto user = d_.store.userByEmail(email);
        if (!user) return accepted;
        std::string token = auth::generateToken();
        store::ResetToken t{
            auth::hashToken(token), user.value().id, d_.nowMs() + kResetLifetimeMs, {}};
        if (auto ok = d_.store.createResetToken(t); !ok) return storeError(ok.error());
        std::string link = d_.publicUrl + "/reset.html?token=" + token;
        if (auto sent = d_.mailer.sendPasswordReset(user.value().email, link); !sent)
            g_warning("could not mail the reset link for %s: %s", user.value().email.c_str(),
                      sent.error().message.c_str());
        return accepted;
    });
}

void Api::resetPassword(const Request& r, Responder respond) {
    auto doc = core::JsonDocument::parseObject(r.body);
    if (!doc) return respond(badRequest(doc.error().message));
    JsonReader in(doc.value().root());
    std::string token = in.string("token", 256);
    std::string password = in.string("password", auth::PasswordHasher::kMaxPasswordBytes);
    if (!in.ok()) return respond(badRequest(in.error()));
    // Check what can be checked before using up the token, so a weak password can be retried
    // with the same link (the account-specific rules follow once the token names the user).
    if (auto strong = auth::checkPasswordStrength(password, "", ""); !strong)
        return respond(errorResponse(400, "weak-password", strong.error().message));
    // Refuse a busy server before using up the link, so the user can retry with it.
    if (hashQueueFull()) return respond(busyResponse());
    auto consumed = d_.store.consumeResetToken(auth::hashToken(token), d_.nowMs());
    if (!consumed)
        return respond(errorResponse(
            400, "bad-token", "This reset link is invalid, used or expired. Ask for a new one."));
    auto account = d_.store.userById(consumed.value());
    if (!account) return respond(storeError(account.error()));
    if (auto strong =
            auth::checkPasswordStrength(password, account.value().email, account.value().username);
        !strong)
        return respond(errorResponse(400, "weak-password", strong.error().message));
    auto hash = std::make_shared<core::Result<std::string>>(core::makeError("", ""));
    hashThenRespond(
        [hasher = &d_.hasher, hash, password] { *hash = hasher->hash(password); },
        [this, hash, respond, userId = account.value().id, username = account.value().username] {
            if (!*hash)
                return respond(errorResponse(500, "internal", "Could not secure the password."));
            if (auto ok = d_.store.updatePassword(userId, hash->value()); !ok)
                return respond(storeError(ok.error()));
            // Revoked below either way; rows left behind expire.
            if (auto deleted = d_.store.deleteSessionsForUser(userId, std::nullopt); !deleted)
                g_warning("password reset: cannot delete the sessions: %s",
                          deleted.error().message.c_str());
            revoke(RevokedSessions{userId, std::nullopt, std::nullopt});
            g_message("password reset for account %s", username.c_str());
            respond(noContent());
        },
        respond);
}

Response Api::searchUsers(const Request& r, const Identity& who) {
    auto it = r.query.find("q");
    std::string q = trim(it == r.query.end() ? "" : it->second);
    // Enumeration policy (docs/security.md): signed-in users find others to call by a name
    // prefix of at least kMinSearchChars, kMaxSearchResults at a time, at most
    // kSearchesPerMinute searches a minute; emails are never shown.
    if (g_utf8_strlen(q.c_str(), -1) < kMinSearchChars)
        return errorResponse(
            400, "query-too-short",
            "Type at least " + std::to_string(kMinSearchChars) + " characters of a name.");
    const std::string key = "user:" + std::to_string(who.user.id);
    const int64_t now = d_.nowMs();
    if (auto d = searches_.check(key, now); !d.allowed)
        return rateLimitedResponse(d.retryAfterMs, "Too many searches. Try again in a minute.");
    searches_.recordFailure(key, now);
    JsonWriter w;
    w.beginArray("users");
    if (q.size() <= 64) {
        auto users = d_.store.searchUsers(q, kMaxSearchResults);
        if (!users) return storeError(users.error());
        for (const auto& u : users.value())
            w.beginObject(nullptr)
                .num("id", u.id)
                .str("username", u.username)
                .str("displayName", u.displayName)
                .boolean("online", d_.isOnline(u.id))
                .endObject();
    }
    return json(200, w.endArray().finish());
}

void Api::writeMeeting(JsonWriter& w, const char* key, const store::Meeting& m, bool isHost) {
    auto host = d_.store.userById(m.hostUserId);
    w.beginObject(key)
        .str("id", m.id)
        .str("title", m.title)
        .num("hostUserId", m.hostUserId)
        .str("hostName", host ? host.value().displayName : "")
        .boolean("allowGuests", m.allowGuests)
        .num("createdAt", m.createdAt)
        .str("link", "/m/" + m.id)
        .boolean("isHost", isHost)
        .endObject();
}

std::string Api::meetingJson(const store::Meeting& m, const std::optional<Identity>& who) {
    JsonWriter w;
    writeMeeting(w, "meeting", m, who && who->user.id == m.hostUserId);
    return w.finish();
}

core::Result<store::Meeting> Api::createMeetingFor(const store::User& host,
                                                   const std::string& title, bool allowGuests) {
    const int64_t now = d_.nowMs();
    const std::string key = "user:" + std::to_string(host.id);
    if (auto d = meetings_.check(key, now); !d.allowed)
        return core::makeError("rate-limited",
                               "You created " + std::to_string(d_.limits.meetingsPerHour) +
                                   " meetings in the last hour. Try again in " +
                                   std::to_string((d.retryAfterMs + 59999) / 60000) + " minutes.");
    auto m = createMeetingWithFreshId(d_.store, title, host.id, allowGuests, now);
    if (m) meetings_.recordFailure(key, now);
    return m;
}

Response Api::createMeeting(const Request& r, const Identity& who) {
    return withJsonBody(r, [&](JsonReader& in) -> Response {
        std::string title = trim(in.string("title", 1024));
        bool allowGuests = in.optBoolean("allowGuests").value_or(false);
        if (!in.ok()) return badRequest(in.error());
        if (!core::isValidText(title, 100))
            return badRequest("Meeting titles are 1-100 characters.");
        auto m = createMeetingFor(who.user, title, allowGuests);
        if (!m && m.error().code == "rate-limited")
            return rateLimitedResponse(
                meetings_.check("user:" + std::to_string(who.user.id), d_.nowMs()).retryAfterMs,
                m.error().message);
        if (!m) return storeError(m.error());
        return json(201, meetingJson(m.value(), who));
    });
}

core::Result<store::Meeting> Api::createMeetingWithFreshId(store::Store& store,
                                                           const std::string& title,
                                                           int64_t hostUserId, bool allowGuests,
                                                           int64_t nowMs) {
    store::Meeting m{"", title, hostUserId, allowGuests, nowMs};
    // ~47 bits per id: a collision is astronomically rare, but retry rather than fail.
    for (int attempt = 0; attempt < 5; ++attempt) {
        m.id = auth::generateMeetingId();
        auto ok = store.createMeeting(m);
        if (ok) return m;
        if (ok.error().code != store::errc::kConflictMeetingId) return ok.error();
    }
    return core::makeError(store::errc::kConflict, "could not allocate a meeting ID");
}

Response Api::listMeetings(const Identity& who) {
    auto meetings = d_.store.meetingsForUser(who.user.id, 100);
    if (!meetings) return storeError(meetings.error());
    JsonWriter w;
    w.beginArray("meetings");
    for (const auto& m : meetings.value()) writeMeeting(w, nullptr, m, who.user.id == m.hostUserId);
    return json(200, w.endArray().finish());
}

Response Api::getMeeting(const std::string& id, const std::optional<Identity>& who) {
    auto m = meeting(id);
    if (!m) return errorResponse(404, "no-such-meeting", m.error().message);
    if (!who && !m.value().allowGuests)
        return errorResponse(401, "unauthenticated", "Please sign in to join this meeting.");
    return json(200, meetingJson(m.value(), who));
}

Response Api::chatPage(const Request& r, const std::string& id,
                       const std::optional<Identity>& who) {
    auto m = meeting(id);
    if (!m) return errorResponse(404, "no-such-meeting", m.error().message);
    if (!who && !m.value().allowGuests)
        return errorResponse(401, "unauthenticated", "Please sign in.");
    std::optional<int64_t> before;
    int limit = 50;
    if (auto it = r.query.find("before"); it != r.query.end()) {
        gint64 v = g_ascii_strtoll(it->second.c_str(), nullptr, 10);
        if (v <= 0) return badRequest("'before' must be a message id");
        before = v;
    }
    if (auto it = r.query.find("limit"); it != r.query.end()) {
        gint64 v = g_ascii_strtoll(it->second.c_str(), nullptr, 10);
        if (v < 1 || v > 100) return badRequest("'limit' must be 1-100");
        limit = static_cast<int>(v);
    }
    auto page = d_.store.chatMessages(m.value().id, before, limit);
    if (!page) return storeError(page.error());
    JsonWriter w;
    w.beginArray("messages");
    const auto& msgs = page.value().messages;
    for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) {  // oldest first
        w.beginObject(nullptr).num("id", it->id);
        if (it->userId) w.num("userId", *it->userId);
        w.str("name", it->displayName).str("text", it->text).num("sentAt", it->sentAt).endObject();
    }
    w.endArray().boolean("hasMore", page.value().nextBeforeId.has_value());
    return json(200, w.finish());
}

Response Api::history(const Identity& who) {
    auto rows = d_.store.participationHistory(who.user.id, d_.nowMs(), 200);
    if (!rows) return storeError(rows.error());
    JsonWriter w;
    w.beginArray("history");
    for (const auto& h : rows.value()) {
        w.beginObject(nullptr)
            .str("meetingId", h.meetingId)
            .str("title", h.meetingTitle)
            .num("joinedAt", h.joinedAt);
        if (h.leftAt) w.num("leftAt", *h.leftAt);
        w.num("durationMs", h.durationMs).endObject();
    }
    return json(200, w.endArray().finish());
}

}  // namespace mixmeet::api
