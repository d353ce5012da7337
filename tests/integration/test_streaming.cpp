// Live streaming (issue 15; docs/recording.md, "Live streaming"): the room's one H.264/AAC
// encode pushed to a real RTMP server (Debian's nginx with libnginx-mod-rtmp) and written as
// HLS served at /live/<meeting-id>/; two webrtcbin peers in the meeting. The RTMP server going
// away mid-stream leaves the call flowing; the server retries and the stream comes back.
// The RTMP case is skipped (a WARN) when nginx or its RTMP module is not installed (.ci/run
// installs both).
#include <glib/gstdio.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "ApiClient.h"
#include "RtmpServer.h"
#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "core/GstPtr.h"
#include "media/Teardown.h"
#include "room/RoomLive.h"

using namespace mixmeet;
using namespace mixmeet::testing;
using namespace std::chrono_literals;

namespace {

std::string registration(const std::string& username) {
    return R"({"email":")" + username + R"(@example.org","username":")" + username +
           R"(","displayName":"User )" + username + R"(","password":"correct horse battery"})";
}

std::unique_ptr<SyntheticPeer> joinAs(const TestServer& s, const std::string& meeting,
                                      ApiClient& who, const std::string& name, int pattern,
                                      double tone) {
    PeerOptions o = s.peerOptions(meeting, name);
    o.cookie = who.cookieHeader();
    o.pattern = pattern;
    o.toneHz = tone;
    auto p = std::make_unique<SyntheticPeer>(o);
    p->start();
    return p;
}

bool flowing(const SyntheticPeer& p) {
    return p.connected() && p.videoFramesDecoded() >= 10 && p.audioSamplesReceived() > 48000 / 2;
}

/// What a player pulling the stream back saw.
struct Pulled {
    std::string videoCaps;
    std::string audioCaps;
    std::atomic<int> videoFrames{0};
    std::atomic<int> audioFrames{0};
    std::atomic<uint64_t> firstVideoPts{GST_CLOCK_TIME_NONE};
    std::atomic<uint64_t> lastVideoPts{0};
    long long videoSpanMs() const {
        uint64_t f = firstVideoPts.load(), l = lastVideoPts.load();
        return f == GST_CLOCK_TIME_NONE || l < f ? 0 : static_cast<long long>((l - f) / GST_MSECOND);
    }
};

/// Pulls `location` with rtmp2src and flvdemux until `spanMs` of video came (or 20 s passed).
std::unique_ptr<Pulled> pull(const std::string& location, long long spanMs) {
    auto out = std::make_unique<Pulled>();
    core::ErrorOut err;
    core::ElementPtr p = core::ElementPtr::refSink(gst_parse_launch(
        ("rtmp2src location=" + location +
         " ! flvdemux name=d d.video ! queue ! fakesink name=v sync=false "
         "d.audio ! queue ! fakesink name=a sync=false")
            .c_str(),
        err.out()));
    REQUIRE(p);
    for (const char* name : {"v", "a"}) {
        core::ElementPtr sink = core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(p.get()), name));
        core::PadPtr pad = core::PadPtr::adopt(gst_element_get_static_pad(sink.get(), "sink"));
        bool video = name[0] == 'v';
        gst_pad_add_probe(
            pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
            video ? +[](GstPad*, GstPadProbeInfo* info, gpointer d) noexcept {
                auto* o = static_cast<Pulled*>(d);
                GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info);
                ++o->videoFrames;
                if (GST_BUFFER_PTS_IS_VALID(b)) {
                    uint64_t none = GST_CLOCK_TIME_NONE;
                    o->firstVideoPts.compare_exchange_strong(none, GST_BUFFER_PTS(b));
                    o->lastVideoPts.store(GST_BUFFER_PTS(b));
                }
                return GST_PAD_PROBE_OK;
            }
                  : +[](GstPad*, GstPadProbeInfo*, gpointer d) noexcept {
                        ++static_cast<Pulled*>(d)->audioFrames;
                        return GST_PAD_PROBE_OK;
                    },
            out.get(), nullptr);
    }
    gst_element_set_state(p.get(), GST_STATE_PLAYING);
    waitUntil([&] { return out->videoSpanMs() >= spanMs && out->audioFrames > 0; }, 20s);
    for (const char* name : {"v", "a"}) {
        core::ElementPtr sink = core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(p.get()), name));
        core::PadPtr pad = core::PadPtr::adopt(gst_element_get_static_pad(sink.get(), "sink"));
        if (GstCaps* caps = gst_pad_get_current_caps(pad.get())) {
            gchar* text = gst_caps_to_string(caps);
            (name[0] == 'v' ? out->videoCaps : out->audioCaps) = text;
            g_free(text);
            gst_caps_unref(caps);
        }
    }
    gst_element_set_state(p.get(), GST_STATE_NULL);
    return out;
}

