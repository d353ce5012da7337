// Flow firewalls (media/FlowFirewall.h) on a real composite: one consumer of the shared
// composite returning FLUSHING or ERROR must not stop what the other consumers receive.
// Without the firewalls the flow goes back through the tier tee and the composite tee into the
// compositor, whose source task pauses for good: the other viewer's frames stop.
#include <gst/app/gstappsink.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "core/GstPtr.h"
#include "media/FlowFirewall.h"
#include "media/Fragments.h"
#include "media/MediaMetrics.h"
#include "media/SendBranch.h"
#include "media/Teardown.h"
#include "media/VideoMixer.h"
#include "mixmeet-config.h"

using namespace mixmeet;

namespace {

/// A sink pad probe that, once `fail` is set, refuses every buffer (or list; a payloader
/// pushes lists) with `flow` (the way a
/// webrtcbin being torn down returns FLUSHING, or a full disk ERROR); counts buffers before.
struct FailingSink {
    std::atomic<bool> fail{false};
    std::atomic<int> buffers{0};
    std::atomic<int> refused{0};
    GstFlowReturn flow = GST_FLOW_FLUSHING;

    void attach(GstElement* sink) {
        core::PadPtr pad = core::PadPtr::adopt(gst_element_get_static_pad(sink, "sink"));
        gst_pad_add_probe(
            pad.get(),
            static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                         GST_PAD_PROBE_TYPE_BUFFER_LIST),
            [](GstPad*, GstPadProbeInfo* info, gpointer d) noexcept {
                auto* self = static_cast<FailingSink*>(d);
                if (!self->fail.load()) {
                    self->buffers.fetch_add(1);
                    return GST_PAD_PROBE_OK;
                }
                self->refused.fetch_add(1);
                gst_mini_object_unref(GST_MINI_OBJECT(GST_PAD_PROBE_INFO_DATA(info)));
                GST_PAD_PROBE_INFO_DATA(info) = nullptr;
                GST_PAD_PROBE_INFO_FLOW_RETURN(info) = self->flow;
                return GST_PAD_PROBE_HANDLED;
            },
            this, nullptr);
    }
};

/// Waits up to `timeout` for `done`, iterating the main context meanwhile (a tier's restart
/// runs there).
template <typename F>
bool waitFor(F done, std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) return false;
        g_main_context_iteration(nullptr, FALSE);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

/// Pulls `n` samples from `sink`, each within 2 s. true if all came.
bool receives(GstElement* sink, int n) {
    for (int i = 0; i < n; ++i) {
        GstSample* s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 2 * GST_SECOND);
        if (!s) return false;
        gst_sample_unref(s);
    }
    return true;
}

/// A room-like composite (one live camera tile) with a watching appsink on the low tier.
struct Composite {
    media::Fragments fragments;
    media::MediaConfig config;
    core::ElementPtr pipeline = core::ElementPtr::refSink(gst_pipeline_new("firewall"));
    std::unique_ptr<media::VideoMixer> mixer;
    core::PadPtr tile;
    core::PadPtr watchPad;
    core::ElementPtr watcher;

    explicit Composite(media::Fragments f) : fragments(std::move(f)) {
        config.width = 320;
        config.height = 180;
        auto m = media::VideoMixer::create(GST_BIN(pipeline.get()), config, fragments, "grid");
        REQUIRE(m);
        mixer = std::move(m).value();
        GstElement* camera = gst_parse_bin_from_description(
            "videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=160,height=90,"
            "framerate=30/1 ! identity",
            TRUE, nullptr);
        REQUIRE(camera);
        gst_bin_add(GST_BIN(pipeline.get()), camera);
        tile = mixer->requestInput();
        core::PadPtr out = core::PadPtr::adopt(gst_element_get_static_pad(camera, "src"));
        REQUIRE(gst_pad_link(out.get(), tile.get()) == GST_PAD_LINK_OK);
        mixer->setTile(tile, media::Rect{0, 0, 320, 180}, 0);

        watchPad = mixer->requestOutput(2);
        REQUIRE(watchPad);
        watcher = core::makeElement("appsink", "watcher");
        g_object_set(watcher.get(), "sync", FALSE, "max-buffers", 4, "drop", TRUE, nullptr);
        gst_bin_add(GST_BIN(pipeline.get()), watcher.get());
        core::PadPtr in = core::PadPtr::adopt(gst_element_get_static_pad(watcher.get(), "sink"));
        REQUIRE(gst_pad_link(watchPad.get(), in.get()) == GST_PAD_LINK_OK);
    }
    ~Composite() {
        gst_element_set_state(pipeline.get(), GST_STATE_NULL);
        mixer.reset();
    }
};

