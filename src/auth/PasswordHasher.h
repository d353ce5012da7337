// Password hashing with Argon2id (libsodium crypto_pwhash_argon2id_str). The result is a
// self-describing PHC string ("$argon2id$v=19$m=...,t=...,p=1$salt$hash") holding its own random
// salt and cost, so hashes made with an older cost still verify; needsRehash() tells when to
// re-hash at the next successful login.
//
// Passwords are normalised to Unicode NFKC before hashing (NIST SP 800-63B, 5.1.1.2), so the
// same password typed on different keyboards (composed vs decomposed accents) matches.
//
// Stateless apart from the cost; safe from any thread. Hashing is deliberately slow (tens of
// ms, 64 MiB at Interactive): call it where blocking that long is acceptable.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/Result.h"

namespace mixmeet::auth {

enum class HashCost {
    /// libsodium's INTERACTIVE limits (2 passes, 64 MiB): for the server.
    Interactive,
    /// The smallest limits Argon2id accepts (1 pass, 8 KiB): tests only, never production.
    Minimum,
};

class PasswordHasher {
public:
    /// Longest password accepted, in bytes (bounds the work an attacker can make us do).
    static constexpr std::size_t kMaxPasswordBytes = 1024;

    explicit PasswordHasher(HashCost cost = HashCost::Interactive);

    /// Hashes with a fresh random salt. Errors: "invalid" (longer than kMaxPasswordBytes),
    /// "hash-failed" (out of memory, or libsodium could not initialise).
    core::Result<std::string> hash(std::string_view password) const;
    /// True if `password` matches `hash`. False for a wrong password and for a malformed hash.
    /// Takes constant time with respect to the password (libsodium).
    bool verify(std::string_view password, const std::string& hash) const;
    /// True if `hash` was made with a different algorithm or cost than this hasher uses.
    bool needsRehash(const std::string& hash) const;

private:
    unsigned long long opsLimit_;
    std::size_t memLimit_;  // Bytes.
};

}  // namespace mixmeet::auth
