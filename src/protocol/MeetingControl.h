// Meeting-control messages of protocol 1 (docs/protocol.md, "Meeting controls"): the
// participant's own media state, raised hands, reactions, host actions, the waiting room and
// hanging up while staying in the meeting. Their JSON form; Messages.h adds them to the
// ClientMessage and ServerMessage variants. Pure: no I/O. Safe to call from any thread.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/Json.h"
#include "core/Result.h"

namespace mixmeet::protocol {

/// Longest participant id accepted in a host action, in bytes (ids are "p<number>").
constexpr std::size_t kMaxParticipantIdBytes = 64;

/// The reactions a participant may send: nothing else is accepted (bad-message), so a reaction
/// can be drawn over a tile without being text anyone chose.
inline constexpr std::array<std::string_view, 6> kReactions = {
    "\xF0\x9F\x91\x8D",          // U+1F44D thumbs up
    "\xF0\x9F\x91\x8F",          // U+1F44F clapping hands
    "\xE2\x9D\xA4\xEF\xB8\x8F",  // U+2764 U+FE0F red heart
    "\xF0\x9F\x98\x82",          // U+1F602 face with tears of joy
    "\xF0\x9F\x98\xAE",          // U+1F62E face with open mouth
    "\xF0\x9F\x8E\x89",          // U+1F389 party popper
};
/// True if `emoji` is one of kReactions (byte for byte).
bool isAllowedReaction(std::string_view emoji);

namespace errc {
/// A host action from a participant who is not the meeting's host.
inline constexpr const char* kNotHost = "not-host";
/// A host action naming a participant who is not in the meeting (or, for admit/deny, not
/// waiting).
inline constexpr const char* kNoSuchParticipant = "no-such-participant";
/// A join while the host has locked the meeting.
inline constexpr const char* kMeetingLocked = "meeting-locked";
/// A join while the meeting's waiting room already holds its maximum.
inline constexpr const char* kWaitingRoomFull = "waiting-room-full";
}  // namespace errc

// Client -> server.

/// The sender's own microphone and camera switches (true: on). A participant who turns the
/// microphone on lifts a host mute; camera on lifts a host stop-video.
struct MediaState {
    bool mic = true;
    bool camera = true;
};
/// Raises or lowers the sender's hand.
struct Hand {
    bool raised = false;
};
/// One of kReactions, shown to everyone for a few seconds.
struct Reaction {
    std::string emoji;
};

/// What a host action does (one client message type each, except mute/mute-all).
enum class HostVerb {
    Mute,         ///< `mute` {participant}: drop their microphone from the mix.
    MuteAll,      ///< `mute` {all: true}: everyone but the sender.
    AskUnmute,    ///< `unmute-request` {participant}: ask (never force) them to unmute.
    StopVideo,    ///< `stop-video` {participant}: their tile becomes the name tile.
    Remove,       ///< `remove` {participant}: they leave the meeting.
    Lock,         ///< `lock` {locked}: no new joins while locked.
    WaitingRoom,  ///< `waiting-room` {enabled}: guests wait to be admitted.
    Admit,        ///< `admit` {participant}: a waiting guest enters.
    Deny,         ///< `deny` {participant}: a waiting guest is turned away.
    EndMeeting,   ///< `end-meeting` {}: everyone leaves.
    MakeHost,     ///< `make-host` {participant}: host rights move to them.
};
/// The message type of a verb ("mute" for both Mute and MuteAll).
const char* hostVerbType(HostVerb verb);

/// A host action. `participant` is set for the verbs that name one; `flag` is `locked` for
/// Lock and `enabled` for WaitingRoom.
struct HostCommand {
    HostVerb verb = HostVerb::Mute;
    std::string participant;
    bool flag = false;
};
/// Hangs up: the media connection ends, the participant stays in the meeting (roster, chat).
struct LeaveCall {};
/// Joins the call again after `leave-call`: the server sends a new offer.
struct RejoinCall {};

// Server -> client.

/// The host turned this participant's microphone ("mic") or camera ("camera") off.
struct MutedByHost {
    std::string media;  ///< "mic" or "camera".
    std::string by;     ///< The host's participant id.
};
/// The host asks this participant to turn the microphone on (the client asks its user).
struct UnmuteRequest {
    std::string by;
};
/// This participant was removed from the meeting by the host; `bye` `removed` follows.
struct Removed {
    std::string by;
};
/// The host ended the meeting for everyone; `bye` `meeting-ended` follows.
struct MeetingEnded {
    std::string by;
};
/// The join is held in the waiting room until the host admits or denies it.
struct Waiting {};
/// The host admitted this waiting participant; `welcome` follows.
struct Admitted {};
/// The host turned this waiting participant away; `bye` `denied` follows.
struct Denied {};
/// Someone reacted (everyone in the meeting gets it, the sender included).
struct ReactionEvent {
    std::string participant;
    std::string emoji;
};
/// Whether the meeting is locked (sent after joining and on every change).
struct Locked {
    bool locked = false;
};
/// One participant held in the waiting room.
struct WaitingEntry {
    std::string id;
    std::string name;
};
/// The waiting room as the host sees it (sent to the host on every change and when one becomes
/// host).
struct WaitingRoomState {
    bool enabled = false;
    std::vector<WaitingEntry> participants;  ///< In arrival order.
};

using MeetingClientMessage =
    std::variant<MediaState, Hand, Reaction, HostCommand, LeaveCall, RejoinCall>;
using MeetingServerMessage =
    std::variant<MutedByHost, UnmuteRequest, Removed, MeetingEnded, Waiting, Admitted, Denied,
                 ReactionEvent, Locked, WaitingRoomState>;

/// Parses the meeting-control client message of type `type` from `r`; nullopt if `type` is not
/// one of them. Errors: bad-message, naming the field.
std::optional<core::Result<MeetingClientMessage>> parseMeetingClientMessage(std::string_view type,
                                                                            core::JsonReader& r);
/// The same for server messages (clients and tests).
std::optional<core::Result<MeetingServerMessage>> parseMeetingServerMessage(std::string_view type,
                                                                            core::JsonReader& r);

/// JSON text of one message (one compact object).
std::string meetingJson(const MeetingClientMessage& message);
std::string meetingJson(const MeetingServerMessage& message);

}  // namespace mixmeet::protocol