std::string target0State(const room::Room& r) {
    auto st = r.streamingState();
    return st.targets.empty() ? "" : st.targets[0].state;
}

}  // namespace

TEST_CASE("the host streams the meeting to an RTMP server; it comes back after the server does",
          "[streaming][rtmp]") {
    if (RtmpServer::modulePath().empty()) {
        WARN("SKIPPED: nginx with libnginx-mod-rtmp is not installed (scripts/setup.sh --tests "
             "installs both)");
        return;
    }
    const int port = TlsProxy::freePort();
    RtmpServer rtmp(port);
    REQUIRE(rtmp.start());

    TestServer s(false, {}, [](app::Config& c) {
        c.media.streaming.retryMinMs = 300;
        c.media.streaming.retryMaxMs = 1000;
        c.media.streaming.videoBitrateKbps = 800;
    });
    ApiClient host(s.server->port()), guest(s.server->port());
    REQUIRE(host.post("/api/register", registration("streamer")).status == 201);
    REQUIRE(guest.post("/api/register", registration("viewer")).status == 201);
    std::string meeting = host.post("/api/meetings", R"({"title":"Streamed"})").str("meeting.id");
    REQUIRE(!meeting.empty());
    auto a = joinAs(s, meeting, host, "Host", 4, 440.0);
    auto b = joinAs(s, meeting, guest, "Guest", 5, 660.0);
    REQUIRE(waitUntil([&] { return flowing(*a) && flowing(*b); }, 30s));
    room::Room* room = s.room(meeting);
    REQUIRE(room);
    const std::string key = "secret-stream-key-42";

    // Not the host: refused, nothing started.
    b->sendRaw(R"({"type":"stream","action":"add","url":")" + rtmp.url() + R"(","key":")" + key +
               R"("})");
    REQUIRE(waitUntil([&] { return b->hasError("not-host"); }, 5s));
    CHECK(room->elementCount("x264enc") == 0);
    // Bad URLs are refused before anything is built.
    a->sendRaw(R"({"type":"stream","action":"add","url":"http://example.org/","key":"k"})");
    REQUIRE(waitUntil([&] { return a->hasError("bad-message"); }, 5s));

    a->sendRaw(R"({"type":"stream","action":"add","url":")" + rtmp.url() + R"(","key":")" + key +
               R"("})");
    REQUIRE(waitUntil([&] { return target0State(*room) == "live"; }, 15s));
    CHECK(room->elementCount("x264enc") == 1);
    {
        auto st = room->streamingState();
        REQUIRE(st.targets.size() == 1);
        CHECK(st.targets[0].key == room::maskKey(key));
        CHECK(st.targets[0].key.find("stream") == std::string::npos);
    }
    // Both participants are told (with the key masked).
    REQUIRE(waitUntil(
        [&] {
            auto types = b->receivedTypes();
            return std::count(types.begin(), types.end(), "streaming") >= 1;
        },
        5s));

    {  // Pulled back: H.264 and AAC, ~2 s of video.
        auto got = pull(rtmp.url() + "/" + key, 2000);
        INFO("video " << got->videoCaps << " audio " << got->audioCaps << " span "
                      << got->videoSpanMs());
        CHECK(got->videoCaps.find("video/x-h264") == 0);
        CHECK(got->audioCaps.find("audio/mpeg") == 0);
        CHECK(got->audioCaps.find("mpegversion=(int)4") != std::string::npos);
        CHECK(got->videoSpanMs() >= 2000);
        CHECK(got->audioFrames > 20);
    }

    // The server goes away: the stream retries, the call keeps flowing.
    rtmp.stop();
    REQUIRE(waitUntil([&] { return target0State(*room) == "retrying"; }, 15s));
    {
        auto st = room->streamingState();
        CHECK_FALSE(st.targets[0].message.empty());
        CHECK(st.targets[0].message.find(key) == std::string::npos);
    }
    const uint64_t framesA = a->videoFramesDecoded(), framesB = b->videoFramesDecoded();
    REQUIRE(waitUntil(
        [&] {
            return a->videoFramesDecoded() >= framesA + 30 && b->videoFramesDecoded() >= framesB + 30;
        },
        10s));
    CHECK(room->elementCount("x264enc") == 1);  // The encode goes on for the other outputs.

    // Back: the next attempt connects.
    REQUIRE(rtmp.start());
    REQUIRE(waitUntil([&] { return target0State(*room) == "live"; }, 20s));
    {
        auto got = pull(rtmp.url() + "/" + key, 1000);
        CHECK(got->videoSpanMs() >= 1000);
        CHECK(got->audioFrames > 10);
    }

    // Removed: the encode stops with its last output.
    std::string id = room->streamingState().targets[0].id;
    a->sendRaw(R"({"type":"stream","action":"remove","id":")" + id + R"("})");
    REQUIRE(waitUntil([&] { return room->live() && !room->live()->running(); }, 5s));
    REQUIRE(media::Teardown::drain(5000ms));
    CHECK(room->elementCount("x264enc") == 0);
    CHECK(room->streamingState().targets.empty());
    a->leave();
    b->leave();
}

