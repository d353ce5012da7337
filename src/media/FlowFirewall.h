// Flow firewalls: pads whose chain function never returns a flow error (FLUSHING, EOS,
// NOT_NEGOTIATED, ERROR) to the element that pushed into them. What failed behind one is
// that branch's own business; the shared element in front of it carries on.
//
// Why: a tee returns the first fatal flow of any of its src pads to its own upstream (GStreamer
// 1.22 gsttee.c, gst_tee_handle_data: "stop pushing more buffers when we have a fatal error"),
// and an aggregator (compositor) pauses its source task for good on any non-OK flow from
// downstream. So one viewer's webrtcbin returning FLUSHING, or a recording's full disk, came
// back through a queue (a queue returns its task's last flow from then on) into the tier tee,
// the tier's encoder, the composite tee and the compositor: the whole layout stopped for every
// viewer, and the tiles' serialized queries then blocked every decoder in the room (the
// soak's stalled rooms, docs/reliability.md). gst-plugins-rs webrtcsink and our LiveEncoder
// targets guard their tees the same way.
//
// Every flow absorbed is counted by kind (absorbedFlows) for /api/stats and /metrics; the
// first of each pad is logged with the pad's path.
//
// Threads: install on the main thread before the pad streams; the chain functions run on
// streaming threads and touch only atomics.
#pragma once

#include <gst/gst.h>

#include <array>
#include <cstdint>
#include <functional>

#include "core/GstPtr.h"

namespace mixmeet::media {

/// Called on the streaming thread with a flow other than FLUSHING that a firewall absorbed:
/// the branch behind it has stopped (its queue returns that flow from now on). Must not block;
/// post to the main context to act on it.
using BranchStopped = std::function<void(GstFlowReturn)>;

/// Ghosts `target` (a sink pad of an element inside `bin`) as a sink pad `name` on `bin`,
/// as a firewall; `stopped` (optional) hears of each absorbed flow other than FLUSHING. Null
/// pad on failure.
core::PadPtr firewallGhost(GstElement* bin, GstPad* target, const char* name,
                           BranchStopped stopped = {});
/// The same for `element`'s static pad "sink".
core::PadPtr firewallGhost(GstElement* bin, GstElement* element, const char* name);

/// Makes `sinkPad` (an element's own sink pad, not yet streaming) a firewall by wrapping its
/// chain function: for a branch whose queue must survive what its sink returns (a viewer's
/// queue stays alive through its webrtcbin flushing). false, and the pad left as it was, if
/// its chain function has data of its own.
bool firewallSinkPad(GstPad* sinkPad);

/// Flows absorbed since the process started, by kind.
struct AbsorbedFlows {
    std::uint64_t flushing = 0;
    std::uint64_t eos = 0;
    std::uint64_t notNegotiated = 0;
    std::uint64_t error = 0;  ///< GST_FLOW_ERROR and every other error flow
    std::uint64_t total() const { return flushing + eos + notNegotiated + error; }
};
AbsorbedFlows absorbedFlows();

}  // namespace mixmeet::media
