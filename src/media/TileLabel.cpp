#include "media/TileLabel.h"

#include <glib.h>

#include "core/GstPtr.h"

namespace mixmeet::media {

std::string tileLabelMarkup(std::string_view name) {
    core::CharsPtr valid(g_utf8_make_valid(name.data(), static_cast<gssize>(name.size())));
    std::string plain;
    std::size_t chars = 0;
    std::size_t marks = 0;
    bool cut = false;
    for (const char* p = valid.get(); *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iscntrl(c)) continue;
        if (g_unichar_ismark(c)) {
            if (chars == 0 || ++marks > kMaxMarksPerChar) continue;
        } else {
            if (chars == kMaxLabelChars) {
                cut = true;
                break;
            }
            ++chars;
            marks = 0;
        }
        plain.append(p, static_cast<std::size_t>(g_utf8_next_char(p) - p));
    }
    if (cut) plain += "\u2026";  // HORIZONTAL ELLIPSIS
    core::CharsPtr escaped(g_markup_escape_text(plain.c_str(), static_cast<gssize>(plain.size())));
    return escaped.get();
}

}  // namespace mixmeet::media