TEST_CASE("HLS of a meeting is served at /live/<id>/ under the host's access rule",
          "[streaming][hls]") {
    gchar* tmp = g_dir_make_tmp("mixmeet-live-XXXXXX", nullptr);
    const std::string dir = tmp;
    g_free(tmp);
    TestServer s(false, {}, [&](app::Config& c) {
        c.media.streaming.directory = dir;
        c.media.streaming.segmentS = 1;
        c.media.streaming.videoBitrateKbps = 800;
    });
    ApiClient host(s.server->port()), guest(s.server->port()), stranger(s.server->port());
    ApiClient anonymous(s.server->port());
    REQUIRE(host.post("/api/register", registration("hlshost")).status == 201);
    REQUIRE(guest.post("/api/register", registration("hlsguest")).status == 201);
    REQUIRE(stranger.post("/api/register", registration("hlsstranger")).status == 201);
    std::string meeting = host.post("/api/meetings", R"({"title":"Watched"})").str("meeting.id");
    REQUIRE(!meeting.empty());
    auto a = joinAs(s, meeting, host, "Host", 4, 440.0);
    auto b = joinAs(s, meeting, guest, "Guest", 5, 660.0);
    REQUIRE(waitUntil([&] { return flowing(*a) && flowing(*b); }, 30s));
    room::Room* room = s.room(meeting);
    REQUIRE(room);
    const std::string base = "/live/" + meeting + "/";

    CHECK(guest.get(base + "index.m3u8").status == 404);  // Not started.
    b->sendRaw(R"({"type":"hls","on":true})");
    REQUIRE(waitUntil([&] { return b->hasError("not-host"); }, 5s));
    a->sendRaw(R"({"type":"hls","on":true,"access":"participants"})");
    REQUIRE(waitUntil([&] { return room->streamingState().hls; }, 5s));
    const std::string meetingDir = dir + "/" + meeting;

    // The playlist lists segments once a few were cut.
    ApiReply playlist;
    REQUIRE(waitUntil(
        [&] {
            playlist = guest.get(base + "index.m3u8");
            return playlist.status == 200 && playlist.body.find("segment00002.ts") != std::string::npos;
        },
        20s));
    CHECK(playlist.contentType.find("application/vnd.apple.mpegurl") == 0);
    CHECK(playlist.body.rfind("#EXTM3U", 0) == 0);
    auto segment = guest.get(base + "segment00001.ts");
    CHECK(segment.status == 200);
    CHECK(segment.contentType == "video/mp2t");
    CHECK(segment.body.size() > 1000);
    CHECK(static_cast<unsigned char>(segment.body[0]) == 0x47);  // MPEG-TS sync byte.

    // Participants only: others are refused; no other names or paths are served.
    CHECK(stranger.get(base + "index.m3u8").status == 403);
    CHECK(stranger.get(base + "segment00001.ts").status == 403);
    CHECK(anonymous.get(base + "index.m3u8").status == 401);
    CHECK(guest.get(base + "../" + meeting + "/index.m3u8").status == 404);
    CHECK(guest.get(base + "%2e%2e/index.m3u8").status == 404);
    CHECK(guest.get(base + "nginx.conf").status == 404);
    CHECK(guest.get(base + "segment0001.ts").status == 404);
    CHECK(guest.get("/live/" + meeting + "x/index.m3u8").status == 404);

    // Anyone with the link.
    a->sendRaw(R"({"type":"hls","on":true,"access":"anyone"})");
    REQUIRE(waitUntil([&] { return room->streamingState().hlsAccess == "anyone"; }, 5s));
    CHECK(anonymous.get(base + "index.m3u8").status == 200);
    CHECK(stranger.get(base + "segment00001.ts").status == 200);

    // Stopped: nothing served, segments deleted, the encode gone.
    a->sendRaw(R"({"type":"hls","on":false})");
    REQUIRE(waitUntil([&] { return !room->streamingState().hls; }, 5s));
    CHECK(anonymous.get(base + "index.m3u8").status == 404);
    REQUIRE(media::Teardown::drain(5000ms));
    CHECK_FALSE(g_file_test(meetingDir.c_str(), G_FILE_TEST_EXISTS));
    CHECK(room->elementCount("x264enc") == 0);
    a->leave();
    b->leave();
    g_rmdir(dir.c_str());
}
