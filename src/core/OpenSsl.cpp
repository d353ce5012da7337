#include "core/OpenSsl.h"

#include <openssl/crypto.h>

namespace mixmeet::core {

void skipOpenSslCleanupAtExit() { OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr); }

}  // namespace mixmeet::core
