#include "room/RoomLive.h"

#include <glib/gstdio.h>

#include <algorithm>

#include "core/Log.h"
#include "core/MainContext.h"
#include "media/Teardown.h"

#define GST_CAT_DEFAULT mixmeet_room_debug

namespace mixmeet::room {

using core::makeError;

namespace {

/// How often connecting targets are checked for bytes sent, ms.
constexpr unsigned kPollMs = 500;

int64_t nowMs() {
    return g_get_monotonic_time() / 1000;
}

std::string targetName(const std::string& id) {
    return "rtmp-" + id;
}

/// Deletes the files in `dir` and `dir` itself (HLS segments and playlist; no subdirectories).
void removeDirectory(const std::string& dir) {
    if (GDir* d = g_dir_open(dir.c_str(), 0, nullptr)) {
        while (const char* name = g_dir_read_name(d)) g_remove((dir + "/" + name).c_str());
        g_dir_close(d);
    }
    g_rmdir(dir.c_str());
}

}  // namespace

int removeStaleHlsDirectories(const std::string& root) {
    int removed = 0;
    GDir* d = g_dir_open(root.c_str(), 0, nullptr);
    if (!d) return 0;
    while (const char* name = g_dir_read_name(d)) {
        std::string dir = root + "/" + name;
        if (!g_file_test(dir.c_str(), G_FILE_TEST_IS_DIR) ||
            g_file_test(dir.c_str(), G_FILE_TEST_IS_SYMLINK))
            continue;
        removeDirectory(dir);
        if (!g_file_test(dir.c_str(), G_FILE_TEST_EXISTS)) ++removed;
    }
    g_dir_close(d);
    return removed;
}

std::string maskKey(const std::string& key) {
    if (key.size() < 8) return "****";
    return key.substr(0, 2) + "****" + key.substr(key.size() - 2);
}

RoomLive::RoomLive(GstBin* pipeline, media::Composites& video, GstElement* audioTee,
                   const media::MediaConfig& config, std::string meetingId, std::string directory,
                   std::function<void()> changed)
    : pipeline_(pipeline),
      video_(video),
      audioTee_(core::ElementPtr::ref(audioTee)),
      config_(config.streaming),
      framerate_(config.framerate),
      meetingId_(std::move(meetingId)),
      directory_(std::move(directory)),
      changed_(std::move(changed)) {}

RoomLive::~RoomLive() {
    *alive_ = false;
    recording_ = false;  // The room stopped its recording first (Room::tearDown).
    rtmp_.clear();
    bool hadHls = hls_;
    hls_ = false;
    if (encoder_ && hadHls) {
        std::string dir = directory_;
        encoder_->removeTarget("hls", [dir] { removeDirectory(dir); });
        hadHls = false;
    }
    if (encoder_) {
        encoder_.reset();  // Removes the targets; torn down off the main thread.
        if (videoPad_) video_.releaseRawOutput(layout_, videoPad_);
        if (audioPad_) gst_element_release_request_pad(audioTee_.get(), audioPad_.get());
    }
    if (hadHls) removeHlsFiles();
}

core::Status RoomLive::ensureEncoder(media::LayoutKind layout) {
    if (encoder_) return core::Ok{};
    layout_ = layout;
    videoPad_ = video_.requestRawOutput(layout);
    audioPad_ = core::PadPtr::adopt(gst_element_request_pad_simple(audioTee_.get(), "src_%u"));
    auto fail = [this](const std::string& why) {
        if (videoPad_) video_.releaseRawOutput(layout_, videoPad_);
        if (audioPad_) gst_element_release_request_pad(audioTee_.get(), audioPad_.get());
        videoPad_.reset();
        audioPad_.reset();
        return makeError("internal", why);
    };
    if (!videoPad_ || !audioPad_) return fail("no pad to stream from");
    auto encoder = media::LiveEncoder::create(pipeline_, config_, framerate_, videoPad_.get(),
                                              audioPad_.get());
    if (!encoder) {
        // A bin half built is in the pipeline: its destructor takes it out.
        return fail(encoder.error().message);
    }
    encoder_ = std::move(encoder).value();
    g_message("room %s: live encode started", meetingId_.c_str());
    return core::Ok{};
}

void RoomLive::stopEncoderIfIdle() {
    if (!encoder_ || !rtmp_.empty() || hls_ || recording_) return;
    encoder_.reset();
    video_.releaseRawOutput(layout_, videoPad_);
    gst_element_release_request_pad(audioTee_.get(), audioPad_.get());
    videoPad_.reset();
    audioPad_.reset();
    g_message("room %s: live encode stopped", meetingId_.c_str());
}

core::Result<std::string> RoomLive::addRtmp(const std::string& url, const std::string& key,
                                            media::LayoutKind layout) {
    if (static_cast<int>(rtmp_.size()) >= config_.maxTargets)
        return makeError("too-many", "At most " + std::to_string(config_.maxTargets) +
                                         " stream targets per meeting.");
    if (auto started = ensureEncoder(layout); !started) return started.error();
    std::string id = std::to_string(nextId_++);
    Rtmp& t = rtmp_[id];
    t.url = url;
    t.key = key;
    if (auto attached = attach(id, t); !attached) {
        rtmp_.erase(id);
        stopEncoderIfIdle();
        return attached.error();
    }
    g_message("room %s: streaming to %s (key %s)", meetingId_.c_str(), url.c_str(),
              maskKey(key).c_str());
    poll();
    changed_();
    return id;
}

core::Status RoomLive::attach(const std::string& id, Rtmp& t) {
    ++t.generation;
    std::string location = t.url;
    if (!location.empty() && location.back() != '/') location += '/';
    location += t.key;
    auto target = media::LiveEncoder::makeRtmpTarget(targetName(id), location);
    if (!target) return target.error();
    t.state = "connecting";
    return encoder_->addTarget(std::move(target).value());
}

core::Status RoomLive::removeRtmp(const std::string& id) {
    auto it = rtmp_.find(id);
    if (it == rtmp_.end()) return makeError(protocol::errc::kBadState, "no such stream target");
    if (encoder_) encoder_->removeTarget(targetName(id));
    g_message("room %s: stopped streaming to %s", meetingId_.c_str(), it->second.url.c_str());
    rtmp_.erase(it);
    stopEncoderIfIdle();
    changed_();
    return core::Ok{};
}

core::Status RoomLive::setHls(bool on, const std::string& access, media::LayoutKind layout) {
    if (!on) {
        if (!hls_) return core::Ok{};
        hls_ = false;
        hlsAccess_.clear();
        std::string dir = directory_;
        if (encoder_) encoder_->removeTarget("hls", [dir] { removeDirectory(dir); });
        stopEncoderIfIdle();
        changed_();
        return core::Ok{};
    }
    if (hls_) {
        hlsAccess_ = access;
        changed_();
        return core::Ok{};
    }
    removeDirectory(directory_);  // Left by a crash.
    if (g_mkdir_with_parents(directory_.c_str(), 0700) != 0)
        return makeError("io", "cannot create the HLS directory");
    if (auto started = ensureEncoder(layout); !started) return started.error();
    auto target = media::LiveEncoder::makeHlsTarget("hls", directory_, config_);
    core::Status added =
        target ? encoder_->addTarget(std::move(target).value()) : core::Status(target.error());
    if (!added) {
        stopEncoderIfIdle();
        return added;
    }
    hls_ = true;
    hlsAccess_ = access;
    g_message("room %s: HLS started (%s)", meetingId_.c_str(), access.c_str());
    changed_();
    return core::Ok{};
}

core::Status RoomLive::startRecording(core::ElementPtr target, media::LayoutKind layout) {
    if (recording_) return makeError(protocol::errc::kBadState, "a recording runs already");
    if (auto started = ensureEncoder(layout); !started) return started.error();
    if (auto added = encoder_->addTarget(std::move(target)); !added) {
        stopEncoderIfIdle();
        return added;
    }
    recording_ = true;
    g_message("room %s: MP4 recording on the live encode", meetingId_.c_str());
    changed_();
    return core::Ok{};
}

void RoomLive::stopRecording(std::shared_ptr<std::atomic<bool>> eosDone) {
    if (!recording_) return;
    recording_ = false;
    if (encoder_) encoder_->finishTarget(media::kMp4TargetName, std::move(eosDone));
    stopEncoderIfIdle();
    changed_();
}

void RoomLive::followLayout(media::LayoutKind layout) {
    if (!encoder_ || layout == layout_) return;
    // The new composite first: one watched already is shared, never rebuilt.
    core::PadPtr pad = video_.requestRawOutput(layout);
    if (!pad) {
        GST_ERROR("room %s: no %s composite for the live encode", meetingId_.c_str(),
                  std::string(media::layoutName(layout)).c_str());
        return;
    }
    if (auto moved = encoder_->relinkVideo(pad.get()); !moved) {
        GST_ERROR("room %s: %s", meetingId_.c_str(), moved.error().message.c_str());
        video_.releaseRawOutput(layout, pad);
        return;
    }
    video_.releaseRawOutput(layout_, videoPad_);
    videoPad_ = std::move(pad);
    layout_ = layout;
    g_message("room %s: live encode follows the %s layout", meetingId_.c_str(),
              std::string(media::layoutName(layout)).c_str());
}

std::string RoomLive::sanitize(std::string message) const {
    for (const auto& [id, t] : rtmp_) {
        if (t.key.empty()) continue;
        for (std::size_t at; (at = message.find(t.key)) != std::string::npos;)
            message.replace(at, t.key.size(), maskKey(t.key));
    }
    return message;
}

void RoomLive::onError(const std::string& target, const std::string& rawMessage) {
    std::string message = sanitize(rawMessage);
    if (target.rfind("rtmp-", 0) == 0) {
        auto it = rtmp_.find(target.substr(5));
        if (it == rtmp_.end() || it->second.state == "retrying") return;
        g_warning("room %s: stream to %s failed: %s", meetingId_.c_str(), it->second.url.c_str(),
                  message.c_str());
        if (encoder_) encoder_->removeTarget(target);
        scheduleRetry(it->first, it->second, message);
        changed_();
        return;
    }
    g_warning("room %s: live %s failed: %s", meetingId_.c_str(),
              target.empty() ? "encode" : target.c_str(), message.c_str());
    if (target == "hls") (void)setHls(false, {}, layout_);
}

void RoomLive::scheduleRetry(const std::string& id, Rtmp& t, const std::string& message) {
    int64_t delay = config_.retryMinMs;
    for (int i = 0; i < t.attempts && delay < config_.retryMaxMs; ++i) delay *= 2;
    delay = std::min<int64_t>(delay, config_.retryMaxMs);
    ++t.attempts;
    t.state = "retrying";
    t.message = message;
    t.retryAtMs = nowMs() + delay;
    unsigned generation = ++t.generation;
    core::postToMainDelayed(
        static_cast<unsigned>(delay), [this, weak = std::weak_ptr<bool>(alive_), id, generation] {
            if (weak.expired()) return;
            auto it = rtmp_.find(id);
            if (it == rtmp_.end() || it->second.generation != generation || !encoder_) return;
            if (auto attached = attach(id, it->second); !attached) {
                scheduleRetry(id, it->second, attached.error().message);
            } else {
                poll();
            }
            changed_();
        });
}

void RoomLive::poll() {
    if (polling_) return;
    polling_ = true;
    core::postToMainDelayed(kPollMs, [this, weak = std::weak_ptr<bool>(alive_)] {
        if (weak.expired()) return;
        polling_ = false;
        bool any = false;
        bool change = false;
        for (auto& [id, t] : rtmp_) {
            if (t.state != "connecting" || !encoder_) continue;
            // Bytes sent by this attempt's sink (a new sink starts at 0): connected.
            if (encoder_->targetBytes(targetName(id)) > 0) {
                t.state = "live";
                t.message.clear();
                t.attempts = 0;
                change = true;
            } else {
                any = true;
            }
        }
        if (any) poll();
        if (change) changed_();
    });
}

protocol::StreamingState RoomLive::state() const {
    protocol::StreamingState s;
    int64_t now = nowMs();
    for (const auto& [id, t] : rtmp_) {
        protocol::StreamTarget out;
        out.id = id;
        out.url = t.url;
        out.key = maskKey(t.key);
        out.state = t.state;
        out.message = t.message;
        if (t.state == "retrying")
            out.retryInMs = static_cast<int>(std::max<int64_t>(0, t.retryAtMs - now));
        s.targets.push_back(std::move(out));
    }
    s.hls = hls_;
    if (hls_) {
        s.hlsAccess = hlsAccess_;
        s.hlsUrl = "/live/" + meetingId_ + "/index.m3u8";
        s.watchUrl = "/watch.html?m=" + meetingId_;
    }
    return s;
}

void RoomLive::removeHlsFiles() {
    removeDirectory(directory_);
}

}  // namespace mixmeet::room
