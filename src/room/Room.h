// A meeting room: one GStreamer pipeline with one Endpoint per participant, one composite
// (VideoMixer) and one mix-minus mixer (AudioMixer). Created when the first participant joins,
// destroyed (all elements freed) by the RoomRegistry when the last leaves.
// Main thread only; owns its pipeline, mixers and endpoints.
#pragma once

#include <gst/gst.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/Anchor.h"
#include "core/GstPtr.h"
#include "core/Result.h"
#include "media/AudioMixer.h"
#include "media/Composites.h"
#include "media/Endpoint.h"
#include "media/Fragments.h"
#include "media/MediaConfig.h"
#include "media/SendHints.h"
#include "media/TileMarks.h"
#include "media/VideoMixer.h"
#include "room/Liveness.h"
#include "room/MeetingControls.h"
#include "room/ParticipantListener.h"
#include "room/Presenter.h"
#include "room/RoomApi.h"
#include "room/RoomLive.h"
#include "room/RoomPipeline.h"
#include "room/RoomRecording.h"
#include "room/Stage.h"
#include "room/ViewerQuality.h"

namespace mixmeet::room {

class Room : public RoomApi, private RoomPipeline::Listener, private MeetingControls::RoomAccess {
public:
    /// Tells the registry when the room became empty (after a leave or a removal).
    class Listener {
    public:
        virtual ~Listener() = default;
        virtual void onRoomEmpty(const std::string& roomName) = 0;
    };

    /// Builds and starts the pipeline. Errors: "internal" if it cannot be built (a fragment),
    /// "server-busy" if it cannot be started (a state change failed, a thread could not be
    /// created); what was built is then torn down off the main thread.
    /// `owner`: the account that created the meeting (host rights, MeetingControls); empty
    /// for an open room.
    static core::Result<std::unique_ptr<Room>> create(std::string name,
                                                      const media::MediaConfig& config,
                                                      const media::Fragments& fragments,
                                                      Listener& listener,
                                                      std::optional<int64_t> owner = {});
    ~Room() override;
    Room(const Room&) = delete;
    Room& operator=(const Room&) = delete;

