// All rooms of the server, by name. Creates a room on its first join and destroys it (the
// whole pipeline) once it is empty. Main thread only; owns the rooms.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/Anchor.h"
#include "core/Result.h"
#include "media/Fragments.h"
#include "media/MediaConfig.h"
#include "room/Capacity.h"
#include "room/ParticipantListener.h"
#include "room/Room.h"

namespace mixmeet::room {

class RoomRegistry : public RoomDirectory, public Room::Listener {
public:
    /// `fragments` must outlive the registry.
    RoomRegistry(media::MediaConfig config, const media::Fragments& fragments, Limits limits = {});
    ~RoomRegistry() override;

    using Joined = RoomDirectory::Joined;
    /// Joins (creating if needed) room `roomName`. Errors as Room::join and Room::create, and
    /// (admit()) "room-limit" for a new room past Limits::maxRooms, "server-busy" when the
    /// process is short of descriptors, threads or address space.
    /// `who`: the joiner's account (host rights); `owner`: the account that created the
    /// meeting, used when this join opens the room (empty: an open room).
    core::Result<Joined> join(const std::string& roomName, const std::string& displayName,
                              ParticipantListener& listener, const Attendee& who = {},
                              std::optional<int64_t> owner = {}) override {
        return joinNumbered(roomName, displayName, listener, who, owner, 0);
    }
    /// join(), with the room's ids numbered from `firstId` at least (Room::skipIdsBelow).
    core::Result<Joined> joinNumbered(const std::string& roomName, const std::string& displayName,
                                      ParticipantListener& listener, const Attendee& who,
                                      std::optional<int64_t> owner, unsigned firstId);
    /// Whether a join of `roomName` enters or waits for the host (a room that is not open:
    /// enters). Errors: meeting-locked, waiting-room-full.
    core::Result<Moderation::Admission> screen(const std::string& roomName,
                                               const Attendee& who) override;
    /// Leaves; the room goes away at the next main-loop iteration if it is then empty.
    void leave(const std::string& roomName, const std::string& participantId) override;
    Room* find(const std::string& roomName);
    RoomApi* findRoom(const std::string& roomName) override { return find(roomName); }
    std::size_t roomCount() const { return rooms_.size(); }
    /// Rooms with participants: those that count against Limits::maxRooms (an empty one is
    /// going away).
    std::size_t liveRoomCount() const;
    /// Calls fn for every room, in name order.
    template <typename Fn>
    void forEach(Fn&& fn) const {
        for (const auto& [name, room] : rooms_) fn(*room);
    }
    const media::MediaConfig& config() const override { return config_; }

    void onRoomEmpty(const std::string& roomName) override;

private:
    /// Whether one more participant may join now; `newRoom`: it opens the room (the room
    /// then counts against Limits::maxRooms and costs a pipeline).
    core::Status admit(const std::string& roomName, bool newRoom) const;

    media::MediaConfig config_;
    Limits limits_;
    // Passed by argument.
    const media::Fragments& fragments_;
    std::map<std::string, std::unique_ptr<Room>> rooms_;
    core::Anchor<RoomRegistry> anchor_{this};
};

}  // namespace mixmeet::room
