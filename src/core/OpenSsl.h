// Process-wide OpenSSL setting (libcrypto is loaded by GStreamer's DTLS elements and libcurl).
#pragma once

namespace mixmeet::core {

/// Stops libcrypto from registering its atexit OPENSSL_cleanup(). Call first thing in main(),
/// before anything uses OpenSSL. That cleanup frees OpenSSL's global state while GStreamer's
/// threads (DTLS, SRTP) may still hold thread-local OpenSSL state; after a large room it
/// crashed the server on exit ("free(): invalid pointer" in OPENSSL_cleanup, seen under
/// AddressSanitizer). The OS reclaims the memory at exit anyway. OPENSSL_INIT_NO_ATEXIT:
/// OpenSSL 3.0 manual, OPENSSL_init_crypto(3).
void skipOpenSslCleanupAtExit();

}  // namespace mixmeet::core