    /// Adds a participant; returns its id. Errors: "room-full", "internal".
    core::Result<std::string> join(const std::string& displayName, ParticipantListener& listener,
                                   const Attendee& who = {});
    /// Removes a participant (idempotent; unknown ids are ignored).
    void leave(const std::string& id);
    /// The participant's connection dropped (docs/protocol.md, "Reconnecting"): its events go
    /// to `holder` from now on, its media stays as it is (its tile keeps the last frame, its
    /// silence is mixed) and neither liveness nor ICE failure removes it: only leave(),
    /// resume() or a host action ends this. Error bad-state for an unknown id.
    core::Status park(const std::string& id, ParticipantListener& holder) override;
    /// A new connection takes over participant `id` (parked or not): its events go to
    /// `listener`, and its media is rebuilt (the old webrtcbin torn down, a new one whose
    /// offer reaches listener.onOffer()); its tile slot, host rights, mutes and hand stay,
    /// and the others see no leave. The roster reaches `listener` at once. A participant
    /// that had hung up is back in the call. Errors: bad-state (unknown id), internal (the
    /// participant is then removed).
    core::Status resume(const std::string& id, ParticipantListener& listener);
    /// resume(); the id stays (RoomApi::takeOver).
    core::Result<std::string> takeOver(const std::string& id,
                                       ParticipantListener& listener) override {
        if (auto resumed = resume(id, listener); !resumed) return resumed.error();
        return id;
    }
    /// Whether participant `id` is parked (its connection dropped, not yet resumed).
    bool parked(const std::string& id) const;
    /// Errors: "bad-sdp"; unknown ids give "bad-state".
    core::Status applyAnswer(const std::string& id, const std::string& sdp) override;
    /// ICE restart on participant `id`'s webrtcbin, asked by its client (docs/protocol.md, "ICE
    /// restart"): a new offer with new ICE credentials reaches its listener (onIceRestart()
    /// first, then onOffer()), the same participant, no leave for the others. If nothing
    /// arrives from it within [webrtc] ice_restart_timeout_ms, it falls back as a media loss
    /// (onMediaLost(): parked, bye "media-lost"). Errors bad-state: unknown id, not in the
    /// call, no answer applied yet, a restart already under way, or restarts are off
    /// (timeout 0).
    core::Status restartIce(const std::string& id) override;
    /// Whether an ICE restart of participant `id` is under way (started, not yet seen through).
    bool restartingIce(const std::string& id) const;
    /// ICE restarts begun so far in this room (by clients or by the server) and those that
    /// brought the media back without a fallback.
    unsigned iceRestarts() const { return iceRestarts_; }
    unsigned iceRestartsRecovered() const { return iceRestartsRecovered_; }
    void addRemoteCandidate(const std::string& id,
                            const protocol::IceCandidate& candidate) override;
    /// The viewer's quality choice: "auto", "high", "medium", "low" or "audio"
    /// (QualityChoice). Error "bad-message" for anything else. Only records the choice: the tier
    /// moves (and the viewer gets its `quality`) within kTierMoveIntervalMs, at most once per
    /// interval for the whole room; a repeat of the current choice does nothing.
    core::Status setQuality(const std::string& id, const std::string& choice) override;
    /// The tier a participant receives (index into videoMixer().tiers(); kAudioOnly for none).
    int tierOf(const std::string& id) const;
    /// The last receiver report of a viewer about our video: {loss fraction, RTT ms}; {-1, -1}
    /// before the first.
    std::pair<double, double> lastFeedback(const std::string& id) const;
    /// Whether a participant is shown in the composite ([video] max_tiles).
    bool isShown(const std::string& id) const { return stage_.isShown(id); }
    static constexpr int kAudioOnly = kAudioOnlyTier;
    /// Quality choices are applied at most this often (each may rebuild a tier encoder), ms.
    static constexpr unsigned kTierMoveIntervalMs = 250;
    /// The room's composites (one per layout with viewers) and their encoders.
    const media::Composites& videoMixer() const { return *video_; }
    /// A viewer's layout choice: "grid", "speaker", "presentation" or "auto" (the meeting's),
    /// scope "self"; or the meeting's layout, scope "meeting" (the host only: error
    /// "not-host"). Error "bad-message" for anything else. The viewer (every viewer for the
    /// meeting's) moves to the layout's composite and gets a `layout` message.
    core::Status setLayout(const std::string& id, const std::string& layout,
                           const std::string& scope) override;
    /// The composite a viewer receives.
    media::LayoutKind layoutOf(const std::string& id) const;
    /// Viewer `id` pins `pinned` (a participant in the room; "": unpins): it receives the
    /// speaker layout with `pinned` large, shared with whoever pinned the same participant.
    /// Errors: bad-state (`id` not in the room), no-such-participant.
    core::Status setPin(const std::string& id, const std::string& pinned) override;
    /// Screen sharing (docs/protocol.md, "Screen sharing"): `id` starts presenting its screen
    /// (what it sends on m-line 2). One presenter at a time: a second one takes over (the
    /// first one's share ends). Every viewer that follows the meeting's layout moves to the
    /// presentation composite (screen large, letterboxed; cameras in the strip) until the
    /// share ends. Errors: bad-state (not in the room), share-unavailable (not in the call,
    /// or its answer did not open m-line 2 for sending). Repeating it changes nothing.
    core::Status startShare(const std::string& id) override;
    /// The presenter stops: the screen's tile and decode go, viewers return to their layout.
    /// Error bad-state if `id` is not presenting. Leaving the call or the room (a vanished
    /// peer included) ends a share the same way.
    core::Status stopShare(const std::string& id) override;
    /// Who presents; empty: nobody.
    const std::string& presenter() const { return presenter_.current(); }
    /// The active speaker (media::ActiveSpeaker); empty before anyone spoke.
    const std::string& activeSpeaker() const { return speaker_; }
    /// Keyframe requests (PLI/FIR) the participants in the room now have sent about the
    /// composite; the tier encoders honour at most one per keyframe_min_interval_ms.
    unsigned long keyframeRequests() const;
    /// REMB packets (send caps, media/Remb.h) sent to the participants in the room now.
    unsigned long rembsSent() const;
    /// Delivers a chat line to every participant.
    void broadcastChat(const protocol::ChatLine& line) override;

