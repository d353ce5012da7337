// Meeting ids: short, readable, hard to guess, e.g. "kqv-hzbm-rwa" (3-4-3 lowercase letters).
// The ten letters come from libsodium's CSPRNG without modulo bias (randombytes_uniform), so an
// id carries 10 * log2(26) ~= 47.0 bits: with a million live meetings, guessing one at random
// takes ~1.4e8 tries on average — far beyond what the per-address rate limit allows. The id is
// a capability only together with the meeting's own checks (allowGuests, login).
// Safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mixmeet::auth {

/// Entropy of a generated id, in bits (10 letters of 26).
constexpr double kMeetingIdBits = 47.0;
/// Length of an id with its dashes.
constexpr std::size_t kMeetingIdChars = 12;

/// A new random id "abc-defg-hij". Aborts the process if libsodium cannot initialise.
/// Collisions are possible (the store reports them as conflict-meeting-id: retry).
std::string generateMeetingId();
/// True for exactly three, four and three lowercase ASCII letters joined by dashes.
bool isValidMeetingId(std::string_view id);
/// What a person typed or pasted into "join by ID" in canonical form: surrounding and inner
/// spaces dropped, letters lowercased, dashes optional ("ABC DEFG HIJ", "abcdefghij").
/// Empty if it does not make a valid id.
std::optional<std::string> normalizeMeetingId(std::string_view input);

}  // namespace mixmeet::auth
