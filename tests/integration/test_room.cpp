// The MCU end to end, in one process: the real server (HTTP + WebSocket + room pipelines) and
// real webrtcbin peers talking protocol v1 over loopback.
#include <glib/gstdio.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "SyntheticPeer.h"
#include "TestServer.h"
#include "Wait.h"
#include "app/Server.h"
#include "media/Endpoint.h"
#include "media/Layout.h"
#include "media/SendHints.h"

using namespace mixmeet;
using namespace std::chrono_literals;
using testing::PeerOptions;
using testing::SyntheticPeer;
using testing::waitUntil;

namespace {

using testing::kHeight;
using testing::kWidth;
using testing::TestServer;

struct PeerSpec {
    const char* name;
    int pattern;          // videotestsrc: 4 red, 5 green, 6 blue
    double tone;          // Hz
    double volume = 0.3;  // of the tone, full scale 1; 0: a muted microphone
    bool video = true;    // false: sends and decodes audio only
};

std::unique_ptr<SyntheticPeer> makePeer(const TestServer& s, const std::string& room,
                                        const PeerSpec& spec) {
    PeerOptions o = s.peerOptions(room, spec.name);
    o.pattern = spec.pattern;
    o.toneHz = spec.tone;
    o.toneVolume = spec.volume;
    o.sendVideo = o.receiveVideo = spec.video;
    auto p = std::make_unique<SyntheticPeer>(o);
    p->start();
    return p;
}

bool receiving(const SyntheticPeer& p, uint64_t minFrames) {
    auto size = p.lastVideoSize();
    return p.connected() && p.videoFramesDecoded() >= minFrames && size[0] == kWidth &&
           size[1] == kHeight && p.audioSamplesReceived() > 48000 / 2;
}

/// One line about a peer for failure messages.
std::string describe(const SyntheticPeer& p) {
    auto size = p.lastVideoSize();
    return p.options().name + ": ice=" + p.iceConnectionState() + " pc=" + p.connectionState() +
           " dtls=" + (p.securedAtUs() > 0 ? "done" : "no") +
           " video-bytes=" + std::to_string(p.videoBytesReceived()) +
           " rtcp-sent=" + std::to_string(p.rtcpSent()) +
           " frames=" + std::to_string(p.videoFramesDecoded()) +
           " size=" + std::to_string(size[0]) + "x" + std::to_string(size[1]) +
           " audio=" + std::to_string(p.audioSamplesReceived()) +
           " roster=" + std::to_string(p.roster().size()) + "\n";
}

/// Every peer is connected, has the whole room in its roster and has received a second of
/// audio (48000 samples at 48 kHz).
bool allHearing(const std::vector<std::unique_ptr<SyntheticPeer>>& peers) {
    for (const auto& p : peers)
        if (!p->connected() || p->roster().size() != peers.size() ||
            p->audioSamplesReceived() < 48000)
            return false;
    return true;
}

std::string describe(const std::vector<std::unique_ptr<SyntheticPeer>>& peers) {
    std::string out;
    for (const auto& p : peers) out += describe(*p);
    return out;
}

/// Frames decoded during the next `ms`, with the main loop running.
uint64_t framesDuring(const SyntheticPeer& p, std::chrono::milliseconds ms) {
    uint64_t before = p.videoFramesDecoded();
    testing::runFor(ms);
    return p.videoFramesDecoded() - before;
}

uint64_t audioPacketsSentDuring(const SyntheticPeer& p, std::chrono::milliseconds ms) {
    uint64_t before = p.audioPacketsSent();
    testing::runFor(ms);
    return p.audioPacketsSent() - before;
}

/// Colour of the tile's centre region (away from the name label at the bottom).
std::array<double, 3> tileColour(const testing::Frame& f, const media::Rect& r) {
    return f.mean(r.x + r.width / 4, r.y + r.height / 8, r.width / 2, r.height / 2);
}

}  // namespace

