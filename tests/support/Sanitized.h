// Whether this test binary is built with AddressSanitizer (scripts/sanitize.sh). Under ASan
// the server runs 2-5x slower and keeps freed memory in quarantine, so latency and memory
// bounds measured in-process say nothing about the product: tests keep exercising the code
// (that is what the sanitizer run is for) and skip only those figures.
#pragma once

namespace mixmeet::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

}  // namespace mixmeet::testing
