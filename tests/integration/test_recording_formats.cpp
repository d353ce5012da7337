// Recording formats and behaviour (issue 15, docs/recording.md): audio-only WebM, MP4 (H.264/AAC
// from the meeting's one live encode, fragmented so a kill -9 leaves a playable file), the
// recording and the live encode following the meeting layout (a share mid-recording shows in
// the file's late frames), stale HLS directories removed at start-up, and guests of a meeting
// watching its participants-only HLS. Real webrtcbin peers; files checked by demuxing and
// decoding them as the [recording] tests do.
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <signal.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ApiClient.h"
#include "ServerProcess.h"
#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "core/GstPtr.h"
#include "media/Layout.h"
#include "media/Recorder.h"
#include "media/Teardown.h"

using namespace mixmeet;
using namespace mixmeet::testing;
using namespace std::chrono_literals;

namespace {

// videotestsrc patterns.
constexpr int kRed = 4, kGreen = 5, kBlue = 6;

std::string registration(const std::string& username) {
    return R"({"email":")" + username + R"(@example.org","username":")" + username +
           R"(","displayName":"User )" + username + R"(","password":"correct horse battery"})";
}

enum class Container { Webm, WebmAudio, Mp4 };

/// What demuxing and decoding a recording gave.
struct Decoded {
    std::vector<std::string> tracks;  ///< The demuxer's pads' caps names, as they came.
    int videoFrames = 0;
    int width = 0;
    int height = 0;
    long long audioSamples = 0;  ///< Per channel, 48 kHz.
    long long videoSpanMs = 0;   ///< First to last decoded frame's timestamp.
    Frame first;                 ///< First and last decoded frames (RGB).
    Frame last;
    bool error = false;
    uint64_t firstPts = GST_CLOCK_TIME_NONE;
    std::mutex lock;
};

Frame toFrame(GstSample* sample) {
    Frame f;
    GstVideoInfo info;
    if (!gst_video_info_from_caps(&info, gst_sample_get_caps(sample))) return f;
    GstVideoFrame vf;
    if (!gst_video_frame_map(&vf, &info, gst_sample_get_buffer(sample), GST_MAP_READ)) return f;
    f.width = GST_VIDEO_INFO_WIDTH(&info);
    f.height = GST_VIDEO_INFO_HEIGHT(&info);
    f.rgb.resize(static_cast<std::size_t>(f.width) * f.height * 3);
    const auto* data = static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&vf, 0));
    const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0);
    for (int y = 0; y < f.height; ++y)
        std::copy_n(data + static_cast<std::size_t>(y) * stride, f.width * 3,
                    f.rgb.begin() + static_cast<std::ptrdiff_t>(y) * f.width * 3);
    gst_video_frame_unmap(&vf);
    return f;
}

