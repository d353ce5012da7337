#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/GstPtr.h"
#include "media/OpusPacket.h"

using namespace mixmeet;
using media::isOpusSilence;
using media::opusFrameCount;
using Bytes = std::vector<std::uint8_t>;

namespace {
/// The Opus payloads of `frames` RTP packets a real libopus encoder (GStreamer's opusenc, as
/// the synthetic peers use) makes of `source`, an audio source description.
std::vector<Bytes> encode(const std::string& source, const std::string& encoder, int frames) {
    const std::string desc = source + " num-buffers=" + std::to_string(frames) +
                             " ! audio/x-raw,rate=48000,channels=1 ! " + encoder +
                             " ! rtpopuspay ! appsink name=out sync=false";
    GError* error = nullptr;
    core::ElementPtr pipeline = core::ElementPtr::adopt(gst_parse_launch(desc.c_str(), &error));
    REQUIRE(pipeline);
    core::ElementPtr sink =
        core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "out"));
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
    std::vector<Bytes> payloads;
    while (GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink.get()))) {
        GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
        if (gst_rtp_buffer_map(gst_sample_get_buffer(sample), GST_MAP_READ, &rtp)) {
            auto* p = static_cast<const std::uint8_t*>(gst_rtp_buffer_get_payload(&rtp));
            payloads.emplace_back(p, p + gst_rtp_buffer_get_payload_len(&rtp));
            gst_rtp_buffer_unmap(&rtp);
        }
        gst_sample_unref(sample);
    }
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    return payloads;
}

std::size_t countSilent(const std::vector<Bytes>& payloads) {
    std::size_t n = 0;
    for (const auto& p : payloads) n += isOpusSilence(p);
    return n;
}
}  // namespace

TEST_CASE("Opus frame count from the TOC byte (RFC 6716 3.1)", "[opus]") {
    CHECK(opusFrameCount(Bytes{}) == 0);
    CHECK(opusFrameCount(Bytes{0x78}) == 1);              // code 0
    CHECK(opusFrameCount(Bytes{0x79, 1, 2}) == 2);        // code 1
    CHECK(opusFrameCount(Bytes{0x7a, 1, 2}) == 2);        // code 2
    CHECK(opusFrameCount(Bytes{0x7b, 0x03, 1, 2}) == 3);  // code 3, 3 frames
    CHECK(opusFrameCount(Bytes{0x7b}) == 0);              // code 3 without its count byte
}

TEST_CASE("hand-made Opus packets: DTX and tiny frames are silence", "[opus]") {
    CHECK(isOpusSilence(Bytes{}));
    CHECK(isOpusSilence(Bytes{0x78}));                             // TOC only: DTX
    CHECK(isOpusSilence(Bytes{0xf8, 0xff, 0xfe}));                 // 3 bytes, one frame
    CHECK_FALSE(isOpusSilence(Bytes(4, 0xf8)));                    // 4 bytes, one frame
    CHECK(isOpusSilence(Bytes{0xfb, 0x03, 1, 2, 3, 4, 5, 6, 7}));  // 3 frames in 9 bytes
    CHECK_FALSE(isOpusSilence(Bytes{0xfb, 0x00, 1, 2, 3, 4, 5}));  // 0 frames: malformed
}

TEST_CASE("real libopus output: silence is told from sound without decoding", "[opus]") {
    // Digital silence (a zeroed or muted microphone) at 20, 40 and 60 ms frames, and at the
    // bitrates browsers use: every packet is silence.
    for (const char* enc : {"opusenc bitrate=32000", "opusenc bitrate=64000 frame-size=40",
                            "opusenc bitrate=32000 frame-size=60", "opusenc bitrate=128000"}) {
        INFO(enc);
        auto silent = encode("audiotestsrc wave=silence", enc, 60);
        REQUIRE(silent.size() > 5);
        CHECK(countSilent(silent) == silent.size());
    }
    // Sound, loud or faint (a tone at -60 dBFS, pink noise at -50 dBFS): never silence.
    for (const char* src :
         {"audiotestsrc wave=sine volume=0.3", "audiotestsrc wave=sine volume=0.001",
          "audiotestsrc wave=pink-noise volume=0.003"}) {
        INFO(src);
        auto sound = encode(src, "opusenc bitrate=32000", 60);
        REQUIRE(sound.size() > 50);
        // The encoder's very first packet may precede the signal (its lookahead).
        CHECK(countSilent(sound) <= 1);
    }
}
