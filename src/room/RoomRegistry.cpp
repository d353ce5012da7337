#include "room/RoomRegistry.h"

#include "core/Log.h"
#include "core/MainContext.h"
#include "core/ProcessResources.h"
#include "core/StructuredLog.h"
#include "protocol/Messages.h"

#define GST_CAT_DEFAULT mixmeet_room_debug

namespace mixmeet::room {

RoomRegistry::RoomRegistry(media::MediaConfig config, const media::Fragments& fragments,
                           Limits limits)
    : config_(std::move(config)), limits_(limits), fragments_(fragments) {}

RoomRegistry::~RoomRegistry() = default;

core::Result<Moderation::Admission> RoomRegistry::screen(const std::string& roomName,
                                                         const Attendee& who) {
    Room* room = find(roomName);
    if (!room || room->participantCount() == 0) return Moderation::Admission::Enter;
    return room->screen(who);
}

core::Result<RoomRegistry::Joined> RoomRegistry::joinNumbered(
    const std::string& roomName, const std::string& displayName, ParticipantListener& listener,
    const Attendee& who, std::optional<int64_t> owner, unsigned firstId) {
    auto it = rooms_.find(roomName);
    // A room still there without participants is on its way out: joining it opens it again.
    bool opens = it == rooms_.end() || it->second->participantCount() == 0;
    if (auto admitted = admit(roomName, opens); !admitted) return admitted.error();
    if (it == rooms_.end()) {
        auto room = Room::create(roomName, config_, fragments_, *this, owner);
        if (!room) return room.error();
        it = rooms_.emplace(roomName, std::move(room).value()).first;
    }
    if (firstId > 0) it->second->skipIdsBelow(firstId);
    auto id = it->second->join(displayName, listener, who);
    if (!id) {
        if (it->second->participantCount() == 0) onRoomEmpty(roomName);
        return id.error();
    }
    return Joined{id.value()};
}

core::Status RoomRegistry::admit(const std::string& roomName, bool newRoom) const {
    namespace errc = protocol::errc;
    if (newRoom && liveRoomCount() >= static_cast<std::size_t>(limits_.maxRooms)) {
        g_message("room %s refused: %d rooms are open ([limits] max_rooms)", roomName.c_str(),
                  limits_.maxRooms);
        return core::makeError(errc::kRoomLimit,
                               "The server has as many rooms open as it "
                               "allows. Please try again later.");
    }
    ResourceCost need = cost::kParticipant;
    if (newRoom) {
        need.fds += cost::kRoom.fds;
        need.threads += cost::kRoom.threads;
        need.addressSpaceBytes += cost::kRoom.addressSpaceBytes;
    }
    if (auto scarce = shortfall(core::sampleProcessResources(), need)) {
        core::logEventf(G_LOG_LEVEL_WARNING, {roomName, {}}, "join refused, short of %s",
                        scarce->c_str());
        return core::makeError(errc::kServerBusy,
                               "The server is short of resources. Please try again later.");
    }
    return core::Ok{};
}

std::size_t RoomRegistry::liveRoomCount() const {
    std::size_t n = 0;
    for (const auto& [name, room] : rooms_)
        if (room->participantCount() > 0) ++n;
    return n;
}

void RoomRegistry::leave(const std::string& roomName, const std::string& participantId) {
    if (Room* room = find(roomName)) room->leave(participantId);
}

Room* RoomRegistry::find(const std::string& roomName) {
    auto it = rooms_.find(roomName);
    return it == rooms_.end() ? nullptr : it->second.get();
}

void RoomRegistry::onRoomEmpty(const std::string& roomName) {
    // Deferred: this is called from inside the room's own methods.
    core::postToMain([weak = anchor_.weak(), roomName] {
        RoomRegistry* self = core::resolve(weak);
        if (!self) return;
        auto it = self->rooms_.find(roomName);
        if (it != self->rooms_.end() && it->second->participantCount() == 0) self->rooms_.erase(it);
    });
}

}  // namespace mixmeet::room
