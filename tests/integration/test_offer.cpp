// The document is the contract: the SDP offer the server really sends, line by line, against
// the `sdp-offer` block of docs/protocol.md ("The offer, line by line"). Reading the document
// itself keeps the two from drifting: an attribute the server adds or drops fails this test
// until the document says so.
#include <glib.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "mixmeet-config.h"

using namespace mixmeet;
using namespace std::chrono_literals;
using testing::SyntheticPeer;
using testing::waitUntil;

namespace {

/// One part of an SDP: the session part, then one per m-line ("m=..." first).
using Section = std::vector<std::string>;

/// Splits SDP text (or the document's block) into sections at each "m=" line. Blank lines and
/// the document's comment lines ("# ...") are dropped; "\r" is stripped.
std::vector<Section> sections(const std::string& text) {
    std::vector<Section> out(1);
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        if (line.rfind("m=", 0) == 0) out.emplace_back();
        out.back().push_back(line);
    }
    return out;
}

/// The fenced ```sdp-offer block of docs/protocol.md.
std::string documentedOffer() {
    std::ifstream f(std::string(MIXMEET_SOURCE_DIR) + "/docs/protocol.md");
    std::stringstream all;
    all << f.rdbuf();
    const std::string doc = all.str();
    const std::string open = "```sdp-offer\n";
    const auto start = doc.find(open);
    if (start == std::string::npos) return {};
    const auto end = doc.find("```", start + open.size());
    if (end == std::string::npos) return {};
    return doc.substr(start + open.size(), end - start - open.size());
}

/// A documented line matches an offer line as a GLib glob: `*` stands for any text (values
/// that change per session: ICE credentials, fingerprint, SSRCs, session id).
bool matches(const std::string& pattern, const std::string& line) {
    return g_pattern_match_simple(pattern.c_str(), line.c_str());
}

}  // namespace

TEST_CASE("the SDP offer is what docs/protocol.md lists", "[offer][protocol]") {
    const std::string docText = documentedOffer();
    REQUIRE_FALSE(docText.empty());
    const auto doc = sections(docText);

    testing::TestServer s;
    testing::PeerOptions o = s.peerOptions("offer", "Reader");
    o.answer = false;  // Only the offer is read.
    SyntheticPeer peer(o);
    peer.start();
    REQUIRE(waitUntil([&] { return !peer.offerSdp().empty(); }, 20s));
    const auto offer = sections(peer.offerSdp());
    INFO("offer:\n" << peer.offerSdp());

    REQUIRE(offer.size() == doc.size());
    for (std::size_t i = 0; i < offer.size(); ++i) {
        INFO("section " << i
                        << (i == 0 ? " (session)" : " (m-line " + std::to_string(i - 1) + ")"));
        // Everything the server offers is documented...
        for (const auto& line : offer[i]) {
            bool documented = false;
            for (const auto& pattern : doc[i]) documented = documented || matches(pattern, line);
            INFO("offered, not documented: " << line);
            CHECK(documented);
        }
        // ...and everything documented is offered.
        for (const auto& pattern : doc[i]) {
            bool offered = false;
            for (const auto& line : offer[i]) offered = offered || matches(pattern, line);
            INFO("documented, not offered: " << pattern);
            CHECK(offered);
        }
    }
}
