// Scope guard for an SQLite write transaction: BEGIN IMMEDIATE on begin(), ROLLBACK on
// destruction unless commit() succeeded. Borrows the connection. Main thread only.
#pragma once

#include <sqlite3.h>

#include "core/Result.h"

namespace mixmeet::store {

class Transaction {
public:
    /// IMMEDIATE takes the write lock up front, so a read-then-write transaction cannot fail
    /// half-way with SQLITE_BUSY (busy_timeout still applies to the BEGIN). Errors: "db".
    static core::Result<Transaction> begin(sqlite3* db);
    ~Transaction();
    Transaction(Transaction&& other) noexcept;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Transaction& operator=(Transaction&&) = delete;

    /// Errors: "db" (the transaction is then rolled back by the destructor).
    core::Status commit();

private:
    explicit Transaction(sqlite3* db) : db_(db) {}

    // Passed by argument; null once committed or moved from.
    sqlite3* db_;
};

}  // namespace mixmeet::store