    /// Starts recording the composite (high tier) of the meeting's layout and the full mix
    /// into `path` in `format` (RoomRecording; the composite then follows the meeting's layout)
    /// and tells every participant (`recording` on). `onEnded` is called once, on the main
    /// thread, with what was recorded when the recording ends: stopRecording() or the room
    /// closing. Error "bad-state" if one runs already; "io"/"internal" from the recorder.
    core::Status startRecording(const std::string& path, int64_t startedAtMs,
                                std::function<void(const RecordingEnd&)> onEnded,
                                RecordingFormat format = RecordingFormat::Webm) override;
    /// Stops the recording and tells every participant (`recording` off). Error "bad-state"
    /// if none runs.
    core::Status stopRecording() override;
    std::optional<protocol::StreamingState> streamingForJoiner(
        const std::string& id) const override {
        if (!live_ || (!live_->running() && !live_->hlsOn())) return std::nullopt;
        return streamingStateFor(id);
    }
    /// The running recording, or null.
    const RoomRecording* recording() const { return recording_.get(); }
    /// What a participant is told about the recording (on join and on every change).
    protocol::RecordingState recordingState() const override;
    // Live streaming (docs/recording.md, "Live streaming"; room/RoomLive.h). Host only: the
    // others get "not-host". Every participant is told the new state (onStreaming).
    /// Adds an RTMP(S) target of the meeting layout's composite and the full mix. Returns its
    /// id. Errors: not-host, too-many, internal.
    core::Result<std::string> addStreamTarget(const std::string& by, const std::string& url,
                                              const std::string& key) override;
    /// Errors: not-host, bad-state (unknown id).
    core::Status removeStreamTarget(const std::string& by, const std::string& id) override;
    /// Starts/stops HLS; `access` "participants" or "anyone". Errors: not-host, bad-state (a
    /// room whose name is not a meeting id), io, internal.
    core::Status setHls(const std::string& by, bool on, const std::string& access) override;
    /// What a participant is told about the live stream (on join and on every change).
    protocol::StreamingState streamingState() const;
    /// The same for participant `id`: a guest's watch URLs carry its watch token.
    protocol::StreamingState streamingStateFor(const std::string& id) const;
    /// Whether `token` is the watch token of a guest in the meeting now (a guest may watch a
    /// "participants" HLS stream while it is in the meeting).
    bool mayWatchWithToken(std::string_view token) const override;
    std::optional<Hls> hls() const override {
        if (!live_ || !live_->hlsOn()) return std::nullopt;
        return Hls{live_->hlsAccess(), live_->hlsDirectory()};
    }
    /// The layout the meeting's followers see: the presentation while someone shares, else
    /// the meeting's layout (presentation meaning speaker). The recording and the live encode
    /// show it.
    media::LayoutKind followedLayout() const;
    /// The live stream, or null if none ever ran.
    const RoomLive* live() const { return live_.get(); }

    // Meeting controls (docs/protocol.md, "Meeting controls"; room/MeetingControls.h).
    /// Whether a new joiner enters or waits. Errors: meeting-locked, waiting-room-full.
    core::Result<Moderation::Admission> screen(const Attendee& who) const {
        return controls_.screen(who);
    }
    /// Holds a joiner in the waiting room; returns its waiting id. The listener gets
    /// onAdmitted() (then joins) or onDenied().
    std::string hold(const std::string& displayName, const Attendee& who,
                     ParticipantListener& listener) override;
    /// A waiting joiner went away (idempotent).
    void unhold(const std::string& waitId) override { controls_.unhold(waitId); }
    /// Errors as MeetingControls (no-such-participant, rate-limited, not-host, bad-state).
    core::Status setMediaState(const std::string& id, const protocol::MediaState& state) override;
    core::Status raiseHand(const std::string& id, bool raised) override;
    core::Status react(const std::string& id, const std::string& emoji) override;
    core::Status hostCommand(const std::string& id, const protocol::HostCommand& command) override;
    /// Hangs up: the participant's media goes (endpoint, tile, mixer input and output), it
    /// stays in the meeting (roster, chat). Error bad-state if not in the call.
    core::Status leaveCall(const std::string& id) override;
    /// Back in the call: a new endpoint, whose offer reaches the listener's onOffer(). Errors:
    /// bad-state (in the call already), internal.
    core::Status rejoinCall(const std::string& id) override;
    bool inCall(const std::string& id) const;
    /// Server-admin actions (the admin page; MeetingControls::adminRemove, adminEnd). The room
    /// may be empty afterwards (the registry then destroys it later, as after any leave).
    core::Status adminRemove(const std::string& id) override { return controls_.adminRemove(id); }
    void adminEnd() override { controls_.adminEnd(); }
    const Moderation& moderation() const { return controls_.moderation(); }
    /// Whether `id` holds the meeting's host rights (room/Moderation.h, "Host rules").
    bool isHost(const std::string& id) const override { return controls_.moderation().isHost(id); }
    /// Who draws reactions and marks (null: nobody); must outlive the room or be unset.
    /// The room draws them itself (media/TileMarks.h) and then tells `observer`.
    void setMeetingObserver(MeetingObserver* observer) { observer_ = observer; }
    /// The marks drawn on a participant's tiles now (hand, muted, reaction).
    media::TileMarks tileMarks(const std::string& id) const { return marks_.marks(id); }

