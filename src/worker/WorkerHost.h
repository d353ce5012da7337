// The media worker's side of the channel (docs/workers.md): a worker process runs the rooms
// placed on it (room::RoomRegistry, the same code as in-process rooms) and carries out the
// server's calls on them; what the rooms tell their participants goes back as events.
// The worker holds no database handle and no session secret: it only knows the media
// settings and the names and account ids the server gives it. Main thread only.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/Anchor.h"
#include "media/Fragments.h"
#include "room/RoomRegistry.h"
#include "worker/Channel.h"

namespace mixmeet::worker {

class WorkerHost {
public:
    /// Reads the channel on `fd`; `onEnd` runs once when the server closes it (or it fails):
    /// the worker then exits.
    WorkerHost(int fd, std::function<void(const std::string& why)> onEnd);
    ~WorkerHost();
    WorkerHost(const WorkerHost&) = delete;
    WorkerHost& operator=(const WorkerHost&) = delete;

    /// Sends one event ({"t":"event",...}) to the server.
    void sendEvent(const std::string& json) { channel_.send(json); }
    room::RoomRegistry* registry() { return registry_.get(); }
    /// Forgets participant `key` at the next iteration (it left or was removed).
    void dropLater(const std::string& key);

private:
    class Participant;
    void onMessage(JsonObject* message);
    void configure(JsonObject* message);
    /// Carries out one call; adds its results to `reply`. Errors are replied.
    core::Status call(const std::string& op, JsonObject* args, core::JsonWriter& reply);
    /// The participant listener of `key`, made on first use.
    Participant& participant(const std::string& roomName, const std::string& key);
    /// The listener of participant `id` in `roomName` (made by join), or null.
    Participant* byId(const std::string& roomName, const std::string& id);
    room::Room* room(JsonObject* args);

    Channel channel_;
    std::function<void(const std::string&)> onEnd_;
    std::unique_ptr<media::Fragments> fragments_;
    std::unique_ptr<room::RoomRegistry> registry_;
    std::map<std::string, std::unique_ptr<Participant>> participants_;  ///< By key.
    core::Anchor<WorkerHost> anchor_{this};
};

/// `mixmeet worker --fd N`: runs a media worker on the channel inherited as descriptor N
/// (started by the server's worker::WorkerPool, never by hand). Returns the exit status.
int runWorker(int argc, char** argv);

}  // namespace mixmeet::worker
