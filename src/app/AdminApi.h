// The admin API behind /admin (docs/api.md, "Admin"): every live room with its participants and
// their link quality, and the two admin actions, end a meeting and remove a participant. Only
// for signed-in accounts with the admin role (users.role, `mixmeet set-role`); the actions are
// state-changing requests under the same CSRF rules as the rest of the API (same Origin and
// the session's X-CSRF-Token). Main thread only.
#pragma once

#include <optional>

#include "api/Api.h"
#include "http/Request.h"
#include "room/RoomRegistry.h"

namespace mixmeet::app {

class AdminApi {
public:
    AdminApi(room::RoomRegistry& rooms, const api::Api& api) : rooms_(rooms), api_(api) {}

    /// Answers a request under /api/admin/. `who`: the signed-in account, if any. Errors: 401
    /// "unauthenticated", 403 "not-admin", 403 "csrf", 404 "not-found" (unknown path),
    /// 405 "method-not-allowed", 400 "bad-request" (body), 404 "no-such-room",
    /// 404 "no-such-participant".
    http::Response handle(const http::Request& request, const std::optional<api::Identity>& who);

private:
    http::Response rooms() const;
    http::Response end(const http::Request& request, const std::string& adminName);
    http::Response remove(const http::Request& request, const std::string& adminName);

    room::RoomRegistry& rooms_;
    const api::Api& api_;
};

}  // namespace mixmeet::app
