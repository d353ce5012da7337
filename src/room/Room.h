// A meeting room: one GStreamer pipeline with one Endpoint per participant, one composite
// (VideoMixer) and one mix-minus mixer (AudioMixer). Created when the first participant joins,
// destroyed (all elements freed) by the RoomRegistry when the last leaves.
// Main thread only; owns its pipeline, mixers and endpoints.
#pragma once

#include <gst/gst.h>

#include <memory>
#include <string>
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
#include "media/VideoMixer.h"
#include "room/Liveness.h"
#include "room/ParticipantListener.h"
#include "room/RoomPipeline.h"
#include "room/Stage.h"
#include "room/ViewerQuality.h"

namespace mixmeet::room {

class Room : private RoomPipeline::Listener {
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
    static core::Result<std::unique_ptr<Room>> create(std::string name,
                                                      const media::MediaConfig& config,
                                                      const media::Fragments& fragments,
                                                      Listener& listener);
    ~Room() override;
    Room(const Room&) = delete;
    Room& operator=(const Room&) = delete;

    /// Adds a participant; returns its id. Errors: "room-full", "internal".
    core::Result<std::string> join(const std::string& displayName, ParticipantListener& listener);
    /// Removes a participant (idempotent; unknown ids are ignored).
    void leave(const std::string& id);
    /// Errors: "bad-sdp"; unknown ids give "bad-state".
    core::Status applyAnswer(const std::string& id, const std::string& sdp);
    void addRemoteCandidate(const std::string& id, const protocol::IceCandidate& candidate);
    /// The viewer's quality choice: "auto", "high", "medium", "low" or "audio"
    /// (QualityChoice). Error "bad-message" for anything else. Only records the choice: the tier
    /// moves (and the viewer gets its `quality`) within kTierMoveIntervalMs, at most once per
    /// interval for the whole room; a repeat of the current choice does nothing.
    core::Status setQuality(const std::string& id, const std::string& choice);
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
                           const std::string& scope);
    /// The composite a viewer receives.
    media::LayoutKind layoutOf(const std::string& id) const;
    /// The active speaker (media::ActiveSpeaker); empty before anyone spoke.
    const std::string& activeSpeaker() const { return speaker_; }
    /// Whether `id` may set the meeting's layout. Today the participant present longest;
    /// host rights proper (moderation) replace this.
    bool isHost(const std::string& id) const;
    /// Keyframe requests (PLI/FIR) the participants in the room now have sent about the
    /// composite; the tier encoders honour at most one per keyframe_min_interval_ms.
    unsigned long keyframeRequests() const;
    /// Delivers a chat line to every participant.
    void broadcastChat(const protocol::ChatLine& line);

    const std::string& name() const { return name_; }
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

    Room(std::string name, const media::MediaConfig& config, const media::Fragments& fragments,
         Listener& listener);
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
    /// The composite viewer `m` should receive.
    media::LayoutKind wantedLayout(const Member& m) const;
    /// Moves viewer `m` to the composite it should receive (wantedLayout), if it changed.
    void applyLayout(Member& m);
    /// The mixer's active speaker changed (posted to the main thread).
    void onActiveSpeaker(const std::string& id);
    void broadcastRoster();
    void onIceState(const std::string& id, media::IceState state);
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
    std::unique_ptr<media::AudioMixer> audio_;
    core::ElementPtr sharedAudioTee_;               ///< The full-mix Opus encode's tee.
    std::vector<std::unique_ptr<Member>> members_;  ///< In join (= tile) order.
    unsigned nextId_ = 1;
    core::Anchor<Room> anchor_{this};
};

}  // namespace mixmeet::room
