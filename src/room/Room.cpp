#include "room/Room.h"

#include <algorithm>
#include <map>
#include <optional>
#include <system_error>

#include "auth/Tokens.h"
#include "core/Heap.h"
#include "core/Log.h"
#include "core/MainContext.h"
#include "core/StructuredLog.h"
#include "media/Layout.h"
#include "media/Teardown.h"
#include "media/TierController.h"
#include "protocol/Messages.h"
#include "room/Devices.h"

#define GST_CAT_DEFAULT mixmeet_room_debug

namespace mixmeet::room {

namespace {
/// How often the room checks its participants' liveness and feedback, ms.
constexpr int kLivenessPeriodMs = 1000;
}  // namespace

using core::makeError;

struct Room::Member {
    std::string id;
    std::string name;
    ParticipantListener* listener = nullptr;
    std::unique_ptr<MemberEvents> events;
    std::unique_ptr<media::Endpoint> endpoint;
    core::PadPtr teePad;  ///< The composite tee's src pad feeding this viewer.
    /// The viewer's layout choice; nullopt: the meeting's.
    std::optional<media::LayoutKind> layoutChoice;
    media::LayoutKind layout = media::LayoutKind::Grid;  ///< The composite it receives.
    std::string pin;      ///< Who the viewer pinned (setPin); empty: nobody.
    std::string viewPin;  ///< The pin of the composite it receives (with `layout`).
    std::optional<protocol::LayoutInfo> lastLayout;  ///< The last `layout` sent.
    core::PadPtr audioTeePad;  ///< The full-mix tee's src pad feeding this listener.
    bool connected = false;
    bool answered = false;  ///< The SDP answer was applied.
    int64_t joinedMs = 0;   ///< Monotonic, ms.
    guint disconnectTimer = 0;
    int tier = 0;                                ///< Video tier (Room::kAudioOnly: none).
    std::pair<double, double> feedback{-1, -1};  ///< Last {loss, RTT ms}.
    ViewerQuality quality;  ///< The viewer's choice and the tier its feedback allows.
    std::optional<media::SendSize> sendHint;  ///< The last send-hint this sender was given.
    Attendee who;                             ///< Its account, for host rights.
    bool inCall = true;       ///< false after leave-call: no endpoint, still in the meeting.
    bool cameraShown = true;  ///< false: the name tile (MeetingControls).
    bool parked = false;      ///< Its connection dropped; kept for a resume (park()).
    /// An ICE restart under way: when it began (monotonic ms; 0: none), whether its answer
    /// was applied, and the timer that ends it.
    int64_t restartStartedMs = 0;
    bool restartAnswered = false;
    guint restartTimer = 0;
    /// A guest's (no account) capability to watch the meeting's HLS while it is in the
    /// meeting ("participants" access): in the watch URLs it is sent. Empty for accounts.
    std::string watchToken;
};

/// Routes one endpoint's events to the room, tagged with the participant id.
class Room::MemberEvents : public media::Endpoint::Listener {
public:
    MemberEvents(Room& room, std::string id) : room_(room), id_(std::move(id)) {}

