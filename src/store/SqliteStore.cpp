#include "store/SqliteStore.h"

#include <glib.h>

#include <limits>
#include <utility>

#include "core/GstPtr.h"
#include "store/Migrations.h"
#include "store/Transaction.h"

namespace mixmeet::store {

using core::Error;
using core::makeError;
using core::Result;
using core::Status;

namespace {

constexpr const char* kUserColumns =
    "SELECT id, email, username, display_name, password_hash, created_at, role FROM users ";

User readUser(const Statement& s) {
    return User{s.int64(0), s.text(1),  s.text(2),           s.text(3),
                s.text(4),  s.int64(5), s.text(6) == "admin"};
}

Meeting readMeeting(const Statement& s) {
    return Meeting{s.text(0), s.text(1), s.int64(2), s.int64(3) != 0, s.int64(4)};
}

/// Lowercases an email for storage and lookup (UTF-8 aware, unlike COLLATE NOCASE).
/// Empty for invalid UTF-8.
std::string normalizeEmail(const std::string& email) {
    if (!g_utf8_validate(email.data(), static_cast<gssize>(email.size()), nullptr)) return {};
    core::CharsPtr lower(g_utf8_strdown(email.data(), static_cast<gssize>(email.size())));
    return lower ? std::string(lower.get()) : std::string();
}

/// Turns the generic "conflict" of a UNIQUE violation on `users` into the column's code.
Error userConflict(Error e) {
    if (e.code != "conflict") return e;
    if (e.message.find("users.email") != std::string::npos)
        return makeError(errc::kConflictEmail, "an account with this email exists");
    if (e.message.find("users.username") != std::string::npos)
        return makeError(errc::kConflictUsername, "this username is taken");
    return e;
}

/// Escapes LIKE wildcards so user input matches literally (used with ESCAPE '\').
std::string escapeLike(const std::string& s) {
    std::string out;
    out.reserve(s.size() + 1);
    for (char c : s) {
        if (c == '\\' || c == '%' || c == '_') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

Status checkLimit(int limit, int max) {
    if (limit < 1 || limit > max)
        return makeError(errc::kInvalid, "limit must be between 1 and " + std::to_string(max));
    return core::Ok{};
}

/// Runs a statement expected to return at most one row, mapping it with `read`.
template <typename T, typename Read>
Result<T> one(Result<Statement>& stmt, Read read, const char* what) {
    if (!stmt) return stmt.error();
    auto row = stmt.value().step();
    if (!row) return row.error();
    if (!row.value()) return makeError(errc::kNotFound, std::string("no such ") + what);
    return read(stmt.value());
}

/// Runs a statement and maps every row with `read`.
template <typename T, typename Read>
Result<std::vector<T>> all(Result<Statement>& stmt, Read read) {
    if (!stmt) return stmt.error();
    std::vector<T> out;
    for (;;) {
        auto row = stmt.value().step();
        if (!row) return row.error();
        if (!row.value()) break;
        out.push_back(read(stmt.value()));
    }
    return out;
}

/// A single-value PRAGMA read, e.g. to check that a setting took effect.
Result<std::string> pragmaText(sqlite3* db, const char* sql) {
    auto stmt = Statement::prepare(db, sql);
    return one<std::string>(
        stmt, [](const Statement& s) { return s.text(0); }, "pragma value");
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
    sqlite3* raw = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    DbPtr db(raw);  // Even a failed open returns a handle to close.
    if (rc != SQLITE_OK)
        return makeError(errc::kDb, "cannot open " + path + ": " +
                                        (db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)));
    sqlite3_extended_result_codes(db.get(), 1);
    sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);

    // WAL: readers do not block the writer; synchronous=NORMAL is durable across process
    // crashes (only a power loss can drop the last commits). In-memory databases report
    // "memory" and that is fine.
    auto mode = pragmaText(db.get(), "PRAGMA journal_mode = WAL");
    if (!mode) return Error{errc::kDb, path + ": " + mode.error().message};
    if (mode.value() != "wal" && mode.value() != "memory")
        return makeError(errc::kDb,
                         path + ": cannot enable WAL (journal_mode " + mode.value() + ")");
    auto pragmas = execScript(db.get(), "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
    if (!pragmas) return Error{errc::kDb, path + ": " + pragmas.error().message};
    auto fk = pragmaText(db.get(), "PRAGMA foreign_keys");
    if (!fk || fk.value() != "1")
        return makeError(errc::kDb, "this SQLite cannot enforce foreign keys");

    auto migrated = migrate(db.get());
    if (!migrated) return Error{errc::kDb, path + ": " + migrated.error().message};
    return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db)));
}

