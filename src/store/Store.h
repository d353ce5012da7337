// The persistence interface: accounts, sessions, meetings, participations (meeting history),
// chat messages and password-reset tokens. Abstract so a second backend can be added;
// SqliteStore is the one we ship.
//
// Conventions for every method:
// - All times are Unix epoch milliseconds, UTC (`int64_t`, named `...At` / `nowMs`). The store
//   never reads a clock: callers pass `now`, so tests control time.
// - Expected failures come back as core::Error with a code from store::errc; nothing throws.
// - Secrets are stored hashed: Session::tokenHash and ResetToken::tokenHash are
//   auth::hashToken() of the token the client holds; User::passwordHash is an Argon2id string
//   from auth::PasswordHasher. The store never sees a plaintext password or token.
// - Implementations are not thread-safe: call from the main thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"

namespace mixmeet::store {

/// Stable error codes of store operations (core::Error::code).
namespace errc {
/// Another account already uses this email (compared case-insensitively).
inline constexpr const char* kConflictEmail = "conflict-email";
/// Another account already uses this username (compared case-insensitively).
inline constexpr const char* kConflictUsername = "conflict-username";
/// A meeting with this id exists already: generate a new id and retry.
inline constexpr const char* kConflictMeetingId = "conflict-meeting-id";
/// Some other unique key collided (e.g. a session token hash); practically never happens.
inline constexpr const char* kConflict = "conflict";
/// The row asked for, or a row it refers to (user, meeting), does not exist.
inline constexpr const char* kNotFound = "not-found";
/// The session or reset token exists but `now >= expiresAt`.
inline constexpr const char* kExpired = "expired";
/// The reset token was consumed already (or invalidated by another reset of the same user).
inline constexpr const char* kUsed = "used";
/// An argument the store cannot accept (e.g. limit <= 0, empty required field).
inline constexpr const char* kInvalid = "invalid";
/// The database failed (I/O, corruption, schema newer than this program); message says why.
inline constexpr const char* kDb = "db";
}  // namespace errc

/// An account. `email` is stored lowercased; `username` keeps the case it was given but is
/// unique case-insensitively (ASCII case folding: callers should restrict usernames to ASCII).
struct User {
    int64_t id = 0;
    std::string email;
    std::string username;
    std::string displayName;
    std::string passwordHash;  ///< Argon2id PHC string ("$argon2id$..."). Never send to clients.
    int64_t createdAt = 0;     ///< Unix ms, UTC.
    /// Role "admin" (users.role, migration 5): the admin page and its API (docs/api.md,
    /// "Admin"). Set with `mixmeet set-role`.
    bool admin = false;
};

/// What createUser needs; the store assigns the id.
struct NewUser {
    std::string email;  ///< Lowercased by the store.
    std::string username;
    std::string displayName;
    std::string passwordHash;
    int64_t createdAt = 0;  ///< Unix ms, UTC.
};

/// A profile edit: only the fields that are set change.
struct ProfileUpdate {
    std::optional<std::string> displayName;
    std::optional<std::string> username;
    std::optional<std::string> email;  ///< Lowercased by the store.
};

/// What user search returns: public fields only (no email, no password hash).
struct UserSummary {
    int64_t id = 0;
    std::string username;
    std::string displayName;
};

/// A logged-in browser. The cookie holds the token; the store only its hash.
struct Session {
    std::string tokenHash;  ///< auth::hashToken(token): 64 hex chars.
    int64_t userId = 0;
    std::string csrfToken;  ///< Echoed by the page in a header on state-changing requests.
    int64_t createdAt = 0;  ///< Unix ms, UTC.
    int64_t expiresAt = 0;  ///< Unix ms, UTC; the session is invalid once now >= expiresAt.
};

/// A meeting, reachable at /m/<id>. Rooms of the media server are named by this id.
struct Meeting {
    std::string id;  ///< "abc-defg-hij" (auth::generateMeetingId()).
    std::string title;
    int64_t hostUserId = 0;
    bool allowGuests = false;  ///< Whether people without an account may join.
    int64_t createdAt = 0;     ///< Unix ms, UTC.
};

/// One stay of one person in a meeting (join to leave). Someone who rejoins gets a new row.
struct Participation {
    int64_t id = 0;
    std::string meetingId;
    /// Empty for guests (no account). Deviation from a plain int64: guests are recorded too so
    /// a meeting's attendance is complete; they just have no profile history.
    std::optional<int64_t> userId;
    std::string displayName;        ///< The name shown in the meeting at the time.
    int64_t joinedAt = 0;           ///< Unix ms, UTC.
    std::optional<int64_t> leftAt;  ///< Unix ms, UTC; empty while still in the meeting.
};

/// One participation (one join-to-leave stay) with its meeting's title: a row of the
/// profile's meeting history.
struct HistoryRow {
    int64_t participationId = 0;
    std::string meetingId;
    std::string meetingTitle;
    int64_t joinedAt = 0;           ///< Unix ms, UTC.
    std::optional<int64_t> leftAt;  ///< Unix ms, UTC; empty while still in the meeting.
    int64_t durationMs = 0;         ///< leftAt (or nowMs while open) - joinedAt, >= 0.
};

/// A chat line, persisted so late joiners and the history page can read it.
struct ChatMessage {
    int64_t id = 0;  ///< Assigned by the store; strictly increasing in insertion order.
    std::string meetingId;
    std::optional<int64_t> userId;  ///< Empty for guests.
    std::string displayName;        ///< Sender's name at the time.
    std::string text;
    int64_t sentAt = 0;  ///< Unix ms, UTC.
};

/// One page of chat, newest first.
struct ChatPage {
    std::vector<ChatMessage> messages;  ///< Ordered by id, descending.
    /// Pass as `beforeId` to get the next (older) page; empty when there are no older messages.
    std::optional<int64_t> nextBeforeId;
};

/// A recording of a meeting (docs/recording.md).
struct Recording {
    int64_t id = 0;  ///< Assigned by the store.
    std::string meetingId;
    std::optional<int64_t> startedBy;  ///< The host's user id.
    std::string path;                  ///< File on the server. Never send to clients.
    int64_t startedAt = 0;             ///< Unix ms, UTC.
    std::optional<int64_t> endedAt;    ///< Unix ms, UTC; empty while recording.
    int64_t durationMs = 0;            ///< Length of the media in the file.
    int64_t sizeBytes = 0;
};

/// A single-use password-reset token (sent by email as a link; stored hashed).
struct ResetToken {
    std::string tokenHash;  ///< auth::hashToken(token).
    int64_t userId = 0;
    int64_t expiresAt = 0;          ///< Unix ms, UTC; unusable once now >= expiresAt.
    std::optional<int64_t> usedAt;  ///< Unix ms, UTC; set when consumed.
};

class Store {
public:
    virtual ~Store() = default;

