#include "core/Text.h"

#include <glib.h>

namespace mixmeet::core {

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

bool isValidText(const std::string& text, std::size_t maxChars, bool allowNewlines) {
    if (text.empty() || !g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr))
        return false;
    if (g_utf8_strlen(text.c_str(), -1) > static_cast<glong>(maxChars)) return false;
    for (const char* p = text.c_str(); *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (allowNewlines && (c == '\n' || c == '\t')) continue;
        if (g_unichar_iscntrl(c)) return false;
    }
    return true;
}

}  // namespace mixmeet::core
