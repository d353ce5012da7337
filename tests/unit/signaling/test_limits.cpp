// Per-client budgets of the signaling layer (docs/security.md, "Signaling"): the token
// bucket, per-account buckets, and the session's message budget and ICE candidate policy,
// driven without sockets with a fake clock.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "app/Config.h"
#include "mixmeet-config.h"
#include "signaling/KeyedBuckets.h"
#include "signaling/Session.h"
#include "signaling/TokenBucket.h"

using namespace mixmeet;
using namespace mixmeet::protocol;
using signaling::Session;
using signaling::State;
using signaling::TokenBucket;

TEST_CASE("a token bucket allows its burst, then its rate", "[hostile][signaling][bucket]") {
    TokenBucket b({10, 5}, 1000);  // 10 a second, 5 at once
    for (int i = 0; i < 5; ++i) CHECK(b.take(1000));
    CHECK_FALSE(b.take(1000));
    CHECK_FALSE(b.take(1050));  // half a token
    CHECK(b.take(1100));        // one more after 100 ms
    CHECK_FALSE(b.take(1100));
    // Idle time refills up to the burst, not beyond.
    CHECK(b.available(60000) == Approx(5));
    CHECK(b.full(60000));
    // A clock going backwards adds nothing.
    for (int i = 0; i < 5; ++i) CHECK(b.take(60000));
    CHECK_FALSE(b.take(59000));
    // Over a long run the rate holds: 10/s for 10 s is ~100 events.
    TokenBucket r({10, 5}, 0);
    int passed = 0;
    for (int64_t t = 0; t < 10000; ++t) passed += r.take(t) ? 1 : 0;
    CHECK(passed >= 100);
    CHECK(passed <= 105);
}

TEST_CASE("per-account buckets are shared per key and bounded", "[hostile][signaling][bucket]") {
    signaling::KeyedBuckets k({1, 2}, 3);
    CHECK(k.take(7, 0));
    CHECK(k.take(7, 0));
    CHECK_FALSE(k.take(7, 0));  // account 7 spent its burst (on any connection)
    CHECK(k.take(8, 0));        // others are unaffected
    CHECK(k.take(9, 0));
    CHECK(k.keyCount() == 3);
    CHECK(k.take(10, 0));  // full: the least recently used (7, empty) makes room
    CHECK(k.keyCount() == 3);
    CHECK(k.take(11, 5000));  // all refilled by now: idle ones are dropped
    CHECK(k.keyCount() <= 3);
}

namespace {
struct ClockListener : Session::Listener {
    int64_t now = 0;
    std::vector<ServerMessage> sent;
    std::vector<std::string> candidates;
    int qualities = 0;
    int closeCode = 0;

    int64_t monotonicMs() override { return now; }
    void sendMessage(const ServerMessage& m) override { sent.push_back(m); }
    void closeConnection(unsigned short code, const std::string&) override { closeCode = code; }
    core::Result<Welcome> joinRoom(const Join& j) override {
        return Welcome{"p1", j.room, {}, 640, 360, 30};
    }
    core::Status applyAnswer(const std::string&) override { return core::Ok{}; }
    void addRemoteCandidate(const IceCandidate& c) override { candidates.push_back(c.candidate); }
    void leaveRoom() override {}
    core::Status sendChat(const std::string&) override {
        return core::makeError(errc::kRateLimited, "slow down");
    }
    core::Status requestChatHistory(std::optional<long long>) override { return core::Ok{}; }
    core::Status goOnline() override { return core::Ok{}; }
    core::Status placeCall(const std::string&) override { return core::Ok{}; }
    core::Status answerCall(const std::string&, bool) override { return core::Ok{}; }
    core::Status setQuality(const std::string&) override {
        ++qualities;
        return core::Ok{};
    }
    core::Status setRecording(bool) override { return core::Ok{}; }

    int errors(const std::string& code) const {
        int n = 0;
        for (const auto& m : sent)
            if (auto* e = std::get_if<ErrorReply>(&m); e && e->code == code) ++n;
        return n;
    }
    bool bye(const std::string& reason) const {
        for (const auto& m : sent)
            if (auto* b = std::get_if<Bye>(&m); b && b->reason == reason) return true;
        return false;
    }
};

void joinAndOffer(Session& s) {
    s.onText(R"({"type":"join","version":1,"room":"r","name":"A"})");
    s.onLocalOffer("v=0\r\n");
}
}  // namespace

TEST_CASE("a message flood is cut off after its budget", "[hostile][signaling][session]") {
    ClockListener l;
    signaling::Limits limits;
    limits.messageRate = 20;
    limits.messageBurst = 100;
    Session s(l, limits);
    joinAndOffer(s);  // join: 1 message

    // The burst goes through (99 set-quality after the join), the next is refused.
    for (int i = 0; i < 99; ++i) s.onText(R"({"type":"set-quality","tier":"low"})");
    CHECK(l.qualities == 99);
    CHECK(l.errors(errc::kRateLimited) == 0);
    s.onText(R"({"type":"set-quality","tier":"low"})");
    CHECK(l.qualities == 99);
    CHECK(l.errors(errc::kRateLimited) == 1);
    CHECK(s.state() != State::Ended);

    // A client that slows to the budget is fine again ...
    l.now += 1000;
    for (int i = 0; i < 20; ++i) s.onText(R"({"type":"set-quality","tier":"low"})");
    CHECK(l.qualities == 119);
    CHECK(s.state() != State::Ended);
    // ... one that keeps flooding (anything: garbage, binary) is disconnected.
    for (int i = 0; i < 1000 && s.state() != State::Ended; ++i) {
        s.onText("garbage");
        s.onBinary();
    }
    CHECK(s.state() == State::Ended);
    CHECK(l.bye("too-many-errors"));
    CHECK(l.closeCode == 1008);
    CHECK(l.sent.size() < 30);  // replies stay bounded too
}

