#include <catch2/catch.hpp>

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
