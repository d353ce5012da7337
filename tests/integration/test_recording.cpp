// Recording a meeting (issue 15; docs/recording.md): the host records with real webrtcbin
// peers; the file is streamable WebM that decodes to VP8 frames of the composite size and
// Opus audio; a non-host is refused; downloads go to participants only, with Range.
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <signal.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "ApiClient.h"
#include "ServerProcess.h"
#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "core/GstPtr.h"
#include "media/Recorder.h"
#include "media/Teardown.h"

using namespace mixmeet;
using namespace mixmeet::testing;
using namespace std::chrono_literals;

namespace {

std::string registration(const std::string& username) {
    return R"({"email":")" + username + R"(@example.org","username":")" + username +
           R"(","displayName":"User )" + username + R"(","password":"correct horse battery"})";
}

/// What decoding a recording gave.
struct Decoded {
    int videoFrames = 0;
    int width = 0;
    int height = 0;
    long long audioSamples = 0;  ///< Per channel, 48 kHz.
    bool error = false;
};

/// Decodes the file to the end: matroskademux, vp8dec and opusdec into appsinks.
Decoded decode(const std::string& path) {
    Decoded d;
    core::ErrorOut err;
    core::ElementPtr p = core::ElementPtr::refSink(gst_parse_launch(
        ("filesrc location=\"" + path +
         "\" ! matroskademux name=d "
         "d.video_0 ! queue ! vp8dec ! video/x-raw,format=I420 ! appsink name=v sync=false "
         "d.audio_0 ! queue ! opusdec ! audio/x-raw,rate=48000 ! appsink name=a sync=false")
            .c_str(),
        err.out()));
    REQUIRE(p);
    core::ElementPtr v = core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(p.get()), "v"));
    core::ElementPtr a = core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(p.get()), "a"));
    struct Counts {
        Decoded* d;
    } counts{&d};
    GstAppSinkCallbacks vc{};
    vc.new_sample = [](GstAppSink* s, gpointer data) -> GstFlowReturn {
        auto* d = static_cast<Counts*>(data)->d;
        core::SamplePtr sample(gst_app_sink_pull_sample(s));
        if (!sample) return GST_FLOW_OK;
        GstStructure* st = gst_caps_get_structure(gst_sample_get_caps(sample.get()), 0);
        gst_structure_get_int(st, "width", &d->width);
        gst_structure_get_int(st, "height", &d->height);
        ++d->videoFrames;
        return GST_FLOW_OK;
    };
    GstAppSinkCallbacks ac{};
    ac.new_sample = [](GstAppSink* s, gpointer data) -> GstFlowReturn {
        auto* d = static_cast<Counts*>(data)->d;
        core::SamplePtr sample(gst_app_sink_pull_sample(s));
        if (!sample) return GST_FLOW_OK;
        GstStructure* st = gst_caps_get_structure(gst_sample_get_caps(sample.get()), 0);
        int channels = 1;
        gst_structure_get_int(st, "channels", &channels);
        d->audioSamples += static_cast<long long>(
            gst_buffer_get_size(gst_sample_get_buffer(sample.get())) / (2 * channels));
        return GST_FLOW_OK;
    };
    gst_app_sink_set_callbacks(GST_APP_SINK(v.get()), &vc, &counts, nullptr);
    gst_app_sink_set_callbacks(GST_APP_SINK(a.get()), &ac, &counts, nullptr);
    gst_element_set_state(p.get(), GST_STATE_PLAYING);
    core::GPtr<GstBus> bus = core::GPtr<GstBus>::adopt(gst_element_get_bus(p.get()));
    core::MessagePtr msg(gst_bus_timed_pop_filtered(
        bus.get(), 30 * GST_SECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
    d.error = !msg || GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR;
    gst_element_set_state(p.get(), GST_STATE_NULL);
    return d;
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

/// recordingMs of a room in /api/stats (-1 if absent).
long long recordingMs(ServerProcess& server, const std::string& room) {
    auto reply = server.get("/api/stats?room=" + room);
    auto at = reply.body.find("\"recordingMs\":");
    if (reply.status != 200 || at == std::string::npos) return -1;
    return std::atoll(reply.body.c_str() + at + 14);
}

/// Every file in `dir` (names).
std::vector<std::string> filesIn(const std::string& dir) {
    std::vector<std::string> out;
    if (GDir* d = g_dir_open(dir.c_str(), 0, nullptr)) {
        while (const char* n = g_dir_read_name(d)) out.emplace_back(n);
        g_dir_close(d);
    }
    return out;
}

bool flowing(const SyntheticPeer& p) {
    return p.connected() && p.videoFramesDecoded() >= 10 && p.audioSamplesReceived() > 48000 / 2;
}

int count(const std::vector<std::string>& types, const std::string& type) {
    return static_cast<int>(std::count(types.begin(), types.end(), type));
}

}  // namespace

TEST_CASE("the host records the meeting into a WebM that decodes; downloads are for participants",
          "[recording]") {
    TestServer s(false);
    ApiClient host(s.server->port()), guest(s.server->port()), stranger(s.server->port());
    REQUIRE(host.post("/api/register", registration("hostess")).status == 201);
    REQUIRE(guest.post("/api/register", registration("guest")).status == 201);
    REQUIRE(stranger.post("/api/register", registration("stranger")).status == 201);
    std::string meeting = host.post("/api/meetings", R"({"title":"Recorded"})").str("meeting.id");
    REQUIRE(!meeting.empty());

    auto a = joinAs(s, meeting, host, "Host", 4, 440.0);
    auto b = joinAs(s, meeting, guest, "Guest", 5, 660.0);
    REQUIRE(waitUntil([&] { return flowing(*a) && flowing(*b); }, 30s));
    room::Room* room = s.room(meeting);
    REQUIRE(room);

    // Not the host: refused, nothing recorded.
    b->sendRaw(R"({"type":"record","on":true})");
    REQUIRE(waitUntil([&] { return b->hasError("not-host"); }, 5s));
    CHECK(room->recording() == nullptr);

    // Nobody watches the high tier: the recording starts its encoder (and stops it after).
    a->sendRaw(R"({"type":"set-quality","tier":"low"})");
    b->sendRaw(R"({"type":"set-quality","tier":"low"})");
    REQUIRE(waitUntil(
        [&] {
            return room->tierOf(a->participantId()) == 2 && room->tierOf(b->participantId()) == 2 &&
                   room->videoMixer().activeEncoders() == 1;
        },
        10s));
    REQUIRE(waitUntil([&] { return a->videoFramesDecoded() > 0 && flowing(*b); }, 10s));
    const uint64_t freezesA = a->frameGaps().freezes, freezesB = b->frameGaps().freezes;
    a->sendRaw(R"({"type":"record","on":true})");
    REQUIRE(waitUntil(
        [&] {
            return count(a->receivedTypes(), "recording") == 1 &&
                   count(b->receivedTypes(), "recording") == 1;
        },
        5s));
    REQUIRE(room->recording());
    CHECK(room->videoMixer().activeEncoders() == 2);
    CHECK(room->videoMixer().recordingMark());  // The burned-in "REC" is shown.
    // A second start is refused while one runs.
    a->sendRaw(R"({"type":"record","on":true})");
    REQUIRE(waitUntil([&] { return a->hasError("bad-state"); }, 5s));
    // Chat during the recording is saved beside it as WebVTT.
    a->sendRaw(R"({"type":"chat","text":"said <while> recording"})");
    // ~3 s of media recorded (from the first keyframe on).
    REQUIRE(waitUntil(
        [&] {
            const auto* r = room->recording();
            return r && r->recorder() && r->recorder()->durationMs() >= 3000;
        },
        15s));
    const uint64_t framesBefore = a->videoFramesDecoded();
    a->sendRaw(R"({"type":"record","on":false})");
    REQUIRE(waitUntil([&] { return room->recording() == nullptr; }, 5s));
    REQUIRE(waitUntil([&] { return count(b->receivedTypes(), "recording") == 2; }, 5s));
    CHECK(room->videoMixer().activeEncoders() == 1);
    CHECK_FALSE(room->videoMixer().recordingMark());
    // The participants' media kept flowing through start and stop.
    REQUIRE(waitUntil([&] { return a->videoFramesDecoded() >= framesBefore + 15; }, 5s));
    CHECK(a->frameGaps().freezes == freezesA);
    CHECK(b->frameGaps().freezes == freezesB);
    REQUIRE(media::Teardown::drain(5000ms));

    auto rows = s.server->store().recordingsForMeeting(meeting);
    REQUIRE(rows.ok());
    REQUIRE(rows.value().size() == 1);
    const store::Recording rec = rows.value()[0];
    CHECK(rec.endedAt.has_value());
    CHECK(rec.durationMs >= 2900);
    CHECK(rec.sizeBytes > 10000);

    {  // The file decodes: VP8 frames of the composite size and Opus audio.
        Decoded d = decode(rec.path);
        INFO("frames " << d.videoFrames << " " << d.width << "x" << d.height << " audio "
                       << d.audioSamples << (d.error ? " (error)" : ""));
        CHECK_FALSE(d.error);
        CHECK(d.width == kWidth);
        CHECK(d.height == kHeight);
        CHECK(d.videoFrames >= 30 * 25 / 10);  // >= 2.5 s at 30 fps
        CHECK(d.audioSamples >= 48000 * 25 / 10);
        auto probed = media::probeRecordingDurationMs(rec.path);
        REQUIRE(probed.ok());
        CHECK(std::abs(probed.value() - rec.durationMs) < 500);
    }

    {  // Listed and downloaded by participants only, with Range.
        auto list = guest.get("/api/recordings?meeting=" + meeting);
        CHECK(list.status == 200);
        CHECK(list.body.find("\"durationMs\":" + std::to_string(rec.durationMs)) !=
              std::string::npos);
        CHECK(stranger.get("/api/recordings?meeting=" + meeting).status == 404);

        std::string url = "/recordings/" + std::to_string(rec.id);
        auto whole = host.get(url);
        CHECK(whole.status == 200);
        // The row's size is the file's at the stop; the muxer's last blocks may follow it.
        GStatBuf st;
        REQUIRE(g_stat(rec.path.c_str(), &st) == 0);
        CHECK(static_cast<long long>(whole.body.size()) == static_cast<long long>(st.st_size));
        CHECK(rec.sizeBytes <= static_cast<long long>(st.st_size));
        guest.extraHeaders = {{"Range", "bytes=100-199"}};
        auto part = guest.get(url);
        CHECK(part.status == 206);
        CHECK(part.body.size() == 100);
        CHECK(part.body == whole.body.substr(100, 100));
        CHECK(part.contentRange == "bytes 100-199/" + std::to_string(whole.body.size()));
        guest.extraHeaders = {{"Range", "bytes=" + std::to_string(whole.body.size()) + "-"}};
        CHECK(guest.get(url).status == 416);
        CHECK(stranger.get(url).status == 403);
        guest.extraHeaders.clear();
        auto vtt = guest.get(url + ".vtt");
        CHECK(vtt.status == 200);
        CHECK(vtt.body.rfind("WEBVTT", 0) == 0);
        CHECK(vtt.body.find("<v User hostess>said &lt;while&gt; recording") != std::string::npos);
        CHECK(stranger.get(url + ".vtt").status == 403);
        ApiClient anonymous(s.server->port());
        CHECK(anonymous.get(url).status == 401);
        CHECK(host.get("/recordings/99999").status == 404);
        CHECK(host.get("/recordings/abc").status == 404);
    }

    a->leave();
    b->leave();
    g_remove(rec.path.c_str());
    g_remove((rec.path + ".vtt").c_str());
    g_rmdir((s.dataDir + "/recordings").c_str());
}

TEST_CASE("a kill -9 mid-recording leaves a file that plays to within a second or two of the kill",
          "[recording][crash]") {
    gchar* tmp = g_dir_make_tmp("mixmeet-rec-XXXXXX", nullptr);
    const std::string dir = tmp;
    g_free(tmp);
    ServerSettings settings;
    settings.binary = MIXMEET_SERVER_BINARY;
    // The same data (accounts, rows) and recordings for the killed server and the next one.
    settings.extraConfig = "[server]\ndata_dir=" + dir + "/data\n[auth]\nopen_rooms=false\n" +
                           "[recording]\ndirectory=" + dir + "/rec\nmin_free_mb=0\n";
    std::string meeting;
    std::string hostLogin;
    long long atKill = 0;
    {
        ServerProcess server(settings);
        std::string error;
        REQUIRE(server.start(error));
        ApiClient host(server.port()), guest(server.port());
        REQUIRE(host.post("/api/register", registration("killer")).status == 201);
        REQUIRE(guest.post("/api/register", registration("witness")).status == 201);
        meeting = host.post("/api/meetings", R"({"title":"Crash"})").str("meeting.id");
        PeerOptions o;
        o.url = server.wsUrl();
        o.room = meeting;
        o.name = "Host";
        o.cookie = host.cookieHeader();
        o.pattern = 4;
        SyntheticPeer a(o);
        a.start();
        o.name = "Guest";
        o.cookie = guest.cookieHeader();
        o.pattern = 5;
        o.toneHz = 660;
        SyntheticPeer b(o);
        b.start();
        REQUIRE(waitUntil([&] { return flowing(a) && flowing(b); }, 30s));
        a.sendRaw(R"({"type":"record","on":true})");
        REQUIRE(waitUntil([&] { return recordingMs(server, meeting) >= 3000; }, 20s));
        atKill = recordingMs(server, meeting);
        REQUIRE(::kill(server.pid(), SIGKILL) == 0);
        REQUIRE(waitUntil([&] { return !server.running(); }, 5s));
        a.closeAbruptly();
        b.closeAbruptly();
    }
    auto files = filesIn(dir + "/rec");
    REQUIRE(files.size() == 1);
    const std::string path = dir + "/rec/" + files[0];
    Decoded d = decode(path);
    INFO("frames " << d.videoFrames << " audio " << d.audioSamples << " at kill " << atKill);
    CHECK(d.width == kWidth);
    CHECK(d.height == kHeight);
    // Everything muxed up to about a second before the kill is there.
    CHECK(d.videoFrames >= static_cast<int>((atKill - 1500) * 30 / 1000));
    CHECK(d.audioSamples >= (atKill - 1500) * 48);
    auto probed = media::probeRecordingDurationMs(path);
    REQUIRE(probed.ok());
    CHECK(probed.value() >= atKill - 1500);

    {  // The next start closes the row with the duration read from the file, and lists it.
        ServerProcess server(settings);
        std::string error;
        REQUIRE(server.start(error));
        ApiClient host(server.port());
        REQUIRE(host.post("/api/login", R"({"login":"killer","password":"correct horse battery"})")
                    .status == 200);
        auto list = host.get("/api/recordings?meeting=" + meeting);
        INFO(list.body);
        CHECK(list.status == 200);
        CHECK(list.body.find("\"recording\":false") != std::string::npos);
        CHECK(list.body.find("\"durationMs\":" + std::to_string(probed.value())) !=
              std::string::npos);
        server.stop();
    }
    g_remove(path.c_str());
    g_rmdir((dir + "/rec").c_str());
    for (const char* f :
         {"/data/mixmeet.sqlite", "/data/mixmeet.sqlite-wal", "/data/mixmeet.sqlite-shm"})
        g_remove((dir + f).c_str());
    g_rmdir((dir + "/data").c_str());
    g_rmdir(dir.c_str());
}
