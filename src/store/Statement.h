// A prepared SQLite statement with positional parameter binding and typed column reads.
// Values reach SQL only through sqlite3_bind_*: there is no way to splice text into a query.
// Owns its sqlite3_stmt; borrows the connection, which must outlive it. Main thread only.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/Result.h"
#include "store/SqliteHandles.h"

namespace mixmeet::store {

class Statement {
public:
    /// Compiles one SQL statement. Errors: "db" (syntax error, unknown table, ...).
    static core::Result<Statement> prepare(sqlite3* db, std::string_view sql);

    /// Binds parameters 1..N in order: int64_t/int/bool, std::string(_view)/const char*,
    /// std::optional of those (empty binds NULL), std::nullopt. A bind failure (a programming
    /// error) is remembered and reported by the next step().
    template <typename... Args>
    Statement& bind(const Args&... args) {
        int index = 1;
        (bindOne(index++, args), ...);
        return *this;
    }

    /// Runs one step: true when a row is available, false when done. Errors: "conflict" (a
    /// UNIQUE or PRIMARY KEY constraint; message names the column as "table.column"),
    /// "not-found" (a FOREIGN KEY constraint: the referenced row is missing), "db" (others).
    core::Result<bool> step();
    /// Steps to completion ignoring rows; returns sqlite3_changes(). Errors as step().
    core::Result<int> run();

    // Column reads of the current row (0-based), valid after step() returned true.
    int64_t int64(int column) const;
    std::optional<int64_t> optionalInt64(int column) const;
    std::string text(int column) const;
    bool isNull(int column) const;

    sqlite3_stmt* get() const { return stmt_.get(); }

private:
    Statement(sqlite3* db, StmtPtr stmt) : db_(db), stmt_(std::move(stmt)) {}

    void bindOne(int index, int64_t v);
    void bindOne(int index, int v) { bindOne(index, static_cast<int64_t>(v)); }
    void bindOne(int index, bool v) { bindOne(index, static_cast<int64_t>(v ? 1 : 0)); }
    void bindOne(int index, std::string_view v);
    void bindOne(int index, const std::string& v) { bindOne(index, std::string_view(v)); }
    void bindOne(int index, const char* v) { bindOne(index, std::string_view(v)); }
    void bindOne(int index, std::nullopt_t);
    template <typename T>
    void bindOne(int index, const std::optional<T>& v) {
        if (v)
            bindOne(index, *v);
        else
            bindOne(index, std::nullopt);
    }
    void check(int rc);

    // Passed by argument.
    sqlite3* db_;
    // Allocated by this.
    StmtPtr stmt_;
    int bindError_ = SQLITE_OK;
};

/// Runs SQL text that may hold several statements and takes no parameters (schema scripts,
/// pragmas, BEGIN/COMMIT). Errors: "db".
core::Status execScript(sqlite3* db, const char* sql);

}  // namespace mixmeet::store