    void onEndpointOffer(std::string sdp) override {
        if (Member* m = room_.find(id_)) m->listener->onOffer(std::move(sdp));
    }
    void onEndpointCandidate(int mline, std::string candidate) override {
        if (Member* m = room_.find(id_))
            m->listener->onLocalCandidate(protocol::IceCandidate{std::move(candidate), mline});
    }
    void onEndpointIceState(media::IceState state) override { room_.onIceState(id_, state); }
    void onEndpointSecured() override { room_.onSecured(id_); }
    void onEndpointFeedback(double loss, double rtt) override { room_.onFeedback(id_, loss, rtt); }
    void onEndpointFailed(std::string code, std::string message) override {
        // Destroys this object: nothing may touch members after the call.
        room_.remove(id_, code == "bad-sdp" ? "bad-sdp" : "internal", code, message);
    }

private:
    Room& room_;
    std::string id_;
};

Room::Room(std::string name, const media::MediaConfig& config, const media::Fragments& fragments,
           Listener& listener, std::optional<int64_t> owner)
    : name_(std::move(name)),
      config_(config),
      sendHints_(config.width, config.height, config.videoBitrate),
      stage_(static_cast<std::size_t>(config.maxTiles)),
      liveness_(config.disconnectTimeoutMs, config.connectTimeoutMs),
      fragments_(fragments),
      listener_(listener),
      pipeline_(name_, *this),
      controls_(name_, owner, *this) {
    controls_.setObserver(&marksObserver_);
}

void Room::MarksObserver::onReaction(const std::string& id, const std::string& emoji) {
    room_.marks_.react(id, emoji, g_get_monotonic_time() / 1000);
    room_.drawMarks(id);
    // One check per reaction, kReactionMs on (reactions are rate-limited per participant).
    core::postToMainDelayed(static_cast<unsigned>(media::kReactionMs),
                            [weak = room_.anchor_.weak()] {
                                if (Room* room = core::resolve(weak)) room->expireReactions();
                            });
    if (room_.observer_) room_.observer_->onReaction(id, emoji);
}

void Room::MarksObserver::onControlState(const std::string& id, const ControlState& state) {
    if (room_.marks_.setState(id, state.hand, !state.heard())) room_.drawMarks(id);
    if (room_.observer_) room_.observer_->onControlState(id, state);
}

void Room::drawMarks(const std::string& id) {
    Member* m = find(id);
    if (m && m->endpoint) m->endpoint->setTileMarks(marks_.marks(id));
}

void Room::expireReactions() {
    for (const std::string& id : marks_.expire(g_get_monotonic_time() / 1000)) drawMarks(id);
}

core::Result<std::unique_ptr<Room>> Room::create(std::string name, const media::MediaConfig& config,
                                                 const media::Fragments& fragments,
                                                 Listener& listener, std::optional<int64_t> owner) {
    std::unique_ptr<Room> room(new Room(std::move(name), config, fragments, listener, owner));
    auto built = room->build();
    if (!built) return built.error();
    return room;
}

core::Status Room::build() {
    video_ = std::make_unique<media::Composites>(pipeline_.bin(), config_, fragments_);
    audio_ =
        std::make_unique<media::AudioMixer>(name_, static_cast<std::size_t>(config_.audioMaxMixed));
    // The mixer thread names a new active speaker; the layouts follow on the main thread.
    audio_->setActiveSpeakerListener([weak = anchor_.weak()](const std::string& id) {
        core::postToMain([weak, id] {
            if (Room* room = core::resolve(weak)) room->onActiveSpeaker(id);
        });
    });

    // The shared full-mix encode: appsrc -> [audio-encode-opus] -> tee.
    core::ElementPtr mixSrc = core::makeElement("appsrc", "mix_all");
    core::CapsPtr mixCaps(gst_caps_from_string(media::AudioMixer::kCaps));
    g_object_set(mixSrc.get(), "caps", mixCaps.get(), "is-live", TRUE, "format", GST_FORMAT_TIME,
                 "block", FALSE, "max-bytes", guint64{media::AudioMixer::kRate * 2 / 5},
                 "leaky-type", 2 /* downstream */, nullptr);
    auto mixEncode = fragments_.makeBin(media::fragment::kAudioEncodeOpus, "mix_all_encode");
    if (!mixEncode) return makeError("internal", mixEncode.error().message);
    if (core::ElementPtr enc = core::ElementPtr::adopt(
            gst_bin_get_by_name(GST_BIN(mixEncode.value().get()), "encoder")))
        g_object_set(enc.get(), "bitrate", config_.audioBitrate, nullptr);
    sharedAudioTee_ = core::makeElement("tee", "audio_tee");
    g_object_set(sharedAudioTee_.get(), "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(pipeline_.bin(), mixSrc.get(), mixEncode.value().get(), sharedAudioTee_.get(),
                     nullptr);
    if (!gst_element_link_many(mixSrc.get(), mixEncode.value().get(), sharedAudioTee_.get(),
                               nullptr))
        return makeError("internal", "cannot link the shared audio encode");
    audio_->setSharedOutput(mixSrc.get());

    livenessTimer_.reset(g_timeout_source_new(kLivenessPeriodMs));
    g_source_set_callback(
        livenessTimer_.get(),
        [](gpointer d) -> gboolean {
            if (Room* room = core::resolve(*static_cast<std::weak_ptr<Room*>*>(d)))
                room->checkLiveness();
            return G_SOURCE_CONTINUE;
        },
        new std::weak_ptr<Room*>(anchor_.weak()),
        [](gpointer d) { delete static_cast<std::weak_ptr<Room*>*>(d); });
    g_source_attach(livenessTimer_.get(), core::mainContext());

    return start();
}

core::Status Room::start() {
    // A pipeline that cannot reach PLAYING (a thread or descriptor could not be had, an
    // element failed) is refused; ~Room tears down what did start.
    if (gst_element_set_state(pipeline_.element(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
        return makeError(protocol::errc::kServerBusy, "the room's media could not be started");
    // Live pipeline: returns as soon as PLAYING (NO_PREROLL); the bound is a safety net.
    if (gst_element_get_state(pipeline_.element(), nullptr, nullptr, GST_SECOND) ==
        GST_STATE_CHANGE_FAILURE)
        return makeError(protocol::errc::kServerBusy, "the room's media could not be started");
    try {
        audio_->start(pipeline_.element());
    } catch (const std::system_error& e) {  // std::thread could not create the mixer thread.
        GST_ERROR("[%s] cannot start the audio mixer: %s", name_.c_str(), e.what());
        return makeError(protocol::errc::kServerBusy, "the room's audio mixer could not start");
    }
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, {}}, "created");
    return core::Ok{};
}

Room::~Room() {
    livenessTimer_.reset();
    if (audio_) audio_->stop();
    controls_.forgetWaiting();  // The server is going down: nobody to tell.
    while (!members_.empty()) remove(members_.back()->id, {}, {}, {});
    pipeline_.stopWatching();
    tearDown();
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, {}}, "closed");
}

void Room::tearDown() {
    // What refers into the pipeline goes first, here (the tiers hand their bins over on
    // their own); then the pipeline goes to NULL on a teardown thread (media/Teardown.h) and
    // its memory back to the system: the main loop never waits for a streaming thread.
    if (recording_) {
        RecordingEnd end = recording_->stop();
        recording_.reset();
        if (auto ended = std::exchange(recordingEnded_, {})) ended(end);
    }
    live_.reset();
    video_.reset();
    audio_.reset();
    sharedAudioTee_.reset();
    if (core::ElementPtr pipeline = pipeline_.release())
        media::Teardown::submit(std::move(pipeline), {}, [] { core::trimHeap(); });
}

core::Result<std::string> Room::join(const std::string& displayName, ParticipantListener& listener,
                                     const Attendee& who) {
    if (static_cast<int>(members_.size()) >= config_.maxParticipants)
        return makeError(
            "room-full",
            "the room already has " + std::to_string(config_.maxParticipants) + " participants");
    auto member = std::make_unique<Member>();
    member->id = "p" + std::to_string(nextId_++);
    member->name = displayName;
    if (!who.userId) member->watchToken = auth::generateToken();
    member->listener = &listener;
    member->who = who;
    member->events = std::make_unique<MemberEvents>(*this, member->id);
    if (auto attached = attachMedia(*member); !attached) return attached.error();
    std::string id = member->id;
    members_.push_back(std::move(member));
    stage_.join(id);
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, id}, "%s joined, %zu in room", displayName.c_str(),
                    members_.size());
    controls_.entered(id, who, g_get_monotonic_time() / 1000);
    relayout();
    broadcastRoster();
    return id;
}

