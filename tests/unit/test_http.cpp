#include <catch2/catch.hpp>

#include "http/ByteRange.h"
#include "http/HttpServer.h"

using namespace mixmeet::http;

TEST_CASE("static paths cannot escape the web directory", "[http]") {
    CHECK(isSafePath("/index.html"));
    CHECK(isSafePath("/js/room.js"));
    CHECK_FALSE(isSafePath("/../etc/passwd"));
    CHECK_FALSE(isSafePath("/js/../../x"));
    CHECK_FALSE(isSafePath("/./x"));
    CHECK_FALSE(isSafePath("relative"));
    CHECK_FALSE(isSafePath("/a\\..\\b"));
    CHECK_FALSE(isSafePath(""));
}

TEST_CASE("content types suit browsers (ES modules need a JavaScript type)", "[http]") {
    CHECK(contentTypeFor("/js/room.js") == "text/javascript; charset=utf-8");
    CHECK(contentTypeFor("/index.html") == "text/html; charset=utf-8");
    CHECK(contentTypeFor("/css/style.css") == "text/css; charset=utf-8");
    CHECK(contentTypeFor("/x.bin") == "application/octet-stream");
}

TEST_CASE("byte ranges: one range of a file, clamped; suffixes; unsatisfiable; ignored",
          "[http][recording]") {
    using mixmeet::http::parseRange;
    using Kind = mixmeet::http::RangeRequest::Kind;
    auto r = parseRange("bytes=100-199", 1000);
    CHECK(r.kind == Kind::Partial);
    CHECK(r.range.offset == 100);
    CHECK(r.range.length == 100);
    CHECK(mixmeet::http::contentRange(r.range, 1000) == "bytes 100-199/1000");
    r = parseRange("bytes=900-", 1000);
    CHECK((r.kind == Kind::Partial && r.range.offset == 900 && r.range.length == 100));
    r = parseRange("bytes=900-5000", 1000);
    CHECK((r.kind == Kind::Partial && r.range.length == 100));
    r = parseRange("bytes=-10", 1000);
    CHECK((r.kind == Kind::Partial && r.range.offset == 990 && r.range.length == 10));
    r = parseRange("bytes=-5000", 1000);
    CHECK((r.kind == Kind::Partial && r.range.offset == 0 && r.range.length == 1000));
    CHECK(parseRange("bytes=1000-", 1000).kind == Kind::Unsatisfiable);
    CHECK(parseRange("bytes=-0", 1000).kind == Kind::Unsatisfiable);
    CHECK(parseRange("", 1000).kind == Kind::Whole);
    CHECK(parseRange("bytes=5-1", 1000).kind == Kind::Whole);
    CHECK(parseRange("bytes=0-1,5-6", 1000).kind == Kind::Whole);
    CHECK(parseRange("items=0-1", 1000).kind == Kind::Whole);
    CHECK(parseRange("bytes=a-b", 1000).kind == Kind::Whole);
    CHECK(parseRange("bytes=99999999999999999999-", 1000).kind == Kind::Whole);
}
