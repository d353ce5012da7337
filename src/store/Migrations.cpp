#include "store/Migrations.h"

#include <string>

#include "store/Statement.h"
#include "store/Transaction.h"

namespace mixmeet::store {

using core::makeError;

namespace {

// Times are INTEGER Unix milliseconds, UTC. Booleans are INTEGER 0/1.
constexpr Migration kMigrations[] = {
    {1, "users, sessions, meetings, participations", R"sql(
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,  -- stored lowercased
    username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE meetings (
    id           TEXT    PRIMARY KEY,
    title        TEXT    NOT NULL,
    host_user_id INTEGER NOT NULL REFERENCES users(id),
    allow_guests INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE INDEX meetings_host ON meetings(host_user_id, created_at);

CREATE TABLE participations (
    id           INTEGER PRIMARY KEY,
    meeting_id   TEXT    NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- NULL: guest
    display_name TEXT    NOT NULL,
    joined_at    INTEGER NOT NULL,
    left_at      INTEGER                                          -- NULL: still there
);
CREATE INDEX participations_user ON participations(user_id, meeting_id, joined_at);
CREATE INDEX participations_meeting ON participations(meeting_id, joined_at);
CREATE INDEX participations_open ON participations(left_at) WHERE left_at IS NULL;
)sql"},
    {2, "chat messages", R"sql(
-- AUTOINCREMENT: ids never reused, so `before` cursors stay valid even after deletions.
CREATE TABLE chat_messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_id   TEXT    NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- NULL: guest
    display_name TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    sent_at      INTEGER NOT NULL
);
CREATE INDEX chat_messages_meeting ON chat_messages(meeting_id, id);
)sql"},
    {3, "password reset tokens; participation liveness for crash recovery", R"sql(
CREATE TABLE reset_tokens (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) WITHOUT ROWID;
CREATE INDEX reset_tokens_user ON reset_tokens(user_id);
CREATE INDEX reset_tokens_expiry ON reset_tokens(expires_at);

ALTER TABLE participations ADD COLUMN last_seen_at INTEGER;
UPDATE participations SET last_seen_at = COALESCE(left_at, joined_at);
)sql"},
    {4, "recordings", R"sql(
CREATE TABLE recordings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_id  TEXT    NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    started_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    path        TEXT    NOT NULL,             -- on the server; never sent to clients
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,                      -- NULL: recording, or left by a crash
    duration_ms INTEGER NOT NULL DEFAULT 0,
    size_bytes  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX recordings_meeting ON recordings(meeting_id, started_at);
CREATE INDEX recordings_open ON recordings(ended_at) WHERE ended_at IS NULL;
)sql"},
    {5, "account roles (admin)", R"sql(
-- 'admin': may see every live room and end meetings or remove participants (/admin).
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin'));
)sql"},
};

}  // namespace

std::span<const Migration> migrations() {
    return kMigrations;
}

int latestSchemaVersion() {
    return static_cast<int>(std::size(kMigrations));
}

core::Result<int> schemaVersion(sqlite3* db) {
    auto stmt = Statement::prepare(db, "PRAGMA user_version");
    if (!stmt) return stmt.error();
    auto row = stmt.value().step();
    if (!row) return row.error();
    if (!row.value()) return makeError("db", "PRAGMA user_version returned no row");
    return static_cast<int>(stmt.value().int64(0));
}

core::Status migrate(sqlite3* db, int target) {
    const int latest = latestSchemaVersion();
    if (target < 0) target = latest;
    auto current = schemaVersion(db);
    if (!current) return current.error();
    if (current.value() > latest)
        return makeError("db", "database schema version " + std::to_string(current.value()) +
                                   " is newer than this program's (" + std::to_string(latest) +
                                   ")");
    for (const Migration& m : migrations()) {
        if (m.version <= current.value() || m.version > target) continue;
        auto tx = Transaction::begin(db);
        if (!tx) return tx.error();
        auto applied = execScript(db, m.sql);
        if (!applied)
            return makeError("db", "migration " + std::to_string(m.version) + " (" + m.description +
                                       "): " + applied.error().message);
        // PRAGMA takes no parameters; the value is our own integer, not input.
        auto bumped =
            execScript(db, ("PRAGMA user_version = " + std::to_string(m.version)).c_str());
        if (!bumped) return bumped.error();
        auto committed = tx.value().commit();
        if (!committed) return committed.error();
    }
    return core::Ok{};
}

}  // namespace mixmeet::store