core::Status Room::attachMedia(Member& m) {
    m.joinedMs = g_get_monotonic_time() / 1000;
    m.connected = false;
    m.answered = false;
    m.tier = 0;
    m.sendHint.reset();
    auto endpoint = media::Endpoint::create(pipeline_.bin(), m.id, m.name, config_, fragments_,
                                            *m.events, video_->lateCounter());
    if (!endpoint) {
        GST_ERROR("[%s] cannot create participant: %s", name_.c_str(),
                  endpoint.error().message.c_str());
        return makeError("internal", "could not set up media: " + endpoint.error().message);
    }
    m.endpoint = std::move(endpoint).value();
    media::Endpoint& ep = *m.endpoint;

    video_->addParticipant(m.id, ep);
    m.layout = wantedLayout(m);
    m.viewPin = m.pin;
    m.teePad = video_->requestOutput(m.layout, m.tier, m.viewPin);
    m.audioTeePad =
        core::PadPtr::adopt(gst_element_request_pad_simple(sharedAudioTee_.get(), "src_%u"));
    if (!m.teePad || !m.audioTeePad ||
        GST_PAD_LINK_FAILED(gst_pad_link(m.teePad.get(), ep.videoSink())) ||
        GST_PAD_LINK_FAILED(gst_pad_link(m.audioTeePad.get(), ep.sharedAudioSink()))) {
        video_->releaseOutput(m.layout, m.tier, m.teePad, m.viewPin);
        video_->removeParticipant(m.id);
        if (m.audioTeePad)
            gst_element_release_request_pad(sharedAudioTee_.get(), m.audioTeePad.get());
        m.endpoint.reset();
        return makeError("internal", "could not link the participant into the room");
    }
    audio_->addInput(m.id, ep.audioSink(), ep.inputGate());
    if (!m.cameraShown) ep.setVideoBlanked(true);
    ep.setTileMarks(marks_.marks(m.id));
    m.inCall = true;
    return core::Ok{};
}

void Room::detachMedia(Member& m) {
    if (presenter_.presenting(m.id)) {
        // Its share ends with its media (leave, leave-call, a vanished peer).
        endShareMedia(m);
        presenter_.left(m.id);
        g_message("room %s: %s stopped presenting (left the call)", name_.c_str(), m.id.c_str());
        for (auto& other : members_)
            if (other.get() != &m && other->endpoint) applyLayout(*other);
    }
    if (m.disconnectTimer) g_source_remove(m.disconnectTimer);
    m.disconnectTimer = 0;
    clearIceRestart(m);
    audio_->removeOutput(m.id);
    audio_->removeInput(m.id);
    if (!m.endpoint) return;
    video_->removeParticipant(m.id);  // Its tiles out of every composite.
    if (m.teePad) {
        gst_pad_unlink(m.teePad.get(), m.endpoint->videoSink());
        video_->releaseOutput(m.layout, m.tier, m.teePad, m.viewPin);
    }
    m.endpoint.reset();  // Unlinks from the tees, then NULL.
    gst_element_release_request_pad(sharedAudioTee_.get(), m.audioTeePad.get());
    m.teePad.reset();
    m.audioTeePad.reset();
    m.connected = false;
    m.inCall = false;
}

void Room::leave(const std::string& id) {
    remove(id, {}, {}, {});
}

core::Status Room::park(const std::string& id, ParticipantListener& holder) {
    Member* m = find(id);
    if (!m) return makeError(protocol::errc::kBadState, "not in the room");
    m->listener = &holder;
    m->parked = true;
    // The ICE watch would remove it; the grace period decides instead.
    if (m->disconnectTimer) g_source_remove(m->disconnectTimer);
    m->disconnectTimer = 0;
    clearIceRestart(*m);
    g_message("room %s: %s (%s) lost its connection, kept for a reconnect", name_.c_str(),
              id.c_str(), m->name.c_str());
    return core::Ok{};
}

core::Status Room::resume(const std::string& id, ParticipantListener& listener) {
    Member* m = find(id);
    if (!m) return makeError(protocol::errc::kBadState, "not in the room");
    m->listener = &listener;
    m->parked = false;
    const bool wasInCall = m->inCall;
    // A new PeerConnection under the same participant: the old webrtcbin goes, the tile slot
    // (stage_) stays, so the others' layout does not move.
    if (wasInCall) detachMedia(*m);
    if (auto attached = attachMedia(*m); !attached) {
        remove(id, {}, {}, {});
        return attached;
    }
    if (const ControlState* st = controls_.moderation().state(id))
        audio_->setMuted(id, !st->heard());
    if (!wasInCall) stage_.join(id);
    m->lastLayout.reset();  // The new connection gets the layout message.
    g_message("room %s: %s (%s) reconnected", name_.c_str(), id.c_str(), m->name.c_str());
    relayout();
    if (wasInCall)
        listener.onRoster(roster());
    else
        broadcastRoster();
    return core::Ok{};
}

bool Room::parked(const std::string& id) const {
    for (const auto& m : members_)
        if (m->id == id) return m->parked;
    return false;
}

void Room::remove(const std::string& id, const std::string& reason, const std::string& code,
                  const std::string& message) {
    auto it =
        std::find_if(members_.begin(), members_.end(), [&](const auto& m) { return m->id == id; });
    if (it == members_.end()) return;
    std::unique_ptr<Member> member = std::move(*it);
    members_.erase(it);
    marks_.remove(id);
    stage_.leave(id);
    detachMedia(*member);
    unpinEverywhere(id);
    audio_->forget(id);
    controls_.left(id);
    if (speaker_ == id) speaker_.clear();
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, id}, "%s left%s%s, %zu in room",
                    member->name.c_str(), reason.empty() ? "" : ": ", reason.c_str(),
                    members_.size());
    bool empty = members_.empty();
    if (!empty) {
        relayout();
        broadcastRoster();
    }
    if (!reason.empty()) member->listener->onRemoved(reason, code, message);
    if (empty) listener_.onRoomEmpty(name_);
}

core::Status Room::applyAnswer(const std::string& id, const std::string& sdp) {
    Member* m = find(id);
    if (!m || !m->endpoint) return makeError("bad-state", "not in the call");
    auto applied = m->endpoint->applyAnswer(sdp);
    if (applied) {
        m->answered = true;
        if (m->restartStartedMs) m->restartAnswered = true;
    }
    return applied;
}

core::Status Room::restartIce(const std::string& id) {
    Member* m = find(id);
    if (!m || !m->endpoint) return makeError(protocol::errc::kBadState, "not in the call");
    if (config_.iceRestartTimeoutMs <= 0)
        return makeError(protocol::errc::kBadState, "ICE restarts are off on this server");
    if (!m->answered) return makeError(protocol::errc::kBadState, "no answer to restart from");
    if (m->restartStartedMs)
        return makeError(protocol::errc::kBadState, "an ICE restart is under way");
    if (!beginIceRestart(*m))
        return makeError(protocol::errc::kBadState, "the connection cannot be restarted now");
    return core::Ok{};
}

bool Room::restartingIce(const std::string& id) const {
    for (const auto& m : members_)
        if (m->id == id) return m->restartStartedMs != 0;
    return false;
}

