#include "protocol/MeetingControl.h"

#include <algorithm>

#include "protocol/Messages.h"

namespace mixmeet::protocol {

using core::JsonReader;
using core::JsonWriter;
using core::makeError;
using core::Result;

namespace {

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

/// Type name and verb of every host action but MuteAll (parsed from `mute` {all: true}).
struct VerbName {
    HostVerb verb;
    const char* type;
    bool namesParticipant;
};
constexpr VerbName kVerbs[] = {
    {HostVerb::Mute, "mute", true},
    {HostVerb::AskUnmute, "unmute-request", true},
    {HostVerb::StopVideo, "stop-video", true},
    {HostVerb::Remove, "remove", true},
    {HostVerb::Lock, "lock", false},
    {HostVerb::WaitingRoom, "waiting-room", false},
    {HostVerb::Admit, "admit", true},
    {HostVerb::Deny, "deny", true},
    {HostVerb::EndMeeting, "end-meeting", false},
    {HostVerb::MakeHost, "make-host", true},
};

/// A required boolean member (JsonReader has only the optional form).
bool requiredBoolean(JsonReader& r, const char* name) {
    auto v = r.optBoolean(name);
    if (!v && r.ok()) r.fail(std::string("missing field '") + name + "'");
    return v.value_or(false);
}

std::string participantField(JsonReader& r) {
    std::string id = r.string("participant", kMaxParticipantIdBytes);
    if (r.ok() && id.empty()) r.fail("field 'participant' must not be empty");
    return id;
}

Result<MeetingClientMessage> parseHostCommand(const VerbName& v, JsonReader& r) {
    HostCommand c;
    c.verb = v.verb;
    if (v.verb == HostVerb::Mute && r.has("all")) {
        // `mute` names one participant or everyone, never both.
        bool all = requiredBoolean(r, "all");
        if (r.ok() && !all) r.fail("field 'all' must be true when present");
        if (r.ok() && r.has("participant"))
            r.fail("'mute' takes either 'participant' or 'all', not both");
        c.verb = HostVerb::MuteAll;
    } else if (v.namesParticipant) {
        c.participant = participantField(r);
    } else if (v.verb == HostVerb::Lock) {
        c.flag = requiredBoolean(r, "locked");
    } else if (v.verb == HostVerb::WaitingRoom) {
        c.flag = requiredBoolean(r, "enabled");
    }
    if (!r.ok()) return makeError(errc::kBadMessage, r.error());
    return MeetingClientMessage{c};
}

std::vector<WaitingEntry> readWaitingList(JsonReader& r) {
    std::vector<WaitingEntry> list;
    if (JsonArray* a = r.array("participants")) {
        for (guint i = 0; i < json_array_get_length(a); ++i) {
            JsonNode* n = json_array_get_element(a, i);
            JsonReader er(JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr);
            WaitingEntry e{er.string("id", 256), er.string("name", 1024)};
            if (!er.ok()) r.fail("bad participants entry: " + er.error());
            list.push_back(std::move(e));
        }
    }
    return list;
}

}  // namespace

bool isAllowedReaction(std::string_view emoji) {
    return std::find(kReactions.begin(), kReactions.end(), emoji) != kReactions.end();
}

const char* hostVerbType(HostVerb verb) {
    if (verb == HostVerb::MuteAll) return "mute";
    for (const auto& v : kVerbs)
        if (v.verb == verb) return v.type;
    return "";
}

std::optional<Result<MeetingClientMessage>> parseMeetingClientMessage(std::string_view type,
                                                                      JsonReader& r) {
    auto done = [&](MeetingClientMessage m) -> Result<MeetingClientMessage> {
        if (!r.ok()) return makeError(errc::kBadMessage, r.error());
        return m;
    };
    if (type == "media-state") {
        MediaState s;
        s.mic = requiredBoolean(r, "mic");
        s.camera = requiredBoolean(r, "camera");
        return done(s);
    }
    if (type == "hand") return done(Hand{requiredBoolean(r, "raised")});
    if (type == "reaction") {
        // Longer than any allowed emoji: refused by the check below with a clear message.
        std::string emoji = r.string("emoji", 64);
        if (!r.ok()) return done(Reaction{});
        if (!isAllowedReaction(emoji))
            return Result<MeetingClientMessage>(
                makeError(errc::kBadMessage,
                          "field 'emoji' must be one of the reactions listed in docs/protocol.md"));
        return done(Reaction{emoji});
    }
    if (type == "leave-call") return done(LeaveCall{});
    if (type == "rejoin-call") return done(RejoinCall{});
    for (const auto& v : kVerbs)
        if (type == v.type) return parseHostCommand(v, r);
    return std::nullopt;
}

std::optional<Result<MeetingServerMessage>> parseMeetingServerMessage(std::string_view type,
                                                                      JsonReader& r) {
    auto done = [&](MeetingServerMessage m) -> Result<MeetingServerMessage> {
        if (!r.ok()) return makeError(errc::kBadMessage, r.error());
        return m;
    };
    if (type == "muted-by-host") {
        MutedByHost m{r.string("media", 16), r.string("by", 256)};
        if (r.ok() && m.media != "mic" && m.media != "camera")
            r.fail("field 'media' must be mic or camera");
        return done(m);
    }
    if (type == "unmute-request") return done(UnmuteRequest{r.string("by", 256)});
    if (type == "removed") return done(Removed{r.string("by", 256)});
    if (type == "meeting-ended") return done(MeetingEnded{r.string("by", 256)});
    if (type == "waiting") return done(Waiting{});
    if (type == "admitted") return done(Admitted{});
    if (type == "denied") return done(Denied{});
    if (type == "reaction")
        return done(ReactionEvent{r.string("participant", 256), r.string("emoji", 64)});
    if (type == "locked") return done(Locked{requiredBoolean(r, "locked")});
    if (type == "waiting-room") {
        WaitingRoomState s;
        s.enabled = requiredBoolean(r, "enabled");
        s.participants = readWaitingList(r);
        return done(s);
    }
    return std::nullopt;
}

std::string meetingJson(const MeetingClientMessage& message) {
    return std::visit(
        Overloaded{
            [](const MediaState& m) {
                return JsonWriter()
                    .str("type", "media-state")
                    .boolean("mic", m.mic)
                    .boolean("camera", m.camera)
                    .finish();
            },
            [](const Hand& m) {
                return JsonWriter().str("type", "hand").boolean("raised", m.raised).finish();
            },
            [](const Reaction& m) {
                return JsonWriter().str("type", "reaction").str("emoji", m.emoji).finish();
            },
            [](const HostCommand& m) {
                JsonWriter w;
                w.str("type", hostVerbType(m.verb));
                switch (m.verb) {
                    case HostVerb::MuteAll:
                        w.boolean("all", true);
                        break;
                    case HostVerb::Lock:
                        w.boolean("locked", m.flag);
                        break;
                    case HostVerb::WaitingRoom:
                        w.boolean("enabled", m.flag);
                        break;
                    case HostVerb::EndMeeting:
                        break;
                    default:
                        w.str("participant", m.participant);
                        break;
                }
                return w.finish();
            },
            [](const LeaveCall&) { return JsonWriter().str("type", "leave-call").finish(); },
            [](const RejoinCall&) { return JsonWriter().str("type", "rejoin-call").finish(); },
        },
        message);
}

std::string meetingJson(const MeetingServerMessage& message) {
    return std::visit(
        Overloaded{
            [](const MutedByHost& m) {
                return JsonWriter()
                    .str("type", "muted-by-host")
                    .str("media", m.media)
                    .str("by", m.by)
                    .finish();
            },
            [](const UnmuteRequest& m) {
                return JsonWriter().str("type", "unmute-request").str("by", m.by).finish();
            },
            [](const Removed& m) {
                return JsonWriter().str("type", "removed").str("by", m.by).finish();
            },
            [](const MeetingEnded& m) {
                return JsonWriter().str("type", "meeting-ended").str("by", m.by).finish();
            },
            [](const Waiting&) { return JsonWriter().str("type", "waiting").finish(); },
            [](const Admitted&) { return JsonWriter().str("type", "admitted").finish(); },
            [](const Denied&) { return JsonWriter().str("type", "denied").finish(); },
            [](const ReactionEvent& m) {
                return JsonWriter()
                    .str("type", "reaction")
                    .str("participant", m.participant)
                    .str("emoji", m.emoji)
                    .finish();
            },
            [](const Locked& m) {
                return JsonWriter().str("type", "locked").boolean("locked", m.locked).finish();
            },
            [](const WaitingRoomState& m) {
                JsonWriter w;
                w.str("type", "waiting-room").boolean("enabled", m.enabled);
                w.beginArray("participants");
                for (const auto& e : m.participants)
                    w.beginObject(nullptr).str("id", e.id).str("name", e.name).endObject();
                return w.endArray().finish();
            },
        },
        message);
}

}  // namespace mixmeet::protocol
