// Load shedding: frames that are already late are dropped before the work they would cost.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace mixmeet::media {

/// Frames dropped for lateness, counted by a room's probes (`/api/stats` "late_dropped").
using LateCounter = std::shared_ptr<std::atomic<std::uint64_t>>;

/// What the frames on the probed pad are, which decides what a late one costs to drop.
enum class LateKind {
    /// Raw (decoded) frames: a late frame is dropped alone.
    Raw,
    /// Encoded frames going into a decoder: a late delta frame is dropped, then every frame up
    /// to the next keyframe (they refer to the dropped one), and a keyframe is asked for
    /// upstream (force-key-unit, sent to the sender as RTCP PLI; at most one per 250 ms from
    /// here, and the depayloader's KeyframeThrottle spaces them further). Keyframes always
    /// pass.
    Encoded,
    /// The compositor's output: a late frame is dropped and a QoS event (GStreamer's
    /// underflow QoS, as a sink with qos=true sends) goes back to the compositor, which then
    /// skips composing frames until it has caught up with the clock.
    Composite,
};

/// Adds a buffer probe to `pad` that drops each frame later than `maxDelay`: the pipeline
/// clock's running time now minus the frame's running time (its PTS in the pad's segment).
/// In a live pipeline that is how long ago the frame was captured, received (a jitter buffer
/// stamps frames with their arrival time) or meant to be shown (a live compositor's output);
/// normally a few ms, hundreds when the machine is short of CPU and frames queue up behind a
/// starved thread. Under overload, dropping the late frames before decoding, scaling,
/// composing and encoding them is what keeps the latency bounded: the work that remains is
/// that of the frames still worth showing. Frames without a timestamp, or before the element
/// has a clock, pass. `maxDelay` of 0 adds nothing.
///
/// The probe lives as long as the pad (removed with it when a participant leaves). Any
/// thread.
void addLateFrameDrop(GstPad* pad, std::chrono::milliseconds maxDelay, LateKind kind,
                      LateCounter dropped);

}  // namespace mixmeet::media
