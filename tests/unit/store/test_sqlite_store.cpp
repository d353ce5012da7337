#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "store/Migrations.h"
#include "store/SqliteHandles.h"
#include "store/SqliteStore.h"

using namespace mixmeet::store;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;  // Unix ms.
constexpr int64_t kMin = 60'000;

/// A fresh directory under the system temp dir, removed with its files on destruction.
class TempDir {
public:
    TempDir() {
        GError* err = nullptr;
        char* p = g_dir_make_tmp("mixmeet-store-XXXXXX", &err);
        REQUIRE(p != nullptr);
        path_ = p;
        g_free(p);
    }
    ~TempDir() {
        if (GDir* dir = g_dir_open(path_.c_str(), 0, nullptr)) {
            while (const char* name = g_dir_read_name(dir)) g_remove((path_ + "/" + name).c_str());
            g_dir_close(dir);
        }
        g_rmdir(path_.c_str());
    }
    std::string file(const char* name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::unique_ptr<SqliteStore> openStore(const std::string& path) {
    auto s = SqliteStore::open(path);
    INFO((s ? "" : s.error().message));
    REQUIRE(s.ok());
    return std::move(s).value();
}

User addUser(Store& s, const std::string& name) {
    auto u = s.createUser(
        NewUser{name + "@example.org", name, "User " + name, "$argon2id$fake-" + name, T0});
    INFO((u ? "" : u.error().message));
    REQUIRE(u.ok());
    return u.value();
}

void addMeeting(Store& s, const std::string& id, int64_t host, int64_t createdAt,
                const std::string& title = "Weekly") {
    auto r = s.createMeeting(Meeting{id, title, host, true, createdAt});
    INFO((r ? "" : r.error().message));
    REQUIRE(r.ok());
}

DbPtr rawOpen(const std::string& path) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open(path.c_str(), &raw);
    DbPtr db(raw);
    REQUIRE(rc == SQLITE_OK);
    return db;
}

void rawExec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
}

std::string pragma(sqlite3* db, const char* sql) {
    auto stmt = Statement::prepare(db, sql);
    REQUIRE(stmt.ok());
    auto row = stmt.value().step();
    REQUIRE(row.ok());
    REQUIRE(row.value());
    return stmt.value().text(0);
}

}  // namespace

TEST_CASE("a new database file is created at the latest schema, WAL, foreign keys on", "[store]") {
    TempDir dir;
    auto path = dir.file("mixmeet.db");
    {
        auto s = openStore(path);
        CHECK(schemaVersion(s->handle()).value() == latestSchemaVersion());
        CHECK(latestSchemaVersion() == static_cast<int>(migrations().size()));
        CHECK(pragma(s->handle(), "PRAGMA journal_mode") == "wal");
        CHECK(pragma(s->handle(), "PRAGMA foreign_keys") == "1");
        CHECK(pragma(s->handle(), "PRAGMA busy_timeout") ==
              std::to_string(SqliteStore::kBusyTimeoutMs));
        addUser(*s, "alice");
    }
    REQUIRE(g_file_test(path.c_str(), G_FILE_TEST_EXISTS));
    // Reopening an up-to-date database changes nothing and keeps the data.
    auto s = openStore(path);
    CHECK(schemaVersion(s->handle()).value() == latestSchemaVersion());
    CHECK(s->userByUsername("alice").ok());
}

TEST_CASE("migrations are numbered 1..N in order", "[store]") {
    int expected = 1;
    for (const Migration& m : migrations()) CHECK(m.version == expected++);
}

