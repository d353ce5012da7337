// libsodium initialisation, done once per process.
#pragma once

namespace mixmeet::auth {

/// Calls sodium_init() the first time (thread-safe; later calls are free). Every function in
/// auth/ that uses libsodium calls it, so callers need not. Returns false if libsodium cannot
/// initialise (no entropy source): nothing in auth/ is safe to use then.
bool ensureSodium();

}  // namespace mixmeet::auth
