// Display names on tiles are plain text: markup is escaped, length bounded (media/TileLabel.h).
#include <pango/pangocairo.h>

#include <catch2/catch.hpp>

#include <string>

#include "media/TileLabel.h"

using mixmeet::media::kMaxLabelChars;
using mixmeet::media::tileLabelMarkup;

namespace {
/// What Pango shows for `markup` (as textoverlay parses its "text"), and whether it set any
/// attribute (font, size, colour...). Fails the test on markup Pango rejects.
std::string shown(const std::string& markup, bool* styled = nullptr) {
    PangoAttrList* attrs = nullptr;
    char* text = nullptr;
    GError* error = nullptr;
    bool ok = pango_parse_markup(markup.c_str(), -1, 0, &attrs, &text, nullptr, &error);
    INFO(markup << ": " << (error ? error->message : ""));
    REQUIRE(ok);
    std::string out = text;
    if (styled) {
        PangoAttrIterator* it = pango_attr_list_get_iterator(attrs);
        GSList* list = pango_attr_iterator_get_attrs(it);
        *styled = list != nullptr;
        g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(pango_attribute_destroy));
        pango_attr_iterator_destroy(it);
    }
    pango_attr_list_unref(attrs);
    g_free(text);
    return out;
}
}  // namespace

TEST_CASE("tile labels show markup in names as text", "[hostile][signaling][label]") {
    bool styled = true;
    CHECK(shown(tileLabelMarkup("<span font='60'>x</span>"), &styled) ==
          "<span font='60'>x</span>");
    CHECK_FALSE(styled);
    styled = true;
    CHECK(shown(tileLabelMarkup("<span font='6000'>x</span>"), &styled) ==
          "<span font='6000'>x</spa\u2026");
    CHECK_FALSE(styled);
    CHECK(shown(tileLabelMarkup("Tom & Jerry <3")) == "Tom & Jerry <3");
    CHECK(shown(tileLabelMarkup("<b>bold</b>"), &styled) == "<b>bold</b>");
    CHECK_FALSE(styled);
    CHECK(shown(tileLabelMarkup("Ada")) == "Ada");
    CHECK(shown(tileLabelMarkup("Zoë Ng")) == "Zoë Ng");
}

TEST_CASE("tile labels are bounded in characters and stacked marks",
          "[hostile][signaling][label]") {
    std::string longName(64, 'W');
    std::string label = shown(tileLabelMarkup(longName));
    CHECK(g_utf8_strlen(label.c_str(), -1) == static_cast<long>(kMaxLabelChars) + 1);
    CHECK(label.substr(label.size() - 3) == "\u2026");
    // "Zalgo": one letter with 60 combining marks keeps two.
    std::string zalgo = "Z";
    for (int i = 0; i < 60; ++i) zalgo += "\u0336";
    CHECK(g_utf8_strlen(shown(tileLabelMarkup(zalgo)).c_str(), -1) == 3);
    CHECK(shown(tileLabelMarkup("a\tb\x01")) == "ab");
    CHECK(shown(tileLabelMarkup(std::string("bad\xff utf8"))) == "bad\uFFFD utf8");
}

namespace {
/// Size in pixels of `markup` laid out as the tile chain draws it: "Sans Bold 16", one line.
std::pair<int, int> pixelSize(const std::string& markup) {
    PangoContext* context = pango_font_map_create_context(pango_cairo_font_map_get_default());
    PangoLayout* layout = pango_layout_new(context);
    PangoFontDescription* font = pango_font_description_from_string("Sans Bold 16");
    pango_layout_set_font_description(layout, font);
    pango_layout_set_markup(layout, markup.c_str(), -1);
    int width = 0, height = 0;
    pango_layout_get_pixel_size(layout, &width, &height);
    pango_font_description_free(font);
    g_object_unref(layout);
    g_object_unref(context);
    return {width, height};
}
}  // namespace

TEST_CASE("tile labels are bounded in pixels", "[hostile][signaling][label]") {
    const auto [emWidth, lineHeight] = pixelSize("M");
    REQUIRE(lineHeight > 0);
    // The name that took seconds and 160 MB per frame when read as markup.
    const std::string big = "<span font='6000'>x</span>";
    CHECK(pixelSize(big).second > 50 * lineHeight);  // what the unescaped name did
    std::string ligatures, emoji, zalgo = "Z";
    for (int i = 0; i < 64; ++i) ligatures += "\uFDFD";  // the widest single code point
    for (int i = 0; i < 64; ++i) emoji += "\U0001F600";
    for (int i = 0; i < 60; ++i) zalgo += "\u030D";
    for (const std::string& name :
         {big, std::string(64, 'W'), ligatures, emoji, zalgo, std::string("&<>&<>")}) {
        auto [w, h] = pixelSize(tileLabelMarkup(name));
        INFO(name << ": " << w << "x" << h << " px (M: " << emWidth << "x" << lineHeight << ")");
        CHECK(h <= 2 * lineHeight);
        CHECK(w <= static_cast<int>(kMaxLabelChars + 1) * 3 * emWidth);
    }
}
