// What REST requests hand the server: the Cookie header, JSON bodies read through JsonReader,
// forwarded headers and Origin (api/Origin), meeting ids typed by people and passwords
// (auth/). Input: newline-separated fields (see `fields` below).
#include "FuzzInput.h"
#include "api/Origin.h"
#include "auth/MeetingId.h"
#include "auth/PasswordPolicy.h"
#include "core/Json.h"
#include "http/Request.h"

using namespace mixmeet;

namespace {
void readAll(JsonObject* obj, int depth) {
    if (!obj || depth > 40) return;
    core::JsonReader r(obj);
    GList* names = json_object_get_members(obj);
    for (GList* l = names; l; l = l->next) {
        auto* name = static_cast<const char*>(l->data);
        (void)r.optString(name, 1024);
        (void)r.optInteger(name, -1000, 1000);
        (void)r.optBoolean(name);
        readAll(core::JsonReader(obj).object(name), depth + 1);
        (void)core::JsonReader(obj).array(name);
    }
    g_list_free(names);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    // cookie header, cookie name, x-forwarded-for, x-forwarded-proto, origin, host, meeting id,
    // password, JSON body (the rest).
    auto f = fuzz::fields(fuzz::text(data, size), 9);
    (void)http::cookieFromHeader(f[0], f[1]);

    static const auto policy =
        api::OriginPolicy::make("https://meet.example.org", {"127.0.0.1", "::1"}).value();
    http::Request req;
    req.method = "POST";
    req.clientAddress = "127.0.0.1";
    req.headers = {{"x-forwarded-for", f[2]},
                   {"x-forwarded-proto", f[3]},
                   {"origin", f[4]},
                   {"host", f[5]},
                   {"cookie", f[0]}};
    policy.applyForwarded(req);
    (void)policy.sameOrigin(req);
    (void)policy.secureCookies(req);
    (void)req.cookie("mixmeet_session");

    auto id = auth::normalizeMeetingId(f[6]);
    if (id && !auth::isValidMeetingId(*id)) __builtin_trap();
    auto strength = auth::checkPasswordStrength(f[7], "user@example.org", "user");

    auto doc = core::JsonDocument::parseObject(f[8]);
    if (doc) readAll(doc.value().root(), 0);
    return 0;
}
