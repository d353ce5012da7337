#include "auth/PasswordPolicy.h"

#include <glib.h>

#include <algorithm>
#include <string>

#include "auth/PasswordHasher.h"
#include "core/GstPtr.h"

namespace mixmeet::auth {

namespace {

// The most common passwords of 8+ characters in public breach corpora (e.g. the top of
// SecLists' 10-million list). Lowercase; compared after case folding. A full breach list
// (NIST's "passwords obtained from previous breach corpuses") would need a data file; this
// catches the worst offenders.
constexpr std::string_view kCommon[] = {
    "password",   "password1",  "password12", "password123", "passw0rd",   "p@ssw0rd", "12345678",
    "123456789",  "1234567890", "0123456789", "87654321",    "12341234",   "11223344", "qwertyui",
    "qwertyuiop", "qwerty123",  "qwerty12",   "1q2w3e4r",    "1q2w3e4r5t", "1qaz2wsx", "zaq12wsx",
    "asdfghjkl",  "asdfasdf",   "abcd1234",   "abc12345",    "abcdefgh",   "iloveyou", "sunshine",
    "princess",   "football",   "baseball",   "welcome1",    "letmein1",   "trustno1", "superman",
    "starwars",   "whatever",   "computer",   "michelle",    "corvette",   "mixmeet1", "changeme",
};

/// Case-folded copy, for case-insensitive comparison (UTF-8 aware).
std::string fold(std::string_view s) {
    core::CharsPtr folded(g_utf8_casefold(s.data(), static_cast<gssize>(s.size())));
    return folded ? std::string(folded.get()) : std::string(s);
}

core::Error weak(const char* message) {
    return core::makeError(kWeakPassword, message);
}

}  // namespace

core::Status checkPasswordStrength(std::string_view password, std::string_view email,
                                   std::string_view username) {
    if (!g_utf8_validate(password.data(), static_cast<gssize>(password.size()), nullptr))
        return weak("The password contains invalid characters.");
    const auto chars = static_cast<std::size_t>(
        g_utf8_strlen(password.data(), static_cast<gssize>(password.size())));
    if (chars < kMinPasswordChars) return weak("The password must be at least 8 characters long.");
    if (chars > kMaxPasswordChars || password.size() > PasswordHasher::kMaxPasswordBytes)
        return weak("The password must be at most 256 characters long.");

    // All one character: compare every code point with the first.
    const gunichar first = g_utf8_get_char(password.data());
    bool allSame = true;
    for (const char* p = password.data(); p < password.data() + password.size();
         p = g_utf8_next_char(p)) {
        if (g_utf8_get_char(p) != first) {
            allSame = false;
            break;
        }
    }
    if (allSame) return weak("The password cannot be one character repeated.");

    const std::string folded = fold(password);
    std::string_view localPart = email.substr(0, email.find('@'));
    for (std::string_view personal : {username, email, localPart}) {
        if (!personal.empty() && folded == fold(personal))
            return weak("The password cannot be your username or email address.");
    }
    if (std::find(std::begin(kCommon), std::end(kCommon), folded) != std::end(kCommon))
        return weak("This password is too common. Choose a less predictable one.");
    return core::Ok{};
}

}  // namespace mixmeet::auth
