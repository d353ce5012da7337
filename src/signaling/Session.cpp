#include "signaling/Session.h"

#include <utility>
#include <variant>

#include "core/Log.h"
#include "protocol/Candidate.h"

#define GST_CAT_DEFAULT mixmeet_signaling_debug

namespace mixmeet::signaling {

namespace errc = protocol::errc;

namespace {
// WebSocket close codes, RFC 6455 section 7.4.1.
constexpr unsigned short kCloseNormal = 1000;
constexpr unsigned short kCloseGoingAway = 1001;
constexpr unsigned short kClosePolicy = 1008;

unsigned short closeCodeFor(const std::string& byeReason) {
    if (byeReason == "left" || byeReason == "meeting-ended" || byeReason == "denied" ||
        byeReason == "replaced" || byeReason == "media-lost")
        return kCloseNormal;
    if (byeReason == "server-shutdown") return kCloseGoingAway;
    return kClosePolicy;
}
}  // namespace

int64_t Session::Listener::monotonicMs() {
    return g_get_monotonic_time() / 1000;
}

Session::Session(Listener& listener, const Limits& limits)
    : listener_(listener),
      limits_(limits),
      messages_(limits.messages(), listener.monotonicMs()),
      iceRestarts_({1.0 / kIceRestartPeriodS, kIceRestartBurst}, listener.monotonicMs()) {}

bool Session::admit() {
    if (messages_.take(listener_.monotonicMs())) return true;
    // Counts as a protocol error: a client that keeps flooding is disconnected (kMaxErrors).
    replyError(errc::kRateLimited, "more than " + std::to_string(limits_.messageRate) +
                                       " messages a second (burst " +
                                       std::to_string(limits_.messageBurst) + "); message dropped");
    return false;
}

void Session::onText(std::string_view text) {
    if (state_ == State::Ended) return;
    if (!admit()) return;
    auto parsed = protocol::parseClientMessage(text);
    if (!parsed) {
        replyError(parsed.error().code, parsed.error().message);
        return;
    }
    std::visit([this](const auto& m) { handle(m); }, parsed.value());
}

void Session::onBinary() {
    if (state_ == State::Ended) return;
    if (!admit()) return;
    replyError(errc::kBadJson, "binary frames are not part of the protocol; send JSON text");
}

void Session::handle(const protocol::Join& m) {
    if (state_ != State::AwaitingJoin) {
        replyError(errc::kBadState, "already joined");
        return;
    }
    if (m.version != protocol::kVersion) {
        listener_.sendMessage(protocol::ErrorReply{errc::kUnsupportedVersion,
                                                   "this server speaks protocol version 1"});
        end("unsupported-version", kClosePolicy);
        return;
    }
    state_ = State::Joining;
    auto admission = listener_.screenJoin(m);
    if (!admission) {
        listener_.sendMessage(
            protocol::ErrorReply{admission.error().code, admission.error().message});
        state_ = State::Ended;
        listener_.closeConnection(kClosePolicy, admission.error().code);
        return;
    }
    if (state_ != State::Joining) return;  // Failed inside screenJoin.
    if (admission.value() == Admission::Wait) {
        state_ = State::Waiting;
        heldJoin_ = m;
        listener_.sendMessage(protocol::Waiting{});
        return;
    }
    enterRoom(m);
}

void Session::onAdmitted() {
    if (state_ != State::Waiting || !heldJoin_) return;
    protocol::Join join = *std::exchange(heldJoin_, std::nullopt);
    state_ = State::Joining;
    listener_.sendMessage(protocol::Admitted{});
    enterRoom(join);
}

void Session::onDenied() {
    if (state_ != State::Waiting) return;
    heldJoin_.reset();
    listener_.sendMessage(protocol::Denied{});
    end("denied", closeCodeFor("denied"));
}

void Session::enterRoom(const protocol::Join& m) {
    auto welcome = listener_.joinRoom(m);
    if (!welcome) {
        listener_.sendMessage(protocol::ErrorReply{welcome.error().code, welcome.error().message});
        state_ = State::Ended;
        listener_.closeConnection(kClosePolicy, welcome.error().code);
        return;
    }
    if (state_ != State::Joining) return;  // Failed inside joinRoom.
    state_ = State::AwaitingOffer;
    listener_.sendMessage(welcome.value());
    if (pendingRoster_) {
        listener_.sendMessage(*pendingRoster_);
        pendingRoster_.reset();
    }
    listener_.onJoined();
}

void Session::handle(const protocol::Answer& m) {
    if (state_ != State::AwaitingAnswer) {
        replyError(errc::kBadState, "no offer is waiting for an answer");
        return;
    }
    auto applied = listener_.applyAnswer(m.sdp);
    if (!applied) {
        fail("bad-sdp", errc::kBadSdp, applied.error().message);
        return;
    }
    state_ = State::Active;
    restarting_ = false;
}

void Session::handle(const protocol::IceCandidate& m) {
    if (state_ == State::OutOfCall) return;  // Still in flight when the call was left.
    // During an ICE restart the old generation's candidates may still be in flight.
    const bool restartInFlight = restarting_ && state_ == State::AwaitingOffer;
    if (state_ != State::AwaitingAnswer && state_ != State::Active && !restartInFlight) {
        replyError(errc::kBadState, "ICE candidates are accepted only after the offer");
        return;
    }
    if (m.candidate.empty()) {  // End-of-candidates.
        listener_.addRemoteCandidate(m);
        return;
    }
    if (m.sdpMLineIndex > 1) {
        replyError(errc::kBadCandidate, "sdpMLineIndex must be 0 (audio) or 1 (video)");
        return;
    }
    auto parsed = protocol::parseCandidate(m.candidate);
    if (!parsed) {
        replyError(errc::kBadCandidate, parsed.error().message);
        return;
    }
    if (parsed.value().loopback && !limits_.allowLoopbackCandidates) {
        replyError(errc::kBadCandidate, "loopback candidates are not used");
        return;
    }
    if (remoteCandidates_ >= limits_.maxCandidates) {
        // Told once; not a protocol error (a browser on a host with many interfaces may
        // reach it), so it does not count towards the disconnect.
        if (remoteCandidates_ == limits_.maxCandidates) {
            ++remoteCandidates_;
            listener_.sendMessage(protocol::ErrorReply{
                errc::kTooManyCandidates, "only the first " +
                                              std::to_string(limits_.maxCandidates) +
                                              " ICE candidates are used; the rest are ignored"});
        }
        return;
    }
    ++remoteCandidates_;
    listener_.addRemoteCandidate(m);
}

void Session::handle(const protocol::Leave&) {
    end("left", kCloseNormal);
}

bool Session::inRoom() const {
    return state_ == State::AwaitingOffer || state_ == State::AwaitingAnswer ||
           state_ == State::Active;
}

bool Session::inMeeting() const {
    return inRoom() || state_ == State::OutOfCall;
}

void Session::replyIfError(const core::Status& status) {
    if (status) return;
    const std::string& code = status.error().code;
    if (code == errc::kRateLimited || code == errc::kNotHost || code == errc::kNoSuchParticipant) {
        // A chat, chat-history, hand or reaction budget: the client is chatty, not broken; its
        // frames are already bounded by the message budget, so this does not count towards
        // disconnect. Neither do host actions that lost a race (the rights moved on, the
        // target just left): a correct page can cause them.
        listener_.sendMessage(protocol::ErrorReply{status.error().code, status.error().message});
        return;
    }
    replyError(status.error().code, status.error().message);
}

void Session::handle(const protocol::ChatSend& m) {
    if (!inMeeting()) {
        replyError(errc::kBadState, "chat is available after joining a meeting");
        return;
    }
    replyIfError(listener_.sendChat(m.text));
}

void Session::handle(const protocol::ChatHistoryRequest& m) {
    if (!inMeeting()) {
        replyError(errc::kBadState, "chat is available after joining a meeting");
        return;
    }
    replyIfError(listener_.requestChatHistory(m.before));
}

void Session::handle(const protocol::Presence&) {
    if (state_ != State::AwaitingJoin) {
        replyError(errc::kBadState, "presence must be the first message");
        return;
    }
    auto online = listener_.goOnline();
    if (!online) {
        listener_.sendMessage(protocol::ErrorReply{online.error().code, online.error().message});
        state_ = State::Ended;
        listener_.closeConnection(kClosePolicy, online.error().code);
        return;
    }
    state_ = State::Presence;
    listener_.sendMessage(protocol::PresenceAck{});
}

void Session::handle(const protocol::Call& m) {
    if (state_ != State::Presence) {
        replyError(errc::kBadState, "send presence before calling");
        return;
    }
    replyIfError(listener_.placeCall(m.username));
}

void Session::handle(const protocol::CallAnswer& m) {
    if (state_ != State::Presence) {
        replyError(errc::kBadState, "send presence before answering calls");
        return;
    }
    replyIfError(listener_.answerCall(m.callId, m.accept));
}

void Session::handle(const protocol::SetQuality& m) {
    if (!inRoom()) {
        replyError(errc::kBadState, "quality can be chosen after joining");
        return;
    }
    replyIfError(listener_.setQuality(m.tier));
}

void Session::handle(const protocol::Record& m) {
    if (!inRoom()) {
        replyError(errc::kBadState, "recording can be started after joining");
        return;
    }
    replyIfError(listener_.record(m));
}

void Session::handle(const protocol::Stream& m) {
    if (!inRoom()) {
        replyError(errc::kBadState, "streaming can be started after joining");
        return;
    }
    replyIfError(listener_.setStream(m));
}

void Session::handle(const protocol::Hls& m) {
    if (!inRoom()) {
        replyError(errc::kBadState, "HLS can be started after joining");
        return;
    }
    replyIfError(listener_.setHls(m));
}

void Session::handle(const protocol::MediaState& m) {
    if (!inMeeting()) {
        replyError(errc::kBadState, "media-state is accepted after joining a meeting");
        return;
    }
    replyIfError(listener_.setMediaState(m));
}

void Session::handle(const protocol::Hand& m) {
    if (!inMeeting()) {
        replyError(errc::kBadState, "hands can be raised after joining a meeting");
        return;
    }
    replyIfError(listener_.raiseHand(m.raised));
}

void Session::handle(const protocol::Reaction& m) {
    if (!inMeeting()) {
        replyError(errc::kBadState, "reactions can be sent after joining a meeting");
        return;
    }
    replyIfError(listener_.react(m.emoji));
}

void Session::handle(const protocol::HostCommand& m) {
    if (!inMeeting()) {
        replyError(errc::kBadState, "host actions are accepted after joining a meeting");
        return;
    }
    replyIfError(listener_.hostCommand(m));
}

void Session::handle(const protocol::LeaveCall&) {
    if (!inRoom()) {
        replyError(errc::kBadState, "not in the call");
        return;
    }
    auto left = listener_.leaveCall();
    if (!left) {
        replyIfError(left);
        return;
    }
    state_ = State::OutOfCall;
    pendingCandidates_.clear();
    sentCandidates_.clear();
    restarting_ = false;
}

void Session::handle(const protocol::RejoinCall&) {
    if (state_ != State::OutOfCall) {
        replyError(errc::kBadState, "rejoin-call is accepted only after leave-call");
        return;
    }
    // The new media session gets its own offer, answer and candidate budget; the offer may
    // arrive inside rejoinCall().
    state_ = State::AwaitingOffer;
    remoteCandidates_ = 0;
    sentCandidates_.clear();
    auto rejoined = listener_.rejoinCall();
    if (!rejoined) {
        if (state_ == State::AwaitingOffer) state_ = State::OutOfCall;
        replyIfError(rejoined);
    }
}

void Session::handle(const protocol::SetLayout& m) {
    if (!inRoom()) {
        replyError(errc::kBadState, "a layout can be chosen after joining");
        return;
    }
    if (m.pin) {
        replyIfError(listener_.setPin(*m.pin));
        return;
    }
    replyIfError(listener_.setLayout(m.layout, m.scope));
}

void Session::handle(const protocol::ShareStart&) {
    if (!inRoom()) {
        replyError(errc::kBadState, "a screen can be shared after joining");
        return;
    }
    replyIfError(listener_.shareScreen(true));
}

void Session::handle(const protocol::ShareStop&) {
    if (!inRoom()) {
        replyError(errc::kBadState, "not presenting");
        return;
    }
    replyIfError(listener_.shareScreen(false));
}

void Session::handle(const protocol::IceRestart&) {
    if (restarting_) return;  // One is under way: its offer is coming or came.
    if (state_ != State::Active) {
        replyError(errc::kBadState, "ice-restart is accepted once the answer is applied");
        return;
    }
    if (!iceRestarts_.take(listener_.monotonicMs())) {
        // A page retrying on a flapping network, not a broken one: not counted as an error.
        listener_.sendMessage(protocol::ErrorReply{
            errc::kRateLimited, "at most " + std::to_string(static_cast<int>(kIceRestartBurst)) +
                                    " ICE restarts at once, then one every " +
                                    std::to_string(static_cast<int>(kIceRestartPeriodS)) + " s"});
        return;
    }
    replyIfError(listener_.restartIce());
}

bool Session::beginIceRestart() {
    if (state_ != State::Active) return false;
    state_ = State::AwaitingOffer;
    restarting_ = true;
    remoteCandidates_ = 0;  // The client's new ICE generation gathers again.
    return true;
}

void Session::onLocalOffer(std::string sdp) {
    if (state_ != State::AwaitingOffer) return;
    listener_.sendMessage(protocol::Offer{std::move(sdp)});
    state_ = State::AwaitingAnswer;
    if (restarting_)
        for (const auto& c : sentCandidates_) listener_.sendMessage(c);
    for (auto& c : pendingCandidates_) send(std::move(c));
    pendingCandidates_.clear();
}

void Session::onLocalCandidate(protocol::IceCandidate candidate) {
    if (state_ == State::AwaitingOffer) {
        pendingCandidates_.push_back(std::move(candidate));
        return;
    }
    if (state_ == State::AwaitingAnswer || state_ == State::Active) send(std::move(candidate));
}

void Session::send(protocol::IceCandidate candidate) {
    listener_.sendMessage(candidate);
    if (sentCandidates_.size() < kMaxSentCandidates && !candidate.candidate.empty())
        sentCandidates_.push_back(std::move(candidate));
}

void Session::onRoster(protocol::Roster roster) {
    switch (state_) {
        case State::Joining:
            pendingRoster_ = std::move(roster);
            break;
        case State::AwaitingOffer:
        case State::AwaitingAnswer:
        case State::Active:
        case State::OutOfCall:
            listener_.sendMessage(roster);
            break;
        default:
            break;
    }
}

void Session::fail(const std::string& byeReason, const std::string& errorCode,
                   const std::string& errorMessage) {
    if (state_ == State::Ended) return;
    if (!errorCode.empty()) listener_.sendMessage(protocol::ErrorReply{errorCode, errorMessage});
    end(byeReason, closeCodeFor(byeReason));
}

void Session::onSocketClosed(bool mayPark) {
    if (state_ == State::Ended) return;
    bool joined = state_ != State::AwaitingJoin;  // In a room, or online (presence).
    bool meeting = inMeeting() && mayPark;
    state_ = State::Ended;
    if (meeting)
        listener_.parkRoom();
    else if (joined)
        listener_.leaveRoom();
}

void Session::replyError(const std::string& code, const std::string& message) {
    GST_DEBUG("protocol error %s: %s", code.c_str(), message.c_str());
    listener_.sendMessage(protocol::ErrorReply{code, message});
    if (++errors_ >= kMaxErrors) end("too-many-errors", kClosePolicy);
}

void Session::end(const std::string& reason, unsigned short closeCode) {
    if (state_ == State::Ended) return;
    bool joined = state_ != State::AwaitingJoin;
    state_ = State::Ended;
    listener_.sendMessage(protocol::Bye{reason});
    if (joined) listener_.leaveRoom();
    listener_.closeConnection(closeCode, reason);
}

}  // namespace mixmeet::signaling
