// RAII owners for SQLite handles. The only place that calls sqlite3_close_v2 and
// sqlite3_finalize.
#pragma once

#include <sqlite3.h>

#include <memory>

namespace mixmeet::store {

struct DbCloser {
    // close_v2: a statement still alive by mistake defers the close instead of leaking it.
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

/// Owning database connection.
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
/// Owning prepared statement.
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

}  // namespace mixmeet::store