// ---- Users ----

Result<User> SqliteStore::createUser(const NewUser& user) {
    std::string email = normalizeEmail(user.email);
    if (email.empty() || user.username.empty() || user.passwordHash.empty())
        return makeError(errc::kInvalid, "email, username and password hash are required");
    auto done = exec(
        "INSERT INTO users (email, username, display_name, password_hash, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        email, user.username, user.displayName, user.passwordHash, user.createdAt);
    if (!done) return userConflict(done.error());
    return User{sqlite3_last_insert_rowid(db_.get()),
                email,
                user.username,
                user.displayName,
                user.passwordHash,
                user.createdAt};
}

Result<User> SqliteStore::userById(int64_t id) {
    auto stmt = prepare(std::string(kUserColumns) + "WHERE id = ?", id);
    return one<User>(stmt, readUser, "user");
}

Result<User> SqliteStore::userByEmail(const std::string& email) {
    auto stmt = prepare(std::string(kUserColumns) + "WHERE email = ?", normalizeEmail(email));
    return one<User>(stmt, readUser, "user");
}

Result<User> SqliteStore::userByUsername(const std::string& username) {
    // The column's NOCASE collation applies to the comparison.
    auto stmt = prepare(std::string(kUserColumns) + "WHERE username = ?", username);
    return one<User>(stmt, readUser, "user");
}

Result<User> SqliteStore::updateUserProfile(int64_t userId, const ProfileUpdate& update) {
    std::optional<std::string> email;
    if (update.email) email = normalizeEmail(*update.email);
    if ((email && email->empty()) || (update.username && update.username->empty()) ||
        (update.displayName && update.displayName->empty()))
        return makeError(errc::kInvalid, "profile fields cannot be empty");
    auto tx = Transaction::begin(db_.get());
    if (!tx) return tx.error();
    auto n = exec(
        "UPDATE users SET display_name = COALESCE(?1, display_name), "
        "username = COALESCE(?2, username), email = COALESCE(?3, email) WHERE id = ?4",
        update.displayName, update.username, email, userId);
    if (!n) return userConflict(n.error());
    if (n.value() == 0) return makeError(errc::kNotFound, "no such user");
    auto user = userById(userId);
    if (!user) return user.error();
    auto committed = tx.value().commit();
    if (!committed) return committed.error();
    return user;
}

Status SqliteStore::updatePassword(int64_t userId, const std::string& passwordHash) {
    if (passwordHash.empty()) return makeError(errc::kInvalid, "empty password hash");
    auto n = exec("UPDATE users SET password_hash = ? WHERE id = ?", passwordHash, userId);
    if (!n) return n.error();
    if (n.value() == 0) return makeError(errc::kNotFound, "no such user");
    return core::Ok{};
}

Status SqliteStore::setUserAdmin(int64_t userId, bool admin) {
    auto n = exec("UPDATE users SET role = ? WHERE id = ?", std::string(admin ? "admin" : "user"),
                  userId);
    if (!n) return n.error();
    if (n.value() == 0) return makeError(errc::kNotFound, "no such user");
    return core::Ok{};
}

Result<std::vector<UserSummary>> SqliteStore::searchUsers(const std::string& prefix, int limit) {
    if (prefix.empty()) return makeError(errc::kInvalid, "empty search prefix");
    if (auto ok = checkLimit(limit, 100); !ok) return ok.error();
    // LIKE is ASCII case-insensitive. It scans the table (LIKE with ESCAPE cannot use the
    // index), which is fine for the account counts of one server.
    auto stmt = prepare(
        "SELECT id, username, display_name FROM users "
        "WHERE username LIKE ?1 ESCAPE '\\' OR display_name LIKE ?1 ESCAPE '\\' "
        "ORDER BY username LIMIT ?2",
        escapeLike(prefix) + "%", limit);
    return all<UserSummary>(stmt, [](const Statement& s) {
        return UserSummary{s.int64(0), s.text(1), s.text(2)};
    });
}

// ---- Sessions ----

Status SqliteStore::createSession(const Session& session) {
    auto n = exec(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        session.tokenHash, session.userId, session.csrfToken, session.createdAt, session.expiresAt);
    if (!n) return n.error();
    return core::Ok{};
}

Result<Session> SqliteStore::sessionByTokenHash(const std::string& tokenHash, int64_t nowMs) {
    auto stmt = prepare(
        "SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions "
        "WHERE token_hash = ?",
        tokenHash);
    auto session = one<Session>(
        stmt,
        [](const Statement& s) {
            return Session{s.text(0), s.int64(1), s.text(2), s.int64(3), s.int64(4)};
        },
        "session");
    if (session && nowMs >= session.value().expiresAt)
        return makeError(errc::kExpired, "session expired");
    return session;
}

Status SqliteStore::extendSession(const std::string& tokenHash, int64_t expiresAt) {
    auto n = exec("UPDATE sessions SET expires_at = ? WHERE token_hash = ?", expiresAt, tokenHash);
    if (!n) return n.error();
    if (n.value() == 0) return makeError(errc::kNotFound, "no such session");
    return core::Ok{};
}

Status SqliteStore::deleteSession(const std::string& tokenHash) {
    auto n = exec("DELETE FROM sessions WHERE token_hash = ?", tokenHash);
    if (!n) return n.error();
    return core::Ok{};
}

Result<int> SqliteStore::deleteSessionsForUser(int64_t userId,
                                               const std::optional<std::string>& keepTokenHash) {
    return exec("DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR token_hash <> ?2)",
                userId, keepTokenHash);
}

Result<int> SqliteStore::deleteExpiredSessions(int64_t nowMs) {
    return exec("DELETE FROM sessions WHERE expires_at <= ?", nowMs);
}

// ---- Meetings ----

Status SqliteStore::createMeeting(const Meeting& meeting) {
    if (meeting.id.empty()) return makeError(errc::kInvalid, "empty meeting id");
    auto n = exec(
        "INSERT INTO meetings (id, title, host_user_id, allow_guests, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        meeting.id, meeting.title, meeting.hostUserId, meeting.allowGuests, meeting.createdAt);
    if (!n) {
        if (n.error().code == "conflict")
            return makeError(errc::kConflictMeetingId, "meeting id in use");
        if (n.error().code == errc::kNotFound) return makeError(errc::kNotFound, "no such host");
        return n.error();
    }
    return core::Ok{};
}

Result<Meeting> SqliteStore::meetingById(const std::string& id) {
    auto stmt = prepare(
        "SELECT id, title, host_user_id, allow_guests, created_at FROM meetings WHERE id = ?", id);
    return one<Meeting>(stmt, readMeeting, "meeting");
}

Result<std::vector<Meeting>> SqliteStore::meetingsForUser(int64_t userId, int limit) {
    if (auto ok = checkLimit(limit, 1000); !ok) return ok.error();
    auto stmt = prepare(
        "SELECT id, title, host_user_id, allow_guests, created_at FROM meetings "
        "WHERE host_user_id = ?1 "
        "   OR id IN (SELECT meeting_id FROM participations WHERE user_id = ?1) "
        "ORDER BY created_at DESC, id LIMIT ?2",
        userId, limit);
    return all<Meeting>(stmt, readMeeting);
}

// ---- Participations ----

Result<int64_t> SqliteStore::openParticipation(const std::string& meetingId,
                                               std::optional<int64_t> userId,
                                               const std::string& displayName, int64_t joinedAt) {
    auto n = exec(
        "INSERT INTO participations (meeting_id, user_id, display_name, joined_at, "
        "last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        meetingId, userId, displayName, joinedAt);
    if (!n) {
        if (n.error().code == errc::kNotFound)
            return makeError(errc::kNotFound, "no such meeting or user");
        return n.error();
    }
    return sqlite3_last_insert_rowid(db_.get());
}

Status SqliteStore::closeParticipation(int64_t participationId, int64_t leftAt) {
    auto n = exec(
        "UPDATE participations SET left_at = MAX(?2, joined_at), "
        "last_seen_at = MAX(?2, joined_at) WHERE id = ?1 AND left_at IS NULL",
        participationId, leftAt);
    if (!n) return n.error();
    if (n.value() == 0) return makeError(errc::kNotFound, "no open participation with this id");
    return core::Ok{};
}

Result<int> SqliteStore::touchOpenParticipations(int64_t nowMs) {
    return exec("UPDATE participations SET last_seen_at = MAX(?1, joined_at) WHERE left_at IS NULL",
                nowMs);
}

Result<int> SqliteStore::closeOpenParticipations(int64_t nowMs) {
    // In SET, every right-hand side sees the row's old values.
    return exec(
        "UPDATE participations "
        "SET left_at = MAX(joined_at, MIN(COALESCE(last_seen_at, joined_at), ?1)), "
        "    last_seen_at = MAX(joined_at, MIN(COALESCE(last_seen_at, joined_at), ?1)) "
        "WHERE left_at IS NULL",
        nowMs);
}

Result<std::vector<Participation>> SqliteStore::participationsForMeeting(
    const std::string& meetingId) {
    auto stmt = prepare(
        "SELECT id, meeting_id, user_id, display_name, joined_at, left_at FROM participations "
        "WHERE meeting_id = ? ORDER BY joined_at, id",
        meetingId);
    return all<Participation>(stmt, [](const Statement& s) {
        return Participation{s.int64(0), s.text(1),  s.optionalInt64(2),
                             s.text(3),  s.int64(4), s.optionalInt64(5)};
    });
}

Result<std::vector<HistoryRow>> SqliteStore::participationHistory(int64_t userId, int64_t nowMs,
                                                                  int limit) {
    if (auto ok = checkLimit(limit, 1000); !ok) return ok.error();
    auto stmt = prepare(
        "SELECT p.id, m.id, m.title, p.joined_at, p.left_at "
        "FROM participations p JOIN meetings m ON m.id = p.meeting_id "
        "WHERE p.user_id = ? ORDER BY p.joined_at DESC, p.id DESC LIMIT ?",
        userId, limit);
    return all<HistoryRow>(stmt, [nowMs](const Statement& s) {
        HistoryRow r{s.int64(0), s.text(1), s.text(2), s.int64(3), s.optionalInt64(4), 0};
        r.durationMs = std::max<int64_t>(0, r.leftAt.value_or(nowMs) - r.joinedAt);
        return r;
    });
}

// ---- Chat ----

Result<int64_t> SqliteStore::addChatMessage(const ChatMessage& message) {
    auto n = exec(
        "INSERT INTO chat_messages (meeting_id, user_id, display_name, text, sent_at) "
        "VALUES (?, ?, ?, ?, ?)",
        message.meetingId, message.userId, message.displayName, message.text, message.sentAt);
    if (!n) {
        if (n.error().code == errc::kNotFound)
            return makeError(errc::kNotFound, "no such meeting or user");
        return n.error();
    }
    return sqlite3_last_insert_rowid(db_.get());
}

Result<ChatPage> SqliteStore::chatMessages(const std::string& meetingId,
                                           std::optional<int64_t> beforeId, int limit) {
    if (auto ok = checkLimit(limit, 500); !ok) return ok.error();
    // One row more than asked tells whether an older page exists. A missing cursor becomes
    // INT64_MAX rather than an OR in the WHERE, so the (meeting_id, id) index serves both.
    auto stmt = prepare(
        "SELECT id, meeting_id, user_id, display_name, text, sent_at FROM chat_messages "
        "WHERE meeting_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
        meetingId, beforeId.value_or(std::numeric_limits<int64_t>::max()), limit + 1);
    auto rows = all<ChatMessage>(stmt, [](const Statement& s) {
        return ChatMessage{s.int64(0), s.text(1), s.optionalInt64(2),
                           s.text(3),  s.text(4), s.int64(5)};
    });
    if (!rows) return rows.error();
    ChatPage page;
    page.messages = std::move(rows).value();
    if (page.messages.size() > static_cast<std::size_t>(limit)) {
        page.messages.pop_back();
        page.nextBeforeId = page.messages.back().id;
    }
    return page;
}

// ---- Recordings ----

namespace {
constexpr const char* kRecordingColumns =
    "SELECT id, meeting_id, started_by, path, started_at, ended_at, duration_ms, size_bytes "
    "FROM recordings ";
Recording readRecording(const Statement& s) {
    return Recording{s.int64(0), s.text(1),          s.optionalInt64(2), s.text(3),
                     s.int64(4), s.optionalInt64(5), s.int64(6),         s.int64(7)};
}
}  // namespace

Result<int64_t> SqliteStore::createRecording(const Recording& r) {
    auto n = exec(
        "INSERT INTO recordings (meeting_id, started_by, path, started_at) VALUES (?, ?, ?, ?)",
        r.meetingId, r.startedBy, r.path, r.startedAt);
    if (!n) {
        if (n.error().code == errc::kNotFound)
            return makeError(errc::kNotFound, "no such meeting or user");
        return n.error();
    }
    return sqlite3_last_insert_rowid(db_.get());
}

Status SqliteStore::finishRecording(int64_t id, int64_t endedAt, int64_t durationMs,
                                    int64_t sizeBytes) {
    auto n =
        exec("UPDATE recordings SET ended_at = ?, duration_ms = ?, size_bytes = ? WHERE id = ?",
             endedAt, durationMs, sizeBytes, id);
    if (!n) return n.error();
    if (n.value() == 0) return makeError(errc::kNotFound, "no such recording");
    return core::Ok{};
}

Result<Recording> SqliteStore::recordingById(int64_t id) {
    auto stmt = prepare(std::string(kRecordingColumns) + "WHERE id = ?", id);
    return one<Recording>(stmt, readRecording, "recording");
}

Result<std::vector<Recording>> SqliteStore::recordingsForMeeting(const std::string& meetingId) {
    auto stmt = prepare(
        std::string(kRecordingColumns) + "WHERE meeting_id = ? ORDER BY started_at, id", meetingId);
    return all<Recording>(stmt, readRecording);
}

Result<std::vector<Recording>> SqliteStore::openRecordings() {
    auto stmt = prepare(std::string(kRecordingColumns) + "WHERE ended_at IS NULL ORDER BY id");
    return all<Recording>(stmt, readRecording);
}

Result<std::vector<Recording>> SqliteStore::recordingsStartedBefore(int64_t beforeMs) {
    auto stmt = prepare(std::string(kRecordingColumns) +
                            "WHERE ended_at IS NOT NULL AND started_at < ? ORDER BY id",
                        beforeMs);
    return all<Recording>(stmt, readRecording);
}

Status SqliteStore::deleteRecording(int64_t id) {
    auto n = exec("DELETE FROM recordings WHERE id = ?", id);
    if (!n) return n.error();
    return core::Ok{};
}

// ---- Password reset ----

Status SqliteStore::createResetToken(const ResetToken& token) {
    auto n = exec(
        "INSERT INTO reset_tokens (token_hash, user_id, expires_at, used_at) "
        "VALUES (?, ?, ?, ?)",
        token.tokenHash, token.userId, token.expiresAt, token.usedAt);
    if (!n) return n.error();
    return core::Ok{};
}

Result<int64_t> SqliteStore::consumeResetToken(const std::string& tokenHash, int64_t nowMs) {
    // BEGIN IMMEDIATE holds the write lock from the check to the mark: two requests with the
    // same token cannot both pass.
    auto tx = Transaction::begin(db_.get());
    if (!tx) return tx.error();
    auto stmt = prepare(
        "SELECT user_id, expires_at, used_at FROM reset_tokens "
        "WHERE token_hash = ?",
        tokenHash);
    auto token = one<ResetToken>(
        stmt,
        [&](const Statement& s) {
            return ResetToken{tokenHash, s.int64(0), s.int64(1), s.optionalInt64(2)};
        },
        "reset token");
    if (!token) return token.error();
    if (token.value().usedAt) return makeError(errc::kUsed, "reset link already used");
    if (nowMs >= token.value().expiresAt) return makeError(errc::kExpired, "reset link expired");
    auto n = exec("UPDATE reset_tokens SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
                  nowMs, token.value().userId);
    if (!n) return n.error();
    auto committed = tx.value().commit();
    if (!committed) return committed.error();
    return token.value().userId;
}

Result<int> SqliteStore::deleteExpiredResetTokens(int64_t nowMs) {
    return exec("DELETE FROM reset_tokens WHERE expires_at <= ?", nowMs);
}

}  // namespace mixmeet::store