/// Demuxes and decodes `path` to the end.
std::unique_ptr<Decoded> decode(const std::string& path, Container c) {
    auto d = std::make_unique<Decoded>();
    std::string video, audio, demux;
    switch (c) {
        case Container::Webm:
        case Container::WebmAudio:
            demux = "matroskademux";
            video = "vp8dec";
            audio = "opusdec";
            break;
        case Container::Mp4:
            demux = "qtdemux";
            video = "h264parse ! avdec_h264";
            audio = "aacparse ! avdec_aac";
            break;
    }
    std::string launch = "filesrc location=\"" + path + "\" ! " + demux + " name=d ";
    if (c != Container::WebmAudio)
        launch += "d.video_0 ! queue ! " + video +
                  " ! videoconvert ! video/x-raw,format=RGB ! appsink name=v sync=false ";
    launch += "d.audio_0 ! queue ! " + audio +
              " ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=48000 ! appsink "
              "name=a sync=false";
    core::ErrorOut err;
    core::ElementPtr p = core::ElementPtr::refSink(gst_parse_launch(launch.c_str(), err.out()));
    REQUIRE(p);
    core::ElementPtr dm = core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(p.get()), "d"));
    g_signal_connect(
        dm.get(), "pad-added", G_CALLBACK(+[](GstElement*, GstPad* pad, gpointer data) {
            auto* d = static_cast<Decoded*>(data);
            GstCaps* caps = gst_pad_get_current_caps(pad);
            std::lock_guard<std::mutex> hold(d->lock);
            d->tracks.push_back(caps ? gst_structure_get_name(gst_caps_get_structure(caps, 0))
                                     : GST_PAD_NAME(pad));
            if (caps) gst_caps_unref(caps);
        }),
        d.get());
    if (c != Container::WebmAudio) {
        core::ElementPtr v = core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(p.get()), "v"));
        GstAppSinkCallbacks vc{};
        vc.new_sample = [](GstAppSink* s, gpointer data) -> GstFlowReturn {
            auto* d = static_cast<Decoded*>(data);
            core::SamplePtr sample(gst_app_sink_pull_sample(s));
            if (!sample) return GST_FLOW_OK;
            GstBuffer* b = gst_sample_get_buffer(sample.get());
            std::lock_guard<std::mutex> hold(d->lock);
            Frame f = toFrame(sample.get());
            d->width = f.width;
            d->height = f.height;
            if (d->videoFrames++ == 0) {
                d->first = f;
                d->firstPts = GST_BUFFER_PTS(b);
            }
            d->last = std::move(f);
            if (GST_BUFFER_PTS_IS_VALID(b) && d->firstPts != GST_CLOCK_TIME_NONE)
                d->videoSpanMs =
                    static_cast<long long>((GST_BUFFER_PTS(b) - d->firstPts) / GST_MSECOND);
            return GST_FLOW_OK;
        };
        gst_app_sink_set_callbacks(GST_APP_SINK(v.get()), &vc, d.get(), nullptr);
    }
    core::ElementPtr a = core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(p.get()), "a"));
    GstAppSinkCallbacks ac{};
    ac.new_sample = [](GstAppSink* s, gpointer data) -> GstFlowReturn {
        auto* d = static_cast<Decoded*>(data);
        core::SamplePtr sample(gst_app_sink_pull_sample(s));
        if (!sample) return GST_FLOW_OK;
        GstStructure* st = gst_caps_get_structure(gst_sample_get_caps(sample.get()), 0);
        int channels = 1;
        gst_structure_get_int(st, "channels", &channels);
        std::lock_guard<std::mutex> hold(d->lock);
        d->audioSamples += static_cast<long long>(
            gst_buffer_get_size(gst_sample_get_buffer(sample.get())) / (2 * channels));
        return GST_FLOW_OK;
    };
    gst_app_sink_set_callbacks(GST_APP_SINK(a.get()), &ac, d.get(), nullptr);
    gst_element_set_state(p.get(), GST_STATE_PLAYING);
    core::GPtr<GstBus> bus = core::GPtr<GstBus>::adopt(gst_element_get_bus(p.get()));
    core::MessagePtr msg(gst_bus_timed_pop_filtered(
        bus.get(), 60 * GST_SECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
    d->error = !msg || GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR;
    gst_element_set_state(p.get(), GST_STATE_NULL);
    return d;
}

std::unique_ptr<SyntheticPeer> joinAs(const TestServer& s, const std::string& meeting,
                                      ApiClient* who, const std::string& name, int pattern,
                                      double tone, int screen = -1) {
    PeerOptions o = s.peerOptions(meeting, name);
    if (who) o.cookie = who->cookieHeader();
    o.pattern = pattern;
    o.toneHz = tone;
    o.screenPattern = screen;
    auto p = std::make_unique<SyntheticPeer>(o);
    p->start();
    return p;
}

bool flowing(const SyntheticPeer& p) {
    return p.connected() && p.videoFramesDecoded() >= 10 && p.audioSamplesReceived() > 48000 / 2;
}

long long recordedMs(room::Room* room) {
    const auto* r = room->recording();
    return r ? r->durationMs() : -1;
}

bool hasTrack(const Decoded& d, const std::string& caps) {
    return std::find(d.tracks.begin(), d.tracks.end(), caps) != d.tracks.end();
}

/// The screen rectangle of `layout` shows `rgb` (+-60 per channel) in its centre.
bool screenShows(const Frame& f, const protocol::LayoutTile& screen, std::array<int, 3> rgb,
                 std::string& seen) {
    auto centre =
        f.mean(screen.x + screen.width / 2 - 20, screen.y + screen.height / 2 - 20, 40, 40);
    seen = "centre " + std::to_string(centre[0]) + "," + std::to_string(centre[1]) + "," +
           std::to_string(centre[2]);
    for (int c = 0; c < 3; ++c)
        if (std::abs(centre[c] - rgb[c]) > 60) return false;
    return true;
}

void removeRecording(const std::string& path) {
    g_remove(path.c_str());
    g_remove((path + ".vtt").c_str());
}

}  // namespace

