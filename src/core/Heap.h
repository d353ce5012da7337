// glibc heap settings for a process with many threads. Every thread that allocates gets its
// own malloc arena (up to 8 per core), and memory freed into an arena is kept for reuse: a
// room's streaming threads left ~32 MB each behind after the room ended (docs/performance.md,
// "Memory retained per room"). Main thread, or any thread for trimHeap().
#pragma once

namespace mixmeet::core {

/// Caps glibc's malloc arenas at `arenas` (mallopt M_ARENA_MAX), unless the admin chose a
/// value with the MALLOC_ARENA_MAX environment variable or GLIBC_TUNABLES. Call first thing
/// in main(), before threads start. 0 leaves glibc's default. Returns the cap set, or 0.
int limitHeapArenas(int arenas);
/// Returns free heap memory to the system (malloc_trim): after a room's pipeline is freed.
/// Takes a few ms; call off the main thread.
void trimHeap();

}  // namespace mixmeet::core