TEST_CASE("three participants get the composite and a mix-minus of the others", "[room]") {
    TestServer s;
    const std::vector<PeerSpec> specs{{"Red", 4, 440.0}, {"Green", 5, 660.0}, {"Blue", 6, 880.0}};
    std::vector<std::unique_ptr<SyntheticPeer>> peers;
    peers.push_back(makePeer(s, "trio", specs[0]));
    peers.push_back(makePeer(s, "trio", specs[1]));
    bool twoReceiving =
        waitUntil([&] { return receiving(*peers[0], 10) && receiving(*peers[1], 10); }, 20s);
    INFO(describe(peers));
    REQUIRE(twoReceiving);
    REQUIRE(s.room("trio"));
    GstElement* pipeline = s.room("trio")->pipeline();
    g_object_add_weak_pointer(G_OBJECT(pipeline), reinterpret_cast<gpointer*>(&pipeline));
    const std::size_t elementsWithTwo = s.room("trio")->elementCount();

    peers.push_back(makePeer(s, "trio", specs[2]));
    bool all = waitUntil(
        [&] {
            for (auto& p : peers)
                if (!receiving(*p, 20) || p->roster().size() != 3) return false;
            return true;
        },
        30s);
    INFO(describe(peers));
    REQUIRE(all);

    SECTION("each receives the composite at the configured size, at a steady rate") {
        for (auto& p : peers) {
            CHECK(p->announcedVideo().width == kWidth);
            CHECK(p->announcedVideo().framerate == 30);
            CHECK(framesDuring(*p, 1000ms) >= 10);
        }
    }

    SECTION("tiles show each participant's picture in join order") {
        // Roster order is tile order (join order, which the sockets' races decide).
        auto tiles = media::gridLayout(3, kWidth, kHeight);
        auto roster = peers[0]->roster();
        REQUIRE(roster.size() == 3);
        auto channelOf = [](const std::string& name) {
            return name == "Red" ? 0 : name == "Green" ? 1 : 2;
        };
        bool ok = waitUntil(
            [&] {
                testing::Frame f = peers[0]->lastFrameRGB();
                if (f.empty()) return false;
                for (int i = 0; i < 3; ++i) {
                    auto c = tileColour(f, tiles[i]);
                    int want = channelOf(roster[i].name);
                    for (int ch = 0; ch < 3; ++ch)
                        if ((ch == want) != (c[ch] > 128)) return false;
                }
                return true;
            },
            10s);
        testing::Frame f = peers[0]->lastFrameRGB();
        for (int i = 0; i < 3; ++i) {
            auto c = tileColour(f, tiles[i]);
            INFO("tile " << i << " (" << roster[i].name << "): " << c[0] << "," << c[1] << ","
                         << c[2]);
            CHECK(ok);
        }
        // Outside the tiles (the centred last row leaves the bottom corners empty) is black.
        auto corner = f.mean(0, kHeight - 20, 40, 20);
        CHECK(corner[0] + corner[1] + corner[2] < 30);
    }

    SECTION("everyone hears the others' tones and not their own") {
        CHECK(waitUntil(
            [&] {
                for (std::size_t i = 0; i < peers.size(); ++i)
                    for (std::size_t j = 0; j < specs.size(); ++j) {
                        double level = peers[i]->toneLevel(specs[j].tone);
                        if (i == j ? level > 0.03 : level < 0.15) return false;
                    }
                return true;
            },
            10s));
        for (std::size_t i = 0; i < peers.size(); ++i)
            for (std::size_t j = 0; j < specs.size(); ++j) {
                INFO("listener " << specs[i].name << ", tone " << specs[j].tone);
                double level = peers[i]->toneLevel(specs[j].tone);
                if (i == j)
                    CHECK(level < 0.03);
                else
                    CHECK(level > 0.15);
            }
    }

    SECTION("one leaves: the others keep flowing, the grid and the pipeline shrink back") {
        peers[2]->leave();
        REQUIRE(waitUntil(
            [&] {
                return peers[0]->roster().size() == 2 && peers[1]->roster().size() == 2 &&
                       s.room("trio")->participantCount() == 2;
            },
            5s));
        CHECK(peers[2]->byeReason() == "left");
        CHECK(waitUntil([&] { return s.room("trio")->elementCount() == elementsWithTwo; }, 5s));
        CHECK(framesDuring(*peers[0], 1000ms) >= 10);
        CHECK(framesDuring(*peers[1], 1000ms) >= 10);
        // The leaver's tone fades out of the others' mix.
        CHECK(waitUntil([&] { return peers[0]->toneLevel(880.0) < 0.03; }, 5s));
        CHECK(peers[0]->toneLevel(660.0) > 0.15);
    }

    SECTION("all leave: the room and its pipeline are gone") {
        for (auto& p : peers) p->leave();
        CHECK(waitUntil([&] { return s.server->rooms().roomCount() == 0 && !pipeline; }, 10s));
    }

    peers.clear();
    CHECK(waitUntil([&] { return s.server->rooms().roomCount() == 0; }, 10s));
    if (pipeline)
        g_object_remove_weak_pointer(G_OBJECT(pipeline), reinterpret_cast<gpointer*>(&pipeline));
    CHECK(waitUntil([&] { return s.server->connectionCount() == 0; }, 5s));
}

TEST_CASE("a participant that vanishes is removed and the others keep flowing", "[room]") {
    TestServer s;
    auto a = makePeer(s, "vanish", {"A", 4, 440.0});
    auto b = makePeer(s, "vanish", {"B", 5, 660.0});
    REQUIRE(waitUntil([&] { return receiving(*a, 10) && receiving(*b, 10); }, 20s));

    SECTION("tab closed: the socket drops without leave") {
        b->closeAbruptly();
    }
    SECTION("network lost: media stops, the socket stays open") {
        // Silent 1.5 s, an ICE restart nobody answers (2 s), bye media-lost, then the 10 s
        // grace period: gone after ~13.5 s.
        b->dropMedia();
    }
    REQUIRE(waitUntil([&] { return a->roster().size() == 1; }, 20s));
    CHECK(s.room("vanish")->participantCount() == 1);
    CHECK(framesDuring(*a, 1000ms) >= 10);
    b.reset();
    a.reset();
    CHECK(waitUntil([&] { return s.server->rooms().roomCount() == 0; }, 10s));
}

TEST_CASE("bad input over the real socket gets errors, never a crash", "[room][protocol]") {
    TestServer s;
    auto good = makePeer(s, "errors", {"Good", 4, 440.0});
    REQUIRE(waitUntil([&] { return receiving(*good, 5); }, 20s));

    PeerOptions o;
    o.url = s.wsUrl();
    o.room = "errors";
    o.sendJoin = false;
    SyntheticPeer bad(o);
    bad.start();
    REQUIRE(waitUntil([&] { return bad.socketOpen(); }, 5s));
    bad.sendRaw("{this is not json");
    bad.sendRaw(R"({"type":"fly"})");
    bad.sendRaw(R"({"type":"answer","sdp":"v=0"})");
    bad.sendRaw(R"({"type":"join","version":1,"room":"../etc","name":"x"})");
    bad.sendRaw(R"({"type":"answer","sdp":")" + std::string(70000, 'x') + "\"}");
    CHECK(waitUntil(
        [&] {
            return bad.hasError("bad-json") && bad.hasError("unknown-type") &&
                   bad.hasError("bad-state") && bad.hasError("bad-message") &&
                   bad.hasError("too-large");
        },
        5s));
    CHECK(bad.socketOpen());
    CHECK(framesDuring(*good, 1000ms) >= 10);
    CHECK(s.room("errors")->participantCount() == 1);
}

TEST_CASE("a bad SDP answer ends that session only", "[room][protocol]") {
    TestServer s;
    auto good = makePeer(s, "sdp", {"Good", 4, 440.0});
    REQUIRE(waitUntil([&] { return receiving(*good, 5); }, 20s));

    PeerOptions o = s.peerOptions("sdp", "Broken");
    o.answer = false;
    SyntheticPeer bad(o);
    bad.start();
    REQUIRE(waitUntil([&] { return !bad.offerSdp().empty(); }, 10s));
    bad.sendRaw(R"({"type":"answer","sdp":"this is not sdp"})");
    CHECK(waitUntil([&] { return bad.byeReason() == "bad-sdp"; }, 5s));
    CHECK(bad.hasError("bad-sdp"));
    CHECK(waitUntil([&] { return good->roster().size() == 1; }, 5s));
    CHECK(framesDuring(*good, 1000ms) >= 10);
}

