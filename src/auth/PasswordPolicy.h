// Which passwords an account may have, following NIST SP 800-63B (Digital Identity
// Guidelines, Authentication), section 5.1.1.2 "Memorized Secret Verifiers":
// - at least 8 characters, counted as Unicode code points;
// - long passphrases allowed (NIST: at least 64; we allow up to 256), any printable
//   character including spaces and emoji;
// - no composition rules ("one digit, one symbol") and no forced periodic changes, which
//   NIST advises against;
// - rejected when found in a list of values known to be commonly used or context-specific:
//   the username, the email address or its local part (case-insensitive), a single character
//   repeated, or a small built-in list of the most common passwords.
// Pure; safe from any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/Result.h"

namespace mixmeet::auth {

/// Error code of a rejected password; the message is a sentence for the user.
inline constexpr const char* kWeakPassword = "weak-password";
/// Shortest and longest accepted password, in Unicode code points.
constexpr std::size_t kMinPasswordChars = 8;
constexpr std::size_t kMaxPasswordChars = 256;

/// Ok if `password` may be set for the account with this `email` and `username` (either may
/// be empty when not known yet). Errors: kWeakPassword with a message saying what to change.
core::Status checkPasswordStrength(std::string_view password, std::string_view email,
                                   std::string_view username);

}  // namespace mixmeet::auth
