#include "auth/Tokens.h"

#include <glib.h>
#include <sodium.h>

#include <memory>

#include "auth/Sodium.h"
#include "core/GstPtr.h"

namespace mixmeet::auth {

namespace {

struct ChecksumDeleter {
    void operator()(GChecksum* c) const { g_checksum_free(c); }
};
using ChecksumPtr = std::unique_ptr<GChecksum, ChecksumDeleter>;

}  // namespace

std::string generateToken() {
    if (!ensureSodium()) g_error("libsodium did not initialise: no secure randomness");
    unsigned char bytes[kTokenBytes];
    randombytes_buf(bytes, sizeof bytes);
    char out[sodium_base64_ENCODED_LEN(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(out, sizeof out, bytes, sizeof bytes,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(bytes, sizeof bytes);
    return std::string(out);
}

std::string generateCsrfToken() {
    return generateToken();
}

std::string hashToken(std::string_view token) {
    ChecksumPtr sum(g_checksum_new(G_CHECKSUM_SHA256));
    g_checksum_update(sum.get(), reinterpret_cast<const guchar*>(token.data()),
                      static_cast<gssize>(token.size()));
    return std::string(g_checksum_get_string(sum.get()));  // Lowercase hex, owned by `sum`.
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace mixmeet::auth