    const std::string& name() const override { return name_; }
    /// Participant and waiting ids from now on are numbered from `n` at least (a room rebuilt
    /// on another media worker keeps clear of the ids its returning participants had).
    void skipIdsBelow(unsigned n) { nextId_ = std::max(nextId_, n); }
    std::size_t participantCount() const { return members_.size(); }
    /// Every element in the pipeline, recursively (for tests and diagnostics).
    std::size_t elementCount() const;
    /// Elements made by `factory` (e.g. "vp8enc", "opusenc"), recursively.
    std::size_t elementCount(const char* factory) const;
    GstElement* pipeline() const { return pipeline_.element(); }
    const media::AudioMixer& audioMixer() const { return *audio_; }
    protocol::Roster roster() const;

private:
    struct Member;
    class MemberEvents;
    /// Draws the meeting controls' events on the tiles, then passes them to observer_.
    class MarksObserver : public MeetingObserver {
    public:
        explicit MarksObserver(Room& room) : room_(room) {}
        void onReaction(const std::string& id, const std::string& emoji) override;
        void onControlState(const std::string& id, const ControlState& state) override;

    private:
        Room& room_;
    };

    Room(std::string name, const media::MediaConfig& config, const media::Fragments& fragments,
         Listener& listener, std::optional<int64_t> owner);
    /// Builds the participant's endpoint and links it into the mixers (join, rejoin-call).
    /// Error "internal".
    core::Status attachMedia(Member& m);
    /// Unlinks and frees the participant's endpoint and mixer input/output (leave,
    /// leave-call).
    void detachMedia(Member& m);
    // MeetingControls::RoomAccess
    ParticipantListener* participant(const std::string& id) override;
    std::vector<std::string> participantIds() const override;
    void setHeard(const std::string& id, bool heard) override;
    void setCameraShown(const std::string& id, bool shown) override;
    void removeParticipant(const std::string& id, const std::string& reason) override;
    void rosterChanged() override { broadcastRoster(); }
    core::Status build();
    /// Brings the built pipeline to PLAYING and starts the mixer thread.
    core::Status start();
    /// Frees the mixers and hands the pipeline to media::Teardown (destructor).
    void tearDown();
    Member* find(const std::string& id);
    void remove(const std::string& id, const std::string& reason, const std::string& code,
                const std::string& message);
    void relayout();
    /// The layout message for viewer `m` as things stand.
    protocol::LayoutInfo layoutFor(const Member& m) const;
    /// Takes the screen of `m` (the presenter) out of the composites and stops its decode;
    /// the caller moves the viewers (applyLayout) and relayouts.
    void endShareMedia(Member& m);
    /// The REMB cap of sender `m`: its camera's send hint, plus the screen's bitrate while it
    /// presents (a browser counts a REMB against everything it sends).
    void applySendCap(Member& m);
    /// The composite viewer `m` should receive.
    media::LayoutKind wantedLayout(const Member& m) const;
    /// Moves viewer `m` to the composite it should receive (wantedLayout), if it changed.
    void applyLayout(Member& m);
    /// Whoever pinned `id` (who left the call or the meeting) is unpinned.
    void unpinEverywhere(const std::string& id);
    /// The mixer's active speaker changed (posted to the main thread).
    void onActiveSpeaker(const std::string& id);
    void broadcastRoster();
    /// Sends participant `id`'s marks (marks_) to its endpoint's tiles.
    void drawMarks(const std::string& id);
    /// Clears the reactions whose time is up and schedules the next check.
    void expireReactions();
    void onIceState(const std::string& id, media::IceState state);
    /// The participant's media failed (ICE, silence): parked by its listener for a reconnect
    /// (ParticipantListener::onMediaLost), or removed with "ice-failed".
    void mediaLost(const std::string& id);
    /// Starts an ICE restart of `m` (see restartIce()); false when it cannot (no media, not
    /// answered, parked, one already running, restarts off, or the listener cannot carry it).
    bool beginIceRestart(Member& m);
    /// Whether `m`'s restart is done: its answer was applied and a packet arrived after it
    /// began. Clears the restart (a success) and returns true if so.
    bool checkIceRestart(Member& m);
    /// The restart's time is up: done (checkIceRestart) or a media loss.
    void iceRestartTimedOut(const std::string& id);
    /// Forgets `m`'s restart and its timer.
    void clearIceRestart(Member& m);
    /// The participant's DTLS is done: forces a keyframe on its tier's encoder.
    void onSecured(const std::string& id);
    void onFeedback(const std::string& id, double lossFraction, double rttMs);
    /// Moves a viewer's video to `tier` (re-linking its send branch; keyframe on the new tier).
    void applyTier(Member& m, int tier);
    void notifyQuality(Member& m);
    /// Once a second: stage speakers, viewer feedback, and the participants Liveness names
    /// (silent for disconnectTimeoutMs, or not connected connectTimeoutMs after joining).
    void checkLiveness();
    std::vector<Liveness::Peer> livenessPeers() const;
    /// Applies the quality choices recorded since the last move, at most once per
    /// kTierMoveIntervalMs.
    void scheduleTierMoves();
    void applyChosenTiers();
    // RoomPipeline::Listener: a participant's media failed; it is removed.
    void onParticipantMediaError(const std::string& id, const std::string& message) override;
    // RoomPipeline::Listener: the recording failed (e.g. disk full); it is stopped.
    void onRecorderError(const std::string& message) override;
    // RoomPipeline::Listener: an output of the live stream failed (retried) or the encode did.
    void onLiveError(const std::string& target, const std::string& message) override;
    /// The live stream's state changed: tell everyone; the full-mix encode runs on every tick
    /// while recording or streaming.
    void onLiveChanged();
    /// The shared full-mix encode is fed on every tick while recording or streaming.
    void updateSharedAlwaysOn();
    /// The recording and the live encode move to followedLayout() if it changed.
    void followMeetingLayout();
    RoomLive& makeLive();

