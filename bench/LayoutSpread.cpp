#include "LayoutSpread.h"

#include <json-glib/json-glib.h>

#include "ServerProcess.h"
#include "SyntheticPeer.h"
#include "Wait.h"
#include "core/GstPtr.h"
#include "media/Layout.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>
#include <utility>

namespace mixmeet::bench {

using testing::SyntheticPeer;

std::optional<LayoutSpread> LayoutSpread::parse(const std::string& text, std::string& error) {
    std::vector<std::string> layouts;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (!media::parseLayout(item)) {
            error = "unknown layout '" + item + "' (grid, speaker, presentation)";
            return std::nullopt;
        }
        if (std::find(layouts.begin(), layouts.end(), item) != layouts.end()) {
            error = "layout '" + item + "' listed twice";
            return std::nullopt;
        }
        layouts.push_back(item);
    }
    if (layouts.empty()) {
        error = "--layouts needs at least one layout";
        return std::nullopt;
    }
    return LayoutSpread(std::move(layouts));
}

bool LayoutSpread::needsShare() const {
    return std::find(layouts_.begin(), layouts_.end(), "presentation") != layouts_.end();
}

std::string LayoutSpread::layoutFor(std::size_t index, const std::vector<bool>& decoding) const {
    if (index >= decoding.size() || !decoding[index]) return layouts_.front();
    const auto before =
        std::count(decoding.begin(), decoding.begin() + std::ptrdiff_t(index), true);
    return layouts_[std::size_t(before) % layouts_.size()];
}

bool LayoutSpread::apply(const std::vector<SyntheticPeer*>& peers,
                         const std::vector<bool>& decoding,
                         std::chrono::milliseconds timeout) const {
    for (std::size_t i = 0; i < peers.size(); ++i)
        peers[i]->sendRaw(R"({"type":"set-layout","layout":")" + layoutFor(i, decoding) +
                          R"(","scope":"self"})");
    if (needsShare() && std::size_t(kPresenter) < peers.size())
        peers[kPresenter]->sendRaw(R"({"type":"share-start"})");
    auto shows = [&](std::size_t i) {
        const auto& l = peers[i]->lastLayout();
        const std::string want = layoutFor(i, decoding);
        return l.layout == want && (want != "presentation" || l.screen.has_value());
    };
    const bool ok = testing::waitUntil(
        [&] {
            for (std::size_t i = 0; i < peers.size(); ++i)
                if (!shows(i)) return false;
            return true;
        },
        timeout);
    if (!ok)
        for (std::size_t i = 0; i < peers.size(); ++i)
            if (!shows(i))
                std::fprintf(stderr, "  %s shows layout '%s', not '%s'\n",
                             peers[i]->options().name.c_str(),
                             peers[i]->lastLayout().layout.c_str(), layoutFor(i, decoding).c_str());
    return ok;
}

namespace {

long longMember(JsonObject* o, const char* name) {
    return json_object_has_member(o, name) ? long(json_object_get_int_member(o, name)) : -1;
}

/// "high", "medium" or "low" from a decoded width against the composite's (the tiers are the
/// full, half and quarter size, docs/protocol.md "Bandwidth").
const char* tierOf(int width, int compositeWidth) {
    if (width <= 0 || compositeWidth <= 0 || width * 4 >= compositeWidth * 3) return "high";
    return width * 8 >= compositeWidth * 3 ? "medium" : "low";
}

}  // namespace

SpreadReport LayoutSpread::report(testing::ServerProcess& server, const std::string& room,
                                  const std::vector<SyntheticPeer*>& peers,
                                  int compositeWidth) const {
    SpreadReport r;
    std::set<std::pair<std::string, std::string>> pairs;
    for (SyntheticPeer* p : peers) {
        const int width = p->options().receiveVideo ? p->lastVideoSize()[0] : 0;
        pairs.emplace(p->lastLayout().layout, tierOf(width, compositeWidth));
    }
    r.expectedPairs = int(pairs.size());
    std::set<std::string> layouts;
    for (const auto& pair : pairs) layouts.insert(pair.first);
    r.expectedLayouts = int(layouts.size());
    for (const auto& [layout, tier] : pairs)
        r.pairs += (r.pairs.empty() ? "" : " ") + layout + "/" + tier;

    const testing::HttpReply reply = server.get("/api/stats?room=" + room);
    if (reply.status != 200) return r;
    auto parser = core::GPtr<JsonParser>::adopt(json_parser_new());
    if (!json_parser_load_from_data(parser.get(), reply.body.data(), gssize(reply.body.size()),
                                    nullptr))
        return r;
    JsonNode* root = json_parser_get_root(parser.get());
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return r;
    JsonObject* o = json_node_get_object(root);
    JsonArray* rooms =
        json_object_has_member(o, "rooms") ? json_object_get_array_member(o, "rooms") : nullptr;
    for (guint i = 0; rooms && i < json_array_get_length(rooms); ++i) {
        JsonObject* entry = json_array_get_object_element(rooms, i);
        if (!entry || !json_object_has_member(entry, "name") ||
            room != json_object_get_string_member(entry, "name"))
            continue;
        r.composites = longMember(entry, "composites");
        r.encoders = longMember(entry, "vp8Encoders");
    }
    return r;
}

std::string LayoutSpread::describe(const SpreadReport& r, const std::vector<std::string>& layouts) {
    std::string list;
    for (const auto& l : layouts) list += (list.empty() ? "" : ",") + l;
    const bool ok = r.composites == r.expectedLayouts && r.encoders == r.expectedPairs;
    char line[512];
    std::snprintf(line, sizeof line,
                  "  layouts %s: /api/stats composites %ld, VP8 encoders %ld; viewers see %d "
                  "distinct layouts and %d distinct (layout, tier) pairs (%s): %s\n",
                  list.c_str(), r.composites, r.encoders, r.expectedLayouts, r.expectedPairs,
                  r.pairs.c_str(), ok ? "ok" : "MISMATCH");
    return line;
}

}  // namespace mixmeet::bench
