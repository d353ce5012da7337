#include "room/Moderation.h"

#include <algorithm>

#include "protocol/Messages.h"

namespace mixmeet::room {

using core::makeError;
using protocol::HostVerb;
namespace errc = protocol::errc;

namespace {
core::Error noSuchParticipant(const std::string& id) {
    return makeError(errc::kNoSuchParticipant, "there is no participant " + id + " in the meeting");
}
}  // namespace

Moderation::Moderation(std::optional<int64_t> owner, ModerationLimits limits)
    : owner_(owner), limits_(limits) {}

core::Result<Moderation::Admission> Moderation::screen(const Attendee& who) const {
    if (isOwner(who)) return Admission::Enter;
    if (locked_)
        return makeError(errc::kMeetingLocked,
                         "The host has locked this meeting: nobody can join.");
    // Nobody could admit a waiting joiner without a host, and signed-in accounts are known
    // people: only guests (everyone, in an open room) wait.
    if (!waitingRoom_ || host_.empty() || who.userId) return Admission::Enter;
    if (waiting_.size() >= limits_.maxWaiting)
        return makeError(errc::kWaitingRoomFull,
                         "The waiting room is full; please try again later.");
    return Admission::Wait;
}

bool Moderation::enter(const std::string& id, const Attendee& who, int64_t nowMs) {
    unhold(id);
    members_.erase(id);
    members_.emplace(id, Member{who,
                                nextOrder_++,
                                {},
                                signaling::TokenBucket(limits_.reactions, nowMs),
                                signaling::TokenBucket(limits_.hands, nowMs),
                                signaling::TokenBucket(limits_.mediaStates, nowMs)});
    bool takes = false;
    if (!owner_) {
        takes = host_.empty();  // An open room's first joiner.
    } else if (isOwner(who)) {
        // The creator takes the rights back, unless one of their own connections has them.
        auto h = members_.find(host_);
        takes = h == members_.end() || !isOwner(h->second.who);
    }
    if (takes) host_ = id;
    return takes;
}

bool Moderation::leave(const std::string& id) {
    unhold(id);
    if (members_.erase(id) == 0) return false;
    if (members_.empty()) {
        // An empty meeting starts afresh (its room closes, or is reopened by the next join).
        locked_ = false;
        waitingRoom_ = false;
    }
    if (id != host_) return false;
    host_ = successor();
    return true;
}

std::string Moderation::successor() const {
    const std::pair<const std::string, Member>* best = nullptr;
    auto rank = [this](const Member& m) {
        // Lower is better: the creator's other connection, then accounts, then guests.
        return isOwner(m.who) ? 0 : m.who.userId ? 1 : 2;
    };
    for (const auto& entry : members_) {
        if (!best || rank(entry.second) < rank(best->second) ||
            (rank(entry.second) == rank(best->second) && entry.second.order < best->second.order))
            best = &entry;
    }
    return best ? best->first : std::string();
}

void Moderation::hold(const std::string& id, const std::string& name, const Attendee& who) {
    unhold(id);
    waiting_.push_back({id, name});
    waitingWho_[id] = who;
}

void Moderation::unhold(const std::string& id) {
    waiting_.erase(std::remove_if(waiting_.begin(), waiting_.end(),
                                  [&](const protocol::WaitingEntry& e) { return e.id == id; }),
                   waiting_.end());
    waitingWho_.erase(id);
}

bool Moderation::isWaiting(const std::string& id) const {
    return waitingWho_.count(id) != 0;
}

const ControlState* Moderation::state(const std::string& id) const {
    auto it = members_.find(id);
    return it == members_.end() ? nullptr : &it->second.state;
}

core::Result<bool> Moderation::setMediaState(const std::string& id, const protocol::MediaState& s,
                                             int64_t nowMs) {
    auto it = members_.find(id);
    if (it == members_.end()) return noSuchParticipant(id);
    ControlState& st = it->second.state;
    const bool repeat = st.mic == s.mic && st.camera == s.camera && !(s.mic && st.hostMuted) &&
                        !(s.camera && st.videoStopped);
    if (repeat) return false;
    if (!it->second.mediaStates.take(nowMs))
        return makeError(errc::kRateLimited,
                         "You are switching your microphone or camera too often; wait a moment.");
    ControlState before = st;
    st.mic = s.mic;
    st.camera = s.camera;
    // Turning your own microphone (camera) on is your answer to the host's mute (stop).
    if (s.mic) st.hostMuted = false;
    if (s.camera) st.videoStopped = false;
    return before.mic != st.mic || before.camera != st.camera || before.hostMuted != st.hostMuted ||
           before.videoStopped != st.videoStopped;
}

core::Result<bool> Moderation::setHand(const std::string& id, bool raised, int64_t nowMs) {
    auto it = members_.find(id);
    if (it == members_.end()) return noSuchParticipant(id);
    ControlState& st = it->second.state;
    if (st.hand == raised) return false;  // A repeat costs nothing and changes nothing.
    if (!it->second.hands.take(nowMs))
        return makeError(errc::kRateLimited,
                         "You are raising and lowering your hand too often; wait a moment.");
    st.hand = raised;
    return true;
}

core::Status Moderation::react(const std::string& id, int64_t nowMs) {
    auto it = members_.find(id);
    if (it == members_.end()) return noSuchParticipant(id);
    if (!it->second.reactions.take(nowMs))
        return makeError(errc::kRateLimited, "Too many reactions; wait a moment.");
    return core::Ok{};
}

core::Status Moderation::authorize(const std::string& actor,
                                   const protocol::HostCommand& command) const {
    if (!isHost(actor))
        return makeError(errc::kNotHost, std::string("only the host may send '") +
                                             protocol::hostVerbType(command.verb) + "'");
    switch (command.verb) {
        case HostVerb::Mute:
        case HostVerb::AskUnmute:
        case HostVerb::StopVideo:
        case HostVerb::MakeHost:
            if (!isPresent(command.participant)) return noSuchParticipant(command.participant);
            break;
        case HostVerb::Remove:
            if (!isPresent(command.participant)) return noSuchParticipant(command.participant);
            if (command.participant == actor)
                return makeError(errc::kBadState, "to leave the meeting yourself, send 'leave'");
            break;
        case HostVerb::Admit:
        case HostVerb::Deny:
            if (!isWaiting(command.participant))
                return makeError(errc::kNoSuchParticipant,
                                 "nobody with id " + command.participant + " is waiting");
            break;
        case HostVerb::MuteAll:
        case HostVerb::Lock:
        case HostVerb::WaitingRoom:
        case HostVerb::EndMeeting:
            break;
    }
    return core::Ok{};
}

core::Result<Moderation::Effect> Moderation::apply(const std::string& actor,
                                                   const protocol::HostCommand& command) {
    if (auto allowed = authorize(actor, command); !allowed) return allowed.error();
    Effect e;
    auto mute = [&](const std::string& id) {
        ControlState& st = members_.at(id).state;
        if (st.hostMuted) return;
        st.hostMuted = true;
        e.muted.push_back(id);
        e.rosterChanged = true;
    };
    auto take = [&](const std::string& id) {
        auto it = std::find_if(waiting_.begin(), waiting_.end(),
                               [&](const protocol::WaitingEntry& w) { return w.id == id; });
        protocol::WaitingEntry entry = *it;
        unhold(id);
        e.waitingChanged = true;
        return entry;
    };
    switch (command.verb) {
        case HostVerb::Mute:
            mute(command.participant);
            break;
        case HostVerb::MuteAll:
            for (const auto& [id, m] : members_)
                if (id != actor) mute(id);
            break;
        case HostVerb::AskUnmute:
            e.askUnmute = command.participant;
            break;
        case HostVerb::StopVideo: {
            ControlState& st = members_.at(command.participant).state;
            if (!st.videoStopped) {
                st.videoStopped = true;
                e.videoStopped.push_back(command.participant);
                e.rosterChanged = true;
            }
            break;
        }
        case HostVerb::Remove:
            e.removed = command.participant;
            break;
        case HostVerb::Lock:
            e.lockChanged = locked_ != command.flag;
            locked_ = command.flag;
            break;
        case HostVerb::WaitingRoom:
            e.waitingChanged = waitingRoom_ != command.flag;
            waitingRoom_ = command.flag;
            // Turning the waiting room off lets everyone in it in.
            if (!waitingRoom_)
                while (!waiting_.empty()) e.admitted.push_back(take(waiting_.front().id));
            break;
        case HostVerb::Admit:
            e.admitted.push_back(take(command.participant));
            break;
        case HostVerb::Deny:
            e.denied.push_back(take(command.participant));
            break;
        case HostVerb::EndMeeting:
            e.ended = true;
            // Nobody waits for a meeting that is over.
            while (!waiting_.empty()) e.denied.push_back(take(waiting_.front().id));
            break;
        case HostVerb::MakeHost:
            if (command.participant != host_) {
                host_ = command.participant;
                e.hostChanged = true;
                e.rosterChanged = true;
                e.waitingChanged = true;  // The new host gets the waiting list.
            }
            break;
    }
    return e;
}

}  // namespace mixmeet::room