TEST_CASE("a version-1 database is upgraded in place and keeps its rows", "[store]") {
    TempDir dir;
    auto path = dir.file("old.db");
    {
        // What a server with only the first migration left behind.
        auto db = rawOpen(path);
        rawExec(db.get(), migrations()[0].sql);
        rawExec(db.get(), "PRAGMA user_version = 1");
        rawExec(db.get(),
                "INSERT INTO users (id, email, username, display_name, password_hash, "
                "created_at) VALUES (7, 'old@example.org', 'old', 'Old Timer', '$argon2id$x', "
                "1000)");
        rawExec(db.get(), "INSERT INTO meetings VALUES ('abc-defg-hij', 'Legacy', 7, 0, 2000)");
        rawExec(db.get(),
                "INSERT INTO participations (meeting_id, user_id, display_name, joined_at) "
                "VALUES ('abc-defg-hij', 7, 'Old Timer', 3000)");
        // Migration 1 has no chat table yet.
        auto stmt = Statement::prepare(db.get(), "SELECT count(*) FROM chat_messages");
        CHECK_FALSE(stmt.ok());
    }
    auto s = openStore(path);
    CHECK(schemaVersion(s->handle()).value() == latestSchemaVersion());
    auto u = s->userById(7);
    REQUIRE(u.ok());
    CHECK(u.value().email == "old@example.org");
    CHECK(u.value().displayName == "Old Timer");
    auto m = s->meetingById("abc-defg-hij");
    REQUIRE(m.ok());
    CHECK(m.value().title == "Legacy");
    // Migration 3 backfilled last_seen_at from joined_at, so crash recovery closes the old
    // open row at its join time.
    CHECK(pragma(s->handle(), "SELECT last_seen_at FROM participations") == "3000");
    CHECK(s->closeOpenParticipations(T0).value() == 1);
    auto parts = s->participationsForMeeting("abc-defg-hij");
    REQUIRE(parts.value().size() == 1);
    CHECK(parts.value()[0].leftAt == 3000);
    // Tables of later migrations work.
    CHECK(s->addChatMessage(ChatMessage{0, "abc-defg-hij", 7, "Old Timer", "hi", 4000}).ok());
    CHECK(s->createResetToken(ResetToken{"h", 7, T0, std::nullopt}).ok());
}

TEST_CASE("migrate() stops at a target version and resumes later", "[store]") {
    auto db = rawOpen(":memory:");
    REQUIRE(migrate(db.get(), 2).ok());
    CHECK(schemaVersion(db.get()).value() == 2);
    REQUIRE(migrate(db.get()).ok());
    CHECK(schemaVersion(db.get()).value() == latestSchemaVersion());
}

TEST_CASE("a database newer than this program, or not a database, is refused", "[store]") {
    TempDir dir;
    SECTION("newer schema") {
        auto path = dir.file("future.db");
        {
            auto db = rawOpen(path);
            rawExec(db.get(), "PRAGMA user_version = " + std::to_string(latestSchemaVersion() + 1));
        }
        auto s = SqliteStore::open(path);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().code == errc::kDb);
        CHECK_THAT(s.error().message, Catch::Contains("newer"));
    }
    SECTION("garbage file") {
        auto path = dir.file("garbage.db");
        REQUIRE(g_file_set_contents(path.c_str(), std::string(4096, 'x').c_str(), 4096, nullptr));
        auto s = SqliteStore::open(path);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().code == errc::kDb);
    }
    SECTION("directory that does not exist") {
        auto s = SqliteStore::open(dir.file("missing/dir/x.db"));
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().code == errc::kDb);
    }
}

