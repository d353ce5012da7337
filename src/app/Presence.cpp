#include "app/Presence.h"

#include <glib.h>

#include "auth/Tokens.h"
#include "core/MainContext.h"

namespace mixmeet::app {

namespace errc = protocol::errc;

Presence::Presence(store::Store& store, MeetingFactory makeMeeting, Limits limits,
                   unsigned ringTimeoutMs)
    : store_(store),
      makeMeeting_(std::move(makeMeeting)),
      limits_(limits),
      ringTimeoutMs_(ringTimeoutMs) {}

Presence::~Presence() {
    for (auto& [id, call] : calls_)
        if (call.timer) g_source_remove(call.timer);
}

void Presence::add(int64_t userId, MessageSink* sink) {
    online_[userId].insert(sink);
}

void Presence::remove(MessageSink* sink) {
    for (auto it = online_.begin(); it != online_.end();) {
        it->second.erase(sink);
        it = it->second.empty() ? online_.erase(it) : std::next(it);
    }
    std::vector<std::string> affected;
    for (auto& [id, call] : calls_)
        if (call.callerSink == sink || !online(call.callee.id)) affected.push_back(id);
    for (const auto& id : affected) {
        if (calls_[id].callerSink == sink) calls_[id].callerSink = nullptr;
        decline(id);
    }
}

bool Presence::online(int64_t userId) const {
    return online_.count(userId) > 0;
}

core::Status Presence::call(const store::User& caller, MessageSink* callerSink,
                            const std::string& username) {
    std::string name = username;
    for (char& c : name) c = g_ascii_tolower(c);
    auto callee = store_.userByUsername(name);
    if (!callee) return core::makeError(errc::kNoSuchUser, "There is no user " + username + ".");
    if (callee.value().id == caller.id)
        return core::makeError(errc::kBadState, "You cannot call yourself.");
    if (!online(callee.value().id))
        return core::makeError(errc::kOffline, callee.value().displayName + " is not online.");
    std::size_t ringing = 0;
    for (const auto& [id, pending] : calls_)
        if (pending.caller.id == caller.id) ++ringing;
    if (ringing >= limits_.pendingCallsPerCaller)
        return core::makeError(errc::kRateLimited,
                               "You have " + std::to_string(ringing) +
                                   " calls ringing. Wait for an answer or for them to time out.");
    std::string callId = auth::generateCsrfToken();
    PendingCall pc{caller, callee.value(), callerSink, 0};
    pc.timer = core::postToMainDelayed(ringTimeoutMs_, [weak = anchor_.weak(), callId] {
        Presence* self = core::resolve(weak);
        if (!self) return;
        auto it = self->calls_.find(callId);
        if (it == self->calls_.end()) return;
        it->second.timer = 0;  // This source is finishing.
        self->decline(callId);
    });
    calls_[callId] = pc;
    protocol::UserRef from{caller.username, caller.displayName};
    protocol::UserRef to{callee.value().username, callee.value().displayName};
    for (MessageSink* s : online_[callee.value().id])
        s->sendMessage(protocol::IncomingCall{callId, from});
    callerSink->sendMessage(protocol::CallRinging{callId, to});
    return core::Ok{};
}

core::Status Presence::answer(int64_t calleeUserId, const std::string& callId, bool accept) {
    auto it = calls_.find(callId);
    if (it == calls_.end() || it->second.callee.id != calleeUserId)
        return core::makeError(errc::kBadState, "That call is no longer ringing.");
    if (!accept) {
        decline(callId);
        return core::Ok{};
    }
    PendingCall call = it->second;
    if (call.timer) g_source_remove(call.timer);
    calls_.erase(it);
    auto meeting = makeMeeting_(call.caller, call.callee);
    if (!meeting) {
        if (call.callerSink) call.callerSink->sendMessage(protocol::CallDeclined{callId});
        if (meeting.error().code == errc::kRateLimited)
            return core::makeError(errc::kRateLimited, call.caller.displayName +
                                                           " cannot start more meetings now: " +
                                                           meeting.error().message);
        return core::makeError(errc::kInternal, "Could not create the meeting.");
    }
    protocol::CallAccepted accepted{callId, meeting.value()};
    if (call.callerSink) call.callerSink->sendMessage(accepted);
    auto callees = online_.find(calleeUserId);
    if (callees != online_.end())
        for (MessageSink* s : callees->second) s->sendMessage(accepted);
    return core::Ok{};
}

void Presence::decline(const std::string& callId) {
    auto it = calls_.find(callId);
    if (it == calls_.end()) return;
    PendingCall call = it->second;
    calls_.erase(it);
    if (call.timer) g_source_remove(call.timer);
    if (call.callerSink) call.callerSink->sendMessage(protocol::CallDeclined{callId});
    auto callees = online_.find(call.callee.id);
    if (callees != online_.end())
        for (MessageSink* s : callees->second) s->sendMessage(protocol::CallDeclined{callId});
}

}  // namespace mixmeet::app
