// Opaque random tokens for session cookies, password-reset links and CSRF protection, and the
// hash under which the store keeps them.
//
// Tokens carry 256 bits from libsodium's CSPRNG, so a fast unsalted SHA-256 is the right
// storage hash: there is nothing to brute-force, and a leaked database does not yield usable
// cookies or reset links. (Passwords, which are guessable, use PasswordHasher instead.)
// Safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mixmeet::auth {

/// Random bytes in a token.
constexpr std::size_t kTokenBytes = 32;
/// Length of a token: URL-safe base64 of kTokenBytes without padding.
constexpr std::size_t kTokenChars = 43;
/// Length of hashToken()'s result: SHA-256 in lowercase hex.
constexpr std::size_t kTokenHashChars = 64;

/// A new random token: kTokenChars characters of [A-Za-z0-9_-], safe in URLs and cookies.
/// Aborts the process if libsodium cannot initialise (a server without randomness must not
/// hand out credentials).
std::string generateToken();
/// A new CSRF token (same form as generateToken(); kept separate so the two uses can diverge).
std::string generateCsrfToken();
/// SHA-256 of the token's bytes as lowercase hex: what the store keeps. Deterministic.
std::string hashToken(std::string_view token);
/// Compares in time independent of where the strings differ (sodium_memcmp). Only the
/// lengths leak, which are public for our tokens.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace mixmeet::auth
