// Who is online (has a dashboard presence socket open) and the calls ringing between users.
// Main thread only. Connections register themselves and must unregister before they die.
#pragma once

#include <glib.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "core/Anchor.h"
#include "core/Result.h"
#include "protocol/Messages.h"
#include "store/Store.h"

namespace mixmeet::app {

/// Something that can receive server messages (a ClientConnection).
class MessageSink {
public:
    virtual ~MessageSink() = default;
    virtual void sendMessage(const protocol::ServerMessage& message) = 0;
};

struct PresenceLimits {
    /// Calls one user may have ringing at once ([auth] pending_calls); the next gets
    /// "rate-limited". Bounds the rings, timers and meetings one socket can cause.
    std::size_t pendingCallsPerCaller = 3;
};

class Presence {
public:
    /// Creates the meeting for an accepted call (host = caller); returns its id.
    using MeetingFactory = std::function<core::Result<std::string>(const store::User& caller,
                                                                   const store::User& callee)>;

    using Limits = PresenceLimits;

    /// `ringTimeoutMs`: an unanswered call is declined after this long.
    Presence(store::Store& store, MeetingFactory makeMeeting, Limits limits = Limits{},
             unsigned ringTimeoutMs = 30000);
    ~Presence();

    void add(int64_t userId, MessageSink* sink);
    /// Unregisters a sink; its calls are declined.
    void remove(MessageSink* sink);
    bool online(int64_t userId) const;

    /// Rings `username` from `caller`. Errors: no-such-user, offline, bad-state (self),
    /// rate-limited (the caller already has Limits::pendingCallsPerCaller calls ringing).
    core::Status call(const store::User& caller, MessageSink* callerSink,
                      const std::string& username);
    /// The callee's answer. Errors: bad-state if the call is unknown or not theirs;
    /// rate-limited if the caller is over [auth] meetings_per_hour (the call is declined).
    core::Status answer(int64_t calleeUserId, const std::string& callId, bool accept);

private:
    struct PendingCall {
        store::User caller;
        store::User callee;
        MessageSink* callerSink = nullptr;
        guint timer = 0;
    };
    void decline(const std::string& callId);

    store::Store& store_;
    MeetingFactory makeMeeting_;
    Limits limits_;
    unsigned ringTimeoutMs_;
    std::map<int64_t, std::set<MessageSink*>> online_;
    std::map<std::string, PendingCall> calls_;
    core::Anchor<Presence> anchor_{this};
};

}  // namespace mixmeet::app