TEST_CASE("the host records audio only: Opus alone in WebM, listed and downloadable with its chat",
          "[recording][audio]") {
    TestServer s(false);
    ApiClient host(s.server->port()), guest(s.server->port()), stranger(s.server->port());
    REQUIRE(host.post("/api/register", registration("audiohost")).status == 201);
    REQUIRE(guest.post("/api/register", registration("audioguest")).status == 201);
    REQUIRE(stranger.post("/api/register", registration("audiostranger")).status == 201);
    std::string meeting = host.post("/api/meetings", R"({"title":"Voice"})").str("meeting.id");
    REQUIRE(!meeting.empty());
    auto a = joinAs(s, meeting, &host, "Host", kRed, 440.0);
    auto b = joinAs(s, meeting, &guest, "Guest", kGreen, 660.0);
    REQUIRE(waitUntil([&] { return flowing(*a) && flowing(*b); }, 30s));
    room::Room* room = s.room(meeting);
    REQUIRE(room);
    const std::size_t encodersBefore = room->videoMixer().activeEncoders();

    a->sendRaw(R"({"type":"record","on":true,"audioOnly":true})");
    REQUIRE(waitUntil([&] { return room->recording() != nullptr; }, 5s));
    CHECK(room->recordingState().audioOnly);
    CHECK(room->recording()->format() == room::RecordingFormat::WebmAudio);
    // No video: no encoder started for it.
    CHECK(room->videoMixer().activeEncoders() == encodersBefore);
    a->sendRaw(R"({"type":"chat","text":"only sound"})");
    REQUIRE(waitUntil([&] { return recordedMs(room) >= 4000; }, 15s));
    a->sendRaw(R"({"type":"record","on":false})");
    REQUIRE(waitUntil([&] { return room->recording() == nullptr; }, 5s));
    REQUIRE(media::Teardown::drain(5000ms));

    auto rows = s.server->store().recordingsForMeeting(meeting);
    REQUIRE(rows.ok());
    REQUIRE(rows.value().size() == 1);
    const store::Recording rec = rows.value()[0];
    CHECK(g_str_has_suffix(rec.path.c_str(), ".audio.webm"));
    CHECK(rec.durationMs >= 3900);

    auto d = decode(rec.path, Container::WebmAudio);
    INFO("tracks " << d->tracks.size() << " audio " << d->audioSamples << " row " << rec.durationMs
                   << (d->error ? " (error)" : ""));
    CHECK_FALSE(d->error);
    CHECK(d->tracks == std::vector<std::string>{"audio/x-opus"});
    // Decoded length within 10 % of what the row says.
    CHECK(std::abs(d->audioSamples * 1000 / 48000 - rec.durationMs) <= rec.durationMs / 10);
    auto probed = media::probeRecordingDurationMs(rec.path);
    REQUIRE(probed.ok());
    CHECK(std::abs(probed.value() - rec.durationMs) <= rec.durationMs / 10);

    auto list = guest.get("/api/recordings?meeting=" + meeting);
    CHECK(list.status == 200);
    CHECK(list.body.find("\"kind\":\"audio\"") != std::string::npos);
    std::string url = "/recordings/" + std::to_string(rec.id);
    auto file = guest.get(url);
    CHECK(file.status == 200);
    CHECK(file.contentType == "audio/webm");
    CHECK(stranger.get(url).status == 403);
    auto vtt = guest.get(url + ".vtt");
    CHECK(vtt.status == 200);
    CHECK(vtt.body.find("only sound") != std::string::npos);

    a->leave();
    b->leave();
    removeRecording(rec.path);
    g_rmdir((s.dataDir + "/recordings").c_str());
}

