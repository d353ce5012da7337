// Load shedding (media/LateFrames.h): late frames are dropped, on-time ones pass, an encoded
// stream resumes at a keyframe, and the compositor is told (QoS) when its output is late.
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "core/GstPtr.h"
#include "media/LateFrames.h"

using namespace mixmeet;
using namespace std::chrono_literals;

namespace {

/// appsrc (live, time) -> identity -> fakesink, playing on the system clock. Records the
/// offset of every buffer reaching the sink and the upstream events leaving appsrc.
struct Chain {
    core::ElementPtr pipeline;
    core::ElementPtr src, identity;
    std::mutex mutex;
    std::vector<guint64> arrived;  // GST_BUFFER_OFFSET of each buffer at the sink
    std::vector<GstEventType> upstream;
    GstClockTimeDiff qosDiff = 0;

    Chain() {
        pipeline = core::ElementPtr::refSink(
            gst_parse_launch("appsrc name=src is-live=true format=time ! identity name=id ! "
                             "fakesink name=sink sync=false async=false",
                             nullptr));
        REQUIRE(pipeline);
        src = core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "src"));
        identity = core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "id"));
        core::ElementPtr sink =
            core::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "sink"));
        core::PadPtr sinkPad = core::PadPtr::adopt(gst_element_get_static_pad(sink.get(), "sink"));
        gst_pad_add_probe(
            sinkPad.get(), GST_PAD_PROBE_TYPE_BUFFER,
            [](GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
                auto& c = *static_cast<Chain*>(data);
                std::lock_guard lock(c.mutex);
                c.arrived.push_back(GST_BUFFER_OFFSET(GST_PAD_PROBE_INFO_BUFFER(info)));
                return GST_PAD_PROBE_OK;
            },
            this, nullptr);
        core::PadPtr srcPad = core::PadPtr::adopt(gst_element_get_static_pad(src.get(), "src"));
        gst_pad_add_probe(
            srcPad.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
            [](GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
                auto& c = *static_cast<Chain*>(data);
                GstEvent* e = GST_PAD_PROBE_INFO_EVENT(info);
                std::lock_guard lock(c.mutex);
                c.upstream.push_back(GST_EVENT_TYPE(e));
                if (GST_EVENT_TYPE(e) == GST_EVENT_QOS)
                    gst_event_parse_qos(e, nullptr, nullptr, &c.qosDiff, nullptr);
                return GST_PAD_PROBE_OK;
            },
            this, nullptr);
    }
    ~Chain() { gst_element_set_state(pipeline.get(), GST_STATE_NULL); }

    core::PadPtr pad(const char* name) {
        return core::PadPtr::adopt(gst_element_get_static_pad(identity.get(), name));
    }
    void play() {
        // Running time starts 10 s before now, so frames can be stamped up to 10 s old.
        core::GPtr<GstClock> clock = core::GPtr<GstClock>::adopt(gst_system_clock_obtain());
        gst_pipeline_use_clock(GST_PIPELINE(pipeline.get()), clock.get());
        gst_element_set_start_time(pipeline.get(), GST_CLOCK_TIME_NONE);
        gst_element_set_base_time(pipeline.get(),
                                  gst_clock_get_time(clock.get()) - 10 * GST_SECOND);
        REQUIRE(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) !=
                GST_STATE_CHANGE_FAILURE);
        REQUIRE(gst_element_get_state(pipeline.get(), nullptr, nullptr, 5 * GST_SECOND) !=
                GST_STATE_CHANGE_FAILURE);
    }
    /// Running time now, ns.
    GstClockTime now() {
        core::GPtr<GstClock> clock =
            core::GPtr<GstClock>::adopt(gst_element_get_clock(pipeline.get()));
        REQUIRE(clock);
        return gst_clock_get_time(clock.get()) - gst_element_get_base_time(pipeline.get());
    }
    /// Pushes a buffer numbered `offset`, `ageMs` old (running time now minus that).
    void push(guint64 offset, int ageMs, bool keyframe = true) {
        GstBuffer* b = gst_buffer_new_allocate(nullptr, 16, nullptr);
        const GstClockTime t = now();
        const GstClockTime age = GstClockTime(ageMs) * GST_MSECOND;
        REQUIRE(t > age);
        GST_BUFFER_PTS(b) = t - age;
        GST_BUFFER_OFFSET(b) = offset;
        if (!keyframe) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
        REQUIRE(gst_app_src_push_buffer(GST_APP_SRC(src.get()), b) == GST_FLOW_OK);
    }
    /// Waits (bounded) until buffer `offset` reached the sink; the buffers that did, in order.
    std::vector<guint64> until(guint64 offset) {
        for (int i = 0; i < 5000; ++i) {
            {
                std::lock_guard lock(mutex);
                if (std::find(arrived.begin(), arrived.end(), offset) != arrived.end())
                    return arrived;
            }
            g_usleep(1000);
        }
        FAIL("buffer " << offset << " never reached the sink");
        return {};
    }
    std::size_t count(GstEventType type) {
        std::lock_guard lock(mutex);
        return std::size_t(std::count(upstream.begin(), upstream.end(), type));
    }
};

}  // namespace

