#include "media/Endpoint.h"

#include <chrono>
#include <utility>

#include "core/Heap.h"
#include "core/Log.h"
#include "media/Teardown.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

using core::ElementPtr;

Endpoint::Endpoint(std::string id, Listener& listener, const MediaConfig& config,
                   const Fragments& fragments, LateCounter lateDropped)
    : id_(std::move(id)),
      listener_(listener),
      peer_(id_, *this),
      receive_(
          id_, fragments, std::chrono::milliseconds(config.maxFrameDelayMs),
          lateDropped ? std::move(lateDropped) : std::make_shared<std::atomic<std::uint64_t>>(0)) {}

core::Result<std::unique_ptr<Endpoint>> Endpoint::create(
    GstBin* pipeline, std::string id, const std::string& label, const MediaConfig& config,
    const Fragments& fragments, Listener& listener, LateCounter lateDropped) {
    std::unique_ptr<Endpoint> e(
        new Endpoint(std::move(id), listener, config, fragments, std::move(lateDropped)));
    auto built = e->build(pipeline, label, config, fragments);
    if (!built) return built.error();
    return e;
}

core::Status Endpoint::build(GstBin* pipeline, const std::string& label, const MediaConfig& config,
                             const Fragments& fragments) {
    pipeline_ = pipeline;
    bin_ = ElementPtr::refSink(gst_bin_new(("p-" + id_).c_str()));
    GstBin* bin = GST_BIN(bin_.get());

    if (auto s = peer_.build(bin, config); !s) return s;
    // Receive side: the tile and the mixer input exist from the start; decoders are added
    // when the participant's streams appear.
    if (auto s = receive_.build(bin, label, config); !s) return s;
    // Send side, audio first: m-line 0.
    if (auto s = send_.build(bin, config, fragments); !s) return s;
    feedback_ = std::make_unique<ViewerFeedback>(peer_.element(), send_.videoPayloader(),
                                                 send_.videoSsrc());
    if (auto s = peer_.linkSenders(send_.opusPayloader(), send_.videoPayloader()); !s) return s;

    receive_.watch(peer_.element());
    peer_.start(bin);

    gst_bin_add(pipeline, bin_.get());
    if (!gst_element_sync_state_with_parent(bin_.get()))
        return core::makeError("internal", "cannot start the participant's media");
    return core::Ok{};
}

Endpoint::~Endpoint() {
    std::shared_ptr<WebRtcPeer::Barrier> barrier = peer_.close();
    receive_.unwatch();
    receive_.detachTiles();  // They go with the bin.
    feedback_.reset();
    if (!bin_) return;
    // Order verified on 1.22 (design.md): remove (unlinks the ghost pads from the room's tee
    // and compositor), then NULL; never from a webrtcbin thread. The wait and the NULL run on
    // a teardown thread (media/Teardown.h): the main loop never waits for a streaming thread.
    if (pipeline_ && GST_OBJECT_PARENT(bin_.get()) == GST_OBJECT(pipeline_))
        gst_bin_remove(pipeline_, bin_.get());
    // Then the heap this participant's threads freed goes back to the system: in a room that
    // lives for hours, people come and go, and without a trim their freed memory stays with
    // the process (docs/performance.md, "Memory per room"; the soak test holds RSS flat).
    Teardown::submit(
        std::move(bin_),
        [barrier, id = id_] {
            if (barrier && !barrier->wait(std::chrono::milliseconds(2000)))
                GST_WARNING("[%s] webrtcbin still busy after 2 s; stopping it anyway", id.c_str());
        },
        [] { core::trimHeap(); });
}

core::Status Endpoint::applyAnswer(const std::string& sdp) {
    auto applied = peer_.applyAnswer(sdp);
    if (!applied) return applied.error();
    // The answer to an ICE restart's offer changes no m-line: what the first said stands.
    if (std::exchange(answered_, true)) return core::Ok{};
    if (applied.value().sendsNoVideo) receive_.startPlaceholder();
    canShareScreen_ = applied.value().canShareScreen;
    return core::Ok{};
}

bool Endpoint::restartIce() {
    return peer_.restartIce();
}

void Endpoint::addRemoteCandidate(int mlineIndex, const std::string& candidate) {
    peer_.addRemoteCandidate(mlineIndex, candidate);
}

void Endpoint::requestFeedback() {
    if (!feedback_) return;
    if (auto report = feedback_->poll(GST_OBJECT(bin_.get())))
        listener_.onEndpointFeedback(report->lossFraction, report->rttMs);
}

std::shared_ptr<InputGate> Endpoint::inputGate() const {
    return receive_.inputGate();
}

unsigned Endpoint::keyframeRequestsReceived() const {
    return feedback_ ? feedback_->keyframeRequests() : 0;
}

gint64 Endpoint::millisecondsSinceLastPacket() const {
    return peer_.millisecondsSinceLastPacket();
}

void Endpoint::openSend() {
    send_.open();
}

void Endpoint::setSendCap(int bitrateBps) {
    if (!feedback_) return;
    feedback_->setRembBps(bitrateBps > 0 ? static_cast<uint64_t>(bitrateBps) + kRembAudioBps : 0);
}

unsigned Endpoint::rembsSent() const {
    return feedback_ ? feedback_->rembsSent() : 0;
}

void Endpoint::setShown(bool shown) {
    receive_.setShown(shown);
}

void Endpoint::setVideoBlanked(bool blanked) {
    receive_.setVideoBlanked(blanked);
}

void Endpoint::onPeerOffer(std::string sdp) {
    listener_.onEndpointOffer(std::move(sdp));
}

void Endpoint::onPeerCandidate(int mlineIndex, std::string candidate) {
    listener_.onEndpointCandidate(mlineIndex, std::move(candidate));
}

void Endpoint::onPeerIceState(IceState state) {
    listener_.onEndpointIceState(state);
}

void Endpoint::onPeerSecured() {
    send_.gate()->secured.store(true, std::memory_order_release);
    listener_.onEndpointSecured();
}

void Endpoint::onPeerFailed(std::string code, std::string message) {
    listener_.onEndpointFailed(std::move(code), std::move(message));
}

}  // namespace mixmeet::media
