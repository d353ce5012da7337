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

bool Api::sameOrigin(const Request& r) {
    std::string origin = r.header("origin");
    if (origin.empty()) return true;  // Not a browser-initiated cross-site request.
    std::string host = r.header("host");
    return !host.empty() && origin == std::string(r.tls ? "https://" : "http://") + host;
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

Response Api::handle(const Request& r) {
    if (r.body.size() > kMaxBodyBytes)
        return errorResponse(413, "too-large", "The request body is over 16 KiB.");
    std::optional<Identity> who = authenticate(r);
    if (isStateChanging(r.method)) {
        if (!sameOrigin(r)) return errorResponse(403, "csrf", "Cross-site request refused.");
        // A request riding on a session must prove it comes from our page.
        if (who && !auth::constantTimeEquals(r.header("x-csrf-token"), who->session.csrfToken))
            return errorResponse(403, "csrf", "Missing or wrong X-CSRF-Token.");
    }
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
    if (p == "/api/register") return registerUser(r);
    if (p == "/api/login") return login(r);
    if (p == "/api/logout") return logout(r, who);
    if (p == "/api/password/forgot") return forgotPassword(r);
    if (p == "/api/password/reset") return resetPassword(r);
    if (p == "/api/me") {
        if (auto e = requireUser()) return *e;
        if (m == "GET") return me(*who);
        if (m == "PATCH") return updateMe(r, *who);
        return errorResponse(405, "method-not-allowed", "Use GET or PATCH.");
    }
    if (p == "/api/me/password" && m == "POST") {
        if (auto e = requireUser()) return *e;
        return changePassword(r, *who);
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

Response Api::startSession(const Request& r, const store::User& user, int status) {
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
    if (r.tls) cookie += "; Secure";
    resp.headers.emplace_back("Set-Cookie", cookie);
    return resp;
}

Response Api::registerUser(const Request& r) {
    return withJsonBody(r, [&](JsonReader& in) -> Response {
        std::string email = lower(trim(in.string("email", 254)));
        std::string username = lower(trim(in.string("username", 64)));
        std::string displayName = trim(in.string("displayName", 1024));
        std::string password = in.string("password", auth::PasswordHasher::kMaxPasswordBytes);
        if (!in.ok()) return badRequest(in.error());
        if (!isPlausibleEmail(email)) return badRequest("Please enter a valid email address.");
        if (!isValidUsername(username))
            return badRequest("Usernames are 3-32 characters of a-z, 0-9, _ . and -.");
        if (!core::isValidText(displayName, 64))
            return badRequest("Display names are 1-64 characters.");
        if (auto strong = auth::checkPasswordStrength(password, email, username); !strong)
            return errorResponse(400, "weak-password", strong.error().message);
        if (d_.store.userByEmail(email))
            return errorResponse(409, "email-taken", "An account with this email already exists.");
        if (d_.store.userByUsername(username))
            return errorResponse(409, "username-taken", "This username is taken.");
        auto hash = d_.hasher.hash(password);
        if (!hash) return errorResponse(500, "internal", "Could not secure the password.");
        auto user = d_.store.createUser({email, username, displayName, hash.value(), d_.nowMs()});
        if (!user) return storeError(user.error());
        g_message("account %s registered", username.c_str());
        return startSession(r, user.value(), 201);
    });
}

Response Api::login(const Request& r) {
    return withJsonBody(r, [&](JsonReader& in) -> Response {
        std::string login = lower(trim(in.string("login", 254)));
        std::string password = in.string("password", auth::PasswordHasher::kMaxPasswordBytes);
        if (!in.ok()) return badRequest(in.error());
        const int64_t now = d_.nowMs();
        const std::string accountKey = "account:" + login;
        const std::string addressKey = "address:" + r.clientAddress;
        int64_t wait = std::max(d_.loginLimiter.check(accountKey, now).retryAfterMs,
                                d_.loginLimiter.check(addressKey, now).retryAfterMs);
        if (wait > 0) {
            Response resp =
                errorResponse(429, "rate-limited", "Too many failed sign-ins. Try again later.");
            JsonWriter w;
            w.beginObject("error")
                .str("code", "rate-limited")
                .str("message", "Too many failed sign-ins. Try again later.")
                .num("retryAfterMs", wait)
                .endObject()
                .num("retryAfterMs", wait);
            resp.body = w.finish();
            resp.headers.emplace_back("Retry-After", std::to_string((wait + 999) / 1000));
            return resp;
        }
        auto user = login.find('@') != std::string::npos ? d_.store.userByEmail(login)
                                                         : d_.store.userByUsername(login);
        // Verify against a real hash even for unknown accounts, so timing does not reveal them.
        static const std::string dummy = d_.hasher.hash("not-a-real-password-0").value();
        bool good = d_.hasher.verify(password, user ? user.value().passwordHash : dummy) && user;
        if (!good) {
            d_.loginLimiter.recordFailure(accountKey, now);
            d_.loginLimiter.recordFailure(addressKey, now);
            return errorResponse(401, "bad-credentials", "Wrong email/username or password.");
        }
        d_.loginLimiter.reset(accountKey);
        return startSession(r, user.value(), 200);
    });
}

Response Api::logout(const Request& r, const std::optional<Identity>& who) {
    if (who) d_.store.deleteSession(who->session.tokenHash);
    Response resp = noContent();
    std::string cookie =
        std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
    if (r.tls) cookie += "; Secure";
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

Response Api::changePassword(const Request& r, const Identity& who) {
    return withJsonBody(r, [&](JsonReader& in) -> Response {
        std::string current = in.string("currentPassword", auth::PasswordHasher::kMaxPasswordBytes);
        std::string next = in.string("newPassword", auth::PasswordHasher::kMaxPasswordBytes);
        if (!in.ok()) return badRequest(in.error());
        if (!d_.hasher.verify(current, who.user.passwordHash))
            return errorResponse(403, "forbidden", "The current password is wrong.");
        if (auto strong = auth::checkPasswordStrength(next, who.user.email, who.user.username);
            !strong)
            return errorResponse(400, "weak-password", strong.error().message);
        auto hash = d_.hasher.hash(next);
        if (!hash) return errorResponse(500, "internal", "Could not secure the password.");
        if (auto ok = d_.store.updatePassword(who.user.id, hash.value()); !ok)
            return storeError(ok.error());
        d_.store.deleteSessionsForUser(who.user.id, who.session.tokenHash);
        return noContent();
    });
}

Response Api::forgotPassword(const Request& r) {
    return withJsonBody(r, [&](JsonReader& in) -> Response {
        std::string email = lower(trim(in.string("email", 254)));
        if (!in.ok()) return badRequest(in.error());
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

Response Api::resetPassword(const Request& r) {
    return withJsonBody(r, [&](JsonReader& in) -> Response {
        std::string token = in.string("token", 256);
        std::string password = in.string("password", auth::PasswordHasher::kMaxPasswordBytes);
        if (!in.ok()) return badRequest(in.error());
        // Check what can be checked before using up the token, so a weak password can be retried
        // with the same link (the account-specific rules follow once the token names the user).
        if (auto strong = auth::checkPasswordStrength(password, "", ""); !strong)
            return errorResponse(400, "weak-password", strong.error().message);
        auto consumed = d_.store.consumeResetToken(auth::hashToken(token), d_.nowMs());
        if (!consumed)
            return errorResponse(400, "bad-token",
                                 "This reset link is invalid, used or expired. Ask for a new one.");
        auto account = d_.store.userById(consumed.value());
        if (!account) return storeError(account.error());
        if (auto strong = auth::checkPasswordStrength(password, account.value().email,
                                                      account.value().username);
            !strong)
            return errorResponse(400, "weak-password", strong.error().message);
        auto hash = d_.hasher.hash(password);
        if (!hash) return errorResponse(500, "internal", "Could not secure the password.");
        if (auto ok = d_.store.updatePassword(account.value().id, hash.value()); !ok)
            return storeError(ok.error());
        d_.store.deleteSessionsForUser(account.value().id, std::nullopt);
        g_message("password reset for account %s", account.value().username.c_str());
        return noContent();
    });
}

Response Api::searchUsers(const Request& r, const Identity&) {
    auto it = r.query.find("q");
    std::string q = it == r.query.end() ? "" : trim(it->second);
    JsonWriter w;
    w.beginArray("users");
    if (!q.empty() && q.size() <= 64) {
        auto users = d_.store.searchUsers(q, 20);
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

Response Api::createMeeting(const Request& r, const Identity& who) {
    return withJsonBody(r, [&](JsonReader& in) -> Response {
        std::string title = trim(in.string("title", 1024));
        bool allowGuests = in.optBoolean("allowGuests").value_or(false);
        if (!in.ok()) return badRequest(in.error());
        if (!core::isValidText(title, 100))
            return badRequest("Meeting titles are 1-100 characters.");
        auto m = createMeetingWithFreshId(d_.store, title, who.user.id, allowGuests, d_.nowMs());
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