TEST_CASE("chat over its budget is refused without disconnecting",
          "[hostile][signaling][session]") {
    ClockListener l;
    Session s(l);
    joinAndOffer(s);
    for (int i = 0; i < 15; ++i) s.onText(R"({"type":"chat","text":"hi"})");
    CHECK(l.errors(errc::kRateLimited) == 15);
    CHECK(s.state() == State::AwaitingAnswer);
    CHECK(s.errorCount() == 0);
}

TEST_CASE("ICE candidates: sane form only, at most the cap", "[hostile][signaling][session]") {
    ClockListener l;
    signaling::Limits limits;
    limits.maxCandidates = 5;
    limits.messageBurst = 1000;
    Session s(l, limits);
    joinAndOffer(s);
    auto ice = [&](const std::string& c, int mline = 0) {
        s.onText(R"({"type":"ice","candidate":")" + c + R"(","sdpMLineIndex":)" +
                 std::to_string(mline) + "}");
    };
    ice("not a candidate");
    ice("candidate:1 1 UDP 1 192.0.2.1 99999 typ host");
    ice("candidate:1 1 UDP 1 192.0.2.1 4000 typ host", 7);
    ice("candidate:1 1 UDP 1 127.0.0.1 4000 typ host");  // loopback not allowed by default
    CHECK(l.errors(errc::kBadCandidate) == 4);
    CHECK(l.candidates.empty());

    for (int port = 1000; port < 1100; ++port)
        ice("candidate:1 1 UDP 1 192.0.2.1 " + std::to_string(port) + " typ host");
    CHECK(l.candidates.size() == 5);
    CHECK(l.errors(errc::kTooManyCandidates) == 1);  // said once
    CHECK(s.state() == State::AwaitingAnswer);       // not a disconnect
    ice("");                                         // end-of-candidates still passes
    CHECK(l.candidates.size() == 6);

    ClockListener dev;
    signaling::Limits devLimits;
    devLimits.allowLoopbackCandidates = true;
    Session d(dev, devLimits);
    joinAndOffer(d);
    d.onText(
        R"({"type":"ice","candidate":"candidate:1 1 UDP 1 127.0.0.1 4000 typ host","sdpMLineIndex":0})");
    CHECK(dev.candidates.size() == 1);
}

TEST_CASE("signaling budgets are read from [signaling] and match the shipped file",
          "[hostile][signaling][config]") {
    auto c = app::parseConfig(
        "[signaling]\nmessage_rate=5\nmessage_burst=7\nchat_per_minute=3\nchat_burst=2\n"
        "history_per_minute=4\nhistory_burst=1\nmax_candidates=9\n"
        "[webrtc]\nconnect_timeout_ms=2000\n[server]\nliveness_mark_ms=1000\n",
        "t.ini");
    REQUIRE(c.ok());
    const signaling::Limits& l = c.value().signaling;
    CHECK(l.messageRate == 5);
    CHECK(l.messageBurst == 7);
    CHECK(l.chatPerMinute == 3);
    CHECK(l.chatBurst == 2);
    CHECK(l.historyPerMinute == 4);
    CHECK(l.historyBurst == 1);
    CHECK(l.maxCandidates == 9);
    CHECK(c.value().media.connectTimeoutMs == 2000);
    CHECK(c.value().livenessMarkMs == 1000);
    CHECK_FALSE(app::parseConfig("[signaling]\nmessage_rate=0\n", "t.ini").ok());
    CHECK_FALSE(app::parseConfig("[webrtc]\nconnect_timeout_ms=10\n", "t.ini").ok());

    auto shipped = app::loadConfig(std::string(MIXMEET_SOURCE_DIR) + "/config/mixmeet.ini");
    REQUIRE(shipped.ok());
    app::Config d = app::defaultConfig();
    CHECK(shipped.value().signaling.messageRate == d.signaling.messageRate);
    CHECK(shipped.value().signaling.messageBurst == d.signaling.messageBurst);
    CHECK(shipped.value().signaling.chatPerMinute == d.signaling.chatPerMinute);
    CHECK(shipped.value().signaling.chatBurst == d.signaling.chatBurst);
    CHECK(shipped.value().signaling.historyPerMinute == d.signaling.historyPerMinute);
    CHECK(shipped.value().signaling.historyBurst == d.signaling.historyBurst);
    CHECK(shipped.value().signaling.maxCandidates == d.signaling.maxCandidates);
    CHECK(shipped.value().media.connectTimeoutMs == d.media.connectTimeoutMs);
    CHECK(shipped.value().livenessMarkMs == d.livenessMarkMs);
}
