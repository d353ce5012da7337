#include "app/Recordings.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <algorithm>
#include <cstring>

#include "core/Json.h"
#include "core/Log.h"
#include "core/MainContext.h"
#include "http/ByteRange.h"
#include "media/Recorder.h"
#include "protocol/Messages.h"

#define GST_CAT_DEFAULT mixmeet_app_debug

namespace mixmeet::app {

namespace errc = protocol::errc;

namespace {
/// How often running recordings are checked against the guards, ms.
constexpr unsigned kWatchIntervalMs = 2000;

int64_t monotonicMs() {
    return g_get_monotonic_time() / 1000;
}

int64_t fileSize(const std::string& path) {
    GStatBuf st;
    if (g_stat(path.c_str(), &st) != 0) return 0;
    return static_cast<int64_t>(st.st_size);
}
std::string vttTime(int64_t ms) {
    char out[32];
    g_snprintf(out, sizeof out, "%02lld:%02lld:%02lld.%03lld", static_cast<long long>(ms / 3600000),
               static_cast<long long>(ms / 60000 % 60), static_cast<long long>(ms / 1000 % 60),
               static_cast<long long>(ms % 1000));
    return out;
}

/// Text safe inside a cue: markup escaped, one line (a blank line would end the cue).
std::string vttText(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '\n':
            case '\r':
                out += ' ';
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string vttPath(const std::string& path) {
    return path + ".vtt";
}
}  // namespace

room::RecordingFormat recordingFormatOf(const std::string& path) {
    if (g_str_has_suffix(path.c_str(), ".mp4")) return room::RecordingFormat::Mp4;
    if (g_str_has_suffix(path.c_str(), ".audio.webm")) return room::RecordingFormat::WebmAudio;
    return room::RecordingFormat::Webm;
}

const char* recordingContentType(room::RecordingFormat format) {
    switch (format) {
        case room::RecordingFormat::Mp4:
            return "video/mp4";
        case room::RecordingFormat::WebmAudio:
            return "audio/webm";
        case room::RecordingFormat::Webm:
            break;
    }
    return "video/webm";
}

namespace {
const char* extensionOf(room::RecordingFormat format) {
    switch (format) {
        case room::RecordingFormat::Mp4:
            return ".mp4";
        case room::RecordingFormat::WebmAudio:
            return ".audio.webm";
        case room::RecordingFormat::Webm:
            break;
    }
    return ".webm";
}

const char* kindOf(room::RecordingFormat format) {
    switch (format) {
        case room::RecordingFormat::Mp4:
            return "mp4";
        case room::RecordingFormat::WebmAudio:
            return "audio";
        case room::RecordingFormat::Webm:
            break;
    }
    return "webm";
}
}  // namespace

std::string chatAsWebVtt(const std::vector<store::ChatMessage>& lines, int64_t startedAtMs) {
    constexpr int64_t kShownMs = 5000;
    std::string out = "WEBVTT\n";
    int n = 0;
    for (const auto& m : lines) {
        int64_t at = std::max<int64_t>(0, m.sentAt - startedAtMs);
        out += "\n" + std::to_string(++n) + "\n" + vttTime(at) + " --> " + vttTime(at + kShownMs) +
               "\n<v " + vttText(m.displayName) + ">" + vttText(m.text) + "\n";
    }
    return out;
}

Recordings::Recordings(RecordingConfig config, std::string directory, store::Store& store,
                       room::RoomDirectory& rooms, std::function<int64_t()> nowMs)
    : config_(std::move(config)),
      directory_(std::move(directory)),
      store_(store),
      rooms_(rooms),
      nowMs_(std::move(nowMs)) {
    watchTimer_.reset(g_timeout_source_new(kWatchIntervalMs));
    g_source_set_callback(
        watchTimer_.get(),
        [](gpointer d) -> gboolean {
            if (auto* self = core::resolve(*static_cast<std::weak_ptr<Recordings*>*>(d)))
                self->watch();
            return G_SOURCE_CONTINUE;
        },
        new std::weak_ptr<Recordings*>(anchor_.weak()),
        [](gpointer d) { delete static_cast<std::weak_ptr<Recordings*>*>(d); });
    g_source_attach(watchTimer_.get(), core::mainContext());
}

Recordings::~Recordings() {
    watchTimer_.reset();
}

int Recordings::recover() {
    int repaired = 0;
    if (auto open = store_.openRecordings()) {
        for (const store::Recording& r : open.value()) {
            int64_t duration = 0;
            if (auto probed = media::probeRecordingDurationMs(r.path))
                duration = probed.value();
            else
                GST_WARNING("recording %lld: %s", static_cast<long long>(r.id),
                            probed.error().message.c_str());
            if (auto done = store_.finishRecording(r.id, r.startedAt + duration, duration,
                                                   fileSize(r.path));
                !done) {
                GST_WARNING("cannot close recording %lld: %s", static_cast<long long>(r.id),
                            done.error().message.c_str());
                continue;
            }
            g_message("recording %lld (%s) left open by the previous run: closed, %lld ms",
                      static_cast<long long>(r.id), r.path.c_str(),
                      static_cast<long long>(duration));
            ++repaired;
        }
    } else {
        GST_WARNING("cannot list open recordings: %s", open.error().message.c_str());
    }
    applyRetention();
    return repaired;
}

void Recordings::applyRetention() {
    if (config_.retentionDays <= 0) return;
    int64_t before = nowMs_() - int64_t{config_.retentionDays} * 24 * 3600 * 1000;
    auto old = store_.recordingsStartedBefore(before);
    if (!old) return;
    for (const store::Recording& r : old.value()) {
        if (g_remove(r.path.c_str()) != 0 && g_file_test(r.path.c_str(), G_FILE_TEST_EXISTS))
            continue;  // Kept with its row; tried again at the next start.
        g_remove(vttPath(r.path).c_str());
        if (auto gone = store_.deleteRecording(r.id); !gone)
            GST_WARNING("cannot delete recording %lld", static_cast<long long>(r.id));
        g_message("recording %lld deleted (retention)", static_cast<long long>(r.id));
    }
}

int64_t Recordings::freeMb() const {
    g_autoptr(GFile) dir = g_file_new_for_path(directory_.c_str());
    g_autoptr(GFileInfo) info =
        g_file_query_filesystem_info(dir, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, nullptr, nullptr);
    if (!info || !g_file_info_has_attribute(info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE)) return -1;
    return static_cast<int64_t>(
        g_file_info_get_attribute_uint64(info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE) / (1024 * 1024));
}

core::Status Recordings::setRecording(room::RoomApi& room, const std::string& meetingId,
                                      bool isHost, const std::optional<api::Identity>& who, bool on,
                                      bool audioOnly) {
    if (meetingId.empty() || !isHost)
        return core::makeError(errc::kNotHost, "Only the meeting's host can record it.");
    if (!on) return room.stopRecording();
    if (room.recordingState().on)
        return core::makeError(errc::kBadState, "The meeting is being recorded already.");
    // Each start is a file and a row: a host toggling `record` gets one every kMinStartGapMs.
    auto last = lastStartMs_.find(meetingId);
    if (last != lastStartMs_.end() && monotonicMs() - last->second < kMinStartGapMs)
        return core::makeError(errc::kRateLimited, "Recording was just started; wait a moment.");
    if (g_mkdir_with_parents(directory_.c_str(), 0700) != 0)
        return core::makeError(errc::kNoSpace, "The recording directory cannot be created.");
    int64_t free = freeMb();
    if (free >= 0 && free < config_.minFreeMb)
        return core::makeError(errc::kNoSpace, "The server is short of disk space to record.");
    int64_t now = nowMs_();
    const room::RecordingFormat format =
        audioOnly ? room::RecordingFormat::WebmAudio
                  : (config_.container == "mp4" ? room::RecordingFormat::Mp4
                                                : room::RecordingFormat::Webm);
    // The name holds no user input but the meeting id (auth::MeetingId: [a-z-]); its ending
    // says the format (recordingFormatOf).
    std::string path =
        directory_ + "/" + meetingId + "-" + std::to_string(now) + extensionOf(format);
    store::Recording row;
    row.meetingId = meetingId;
    if (who) row.startedBy = who->user.id;
    row.path = path;
    row.startedAt = now;
    auto id = store_.createRecording(row);
    if (!id) return core::makeError(errc::kInternal, "The recording could not be stored.");
    auto started = room.startRecording(
        path, now,
        [weak = anchor_.weak(), rid = id.value()](const room::RecordingEnd& end) {
            if (auto* self = core::resolve(weak)) self->finish(rid, end);
        },
        format);
    if (!started) {
        if (auto gone = store_.deleteRecording(id.value()); !gone)
            GST_WARNING("cannot delete recording row %lld", static_cast<long long>(id.value()));
        g_remove(path.c_str());
        GST_WARNING("[%s] cannot record: %s", room.name().c_str(), started.error().message.c_str());
        if (started.error().code == errc::kBadState) return started;
        return core::makeError(errc::kInternal, "The recording could not start.");
    }
    active_[id.value()] = Active{id.value(), room.name(), monotonicMs()};
    lastStartMs_[meetingId] = monotonicMs();
    return core::Ok{};
}

void Recordings::finish(int64_t id, const room::RecordingEnd& given) {
    active_.erase(id);
    room::RecordingEnd end = given;
    // A recording whose media worker was lost ends without a duration: read it from the file,
    // as recover() does after a crash of the whole server.
    if (end.durationMs <= 0)
        if (auto probed = media::probeRecordingDurationMs(end.path, 5000))
            end.durationMs = probed.value();
    auto row = store_.recordingById(id);
    int64_t startedAt = row ? row.value().startedAt : nowMs_();
    // The muxer's last blocks may still be on their way to the file: the size is what it
    // holds now (unbuffered writes: all but those few blocks).
    if (auto done = store_.finishRecording(id, std::max(startedAt, nowMs_()), end.durationMs,
                                           fileSize(end.path));
        !done)
        GST_WARNING("cannot close recording %lld: %s", static_cast<long long>(id),
                    done.error().message.c_str());
    if (row) writeChat(row.value(), std::max(startedAt, nowMs_()));
    g_message("recording %lld finished: %s, %lld ms", static_cast<long long>(id), end.path.c_str(),
              static_cast<long long>(end.durationMs));
}

void Recordings::writeChat(const store::Recording& row, int64_t endedAtMs) {
    // Newest first, pages of 500, back to the recording's start.
    std::vector<store::ChatMessage> lines;
    std::optional<int64_t> before;
    for (;;) {
        auto page = store_.chatMessages(row.meetingId, before, 500);
        if (!page) return;
        bool older = false;
        for (const auto& m : page.value().messages) {
            if (m.sentAt < row.startedAt) {
                older = true;
                break;
            }
            if (m.sentAt <= endedAtMs) lines.push_back(m);
        }
        if (older || !page.value().nextBeforeId) break;
        before = page.value().nextBeforeId;
    }
    std::reverse(lines.begin(), lines.end());
    std::string vtt = chatAsWebVtt(lines, row.startedAt);
    core::ErrorOut err;
    if (!g_file_set_contents(vttPath(row.path).c_str(), vtt.data(), static_cast<gssize>(vtt.size()),
                             err.out()))
        GST_WARNING("cannot write the chat of recording %lld: %s", static_cast<long long>(row.id),
                    err.message());
}

void Recordings::watch() {
    // Forget start times once they no longer limit anything (bounded by meetings recorded
    // in the last kMinStartGapMs).
    std::erase_if(lastStartMs_, [now = monotonicMs()](const auto& e) {
        return now - e.second >= kMinStartGapMs;
    });
    if (active_.empty()) return;
    int64_t free = freeMb();
    std::vector<std::string> stop;
    for (const auto& [id, a] : active_) {
        bool tooLong = monotonicMs() - a.startedMonotonicMs >= int64_t{config_.maxDurationS} * 1000;
        bool noSpace = free >= 0 && free < config_.minFreeMb;
        if (tooLong || noSpace) {
            g_message("recording %lld stopped: %s", static_cast<long long>(id),
                      tooLong ? "max_duration_s reached" : "disk space below min_free_mb");
            stop.push_back(a.room);
        }
    }
    for (const auto& name : stop)
        if (room::RoomApi* r = rooms_.findRoom(name)) (void)r->stopRecording();
}

bool Recordings::mayWatch(const std::string& meetingId, const api::Identity& who) {
    auto meeting = store_.meetingById(meetingId);
    if (!meeting) return false;
    if (meeting.value().hostUserId == who.user.id) return true;
    auto parts = store_.participationsForMeeting(meetingId);
    if (!parts) return false;
    for (const auto& p : parts.value())
        if (p.userId == who.user.id) return true;
    return false;
}

http::Response Recordings::list(const http::Request& request,
                                const std::optional<api::Identity>& who) {
    if (!who) return api::errorResponse(401, "unauthenticated", "Please sign in.");
    auto q = request.query.find("meeting");
    if (q == request.query.end() || q->second.empty())
        return api::errorResponse(400, "bad-request", "Say which meeting: ?meeting=ID.");
    if (!mayWatch(q->second, *who))
        return api::errorResponse(404, "not-found", "No such meeting among yours.");
    auto rows = store_.recordingsForMeeting(q->second);
    if (!rows) return api::errorResponse(500, "internal", "The recordings could not be read.");
    core::JsonWriter w;
    w.beginArray("recordings");
    for (const auto& r : rows.value()) {
        w.beginObject(nullptr)
            .num("id", r.id)
            .str("meetingId", r.meetingId)
            .num("startedAt", r.startedAt)
            .boolean("recording", !r.endedAt)
            .num("durationMs", r.durationMs)
            .str("kind", kindOf(recordingFormatOf(r.path)))
            .num("sizeBytes", std::max(r.sizeBytes, fileSize(r.path)))
            .str("url", "/recordings/" + std::to_string(r.id))
            .endObject();
    }
    http::Response resp;
    resp.body = w.endArray().finish();
    return resp;
}

http::Response Recordings::download(const http::Request& request,
                                    const std::optional<api::Identity>& who) {
    if (request.method != "GET" && request.method != "HEAD")
        return api::errorResponse(405, "method-not-allowed", "GET only.");
    std::string idText = request.path.substr(std::string("/recordings/").size());
    for (const char* ext : {".webm", ".mp4"})
        if (g_str_has_suffix(idText.c_str(), ext) && idText.size() > strlen(ext)) {
            idText.resize(idText.size() - strlen(ext));
            break;
        }
    bool chat = false;
    if (idText.size() > 4 && idText.compare(idText.size() - 4, 4, ".vtt") == 0) {
        idText.resize(idText.size() - 4);
        chat = true;
    }
    char* end = nullptr;
    long long id = idText.empty() ? 0 : std::strtoll(idText.c_str(), &end, 10);
    if (idText.empty() || !end || *end != '\0' || id <= 0)
        return api::errorResponse(404, "not-found", "No such recording.");
    if (!who) return api::errorResponse(401, "unauthenticated", "Please sign in.");
    auto row = store_.recordingById(id);
    if (!row) return api::errorResponse(404, "not-found", "No such recording.");
    if (!mayWatch(row.value().meetingId, *who))
        return api::errorResponse(403, "forbidden", "Only the meeting's participants may watch.");
    const std::string path = chat ? vttPath(row.value().path) : row.value().path;
    if (!g_file_test(path.c_str(), G_FILE_TEST_IS_REGULAR))
        return api::errorResponse(404, "not-found", "The recording's file is gone.");
    int64_t size = fileSize(path);
    http::Response resp;
    const room::RecordingFormat format = recordingFormatOf(row.value().path);
    resp.contentType = chat ? "text/vtt; charset=utf-8" : recordingContentType(format);
    resp.file = path;
    resp.headers.emplace_back("Accept-Ranges", "bytes");
    resp.headers.emplace_back("Content-Disposition", "inline; filename=\"" + row.value().meetingId +
                                                         "-" + std::to_string(id) +
                                                         (chat ? ".vtt" : extensionOf(format)) +
                                                         "\"");
    http::RangeRequest range = http::parseRange(request.header("range"), size);
    switch (range.kind) {
        case http::RangeRequest::Kind::Whole:
            resp.fileLength = size;
            break;
        case http::RangeRequest::Kind::Partial:
            resp.status = 206;
            resp.fileOffset = range.range.offset;
            resp.fileLength = range.range.length;
            resp.headers.emplace_back("Content-Range", http::contentRange(range.range, size));
            break;
        case http::RangeRequest::Kind::Unsatisfiable:
            resp.status = 416;
            resp.file.clear();
            resp.contentType = "text/plain; charset=utf-8";
            resp.body = "range not satisfiable\n";
            resp.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
            break;
    }
    return resp;
}

}  // namespace mixmeet::app