bool Room::beginIceRestart(Member& m) {
    if (config_.iceRestartTimeoutMs <= 0 || !m.endpoint || !m.answered || m.parked ||
        m.restartStartedMs)
        return false;
    // The listener first: its session must await the offer before it is made.
    if (!m.listener->onIceRestart()) return false;
    if (!m.endpoint->restartIce()) return false;
    ++iceRestarts_;
    if (m.disconnectTimer) g_source_remove(m.disconnectTimer);
    m.disconnectTimer = 0;
    m.restartStartedMs = g_get_monotonic_time() / 1000;
    m.restartAnswered = false;
    m.restartTimer = core::postToMainDelayed(
        static_cast<unsigned>(config_.iceRestartTimeoutMs), [weak = anchor_.weak(), id = m.id] {
            Room* room = core::resolve(weak);
            if (!room) return;
            if (Member* mm = room->find(id)) {
                mm->restartTimer = 0;  // This source is finishing.
                room->iceRestartTimedOut(id);
            }
        });
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, m.id}, "ICE restart: new offer, %d ms to recover",
                    config_.iceRestartTimeoutMs);
    return true;
}

bool Room::checkIceRestart(Member& m) {
    if (!m.restartStartedMs || !m.restartAnswered || !m.endpoint) return false;
    const int64_t sinceStart = g_get_monotonic_time() / 1000 - m.restartStartedMs;
    if (m.endpoint->millisecondsSinceLastPacket() >= sinceStart) return false;
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, m.id}, "ICE restart: media back after %lld ms",
                    static_cast<long long>(sinceStart));
    ++iceRestartsRecovered_;
    clearIceRestart(m);
    return true;
}

void Room::iceRestartTimedOut(const std::string& id) {
    Member* m = find(id);
    if (!m || !m->restartStartedMs || checkIceRestart(*m)) return;
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, id},
                    "ICE restart: nothing from it within %d ms (%s), falling back",
                    config_.iceRestartTimeoutMs, m->restartAnswered ? "answered" : "no answer");
    clearIceRestart(*m);
    if (m->listener->onMediaLost()) return;
    remove(id, "ice-failed", {}, {});
}

void Room::clearIceRestart(Member& m) {
    if (m.restartTimer) g_source_remove(m.restartTimer);
    m.restartTimer = 0;
    m.restartStartedMs = 0;
    m.restartAnswered = false;
}

void Room::addRemoteCandidate(const std::string& id, const protocol::IceCandidate& candidate) {
    Member* m = find(id);
    if (m && m->endpoint)
        m->endpoint->addRemoteCandidate(candidate.sdpMLineIndex, candidate.candidate);
}

Room::Member* Room::find(const std::string& id) {
    for (auto& m : members_)
        if (m->id == id) return m.get();
    return nullptr;
}

media::LayoutKind Room::followedLayout() const {
    if (!presenter_.current().empty()) return media::LayoutKind::Presentation;
    // Nothing is shared: the presentation layout is the speaker layout (one composite).
    if (meetingLayout_ == media::LayoutKind::Presentation) return media::LayoutKind::Speaker;
    return meetingLayout_;
}

void Room::followMeetingLayout() {
    const media::LayoutKind layout = followedLayout();
    if (recording_) recording_->followLayout(layout);
    if (live_) live_->followLayout(layout);
}

void Room::relayout() {
    // The recording and the live encode show what the meeting layout's followers see; moved
    // after the viewers (applyLayout), so a composite they watch is shared, never rebuilt.
    followMeetingLayout();
    const auto& shown = stage_.shown();
    video_->place(shown, speaker_);
    // A sender is asked for its largest tile over the composites that have viewers.
    std::map<std::string, media::Rect> largest;
    for (const media::Placement& placement : video_->activePlacements())
        for (const auto& [id, rect] : placement) {
            media::Rect& r = largest[id];
            if (static_cast<long long>(rect.width) * rect.height >
                static_cast<long long>(r.width) * r.height)
                r = rect;
        }
    for (auto& member : members_) {
        Member& m = *member;
        if (!m.endpoint) continue;  // Out of the call: no tile.
        auto at = std::find(shown.begin(), shown.end(), m.id);
        std::optional<media::SendSize> hint;
        if (at == shown.end()) {
            // Off stage: not drawn, not decoded, and the sender asked for its minimum.
            m.endpoint->setShown(false);
            if (m.sendHint != sendHints_.offStage()) hint = sendHints_.offStage();
        } else {
            m.endpoint->setShown(true);
            auto big = largest.find(m.id);
            // (No composite yet, e.g. nobody receives video: the grid's tile.)
            const media::Rect tile = big != largest.end()
                                         ? big->second
                                         : video_->placement(media::LayoutKind::Grid)[m.id];
            // Senders send what is shown (with hysteresis: SendHintPolicy); a name tile shows
            // none of it.
            if (m.cameraShown)
                hint = sendHints_.update(m.sendHint, tile.width, tile.height);
            else if (m.sendHint != sendHints_.offStage())
                hint = sendHints_.offStage();
        }
        if (hint) {
            m.sendHint = hint;
            m.listener->onSendHint({hint->width, hint->height, hint->bitrate});
            // Enforced too: a page that ignores the hint still gets a REMB of its bitrate.
            applySendCap(m);
        }
    }
    // Every viewer whose picture changed learns where everyone now is.
    for (auto& member : members_) {
        protocol::LayoutInfo info = layoutFor(*member);
        if (member->lastLayout == info) continue;
        member->lastLayout = info;
        member->listener->onLayout(info);
    }
}

media::LayoutKind Room::wantedLayout(const Member& m) const {
    if (!m.pin.empty()) return media::LayoutKind::Speaker;  // Someone pinned: large.
    media::LayoutKind want = m.layoutChoice.value_or(meetingLayout_);
    // A share moves everyone who follows the meeting's layout to the presentation.
    const bool sharing = !presenter_.current().empty();
    if (sharing && !m.layoutChoice) want = media::LayoutKind::Presentation;
    // Nothing is shared: the presentation layout is the speaker layout (one composite).
    if (want == media::LayoutKind::Presentation && !sharing) want = media::LayoutKind::Speaker;
    return want;
}

