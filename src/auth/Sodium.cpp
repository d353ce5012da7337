#include "auth/Sodium.h"

#include <sodium.h>

namespace mixmeet::auth {

bool ensureSodium() {
    // A function-local static is initialised exactly once, even with concurrent callers.
    static const bool ok = sodium_init() >= 0;  // 0: done now, 1: done before, -1: failure.
    return ok;
}

}  // namespace mixmeet::auth
