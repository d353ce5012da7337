// The name label drawn on a participant's tile. textoverlay reads its "text" property as Pango
// markup, so a display name such as "<span font='6000'>x</span>" would set the font (a 6000 pt
// glyph took 5.9 s and 160 MB to render), and a bare '<' or '&' breaks the markup. The label
// is therefore the name as escaped, bounded plain text. Pure; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mixmeet::media {

/// Characters (Unicode code points, marks not counted) of a name shown on a tile; longer
/// names are cut and end in "…". With the tile chain's fixed font ("Sans Bold 16", no
/// wrapping) this bounds the label to one line of about 24 em, whatever the name.
constexpr std::size_t kMaxLabelChars = 24;
/// Combining marks kept after each base character (stacked marks, "Zalgo" text, would
/// otherwise grow the label upwards and downwards without bound). Two covers real scripts
/// (e.g. Vietnamese tone + vowel marks).
constexpr std::size_t kMaxMarksPerChar = 2;

/// Pango markup that shows `name` as plain text: control characters dropped, marks limited
/// to kMaxMarksPerChar per character, cut at kMaxLabelChars, then escaped with
/// g_markup_escape_text. Invalid UTF-8 is replaced (g_utf8_make_valid).
std::string tileLabelMarkup(std::string_view name);

}  // namespace mixmeet::media
