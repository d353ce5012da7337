#include "media/QueryFence.h"

namespace mixmeet::media {

namespace {
GstPadProbeReturn answerLocally(GstPad*, GstPadProbeInfo* info, gpointer) noexcept {
    GstQuery* query = GST_PAD_PROBE_INFO_QUERY(info);
    if (!query) return GST_PAD_PROBE_OK;
    switch (GST_QUERY_TYPE(query)) {
        case GST_QUERY_ALLOCATION:
        case GST_QUERY_DRAIN:
            // HANDLED: not forwarded, and the caller's gst_pad_query() returns TRUE with the
            // query as it is (no pool, no allocator, no meta: "no preference").
            return GST_PAD_PROBE_HANDLED;
        default:
            return GST_PAD_PROBE_OK;
    }
}
}  // namespace

void fenceSerializedQueries(GstPad* sinkPad) {
    gst_pad_add_probe(sinkPad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, answerLocally, nullptr,
                      nullptr);
}

}  // namespace mixmeet::media
