#include "room/MeetingControls.h"

#include <algorithm>

#include "core/Log.h"
#include "core/StructuredLog.h"

#define GST_CAT_DEFAULT mixmeet_room_debug

namespace mixmeet::room {

MeetingControls::MeetingControls(std::string roomName, std::optional<int64_t> owner,
                                 RoomAccess& room, ModerationLimits limits)
    : name_(std::move(roomName)), moderation_(owner, limits), room_(room) {}

void MeetingControls::tell(const std::string& id, const protocol::MeetingServerMessage& message) {
    if (ParticipantListener* l = room_.participant(id)) l->onMeetingEvent(message);
}

void MeetingControls::tellEveryone(const protocol::MeetingServerMessage& message) {
    for (const auto& id : room_.participantIds()) tell(id, message);
}

void MeetingControls::tellHostWaiting() {
    if (!moderation_.host().empty()) tell(moderation_.host(), moderation_.waitingRoomState());
}

void MeetingControls::hold(const std::string& id, const std::string& name, const Attendee& who,
                           ParticipantListener& listener) {
    moderation_.hold(id, name, who);
    waiting_[id] = &listener;
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, id}, "%s waits to be admitted", name.c_str());
    tellHostWaiting();
}

void MeetingControls::unhold(const std::string& id) {
    if (waiting_.erase(id) == 0) return;
    moderation_.unhold(id);
    tellHostWaiting();
}

ParticipantListener* MeetingControls::takeWaiting(const std::string& id) {
    auto it = waiting_.find(id);
    if (it == waiting_.end()) return nullptr;
    ParticipantListener* l = it->second;
    waiting_.erase(it);
    return l;
}

void MeetingControls::entered(const std::string& id, const Attendee& who, int64_t nowMs) {
    waiting_.erase(id);
    bool newHost = moderation_.enter(id, who, nowMs);
    tell(id, protocol::Locked{moderation_.locked()});
    if (newHost) {
        core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, id}, "is host");
        tellHostWaiting();
    }
}

void MeetingControls::left(const std::string& id) {
    waiting_.erase(id);
    if (moderation_.leave(id)) {
        core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, {}}, "host rights passed to %s",
                        moderation_.host().empty() ? "nobody" : moderation_.host().c_str());
        tellHostWaiting();
    }
    if (!room_.participantIds().empty() || waiting_.empty()) return;
    // Nobody is left to admit them.
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& [wid, listener] : waiting) {
        moderation_.unhold(wid);
        listener->onDenied();
    }
}

void MeetingControls::apply(const std::string& id) {
    const ControlState* st = moderation_.state(id);
    if (!st) return;
    room_.setHeard(id, st->heard());
    room_.setCameraShown(id, st->shown());
    if (observer_) observer_->onControlState(id, *st);
}

core::Status MeetingControls::setMediaState(const std::string& id,
                                            const protocol::MediaState& state, int64_t nowMs) {
    auto changed = moderation_.setMediaState(id, state, nowMs);
    if (!changed) return changed.error();
    if (!changed.value()) return core::Ok{};
    apply(id);
    room_.rosterChanged();
    return core::Ok{};
}

core::Status MeetingControls::raiseHand(const std::string& id, bool raised, int64_t nowMs) {
    auto changed = moderation_.setHand(id, raised, nowMs);
    if (!changed) return changed.error();
    if (!changed.value()) return core::Ok{};
    if (observer_) observer_->onControlState(id, *moderation_.state(id));
    room_.rosterChanged();
    return core::Ok{};
}

core::Status MeetingControls::react(const std::string& id, const std::string& emoji,
                                    int64_t nowMs) {
    if (auto charged = moderation_.react(id, nowMs); !charged) return charged;
    tellEveryone(protocol::ReactionEvent{id, emoji});
    if (observer_) observer_->onReaction(id, emoji);
    return core::Ok{};
}

core::Status MeetingControls::hostCommand(const std::string& actor,
                                          const protocol::HostCommand& command) {
    auto applied = moderation_.apply(actor, command);
    if (!applied) {
        GST_INFO("[%s] %s refused %s: %s", name_.c_str(), actor.c_str(),
                 protocol::hostVerbType(command.verb), applied.error().code.c_str());
        return applied.error();
    }
    const Moderation::Effect& e = applied.value();
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, {}}, "host %s: %s %s", actor.c_str(),
                    protocol::hostVerbType(command.verb), command.participant.c_str());
    for (const auto& id : e.muted) {
        apply(id);
        tell(id, protocol::MutedByHost{"mic", actor});
    }
    for (const auto& id : e.videoStopped) {
        apply(id);
        tell(id, protocol::MutedByHost{"camera", actor});
    }
    if (e.askUnmute) tell(*e.askUnmute, protocol::UnmuteRequest{actor});
    if (e.lockChanged) tellEveryone(protocol::Locked{moderation_.locked()});
    if (e.waitingChanged) tellHostWaiting();
    if (e.rosterChanged) room_.rosterChanged();
    // Listeners of waiting joiners may join the room (admitted) or end their session (denied)
    // inside these calls: take each out of the waiting room first.
    for (const auto& w : e.denied)
        if (ParticipantListener* l = takeWaiting(w.id)) l->onDenied();
    for (const auto& w : e.admitted)
        if (ParticipantListener* l = takeWaiting(w.id)) l->onAdmitted();
    if (e.removed) {
        tell(*e.removed, protocol::Removed{actor});
        room_.removeParticipant(*e.removed, "removed");
    }
    if (e.ended) {
        const std::vector<std::string> everyone = room_.participantIds();
        for (const auto& id : everyone) tell(id, protocol::MeetingEnded{actor});
        for (const auto& id : everyone) room_.removeParticipant(id, "meeting-ended");
    }
    return core::Ok{};
}

core::Status MeetingControls::adminRemove(const std::string& id) {
    const auto ids = room_.participantIds();
    if (std::find(ids.begin(), ids.end(), id) == ids.end())
        return core::makeError("no-such-participant", "no participant " + id + " in this room");
    tell(id, protocol::Removed{kAdminActor});
    room_.removeParticipant(id, "removed");
    return core::Ok{};
}

void MeetingControls::adminEnd() {
    const std::vector<std::string> everyone = room_.participantIds();
    for (const auto& id : everyone) tell(id, protocol::MeetingEnded{kAdminActor});
    for (const auto& id : everyone) room_.removeParticipant(id, "meeting-ended");
}

void MeetingControls::fill(protocol::RosterEntry& entry) const {
    if (const ControlState* st = moderation_.state(entry.id)) {
        entry.mic = st->heard();
        entry.camera = st->shown();
        entry.hand = st->hand;
    }
    entry.host = moderation_.isHost(entry.id);
}

}  // namespace mixmeet::room