protocol::LayoutInfo Room::layoutFor(const Member& m) const {
    protocol::LayoutInfo info;
    info.layout = std::string(media::layoutName(m.layout));
    info.choice = m.layoutChoice ? std::string(media::layoutName(*m.layoutChoice)) : "auto";
    info.meetingLayout = std::string(media::layoutName(meetingLayout_));
    info.speaker = speaker_;
    info.pin = m.viewPin;
    info.width = config_.width;
    info.height = config_.height;
    const media::Placement where = video_->placement(m.layout, m.viewPin);
    for (const std::string& id : stage_.shown()) {
        auto at = where.find(id);
        if (at == where.end()) continue;
        info.tiles.push_back({id, at->second.x, at->second.y, at->second.width, at->second.height});
    }
    info.presenter = presenter_.current();
    if (auto screen = video_->screenPlacement(m.layout))
        info.screen = protocol::LayoutTile{info.presenter, screen->x, screen->y, screen->width,
                                           screen->height};
    return info;
}

void Room::applyLayout(Member& m) {
    const media::LayoutKind want = wantedLayout(m);
    if (want == m.layout && m.pin == m.viewPin) return;
    const media::LayoutKind before = m.layout;
    const std::string beforePin = m.viewPin;
    m.layout = want;
    m.viewPin = m.pin;
    if (m.tier == kAudioOnly || !m.teePad) return;
    media::Endpoint& ep = *m.endpoint;
    // The new composite first, so a shared one is never torn down and rebuilt in between.
    core::PadPtr pad = video_->requestOutput(want, m.tier, m.viewPin);
    gst_pad_unlink(m.teePad.get(), ep.videoSink());
    video_->releaseOutput(before, m.tier, m.teePad, beforePin);
    m.teePad = std::move(pad);
    if (!m.teePad || GST_PAD_LINK_FAILED(gst_pad_link(m.teePad.get(), ep.videoSink()))) {
        GST_ERROR("[%s] cannot move %s to the %s layout", name_.c_str(), m.id.c_str(),
                  std::string(media::layoutName(want)).c_str());
        return;
    }
    video_->forceKeyframe(want, m.tier, m.viewPin);
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, m.id}, "now receives the %s layout%s%s",
                    std::string(media::layoutName(want)).c_str(),
                    m.viewPin.empty() ? "" : " pinned on ", m.viewPin.c_str());
}

core::Status Room::setPin(const std::string& id, const std::string& pinned) {
    Member* m = find(id);
    if (!m) return makeError("bad-state", "not in the room");
    if (!pinned.empty() && !find(pinned))
        return makeError(protocol::errc::kNoSuchParticipant, "nobody with that id is here");
    m->pin = pinned;
    applyLayout(*m);
    relayout();
    return core::Ok{};
}

void Room::unpinEverywhere(const std::string& id) {
    for (auto& member : members_)
        if (member->pin == id) {
            member->pin.clear();
            applyLayout(*member);
        }
}

core::Status Room::setLayout(const std::string& id, const std::string& layout,
                             const std::string& scope) {
    Member* m = find(id);
    if (!m) return makeError("bad-state", "not in the room");
    std::optional<media::LayoutKind> kind = media::parseLayout(layout);
    if (scope == "meeting") {
        if (!kind) return makeError("bad-message", "unknown layout " + layout);
        if (!isHost(id)) return makeError("not-host", "only the host sets the meeting's layout");
        meetingLayout_ = *kind;
        for (auto& member : members_) applyLayout(*member);
    } else if (scope == "self") {
        if (!kind && layout != "auto") return makeError("bad-message", "unknown layout " + layout);
        m->layoutChoice = kind;
        applyLayout(*m);
    } else {
        return makeError("bad-message", "unknown scope " + scope);
    }
    relayout();
    return core::Ok{};
}

core::Status Room::startShare(const std::string& id) {
    Member* m = find(id);
    if (!m) return makeError(protocol::errc::kBadState, "not in the room");
    if (!m->endpoint)
        return makeError(protocol::errc::kShareUnavailable, "join the call to share a screen");
    if (!m->endpoint->canShareScreen())
        return makeError(protocol::errc::kShareUnavailable,
                         "the answer did not open m-line 2 (the screen) for sending");
    if (presenter_.presenting(id)) return core::Ok{};
    const std::string previous = presenter_.start(id);
    if (Member* p = previous.empty() ? nullptr : find(previous)) {
        // Taken over: the first presenter's share ends (its page sees it in the roster).
        endShareMedia(*p);
        g_message("room %s: %s takes over the presentation from %s", name_.c_str(), id.c_str(),
                  previous.c_str());
    }
    m->endpoint->setScreenActive(true);
    video_->setScreen(id, m->endpoint.get());
    applySendCap(*m);
    g_message("room %s: %s (%s) presents", name_.c_str(), id.c_str(), m->name.c_str());
    for (auto& member : members_)
        if (member->endpoint) applyLayout(*member);
    relayout();
    broadcastRoster();
    return core::Ok{};
}

core::Status Room::stopShare(const std::string& id) {
    if (auto stopped = presenter_.stop(id); !stopped) return stopped;
    if (Member* m = find(id)) endShareMedia(*m);
    g_message("room %s: %s stopped presenting", name_.c_str(), id.c_str());
    for (auto& member : members_)
        if (member->endpoint) applyLayout(*member);
    relayout();
    broadcastRoster();
    return core::Ok{};
}

void Room::endShareMedia(Member& m) {
    if (video_->presenter() == m.id) video_->setScreen({}, nullptr);
    if (!m.endpoint) return;
    m.endpoint->setScreenActive(false);
    applySendCap(m);
}

void Room::applySendCap(Member& m) {
    if (!m.endpoint || !m.sendHint) return;
    const bool presenting = presenter_.presenting(m.id) && video_->presenter() == m.id;
    m.endpoint->setSendCap(m.sendHint->bitrate + (presenting ? config_.videoBitrate : 0));
}

media::LayoutKind Room::layoutOf(const std::string& id) const {
    for (const auto& m : members_)
        if (m->id == id) return m->layout;
    return meetingLayout_;
}

void Room::onActiveSpeaker(const std::string& id) {
    if (id == speaker_ || (!id.empty() && !find(id))) return;
    speaker_ = id;
    GST_INFO("[%s] active speaker: %s", name_.c_str(), id.c_str());
    relayout();
}

