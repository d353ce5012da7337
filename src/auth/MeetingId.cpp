#include "auth/MeetingId.h"

#include <glib.h>
#include <sodium.h>

#include "auth/Sodium.h"

namespace mixmeet::auth {

namespace {

constexpr std::size_t kGroups[] = {3, 4, 3};

bool isLower(char c) {
    return c >= 'a' && c <= 'z';
}

}  // namespace

std::string generateMeetingId() {
    if (!ensureSodium()) g_error("libsodium did not initialise: no secure randomness");
    std::string id;
    id.reserve(kMeetingIdChars);
    for (std::size_t g = 0; g < std::size(kGroups); ++g) {
        if (g > 0) id.push_back('-');
        for (std::size_t i = 0; i < kGroups[g]; ++i)
            id.push_back(static_cast<char>('a' + randombytes_uniform(26)));
    }
    return id;
}

bool isValidMeetingId(std::string_view id) {
    if (id.size() != kMeetingIdChars) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        bool dash = i == 3 || i == 8;
        if (dash ? id[i] != '-' : !isLower(id[i])) return false;
    }
    return true;
}

std::optional<std::string> normalizeMeetingId(std::string_view input) {
    std::string letters;
    for (char c : input) {
        if (c == ' ' || c == '\t' || c == '-') continue;
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (!isLower(c)) return std::nullopt;
        letters.push_back(c);
        if (letters.size() > 10) return std::nullopt;
    }
    if (letters.size() != 10) return std::nullopt;
    std::string id = letters.substr(0, 3) + "-" + letters.substr(3, 4) + "-" + letters.substr(7);
    return id;
}

}  // namespace mixmeet::auth
