#include "protocol/Messages.h"

#include <json-glib/json-glib.h>

#include <memory>

#include "core/GstPtr.h"

namespace mixmeet::protocol {

using core::Error;
using core::GPtr;
using core::makeError;
using core::Result;

namespace {

/// Reads typed members of a JSON object, recording the first problem as an Error.
class Reader {
public:
    explicit Reader(JsonObject* obj) : obj_(obj) {}

    std::string string(const char* name, std::size_t maxBytes = kMaxMessageBytes) {
        JsonNode* node = member(name);
        if (!node) return {};
        if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
            fail(std::string("field '") + name + "' must be a string");
            return {};
        }
        std::string value = json_node_get_string(node);
        if (value.size() > maxBytes) fail(std::string("field '") + name + "' is too long");
        return value;
    }

    int integer(const char* name, int min, int max) {
        JsonNode* node = member(name);
        if (!node) return 0;
        if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64) {
            fail(std::string("field '") + name + "' must be an integer");
            return 0;
        }
        gint64 v = json_node_get_int(node);
        if (v < min || v > max) {
            fail(std::string("field '") + name + "' is out of range");
            return 0;
        }
        return static_cast<int>(v);
    }

    JsonArray* array(const char* name) {
        JsonNode* node = member(name);
        if (!node) return nullptr;
        if (!JSON_NODE_HOLDS_ARRAY(node)) {
            fail(std::string("field '") + name + "' must be an array");
            return nullptr;
        }
        return json_node_get_array(node);
    }

    JsonObject* object(const char* name) {
        JsonNode* node = member(name);
        if (!node) return nullptr;
        if (!JSON_NODE_HOLDS_OBJECT(node)) {
            fail(std::string("field '") + name + "' must be an object");
            return nullptr;
        }
        return json_node_get_object(node);
    }

    bool has(const char* name) const { return obj_ && json_object_has_member(obj_, name); }
    bool ok() const { return error_.empty(); }
    Error error() const { return makeError(errc::kBadMessage, error_); }
    void fail(std::string why) {
        if (error_.empty()) error_ = std::move(why);
    }

private:
    JsonNode* member(const char* name) {
        if (!obj_ || !json_object_has_member(obj_, name)) {
            fail(std::string("missing field '") + name + "'");
            return nullptr;
        }
        return json_object_get_member(obj_, name);
    }

    JsonObject* obj_;
    std::string error_;
};

/// Parses text into a JSON object and returns its "type". Keeps the parser alive in out.
Result<std::string> parseEnvelope(std::string_view text, GPtr<JsonParser>& parser,
                                  JsonObject*& obj) {
    if (text.size() > kMaxMessageBytes)
        return makeError(errc::kTooLarge, "message is larger than 65536 bytes");
    parser = GPtr<JsonParser>::adopt(json_parser_new());
    core::ErrorOut err;
    if (!json_parser_load_from_data(parser.get(), text.data(), static_cast<gssize>(text.size()),
                                    err.out()))
        return makeError(errc::kBadJson, std::string("not valid JSON: ") + err.message());
    JsonNode* root = json_parser_get_root(parser.get());
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return makeError(errc::kBadJson, "message must be a JSON object");
    obj = json_node_get_object(root);
    Reader r(obj);
    std::string type = r.string("type", 64);
    if (!r.ok()) return r.error();
    return type;
}

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t");
    return std::string(s.substr(b, e - b + 1));
}

bool validDisplayName(const std::string& name) {
    if (name.empty() || !g_utf8_validate(name.data(), static_cast<gssize>(name.size()), nullptr))
        return false;
    if (g_utf8_strlen(name.c_str(), -1) > static_cast<glong>(kMaxNameChars)) return false;
    for (const char* p = name.c_str(); *p; p = g_utf8_next_char(p))
        if (g_unichar_iscntrl(g_utf8_get_char(p))) return false;
    return true;
}

IceCandidate readCandidate(Reader& r) {
    IceCandidate c;
    c.candidate = r.string("candidate", 4096);
    c.sdpMLineIndex = r.integer("sdpMLineIndex", 0, 63);
    return c;
}