protocol::Roster Room::roster() const {
    protocol::Roster r;
    std::vector<std::optional<int64_t>> accounts;
    for (const auto& m : members_) accounts.push_back(m->who.userId);
    const std::vector<int> devices = deviceNumbers(accounts);
    for (std::size_t i = 0; i < members_.size(); ++i) {
        const Member& m = *members_[i];
        protocol::RosterEntry e{m.id, m.name};
        controls_.fill(e);
        e.inCall = m.inCall;
        e.device = devices[i];
        e.presenting = presenter_.presenting(m.id);
        r.participants.push_back(std::move(e));
    }
    return r;
}

void Room::broadcastChat(const protocol::ChatLine& line) {
    for (const auto& m : members_) m->listener->onChat(line);
}

core::Status Room::startRecording(const std::string& path, int64_t startedAtMs,
                                  std::function<void(const RecordingEnd&)> onEnded,
                                  RecordingFormat format) {
    if (recording_) return makeError(protocol::errc::kBadState, "the meeting is being recorded");
    RoomLive* live = format == RecordingFormat::Mp4 ? &makeLive() : nullptr;
    auto started = RoomRecording::start(pipeline_.bin(), *video_, followedLayout(), *audio_,
                                        sharedAudioTee_.get(), path, startedAtMs, format, live);
    if (!started) {
        updateSharedAlwaysOn();
        return started.error();
    }
    recording_ = std::move(started).value();
    recordingEnded_ = std::move(onEnded);
    video_->setRecordingMark(true);
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, {}}, "recording to %s", path.c_str());
    protocol::RecordingState state = recordingState();
    for (const auto& m : members_) m->listener->onRecording(state);
    return core::Ok{};
}

core::Status Room::stopRecording() {
    if (!recording_) return makeError(protocol::errc::kBadState, "the meeting is not recorded");
    RecordingEnd end = recording_->stop();
    recording_.reset();
    video_->setRecordingMark(false);
    updateSharedAlwaysOn();  // Still on while streaming.
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, {}}, "recording stopped after %lld ms",
                    static_cast<long long>(end.durationMs));
    protocol::RecordingState state = recordingState();
    for (const auto& m : members_) m->listener->onRecording(state);
    if (auto ended = std::exchange(recordingEnded_, {})) ended(end);
    return core::Ok{};
}

RoomLive& Room::makeLive() {
    if (!live_) {
        std::string dir =
            config_.streaming.directory.empty() ? std::string("live") : config_.streaming.directory;
        live_ = std::make_unique<RoomLive>(pipeline_.bin(), *video_, sharedAudioTee_.get(), config_,
                                           name_, dir + "/" + name_, [this] { onLiveChanged(); });
    }
    return *live_;
}

void Room::updateSharedAlwaysOn() {
    if (audio_) audio_->setSharedAlwaysOn(recording_ != nullptr || (live_ && live_->running()));
}

void Room::onLiveChanged() {
    updateSharedAlwaysOn();
    for (const auto& m : members_) m->listener->onStreaming(streamingStateFor(m->id));
}

protocol::StreamingState Room::streamingState() const {
    return live_ ? live_->state() : protocol::StreamingState{};
}

protocol::StreamingState Room::streamingStateFor(const std::string& id) const {
    protocol::StreamingState s = streamingState();
    const Member* m = nullptr;
    for (const auto& member : members_)
        if (member->id == id) m = member.get();
    // A guest watches a "participants" stream with its token in the path (the playlist's
    // relative segment URLs keep it): /live/<id>/<token>/index.m3u8.
    if (m && !m->watchToken.empty() && s.hls && s.hlsAccess != "anyone") {
        s.hlsUrl = "/live/" + name_ + "/" + m->watchToken + "/index.m3u8";
        s.watchUrl += "&t=" + m->watchToken;
    }
    return s;
}

bool Room::mayWatchWithToken(std::string_view token) const {
    if (token.empty()) return false;
    bool found = false;
    for (const auto& m : members_)
        if (!m->watchToken.empty() && auth::constantTimeEquals(m->watchToken, token)) found = true;
    return found;
}

core::Result<std::string> Room::addStreamTarget(const std::string& by, const std::string& url,
                                                const std::string& key) {
    if (!isHost(by))
        return makeError(protocol::errc::kNotHost, "Only the host can stream the meeting.");
    return makeLive().addRtmp(url, key, followedLayout());
}

core::Status Room::removeStreamTarget(const std::string& by, const std::string& id) {
    if (!isHost(by))
        return makeError(protocol::errc::kNotHost, "Only the host can stream the meeting.");
    return makeLive().removeRtmp(id);
}

core::Status Room::setHls(const std::string& by, bool on, const std::string& access) {
    if (!isHost(by))
        return makeError(protocol::errc::kNotHost, "Only the host can stream the meeting.");
    // The name is a directory and a URL path component: only meeting ids (letters, digits,
    // '-' and '_') qualify.
    bool safe = !name_.empty() && name_.size() <= 64 &&
                std::all_of(name_.begin(), name_.end(),
                            [](char c) { return g_ascii_isalnum(c) || c == '-' || c == '_'; });
    if (!safe) return makeError(protocol::errc::kBadState, "This room cannot be watched over HLS.");
    return makeLive().setHls(on, access, followedLayout());
}

void Room::onLiveError(const std::string& target, const std::string& message) {
    if (target == media::kMp4TargetName) {
        onRecorderError(message);  // The MP4 recording's file failed: it is stopped.
        return;
    }
    if (live_) live_->onError(target, message);
}

protocol::RecordingState Room::recordingState() const {
    protocol::RecordingState s;
    s.on = recording_ != nullptr;
    if (recording_) s.startedAt = recording_->startedAtMs();
    if (recording_) s.audioOnly = recording_->format() == RecordingFormat::WebmAudio;
    return s;
}

void Room::broadcastRoster() {
    protocol::Roster r = roster();
    for (const auto& m : members_) m->listener->onRoster(r);
}