    // ---- Users ----

    /// Creates an account. Errors: kConflictEmail, kConflictUsername, kInvalid (empty email,
    /// username or password hash), kDb.
    virtual core::Result<User> createUser(const NewUser& user) = 0;
    /// Errors: kNotFound, kDb.
    virtual core::Result<User> userById(int64_t id) = 0;
    /// Case-insensitive. Errors: kNotFound, kDb.
    virtual core::Result<User> userByEmail(const std::string& email) = 0;
    /// Case-insensitive (ASCII). Errors: kNotFound, kDb.
    virtual core::Result<User> userByUsername(const std::string& username) = 0;
    /// Changes the set fields and returns the updated account. Errors: kNotFound,
    /// kConflictEmail, kConflictUsername, kInvalid (a set field is empty), kDb.
    virtual core::Result<User> updateUserProfile(int64_t userId, const ProfileUpdate& update) = 0;
    /// Errors: kNotFound, kInvalid (empty hash), kDb. Does not touch sessions: call
    /// deleteSessionsForUser as well.
    virtual core::Status updatePassword(int64_t userId, const std::string& passwordHash) = 0;
    /// Makes the account an admin or a plain user. Error "not-found" if there is no such user.
    virtual core::Status setUserAdmin(int64_t userId, bool admin) = 0;
    /// Accounts whose username or display name starts with `prefix` (case-insensitive, ASCII;
    /// `%` and `_` match literally), ordered by username, at most `limit` (1..100).
    /// Errors: kInvalid (empty prefix, bad limit), kDb.
    virtual core::Result<std::vector<UserSummary>> searchUsers(const std::string& prefix,
                                                               int limit) = 0;

    // ---- Sessions ----

    /// Errors: kNotFound (no such user), kConflict (token hash exists), kDb.
    virtual core::Status createSession(const Session& session) = 0;
    /// The session for a cookie. Errors: kNotFound, kExpired (now >= expiresAt; the row is
    /// left for deleteExpiredSessions), kDb.
    virtual core::Result<Session> sessionByTokenHash(const std::string& tokenHash,
                                                     int64_t nowMs) = 0;
    /// Moves the expiry (sliding sessions). Errors: kNotFound, kDb.
    virtual core::Status extendSession(const std::string& tokenHash, int64_t expiresAt) = 0;
    /// Logout. Deleting a session that does not exist is not an error. Errors: kDb.
    virtual core::Status deleteSession(const std::string& tokenHash) = 0;
    /// Logs a user out everywhere (password change/reset), except the session whose hash is
    /// `keepTokenHash` if given (std::nullopt: all of them). Returns how many were deleted.
    /// Errors: kDb.
    virtual core::Result<int> deleteSessionsForUser(
        int64_t userId, const std::optional<std::string>& keepTokenHash) = 0;
    /// Housekeeping: deletes sessions with expiresAt <= nowMs; returns how many. Errors: kDb.
    virtual core::Result<int> deleteExpiredSessions(int64_t nowMs) = 0;

    // ---- Meetings ----

