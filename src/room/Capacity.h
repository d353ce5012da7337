// Whether the process has the resources for one more room or participant. A room is a whole
// GStreamer pipeline (threads, descriptors for its wake-ups and sockets, memory): building one
// with descriptors or threads running out used to kill the server (GLib aborts when it cannot
// create a GWakeup's pipe; webrtcbin's g_thread_new aborts too), so joins are refused before
// that, with error "server-busy", keeping a reserve for everything else.
// Pure: the registry passes a sample of the process (core/ProcessResources.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/ProcessResources.h"

namespace mixmeet::room {

/// Admin limits on rooms ([limits] in the config file).
struct Limits {
    /// Live rooms at most ([limits] max_rooms); the next new room gets "room-limit". A room
    /// with a few people costs about a quarter of a core (docs/performance.md), an idle one
    /// ~10 % and ~15 threads: 8 fill a 2-core machine.
    int maxRooms = 8;
};

/// What one more room or participant takes of each limited resource.
struct ResourceCost {
    std::uint64_t fds = 0;
    std::uint64_t threads = 0;
    std::uint64_t addressSpaceBytes = 0;
};

namespace cost {
// Measured on the real binary (640x360 composite, one ICE address, no TURN, two malloc
// arenas; /proc/PID/fd and /proc/PID/status): an idle server holds 11 descriptors and 5
// threads; each participant added 23 descriptors, 15-16 threads and 115-130 MB of address
// space (thread stacks are 8 MB each); a new room's own pipeline 5 descriptors, 5 threads and
// ~40 MB. The costs below add about a third for margin: more ICE addresses or a TURN relay
// add sockets.
/// A new room's pipeline, without its participants.
inline constexpr ResourceCost kRoom{8, 8, 64ull << 20};
/// One participant (webrtcbin, ICE agent, DTLS, decoders, its send branches).
inline constexpr ResourceCost kParticipant{32, 24, 192ull << 20};
/// Kept free for everything else: HTTP and WebSocket connections being accepted, SQLite,
/// logs, GLib and GStreamer internals, and a participant's sockets that open after its join
/// (ICE candidates gathered, a TURN relay).
inline constexpr ResourceCost kReserve{64, 64, 256ull << 20};
}  // namespace cost

/// Nothing if `need` fits under the limits in `usage` with cost::kReserve to spare; else
/// which resource is short, for logs.
std::optional<std::string> shortfall(const core::ProcessResources& usage, const ResourceCost& need);

}  // namespace mixmeet::room
