// The media workers of the server (docs/workers.md): `[workers] count` processes, each
// running the rooms placed on it; a new room goes to the running worker with the fewest
// participants (then rooms). A worker that exits, crashes or stops answering is restarted
// (after 100 ms, doubling to 5 s while it keeps failing); its rooms' participants are told
// (parked for a reconnect) and come back into a room rebuilt on a running worker.
// Implements room::RoomDirectory for the connections. Main thread only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/Anchor.h"
#include "core/GstPtr.h"
#include "media/MediaConfig.h"
#include "room/Capacity.h"
#include "room/RoomApi.h"
#include "room/RoomReport.h"
#include "worker/RemoteRoom.h"
#include "worker/WorkerProcess.h"

namespace mixmeet::worker {

class WorkerPool : public room::RoomDirectory {
public:
    struct Options {
        int count = 1;             ///< Worker processes ([workers] count).
        std::string binary;        ///< The mixmeet executable the workers run.
        std::string pipelinesDir;  ///< Handed to each worker.
        /// A call, or the heartbeat's ping, not answered by then kills the worker.
        int callTimeoutMs = 10000;
        int heartbeatMs = 2000;  ///< How often each worker is pinged.
        int startTimeoutMs = 10000;
        room::Limits limits;   ///< [limits] max_rooms over all workers.
        int mallocArenas = 0;  ///< [limits] malloc_arenas, for each worker.
    };
    WorkerPool(media::MediaConfig config, Options options);
    ~WorkerPool() override;
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Starts every worker and waits for them (up to Options::startTimeoutMs each). Error
    /// "internal" naming the worker that did not start.
    core::Status start();

    // room::RoomDirectory
    core::Result<Joined> join(const std::string& roomName, const std::string& displayName,
                              room::ParticipantListener& listener, const room::Attendee& who = {},
                              std::optional<int64_t> owner = {}) override;
    core::Result<room::Moderation::Admission> screen(const std::string& roomName,
                                                     const room::Attendee& who) override;
    void leave(const std::string& roomName, const std::string& participantId) override;
    room::RoomApi* findRoom(const std::string& roomName) override;
    const media::MediaConfig& config() const override { return config_; }

    /// Stops every running recording now and finishes their rows (the recording-ended events
    /// handled before this returns): the server is shutting down, and the workers' rooms go
    /// with their channels. Also done by the destructor.
    void stopRecordings();
    /// A running worker for a new room, or null (none running).
    WorkerProcess* place();
    /// A fresh key for a seat on the channel.
    std::string newKey() { return "k" + std::to_string(nextKey_++); }
    int callTimeoutMs() const { return options_.callTimeoutMs; }
    /// Drops rooms without seats at the next iteration.
    void sweepLater();

    std::size_t workerCount() const { return workers_.size(); }
    std::size_t runningWorkers() const;
    /// Workers restarted since start (crashes, exits, hangs).
    unsigned restarts() const { return restarts_; }
    std::size_t roomCount() const { return rooms_.size(); }
    std::size_t participantCount() const;
    /// Every running worker's report (its rooms with participants; its media figures added to
    /// `media`). A worker that does not answer is left out (and killed, as any call).
    std::vector<room::RoomReport> reports(room::MediaReport& media);
    /// {index, pid} of each running worker.
    std::vector<std::pair<int, int>> runningPids() const;
    /// The pid of the worker running `roomName`; 0 if none.
    int pidOfRoom(const std::string& roomName) const;

private:
    void onMessage(WorkerProcess& w, JsonObject* message);
    void onLost(WorkerProcess& w, const std::string& why);
    void restartLater(WorkerProcess& w);

    media::MediaConfig config_;
    Options options_;
    std::string configure_;  ///< The configure message every worker gets.
    std::vector<std::unique_ptr<WorkerProcess>> workers_;
    std::vector<gint64> lastLostUs_;  ///< By worker index.
    std::vector<unsigned> backoffMs_;
    std::map<std::string, std::unique_ptr<RemoteRoom>> rooms_;
    unsigned restarts_ = 0;
    unsigned long long nextKey_ = 1;
    bool sweepPending_ = false;
    core::SourcePtr heartbeat_;
    core::Anchor<WorkerPool> anchor_{this};
};

}  // namespace mixmeet::worker
