#include "core/Heap.h"

#include <glib.h>
#include <malloc.h>

namespace mixmeet::core {

int limitHeapArenas(int arenas) {
    if (arenas <= 0 || g_getenv("MALLOC_ARENA_MAX") || g_getenv("GLIBC_TUNABLES")) return 0;
    return mallopt(M_ARENA_MAX, arenas) == 1 ? arenas : 0;
}

void trimHeap() {
    malloc_trim(0);
}

}  // namespace mixmeet::core