TEST_CASE("the web pages are served over HTTP", "[http]") {
    TestServer s;
    core::GPtr<SoupSession> session = core::GPtr<SoupSession>::adopt(soup_session_new());
    auto fetch = [&](const std::string& path, guint& status, std::string& type) {
        std::string url = "http://127.0.0.1:" + std::to_string(s.server->port()) + path;
        core::GPtr<SoupMessage> msg =
            core::GPtr<SoupMessage>::adopt(soup_message_new("GET", url.c_str()));
        GBytes* body = nullptr;
        bool done = false;
        soup_session_send_and_read_async(
            session.get(), msg.get(), G_PRIORITY_DEFAULT, nullptr,
            [](GObject* src, GAsyncResult* res, gpointer data) {
                std::unique_ptr<std::pair<GBytes**, bool*>> out(
                    static_cast<std::pair<GBytes**, bool*>*>(data));
                GError* err = nullptr;
                *out->first = soup_session_send_and_read_finish(SOUP_SESSION(src), res, &err);
                if (err) {
                    fprintf(stderr, "fetch failed: %s\n", err->message);
                    g_error_free(err);
                }
                *out->second = true;
            },
            new std::pair<GBytes**, bool*>(&body, &done));
        REQUIRE(waitUntil([&] { return done; }, 5s));
        status = soup_message_get_status(msg.get());
        const char* ct = soup_message_headers_get_one(soup_message_get_response_headers(msg.get()),
                                                      "Content-Type");
        type = ct ? ct : "";
        std::string text;
        if (body) {
            gsize size = 0;
            const char* data = static_cast<const char*>(g_bytes_get_data(body, &size));
            text.assign(data, size);
        }
        if (body) g_bytes_unref(body);
        return text;
    };
    guint status = 0;
    std::string type;
    std::string index = fetch("/", status, type);
    CHECK(status == 200);
    CHECK(type.find("text/html") == 0);
    CHECK(index.find("<form") != std::string::npos);
    fetch("/room.html", status, type);
    CHECK(status == 200);
    fetch("/../meson.build", status, type);
    CHECK(status == 404);
    fetch("/no-such-page.html", status, type);
    CHECK(status == 404);
}

TEST_CASE("silent listeners share one audio encode; speakers get a private mix-minus",
          "[room][audio]") {
    TestServer s;
    PeerOptions talker = s.peerOptions("speakers", "Talker");
    talker.pattern = 4;
    talker.toneHz = 520.0;
    auto speaker = std::make_unique<SyntheticPeer>(talker);
    speaker->start();
    std::vector<std::unique_ptr<SyntheticPeer>> silent;
    for (int i = 0; i < 3; ++i) {
        PeerOptions o = talker;
        o.name = "Quiet" + std::to_string(i);
        o.pattern = 5 + i;
        o.sendAudio = false;
        silent.push_back(std::make_unique<SyntheticPeer>(o));
        silent.back()->start();
    }
    REQUIRE(waitUntil(
        [&] {
            if (!receiving(*speaker, 5)) return false;
            for (auto& p : silent)
                if (!receiving(*p, 5)) return false;
            return true;
        },
        30s));
    room::Room* room = s.room("speakers");
    REQUIRE(room);
    // One private mix-minus encode (the talker's) plus one shared full-mix encode, however many
    // silent listeners there are.
    CHECK(waitUntil([&] { return room->audioMixer().speakers().size() == 1; }, 5s));
    CHECK(waitUntil([&] { return room->audioMixer().activeEncodes() == 2; }, 5s));
    // The silent ones hear the talker through the shared encode; the talker does not hear
    // itself through its private one.
    CHECK(waitUntil(
        [&] {
            for (auto& p : silent)
                if (p->toneLevel(520.0) < 0.15) return false;
            return speaker->toneLevel(520.0) < 0.03;
        },
        10s));
    for (auto& p : silent) CHECK(p->toneLevel(520.0) > 0.15);
    CHECK(speaker->toneLevel(520.0) < 0.03);
    // When the talker stops, nobody speaks: only the shared encode keeps running.
    speaker->stopSendingMedia();
    CHECK(waitUntil([&] { return room->audioMixer().speakers().empty(); }, 5s));
    CHECK(waitUntil([&] { return room->audioMixer().activeEncodes() == 1; }, 5s));
}

