// Keeps serialized queries (ALLOCATION, DRAIN) out of a queue that a branch is torn down
// through at any moment: the probe answers them at the queue's sink pad, in the caller's
// thread, as "no preference" (the upstream element then allocates from its own pool).
//
// Why: a serialized query waits inside a queue until the queue's streaming thread takes it,
// then travels on downstream. A decoder's ALLOCATION query goes through the decoded tee into
// every tile chain and on to each compositor's sink pad, where the aggregator holds it until
// its own thread runs: one slow or paused compositor blocked every participant's decoder
// (soak backtrace, docs/reliability.md), and a query still inside a queue when its branch was
// torn down came out of GStreamer 1.22's queue as freed memory ("Unexpected item dequeued from
// queue queue (refcounting problem?)"), then an "Internal data stream error" that dropped a
// participant (e2e-meeting-ui, unpinning). Nothing downstream of these queues uses the
// answer: the tile chain converts and scales, the tier scales and encodes.
#pragma once

#include <gst/gst.h>

namespace mixmeet::media {

/// Adds the probe to `sinkPad` (a queue's sink pad). It stays until the pad is freed.
void fenceSerializedQueries(GstPad* sinkPad);

}  // namespace mixmeet::media