// JSON writing helpers around JsonBuilder.
class Writer {
public:
    Writer() : b_(GPtr<JsonBuilder>::adopt(json_builder_new())) {
        json_builder_begin_object(b_.get());
    }
    Writer& str(const char* k, const std::string& v) {
        json_builder_set_member_name(b_.get(), k);
        json_builder_add_string_value(b_.get(), v.c_str());
        return *this;
    }
    Writer& num(const char* k, gint64 v) {
        json_builder_set_member_name(b_.get(), k);
        json_builder_add_int_value(b_.get(), v);
        return *this;
    }
    JsonBuilder* raw() { return b_.get(); }
    std::string finish() {
        json_builder_end_object(b_.get());
        JsonNode* root = json_builder_get_root(b_.get());
        char* text = json_to_string(root, FALSE);
        std::string out(text);
        g_free(text);
        json_node_unref(root);
        return out;
    }

private:
    GPtr<JsonBuilder> b_;
};

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
    GPtr<JsonParser> parser;
    JsonObject* obj = nullptr;
    auto type = parseEnvelope(text, parser, obj);
    if (!type) return type.error();
    Reader r(obj);
    const std::string& t = type.value();
    if (t == "join") {
        Join j;
        j.version = r.integer("version", 0, 1000000);
        std::string room = r.string("room", 1024);
        std::string name = r.string("name", 1024);
        if (!r.ok()) return r.error();
        if (!isValidRoomName(room))
            return makeError(errc::kBadMessage,
                             "field 'room' must be 1-64 characters of A-Z a-z 0-9 - _ .");
        j.room = room;
        j.name = trim(name);
        if (!validDisplayName(j.name))
            return makeError(errc::kBadMessage,
                             "field 'name' must be 1-64 characters without control characters");
        return ClientMessage{j};
    }
    if (t == "answer") {
        Answer a{r.string("sdp")};
        if (!r.ok()) return r.error();
        return ClientMessage{a};
    }
    if (t == "ice") {
        IceCandidate c = readCandidate(r);
        if (!r.ok()) return r.error();
        return ClientMessage{c};
    }
    if (t == "leave") return ClientMessage{Leave{}};
    return makeError(errc::kUnknownType, "unknown message type '" + t + "'");
}

Result<ServerMessage> parseServerMessage(std::string_view text) {
    GPtr<JsonParser> parser;
    JsonObject* obj = nullptr;
    auto type = parseEnvelope(text, parser, obj);
    if (!type) return type.error();
    Reader r(obj);
    const std::string& t = type.value();
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
                Reader sr(json_node_get_object(n));
                IceServer s;
                if (JsonArray* urls = sr.array("urls"))
                    for (guint k = 0; k < json_array_get_length(urls); ++k)
                        if (const char* u = json_array_get_string_element(urls, k))
                            s.urls.emplace_back(u);
                if (sr.has("username")) s.username = sr.string("username", 1024);
                if (sr.has("credential")) s.credential = sr.string("credential", 1024);
                if (!sr.ok()) r.fail("bad iceServers entry");
                w.iceServers.push_back(std::move(s));
            }
        }
        if (JsonObject* video = r.object("video")) {
            Reader vr(video);
            w.width = vr.integer("width", 1, 16384);
            w.height = vr.integer("height", 1, 16384);
            w.framerate = vr.integer("framerate", 1, 1000);
            if (!vr.ok()) r.fail("bad 'video' object");
        }
        if (!r.ok()) return r.error();
        return ServerMessage{w};
    }
    if (t == "roster") {
        Roster ro;
        if (JsonArray* list = r.array("participants")) {
            for (guint i = 0; i < json_array_get_length(list); ++i) {
                JsonNode* n = json_array_get_element(list, i);
                if (!JSON_NODE_HOLDS_OBJECT(n)) {
                    r.fail("participants entries must be objects");
                    break;
                }
                Reader pr(json_node_get_object(n));
                RosterEntry e{pr.string("id", 256), pr.string("name", 1024)};
                if (!pr.ok()) r.fail("bad participants entry");
                ro.participants.push_back(std::move(e));
            }
        }
        if (!r.ok()) return r.error();
        return ServerMessage{ro};
    }
    if (t == "offer") {
        Offer o{r.string("sdp")};
        if (!r.ok()) return r.error();
        return ServerMessage{o};
    }
    if (t == "ice") {
        IceCandidate c = readCandidate(r);
        if (!r.ok()) return r.error();
        return ServerMessage{c};
    }
    if (t == "error") {
        ErrorReply e{r.string("code", 256), r.string("message", 4096)};
        if (!r.ok()) return r.error();
        return ServerMessage{e};
    }
    if (t == "bye") {
        Bye b{r.string("reason", 256)};
        if (!r.ok()) return r.error();
        return ServerMessage{b};
    }
    return makeError(errc::kUnknownType, "unknown message type '" + t + "'");
}

