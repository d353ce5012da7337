// Recordings of meetings, the app side (docs/recording.md): who may start and stop them (the
// host), where their files go, their rows in the store, the guards ([recording] max_duration_s,
// min_free_mb), retention, the crash repair at start-up, and their download (participants
// only, HTTP Range for seeking). The media side is room::RoomRecording / media::Recorder.
// Main thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "api/Api.h"
#include "app/Config.h"
#include "core/Anchor.h"
#include "core/GstPtr.h"
#include "core/Result.h"
#include "http/Request.h"
#include "room/RoomApi.h"
#include "store/Store.h"

namespace mixmeet::app {

/// A recording's form, from its file's name (names are chosen by Recordings::setRecording):
/// "<meeting>-<ms>.webm" (video), "<meeting>-<ms>.audio.webm" (audio only) or
/// "<meeting>-<ms>.mp4".
room::RecordingFormat recordingFormatOf(const std::string& path);
/// The Content-Type a recording is served with (video/webm, audio/webm, video/mp4).
const char* recordingContentType(room::RecordingFormat format);

/// The chat lines sent during a recording as WebVTT cues timed from `startedAtMs` (each shown
/// 5 s, as "<v Name>text"), for a player's subtitle track.
std::string chatAsWebVtt(const std::vector<store::ChatMessage>& lines, int64_t startedAtMs);

class Recordings {
public:
    /// Least time between two starts of one meeting's recording, ms (error rate-limited).
    static constexpr int64_t kMinStartGapMs = 2000;

    /// `directory`: where files go (created on demand).
    Recordings(RecordingConfig config, std::string directory, store::Store& store,
               room::RoomDirectory& rooms, std::function<int64_t()> nowMs);
    ~Recordings();
    Recordings(const Recordings&) = delete;
    Recordings& operator=(const Recordings&) = delete;

    /// Start-up: closes the rows a crash left open (duration read from the file, size from
    /// the file system) and applies retention. Returns how many were repaired.
    int recover();

    /// The `record` message: starts (on) or stops the recording of `room`, a stored meeting
    /// `meetingId` (empty for open rooms, which are not recorded). `isHost`: whether the sender
    /// holds the meeting's host rights (Room::isHost, room/Moderation: the creator while
    /// present, or whoever was handed them). Errors: not-host (not the host, or an open room),
    /// bad-state (already / not recording), no-space, internal.
    /// `who`: the sender's account (none for a guest holding the host rights). `audioOnly`
    /// (with on): the full mix alone, Opus in WebM; otherwise [recording] container.
    core::Status setRecording(room::RoomApi& room, const std::string& meetingId, bool isHost,
                              const std::optional<api::Identity>& who, bool on,
                              bool audioOnly = false);

    /// GET /api/recordings?meeting=ID: the meeting's recordings for one of its participants.
    http::Response list(const http::Request& request, const std::optional<api::Identity>& who);
    /// GET /recordings/<id>: the file for one of the meeting's participants (403 for others,
    /// 401 signed out, 404 unknown), with Range (206) for seeking; /recordings/<id>.vtt: the
    /// chat sent during it (WebVTT).
    http::Response download(const http::Request& request, const std::optional<api::Identity>& who);

    /// Recordings running now.
    std::size_t activeCount() const { return active_.size(); }
    const std::string& directory() const { return directory_; }

    /// The user took part in (or hosts) the meeting (also who may watch its HLS stream when
    /// the host chose "participants").
    bool mayWatch(const std::string& meetingId, const api::Identity& who);

private:
    struct Active {
        int64_t id = 0;
        std::string room;
        int64_t startedMonotonicMs = 0;
    };
    /// A recording ended (stopped, room closed, shutdown): its row gets end, duration, size.
    void finish(int64_t id, const room::RecordingEnd& end);
    /// Every few seconds: stops recordings past max_duration_s or short of min_free_mb.
    void watch();
    /// Free space in the directory's file system, MiB (-1 if unknown).
    int64_t freeMb() const;
    /// Writes the chat sent during a recording beside its file (<file>.vtt).
    void writeChat(const store::Recording& row, int64_t endedAtMs);
    /// Deletes recordings (file and row) older than retention_days.
    void applyRetention();

    RecordingConfig config_;
    std::string directory_;
    store::Store& store_;
    room::RoomDirectory& rooms_;
    std::function<int64_t()> nowMs_;
    std::map<int64_t, Active> active_;            ///< By recording id.
    std::map<std::string, int64_t> lastStartMs_;  ///< Meeting -> monotonic ms of its last start.
    core::SourcePtr watchTimer_;
    core::Anchor<Recordings> anchor_{this};
};

}  // namespace mixmeet::app