media::Fragments loadFragments() {
    auto f = media::Fragments::load(std::string(MIXMEET_SOURCE_DIR) + "/pipelines");
    REQUIRE(f);
    return std::move(f).value();
}

}  // namespace

TEST_CASE("a viewer whose webrtcbin returns FLUSHING stops no other viewer of its composite",
          "[media][firewall]") {
    Composite room(loadFragments());
    REQUIRE(gst_element_set_state(room.pipeline.get(), GST_STATE_PLAYING) !=
            GST_STATE_CHANGE_FAILURE);
    REQUIRE(receives(room.watcher.get(), 5));
    // The failing viewer joins the running room: a participant's send branch (queue, valve,
    // payloader) in a bin, the payloader into a sink standing in for its webrtcbin; running
    // before it is linked, as Room does (design.md, "Live branches").
    GstElement* bin = gst_bin_new("viewer");
    media::SendBranch branch;
    REQUIRE(branch.build(GST_BIN(bin), room.config, room.fragments));
    GstElement* webrtc = gst_element_factory_make("fakesink", "webrtc");
    g_object_set(webrtc, "sync", FALSE, nullptr);
    gst_bin_add(GST_BIN(bin), webrtc);
    REQUIRE(gst_element_link(branch.videoPayloader(), webrtc));
    FailingSink failing;
    failing.attach(webrtc);
    gst_bin_add(GST_BIN(room.pipeline.get()), bin);
    REQUIRE(gst_element_sync_state_with_parent(bin));
    core::PadPtr viewerPad = room.mixer->requestOutput(2);
    REQUIRE(gst_pad_link(viewerPad.get(), branch.videoSink()) == GST_PAD_LINK_OK);
    branch.open();
    REQUIRE(waitFor([&] { return failing.buffers.load() > 0; }, std::chrono::seconds(5)));

    const auto before = media::absorbedFlows();
    failing.fail = true;
    REQUIRE(waitFor([&] { return failing.refused.load() >= 1; }, std::chrono::seconds(5)));
    // The other viewer goes on receiving (15 fps low tier: 30 frames is 2 s)...
    CHECK(receives(room.watcher.get(), 30));
    // ...the flows were absorbed at the payloader...
    CHECK(media::absorbedFlows().flushing > before.flushing);
    // ...and the failing viewer's own queue is still alive: once its sink takes buffers again,
    // they come.
    failing.fail = false;
    const int had = failing.buffers.load();
    CHECK(waitFor([&] { return failing.buffers.load() > had + 3; }, std::chrono::seconds(5)));

    gst_element_set_state(room.pipeline.get(), GST_STATE_NULL);
    room.mixer->releaseOutput(2, viewerPad);
}

