// Store on one SQLite file. open() configures the connection (WAL, foreign keys, busy
// timeout) and applies the schema migrations (store/Migrations.h). Every query binds its
// values; none is built from input.
//
// Owns the connection. Not thread-safe: main thread only (the server's model lives there).
// Queries block that thread, which is fine for this size of data: WAL with synchronous=NORMAL
// makes a commit an append to the log with no fsync.
#pragma once

#include <memory>
#include <string>

#include "store/SqliteHandles.h"
#include "store/Statement.h"
#include "store/Store.h"

namespace mixmeet::store {

class SqliteStore final : public Store {
public:
    /// How long a statement waits for another connection's lock before failing with "db".
    static constexpr int kBusyTimeoutMs = 5000;

    /// Opens (creating if needed) the database at `path` (":memory:" for a private in-memory
    /// one) and migrates it to the latest schema. Errors: "db" (cannot open, not a database,
    /// schema newer than this program, a migration failed).
    static core::Result<std::unique_ptr<SqliteStore>> open(const std::string& path);

    /// The connection, for tests and diagnostics.
    sqlite3* handle() const { return db_.get(); }

    core::Result<User> createUser(const NewUser& user) override;
    core::Result<User> userById(int64_t id) override;
    core::Result<User> userByEmail(const std::string& email) override;
    core::Result<User> userByUsername(const std::string& username) override;
    core::Result<User> updateUserProfile(int64_t userId, const ProfileUpdate& update) override;
    core::Status updatePassword(int64_t userId, const std::string& passwordHash) override;
    core::Status setUserAdmin(int64_t userId, bool admin) override;
    core::Result<std::vector<UserSummary>> searchUsers(const std::string& prefix,
                                                       int limit) override;

    core::Status createSession(const Session& session) override;
    core::Result<Session> sessionByTokenHash(const std::string& tokenHash, int64_t nowMs) override;
    core::Status extendSession(const std::string& tokenHash, int64_t expiresAt) override;
    core::Status deleteSession(const std::string& tokenHash) override;
    core::Result<int> deleteSessionsForUser(
        int64_t userId, const std::optional<std::string>& keepTokenHash) override;
    core::Result<int> deleteExpiredSessions(int64_t nowMs) override;

    core::Status createMeeting(const Meeting& meeting) override;
    core::Result<Meeting> meetingById(const std::string& id) override;
    core::Result<std::vector<Meeting>> meetingsForUser(int64_t userId, int limit) override;

    core::Result<int64_t> openParticipation(const std::string& meetingId,
                                            std::optional<int64_t> userId,
                                            const std::string& displayName,
                                            int64_t joinedAt) override;
    core::Status closeParticipation(int64_t participationId, int64_t leftAt) override;
    core::Result<int> touchOpenParticipations(int64_t nowMs) override;
    core::Result<int> closeOpenParticipations(int64_t nowMs) override;
    core::Result<std::vector<Participation>> participationsForMeeting(
        const std::string& meetingId) override;
    core::Result<std::vector<HistoryRow>> participationHistory(int64_t userId, int64_t nowMs,
                                                               int limit) override;

    core::Result<int64_t> addChatMessage(const ChatMessage& message) override;
    core::Result<ChatPage> chatMessages(const std::string& meetingId,
                                        std::optional<int64_t> beforeId, int limit) override;

    core::Result<int64_t> createRecording(const Recording& recording) override;
    core::Status finishRecording(int64_t id, int64_t endedAt, int64_t durationMs,
                                 int64_t sizeBytes) override;
    core::Result<Recording> recordingById(int64_t id) override;
    core::Result<std::vector<Recording>> recordingsForMeeting(
        const std::string& meetingId) override;
    core::Result<std::vector<Recording>> openRecordings() override;
    core::Result<std::vector<Recording>> recordingsStartedBefore(int64_t beforeMs) override;
    core::Status deleteRecording(int64_t id) override;

    core::Status createResetToken(const ResetToken& token) override;
    core::Result<int64_t> consumeResetToken(const std::string& tokenHash, int64_t nowMs) override;
    core::Result<int> deleteExpiredResetTokens(int64_t nowMs) override;

private:
    explicit SqliteStore(DbPtr db) : db_(std::move(db)) {}

    /// Compiles `sql` and binds `args` to its parameters 1..N (Statement::bind). Prepared per
    /// call rather than cached: simpler, and compiling these small statements costs
    /// microseconds next to the disk write.
    template <typename... Args>
    core::Result<Statement> prepare(std::string_view sql, const Args&... args) {
        auto stmt = Statement::prepare(db_.get(), sql);
        if (stmt) stmt.value().bind(args...);
        return stmt;
    }
    /// prepare() and run to completion; returns the number of rows changed. Errors as
    /// Statement::step().
    template <typename... Args>
    core::Result<int> exec(std::string_view sql, const Args&... args) {
        auto stmt = prepare(sql, args...);
        if (!stmt) return stmt.error();
        return stmt.value().run();
    }

    // Allocated by this.
    DbPtr db_;
};

}  // namespace mixmeet::store