TEST_CASE("users: create, look up case-insensitively, unique email and username", "[store]") {
    TempDir dir;
    auto s = openStore(dir.file("users.db"));
    auto created = s->createUser(NewUser{"Alice@Example.ORG", "Alice", "Alice A.", "$h1", T0});
    REQUIRE(created.ok());
    CHECK(created.value().id > 0);
    CHECK(created.value().email == "alice@example.org");  // Stored lowercased.

    CHECK(s->userById(created.value().id).value().username == "Alice");
    CHECK(s->userByEmail("ALICE@example.org").value().id == created.value().id);
    CHECK(s->userByUsername("aLiCe").value().id == created.value().id);
    CHECK(s->userById(999).error().code == errc::kNotFound);
    CHECK(s->userByEmail("nobody@example.org").error().code == errc::kNotFound);

    auto dupEmail = s->createUser(NewUser{"ALICE@EXAMPLE.org", "alice2", "A2", "$h", T0});
    REQUIRE_FALSE(dupEmail.ok());
    CHECK(dupEmail.error().code == errc::kConflictEmail);
    auto dupName = s->createUser(NewUser{"other@example.org", "ALICE", "A3", "$h", T0});
    REQUIRE_FALSE(dupName.ok());
    CHECK(dupName.error().code == errc::kConflictUsername);
    // Non-ASCII case folding of the email is ours (NOCASE only folds ASCII).
    REQUIRE(s->createUser(NewUser{"Émile@example.org", "emile", "Émile", "$h", T0}).ok());
    CHECK(s->createUser(NewUser{"émile@EXAMPLE.org", "emile2", "E", "$h", T0}).error().code ==
          errc::kConflictEmail);
    CHECK(s->createUser(NewUser{"", "x", "X", "$h", T0}).error().code == errc::kInvalid);
    CHECK(s->createUser(NewUser{"x@example.org", "x", "X", "", T0}).error().code == errc::kInvalid);
}

TEST_CASE("users: profile updates change only the given fields and report conflicts", "[store]") {
    TempDir dir;
    auto s = openStore(dir.file("profile.db"));
    User alice = addUser(*s, "alice");
    User bob = addUser(*s, "bob");

    auto renamed =
        s->updateUserProfile(alice.id, ProfileUpdate{"Alice Liddell", std::nullopt, std::nullopt});
    REQUIRE(renamed.ok());
    CHECK(renamed.value().displayName == "Alice Liddell");
    CHECK(renamed.value().username == "alice");
    CHECK(renamed.value().email == "alice@example.org");

    auto moved = s->updateUserProfile(
        alice.id, ProfileUpdate{std::nullopt, "alice_l", "ALICE.L@example.org"});
    REQUIRE(moved.ok());
    CHECK(moved.value().username == "alice_l");
    CHECK(moved.value().email == "alice.l@example.org");
    CHECK(s->userByEmail("alice.l@example.org").value().id == alice.id);

    CHECK(s->updateUserProfile(alice.id, ProfileUpdate{std::nullopt, "BOB", std::nullopt})
              .error()
              .code == errc::kConflictUsername);
    CHECK(
        s->updateUserProfile(alice.id, ProfileUpdate{std::nullopt, std::nullopt, "Bob@example.org"})
            .error()
            .code == errc::kConflictEmail);
    // A failed update changes nothing.
    CHECK(s->userById(alice.id).value().username == "alice_l");
    CHECK(s->updateUserProfile(999, ProfileUpdate{"X", std::nullopt, std::nullopt}).error().code ==
          errc::kNotFound);
    CHECK(
        s->updateUserProfile(bob.id, ProfileUpdate{"", std::nullopt, std::nullopt}).error().code ==
        errc::kInvalid);

    REQUIRE(s->updatePassword(bob.id, "$argon2id$new").ok());
    CHECK(s->userById(bob.id).value().passwordHash == "$argon2id$new");
    CHECK(s->updatePassword(999, "$argon2id$new").error().code == errc::kNotFound);
}