    unsigned iceRestarts_ = 0;
    unsigned iceRestartsRecovered_ = 0;
    std::string name_;
    media::MediaConfig config_;
    media::SendHintPolicy sendHints_;
    Stage stage_;  ///< Who is shown when there are more participants than tiles.
    Liveness liveness_;
    // Passed by argument.
    const media::Fragments& fragments_;
    Listener& listener_;
    // Allocated by this. Declared first so it is destroyed last.
    RoomPipeline pipeline_;  ///< The pipeline and its bus.
    core::SourcePtr livenessTimer_;
    bool tierMovePending_ = false;  ///< applyChosenTiers() is scheduled.
    std::unique_ptr<media::Composites> video_;
    media::LayoutKind meetingLayout_ = media::LayoutKind::Grid;
    std::string speaker_;  ///< The active speaker shown large / highlighted.
    Presenter presenter_;  ///< Who shares a screen.
    std::unique_ptr<media::AudioMixer> audio_;
    core::ElementPtr sharedAudioTee_;           ///< The full-mix Opus encode's tee.
    std::unique_ptr<RoomRecording> recording_;  ///< While recording.
    std::function<void(const RecordingEnd&)> recordingEnded_;
    std::unique_ptr<RoomLive> live_;                ///< Built with the first stream/HLS.
    std::vector<std::unique_ptr<Member>> members_;  ///< In join (= tile) order.
    unsigned nextId_ = 1;
    media::MarksBoard marks_;              ///< What is drawn on each participant's tiles.
    MeetingObserver* observer_ = nullptr;  ///< Told after marks_ (setMeetingObserver).
    MarksObserver marksObserver_{*this};
    MeetingControls controls_;  ///< Host, mutes, waiting room (after members_: uses them).
    core::Anchor<Room> anchor_{this};
};

}  // namespace mixmeet::room