TEST_CASE(
    "a WebM recording follows the meeting layout: a share mid-recording is in its late frames",
    "[recording][follow]") {
    TestServer s(false);
    ApiClient host(s.server->port()), guest(s.server->port());
    REQUIRE(host.post("/api/register", registration("followhost")).status == 201);
    REQUIRE(guest.post("/api/register", registration("followguest")).status == 201);
    std::string meeting = host.post("/api/meetings", R"({"title":"Follow"})").str("meeting.id");
    auto a = joinAs(s, meeting, &host, "Host", kRed, 440.0, kBlue);
    auto b = joinAs(s, meeting, &guest, "Guest", kGreen, 660.0);
    REQUIRE(waitUntil([&] { return flowing(*a) && flowing(*b); }, 30s));
    room::Room* room = s.room(meeting);
    REQUIRE(room);
    testing::runFor(500ms);  // The screen's stream has reached the server.

    a->sendRaw(R"({"type":"record","on":true})");
    REQUIRE(waitUntil([&] { return recordedMs(room) >= 2000; }, 15s));
    CHECK(room->recording()->layout() == media::LayoutKind::Grid);
    a->sendRaw(R"({"type":"share-start"})");
    REQUIRE(waitUntil([&] { return b->lastLayout().layout == "presentation"; }, 5s));
    CHECK(room->recording()->layout() == media::LayoutKind::Presentation);
    const long long atShare = recordedMs(room);
    // The viewers (high tier) and the recording share one composite and one encode.
    CHECK(room->videoMixer().compositeCount() == 1);
    CHECK(room->videoMixer().activeEncoders() == 1);
    REQUIRE(waitUntil([&] { return recordedMs(room) >= atShare + 2500; }, 15s));
    const auto screen = b->lastLayout().screen;
    REQUIRE(screen.has_value());
    a->sendRaw(R"({"type":"record","on":false})");
    REQUIRE(waitUntil([&] { return room->recording() == nullptr; }, 5s));
    REQUIRE(media::Teardown::drain(5000ms));

    auto rows = s.server->store().recordingsForMeeting(meeting);
    REQUIRE(rows.ok());
    REQUIRE(rows.value().size() == 1);
    const store::Recording rec = rows.value()[0];
    auto d = decode(rec.path, Container::Webm);
    INFO("frames " << d->videoFrames << " span " << d->videoSpanMs << " row " << rec.durationMs
                   << (d->error ? " (error)" : ""));
    CHECK_FALSE(d->error);
    CHECK(d->width == kWidth);
    CHECK(d->height == kHeight);
    // One track each, going on across the switch (a gap of at most the keyframe wait).
    CHECK(d->videoSpanMs >= rec.durationMs - 1500);
    std::string seen;
    CHECK_FALSE(screenShows(d->first, *screen, {0, 0, 255}, seen));  // The grid: no screen.
    INFO("first frame " << seen);
    CHECK(screenShows(d->last, *screen, {0, 0, 255}, seen));  // The presentation.
    INFO("last frame " << seen);

    a->leave();
    b->leave();
    removeRecording(rec.path);
    g_rmdir((s.dataDir + "/recordings").c_str());
}

