#include "room/RoomRegistry.h"

#include "core/MainContext.h"

namespace mixmeet::room {

RoomRegistry::RoomRegistry(media::MediaConfig config, const media::Fragments& fragments)
    : config_(std::move(config)), fragments_(fragments) {}

RoomRegistry::~RoomRegistry() = default;

core::Result<RoomRegistry::Joined> RoomRegistry::join(const std::string& roomName,
                                                      const std::string& displayName,
                                                      ParticipantListener& listener) {
    auto it = rooms_.find(roomName);
    if (it == rooms_.end()) {
        auto room = Room::create(roomName, config_, fragments_, *this);
        if (!room) return room.error();
        it = rooms_.emplace(roomName, std::move(room).value()).first;
    }
    auto id = it->second->join(displayName, listener);
    if (!id) {
        if (it->second->participantCount() == 0) onRoomEmpty(roomName);
        return id.error();
    }
    return Joined{id.value()};
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
        if (it != self->rooms_.end() && it->second->participantCount() == 0)
            self->rooms_.erase(it);
    });
}

}  // namespace mixmeet::room