TEST_CASE("a speaker who falls silent sends DTX and is heard again when speaking",
          "[room][audio]") {
    TestServer s;
    auto talkerPeer = makePeer(s, "dtx", {"Talker", 4, 520.0});
    auto listenerPeer = makePeer(s, "dtx", {"Listener", 5, 520.0, 0.0});
    SyntheticPeer& talker = *talkerPeer;
    SyntheticPeer& listener = *listenerPeer;
    REQUIRE(waitUntil([&] { return receiving(talker, 5) && receiving(listener, 5); }, 20s));
    room::Room* room = s.room("dtx");
    REQUIRE(room);
    CHECK(waitUntil([&] { return listener.toneLevel(520.0) > 0.15; }, 10s));
    // The server's offer asked for DTX (usedtx=1): the muted listener sends a packet per
    // 400 ms, not 50 a second, and is no speaker.
    CHECK(audioPacketsSentDuring(listener, 1000ms) < 10);
    CHECK(room->audioMixer().speakers().size() == 1);

    // Continuity is judged from here, across the switches below: a loaded machine can drop a
    // few ticks while the room starts (DTLS handshakes, decoders, encoders all starting in this
    // one process), which is not what this test is about.
    const testing::RtpContinuity before = talker.audioRtpContinuity();

    // The talker falls silent: DTX, nobody is heard, nobody speaks.
    talker.setToneVolume(0.0);
    CHECK(waitUntil([&] { return audioPacketsSentDuring(talker, 1000ms) < 10; }, 5s));
    CHECK(waitUntil(
        [&] { return listener.toneLevel(520.0) < 0.03 && room->audioMixer().speakers().empty(); },
        5s));
    // Speech after seconds of DTX (a jump in RTP timestamps, not in sequence numbers) is
    // decoded, mixed and heard again.
    talker.setToneVolume(0.3);
    // The talker does not hear its own first words: it is a speaker from its first loud tick,
    // and its voice enters the mix only on the tick it is switched to its private mix-minus
    // (MixPlan), so no tick of the shared mix carries it back (a slow speaker detection let
    // ~100 ms through, 0.27; summing it during the warm-up tick, about 0.06).
    double ownOnset = 0;
    waitUntil(
        [&] {
            ownOnset = std::max(ownOnset, talker.toneLevel(520.0, 100));
            return false;
        },
        1000ms);
    INFO("own onset " << ownOnset);
    CHECK(ownOnset < 0.03);
    CHECK(waitUntil([&] { return listener.toneLevel(520.0) > 0.15; }, 5s));
    CHECK(waitUntil([&] { return room->audioMixer().speakers().size() == 1; }, 5s));
    CHECK(audioPacketsSentDuring(talker, 1000ms) >= 45);

    // The talker went from its private mix-minus encode to the shared one and back: what it
    // received stayed one stream, one SSRC, a packet every 20 ms of RTP time without a jump.
    const testing::RtpContinuity rtp = talker.audioRtpContinuity();
    std::string jumps;
    for (auto [index, ticks] : rtp.firstJumps)
        jumps += " #" + std::to_string(index) + ":" + std::to_string(ticks);
    INFO(rtp.packets << " packets, " << rtp.ssrcs.size() << " SSRCs, " << rtp.seqGaps
                     << " sequence gaps, " << rtp.timestampJumps << " timestamp jumps" << jumps
                     << " (" << before.timestampJumps << " before the switches)");
    CHECK(rtp.packets > before.packets + 150);
    CHECK(rtp.ssrcs.size() == 1);
    CHECK(rtp.timestampJumps == before.timestampJumps);
}

TEST_CASE("a large room decodes and mixes only the loudest senders", "[room][audio]") {
    // Eight microphones: two talkers, five quieter ones, one muted listener. Every sender
    // writes its RFC 6464 level (the server's offer lists the extension, as browsers honour);
    // the mixer decodes the five loudest ([audio] AudioAdmission default).
    TestServer s;
    std::vector<std::unique_ptr<SyntheticPeer>> peers;
    peers.push_back(makePeer(s, "loud", {"Talker1", 0, 440.0, 0.3, false}));
    peers.push_back(makePeer(s, "loud", {"Talker2", 0, 660.0, 0.3, false}));
    const std::vector<double> quietHz{570.0, 790.0, 910.0, 1030.0, 1150.0};
    const char* quietNames[] = {"Quiet0", "Quiet1", "Quiet2", "Quiet3", "Quiet4"};
    for (std::size_t i = 0; i < quietHz.size(); ++i)
        peers.push_back(makePeer(s, "loud", {quietNames[i], 0, quietHz[i], 0.08, false}));
    peers.push_back(makePeer(s, "loud", {"Listener", 0, 300.0, 0.0, false}));
    SyntheticPeer& listener = *peers.back();
    REQUIRE(waitUntil([&] { return allHearing(peers); }, 30s));
    room::Room* room = s.room("loud");
    REQUIRE(room);
    CHECK(waitUntil([&] { return room->audioMixer().mixedInputs() == 5; }, 5s));
    // The listener hears both talkers and exactly three of the five quieter microphones.
    auto heardQuiet = [&] {
        int heard = 0, silent = 0;
        for (double hz : quietHz) {
            double level = listener.toneLevel(hz);
            heard += level > 0.03;
            silent += level < 0.01;
        }
        return std::pair{heard, silent};
    };
    CHECK(waitUntil(
        [&] {
            return listener.toneLevel(440.0) > 0.15 && listener.toneLevel(660.0) > 0.15 &&
                   heardQuiet() == std::pair{3, 2};
        },
        10s));
    INFO("quiet heard/silent " << heardQuiet().first << "/" << heardQuiet().second);
    CHECK(heardQuiet() == std::pair{3, 2});

    // One of the unheard gets loud: it is mixed at once, in place of a quiet one.
    std::size_t unheard = 0;
    while (unheard < quietHz.size() && listener.toneLevel(quietHz[unheard]) > 0.01) ++unheard;
    REQUIRE(unheard < quietHz.size());
    peers[2 + unheard]->setToneVolume(0.3);
    CHECK(waitUntil([&] { return listener.toneLevel(quietHz[unheard]) > 0.15; }, 5s));
    CHECK(room->audioMixer().mixedInputs() == 5);
}

