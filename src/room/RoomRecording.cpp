#include "room/RoomRecording.h"

#include "core/Log.h"
#include "core/MainContext.h"

#define GST_CAT_DEFAULT mixmeet_room_debug

namespace mixmeet::room {

core::Result<std::unique_ptr<RoomRecording>> RoomRecording::start(
    GstBin* pipeline, media::Composites& video, media::LayoutKind layout, media::AudioMixer& audio,
    GstElement* audioTee, const std::string& path, int64_t startedAtMs, RecordingFormat format,
    RoomLive* live) {
    std::unique_ptr<RoomRecording> r(new RoomRecording());
    r->video_ = &video;
    r->layout_ = layout;
    r->format_ = format;
    r->audio_ = &audio;
    r->live_ = live;
    r->audioTee_ = core::ElementPtr::ref(audioTee);
    r->startedAtMs_ = startedAtMs;
    r->end_.path = path;
    if (format == RecordingFormat::Mp4) {
        if (!live) return core::makeError("internal", "no live encode to record from");
        auto target = media::makeMp4Target(media::kMp4TargetName, path);
        if (!target) return target.error();
        r->mp4_ = std::move(target).value();
        audio.setSharedAlwaysOn(true);
        if (auto added = live->startRecording(r->mp4_->bin, layout); !added) {
            r->mp4_.reset();
            return added.error();
        }
        r->mp4_->bin.reset();  // The encode's bin holds it now.
        return r;
    }
    // Starts the tier's encoder if it was idle (it then runs for the recording alone).
    if (format == RecordingFormat::Webm) {
        r->videoPad_ = video.requestOutput(layout, kTier);
        if (!r->videoPad_) return core::makeError("internal", "no pad to record from");
    }
    r->audioPad_ = core::PadPtr::adopt(gst_element_request_pad_simple(audioTee, "src_%u"));
    if (!r->audioPad_) return core::makeError("internal", "no pad to record from");
    audio.setSharedAlwaysOn(true);
    auto recorder = media::Recorder::create(pipeline, path, r->videoPad_.get(), r->audioPad_.get());
    if (!recorder) return recorder.error();
    r->recorder_ = std::move(recorder).value();
    // The recording starts at a keyframe; forced now that the branch is linked.
    if (r->videoPad_) r->askKeyframe();
    return r;
}

void RoomRecording::askKeyframe() {
    video_->forceKeyframe(layout_, kTier);
    core::postToMainDelayed(600, [weak = std::weak_ptr<bool>(alive_), this] {
        if (weak.expired() || stopped_ || !recorder_) return;
        if (recorder_->started() && !recorder_->awaitingKeyframe()) return;
        video_->forceKeyframe(layout_, kTier);
    });
}

void RoomRecording::followLayout(media::LayoutKind layout) {
    if (stopped_ || layout == layout_) return;
    if (format_ == RecordingFormat::Mp4) {
        layout_ = layout;  // The live encode moves (RoomLive::followLayout).
        return;
    }
    if (!videoPad_ || !recorder_) return;  // Audio only.
    // The new encoder first: one a viewer watches is shared, never rebuilt.
    core::PadPtr pad = video_->requestOutput(layout, kTier);
    if (!pad) {
        GST_ERROR("no %s composite to record", std::string(media::layoutName(layout)).c_str());
        return;
    }
    if (auto moved = recorder_->relinkVideo(pad.get()); !moved) {
        GST_ERROR("recording cannot follow the layout: %s", moved.error().message.c_str());
        video_->releaseOutput(layout, kTier, pad);
        return;
    }
    video_->releaseOutput(layout_, kTier, videoPad_);
    videoPad_ = std::move(pad);
    layout_ = layout;
    GST_INFO("recording follows the %s layout", std::string(media::layoutName(layout)).c_str());
    askKeyframe();
}

int64_t RoomRecording::durationMs() const {
    if (recorder_) return recorder_->durationMs();
    if (mp4_ && !stopped_) return mp4_->durationMs();
    return 0;
}

RecordingEnd RoomRecording::stop() {
    if (stopped_) return end_;
    if (recorder_) {
        recorder_->stop();
        end_.durationMs = recorder_->durationMs();
    }
    if (mp4_) {
        end_.durationMs = mp4_->durationMs();
        if (live_) live_->stopRecording(mp4_->eosDone);
    }
    stopped_ = true;
    if (videoPad_) video_->releaseOutput(layout_, kTier, videoPad_);
    if (audioPad_) gst_element_release_request_pad(audioTee_.get(), audioPad_.get());
    videoPad_.reset();
    audioPad_.reset();
    recorder_.reset();  // Finished and freed on a teardown thread.
    return end_;
}

RoomRecording::~RoomRecording() {
    stop();
}

}  // namespace mixmeet::room
