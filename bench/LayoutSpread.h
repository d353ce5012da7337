// mixmeet-bench --layouts: the viewers of a benchmark room spread round-robin over several
// layouts (protocol `set-layout`, docs/protocol.md "Layouts"), with a screen shared while
// `presentation` is one of them, and the check that the server runs one composite and one
// encode per distinct (layout, tier) pair with viewers (issue 14, "Cost and latency").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mixmeet::testing {
class ServerProcess;
class SyntheticPeer;
}  // namespace mixmeet::testing

namespace mixmeet::bench {

/// What /api/stats said about the spread room, and what it should say.
struct SpreadReport {
    long composites = -1;     ///< /api/stats `composites`; -1: unknown
    long encoders = -1;       ///< /api/stats `vp8Encoders`; -1: unknown
    int expectedPairs = 0;    ///< distinct (layout, tier) pairs among the viewers: encoders
    int expectedLayouts = 0;  ///< distinct layouts among the viewers: composites (each
                              ///< composite feeds the tier encoders its viewers need)
    std::string pairs;        ///< those pairs as text, e.g. "grid/high speaker/high"
};

/// Main thread only (it drives the peers and waits on the thread-default main context).
class LayoutSpread {
public:
    /// Parses a --layouts list ("grid,speaker,presentation"): known names, each at most once,
    /// at least one. nullopt with `error` set otherwise.
    static std::optional<LayoutSpread> parse(const std::string& text, std::string& error);

    const std::vector<std::string>& layouts() const { return layouts_; }
    /// `presentation` is listed: one peer (kPresenter) shares a screen for the whole window.
    bool needsShare() const;
    /// The peer that shares (index in the room's join order) and the videotestsrc pattern it
    /// sends as its screen (a still SMPTE picture, 640x480 by default).
    static constexpr int kPresenter = 0;
    static constexpr int kScreenPattern = 0;

    /// Gives the decoding viewers (`decoding[i]`) their layouts round-robin in the listed order
    /// (set-layout scope self), the others the first one, then starts the share if needed
    /// (share-start from kPresenter, whose peer must have been built with screenPattern set),
    /// and waits (at most `timeout`) until every peer's `layout` message shows its layout.
    /// false (with the laggards on stderr) when that does not happen in time.
    bool apply(const std::vector<testing::SyntheticPeer*>& peers, const std::vector<bool>& decoding,
               std::chrono::milliseconds timeout) const;

    /// Reads /api/stats for `room` and counts the distinct (layout, tier) pairs among the
    /// peers: the layout from each one's last `layout` message, the tier from the width of
    /// its last decoded frame against `compositeWidth` (non-decoding peers: assumed high).
    SpreadReport report(testing::ServerProcess& server, const std::string& room,
                        const std::vector<testing::SyntheticPeer*>& peers,
                        int compositeWidth) const;

    /// One line for under the table row: composites, encoders, expected pairs, verdict.
    static std::string describe(const SpreadReport& r, const std::vector<std::string>& layouts);

private:
    explicit LayoutSpread(std::vector<std::string> layouts) : layouts_(std::move(layouts)) {}
    /// The layout of the peer at `index` (apply's assignment).
    std::string layoutFor(std::size_t index, const std::vector<bool>& decoding) const;

    std::vector<std::string> layouts_;
};

}  // namespace mixmeet::bench
