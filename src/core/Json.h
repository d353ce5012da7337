// Small conveniences over json-glib shared by the signaling protocol and the REST API:
// parse text into an object, read typed members with one error recorded, build objects.
#pragma once

#include <json-glib/json-glib.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/GstPtr.h"
#include "core/Result.h"

namespace mixmeet::core {

/// Deepest nesting of arrays and objects that JsonDocument accepts (client messages use 3).
inline constexpr std::size_t kMaxJsonDepth = 32;

/// Linear pre-scan run before json-glib (whose parser is recursive) sees client text: the
/// deepest nesting of [ and { outside double-quoted strings (escapes honoured). Errors (code
/// "bad-json"): deeper than `limit`, or a ' or / outside a string (json-glib would read a
/// single-quoted string or a comment there and could hide brackets from this scan).
Result<std::size_t> jsonNestingDepth(std::string_view text, std::size_t limit = kMaxJsonDepth);

/// A parsed JSON object; the parser (which owns the nodes) lives as long as this.
class JsonDocument {
public:
    /// Errors (code "bad-json"): not JSON, the root is not an object, a string holds U+0000
    /// (json-glib would silently cut it there), or nesting deeper than kMaxJsonDepth.
    static Result<JsonDocument> parseObject(std::string_view text);
    JsonObject* root() const { return root_; }

private:
    GPtr<JsonParser> parser_;
    JsonObject* root_ = nullptr;
};

/// Reads typed members of an object. The first problem is kept as a message naming the field;
/// later reads return defaults. A null object reads as empty.
class JsonReader {
public:
    explicit JsonReader(JsonObject* obj) : obj_(obj) {}

    /// Required string of at most maxBytes bytes.
    std::string string(const char* name, std::size_t maxBytes);
    /// Optional string: absent -> nullopt; present but not a string -> error.
    std::optional<std::string> optString(const char* name, std::size_t maxBytes);
    /// Required integer in [min, max].
    long long integer(const char* name, long long min, long long max);
    std::optional<long long> optInteger(const char* name, long long min, long long max);
    std::optional<bool> optBoolean(const char* name);
    JsonArray* array(const char* name);
    JsonObject* object(const char* name);

    bool has(const char* name) const { return obj_ && json_object_has_member(obj_, name); }
    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    void fail(std::string why) {
        if (error_.empty()) error_ = std::move(why);
    }

private:
    JsonNode* member(const char* name, bool required);

    JsonObject* obj_;
    std::string error_;
};

/// Builds one JSON object: `JsonWriter().str("type", "x").num("n", 1).finish()`.
class JsonWriter {
public:
    JsonWriter();
    JsonWriter& str(const char* key, const std::string& value);
    JsonWriter& num(const char* key, long long value);
    JsonWriter& boolean(const char* key, bool value);
    JsonWriter& null(const char* key);
    JsonWriter& beginObject(const char* key);  ///< key nullptr inside an array.
    JsonWriter& endObject();
    JsonWriter& beginArray(const char* key);
    JsonWriter& endArray();
    JsonWriter& value(const std::string& v);  ///< A string element inside an array.
    JsonBuilder* raw() { return b_.get(); }
    /// The compact JSON text; the writer is spent afterwards.
    std::string finish();

private:
    void key(const char* k);
    GPtr<JsonBuilder> b_;
};

}  // namespace mixmeet::core