namespace {
/// `talkers` audio-only peers send distinct tones at once (writing RFC 6464 levels or not).
/// Once the mix has settled, every listener must hear every mixed tone but its own, and none of
/// the talkers not mixed: the mixed
/// talkers (at most [audio] max_mixed = 5) each have a private mix-minus, everyone else the
/// shared sum, which holds none of their voices. Returns one line of measured figures.
///
/// How "not its own" is measured: the server's mixes are exact (sum - own in 16-bit PCM; the
/// unit tests of MixPlan check that no listener's own input is ever in what it receives), but
/// what a listener decodes also holds noise at every frequency: Opus coding noise and the
/// splatter of the other tones' glitches (a late packet, a FIFO trimmed on a loaded machine).
/// Here the own tone reads 28-49 dB below the others, and so does the tone of a talker who is
/// in no mix at all; it is within ~14 dB of the level read 40 Hz either side of it, where
/// nobody sends (even with the mix encoded at 510 kbps). That floor, not the mixer, is what the
/// figure measures, so the check is: 30 dB below the others, or no more than 6 dB above the
/// floor beside it. The bug this guards against put the own tone at the others' level (0 dB).
std::string checkMixMinus(int talkers, bool writeLevels) {
    TestServer s;
    const std::string name = "mm" + std::to_string(talkers) + (writeLevels ? "" : "-nolevel");
    std::vector<std::unique_ptr<SyntheticPeer>> peers;
    std::vector<double> hz;
    // At least 80 Hz apart (Goertzel over 1 s separates 2 Hz), and chosen so that no harmonic or
    // second- or third-order intermodulation product of any of them (2a, 3a, a+b, a-b, 2a-b,
    // a+b-c) falls within 12 Hz of a tone or of its controls (40 Hz either side): coding
    // noise is not white, and an evenly spaced set puts 2a-b right on another talker's tone.
    // 0.1 each, so five summed never clip.
    constexpr double kTones[] = {400, 480, 572, 676, 860, 1412, 2160, 2808, 3072};
    REQUIRE(talkers <= static_cast<int>(std::size(kTones)));
    for (int i = 0; i < talkers; ++i) {
        hz.push_back(kTones[i]);
        PeerOptions o = s.peerOptions(name, "Talker" + std::to_string(i));
        o.toneHz = hz.back();
        o.toneVolume = 0.1;
        o.sendVideo = o.receiveVideo = false;
        o.writeAudioLevels = writeLevels;
        peers.push_back(std::make_unique<SyntheticPeer>(o));
        peers.back()->start();
    }
    REQUIRE(waitUntil([&] { return allHearing(peers); }, 30s));
    room::Room* room = s.room(name);
    REQUIRE(room);
    const std::size_t expectMixed = std::min<std::size_t>(static_cast<std::size_t>(talkers), 5);
    auto mixed = [&] {
        std::vector<std::size_t> idx;
        const auto speakers = room->audioMixer().speakers();
        for (std::size_t i = 0; i < peers.size(); ++i)
            if (speakers.count(peers[i]->participantId())) idx.push_back(i);
        return idx;
    };
    constexpr double kHeard = 0.07;  // of the 0.1 sent: a window without a glitch in it
    constexpr int kWindowMs = 1000;
    // One listener's reading of a window: its own tone, the floor beside it, the weakest mixed
    // tone of the others and the loudest tone of those not mixed.
    struct Reading {
        double own = 0, floor = 0, weakest = 0, loudestUnmixed = 0;
    };
    std::vector<std::size_t> m;
    std::vector<Reading> readings(peers.size());
    // A window in which the mix is settled (max_mixed talkers mixed) and every listener hears
    // every mixed tone but its own at least at kHeard: a loaded machine has glitches (late
    // packets, trimmed FIFOs) that can blank part of a window. Chosen by the other tones only;
    // the own tone is then read from the same window.
    // The mixed set must also have stayed the same for the whole window: while peers join the
    // selection settles, and a talker mixed early in a window is heard in part of it.
    gint64 sameSinceUs = g_get_monotonic_time();
    auto cleanWindow = [&] {
        const auto now = mixed();
        if (now != m) {
            m = now;
            sameSinceUs = g_get_monotonic_time();
        }
        if (m.size() != expectMixed || g_get_monotonic_time() - sameSinceUs < kWindowMs * 1000)
            return false;
        for (std::size_t i = 0; i < peers.size(); ++i) {
            const SyntheticPeer& p = *peers[i];
            Reading r;
            r.weakest = 1;
            for (std::size_t j : m)
                if (j != i) r.weakest = std::min(r.weakest, p.toneLevel(hz[j], kWindowMs));
            if (r.weakest < kHeard) return false;
            r.own = std::max(p.toneLevel(hz[i], kWindowMs), 1e-9);
            r.floor = std::max(
                {p.toneLevel(hz[i] - 40, kWindowMs), p.toneLevel(hz[i] + 40, kWindowMs), 1e-9});
            for (std::size_t j = 0; j < peers.size(); ++j)
                if (j != i && std::find(m.begin(), m.end(), j) == m.end())
                    r.loudestUnmixed = std::max(r.loudestUnmixed, p.toneLevel(hz[j], kWindowMs));
            readings[i] = r;
        }
        return true;
    };
    INFO(describe(peers));
    REQUIRE(waitUntil(cleanWindow, 20s));
    CHECK(room->audioMixer().mixedInputs() == expectMixed);
    // Each mixed talker's own encode, and one of the sum for everyone else, if anyone is.
    CHECK(room->audioMixer().activeEncodes() == expectMixed + (peers.size() > expectMixed ? 1 : 0));
    double worstOwnDb = -400, worstOverFloorDb = -400, weakestOther = 1, loudestUnmixed = 0;
    for (std::size_t i = 0; i < peers.size(); ++i) {
        const Reading& r = readings[i];
        const double ownDb = 20 * std::log10(r.own / r.weakest);
        const double overFloorDb = 20 * std::log10(r.own / r.floor);
        const bool isMixed = std::find(m.begin(), m.end(), i) != m.end();
        INFO(peers[i]->options().name << (isMixed ? " (mixed)" : " (not mixed)") << ": own "
                                      << r.own << " (" << ownDb << " dB to the weakest other, "
                                      << r.weakest << "; " << overFloorDb << " dB to the floor, "
                                      << r.floor << ")");
        CHECK((ownDb < -30.0 || overFloorDb < 6.0));
        worstOwnDb = std::max(worstOwnDb, ownDb);
        worstOverFloorDb = std::max(worstOverFloorDb, overFloorDb);
        weakestOther = std::min(weakestOther, r.weakest);
        loudestUnmixed = std::max(loudestUnmixed, r.loudestUnmixed);
    }
    // Who is not mixed is not heard: its tone is down in the noise too (which reached 0.005 in a
    // glitchy window; a mixed tone reads ~0.09).
    CHECK(loudestUnmixed < 0.01);
    char line[300];
    std::snprintf(line, sizeof line,
                  "%d talkers%s: mixed %zu, Opus encodes %zu; own tone at worst %.1f dB below the "
                  "weakest other tone (%.3f) and %+.1f dB from the noise floor beside it; unmixed "
                  "tones at most %.4f",
                  talkers, writeLevels ? "" : " (no RFC 6464 levels)", m.size(),
                  room->audioMixer().activeEncodes(), -worstOwnDb, weakestOther, worstOverFloorDb,
                  loudestUnmixed);
    return line;
}
}  // namespace

