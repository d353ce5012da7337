#include "core/Json.h"

#include <algorithm>

namespace mixmeet::core {

namespace {
/// True if a JSON string in `text` holds U+0000, raw or as the escape \u0000. json-glib keeps
/// strings NUL-terminated, so such a string would silently lose everything after the NUL.
bool holdsNul(std::string_view text) {
    if (text.find('\0') != std::string_view::npos) return true;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (!inString) {
            inString = c == '"';
        } else if (c == '\\') {
            if (text.substr(i + 1, 5) == "u0000") return true;
            ++i;  // Skip the escaped character (an escaped quote does not end the string).
        } else if (c == '"') {
            inString = false;
        }
    }
    return false;
}
}  // namespace

Result<std::size_t> jsonNestingDepth(std::string_view text, std::size_t limit) {
    std::size_t depth = 0, deepest = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i;  // The escaped character, whatever it is, is part of the string.
            else if (c == '"')
                inString = false;
            continue;
        }
        switch (c) {
            case '"':
                inString = true;
                break;
            case '[':
            case '{':
                if (++depth > limit)
                    return makeError("bad-json",
                                     "JSON nests deeper than " + std::to_string(limit) + " levels");
                deepest = std::max(deepest, depth);
                break;
            case ']':
            case '}':
                if (depth > 0) --depth;  // Unbalanced: the parser reports it.
                break;
            case '\'':
            case '/':
                // json-glib also reads 'strings' and /* comments */, which would hide brackets
                // from this scan; neither is JSON.
                return makeError("bad-json",
                                 std::string("unexpected character '") + c + "' outside a string");
            default:
                break;
        }
    }
    return deepest;
}

Result<JsonDocument> JsonDocument::parseObject(std::string_view text) {
    if (holdsNul(text))
        return makeError("bad-json", "text must not contain NUL characters (\\u0000)");
    // json-glib's parser recurses once per level (a stack overflow near 80 000 levels).
    if (auto depth = jsonNestingDepth(text, kMaxJsonDepth); !depth) return depth.error();
    JsonDocument doc;
    doc.parser_ = GPtr<JsonParser>::adopt(json_parser_new());
    ErrorOut err;
    if (!json_parser_load_from_data(doc.parser_.get(), text.data(),
                                    static_cast<gssize>(text.size()), err.out()))
        return makeError("bad-json", std::string("not valid JSON: ") + err.message());
    JsonNode* root = json_parser_get_root(doc.parser_.get());
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return makeError("bad-json", "the body must be a JSON object");
    doc.root_ = json_node_get_object(root);
    return doc;
}

JsonNode* JsonReader::member(const char* name, bool required) {
    if (!obj_ || !json_object_has_member(obj_, name)) {
        if (required) fail(std::string("missing field '") + name + "'");
        return nullptr;
    }
    return json_object_get_member(obj_, name);
}

std::string JsonReader::string(const char* name, std::size_t maxBytes) {
    JsonNode* node = member(name, true);
    if (!node) return {};
    return optString(name, maxBytes).value_or(std::string());
}

std::optional<std::string> JsonReader::optString(const char* name, std::size_t maxBytes) {
    JsonNode* node = member(name, false);
    if (!node) return std::nullopt;
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
        fail(std::string("field '") + name + "' must be a string");
        return std::nullopt;
    }
    std::string value = json_node_get_string(node);
    if (value.size() > maxBytes) {
        fail(std::string("field '") + name + "' is too long");
        return std::nullopt;
    }
    return value;
}

long long JsonReader::integer(const char* name, long long min, long long max) {
    if (!member(name, true)) return 0;
    return optInteger(name, min, max).value_or(0);
}

std::optional<long long> JsonReader::optInteger(const char* name, long long min, long long max) {
    JsonNode* node = member(name, false);
    if (!node) return std::nullopt;
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64) {
        fail(std::string("field '") + name + "' must be an integer");
        return std::nullopt;
    }
    gint64 v = json_node_get_int(node);
    if (v < min || v > max) {
        fail(std::string("field '") + name + "' is out of range");
        return std::nullopt;
    }
    return v;
}

std::optional<bool> JsonReader::optBoolean(const char* name) {
    JsonNode* node = member(name, false);
    if (!node) return std::nullopt;
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
        fail(std::string("field '") + name + "' must be true or false");
        return std::nullopt;
    }
    return json_node_get_boolean(node) != FALSE;
}

JsonArray* JsonReader::array(const char* name) {
    JsonNode* node = member(name, true);
    if (!node) return nullptr;
    if (!JSON_NODE_HOLDS_ARRAY(node)) {
        fail(std::string("field '") + name + "' must be an array");
        return nullptr;
    }
    return json_node_get_array(node);
}

JsonObject* JsonReader::object(const char* name) {
    JsonNode* node = member(name, true);
    if (!node) return nullptr;
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        fail(std::string("field '") + name + "' must be an object");
        return nullptr;
    }
    return json_node_get_object(node);
}

JsonWriter::JsonWriter() : b_(GPtr<JsonBuilder>::adopt(json_builder_new())) {
    json_builder_begin_object(b_.get());
}

void JsonWriter::key(const char* k) {
    if (k) json_builder_set_member_name(b_.get(), k);
}

JsonWriter& JsonWriter::str(const char* k, const std::string& v) {
    key(k);
    json_builder_add_string_value(b_.get(), v.c_str());
    return *this;
}
JsonWriter& JsonWriter::num(const char* k, long long v) {
    key(k);
    json_builder_add_int_value(b_.get(), v);
    return *this;
}
JsonWriter& JsonWriter::boolean(const char* k, bool v) {
    key(k);
    json_builder_add_boolean_value(b_.get(), v);
    return *this;
}
JsonWriter& JsonWriter::null(const char* k) {
    key(k);
    json_builder_add_null_value(b_.get());
    return *this;
}
JsonWriter& JsonWriter::beginObject(const char* k) {
    key(k);
    json_builder_begin_object(b_.get());
    return *this;
}
JsonWriter& JsonWriter::endObject() {
    json_builder_end_object(b_.get());
    return *this;
}
JsonWriter& JsonWriter::beginArray(const char* k) {
    key(k);
    json_builder_begin_array(b_.get());
    return *this;
}
JsonWriter& JsonWriter::endArray() {
    json_builder_end_array(b_.get());
    return *this;
}
JsonWriter& JsonWriter::value(const std::string& v) {
    json_builder_add_string_value(b_.get(), v.c_str());
    return *this;
}

std::string JsonWriter::finish() {
    json_builder_end_object(b_.get());
    JsonNode* root = json_builder_get_root(b_.get());
    CharsPtr text(json_to_string(root, FALSE));
    json_node_unref(root);
    return text.get();
}

}  // namespace mixmeet::core