TEST_CASE("a recording whose disk fails (ERROR) stops neither the composite nor its viewers",
          "[media][firewall]") {
    Composite room(loadFragments());
    // A consumer of the raw composite, as a recording or live encode is: a bin entered through
    // a firewall ghost pad, a queue, then a sink that fails with ERROR.
    GstElement* bin = gst_bin_new("recording");
    gst_bin_add(GST_BIN(room.pipeline.get()), bin);
    GstElement* queue = gst_element_factory_make("queue", "queue");
    GstElement* file = gst_element_factory_make("fakesink", "file");
    g_object_set(file, "sync", FALSE, nullptr);
    gst_bin_add_many(GST_BIN(bin), queue, file, nullptr);
    REQUIRE(gst_element_link(queue, file));
    core::PadPtr ghost = media::firewallGhost(bin, queue, "sink");
    REQUIRE(ghost);
    FailingSink failing;
    failing.flow = GST_FLOW_ERROR;
    failing.attach(file);
    core::PadPtr raw = room.mixer->requestRawOutput();
    REQUIRE(gst_pad_link(raw.get(), ghost.get()) == GST_PAD_LINK_OK);

    REQUIRE(gst_element_set_state(room.pipeline.get(), GST_STATE_PLAYING) !=
            GST_STATE_CHANGE_FAILURE);
    REQUIRE(receives(room.watcher.get(), 5));
    REQUIRE(waitFor([&] { return failing.buffers.load() > 0; }, std::chrono::seconds(5)));
    const auto before = media::absorbedFlows();
    failing.fail = true;
    REQUIRE(waitFor([&] { return failing.refused.load() >= 1; }, std::chrono::seconds(5)));
    CHECK(receives(room.watcher.get(), 30));
    // The queue stopped on ERROR; what it returned from then on was absorbed at the ghost pad.
    CHECK(media::absorbedFlows().error > before.error);

    gst_element_set_state(room.pipeline.get(), GST_STATE_NULL);
    room.mixer->releaseRawOutput(raw);
}

TEST_CASE("a tier whose encoder chain fails restarts, and its viewers receive frames again",
          "[media][firewall]") {
    Composite room(loadFragments());
    REQUIRE(media::Teardown::start());
    REQUIRE(gst_element_set_state(room.pipeline.get(), GST_STATE_PLAYING) !=
            GST_STATE_CHANGE_FAILURE);
    REQUIRE(receives(room.watcher.get(), 5));
    // A failure inside the low tier: its scaler's output refused once with ERROR (as an
    // encoder that cannot encode returns), which stops the tier's queue for good.
    core::ElementPtr tier =
        core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(room.pipeline.get()), "tier-grid-low"));
    REQUIRE(tier);
    core::ElementPtr scale =
        core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(tier.get()), "scale"));
    REQUIRE(scale);
    FailingSink failing;
    failing.flow = GST_FLOW_ERROR;
    core::PadPtr scaleSrc = core::PadPtr::adopt(gst_element_get_static_pad(scale.get(), "src"));
    gst_pad_add_probe(
        scaleSrc.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo* info, gpointer d) noexcept {
            auto* f = static_cast<FailingSink*>(d);
            if (!f->fail.exchange(false)) return GST_PAD_PROBE_OK;  // once
            f->refused.fetch_add(1);
            gst_buffer_unref(GST_PAD_PROBE_INFO_BUFFER(info));
            GST_PAD_PROBE_INFO_DATA(info) = nullptr;
            GST_PAD_PROBE_INFO_FLOW_RETURN(info) = f->flow;
            return GST_PAD_PROBE_HANDLED;
        },
        &failing, nullptr);
    const auto restartsBefore = media::mediaMetrics().tierRestarts.load();
    failing.fail = true;
    REQUIRE(waitFor([&] { return failing.refused.load() == 1; }, std::chrono::seconds(5)));
    // The queue stopped: the watcher drains what was in flight, then the restart brings
    // frames again (encoded afresh from a keyframe).
    auto pulled = [&] {
        GstSample* s = gst_app_sink_try_pull_sample(GST_APP_SINK(room.watcher.get()), 0);
        if (s) gst_sample_unref(s);
        return s != nullptr;
    };
    CHECK(waitFor([&] { return room.mixer->tierRestarts(2) == 1; }, std::chrono::seconds(5)));
    CHECK(media::mediaMetrics().tierRestarts.load() == restartsBefore + 1);
    int after = 0;
    CHECK(waitFor([&] { return (after += pulled()) >= 15; }, std::chrono::seconds(10)));
    gst_element_set_state(room.pipeline.get(), GST_STATE_NULL);
    CHECK(waitFor([] { return media::Teardown::pending() == 0; }, std::chrono::seconds(5)));
}