TEST_CASE("nobody hears their own voice, however many talk at once", "[room][audio][mixminus]") {
    const int talkers = GENERATE(4, 5, 6, 9);
    const std::string figures = checkMixMinus(talkers, true);
    std::fprintf(stderr, "mix-minus: %s\n", figures.c_str());
}

TEST_CASE("nobody hears their own voice when clients write no audio levels",
          "[room][audio][mixminus]") {
    // Senders without the RFC 6464 extension are all decoded; the five loudest by their decoded
    // level are mixed, the same way.
    const int talkers = GENERATE(4, 5, 6, 9);
    const std::string figures = checkMixMinus(talkers, false);
    std::fprintf(stderr, "mix-minus: %s\n", figures.c_str());
}

TEST_CASE("senders without audio levels are decoded only while they send sound", "[room][audio]") {
    // Clients that write no RFC 6464 level and ignore the offer's usedtx=1: the muted ones
    // send a packet of digital silence every 20 ms. The server reads each packet's Opus TOC and
    // size (no decode): it decodes the talker and none of the five muted, and a muted one that
    // starts talking is heard at once.
    TestServer s;
    std::vector<std::unique_ptr<SyntheticPeer>> peers;
    auto add = [&](const std::string& name, double hz, double volume) {
        PeerOptions o = s.peerOptions("nolevels", name);
        o.toneHz = hz;
        o.toneVolume = volume;
        o.sendVideo = o.receiveVideo = false;
        o.writeAudioLevels = false;
        o.useDtx = false;
        peers.push_back(std::make_unique<SyntheticPeer>(o));
        peers.back()->start();
    };
    add("Talker", 440.0, 0.3);
    for (int i = 0; i < 5; ++i) add("Muted" + std::to_string(i), 560.0 + 120.0 * i, 0.0);
    // Everyone but the talker hears it (the talker itself hears silence, which the server
    // sends as DTX, so it is not waited on); only the talker is decoded.
    auto settled = [&] {
        for (const auto& p : peers)
            if (!p->connected() || p->roster().size() != peers.size()) return false;
        for (std::size_t i = 1; i < peers.size(); ++i)
            if (peers[i]->toneLevel(440.0) < 0.15) return false;
        return true;
    };
    REQUIRE(waitUntil(settled, 30s));
    room::Room* room = s.room("nolevels");
    REQUIRE(room);
    INFO(describe(peers));
    CHECK(waitUntil([&] { return room->audioMixer().decodedInputs() == 1; }, 5s));
    CHECK(room->audioMixer().decodedInputs() == 1);
    // The muted send a packet every 20 ms all the same (with DTX it would be one per 400 ms).
    const std::uint64_t sent = peers[1]->audioPacketsSent();
    CHECK(waitUntil([&] { return peers[1]->audioPacketsSent() > sent + 40; }, 2s));
    CHECK(room->audioMixer().decodedInputs() == 1);

    // One of them starts talking: decoded and heard by the others within a second or two.
    peers[3]->setToneVolume(0.3);
    const double hz = 560.0 + 120.0 * 2;
    CHECK(waitUntil(
        [&] {
            return peers[0]->toneLevel(hz) > 0.15 && peers[1]->toneLevel(hz) > 0.15 &&
                   room->audioMixer().decodedInputs() == 2;
        },
        5s));
    // And muted again: no longer decoded.
    peers[3]->setToneVolume(0.0);
    CHECK(waitUntil([&] { return room->audioMixer().decodedInputs() == 1; }, 5s));
}

TEST_CASE("viewers in different tiers get different sizes from one composite", "[room][tiers]") {
    TestServer s;
    auto a = makePeer(s, "tiers", {"A", 4, 440.0});
    auto b = makePeer(s, "tiers", {"B", 5, 660.0});
    REQUIRE(waitUntil([&] { return receiving(*a, 5) && receiving(*b, 5); }, 20s));
    room::Room* room = s.room("tiers");
    CHECK(room->videoMixer().activeEncoders() == 1);

    b->sendRaw(R"({"type":"set-quality","tier":"low"})");
    // B now decodes the quarter-size tier; A keeps the full one; two encoders run.
    CHECK(waitUntil([&] { return b->lastVideoSize() == std::array<int, 2>{160, 90}; }, 10s));
    CHECK(a->lastVideoSize() == std::array<int, 2>{kWidth, kHeight});
    CHECK(room->videoMixer().activeEncoders() == 2);
    CHECK(framesDuring(*b, 1000ms) >= 5);   // low tier: 15 fps nominal
    CHECK(framesDuring(*a, 1000ms) >= 10);  // unaffected (30 fps nominal)
    // Both tiers show the same composite: B's own tile is green in B's small picture too.
    auto small = media::gridLayout(2, 160, 90);
    std::size_t bIndex = b->roster().at(0).name == "B" ? 0 : 1;
    const media::Rect& tile = small[bIndex];
    auto green = b->lastFrameRGB().mean(tile.x + tile.width / 4, tile.y + tile.height / 8,
                                        tile.width / 2, tile.height / 2);
    CHECK(green[1] > 128);
    CHECK(green[0] < 100);

    b->sendRaw(R"({"type":"set-quality","tier":"audio"})");
    CHECK(waitUntil([&] { return room->videoMixer().activeEncoders() == 1; }, 5s));
    uint64_t frames = b->videoFramesDecoded();
    testing::runFor(1000ms);
    CHECK(b->videoFramesDecoded() - frames <= 2);  // video stopped ...
    CHECK(b->toneLevel(440.0) > 0.15);             // ... audio did not

    b->sendRaw(R"({"type":"set-quality","tier":"auto"})");
    CHECK(waitUntil(
        [&] {
            return b->lastVideoSize() == std::array<int, 2>{kWidth, kHeight};
        },
        10s));
    CHECK(room->videoMixer().activeEncoders() == 1);
    CHECK(framesDuring(*a, 1000ms) >= 10);
}

