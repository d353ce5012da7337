#include "api/Origin.h"

#include <glib.h>

#include <algorithm>

#include "core/Text.h"

namespace mixmeet::api {

namespace {
std::string lower(std::string s) {
    for (char& c : s) c = g_ascii_tolower(c);
    return s;
}
}  // namespace

core::Result<OriginPolicy> OriginPolicy::make(const std::string& publicUrl,
                                              std::vector<std::string> trustedProxies) {
    OriginPolicy p;
    p.trustedProxies_ = std::move(trustedProxies);
    if (publicUrl.empty()) return p;
    // GLib's RFC 3986 parser; the origin is the scheme, host and port (RFC 6454 section 4).
    GUri* uri = g_uri_parse(publicUrl.c_str(), G_URI_FLAGS_NONE, nullptr);
    if (!uri) return core::makeError("config", "[server] public_url is not a URL: " + publicUrl);
    std::string scheme = lower(g_uri_get_scheme(uri) ? g_uri_get_scheme(uri) : "");
    const char* host = g_uri_get_host(uri);
    int port = g_uri_get_port(uri);
    bool ok = (scheme == "http" || scheme == "https") && host && *host;
    if (ok) {
        std::string h = lower(host);
        if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 literal.
        p.publicOrigin_ = scheme + "://" + h;
        int defaultPort = scheme == "https" ? 443 : 80;
        if (port > 0 && port != defaultPort) p.publicOrigin_ += ":" + std::to_string(port);
        p.publicHttps_ = scheme == "https";
    }
    g_uri_unref(uri);
    if (!ok)
        return core::makeError("config",
                               "[server] public_url must be an http:// or https:// URL with a "
                               "host: " +
                                   publicUrl);
    return p;
}

void OriginPolicy::applyForwarded(http::Request& r) const {
    if (std::find(trustedProxies_.begin(), trustedProxies_.end(), r.clientAddress) ==
        trustedProxies_.end())
        return;
    // The proxy appends the address it saw; earlier entries come from the client and prove
    // nothing, so take the last one.
    std::string forwardedFor = r.header("x-forwarded-for");
    if (!forwardedFor.empty()) {
        auto comma = forwardedFor.rfind(',');
        std::string last =
            core::trim(comma == std::string::npos ? forwardedFor : forwardedFor.substr(comma + 1));
        if (!last.empty() && g_hostname_is_ip_address(last.c_str())) r.clientAddress = last;
    }
    std::string proto = lower(core::trim(r.header("x-forwarded-proto")));
    if (proto == "https") r.tls = true;
}

bool OriginPolicy::sameOrigin(const http::Request& r) const {
    std::string origin = lower(r.header("origin"));
    if (origin.empty()) return true;  // Not a browser-initiated cross-site request.
    if (!publicOrigin_.empty() && origin == publicOrigin_) return true;
    std::string host = lower(r.header("host"));
    return !host.empty() && origin == std::string(r.tls ? "https://" : "http://") + host;
}

bool OriginPolicy::secureCookies(const http::Request& r) const {
    return publicHttps_ || r.tls;
}

}  // namespace mixmeet::api
