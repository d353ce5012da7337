// The SQLite schema, as an ordered list of migrations versioned in code. `PRAGMA user_version`
// holds the number of migrations applied; opening a database applies the missing ones, each in
// its own transaction together with the version bump, so a crash leaves a consistent version.
//
// Rules for adding one: append, never edit or reorder a shipped entry (databases in the field
// have run it). A migration that rebuilds a table must do the SQLite 12-step dance itself
// (foreign_keys cannot be switched inside a transaction).
#pragma once

#include <sqlite3.h>

#include <span>

#include "core/Result.h"

namespace mixmeet::store {

struct Migration {
    int version;              ///< 1-based; user_version after this migration ran.
    const char* description;  ///< For logs and errors.
    const char* sql;          ///< One or more statements, no parameters.
};

/// All migrations, in order; migrations()[i].version == i + 1.
std::span<const Migration> migrations();
/// The version a fully migrated database has.
int latestSchemaVersion();

/// PRAGMA user_version. Errors: "db".
core::Result<int> schemaVersion(sqlite3* db);
/// Applies the migrations after the current version up to `target` (default: latest).
/// Errors: "db" (a script failed: that migration is rolled back, earlier ones stay; or the
/// database is newer than this program knows).
core::Status migrate(sqlite3* db, int target = -1);

}  // namespace mixmeet::store