TEST_CASE("a tier keeps to its bitrate when the content does not fit", "[room][tiers]") {
    // Three senders of moving SMPTE bars into a 150 kbps composite: at 30 fps that content
    // needs over twice the rate even at VP8's coarsest quantizer. A viewer placed in a tier for
    // its link must get the tier's rate (fewer frames), not the content's: the encoder used to
    // send ~330 kbps here with its quantizer capped at 63, more at 56, and ~150 kbps at
    // 12 fps since it drops frames (pipelines/video-encode-vp8.pipeline).
    constexpr int kTierBps = 150000;
    TestServer s(true, {"127.0.0.1"}, [](app::Config& c) { c.media.videoBitrate = kTierBps; });
    std::vector<std::unique_ptr<SyntheticPeer>> peers;
    for (const char* name : {"A", "B", "C"}) {
        PeerOptions o = s.peerOptions("bitrate", name);
        o.pattern = 0;  // smpte
        o.horizontalSpeed = 4;
        o.width = 640;
        o.height = 360;
        o.fps = 30;
        o.videoBitrate = 1000000;
        peers.push_back(std::make_unique<SyntheticPeer>(o));
        peers.back()->start();
    }
    REQUIRE(waitUntil(
        [&] {
            return std::all_of(peers.begin(), peers.end(),
                               [](const auto& p) { return receiving(*p, 30); });
        },
        20s));
    testing::runFor(2000ms);  // past the joins' keyframes and the rate control's start
    const SyntheticPeer& viewer = *peers[0];
    const std::uint64_t bytes0 = viewer.videoBytesReceived();
    const std::uint64_t frames = framesDuring(viewer, 4000ms);
    const double bps = double(viewer.videoBytesReceived() - bytes0) * 8 / 4;
    INFO(bps << " bps of video (RTP after SRTP) and " << frames << " frames in 4 s");
    CHECK(bps < kTierBps * 1.3);  // the tier's rate, plus RTP/SRTP headers
    CHECK(frames >= 20);          // still a moving picture (5+ fps)
}

TEST_CASE("keyframe requests to a shared encoder are rate-limited", "[room][tiers]") {
    TestServer s;
    auto a = makePeer(s, "keyframes", {"A", 4, 440.0});
    auto b = makePeer(s, "keyframes", {"B", 5, 660.0});
    auto c = makePeer(s, "keyframes", {"C", 6, 880.0});
    REQUIRE(
        waitUntil([&] { return receiving(*a, 5) && receiving(*b, 5) && receiving(*c, 5); }, 20s));
    room::Room* room = s.room("keyframes");
    // The server counts PLI/FIR once it watches a viewer's RTCP (its first feedback pass).
    REQUIRE(waitUntil(
        [&] {
            a->requestKeyframe();
            b->requestKeyframe();
            return room->keyframeRequests() > 0;
        },
        5s));

    // A and B ask for a keyframe every 20 ms for 3 s, as decoders on a lossy link would.
    const unsigned long requests0 = room->keyframeRequests();
    const std::uint64_t keyframes0 = room->videoMixer().keyframes();
    const std::uint64_t frames0 = c->videoFramesDecoded();
    std::array<SyntheticPeer*, 2> askers{a.get(), b.get()};
    core::SourcePtr asking(g_timeout_source_new(20));
    g_source_set_callback(
        asking.get(),
        [](gpointer data) -> gboolean {
            for (SyntheticPeer* p : *static_cast<std::array<SyntheticPeer*, 2>*>(data))
                p->requestKeyframe();
            return G_SOURCE_CONTINUE;
        },
        &askers, nullptr);
    g_source_attach(asking.get(), nullptr);
    testing::runFor(3000ms);
    g_source_destroy(asking.get());
    const unsigned long requests = room->keyframeRequests() - requests0;
    const std::uint64_t keyframes = room->videoMixer().keyframes() - keyframes0;
    INFO(requests << " PLI/FIR received, " << keyframes << " keyframes encoded in 3 s");
    CHECK(requests > keyframes + 2);  // more were asked for than made...
    CHECK(keyframes >= 3);            // ... yet they were answered ...
    CHECK(keyframes <= 7);            // ... one per 500 ms at most (6 in 3 s, 1 at the edge)
    // and the viewer who asked for nothing still sees the full frame rate.
    CHECK(c->videoFramesDecoded() - frames0 >= 75);
}

TEST_CASE("beyond max_tiles a participant is off stage until it speaks", "[room][stage]") {
    TestServer s(true, {"127.0.0.1"}, [](app::Config& c) { c.media.maxTiles = 2; });
    // Joined one after another, so the first two take the two tiles.
    auto red = makePeer(s, "stage", {"Red", 4, 440.0, 0.0});
    REQUIRE(waitUntil([&] { return receiving(*red, 5); }, 20s));
    auto green = makePeer(s, "stage", {"Green", 5, 660.0, 0.0});
    REQUIRE(waitUntil([&] { return receiving(*green, 5) && red->roster().size() == 2; }, 20s));
    auto blue = makePeer(s, "stage", {"Blue", 6, 880.0, 0.0});
    REQUIRE(waitUntil(
        [&] {
            return receiving(*blue, 5) && red->roster().size() == 3 && green->roster().size() == 3;
        },
        20s));
    room::Room* room = s.room("stage");
    REQUIRE(room);
    CHECK(room->isShown(red->participantId()));
    CHECK(room->isShown(green->participantId()));
    CHECK_FALSE(room->isShown(blue->participantId()));

    // Two tiles, red and green; blue is drawn nowhere (its pad would sit at the top left, in
    // the letterbox) and is asked to send its minimum.
    const auto tiles = media::gridLayout(2, kWidth, kHeight);
    auto colourAt = [&](const SyntheticPeer& p, const media::Rect& r) {
        return tileColour(p.lastFrameRGB(), r);
    };
    CHECK(waitUntil(
        [&] {
            auto left = colourAt(*green, tiles[0]);
            auto right = colourAt(*green, tiles[1]);
            auto corner = green->lastFrameRGB().mean(0, 0, 64, 36);
            return left[0] > 128 && left[2] < 100 && right[1] > 128 && right[2] < 100 &&
                   corner[2] < 60;
        },
        10s));
    CHECK(waitUntil([&] { return blue->lastSendHint()[0] == 64; }, 5s));
    CHECK(blue->lastSendHint()[2] <= 30000);

    // Blue speaks: it comes on stage in place of the one quiet longest (red: first on stage,
    // never spoke); green keeps its tile.
    blue->setToneVolume(0.3);
    CHECK(waitUntil([&] { return room->isShown(blue->participantId()); }, 5s));
    CHECK_FALSE(room->isShown(red->participantId()));
    CHECK(waitUntil(
        [&] {
            auto left = colourAt(*green, tiles[0]);
            auto right = colourAt(*green, tiles[1]);
            return left[2] > 128 && left[0] < 100 && right[1] > 128 && right[2] < 100;
        },
        10s));
    CHECK(waitUntil([&] { return blue->lastSendHint()[0] == tiles[0].width; }, 5s));
    CHECK(waitUntil([&] { return red->lastSendHint()[0] == 64; }, 5s));
}