TEST_CASE("users: prefix search on username and display name, wildcards literal", "[store]") {
    auto s = openStore(":memory:");
    REQUIRE(s->createUser(NewUser{"a@x.org", "anna", "Anna Smith", "$h", T0}).ok());
    REQUIRE(s->createUser(NewUser{"b@x.org", "andrew", "Drew", "$h", T0}).ok());
    REQUIRE(s->createUser(NewUser{"c@x.org", "zed", "Annabel", "$h", T0}).ok());
    REQUIRE(s->createUser(NewUser{"d@x.org", "an_x", "Underscore", "$h", T0}).ok());

    auto r = s->searchUsers("AN", 10);
    REQUIRE(r.ok());
    std::vector<std::string> names;
    for (auto& u : r.value()) names.push_back(u.username);
    CHECK(names == std::vector<std::string>{"an_x", "andrew", "anna", "zed"});
    CHECK(s->searchUsers("an", 2).value().size() == 2);
    // "_" is not a wildcard: only an_x matches "an_".
    auto literal = s->searchUsers("an_", 10);
    REQUIRE(literal.value().size() == 1);
    CHECK(literal.value()[0].username == "an_x");
    CHECK(s->searchUsers("%", 10).value().empty());
    CHECK(s->searchUsers("", 10).error().code == errc::kInvalid);
    CHECK(s->searchUsers("a", 0).error().code == errc::kInvalid);
}

TEST_CASE("foreign keys: rows must refer to existing users and meetings", "[store]") {
    auto s = openStore(":memory:");
    User alice = addUser(*s, "alice");
    CHECK(s->createMeeting(Meeting{"abc-defg-hij", "T", 999, false, T0}).error().code ==
          errc::kNotFound);
    CHECK(s->createSession(Session{"hash", 999, "csrf", T0, T0 + kMin}).error().code ==
          errc::kNotFound);
    CHECK(s->openParticipation("nop-nope-nop", alice.id, "A", T0).error().code == errc::kNotFound);
    addMeeting(*s, "abc-defg-hij", alice.id, T0);
    CHECK(s->openParticipation("abc-defg-hij", 999, "A", T0).error().code == errc::kNotFound);
    CHECK(s->addChatMessage(ChatMessage{0, "nop-nope-nop", alice.id, "A", "x", T0}).error().code ==
          errc::kNotFound);
    CHECK(s->createResetToken(ResetToken{"h", 999, T0, std::nullopt}).error().code ==
          errc::kNotFound);
}

TEST_CASE("sessions: lookup, expiry, extension and deletion", "[store]") {
    TempDir dir;
    auto s = openStore(dir.file("sessions.db"));
    User alice = addUser(*s, "alice");
    User bob = addUser(*s, "bob");
    REQUIRE(s->createSession(Session{"h1", alice.id, "c1", T0, T0 + 10 * kMin}).ok());
    REQUIRE(s->createSession(Session{"h2", alice.id, "c2", T0, T0 + 20 * kMin}).ok());
    REQUIRE(s->createSession(Session{"h3", alice.id, "c3", T0, T0 + 30 * kMin}).ok());
    REQUIRE(s->createSession(Session{"hb", bob.id, "cb", T0, T0 + 5 * kMin}).ok());
    CHECK(s->createSession(Session{"h1", bob.id, "c", T0, T0 + kMin}).error().code ==
          errc::kConflict);

    auto found = s->sessionByTokenHash("h1", T0 + kMin);
    REQUIRE(found.ok());
    CHECK(found.value().userId == alice.id);
    CHECK(found.value().csrfToken == "c1");
    CHECK(found.value().createdAt == T0);
    CHECK(found.value().expiresAt == T0 + 10 * kMin);
    // Valid strictly before expiresAt.
    CHECK(s->sessionByTokenHash("h1", T0 + 10 * kMin - 1).ok());
    CHECK(s->sessionByTokenHash("h1", T0 + 10 * kMin).error().code == errc::kExpired);
    CHECK(s->sessionByTokenHash("nope", T0).error().code == errc::kNotFound);

    REQUIRE(s->extendSession("h1", T0 + 60 * kMin).ok());
    CHECK(s->sessionByTokenHash("h1", T0 + 59 * kMin).ok());
    CHECK(s->extendSession("nope", T0).error().code == errc::kNotFound);

    // Housekeeping removes hb (T0+5) and h2 (T0+20) at T0+25.
    CHECK(s->deleteExpiredSessions(T0 + 25 * kMin).value() == 2);
    CHECK(s->sessionByTokenHash("hb", T0).error().code == errc::kNotFound);
    CHECK(s->sessionByTokenHash("h3", T0).ok());

    // Password change: log out everywhere but here.
    CHECK(s->deleteSessionsForUser(alice.id, std::string("h3")).value() == 1);
    CHECK(s->sessionByTokenHash("h1", T0).error().code == errc::kNotFound);
    CHECK(s->sessionByTokenHash("h3", T0).ok());
    CHECK(s->deleteSessionsForUser(alice.id, std::nullopt).value() == 1);

    REQUIRE(s->createSession(Session{"h4", bob.id, "c4", T0, T0 + kMin}).ok());
    CHECK(s->deleteSession("h4").ok());
    CHECK(s->deleteSession("h4").ok());  // Idempotent logout.
    CHECK(s->sessionByTokenHash("h4", T0).error().code == errc::kNotFound);
}

