#include "store/Transaction.h"

#include <utility>

#include "store/Statement.h"

namespace mixmeet::store {

core::Result<Transaction> Transaction::begin(sqlite3* db) {
    auto r = execScript(db, "BEGIN IMMEDIATE");
    if (!r) return r.error();
    return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
    // Nothing to report to from a destructor; a failed rollback leaves SQLite to roll back
    // when the connection closes.
    if (db_ && !sqlite3_get_autocommit(db_)) (void)execScript(db_, "ROLLBACK");
}

core::Status Transaction::commit() {
    if (!db_) return core::makeError("db", "transaction already finished");
    auto r = execScript(db_, "COMMIT");
    if (r) db_ = nullptr;
    return r;
}

}  // namespace mixmeet::store
