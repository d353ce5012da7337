#include "auth/PasswordHasher.h"

#include <glib.h>
#include <sodium.h>

#include "auth/Sodium.h"
#include "core/GstPtr.h"

namespace mixmeet::auth {

using core::makeError;

namespace {

/// NFKC form of a UTF-8 password; the bytes unchanged if they are not valid UTF-8 (such a
/// password cannot have passed the strength check, so it only ever fails to verify).
std::string normalize(std::string_view password) {
    if (!g_utf8_validate(password.data(), static_cast<gssize>(password.size()), nullptr))
        return std::string(password);
    core::CharsPtr nfkc(
        g_utf8_normalize(password.data(), static_cast<gssize>(password.size()), G_NORMALIZE_NFKC));
    return nfkc ? std::string(nfkc.get()) : std::string(password);
}

}  // namespace

PasswordHasher::PasswordHasher(HashCost cost)
    : opsLimit_(cost == HashCost::Interactive ? crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE
                                              : crypto_pwhash_argon2id_OPSLIMIT_MIN),
      memLimit_(cost == HashCost::Interactive ? crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE
                                              : crypto_pwhash_argon2id_MEMLIMIT_MIN) {}

core::Result<std::string> PasswordHasher::hash(std::string_view password) const {
    if (password.size() > kMaxPasswordBytes)
        return makeError("invalid",
                         "password longer than " + std::to_string(kMaxPasswordBytes) + " bytes");
    if (!ensureSodium()) return makeError("hash-failed", "libsodium did not initialise");
    std::string input = normalize(password);
    char out[crypto_pwhash_argon2id_STRBYTES];
    if (crypto_pwhash_argon2id_str(out, input.data(), input.size(), opsLimit_, memLimit_) != 0)
        return makeError("hash-failed", "Argon2id hashing failed (out of memory?)");
    sodium_memzero(input.data(), input.size());
    return std::string(out);
}

bool PasswordHasher::verify(std::string_view password, const std::string& hash) const {
    if (password.size() > kMaxPasswordBytes || !ensureSodium()) return false;
    std::string input = normalize(password);
    // The generic verifier reads the algorithm from the string (argon2id or argon2i).
    bool ok = crypto_pwhash_str_verify(hash.c_str(), input.data(), input.size()) == 0;
    sodium_memzero(input.data(), input.size());
    return ok;
}

bool PasswordHasher::needsRehash(const std::string& hash) const {
    if (!ensureSodium()) return true;
    // 0: matches these parameters; 1: different parameters; -1: not an argon2id string.
    return crypto_pwhash_argon2id_str_needs_rehash(hash.c_str(), opsLimit_, memLimit_) != 0;
}

}  // namespace mixmeet::auth