TEST_CASE("meetings: create, find, id conflicts, a user's meetings newest first", "[store]") {
    auto s = openStore(":memory:");
    User alice = addUser(*s, "alice");
    User bob = addUser(*s, "bob");
    User carol = addUser(*s, "carol");
    REQUIRE(s->createMeeting(Meeting{"aaa-aaaa-aaa", "Standup", alice.id, true, T0}).ok());
    auto m = s->meetingById("aaa-aaaa-aaa");
    REQUIRE(m.ok());
    CHECK(m.value().title == "Standup");
    CHECK(m.value().hostUserId == alice.id);
    CHECK(m.value().allowGuests);
    CHECK(m.value().createdAt == T0);
    CHECK(s->meetingById("zzz-zzzz-zzz").error().code == errc::kNotFound);
    CHECK(s->createMeeting(Meeting{"aaa-aaaa-aaa", "Again", bob.id, false, T0}).error().code ==
          errc::kConflictMeetingId);
    CHECK(s->createMeeting(Meeting{"", "No id", bob.id, false, T0}).error().code == errc::kInvalid);

    addMeeting(*s, "bbb-bbbb-bbb", bob.id, T0 + 1 * kMin);    // Alice joins it.
    addMeeting(*s, "ccc-cccc-ccc", alice.id, T0 + 2 * kMin);  // Hosted, never joined.
    addMeeting(*s, "ddd-dddd-ddd", carol.id, T0 + 3 * kMin);  // Not Alice's.
    REQUIRE(s->openParticipation("bbb-bbbb-bbb", alice.id, "Alice", T0 + kMin).ok());
    REQUIRE(s->openParticipation("bbb-bbbb-bbb", alice.id, "Alice", T0 + kMin + 5).ok());

    auto mine = s->meetingsForUser(alice.id, 10);
    REQUIRE(mine.ok());
    std::vector<std::string> ids;
    for (auto& x : mine.value()) ids.push_back(x.id);
    CHECK(ids == std::vector<std::string>{"ccc-cccc-ccc", "bbb-bbbb-bbb", "aaa-aaaa-aaa"});
    CHECK(s->meetingsForUser(alice.id, 1).value().size() == 1);
    CHECK(s->meetingsForUser(carol.id, 10).value().size() == 1);
    CHECK(s->meetingsForUser(alice.id, 0).error().code == errc::kInvalid);
}

