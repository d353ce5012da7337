#include "app/AdminApi.h"

#include <cmath>
#include <vector>

#include "auth/Tokens.h"
#include "core/Json.h"
#include "core/StructuredLog.h"
#include "room/Room.h"

namespace mixmeet::app {
namespace {

/// Room names and participant ids in request bodies are at most this long, bytes.
constexpr std::size_t kMaxNameBytes = 256;

http::Response ok(std::string body) {
    http::Response r;
    r.body = std::move(body);
    return r;
}

}  // namespace

http::Response AdminApi::handle(const http::Request& r, const std::optional<api::Identity>& who) {
    if (!who) return api::errorResponse(401, "unauthenticated", "Please sign in.");
    if (!who->user.admin)
        return api::errorResponse(403, "not-admin", "Only server admins may use this.");
    const bool get = r.method == "GET" || r.method == "HEAD";
    if (r.path == "/api/admin/rooms") {
        if (!get) return api::errorResponse(405, "method-not-allowed", "Use GET.");
        return rooms();
    }
    if (r.path != "/api/admin/end" && r.path != "/api/admin/remove")
        return api::errorResponse(404, "not-found", "No such admin request.");
    if (r.method != "POST") return api::errorResponse(405, "method-not-allowed", "Use POST.");
    // State-changing: the same CSRF rules as every other request (docs/security.md).
    if (!api_.sameOrigin(r)) return api::errorResponse(403, "csrf", "Cross-site request refused.");
    if (!auth::constantTimeEquals(r.header("x-csrf-token"), who->session.csrfToken))
        return api::errorResponse(403, "csrf", "Missing or wrong X-CSRF-Token.");
    const std::string& admin = who->user.username;
    return r.path == "/api/admin/end" ? end(r, admin) : remove(r, admin);
}

http::Response AdminApi::rooms() const {
    core::JsonWriter w;
    w.beginArray("rooms");
    for (const auto& room : reports_()) {
        if (room.participants == 0) continue;  // Being torn down.
        w.beginObject(nullptr)
            .str("name", room.name)
            .boolean("recording", room.recording)
            .beginArray("participants");
        for (const auto& p : room.members) {
            w.beginObject(nullptr)
                .str("id", p.id)
                .str("name", p.name)
                .boolean("host", p.host)
                .boolean("inCall", p.inCall)
                .str("tier", p.tier)
                // Last receiver report: fraction lost (per mille) and round-trip time.
                .num("lossPermille", std::lround(std::max(0.0, p.loss) * 1000.0))
                .num("rttMs", std::lround(std::max(0.0, p.rttMs)))
                .endObject();
        }
        w.endArray().endObject();
    }
    return ok(w.endArray().finish());
}

http::Response AdminApi::end(const http::Request& r, const std::string& adminName) {
    auto doc = core::JsonDocument::parseObject(r.body);
    if (!doc) return api::errorResponse(400, "bad-request", doc.error().message);
    core::JsonReader in(doc.value().root());
    std::string name = in.string("room", kMaxNameBytes);
    if (!in.ok()) return api::errorResponse(400, "bad-request", in.error());
    room::RoomApi* room = rooms_.findRoom(name);
    if (!room) return api::errorResponse(404, "no-such-room", "No live room with this name.");
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name, {}}, "meeting ended by admin %s",
                    adminName.c_str());
    room->adminEnd();
    return ok("{}");
}

http::Response AdminApi::remove(const http::Request& r, const std::string& adminName) {
    auto doc = core::JsonDocument::parseObject(r.body);
    if (!doc) return api::errorResponse(400, "bad-request", doc.error().message);
    core::JsonReader in(doc.value().root());
    std::string name = in.string("room", kMaxNameBytes);
    std::string id = in.string("participant", kMaxNameBytes);
    if (!in.ok()) return api::errorResponse(400, "bad-request", in.error());
    room::RoomApi* room = rooms_.findRoom(name);
    if (!room) return api::errorResponse(404, "no-such-room", "No live room with this name.");
    if (auto done = room->adminRemove(id); !done)
        return api::errorResponse(404, "no-such-participant", done.error().message);
    core::logEventf(G_LOG_LEVEL_MESSAGE, {name, id}, "removed by admin %s", adminName.c_str());
    return ok("{}");
}

}  // namespace mixmeet::app
