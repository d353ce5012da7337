#include <catch2/catch.hpp>
#include <glib/gstdio.h>

#include <fstream>

#include "media/Fragments.h"
#include "mixmeet-config.h"

using namespace mixmeet;

TEST_CASE("every shipped pipeline fragment parses into a bin with sink and src", "[fragments]") {
    auto f = media::Fragments::load(std::string(MIXMEET_SOURCE_DIR) + "/pipelines");
    REQUIRE(f.ok());
    REQUIRE(f.value().names().size() >= 5);
    for (const auto& name : f.value().names()) {
        INFO(name);
        auto bin = f.value().makeBin(name, "b");
        REQUIRE(bin.ok());
        core::PadPtr sink = core::PadPtr::adopt(gst_element_get_static_pad(bin.value().get(), "sink"));
        core::PadPtr src = core::PadPtr::adopt(gst_element_get_static_pad(bin.value().get(), "src"));
        CHECK(sink);
        CHECK(src);
    }
}

TEST_CASE("encoder fragments name their encoder element", "[fragments]") {
    auto f = media::Fragments::load(std::string(MIXMEET_SOURCE_DIR) + "/pipelines");
    REQUIRE(f.ok());
    for (const char* name : {media::fragment::kVideoEncodeVp8, media::fragment::kAudioEncodeOpus}) {
        auto bin = f.value().makeBin(name, "b");
        REQUIRE(bin.ok());
        core::ElementPtr enc =
            core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(bin.value().get()), "encoder"));
        CHECK(enc);
    }
}

TEST_CASE("a broken or missing fragment is a config error naming the file", "[fragments]") {
    gchar* dir = g_dir_make_tmp("mixmeet-frag-XXXXXX", nullptr);
    REQUIRE(dir);
    std::string d = dir;
    g_free(dir);
    auto missing = media::Fragments::load(d);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find("missing pipeline fragment") != std::string::npos);
    for (const char* name : {"video-decode-vp8", "video-decode-h264", "audio-decode-opus",
                             "video-encode-vp8", "audio-encode-opus"}) {
        std::ofstream(d + "/" + name + ".pipeline") << "# comment\nidentity\n";
    }
    std::ofstream(d + "/video-encode-vp8.pipeline") << "vp8enc ! nosuchelement\n";
    auto broken = media::Fragments::load(d);
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error().message.find("video-encode-vp8.pipeline") != std::string::npos);
    CHECK_FALSE(media::Fragments::load("/nonexistent-dir").ok());
    for (const char* name : {"video-decode-vp8", "video-decode-h264", "audio-decode-opus",
                             "video-encode-vp8", "audio-encode-opus"})
        g_remove((d + "/" + name + ".pipeline").c_str());
    g_rmdir(d.c_str());
}