void Room::onIceState(const std::string& id, media::IceState state) {
    Member* m = find(id);
    if (!m) return;
    // Parked: the old PeerConnection fails as expected; the grace period decides. Restarting:
    // the restart's timer decides.
    if ((m->parked || m->restartStartedMs) &&
        (state == media::IceState::Failed || state == media::IceState::Disconnected))
        return;
    switch (state) {
        case media::IceState::Connected:
        case media::IceState::Completed:
            if (m->disconnectTimer) {
                g_source_remove(m->disconnectTimer);
                m->disconnectTimer = 0;
            }
            if (!m->connected) {
                m->connected = true;
                m->endpoint->openSend();
                audio_->addOutput(id, m->endpoint->audioSrc(), m->endpoint->sendGate());
                // The viewer's first keyframe is forced in onSecured(), once DTLS is done:
                // forced now it would be dropped before the keys exist and hold the tier's
                // keyframe interval (500 ms) against the one the viewer then asks for.
                notifyQuality(*m);
                core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, id}, "connected");
            }
            break;
        case media::IceState::Failed:
            mediaLost(id);
            break;
        case media::IceState::Disconnected:
            if (!m->disconnectTimer)
                m->disconnectTimer = core::postToMainDelayed(
                    static_cast<unsigned>(config_.disconnectTimeoutMs),
                    [weak = anchor_.weak(), id] {
                        Room* room = core::resolve(weak);
                        if (!room) return;
                        if (Member* mm = room->find(id)) {
                            mm->disconnectTimer = 0;  // This source is finishing.
                            room->mediaLost(id);
                        }
                    });
            break;
        default:
            break;
    }
}

void Room::mediaLost(const std::string& id) {
    Member* m = find(id);
    if (!m) return;
    if (m->restartStartedMs) return;  // The restart's timer decides.
    // With its socket up: an ICE restart on the same webrtcbin first (docs/protocol.md, "ICE
    // restart"); its connection may also take it over again with a new PeerConnection
    // ("Reconnecting"): no leave for the others meanwhile.
    if (!m->parked && beginIceRestart(*m)) return;
    if (!m->parked && m->listener->onMediaLost()) return;
    remove(id, "ice-failed", {}, {});
}

void Room::onSecured(const std::string& id) {
    // A new viewer needs a keyframe to start decoding the shared stream; shared encoders
    // space forced keyframes by [video] keyframe_min_interval_ms.
    if (Member* m = find(id)) video_->forceKeyframe(m->layout, m->tier, m->viewPin);
}

void Room::checkLiveness() {
    // A speaker off stage takes the tile of whoever on it has been quiet longest.
    if (stage_.updateSpeakers(audio_->speakers(), g_get_monotonic_time() / 1000)) relayout();
    for (const auto& m : members_) {
        if (m->connected) m->endpoint->requestFeedback();
        checkIceRestart(*m);  // Seen through early once its media is back.
    }
    const int64_t nowMs = g_get_monotonic_time() / 1000;
    const unsigned stallsBefore = liveness_.stalls();
    const bool apply = liveness_.checksApply(nowMs, kLivenessPeriodMs);
    if (liveness_.stalls() != stallsBefore)
        core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, {}},
                        "the server did not run for %lld ms; nobody is dropped for silence "
                        "until %d ms after it resumed",
                        static_cast<long long>(liveness_.lastStallMs()),
                        liveness_.disconnectTimeoutMs());
    if (!apply) return;
    for (const auto& id : liveness_.silent(livenessPeers())) {
        GST_WARNING("[%s] %s silent for over %d ms", name_.c_str(), id.c_str(),
                    liveness_.disconnectTimeoutMs());
        mediaLost(id);
    }
    for (const auto& r : liveness_.unconnected(livenessPeers(), nowMs)) {
        core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, r.id}, "removed: %s", r.message.c_str());
        remove(r.id, protocol::errc::kConnectTimeout, protocol::errc::kConnectTimeout, r.message);
    }
}

std::vector<Liveness::Peer> Room::livenessPeers() const {
    std::vector<Liveness::Peer> peers;
    peers.reserve(members_.size());
    for (const auto& m : members_)
        // Hung up (leave-call): no media to watch, the socket's liveness holds; parked: the
        // grace period holds; restarting ICE: the restart's timer holds.
        if (m->inCall && !m->parked && !m->restartStartedMs)
            peers.push_back({m->id, m->connected, m->answered, m->joinedMs,
                             m->connected ? m->endpoint->millisecondsSinceLastPacket() : 0});
    return peers;
}

core::Status Room::setQuality(const std::string& id, const std::string& choice) {
    Member* m = find(id);
    if (!m) return makeError("bad-state", "not in the room");
    std::optional<QualityChoice> parsed = parseQualityChoice(choice);
    if (!parsed) return makeError("bad-message", "unknown quality " + choice);
    // A repeat: nothing to do, nothing to log.
    if (!m->quality.choose(*parsed)) return core::Ok{};
    scheduleTierMoves();
    return core::Ok{};
}

void Room::scheduleTierMoves() {
    // Moving a tier can build or tear down a tier encoder (milliseconds on the main loop), so
    // a burst of choices costs at most one move per viewer per interval.
    if (tierMovePending_) return;
    tierMovePending_ = true;
    core::postToMainDelayed(kTierMoveIntervalMs, [weak = anchor_.weak()] {
        Room* room = core::resolve(weak);
        if (!room) return;
        room->tierMovePending_ = false;
        room->applyChosenTiers();
    });
}

void Room::applyChosenTiers() {
    for (auto& member : members_) {
        Member& m = *member;
        if (!m.endpoint) continue;  // Out of the call: applied on rejoin.
        if (!m.quality.takePending()) continue;
        applyTier(m, m.quality.tier());
        notifyQuality(m);
    }
}

unsigned long Room::keyframeRequests() const {
    unsigned long n = 0;
    for (const auto& m : members_)
        if (m->endpoint) n += m->endpoint->keyframeRequestsReceived();
    return n;
}

unsigned long Room::rembsSent() const {
    unsigned long n = 0;
    for (const auto& m : members_)
        if (m->endpoint) n += m->endpoint->rembsSent();
    return n;
}

int Room::tierOf(const std::string& id) const {
    for (const auto& m : members_)
        if (m->id == id) return m->tier;
    return -1;
}

std::pair<double, double> Room::lastFeedback(const std::string& id) const {
    for (const auto& m : members_)
        if (m->id == id) return m->feedback;
    return {-1, -1};
}

