// Library-neutral HTTP request/response values, so REST handlers are plain functions that
// tests can call without a socket. HttpServer converts libsoup messages to and from these.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mixmeet::http {

struct Request {
    std::string method;                        ///< "GET", "POST", ...
    std::string path;                          ///< Decoded path, e.g. "/api/meetings/abc-defg-hij".
    std::map<std::string, std::string> query;  ///< Decoded query parameters.
    std::map<std::string, std::string> headers;  ///< Lowercased names.
    std::string body;
    std::string clientAddress;  ///< Peer IP, for rate limiting.
    bool tls = false;           ///< Served over HTTPS.

    /// A header value (name in any case), or empty.
    std::string header(const std::string& name) const;
    /// The value of cookie `name` from the Cookie header (RFC 6265 section 5.4), if present.
    std::optional<std::string> cookie(const std::string& name) const;
};

struct Response {
    int status = 200;
    std::string contentType = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  ///< Extra, e.g. Set-Cookie.
    /// Non-empty: the body is bytes [fileOffset, fileOffset + fileLength) of this file, mapped
    /// rather than copied (large downloads); `body` is ignored.
    std::string file;
    long long fileOffset = 0;
    long long fileLength = 0;
};

/// Cookie value parsing for a raw Cookie header ("a=1; b=2").
std::optional<std::string> cookieFromHeader(const std::string& header, const std::string& name);

}  // namespace mixmeet::http
