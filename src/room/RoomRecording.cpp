#include "room/RoomRecording.h"

#include "core/Log.h"
#include "core/MainContext.h"

#define GST_CAT_DEFAULT mixmeet_room_debug

namespace mixmeet::room {

core::Result<std::unique_ptr<RoomRecording>> RoomRecording::start(
    GstBin* pipeline, media::Composites& video, media::LayoutKind layout, media::AudioMixer& audio,
    GstElement* audioTee, const std::string& path, int64_t startedAtMs) {
    std::unique_ptr<RoomRecording> r(new RoomRecording());
    r->video_ = &video;
    r->layout_ = layout;
    r->audio_ = &audio;
    r->audioTee_ = core::ElementPtr::ref(audioTee);
    r->startedAtMs_ = startedAtMs;
    r->end_.path = path;
    // Starts the tier's encoder if it was idle (it then runs for the recording alone).
    r->videoPad_ = video.requestOutput(layout, kTier);
    r->audioPad_ = core::PadPtr::adopt(gst_element_request_pad_simple(audioTee, "src_%u"));
    if (!r->videoPad_ || !r->audioPad_) return core::makeError("internal", "no pad to record from");
    audio.setSharedAlwaysOn(true);
    auto recorder = media::Recorder::create(pipeline, path, r->videoPad_.get(), r->audioPad_.get());
    if (!recorder) return recorder.error();
    r->recorder_ = std::move(recorder).value();
    // The recording starts at a keyframe; forced now that the branch is linked. The tier
    // spaces forced keyframes ([video] keyframe_min_interval_ms): asked again until one came.
    video.forceKeyframe(layout, kTier);
    core::postToMainDelayed(600, [weak = std::weak_ptr<bool>(r->alive_), rec = r.get()] {
        if (weak.expired() || rec->stopped_ || rec->recorder_->started()) return;
        rec->video_->forceKeyframe(rec->layout_, kTier);
    });
    return r;
}

RecordingEnd RoomRecording::stop() {
    if (stopped_) return end_;
    stopped_ = true;
    if (recorder_) {
        recorder_->stop();
        end_.durationMs = recorder_->durationMs();
    }
    audio_->setSharedAlwaysOn(false);
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
