// Who is in the sum and who hears which stream, tick by tick: the bookkeeping behind the
// rule "no listener ever receives a mix that holds its own voice".
//
// Each 20 ms tick the mixer sums some inputs once. That sum goes to every listener on the
// shared stream (one Opus encode); a listener whose own input is in the sum must instead get
// its private mix-minus (sum - own, its own encode). A private encoder that resumes after a
// pause loses its first packet (an Opus encoder drains and resets on a gap in its input), so a
// new private branch is fed for `warmupTicks` before the listener is switched to it. The plan
// makes the invariant structural: an input is summed on a tick only if its listener is switched
// to its private branch on that same tick (or it has no listener at all). A talker who becomes
// mixed is therefore heard by the others one warm-up after its private encoder starts (20 ms
// of its first word is not mixed), and leaves the sum on the very tick it goes back to the
// shared stream.
//
// Pure logic, no GStreamer; one call per mixer tick, on the mixer thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace mixmeet::media {

class MixPlan {
public:
    /// What one tick does.
    struct Tick {
        /// Inputs summed into this tick's mixes (the shared one and every private one).
        std::set<std::string> summed;
        /// Listeners that receive their private mix-minus (sum - own) on this tick.
        std::set<std::string> privateSent;
        /// Listeners whose private encoder is fed (sum, own not in it) but not yet sent: they
        /// still receive the shared stream on this tick.
        std::set<std::string> warming;

        /// The listener receives the shared stream on this tick.
        bool onShared(const std::string& listener) const { return !privateSent.count(listener); }
        /// Private encodes fed on this tick.
        std::size_t privateEncodes() const { return privateSent.size() + warming.size(); }
    };

    /// `warmupTicks`: ticks a private branch is fed before its listener is switched to it.
    explicit MixPlan(uint64_t warmupTicks = 1) : warmupTicks_(warmupTicks) {}

    /// Plans tick `tick`. `mixed`: the inputs chosen to be heard (the speakers); `listeners`:
    /// the participants that receive audio (an output). A mixed input whose participant is a
    /// listener is summed only once its private branch is live; one without a listener (not
    /// connected yet) is summed at once. Ticks are expected to be consecutive; a private branch
    /// that was not fed on the previous call warms up again.
    const Tick& update(const std::set<std::string>& mixed, const std::set<std::string>& listeners,
                       uint64_t tick);
    const Tick& last() const { return tick_; }

    /// The invariant, for tests and assertions: no listener on the shared stream has its input
    /// in the sum, and no private mix is sent to a listener that is not on the private branch.
    static bool holds(const Tick& t, const std::set<std::string>& listeners);

private:
    uint64_t warmupTicks_;
    /// Listener -> first tick of its current private run (fed on every tick since).
    std::map<std::string, uint64_t> privateSince_;
    Tick tick_;
};

}  // namespace mixmeet::media
