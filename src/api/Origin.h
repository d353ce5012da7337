// Which origin the server is reached at, and what a request's peer may tell us about it.
//
// Behind a TLS reverse proxy (the README's advice) the browser's origin is https://host while
// the server itself speaks plain HTTP: the Origin check and the cookie's Secure flag must
// follow the public origin, not the socket. It comes from `[server] public_url`, or, for
// requests from an address listed in `[server] trusted_proxies`, from the proxy's
// X-Forwarded-Proto (and the client address from X-Forwarded-For). Forwarded headers from any
// other peer are ignored: anyone can send them.
#pragma once

#include <string>
#include <vector>

#include "core/Result.h"
#include "http/Request.h"

namespace mixmeet::api {

class OriginPolicy {
public:
    OriginPolicy() = default;
    /// `publicUrl`: "" or an absolute http(s) URL ("https://meet.example.org"); its origin is
    /// accepted in Origin headers and, when https, makes cookies Secure. `trustedProxies`: IP
    /// literals whose X-Forwarded-For/-Proto are believed. Error "config" on a bad URL.
    static core::Result<OriginPolicy> make(const std::string& publicUrl,
                                           std::vector<std::string> trustedProxies);

    /// For a request from a trusted proxy: clientAddress becomes the last X-Forwarded-For
    /// entry and tls follows X-Forwarded-Proto. Other requests are left as they are.
    void applyForwarded(http::Request& request) const;
    /// True if the Origin header (when present) is the public origin, or the request's own
    /// scheme with its Host header. Guards state-changing requests and WebSocket handshakes.
    bool sameOrigin(const http::Request& request) const;
    /// True if session cookies must be Secure: the public origin or the request is https.
    bool secureCookies(const http::Request& request) const;
    /// "scheme://host[:port]" of public_url (lowercase, default port omitted), or "".
    const std::string& publicOrigin() const { return publicOrigin_; }

private:
    std::string publicOrigin_;
    bool publicHttps_ = false;
    std::vector<std::string> trustedProxies_;
};

}  // namespace mixmeet::api