TEST_CASE("late raw frames are dropped, frames on time pass and are not counted", "[late]") {
    Chain c;
    auto dropped = std::make_shared<std::atomic<std::uint64_t>>(0);
    media::addLateFrameDrop(c.pad("sink").get(), 100ms, media::LateKind::Raw, dropped);
    c.play();
    // Generous margins: 1000 ms late is dropped, a frame of now passes even if the machine
    // stalls this thread for most of the 100 ms.
    c.push(1, 1000);
    c.push(2, 0);
    c.push(3, 1000);
    c.push(4, 0);
    CHECK(c.until(4) == std::vector<guint64>{2, 4});
    CHECK(dropped->load() == 2);
    CHECK(c.count(GST_EVENT_CUSTOM_UPSTREAM) == 0);
}

TEST_CASE("a bound of 0 drops nothing", "[late]") {
    Chain c;
    auto dropped = std::make_shared<std::atomic<std::uint64_t>>(0);
    media::addLateFrameDrop(c.pad("sink").get(), 0ms, media::LateKind::Raw, dropped);
    c.play();
    c.push(1, 5000);
    c.push(2, 0);
    CHECK(c.until(2) == std::vector<guint64>{1, 2});
    CHECK(dropped->load() == 0);
}

TEST_CASE(
    "after a late encoded frame everything up to the next keyframe is dropped and one "
    "is asked for",
    "[late]") {
    Chain c;
    auto dropped = std::make_shared<std::atomic<std::uint64_t>>(0);
    media::addLateFrameDrop(c.pad("sink").get(), 100ms, media::LateKind::Encoded, dropped);
    c.play();
    c.push(1, 0, false);     // on time: passes
    c.push(2, 1000, false);  // late delta: dropped, keyframe requested
    c.push(3, 0, false);     // on time, but refers to 2: dropped
    c.push(4, 1000, true);   // a keyframe passes even late (dropping it would wait for another)
    c.push(5, 0, false);     // decodable again
    CHECK(c.until(5) == std::vector<guint64>{1, 4, 5});
    CHECK(dropped->load() == 2);
    // The request travels upstream as a force-key-unit event (webrtcbin sends it as PLI).
    CHECK(c.count(GST_EVENT_CUSTOM_UPSTREAM) == 1);
}

TEST_CASE("a late composite is dropped and the compositor gets a QoS event with the lateness",
          "[late]") {
    Chain c;
    auto dropped = std::make_shared<std::atomic<std::uint64_t>>(0);
    // On identity's src pad, as on the compositor's: the QoS event goes to its element.
    media::addLateFrameDrop(c.pad("src").get(), 100ms, media::LateKind::Composite, dropped);
    c.play();
    c.push(1, 1000);
    c.push(2, 0);
    CHECK(c.until(2) == std::vector<guint64>{2});
    CHECK(dropped->load() == 1);
    REQUIRE(c.count(GST_EVENT_QOS) == 1);
    std::lock_guard lock(c.mutex);
    CHECK(c.qosDiff >= GstClockTimeDiff(900 * GST_MSECOND));
}
