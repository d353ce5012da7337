#include "media/FlowFirewall.h"

#include <atomic>

#include "core/Log.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

namespace {

std::atomic<std::uint64_t> gFlushing{0}, gEos{0}, gNotNegotiated{0}, gError{0};

/// Per pad: the wrapped chain function (null for a ghost pad: the proxy's default) and
/// whether its first absorbed flow was logged.
struct Firewall {
    GstPadChainFunction chain = nullptr;
    GstPadChainListFunction chainList = nullptr;
    std::atomic<bool> logged{false};
    BranchStopped stopped;
};

/// NOT_LINKED passes (a tee with allow-not-linked takes it); every other negative flow is
/// counted, logged once per pad, and becomes OK.
GstFlowReturn absorb(GstPad* pad, Firewall* fw, GstFlowReturn ret) {
    if (ret >= GST_FLOW_OK || ret == GST_FLOW_NOT_LINKED) return ret;
    switch (ret) {
        case GST_FLOW_FLUSHING:
            gFlushing.fetch_add(1, std::memory_order_relaxed);
            break;
        case GST_FLOW_EOS:
            gEos.fetch_add(1, std::memory_order_relaxed);
            break;
        case GST_FLOW_NOT_NEGOTIATED:
            gNotNegotiated.fetch_add(1, std::memory_order_relaxed);
            break;
        default:
            gError.fetch_add(1, std::memory_order_relaxed);
            break;
    }
    if (fw && !fw->logged.exchange(true)) {
        core::CharsPtr path(gst_object_get_path_string(GST_OBJECT(pad)));
        // FLUSHING is what a branch being torn down returns: expected, so only at INFO.
        if (ret == GST_FLOW_FLUSHING)
            GST_INFO("flow %s behind %s absorbed", gst_flow_get_name(ret), path.get());
        else
            g_message("flow %s behind %s absorbed (the branch behind it stops; the rest goes on)",
                      gst_flow_get_name(ret), path.get());
    }
    if (fw && fw->stopped && ret != GST_FLOW_FLUSHING) fw->stopped(ret);
    return GST_FLOW_OK;
}

Firewall* firewallOf(GstPad* pad) {
    return static_cast<Firewall*>(pad->chaindata);
}

GstFlowReturn ghostChain(GstPad* pad, GstObject* parent, GstBuffer* buffer) noexcept {
    return absorb(pad, firewallOf(pad), gst_proxy_pad_chain_default(pad, parent, buffer));
}

GstFlowReturn ghostChainList(GstPad* pad, GstObject* parent, GstBufferList* list) noexcept {
    return absorb(pad, firewallOf(pad), gst_proxy_pad_chain_list_default(pad, parent, list));
}

GstFlowReturn wrappedChain(GstPad* pad, GstObject* parent, GstBuffer* buffer) noexcept {
    Firewall* fw = firewallOf(pad);
    return absorb(pad, fw, fw->chain(pad, parent, buffer));
}

GstFlowReturn wrappedChainList(GstPad* pad, GstObject* parent, GstBufferList* list) noexcept {
    Firewall* fw = static_cast<Firewall*>(pad->chainlistdata);
    return absorb(pad, fw, fw->chainList(pad, parent, list));
}

void deleteFirewall(gpointer data) {
    delete static_cast<Firewall*>(data);
}

}  // namespace

core::PadPtr firewallGhost(GstElement* bin, GstPad* target, const char* name,
                           BranchStopped stopped) {
    if (!bin || !target) return {};
    core::PadPtr ghost = core::PadPtr::refSink(gst_ghost_pad_new(name, target));
    if (!ghost) return {};
    // The proxy's chain functions use no chain data: ours holds the "logged" flag.
    auto* fw = new Firewall();
    fw->stopped = std::move(stopped);
    gst_pad_set_chain_function_full(ghost.get(), ghostChain, fw, deleteFirewall);
    gst_pad_set_chain_list_function(ghost.get(), ghostChainList);
    if (!gst_element_add_pad(bin, ghost.get())) return {};
    return ghost;
}

core::PadPtr firewallGhost(GstElement* bin, GstElement* element, const char* name) {
    if (!element) return {};
    core::PadPtr target = core::PadPtr::adopt(gst_element_get_static_pad(element, "sink"));
    return firewallGhost(bin, target.get(), name);
}

bool firewallSinkPad(GstPad* sinkPad) {
    if (!sinkPad || !GST_PAD_CHAINFUNC(sinkPad) || sinkPad->chaindata || sinkPad->chainlistdata)
        return false;
    auto* fw = new Firewall();
    fw->chain = GST_PAD_CHAINFUNC(sinkPad);
    fw->chainList = GST_PAD_CHAINLISTFUNC(sinkPad);
    gst_pad_set_chain_function_full(sinkPad, wrappedChain, fw, deleteFirewall);
    if (fw->chainList) {
        // The list function shares the state (freed with the chain function's data).
        gst_pad_set_chain_list_function_full(sinkPad, wrappedChainList, fw, nullptr);
    }
    return true;
}

AbsorbedFlows absorbedFlows() {
    return AbsorbedFlows{
        gFlushing.load(std::memory_order_relaxed), gEos.load(std::memory_order_relaxed),
        gNotNegotiated.load(std::memory_order_relaxed), gError.load(std::memory_order_relaxed)};
}

}  // namespace mixmeet::media