void Room::onFeedback(const std::string& id, double lossFraction, double rttMs) {
    Member* m = find(id);
    if (!m) return;
    m->feedback = {lossFraction, rttMs};
    int before = m->tier;
    int tier = m->quality.update(lossFraction, rttMs, g_get_monotonic_time() / 1000);
    GST_DEBUG("[%s] %s feedback loss %.3f rtt %.0f ms -> tier %d", name_.c_str(), id.c_str(),
              lossFraction, rttMs, tier);
    if (tier != before) {
        applyTier(*m, tier);
        notifyQuality(*m);
    }
}

void Room::applyTier(Member& m, int tier) {
    if (tier == m.tier) return;
    media::Endpoint& ep = *m.endpoint;
    if (m.teePad) {
        gst_pad_unlink(m.teePad.get(), ep.videoSink());
        video_->releaseOutput(m.layout, m.tier, m.teePad, m.viewPin);
        m.teePad.reset();
    }
    m.tier = tier;
    if (tier == kAudioOnly) return;
    m.teePad = video_->requestOutput(m.layout, tier, m.viewPin);
    if (!m.teePad || GST_PAD_LINK_FAILED(gst_pad_link(m.teePad.get(), ep.videoSink()))) {
        GST_ERROR("[%s] cannot move %s to tier %d", name_.c_str(), m.id.c_str(), tier);
        return;
    }
    video_->forceKeyframe(m.layout, tier, m.viewPin);
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, m.id}, "now receives the %s tier",
                    video_->tiers()[static_cast<std::size_t>(tier)].name.c_str());
}

void Room::notifyQuality(Member& m) {
    protocol::Quality q;
    q.choice = qualityChoiceName(m.quality.choice());
    if (m.tier == kAudioOnly) {
        q.tier = "audio";
    } else {
        const auto& spec = video_->tiers()[static_cast<std::size_t>(m.tier)];
        q.tier = spec.name;
        q.width = spec.width;
        q.height = spec.height;
        q.framerate = spec.framerate;
    }
    m.listener->onQuality(q);
}

std::size_t Room::elementCount() const {
    return elementCount(nullptr);
}

std::size_t Room::elementCount(const char* factory) const {
    std::size_t count = 0;
    GstIterator* it = gst_bin_iterate_recurse(pipeline_.bin());
    GValue item = G_VALUE_INIT;
    bool done = false;
    while (!done) {
        switch (gst_iterator_next(it, &item)) {
            case GST_ITERATOR_OK: {
                auto* element = GST_ELEMENT(g_value_get_object(&item));
                GstElementFactory* f = gst_element_get_factory(element);
                if (!factory || (f && g_strcmp0(GST_OBJECT_NAME(f), factory) == 0)) ++count;
                g_value_reset(&item);
                break;
            }
            case GST_ITERATOR_RESYNC:
                count = 0;
                gst_iterator_resync(it);
                break;
            default:
                done = true;
                break;
        }
    }
    g_value_unset(&item);
    gst_iterator_free(it);
    return count;
}

void Room::onRecorderError(const std::string& message) {
    if (!recording_) return;
    core::logEventf(G_LOG_LEVEL_WARNING, {name_, {}}, "recording failed: %s", message.c_str());
    (void)stopRecording();
}

void Room::onParticipantMediaError(const std::string& id, const std::string& message) {
    remove(id, "internal", "internal", message);
}

// ---- Meeting controls ----------------------------------------------------------------------

std::string Room::hold(const std::string& displayName, const Attendee& who,
                       ParticipantListener& listener) {
    // Waiting ids share the participants' id space: admitted, the joiner gets a new one.
    std::string id = "w" + std::to_string(nextId_++);
    controls_.hold(id, displayName, who, listener);
    return id;
}

core::Status Room::setMediaState(const std::string& id, const protocol::MediaState& state) {
    return controls_.setMediaState(id, state, g_get_monotonic_time() / 1000);
}

core::Status Room::raiseHand(const std::string& id, bool raised) {
    return controls_.raiseHand(id, raised, g_get_monotonic_time() / 1000);
}

core::Status Room::react(const std::string& id, const std::string& emoji) {
    return controls_.react(id, emoji, g_get_monotonic_time() / 1000);
}

core::Status Room::hostCommand(const std::string& id, const protocol::HostCommand& command) {
    return controls_.hostCommand(id, command);
}

core::Status Room::leaveCall(const std::string& id) {
    Member* m = find(id);
    if (!m || !m->inCall) return makeError(protocol::errc::kBadState, "not in the call");
    stage_.leave(id);
    detachMedia(*m);
    unpinEverywhere(id);
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, id}, "%s left the call, stays in the meeting",
                    m->name.c_str());
    relayout();
    broadcastRoster();
    return core::Ok{};
}

core::Status Room::rejoinCall(const std::string& id) {
    Member* m = find(id);
    if (!m) return makeError(protocol::errc::kBadState, "not in the meeting");
    if (m->inCall) return makeError(protocol::errc::kBadState, "in the call already");
    if (auto attached = attachMedia(*m); !attached) return attached;
    if (const ControlState* st = controls_.moderation().state(id))
        audio_->setMuted(id, !st->heard());
    stage_.join(id);
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name_, id}, "%s is back in the call", m->name.c_str());
    relayout();
    broadcastRoster();
    return core::Ok{};
}

bool Room::inCall(const std::string& id) const {
    for (const auto& m : members_)
        if (m->id == id) return m->inCall;
    return false;
}

ParticipantListener* Room::participant(const std::string& id) {
    Member* m = find(id);
    return m ? m->listener : nullptr;
}

std::vector<std::string> Room::participantIds() const {
    std::vector<std::string> ids;
    for (const auto& m : members_) ids.push_back(m->id);
    return ids;
}

void Room::setHeard(const std::string& id, bool heard) {
    // The mixer drops the input before decoding; kept across leave-call/rejoin-call.
    audio_->setMuted(id, !heard);
}

void Room::setCameraShown(const std::string& id, bool shown) {
    Member* m = find(id);
    if (!m || m->cameraShown == shown) return;
    m->cameraShown = shown;
    if (m->endpoint) m->endpoint->setVideoBlanked(!shown);
    relayout();  // A name tile asks the sender for its minimum (the off-stage hint).
}

void Room::removeParticipant(const std::string& id, const std::string& reason) {
    remove(id, reason, {}, {});
}

}  // namespace mixmeet::room