std::string toJson(const ServerMessage& message) {
    return std::visit(
        Overloaded{
            [](const Welcome& m) {
                Writer w;
                w.str("type", "welcome")
                    .num("version", kVersion)
                    .str("participantId", m.participantId)
                    .str("room", m.room);
                JsonBuilder* b = w.raw();
                json_builder_set_member_name(b, "iceServers");
                json_builder_begin_array(b);
                for (const auto& s : m.iceServers) {
                    json_builder_begin_object(b);
                    json_builder_set_member_name(b, "urls");
                    json_builder_begin_array(b);
                    for (const auto& u : s.urls) json_builder_add_string_value(b, u.c_str());
                    json_builder_end_array(b);
                    if (!s.username.empty()) {
                        json_builder_set_member_name(b, "username");
                        json_builder_add_string_value(b, s.username.c_str());
                    }
                    if (!s.credential.empty()) {
                        json_builder_set_member_name(b, "credential");
                        json_builder_add_string_value(b, s.credential.c_str());
                    }
                    json_builder_end_object(b);
                }
                json_builder_end_array(b);
                json_builder_set_member_name(b, "video");
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "width");
                json_builder_add_int_value(b, m.width);
                json_builder_set_member_name(b, "height");
                json_builder_add_int_value(b, m.height);
                json_builder_set_member_name(b, "framerate");
                json_builder_add_int_value(b, m.framerate);
                json_builder_end_object(b);
                return w.finish();
            },
            [](const Roster& m) {
                Writer w;
                w.str("type", "roster");
                JsonBuilder* b = w.raw();
                json_builder_set_member_name(b, "participants");
                json_builder_begin_array(b);
                for (const auto& p : m.participants) {
                    json_builder_begin_object(b);
                    json_builder_set_member_name(b, "id");
                    json_builder_add_string_value(b, p.id.c_str());
                    json_builder_set_member_name(b, "name");
                    json_builder_add_string_value(b, p.name.c_str());
                    json_builder_end_object(b);
                }
                json_builder_end_array(b);
                return w.finish();
            },
            [](const Offer& m) { return Writer().str("type", "offer").str("sdp", m.sdp).finish(); },
            [](const IceCandidate& m) {
                return Writer()
                    .str("type", "ice")
                    .str("candidate", m.candidate)
                    .num("sdpMLineIndex", m.sdpMLineIndex)
                    .finish();
            },
            [](const ErrorReply& m) {
                return Writer()
                    .str("type", "error")
                    .str("code", m.code)
                    .str("message", m.message)
                    .finish();
            },
            [](const Bye& m) { return Writer().str("type", "bye").str("reason", m.reason).finish(); },
        },
        message);
}

std::string toJson(const ClientMessage& message) {
    return std::visit(
        Overloaded{
            [](const Join& m) {
                return Writer()
                    .str("type", "join")
                    .num("version", m.version)
                    .str("room", m.room)
                    .str("name", m.name)
                    .finish();
            },
            [](const Answer& m) {
                return Writer().str("type", "answer").str("sdp", m.sdp).finish();
            },
            [](const IceCandidate& m) {
                return Writer()
                    .str("type", "ice")
                    .str("candidate", m.candidate)
                    .num("sdpMLineIndex", m.sdpMLineIndex)
                    .finish();
            },
            [](const Leave&) { return Writer().str("type", "leave").finish(); },
        },
        message);
}

}  // namespace mixmeet::protocol