TEST_CASE("participations: open, close once, clamped leaves, guests recorded", "[store]") {
    TempDir dir;
    auto s = openStore(dir.file("history.db"));
    User alice = addUser(*s, "alice");
    User bob = addUser(*s, "bob");
    addMeeting(*s, "one-oneo-one", bob.id, T0, "First");
    addMeeting(*s, "thr-thre-thr", bob.id, T0, "Third");

    auto a1 = s->openParticipation("one-oneo-one", alice.id, "Alice", T0);
    auto a2 = s->openParticipation("one-oneo-one", alice.id, "Alice", T0 + 2 * kMin);
    auto a3 = s->openParticipation("one-oneo-one", alice.id, "Alice", T0 + 15 * kMin);
    REQUIRE((a1.ok() && a2.ok() && a3.ok()));
    REQUIRE(s->closeParticipation(a1.value(), T0 + 10 * kMin).ok());
    REQUIRE(s->closeParticipation(a2.value(), T0 + 8 * kMin).ok());
    REQUIRE(s->closeParticipation(a3.value(), T0 + 35 * kMin).ok());
    CHECK(s->closeParticipation(a3.value(), T0 + 40 * kMin).error().code == errc::kNotFound);
    CHECK(s->closeParticipation(12345, T0).error().code == errc::kNotFound);

    // Left "before" joining (clock jump) is clamped to the join time.
    auto b = s->openParticipation("thr-thre-thr", alice.id, "Alice", T0 + 50 * kMin);
    REQUIRE(s->closeParticipation(b.value(), T0 + 49 * kMin).ok());
    auto three = s->participationsForMeeting("thr-thre-thr");
    REQUIRE(three.value().size() == 1);
    CHECK(three.value()[0].leftAt == T0 + 50 * kMin);

    // Bob and a guest in meeting one are recorded too.
    REQUIRE(s->openParticipation("one-oneo-one", bob.id, "Bob", T0).ok());
    auto guest = s->openParticipation("one-oneo-one", std::nullopt, "Guest", T0 + kMin);
    REQUIRE(guest.ok());

    auto all = s->participationsForMeeting("one-oneo-one");
    REQUIRE(all.value().size() == 5);
    CHECK(all.value()[0].joinedAt == T0);
    bool sawGuest = false;
    for (auto& p : all.value())
        if (!p.userId) sawGuest = p.displayName == "Guest" && !p.leftAt;
    CHECK(sawGuest);
}

TEST_CASE("crash recovery closes open participations at their last liveness mark", "[store]") {
    TempDir dir;
    auto path = dir.file("crash.db");
    int64_t touched = 0, untouched = 0, closed = 0;
    {
        auto s = openStore(path);
        User alice = addUser(*s, "alice");
        addMeeting(*s, "abc-defg-hij", alice.id, T0);
        touched = s->openParticipation("abc-defg-hij", alice.id, "A", T0).value();
        closed = s->openParticipation("abc-defg-hij", alice.id, "A", T0).value();
        REQUIRE(s->closeParticipation(closed, T0 + kMin).ok());
        CHECK(s->touchOpenParticipations(T0 + 5 * kMin).value() == 1);
        untouched = s->openParticipation("abc-defg-hij", std::nullopt, "G", T0 + 6 * kMin).value();
        // The process dies here: no closeParticipation.
    }
    auto s = openStore(path);
    CHECK(s->closeOpenParticipations(T0 + 120 * kMin).value() == 2);
    CHECK(s->closeOpenParticipations(T0 + 121 * kMin).value() == 0);
    auto parts = s->participationsForMeeting("abc-defg-hij");
    REQUIRE(parts.ok());
    for (auto& p : parts.value()) {
        REQUIRE(p.leftAt.has_value());
        if (p.id == touched) CHECK(*p.leftAt == T0 + 5 * kMin);
        if (p.id == untouched) CHECK(*p.leftAt == T0 + 6 * kMin);  // Its join time.
        if (p.id == closed) CHECK(*p.leftAt == T0 + kMin);         // Left alone.
    }
}

