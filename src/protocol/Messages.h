// Typed signaling messages of protocol version 1 (docs/protocol.md) and their JSON form.
// Pure: no I/O, no GStreamer. Safe to call from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/Result.h"
#include "protocol/MeetingControl.h"

namespace mixmeet::protocol {

/// Protocol version this code speaks (docs/protocol.md).
constexpr int kVersion = 1;
/// Largest accepted message, in bytes; longer ones get error "too-large".
constexpr std::size_t kMaxMessageBytes = 65536;
/// Longest room name and display name, in characters.
constexpr std::size_t kMaxRoomChars = 64;
constexpr std::size_t kMaxNameChars = 64;
/// Longest chat message, in characters (after trimming).
constexpr std::size_t kMaxChatChars = 2000;
/// Longest RTMP URL and stream key a host may send (`stream`), bytes.
constexpr std::size_t kMaxStreamUrlBytes = 512;
constexpr std::size_t kMaxStreamKeyBytes = 256;

/// Stable error codes sent in `error` messages (docs/protocol.md, "error").
namespace errc {
inline constexpr const char* kBadJson = "bad-json";
inline constexpr const char* kTooLarge = "too-large";
inline constexpr const char* kBadMessage = "bad-message";
inline constexpr const char* kUnknownType = "unknown-type";
inline constexpr const char* kBadState = "bad-state";
inline constexpr const char* kUnsupportedVersion = "unsupported-version";
inline constexpr const char* kBadSdp = "bad-sdp";
inline constexpr const char* kRoomFull = "room-full";
/// A new room past [limits] max_rooms.
inline constexpr const char* kRoomLimit = "room-limit";
/// The server is short of descriptors, threads or memory, or a room could not be started.
inline constexpr const char* kServerBusy = "server-busy";
inline constexpr const char* kInternal = "internal";
inline constexpr const char* kUnauthenticated = "unauthenticated";
inline constexpr const char* kNoSuchMeeting = "no-such-meeting";
inline constexpr const char* kNoSuchUser = "no-such-user";
inline constexpr const char* kOffline = "offline";
// Hostile-client bounds (docs/security.md, "Signaling").
/// Over the connection's message budget, or its chat or chat-history budget.
inline constexpr const char* kRateLimited = "rate-limited";
/// An `ice` candidate that is malformed or names an address the server will not contact.
inline constexpr const char* kBadCandidate = "bad-candidate";
/// More ICE candidates than the server accepts per participant; later ones are ignored.
inline constexpr const char* kTooManyCandidates = "too-many-candidates";
/// The answer did not arrive, or ICE did not connect, in time ([webrtc] connect_timeout_ms).
inline constexpr const char* kConnectTimeout = "connect-timeout";
// kNotHost ("not-host", a host-only action from someone else) is in MeetingControl.h.
/// A recording cannot start: the recording directory is short of space ([recording]
/// min_free_mb) or cannot be written.
inline constexpr const char* kNoSpace = "no-space";
/// `share-start` from a participant whose answer did not open m-line 2 for sending (or who is
/// not in the call): it cannot share a screen without renegotiating.
inline constexpr const char* kShareUnavailable = "share-unavailable";
/// A `join` with `resume` whose token is unknown, used, expired (past [room]
/// reconnect_grace_ms), for another meeting or of another account: join afresh.
inline constexpr const char* kResumeFailed = "resume-failed";
}  // namespace errc

/// Length of a resume token (docs/protocol.md, "Reconnecting"): URL-safe base64 of 32 random
/// bytes without padding.
constexpr std::size_t kResumeTokenChars = 43;

// Client -> server.
struct Join {
    int version = kVersion;
    std::string room;
    std::string name;  ///< Display name, trimmed.
    /// The resume token of the last `welcome` (kResumeTokenChars of [A-Za-z0-9_-]): take over
    /// the same participant after a dropped connection. Empty: a fresh join.
    std::string resume;
};
struct Answer {
    std::string sdp;
};
/// Trickle ICE candidate, both directions. Empty candidate = end-of-candidates.
struct IceCandidate {
    std::string candidate;
    int sdpMLineIndex = 0;
};
struct Leave {};
/// A chat line to send to the meeting (trimmed, 1-2000 characters, plain text).
struct ChatSend {
    std::string text;
};
/// Asks for chat older than message id `before` (absent: the newest).
struct ChatHistoryRequest {
    std::optional<long long> before;
};
/// Registers a dashboard as online to receive calls.
struct Presence {};
struct Call {
    std::string username;
};
struct CallAnswer {
    std::string callId;
    bool accept = false;
};
/// The viewer's quality choice: "auto", "high", "medium", "low" or "audio" (no video).
struct SetQuality {
    std::string tier;
};
/// The host starts (on) or stops (off) the meeting's recording; `audioOnly` (with on): the
/// full mix alone, no video (docs/recording.md, "Audio only").
struct Record {
    bool on = false;
    bool audioOnly = false;
};
/// The layout a viewer wants: "grid", "speaker" or "presentation" (media::LayoutKind), or
/// "auto" (follow the meeting's). scope "meeting": the host sets the meeting's layout.
struct SetLayout {
    std::string layout;
    std::string scope = "self";  ///< "self" or "meeting".
    /// Present: pin this participant id for this viewer (the speaker layout with them large;
    /// `layout` is then "speaker", scope "self"); "": unpin.
    std::optional<std::string> pin;
};
/// The participant starts sharing its screen (it sends on m-line 2; docs/protocol.md,
/// "Screen sharing"). A presenter already sharing is replaced.
struct ShareStart {};
/// The presenter stops sharing.
struct ShareStop {};
/// The host adds an RTMP(S) target (action "add": url + key) or removes one (action
/// "remove": id) of the meeting's live stream (docs/protocol.md, "Live streaming").
struct Stream {
    std::string action;  ///< "add" or "remove".
    std::string url;     ///< add: rtmp:// or rtmps:// URL of the ingest application.
    std::string key;     ///< add: the stream key (appended to the URL; never echoed in full).
    std::string id;      ///< remove: the target's id.
};
/// The host starts or stops HLS for the meeting, and says who may watch it.
struct Hls {
    bool on = false;
    std::string access = "participants";  ///< "participants" or "anyone" (with the link).
};
/// The client's media connection failed (or went "disconnected") while its socket is up: it
/// asks for an ICE restart; the server sends a new `offer` with new ICE credentials for the
/// same PeerConnection (docs/protocol.md, "ICE restart").
struct IceRestart {};
using ClientMessage = std::variant<Join, Answer, IceCandidate, Leave, ChatSend, ChatHistoryRequest,
                                   Presence, Call, CallAnswer, SetQuality, Record, SetLayout,
                                   ShareStart, ShareStop, Stream, Hls, IceRestart,
                                   // Meeting controls (protocol/MeetingControl.h).
                                   MediaState, Hand, Reaction, HostCommand, LeaveCall, RejoinCall>;

// Server -> client.
struct IceServer {
    std::vector<std::string> urls;
    std::string username;    ///< Empty: omitted.
    std::string credential;  ///< Empty: omitted.
};
struct Welcome {
    std::string participantId;
    std::string room;
    std::vector<IceServer> iceServers;
    int width = 0;  ///< Composite size in pixels.
    int height = 0;
    int framerate = 0;  ///< Frames per second.
    /// Single-use token for `join` with `resume` after a dropped connection (empty: none,
    /// omitted).
    std::string resumeToken;
    bool resumed = false;  ///< This join took over the participant of a resume token.
};
struct RosterEntry {
    std::string id;
    std::string name;
    // Meeting controls (docs/protocol.md, "Meeting controls").
    bool mic = true;          ///< Heard: microphone on and not muted by the host.
    bool camera = true;       ///< Shown: camera on and not stopped by the host.
    bool hand = false;        ///< Hand raised.
    bool host = false;        ///< Holds the meeting's host rights.
    bool inCall = true;       ///< false after `leave-call`: in the meeting's chat, not the call.
    bool presenting = false;  ///< Shares its screen (at most one participant).
    std::optional<bool> speaking;  ///< The active speaker; absent when not computed.
    /// The same account is in the meeting more than once: this connection's number among
    /// them (1, 2, ...; room/Devices.h); 0 (omitted): the account's only one, or a guest.
    int device = 0;
};
struct Roster {
    std::vector<RosterEntry> participants;  ///< In tile order.
};
struct Offer {
    std::string sdp;
};
struct ErrorReply {
    std::string code;  ///< One of errc.
    std::string message;
};
struct Bye {
    std::string reason;
};
/// One saved chat message.
struct ChatLine {
    long long id = 0;
    std::optional<long long> userId;  ///< Absent for guests.
    std::string name;
    std::string text;
    long long sentAt = 0;  ///< Unix ms, UTC.
};
struct ChatEvent {
    ChatLine message;
};
struct ChatHistory {
    std::vector<ChatLine> messages;  ///< Oldest first.
    bool hasMore = false;
};
struct PresenceAck {};
struct UserRef {
    std::string username;
    std::string displayName;
};
struct CallRinging {
    std::string callId;
    UserRef to;
};
struct IncomingCall {
    std::string callId;
    UserRef from;
};
struct CallAccepted {
    std::string callId;
    std::string meetingId;
};
struct CallDeclined {
    std::string callId;
};
/// The tier a viewer now receives.
struct Quality {
    std::string tier;    ///< "high", "medium", "low" or "audio".
    std::string choice;  ///< What the viewer asked for ("auto" by default).
    int width = 0;       ///< Pixels; 0 for audio.
    int height = 0;
    int framerate = 0;
};
/// What the server shows of this sender: its tile in the composite. Senders scale their
/// camera down to it and cap their bitrate, saving uplink and server decode/scale work.
struct SendHint {
    int width = 0;  ///< Tile size in the largest tier, pixels.
    int height = 0;
    int maxBitrate = 0;  ///< bps.
};
/// Whether the meeting is being recorded: to everyone on each change, and after joining.
struct RecordingState {
    bool on = false;
    long long startedAt = 0;  ///< Unix ms, UTC; 0 when off.
    bool audioOnly = false;   ///< While on: the recording has no video.
};
/// One participant's tile in the composite a viewer receives.
struct LayoutTile {
    std::string id;  ///< Participant id.
    int x = 0;       ///< Composite pixels (the high tier's size; scale for lower tiers).
    int y = 0;
    int width = 0;
    int height = 0;
    bool operator==(const LayoutTile&) const = default;
};
/// What the viewer's composite shows now: sent on join and on every change.
struct LayoutInfo {
    std::string layout;         ///< "grid", "speaker" or "presentation".
    std::string choice;         ///< The viewer's choice: a layout name or "auto".
    std::string meetingLayout;  ///< The meeting's layout (the host's choice).
    std::string speaker;        ///< The active speaker's id; empty: nobody yet.
    int width = 0;              ///< Composite size, pixels.
    int height = 0;
    std::vector<LayoutTile> tiles;  ///< Participants shown, in tile order.
    std::string presenter;          ///< Who shares a screen; empty: nobody.
    /// Where the shared screen is in this composite (id: the presenter); absent if it shows
    /// none.
    std::optional<LayoutTile> screen;
    std::string pin;  ///< Who this viewer pinned (shown large); empty: nobody.
    bool operator==(const LayoutInfo&) const = default;
};
/// One RTMP target of the live stream, as everyone in the meeting is told.
struct StreamTarget {
    std::string id;
    std::string url;      ///< As the host gave it (without the key).
    std::string key;      ///< Masked: the first 2 and last 2 characters at most, "****" between.
    std::string state;    ///< "connecting", "live" or "retrying".
    std::string message;  ///< The last error ("retrying"), else empty.
    int retryInMs = 0;    ///< "retrying": the next attempt, ms from now.
    bool operator==(const StreamTarget&) const = default;
};
/// The meeting's live stream: to everyone on each change, and after joining while it runs.
struct StreamingState {
    std::vector<StreamTarget> targets;
    bool hls = false;
    std::string hlsAccess;  ///< "participants" or "anyone" while hls.
    std::string hlsUrl;     ///< "/live/<meeting-id>/index.m3u8" while hls.
    std::string watchUrl;   ///< "/watch.html?m=<meeting-id>" while hls.
    bool operator==(const StreamingState&) const = default;
};
using ServerMessage =
    std::variant<Welcome, Roster, Offer, IceCandidate, ErrorReply, Bye, ChatEvent, ChatHistory,
                 PresenceAck, CallRinging, IncomingCall, CallAccepted, CallDeclined, Quality,
                 SendHint, RecordingState, LayoutInfo, StreamingState,
                 // Meeting controls (protocol/MeetingControl.h).
                 MutedByHost, UnmuteRequest, Removed, MeetingEnded, Waiting, Admitted, Denied,
                 ReactionEvent, Locked, WaitingRoomState>;

/// Parses and validates one client message. Errors: bad-json, too-large, bad-message,
/// unknown-type (Error::code), with a human-readable message naming the field.
core::Result<ClientMessage> parseClientMessage(std::string_view text);
/// Parses a server message (used by clients and tests). Same error codes.
core::Result<ServerMessage> parseServerMessage(std::string_view text);

/// JSON text of a message (one compact object).
std::string toJson(const ServerMessage& message);
std::string toJson(const ClientMessage& message);

/// True if name is a valid room name: 1-64 of A-Z a-z 0-9 - _ .
bool isValidRoomName(std::string_view name);

}  // namespace mixmeet::protocol
