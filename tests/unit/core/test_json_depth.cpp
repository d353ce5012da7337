// JSON nesting depth is bounded before json-glib (recursive parser) sees client text.
#include <catch2/catch.hpp>

#include <string>

#include "core/Json.h"
#include "protocol/Messages.h"

using namespace mixmeet;

namespace {
std::string nested(std::size_t levels, char open = '[', char close = ']') {
    return "{\"a\":" + std::string(levels - 1, open) + std::string(levels - 1, close) + "}";
}
}  // namespace

TEST_CASE("JSON depth: nesting is measured outside strings only", "[json][hostile]") {
    CHECK(core::jsonNestingDepth("{}").value() == 1);
    CHECK(core::jsonNestingDepth(R"({"a":[{"b":[]}]})").value() == 4);
    CHECK(core::jsonNestingDepth("1").value() == 0);
    // Brackets inside strings do not count, escaped quotes do not end the string.
    CHECK(core::jsonNestingDepth(R"({"a":"[[[[{{{{"})").value() == 1);
    CHECK(core::jsonNestingDepth(R"({"a":"\"[[[[\\"})").value() == 1);
    CHECK(core::jsonNestingDepth(R"({"a\"[[":"x"})").value() == 1);
    // An escaped backslash before the closing quote ends the string: brackets after it count.
    CHECK_FALSE(core::jsonNestingDepth(R"({"a":"\\", "b":[[[[]]]]})", 4).ok());
    // Unbalanced closers never go below zero (the parser reports them).
    CHECK(core::jsonNestingDepth("]]]]{[]}").value() == 2);
}

TEST_CASE("JSON depth: the limit is exact", "[json][hostile]") {
    CHECK(core::jsonNestingDepth(nested(32)).value() == 32);
    auto over = core::jsonNestingDepth(nested(33));
    REQUIRE_FALSE(over.ok());
    CHECK(over.error().code == "bad-json");
    CHECK(core::JsonDocument::parseObject(nested(core::kMaxJsonDepth)).ok());
    CHECK_FALSE(core::JsonDocument::parseObject(nested(core::kMaxJsonDepth + 1, '{', '}')).ok());
}

TEST_CASE("JSON depth: 200 000 levels are refused, not parsed", "[json][hostile]") {
    // json-glib's recursive parser overflows an 8 MB stack near 80 000 levels; unbounded, this
    // test crashes the test binary.
    std::string deep = "{\"a\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
    auto doc = core::JsonDocument::parseObject(deep);
    REQUIRE_FALSE(doc.ok());
    CHECK(doc.error().code == "bad-json");
    // Deep nesting inside a string is just a long string.
    std::string inString = "{\"a\":\"" + std::string(60000, '[') + "\"}";
    auto text = core::JsonDocument::parseObject(inString);
    REQUIRE(text.ok());
    core::JsonReader in(text.value().root());
    CHECK(in.string("a", 70000).size() == 60000);
}

TEST_CASE("JSON depth: single-quoted strings and comments are refused", "[json][hostile]") {
    // json-glib reads both; either could hide brackets from the pre-scan.
    CHECK_FALSE(core::JsonDocument::parseObject("{'a':1}").ok());
    CHECK_FALSE(core::JsonDocument::parseObject(R"({"a":/* " */ [1]})").ok());
    CHECK_FALSE(core::jsonNestingDepth(R"({"a":'"', "b":[[[]]]})").ok());
    // Both are ordinary characters inside a double-quoted string.
    CHECK(core::JsonDocument::parseObject(R"({"a":"it's http://x/*y*/"})").ok());
}

TEST_CASE("JSON depth: a deep signaling message is bad-json", "[json][hostile][protocol]") {
    std::string deep = R"({"type":"chat","text":"hi","x":)" + std::string(5000, '[') +
                       std::string(5000, ']') + "}";
    auto msg = protocol::parseClientMessage(deep);
    REQUIRE_FALSE(msg.ok());
    CHECK(msg.error().code == "bad-json");
}