TEST_CASE("chat: newest-first pages with a before cursor, no overlap, stable order", "[store]") {
    TempDir dir;
    auto s = openStore(dir.file("chat.db"));
    User alice = addUser(*s, "alice");
    addMeeting(*s, "abc-defg-hij", alice.id, T0);
    addMeeting(*s, "oth-erme-eti", alice.id, T0);

    std::vector<int64_t> ids;
    for (int i = 0; i < 25; ++i) {
        // Same sentAt for several messages, and one from the "past": order is by id.
        int64_t sentAt = i == 20 ? T0 - kMin : T0 + (i / 3) * 1000;
        std::optional<int64_t> user = i % 2 ? std::optional<int64_t>(alice.id) : std::nullopt;
        auto id = s->addChatMessage(ChatMessage{0, "abc-defg-hij", user, i % 2 ? "Alice" : "Guest",
                                                "message " + std::to_string(i), sentAt});
        REQUIRE(id.ok());
        if (!ids.empty()) CHECK(id.value() > ids.back());
        ids.push_back(id.value());
        REQUIRE(s->addChatMessage(ChatMessage{0, "oth-erme-eti", alice.id, "A", "other", T0}).ok());
    }

    std::vector<int64_t> seen;
    std::optional<int64_t> before;
    std::vector<std::size_t> pageSizes;
    for (int page = 0; page < 10; ++page) {
        auto r = s->chatMessages("abc-defg-hij", before, 10);
        REQUIRE(r.ok());
        pageSizes.push_back(r.value().messages.size());
        for (auto& m : r.value().messages) {
            CHECK(m.meetingId == "abc-defg-hij");
            if (!seen.empty()) CHECK(m.id < seen.back());  // Strictly descending across pages.
            seen.push_back(m.id);
        }
        before = r.value().nextBeforeId;
        if (!before) break;
        CHECK(*before == seen.back());
    }
    CHECK(pageSizes == std::vector<std::size_t>{10, 10, 5});
    std::vector<int64_t> expected(ids.rbegin(), ids.rend());
    CHECK(seen == expected);

    // Same page twice: same answer.
    auto p1 = s->chatMessages("abc-defg-hij", ids[15], 4);
    auto p2 = s->chatMessages("abc-defg-hij", ids[15], 4);
    REQUIRE(p1.value().messages.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(p1.value().messages[i].id == p2.value().messages[i].id);
        CHECK(p1.value().messages[i].id == ids[14 - i]);
    }
    auto newestPage = s->chatMessages("abc-defg-hij", std::nullopt, 1);
    REQUIRE(newestPage.value().messages.size() == 1);
    const ChatMessage& newest = newestPage.value().messages[0];
    CHECK(newest.text == "message 24");
    CHECK(newest.displayName == "Guest");
    CHECK_FALSE(newest.userId.has_value());
    CHECK(newest.sentAt == T0 + 8000);

    // An exactly full last page has no cursor.
    auto exact = s->chatMessages("abc-defg-hij", ids[5], 5);
    CHECK(exact.value().messages.size() == 5);
    CHECK_FALSE(exact.value().nextBeforeId.has_value());
    auto empty = s->chatMessages("nob-odyh-ere", std::nullopt, 10);
    CHECK(empty.value().messages.empty());
    CHECK_FALSE(empty.value().nextBeforeId.has_value());
    CHECK(s->chatMessages("abc-defg-hij", std::nullopt, 0).error().code == errc::kInvalid);
}