    /// Errors: kConflictMeetingId (generate another id), kNotFound (no such host), kInvalid
    /// (empty id), kDb.
    virtual core::Status createMeeting(const Meeting& meeting) = 0;
    /// Errors: kNotFound, kDb.
    virtual core::Result<Meeting> meetingById(const std::string& id) = 0;
    /// Meetings the user hosts or has joined, newest (createdAt) first, at most `limit`
    /// (1..1000). Errors: kInvalid (bad limit), kDb.
    virtual core::Result<std::vector<Meeting>> meetingsForUser(int64_t userId, int limit) = 0;

    // ---- Participations (meeting history) ----

    /// Records a join; returns the participation id to pass to closeParticipation.
    /// `userId` empty for guests. Errors: kNotFound (no such meeting or user), kDb.
    virtual core::Result<int64_t> openParticipation(const std::string& meetingId,
                                                    std::optional<int64_t> userId,
                                                    const std::string& displayName,
                                                    int64_t joinedAt) = 0;
    /// Records the leave. `leftAt` earlier than the join is clamped to the join time.
    /// Errors: kNotFound (no such participation, or it is closed already), kDb.
    virtual core::Status closeParticipation(int64_t participationId, int64_t leftAt) = 0;
    /// Liveness mark: sets lastSeenAt = nowMs on every open participation. The server calls it
    /// periodically (e.g. every 60 s) so crash recovery knows when people were last there.
    /// Returns how many rows were touched. Errors: kDb.
    virtual core::Result<int> touchOpenParticipations(int64_t nowMs) = 0;
    /// Crash recovery, called once at start-up before any meeting runs: closes every
    /// participation left open by a previous process. Each gets leftAt = its last liveness
    /// mark (lastSeenAt, which starts at joinedAt), clamped to [joinedAt, nowMs] — not nowMs,
    /// which would credit people with the whole downtime. The error is at most one touch
    /// interval. Returns how many were closed. Errors: kDb.
    virtual core::Result<int> closeOpenParticipations(int64_t nowMs) = 0;
    /// All participations in a meeting, in join order. Errors: kDb.
    virtual core::Result<std::vector<Participation>> participationsForMeeting(
        const std::string& meetingId) = 0;
    /// The user's participations, one row per stay, most recent join first, at most `limit`
    /// (1..1000). Errors: kInvalid (bad limit), kDb.
    virtual core::Result<std::vector<HistoryRow>> participationHistory(int64_t userId,
                                                                       int64_t nowMs,
                                                                       int limit) = 0;

    // ---- Chat ----

    /// Stores a message (its `id` is ignored) and returns the new id. Errors: kNotFound (no
    /// such meeting or user), kDb.
    virtual core::Result<int64_t> addChatMessage(const ChatMessage& message) = 0;
    /// A page of at most `limit` (1..500) messages, newest first: those with id < beforeId,
    /// or the newest ones when beforeId is empty. Pages never overlap and the order is stable
    /// (by id, not sentAt, so clock jumps cannot reorder). Errors: kInvalid (bad limit), kDb.
    virtual core::Result<ChatPage> chatMessages(const std::string& meetingId,
                                                std::optional<int64_t> beforeId, int limit) = 0;

    // ---- Recordings ----

    /// Stores a recording that starts (its `id` is ignored); returns the new id. Errors:
    /// kNotFound (no such meeting or user), kDb.
    virtual core::Result<int64_t> createRecording(const Recording& recording) = 0;
    /// Closes a recording: endedAt, durationMs and sizeBytes. Errors: kNotFound, kDb.
    virtual core::Status finishRecording(int64_t id, int64_t endedAt, int64_t durationMs,
                                         int64_t sizeBytes) = 0;
    /// Errors: kNotFound, kDb.
    virtual core::Result<Recording> recordingById(int64_t id) = 0;
    /// A meeting's recordings, oldest first. Errors: kDb.
    virtual core::Result<std::vector<Recording>> recordingsForMeeting(
        const std::string& meetingId) = 0;
    /// Recordings not closed (endedAt empty): at start-up, those a crash left. Errors: kDb.
    virtual core::Result<std::vector<Recording>> openRecordings() = 0;
    /// Closed recordings that started before `beforeMs` (retention). Errors: kDb.
    virtual core::Result<std::vector<Recording>> recordingsStartedBefore(int64_t beforeMs) = 0;
    /// Deleting one that does not exist is not an error. Errors: kDb.
    virtual core::Status deleteRecording(int64_t id) = 0;

    // ---- Password reset ----

    /// Errors: kNotFound (no such user), kConflict (hash exists), kDb.
    virtual core::Status createResetToken(const ResetToken& token) = 0;
    /// Uses a reset token: atomically checks it is unused and unexpired and marks it used
    /// (usedAt = nowMs); every other unused token of the same user is invalidated too, so an
    /// older emailed link cannot be used after a reset. Returns the user id.
    /// Errors: kNotFound, kExpired, kUsed, kDb.
    virtual core::Result<int64_t> consumeResetToken(const std::string& tokenHash,
                                                    int64_t nowMs) = 0;
    /// Housekeeping: deletes tokens that expired at or before nowMs; returns how many.
    virtual core::Result<int> deleteExpiredResetTokens(int64_t nowMs) = 0;
};

}  // namespace mixmeet::store
