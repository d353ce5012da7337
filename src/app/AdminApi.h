// The admin API behind /admin (docs/api.md, "Admin"): every live room with its participants and
// their link quality, and the two admin actions, end a meeting and remove a participant. Only
// for signed-in accounts with the admin role (users.role, `mixmeet set-role`); the actions are
// state-changing requests under the same CSRF rules as the rest of the API (same Origin and
// the session's X-CSRF-Token). Main thread only.
#pragma once

#include <optional>

#include <functional>
#include <vector>
#include "api/Api.h"
#include "http/Request.h"

#include "room/RoomApi.h"
#include "room/RoomReport.h"

namespace mixmeet::app {

class AdminApi {
public:
    /// `reports`: the live rooms' figures now (wherever they run).
    AdminApi(room::RoomDirectory& rooms, std::function<std::vector<room::RoomReport>()> reports,
             const api::Api& api)
        : rooms_(rooms), reports_(std::move(reports)), api_(api) {}

    /// Answers a request under /api/admin/. `who`: the signed-in account, if any. Errors: 401
    /// "unauthenticated", 403 "not-admin", 403 "csrf", 404 "not-found" (unknown path),
    /// 405 "method-not-allowed", 400 "bad-request" (body), 404 "no-such-room",
    /// 404 "no-such-participant".
    http::Response handle(const http::Request& request, const std::optional<api::Identity>& who);

private:
    http::Response rooms() const;
    http::Response end(const http::Request& request, const std::string& adminName);
    http::Response remove(const http::Request& request, const std::string& adminName);

    room::RoomDirectory& rooms_;
    std::function<std::vector<room::RoomReport>()> reports_;
    const api::Api& api_;
};

}  // namespace mixmeet::app
