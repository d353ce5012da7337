// Display names on tiles are plain text: markup is escaped, length bounded (media/TileLabel.h).
#include <pango/pango.h>

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