TEST_CASE("MP4 recording: H.264/AAC from the one live encode, shared with HLS, following a share",
          "[recording][mp4]") {
    gchar* tmp = g_dir_make_tmp("mixmeet-mp4-XXXXXX", nullptr);
    const std::string dir = tmp;
    g_free(tmp);
    TestServer s(false, {"127.0.0.1"}, [&](app::Config& c) {
        c.recording.container = "mp4";
        c.media.streaming.directory = dir;
        c.media.streaming.segmentS = 1;
        c.media.streaming.videoBitrateKbps = 800;
    });
    ApiClient host(s.server->port()), guest(s.server->port());
    REQUIRE(host.post("/api/register", registration("mp4host")).status == 201);
    REQUIRE(guest.post("/api/register", registration("mp4guest")).status == 201);
    std::string meeting = host.post("/api/meetings", R"({"title":"Mp4"})").str("meeting.id");
    auto a = joinAs(s, meeting, &host, "Host", kRed, 440.0, kBlue);
    auto b = joinAs(s, meeting, &guest, "Guest", kGreen, 660.0);
    REQUIRE(waitUntil([&] { return flowing(*a) && flowing(*b); }, 30s));
    room::Room* room = s.room(meeting);
    REQUIRE(room);
    testing::runFor(500ms);
    CHECK(room->elementCount("x264enc") == 0);

    // The recording starts the encode; HLS then shares it (one x264enc).
    a->sendRaw(R"({"type":"record","on":true})");
    REQUIRE(waitUntil([&] { return room->recording() != nullptr; }, 5s));
    CHECK(room->recording()->format() == room::RecordingFormat::Mp4);
    CHECK(room->elementCount("x264enc") == 1);
    a->sendRaw(R"({"type":"hls","on":true,"access":"participants"})");
    REQUIRE(waitUntil([&] { return room->streamingState().hls; }, 5s));
    CHECK(room->elementCount("x264enc") == 1);
    REQUIRE(waitUntil([&] { return recordedMs(room) >= 2500; }, 20s));
    // A share moves the live encode (and so the recording) to the presentation.
    a->sendRaw(R"({"type":"share-start"})");
    REQUIRE(waitUntil([&] { return b->lastLayout().layout == "presentation"; }, 5s));
    REQUIRE(room->live());
    CHECK(room->live()->layout() == media::LayoutKind::Presentation);
    const auto screen = b->lastLayout().screen;
    REQUIRE(screen.has_value());
    REQUIRE(waitUntil([&] { return recordedMs(room) >= 5500; }, 20s));
    a->sendRaw(R"({"type":"record","on":false})");
    REQUIRE(waitUntil([&] { return room->recording() == nullptr; }, 5s));
    // HLS still uses the encode; stopping it releases it.
    CHECK(room->elementCount("x264enc") == 1);
    a->sendRaw(R"({"type":"hls","on":false})");
    REQUIRE(waitUntil([&] { return !room->streamingState().hls; }, 5s));
    REQUIRE(media::Teardown::drain(5000ms));
    CHECK(room->elementCount("x264enc") == 0);

    auto rows = s.server->store().recordingsForMeeting(meeting);
    REQUIRE(rows.ok());
    REQUIRE(rows.value().size() == 1);
    const store::Recording rec = rows.value()[0];
    CHECK(g_str_has_suffix(rec.path.c_str(), ".mp4"));
    auto d = decode(rec.path, Container::Mp4);
    auto probed = media::probeRecordingDurationMs(rec.path);
    REQUIRE(probed.ok());
    std::printf("mp4 recording: row %lld ms, file %lld ms, %d frames, %lld audio samples\n",
                static_cast<long long>(rec.durationMs), static_cast<long long>(probed.value()),
                d->videoFrames, d->audioSamples);
    INFO("tracks " << d->tracks.size() << " frames " << d->videoFrames << " span " << d->videoSpanMs
                   << " audio " << d->audioSamples << " row " << rec.durationMs << " probed "
                   << probed.value() << (d->error ? " (error)" : ""));
    CHECK_FALSE(d->error);
    CHECK(hasTrack(*d, "video/x-h264"));
    CHECK(hasTrack(*d, "audio/mpeg"));
    CHECK(d->tracks.size() == 2);
    CHECK(d->width == kWidth);
    CHECK(d->height == kHeight);
    CHECK(rec.durationMs >= 5400);
    CHECK(std::abs(probed.value() - rec.durationMs) <= rec.durationMs / 10);
    CHECK(std::abs(d->videoSpanMs - rec.durationMs) <= rec.durationMs / 10);
    CHECK(std::abs(d->audioSamples * 1000 / 48000 - rec.durationMs) <= rec.durationMs / 10);
    std::string seen;
    CHECK(screenShows(d->last, *screen, {0, 0, 255}, seen));
    INFO("last frame " << seen);
    auto file = guest.get("/recordings/" + std::to_string(rec.id));
    CHECK(file.status == 200);
    CHECK(file.contentType == "video/mp4");

    a->leave();
    b->leave();
    removeRecording(rec.path);
    g_rmdir((s.dataDir + "/recordings").c_str());
    g_rmdir(dir.c_str());
}