TEST_CASE("a participant who sends no video has a black tile with their name", "[room]") {
    TestServer s;
    auto sender = makePeer(s, "listen", {"Red", 4, 440.0});
    PeerOptions o = s.peerOptions("listen", "Listener");
    o.sendVideo = false;
    SyntheticPeer listener(o);
    listener.start();
    bool started = waitUntil(
        [&] {
            return receiving(*sender, 10) && sender->roster().size() == 2 && listener.connected() &&
                   listener.videoFramesDecoded() > 10;
        },
        20s);
    INFO(describe(*sender) << describe(listener));
    REQUIRE(started);
    auto tiles = media::gridLayout(2, kWidth, kHeight);
    std::size_t index = sender->roster().at(0).name == "Listener" ? 0 : 1;
    const media::Rect& tile = tiles[index];
    // The name label (white text, bottom left) is drawn on a black frame: count bright pixels
    // in the bottom-left part of the tile.
    auto brightPixels = [&](const testing::Frame& f) {
        int n = 0;
        for (int y = tile.y + tile.height / 2; y < tile.y + tile.height; ++y)
            for (int x = tile.x; x < tile.x + tile.width / 2; ++x) {
                auto px = f.at(x, y);
                n += px[0] > 150 && px[1] > 150 && px[2] > 150;
            }
        return n;
    };
    // The sender's own tile shows its red picture once its first keyframe has been decoded,
    // which on a loaded machine can come after the listener's label: wait for both.
    int bright = 0;
    std::array<double, 3> centre{}, red{};
    bool shown = waitUntil(
        [&] {
            testing::Frame f = sender->lastFrameRGB();
            bright = brightPixels(f);
            centre = tileColour(f, tile);
            red = tileColour(f, tiles[1 - index]);
            return bright >= 20 && red[0] > 150;
        },
        10s);
    INFO("bright label pixels " << bright << "; tile centre " << centre[0] << "," << centre[1]
                                << "," << centre[2] << "; sender's tile " << red[0] << "," << red[1]
                                << "," << red[2]);
    CHECK(shown);
    CHECK(centre[0] < 40);
    CHECK(centre[1] < 40);
    CHECK(centre[2] < 40);
    CHECK(red[1] < 100);
}

TEST_CASE("every sender is capped to its send hint by REMB, off stage to the minimum",
          "[room][remb]") {
    // A page that ignores send-hint still gets the cap the way every browser obeys it: each RTCP
    // compound the server sends carries a REMB of the hint's maxBitrate plus room for audio.
    TestServer s(true, {"127.0.0.1"}, [](app::Config& c) { c.media.maxTiles = 2; });
    std::vector<std::unique_ptr<SyntheticPeer>> peers;
    peers.push_back(makePeer(s, "remb", {"Red", 4, 440.0, 0.0}));
    REQUIRE(waitUntil([&] { return receiving(*peers[0], 5); }, 20s));
    peers.push_back(makePeer(s, "remb", {"Green", 5, 660.0, 0.0}));
    REQUIRE(waitUntil([&] { return receiving(*peers[1], 5); }, 20s));
    peers.push_back(makePeer(s, "remb", {"Blue", 6, 880.0, 0.0}));
    room::Room* room = s.room("remb");
    REQUIRE(room);
    auto capped = [&](const SyntheticPeer& p) {
        const int hint = p.lastSendHint()[2];
        // REMB carries an 18-bit mantissa: above 2^18 bps the low bits are cut, so the REMB is
        // the cap rounded down to what it can say (exact below 262144 bps).
        const std::uint64_t cap = static_cast<std::uint64_t>(hint) + media::Endpoint::kRembAudioBps;
        std::uint64_t step = 1;
        while ((cap / step) >= (std::uint64_t{1} << 18)) step *= 2;
        return hint > 0 && p.lastRembBps() <= cap && p.lastRembBps() + step > cap;
    };
    INFO(describe(peers));
    CHECK(waitUntil(
        [&] {
            return std::all_of(peers.begin(), peers.end(),
                               [&](const auto& p) { return receiving(*p, 5) && capped(*p); });
        },
        20s));
    for (const auto& p : peers) {
        INFO(p->options().name << ": hint " << p->lastSendHint()[2] << " bps, last REMB "
                               << p->lastRembBps() << " bps, " << p->rembsReceived() << " REMBs");
        CHECK(capped(*p));
    }
    // Blue is off stage (max_tiles 2): its cap is the minimum, 30 kbps of video.
    CHECK_FALSE(room->isShown(peers[2]->participantId()));
    CHECK(peers[2]->lastSendHint()[2] == media::SendHintPolicy::kOffStageBitrate);
    CHECK(peers[2]->lastRembBps() ==
          media::SendHintPolicy::kOffStageBitrate + media::Endpoint::kRembAudioBps);
    // Red's tile shrank when Green came: its REMB followed (a 640x360 composite at 800 kbps:
    // alone 1.2 Mbps, half the area 600 kbps).
    CHECK(peers[0]->lastSendHint()[2] < 1200000);
}