TEST_CASE("reset tokens: single use, expiry, and siblings invalidated", "[store]") {
    TempDir dir;
    auto s = openStore(dir.file("reset.db"));
    User alice = addUser(*s, "alice");
    User bob = addUser(*s, "bob");
    REQUIRE(s->createResetToken(ResetToken{"a1", alice.id, T0 + 30 * kMin, std::nullopt}).ok());
    REQUIRE(s->createResetToken(ResetToken{"a2", alice.id, T0 + 30 * kMin, std::nullopt}).ok());
    REQUIRE(s->createResetToken(ResetToken{"b1", bob.id, T0 + 30 * kMin, std::nullopt}).ok());
    REQUIRE(s->createResetToken(ResetToken{"b2", bob.id, T0 + 10 * kMin, std::nullopt}).ok());
    CHECK(s->createResetToken(ResetToken{"a1", bob.id, T0, std::nullopt}).error().code ==
          errc::kConflict);

    auto used = s->consumeResetToken("a1", T0 + kMin);
    REQUIRE(used.ok());
    CHECK(used.value() == alice.id);
    CHECK(s->consumeResetToken("a1", T0 + 2 * kMin).error().code == errc::kUsed);
    CHECK(s->consumeResetToken("a2", T0 + 2 * kMin).error().code == errc::kUsed);
    CHECK(s->consumeResetToken("nope", T0).error().code == errc::kNotFound);

    // Expired exactly at expiresAt; a failed attempt does not consume.
    CHECK(s->consumeResetToken("b2", T0 + 10 * kMin).error().code == errc::kExpired);
    // Bob's other token is unaffected by Alice's reset.
    CHECK(s->consumeResetToken("b1", T0 + 29 * kMin).value() == bob.id);

    CHECK(s->deleteExpiredResetTokens(T0 + 10 * kMin).value() == 1);
    CHECK(s->consumeResetToken("b2", T0).error().code == errc::kNotFound);
}

TEST_CASE("two stores on one file see each other's writes (WAL)", "[store]") {
    TempDir dir;
    auto path = dir.file("shared.db");
    auto a = openStore(path);
    auto b = openStore(path);
    User alice = addUser(*a, "alice");
    CHECK(b->userById(alice.id).value().username == "alice");
    CHECK(b->createUser(NewUser{"alice@example.org", "x", "X", "$h", T0}).error().code ==
          errc::kConflictEmail);
}

TEST_CASE("participation history has one row per stay, newest first", "[store]") {
    TempDir dir;
    auto s = openStore(dir.file("h.sqlite"));
    User alice = addUser(*s, "alice");
    User bob = addUser(*s, "bob");
    addMeeting(*s, "aaa-aaaa-aaa", alice.id, T0, "Standup");
    addMeeting(*s, "bbb-bbbb-bbb", bob.id, T0, "Review");
    auto p1 = s->openParticipation("aaa-aaaa-aaa", alice.id, "Alice", T0);
    REQUIRE(s->closeParticipation(p1.value(), T0 + 5 * kMin).ok());
    auto p2 = s->openParticipation("aaa-aaaa-aaa", alice.id, "Alice", T0 + 10 * kMin);
    REQUIRE(s->closeParticipation(p2.value(), T0 + 12 * kMin).ok());
    REQUIRE(s->openParticipation("bbb-bbbb-bbb", alice.id, "Alice", T0 + 20 * kMin).ok());  // in
    REQUIRE(s->openParticipation("bbb-bbbb-bbb", bob.id, "Bob", T0 + 20 * kMin).ok());      // other

    auto rows = s->participationHistory(alice.id, T0 + 21 * kMin, 10);
    REQUIRE(rows.ok());
    REQUIRE(rows.value().size() == 3);
    const auto& r = rows.value();
    CHECK(r[0].meetingTitle == "Review");
    CHECK_FALSE(r[0].leftAt);
    CHECK(r[0].durationMs == 1 * kMin);  // open: counts up to now
    CHECK(r[1].meetingTitle == "Standup");
    CHECK(r[1].joinedAt == T0 + 10 * kMin);
    CHECK(r[1].leftAt == T0 + 12 * kMin);
    CHECK(r[1].durationMs == 2 * kMin);
    CHECK(r[2].durationMs == 5 * kMin);
    CHECK(s->participationHistory(alice.id, T0, 1).value().size() == 1);
    CHECK(s->participationHistory(alice.id, T0, 0).error().code == errc::kInvalid);
    CHECK(s->participationHistory(bob.id, T0 + 21 * kMin, 10).value().size() == 1);
}
