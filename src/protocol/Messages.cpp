#include "protocol/Messages.h"

#include <glib.h>

#include "core/Json.h"
#include "core/Text.h"

namespace mixmeet::protocol {

using core::Error;
using core::JsonReader;
using core::JsonWriter;
using core::makeError;
using core::Result;
using core::trim;

namespace {

/// Parses the envelope: size limit, JSON object, string "type".
Result<std::string> parseEnvelope(std::string_view text, core::JsonDocument& doc) {
    if (text.size() > kMaxMessageBytes)
        return makeError(errc::kTooLarge, "message is larger than 65536 bytes");
    auto parsed = core::JsonDocument::parseObject(text);
    if (!parsed) return makeError(errc::kBadJson, parsed.error().message);
    doc = std::move(parsed).value();
    JsonReader r(doc.root());
    std::string type = r.string("type", 64);
    if (!r.ok()) return makeError(errc::kBadMessage, r.error());
    return type;
}

Error badMessage(const JsonReader& r) {
    return makeError(errc::kBadMessage, r.error());
}

IceCandidate readCandidate(JsonReader& r) {
    IceCandidate c;
    c.candidate = r.string("candidate", 4096);
    c.sdpMLineIndex = static_cast<int>(r.integer("sdpMLineIndex", 0, 63));
    return c;
}

UserRef readUser(JsonReader& r, const char* name) {
    JsonReader u(r.object(name));
    UserRef ref{u.string("username", 256), u.string("displayName", 1024)};
    if (!u.ok()) r.fail(u.error());
    return ref;
}

ChatLine readChatLine(JsonObject* obj, JsonReader& parent) {
    JsonReader r(obj);
    ChatLine line;
    line.id = r.integer("id", 0, INT64_MAX);
    line.userId = r.optInteger("userId", 0, INT64_MAX);
    line.name = r.string("name", 1024);
    line.text = r.string("text", 16384);
    line.sentAt = r.integer("sentAt", 0, INT64_MAX);
    if (!r.ok()) parent.fail(r.error());
    return line;
}

/// The `ice` message: the same shape in both directions.
std::string candidateJson(const IceCandidate& m) {
    return JsonWriter()
        .str("type", "ice")
        .str("candidate", m.candidate)
        .num("sdpMLineIndex", m.sdpMLineIndex)
        .finish();
}

void writeChatLine(JsonWriter& w, const char* key, const ChatLine& m) {
    w.beginObject(key).num("id", m.id);
    if (m.userId) w.num("userId", *m.userId);
    w.str("name", m.name).str("text", m.text).num("sentAt", m.sentAt).endObject();
}

void writeUser(JsonWriter& w, const char* key, const UserRef& u) {
    w.beginObject(key).str("username", u.username).str("displayName", u.displayName).endObject();
}

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

bool isValidRoomName(std::string_view name) {
    if (name.empty() || name.size() > kMaxRoomChars) return false;
    for (char c : name)
        if (!g_ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return false;
    return true;
}

Result<ClientMessage> parseClientMessage(std::string_view text) {
    core::JsonDocument doc;
    auto type = parseEnvelope(text, doc);
    if (!type) return type.error();
    JsonReader r(doc.root());
    const std::string& t = type.value();
    if (t == "join") {
        Join j;
        j.version = static_cast<int>(r.integer("version", 0, 1000000));
        std::string room = r.string("room", 1024);
        std::string name = r.string("name", 1024);
        if (!r.ok()) return badMessage(r);
        if (!isValidRoomName(room))
            return makeError(errc::kBadMessage,
                             "field 'room' must be 1-64 characters of A-Z a-z 0-9 - _ .");
        j.room = room;
        j.name = trim(name);
        if (!core::isValidText(j.name, kMaxNameChars, false))
            return makeError(errc::kBadMessage,
                             "field 'name' must be 1-64 characters without control characters");
        std::optional<std::string> resume = r.optString("resume", 256);
        if (!r.ok()) return badMessage(r);
        if (resume) {
            bool valid = resume->size() == kResumeTokenChars;
            for (char c : *resume)
                if (!g_ascii_isalnum(c) && c != '-' && c != '_') valid = false;
            if (!valid)
                return makeError(errc::kBadMessage,
                                 "field 'resume' must be the 43-character token of a welcome");
            j.resume = *resume;
        }
        return ClientMessage{j};
    }
    if (t == "answer") {
        Answer a{r.string("sdp", kMaxMessageBytes)};
        if (!r.ok()) return badMessage(r);
        return ClientMessage{a};
    }
    if (t == "ice") {
        IceCandidate c = readCandidate(r);
        if (!r.ok()) return badMessage(r);
        return ClientMessage{c};
    }
    if (t == "leave") return ClientMessage{Leave{}};
    if (t == "chat") {
        std::string text = trim(r.string("text", kMaxMessageBytes));
        if (!r.ok()) return badMessage(r);
        if (!core::isValidText(text, kMaxChatChars, true))
            return makeError(errc::kBadMessage,
                             "field 'text' must be 1-2000 characters of plain text");
        return ClientMessage{ChatSend{text}};
    }
    if (t == "chat-history") {
        ChatHistoryRequest h{r.optInteger("before", 0, INT64_MAX)};
        if (!r.ok()) return badMessage(r);
        return ClientMessage{h};
    }
    if (t == "presence") return ClientMessage{Presence{}};
    if (t == "call") {
        Call c{r.string("username", 256)};
        if (!r.ok()) return badMessage(r);
        return ClientMessage{c};
    }
    if (t == "call-answer") {
        CallAnswer a;
        a.callId = r.string("callId", 256);
        auto accept = r.optBoolean("accept");
        if (!accept) r.fail("missing field 'accept'");
        if (!r.ok()) return badMessage(r);
        a.accept = *accept;
        return ClientMessage{a};
    }
    if (t == "set-quality") {
        SetQuality q{r.string("tier", 16)};
        if (!r.ok()) return badMessage(r);
        if (q.tier != "auto" && q.tier != "high" && q.tier != "medium" && q.tier != "low" &&
            q.tier != "audio")
            return makeError(errc::kBadMessage,
                             "field 'tier' must be auto, high, medium, low or audio");
        return ClientMessage{q};
    }
    if (t == "record") {
        auto on = r.optBoolean("on");
        if (!on) r.fail("missing boolean field 'on'");
        auto audioOnly = r.optBoolean("audioOnly");
        if (!r.ok()) return badMessage(r);
        return ClientMessage{Record{*on, audioOnly.value_or(false)}};
    }
    if (t == "stream") {
        Stream m;
        m.action = r.string("action", 16);
        if (!r.ok()) return badMessage(r);
        if (m.action == "add") {
            m.url = r.string("url", kMaxStreamUrlBytes);
            m.key = r.string("key", kMaxStreamKeyBytes);
            if (!r.ok()) return badMessage(r);
            if (m.url.rfind("rtmp://", 0) != 0 && m.url.rfind("rtmps://", 0) != 0)
                return makeError(errc::kBadMessage,
                                 "field 'url' must start with rtmp:// or rtmps://");
            for (char c : m.url + m.key)
                if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
                    return makeError(
                        errc::kBadMessage,
                        "fields 'url' and 'key' must have no spaces or control characters");
        } else if (m.action == "remove") {
            m.id = r.string("id", 32);
            if (!r.ok()) return badMessage(r);
        } else {
            return makeError(errc::kBadMessage, "field 'action' must be add or remove");
        }
        return ClientMessage{m};
    }
    if (t == "hls") {
        Hls m;
        auto on = r.optBoolean("on");
        if (!on) r.fail("missing boolean field 'on'");
        m.access = r.optString("access", 16).value_or("participants");
        if (!r.ok()) return badMessage(r);
        m.on = *on;
        if (m.access != "participants" && m.access != "anyone")
            return makeError(errc::kBadMessage, "field 'access' must be participants or anyone");
        return ClientMessage{m};
    }
    if (auto meeting = parseMeetingClientMessage(t, r)) {
        if (!*meeting) return meeting->error();
        return std::visit([](auto& m) { return ClientMessage{std::move(m)}; }, meeting->value());
    }
    if (t == "share-start") return ClientMessage{ShareStart{}};
    if (t == "ice-restart") return ClientMessage{IceRestart{}};
    if (t == "share-stop") return ClientMessage{ShareStop{}};
    if (t == "set-layout") {
        SetLayout l{r.string("layout", 16), "self"};
        if (auto scope = r.optString("scope", 16)) l.scope = *scope;
        l.pin = r.optString("pin", 64);
        if (!r.ok()) return badMessage(r);
        if (l.pin && !l.pin->empty() && (l.layout != "speaker" || l.scope != "self"))
            return makeError(errc::kBadMessage,
                             "field 'pin' goes with layout speaker and scope self");
        if (l.layout != "auto" && l.layout != "grid" && l.layout != "speaker" &&
            l.layout != "presentation")
            return makeError(errc::kBadMessage,
                             "field 'layout' must be auto, grid, speaker or presentation");
        if (l.scope != "self" && l.scope != "meeting")
            return makeError(errc::kBadMessage, "field 'scope' must be self or meeting");
        if (l.scope == "meeting" && l.layout == "auto")
            return makeError(errc::kBadMessage, "the meeting's layout cannot be auto");
        return ClientMessage{l};
    }
    return makeError(errc::kUnknownType, "unknown message type '" + t + "'");
}

Result<ServerMessage> parseServerMessage(std::string_view text) {
    core::JsonDocument doc;
    auto type = parseEnvelope(text, doc);
    if (!type) return type.error();
    JsonReader r(doc.root());
    const std::string& t = type.value();
    auto done = [&](ServerMessage m) -> Result<ServerMessage> {
        if (!r.ok()) return badMessage(r);
        return m;
    };
    if (t == "welcome") {
        Welcome w;
        r.integer("version", kVersion, kVersion);
        w.participantId = r.string("participantId", 256);
        w.room = r.string("room", 256);
        if (JsonArray* servers = r.array("iceServers")) {
            for (guint i = 0; i < json_array_get_length(servers); ++i) {
                JsonNode* n = json_array_get_element(servers, i);
                if (!JSON_NODE_HOLDS_OBJECT(n)) {
                    r.fail("iceServers entries must be objects");
                    break;
                }
                JsonReader sr(json_node_get_object(n));
                IceServer s;
                if (JsonArray* urls = sr.array("urls"))
                    for (guint k = 0; k < json_array_get_length(urls); ++k)
                        if (const char* u = json_array_get_string_element(urls, k))
                            s.urls.emplace_back(u);
                s.username = sr.optString("username", 1024).value_or("");
                s.credential = sr.optString("credential", 1024).value_or("");
                if (!sr.ok()) r.fail("bad iceServers entry: " + sr.error());
                w.iceServers.push_back(std::move(s));
            }
        }
        JsonReader vr(r.object("video"));
        w.width = static_cast<int>(vr.integer("width", 1, 16384));
        w.height = static_cast<int>(vr.integer("height", 1, 16384));
        w.framerate = static_cast<int>(vr.integer("framerate", 1, 1000));
        if (!vr.ok()) r.fail("bad 'video' object: " + vr.error());
        w.resumeToken = r.optString("resumeToken", 256).value_or("");
        w.resumed = r.optBoolean("resumed").value_or(false);
        return done(w);
    }
    if (t == "roster") {
        Roster ro;
        if (JsonArray* list = r.array("participants")) {
            for (guint i = 0; i < json_array_get_length(list); ++i) {
                JsonNode* n = json_array_get_element(list, i);
                JsonReader pr(JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr);
                RosterEntry e{pr.string("id", 256), pr.string("name", 1024)};
                // Absent in servers older than the meeting controls: the defaults.
                e.mic = pr.optBoolean("mic").value_or(true);
                e.camera = pr.optBoolean("camera").value_or(true);
                e.hand = pr.optBoolean("hand").value_or(false);
                e.host = pr.optBoolean("host").value_or(false);
                e.inCall = pr.optBoolean("inCall").value_or(true);
                e.speaking = pr.optBoolean("speaking");
                e.device = static_cast<int>(pr.optInteger("device", 0, 1000).value_or(0));
                e.presenting = pr.optBoolean("presenting").value_or(false);
                if (!pr.ok()) r.fail("bad participants entry: " + pr.error());
                ro.participants.push_back(std::move(e));
            }
        }
        return done(ro);
    }
    if (t == "offer") return done(Offer{r.string("sdp", kMaxMessageBytes)});
    if (t == "ice") return done(readCandidate(r));
    if (t == "error") return done(ErrorReply{r.string("code", 256), r.string("message", 4096)});
    if (t == "bye") return done(Bye{r.string("reason", 256)});
    if (t == "chat") return done(ChatEvent{readChatLine(r.object("message"), r)});
    if (t == "chat-history") {
        ChatHistory h;
        if (JsonArray* list = r.array("messages"))
            for (guint i = 0; i < json_array_get_length(list); ++i) {
                JsonNode* n = json_array_get_element(list, i);
                h.messages.push_back(
                    readChatLine(JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr, r));
            }
        h.hasMore = r.optBoolean("hasMore").value_or(false);
        return done(h);
    }
    if (t == "presence") return done(PresenceAck{});
    if (t == "call-ringing") return done(CallRinging{r.string("callId", 256), readUser(r, "to")});
    if (t == "incoming-call")
        return done(IncomingCall{r.string("callId", 256), readUser(r, "from")});
    if (t == "call-accepted")
        return done(CallAccepted{r.string("callId", 256), r.string("meetingId", 256)});
    if (t == "call-declined") return done(CallDeclined{r.string("callId", 256)});
    if (t == "send-hint") {
        SendHint h;
        h.width = static_cast<int>(r.integer("width", 0, 16384));
        h.height = static_cast<int>(r.integer("height", 0, 16384));
        h.maxBitrate = static_cast<int>(r.integer("maxBitrate", 0, 100000000));
        return done(h);
    }
    if (t == "quality") {
        Quality q;
        q.tier = r.string("tier", 16);
        q.choice = r.string("choice", 16);
        q.width = static_cast<int>(r.integer("width", 0, 16384));
        q.height = static_cast<int>(r.integer("height", 0, 16384));
        q.framerate = static_cast<int>(r.integer("framerate", 0, 1000));
        return done(q);
    }
    if (t == "recording") {
        RecordingState rs;
        auto on = r.optBoolean("on");
        if (!on) r.fail("missing boolean field 'on'");
        rs.on = on.value_or(false);
        rs.startedAt = r.optInteger("startedAt", 0, INT64_MAX).value_or(0);
        rs.audioOnly = r.optBoolean("audioOnly").value_or(false);
        return done(rs);
    }
    if (auto meeting = parseMeetingServerMessage(t, r)) {
        if (!*meeting) return meeting->error();
        return std::visit([](auto& m) { return ServerMessage{std::move(m)}; }, meeting->value());
    }
    if (t == "layout") {
        LayoutInfo l;
        l.layout = r.string("layout", 16);
        l.choice = r.string("choice", 16);
        l.meetingLayout = r.string("meetingLayout", 16);
        l.speaker = r.string("speaker", 256);
        l.pin = r.optString("pin", 256).value_or("");
        l.width = static_cast<int>(r.integer("width", 0, 16384));
        l.height = static_cast<int>(r.integer("height", 0, 16384));
        if (JsonArray* list = r.array("tiles")) {
            for (guint i = 0; i < json_array_get_length(list); ++i) {
                JsonNode* n = json_array_get_element(list, i);
                JsonReader tr(JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr);
                LayoutTile tile;
                tile.id = tr.string("id", 256);
                tile.x = static_cast<int>(tr.integer("x", 0, 16384));
                tile.y = static_cast<int>(tr.integer("y", 0, 16384));
                tile.width = static_cast<int>(tr.integer("width", 0, 16384));
                tile.height = static_cast<int>(tr.integer("height", 0, 16384));
                if (!tr.ok()) r.fail("bad tiles entry: " + tr.error());
                l.tiles.push_back(std::move(tile));
            }
        }
        l.presenter = r.optString("presenter", 256).value_or("");
        if (JsonObject* sc = r.has("screen") ? r.object("screen") : nullptr) {
            JsonReader tr(sc);
            LayoutTile tile;
            tile.id = l.presenter;
            tile.x = static_cast<int>(tr.integer("x", 0, 16384));
            tile.y = static_cast<int>(tr.integer("y", 0, 16384));
            tile.width = static_cast<int>(tr.integer("width", 0, 16384));
            tile.height = static_cast<int>(tr.integer("height", 0, 16384));
            if (!tr.ok()) r.fail("bad screen: " + tr.error());
            l.screen = tile;
        }
        return done(l);
    }
    if (t == "streaming") {
        StreamingState st;
        if (JsonArray* list = r.array("targets")) {
            for (guint i = 0; i < json_array_get_length(list); ++i) {
                JsonNode* n = json_array_get_element(list, i);
                JsonReader tr(JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr);
                StreamTarget target;
                target.id = tr.string("id", 32);
                target.url = tr.string("url", kMaxStreamUrlBytes);
                target.key = tr.string("key", kMaxStreamKeyBytes);
                target.state = tr.string("state", 16);
                target.message = tr.string("message", 1024);
                target.retryInMs = static_cast<int>(tr.integer("retryInMs", 0, INT32_MAX));
                if (!tr.ok()) r.fail("bad targets entry: " + tr.error());
                st.targets.push_back(std::move(target));
            }
        }
        st.hls = r.optBoolean("hls").value_or(false);
        st.hlsAccess = r.optString("hlsAccess", 16).value_or("");
        st.hlsUrl = r.optString("hlsUrl", 256).value_or("");
        st.watchUrl = r.optString("watchUrl", 256).value_or("");
        return done(st);
    }
    return makeError(errc::kUnknownType, "unknown message type '" + t + "'");
}

std::string toJson(const ServerMessage& message) {
    return std::visit(
        Overloaded{
            [](const Welcome& m) {
                JsonWriter w;
                w.str("type", "welcome")
                    .num("version", kVersion)
                    .str("participantId", m.participantId)
                    .str("room", m.room)
                    .beginArray("iceServers");
                for (const auto& s : m.iceServers) {
                    w.beginObject(nullptr).beginArray("urls");
                    for (const auto& u : s.urls) w.value(u);
                    w.endArray();
                    if (!s.username.empty()) w.str("username", s.username);
                    if (!s.credential.empty()) w.str("credential", s.credential);
                    w.endObject();
                }
                w.endArray()
                    .beginObject("video")
                    .num("width", m.width)
                    .num("height", m.height)
                    .num("framerate", m.framerate)
                    .endObject();
                if (!m.resumeToken.empty()) w.str("resumeToken", m.resumeToken);
                if (m.resumed) w.boolean("resumed", true);
                return w.finish();
            },
            [](const Roster& m) {
                JsonWriter w;
                w.str("type", "roster").beginArray("participants");
                for (const auto& p : m.participants) {
                    w.beginObject(nullptr)
                        .str("id", p.id)
                        .str("name", p.name)
                        .boolean("mic", p.mic)
                        .boolean("camera", p.camera)
                        .boolean("hand", p.hand)
                        .boolean("host", p.host)
                        .boolean("inCall", p.inCall)
                        .boolean("presenting", p.presenting);
                    if (p.speaking) w.boolean("speaking", *p.speaking);
                    if (p.device > 0) w.num("device", p.device);
                    w.endObject();
                }
                return w.endArray().finish();
            },
            [](const Offer& m) {
                return JsonWriter().str("type", "offer").str("sdp", m.sdp).finish();
            },
            [](const IceCandidate& m) { return candidateJson(m); },
            [](const ErrorReply& m) {
                return JsonWriter()
                    .str("type", "error")
                    .str("code", m.code)
                    .str("message", m.message)
                    .finish();
            },
            [](const Bye& m) {
                return JsonWriter().str("type", "bye").str("reason", m.reason).finish();
            },
            [](const ChatEvent& m) {
                JsonWriter w;
                w.str("type", "chat");
                writeChatLine(w, "message", m.message);
                return w.finish();
            },
            [](const ChatHistory& m) {
                JsonWriter w;
                w.str("type", "chat-history").beginArray("messages");
                for (const auto& line : m.messages) writeChatLine(w, nullptr, line);
                return w.endArray().boolean("hasMore", m.hasMore).finish();
            },
            [](const PresenceAck&) {
                return JsonWriter().str("type", "presence").boolean("online", true).finish();
            },
            [](const CallRinging& m) {
                JsonWriter w;
                w.str("type", "call-ringing").str("callId", m.callId);
                writeUser(w, "to", m.to);
                return w.finish();
            },
            [](const IncomingCall& m) {
                JsonWriter w;
                w.str("type", "incoming-call").str("callId", m.callId);
                writeUser(w, "from", m.from);
                return w.finish();
            },
            [](const CallAccepted& m) {
                return JsonWriter()
                    .str("type", "call-accepted")
                    .str("callId", m.callId)
                    .str("meetingId", m.meetingId)
                    .finish();
            },
            [](const CallDeclined& m) {
                return JsonWriter().str("type", "call-declined").str("callId", m.callId).finish();
            },
            [](const SendHint& m) {
                return JsonWriter()
                    .str("type", "send-hint")
                    .num("width", m.width)
                    .num("height", m.height)
                    .num("maxBitrate", m.maxBitrate)
                    .finish();
            },
            [](const StreamingState& m) {
                JsonWriter w;
                w.str("type", "streaming").beginArray("targets");
                for (const auto& t : m.targets)
                    w.beginObject(nullptr)
                        .str("id", t.id)
                        .str("url", t.url)
                        .str("key", t.key)
                        .str("state", t.state)
                        .str("message", t.message)
                        .num("retryInMs", t.retryInMs)
                        .endObject();
                w.endArray().boolean("hls", m.hls);
                if (m.hls)
                    w.str("hlsAccess", m.hlsAccess)
                        .str("hlsUrl", m.hlsUrl)
                        .str("watchUrl", m.watchUrl);
                return w.finish();
            },
            [](const RecordingState& m) {
                JsonWriter w;
                w.str("type", "recording").boolean("on", m.on);
                if (m.on) w.num("startedAt", m.startedAt);
                if (m.on && m.audioOnly) w.boolean("audioOnly", true);
                return w.finish();
            },
            [](const LayoutInfo& m) {
                JsonWriter w;
                w.str("type", "layout")
                    .str("layout", m.layout)
                    .str("choice", m.choice)
                    .str("meetingLayout", m.meetingLayout)
                    .str("speaker", m.speaker)
                    .str("pin", m.pin)
                    .num("width", m.width)
                    .num("height", m.height)
                    .beginArray("tiles");
                for (const auto& t : m.tiles)
                    w.beginObject(nullptr)
                        .str("id", t.id)
                        .num("x", t.x)
                        .num("y", t.y)
                        .num("width", t.width)
                        .num("height", t.height)
                        .endObject();
                w.endArray().str("presenter", m.presenter);
                if (m.screen)
                    w.beginObject("screen")
                        .num("x", m.screen->x)
                        .num("y", m.screen->y)
                        .num("width", m.screen->width)
                        .num("height", m.screen->height)
                        .endObject();
                return w.finish();
            },
            [](const Quality& m) {
                return JsonWriter()
                    .str("type", "quality")
                    .str("tier", m.tier)
                    .str("choice", m.choice)
                    .num("width", m.width)
                    .num("height", m.height)
                    .num("framerate", m.framerate)
                    .finish();
            },
            // Meeting controls: every other alternative.
            [](const auto& m) { return meetingJson(MeetingServerMessage{m}); },
        },
        message);
}

std::string toJson(const ClientMessage& message) {
    return std::visit(
        Overloaded{
            [](const Join& m) {
                JsonWriter w;
                w.str("type", "join")
                    .num("version", m.version)
                    .str("room", m.room)
                    .str("name", m.name);
                if (!m.resume.empty()) w.str("resume", m.resume);
                return w.finish();
            },
            [](const Answer& m) {
                return JsonWriter().str("type", "answer").str("sdp", m.sdp).finish();
            },
            [](const IceCandidate& m) { return candidateJson(m); },
            [](const Leave&) { return JsonWriter().str("type", "leave").finish(); },
            [](const ChatSend& m) {
                return JsonWriter().str("type", "chat").str("text", m.text).finish();
            },
            [](const ChatHistoryRequest& m) {
                JsonWriter w;
                w.str("type", "chat-history");
                if (m.before) w.num("before", *m.before);
                return w.finish();
            },
            [](const Presence&) { return JsonWriter().str("type", "presence").finish(); },
            [](const Call& m) {
                return JsonWriter().str("type", "call").str("username", m.username).finish();
            },
            [](const CallAnswer& m) {
                return JsonWriter()
                    .str("type", "call-answer")
                    .str("callId", m.callId)
                    .boolean("accept", m.accept)
                    .finish();
            },
            [](const SetQuality& m) {
                return JsonWriter().str("type", "set-quality").str("tier", m.tier).finish();
            },
            [](const Record& m) {
                JsonWriter w;
                w.str("type", "record").boolean("on", m.on);
                if (m.audioOnly) w.boolean("audioOnly", true);
                return w.finish();
            },
            [](const Stream& m) {
                JsonWriter w;
                w.str("type", "stream").str("action", m.action);
                if (m.action == "add") w.str("url", m.url).str("key", m.key);
                if (m.action == "remove") w.str("id", m.id);
                return w.finish();
            },
            [](const Hls& m) {
                return JsonWriter()
                    .str("type", "hls")
                    .boolean("on", m.on)
                    .str("access", m.access)
                    .finish();
            },
            // Meeting controls: every other alternative.
            [](const auto& m) { return meetingJson(MeetingClientMessage{m}); },
            [](const ShareStart&) { return JsonWriter().str("type", "share-start").finish(); },
            [](const IceRestart&) { return JsonWriter().str("type", "ice-restart").finish(); },
            [](const ShareStop&) { return JsonWriter().str("type", "share-stop").finish(); },
            [](const SetLayout& m) {
                JsonWriter w;
                w.str("type", "set-layout").str("layout", m.layout).str("scope", m.scope);
                if (m.pin) w.str("pin", *m.pin);
                return w.finish();
            },
        },
        message);
}

}  // namespace mixmeet::protocol