TEST_CASE("a kill -9 mid-MP4-recording leaves a file that plays to within its last fragment",
          "[recording][mp4][crash]") {
    gchar* tmp = g_dir_make_tmp("mixmeet-mp4kill-XXXXXX", nullptr);
    const std::string dir = tmp;
    g_free(tmp);
    ServerSettings settings;
    settings.binary = MIXMEET_SERVER_BINARY;
    settings.extraConfig = "[server]\ndata_dir=" + dir + "/data\n[auth]\nopen_rooms=false\n" +
                           "[recording]\ndirectory=" + dir + "/rec\nmin_free_mb=0\ncontainer=mp4\n";
    long long atKill = 0;
    {
        ServerProcess server(settings);
        std::string error;
        REQUIRE(server.start(error));
        ApiClient host(server.port());
        REQUIRE(host.post("/api/register", registration("mp4killer")).status == 201);
        std::string meeting = host.post("/api/meetings", R"({"title":"Kill"})").str("meeting.id");
        PeerOptions o;
        o.url = server.wsUrl();
        o.room = meeting;
        o.name = "Host";
        o.cookie = host.cookieHeader();
        o.pattern = kRed;
        SyntheticPeer a(o);
        a.start();
        REQUIRE(waitUntil([&] { return flowing(a); }, 30s));
        a.sendRaw(R"({"type":"record","on":true})");
        auto recordingMs = [&] {
            auto reply = server.get("/api/stats?room=" + meeting);
            auto at = reply.body.find("\"recordingMs\":");
            return reply.status == 200 && at != std::string::npos
                       ? std::atoll(reply.body.c_str() + at + 14)
                       : -1LL;
        };
        REQUIRE(waitUntil([&] { return recordingMs() >= 5000; }, 30s));
        atKill = recordingMs();
        REQUIRE(::kill(server.pid(), SIGKILL) == 0);
        REQUIRE(waitUntil([&] { return !server.running(); }, 5s));
        a.closeAbruptly();
    }
    std::vector<std::string> files;
    if (GDir* d = g_dir_open((dir + "/rec").c_str(), 0, nullptr)) {
        while (const char* n = g_dir_read_name(d)) files.emplace_back(n);
        g_dir_close(d);
    }
    REQUIRE(files.size() == 1);
    const std::string path = dir + "/rec/" + files[0];
    auto probed = media::probeRecordingDurationMs(path);
    REQUIRE(probed.ok());
    auto d = decode(path, Container::Mp4);
    std::printf(
        "mp4 kill -9: %lld ms recorded at the kill, %lld ms in the file (%lld ms lost), "
        "%d frames\n",
        atKill, static_cast<long long>(probed.value()),
        atKill - static_cast<long long>(probed.value()), d->videoFrames);
    INFO("at kill " << atKill << " probed " << probed.value() << " frames " << d->videoFrames);
    CHECK(hasTrack(*d, "video/x-h264"));
    CHECK(hasTrack(*d, "audio/mpeg"));
    CHECK(d->width == kWidth);
    // What was muxed up to the last whole fragment (one keyframe interval, [streaming]
    // segment_s = 2 s by default) plus the queues is there.
    CHECK(probed.value() >= atKill - 3000);
    CHECK(d->videoFrames >= static_cast<int>((atKill - 3000) * 30 / 1000));
    g_remove(path.c_str());
    g_rmdir((dir + "/rec").c_str());
    for (const char* f :
         {"/data/mixmeet.sqlite", "/data/mixmeet.sqlite-wal", "/data/mixmeet.sqlite-shm"})
        g_remove((dir + f).c_str());
    g_rmdir((dir + "/data/live").c_str());
    g_rmdir((dir + "/data").c_str());
    g_rmdir(dir.c_str());
}

