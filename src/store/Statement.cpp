#include "store/Statement.h"

namespace mixmeet::store {

using core::makeError;

core::Result<Statement> Statement::prepare(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK || !stmt)
        return makeError("db", std::string("prepare: ") + sqlite3_errmsg(db));
    return Statement(db, std::move(stmt));
}

void Statement::check(int rc) {
    if (rc != SQLITE_OK && bindError_ == SQLITE_OK) bindError_ = rc;
}

void Statement::bindOne(int index, int64_t v) {
    check(sqlite3_bind_int64(stmt_.get(), index, v));
}

void Statement::bindOne(int index, std::string_view v) {
    // SQLITE_TRANSIENT: SQLite copies, so temporaries passed to bind() are fine.
    check(sqlite3_bind_text(stmt_.get(), index, v.data(), static_cast<int>(v.size()),
                            SQLITE_TRANSIENT));
}

void Statement::bindOne(int index, std::nullopt_t) {
    check(sqlite3_bind_null(stmt_.get(), index));
}

core::Result<bool> Statement::step() {
    if (bindError_ != SQLITE_OK)
        return makeError("db", std::string("bind: ") + sqlite3_errstr(bindError_));
    int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // sqlite3_step (v2 interface) returns the extended code directly.
    std::string message = sqlite3_errmsg(db_);
    switch (rc) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
            return makeError("conflict", message);
        case SQLITE_CONSTRAINT_FOREIGNKEY:
            return makeError("not-found", message);
        default:
            return makeError("db", message);
    }
}

core::Result<int> Statement::run() {
    for (;;) {
        auto r = step();
        if (!r) return r.error();
        if (!r.value()) break;
    }
    return sqlite3_changes(db_);
}

int64_t Statement::int64(int column) const {
    return sqlite3_column_int64(stmt_.get(), column);
}

std::optional<int64_t> Statement::optionalInt64(int column) const {
    if (isNull(column)) return std::nullopt;
    return int64(column);
}

std::string Statement::text(int column) const {
    const auto* p = sqlite3_column_text(stmt_.get(), column);
    int n = sqlite3_column_bytes(stmt_.get(), column);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
             : std::string();
}

bool Statement::isNull(int column) const {
    return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

core::Status execScript(sqlite3* db, const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string message = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        return makeError("db", message);
    }
    return core::Ok{};
}

}  // namespace mixmeet::store