TEST_CASE("HLS directories left by a previous run are removed at start-up", "[streaming][hls]") {
    gchar* tmp = g_dir_make_tmp("mixmeet-stale-XXXXXX", nullptr);
    const std::string dir = tmp;
    g_free(tmp);
    const std::string stale = dir + "/old-meeting";
    REQUIRE(g_mkdir_with_parents(stale.c_str(), 0700) == 0);
    for (const char* name : {"/index.m3u8", "/segment00001.ts", "/index.m3u8.ABC123"})
        REQUIRE(g_file_set_contents((stale + name).c_str(), "x", 1, nullptr));
    {
        TestServer s(false, {"127.0.0.1"},
                     [&](app::Config& c) { c.media.streaming.directory = dir; });
        CHECK_FALSE(g_file_test(stale.c_str(), G_FILE_TEST_EXISTS));
        CHECK(g_file_test(dir.c_str(), G_FILE_TEST_IS_DIR));  // The root itself stays.
    }
    g_rmdir(dir.c_str());
}

TEST_CASE("a guest in the meeting watches its participants-only HLS; outsiders do not",
          "[streaming][hls][guest]") {
    gchar* tmp = g_dir_make_tmp("mixmeet-guest-XXXXXX", nullptr);
    const std::string dir = tmp;
    g_free(tmp);
    TestServer s(false, {"127.0.0.1"}, [&](app::Config& c) {
        c.media.streaming.directory = dir;
        c.media.streaming.segmentS = 1;
        c.media.streaming.videoBitrateKbps = 800;
    });
    ApiClient host(s.server->port()), outsider(s.server->port());
    REQUIRE(host.post("/api/register", registration("guesthost")).status == 201);
    std::string meeting =
        host.post("/api/meetings", R"({"title":"Open","allowGuests":true})").str("meeting.id");
    REQUIRE(!meeting.empty());
    auto a = joinAs(s, meeting, &host, "Host", kRed, 440.0);
    auto g = joinAs(s, meeting, nullptr, "Visitor", kGreen, 660.0);  // No account.
    REQUIRE(waitUntil([&] { return flowing(*a) && flowing(*g); }, 30s));
    room::Room* room = s.room(meeting);
    REQUIRE(room);
    a->sendRaw(R"({"type":"hls","on":true,"access":"participants"})");
    REQUIRE(waitUntil([&] { return room->streamingState().hls; }, 5s));

    // The guest's streaming state carries its watch URLs; the host's do not.
    const protocol::StreamingState mine = room->streamingStateFor(g->participantId());
    INFO(mine.hlsUrl << " " << mine.watchUrl);
    const std::string prefix = "/live/" + meeting + "/";
    REQUIRE(mine.hlsUrl.rfind(prefix, 0) == 0);
    REQUIRE(mine.hlsUrl != prefix + "index.m3u8");
    CHECK(mine.watchUrl.find("&t=") != std::string::npos);
    CHECK(room->streamingStateFor(a->participantId()).hlsUrl == prefix + "index.m3u8");
    const std::string base = mine.hlsUrl.substr(0, mine.hlsUrl.size() - strlen("index.m3u8"));

    ApiClient guestBrowser(s.server->port());  // No session cookie: the token is all it has.
    ApiReply playlist;
    REQUIRE(waitUntil(
        [&] {
            playlist = guestBrowser.get(base + "index.m3u8");
            return playlist.status == 200 &&
                   playlist.body.find("segment00001.ts") != std::string::npos;
        },
        20s));
    CHECK(guestBrowser.get(base + "segment00001.ts").status == 200);
    // Outsiders: without the token 401/403, with a made-up one 403.
    CHECK(outsider.get(prefix + "index.m3u8").status == 401);
    REQUIRE(outsider.post("/api/register", registration("guestoutsider")).status == 201);
    CHECK(outsider.get(prefix + "index.m3u8").status == 403);
    const std::string forged = std::string(43, 'A');
    CHECK(outsider.get(prefix + forged + "/index.m3u8").status == 403);
    CHECK(outsider.get(prefix + "short/index.m3u8").status == 404);

    // The guest leaves: its token no longer opens the stream.
    g->leave();
    REQUIRE(waitUntil([&] { return room->participantCount() == 1; }, 5s));
    CHECK(guestBrowser.get(base + "index.m3u8").status == 403);

    a->sendRaw(R"({"type":"hls","on":false})");
    REQUIRE(waitUntil([&] { return !room->streamingState().hls; }, 5s));
    REQUIRE(media::Teardown::drain(5000ms));
    a->leave();
    g_rmdir(dir.c_str());
}
