// The server's ICE agent (media/WebRtcPeer::configureIce): no UPnP port mapping on the LAN's
// router for each participant.
#include <catch2/catch.hpp>

#include "core/GstPtr.h"
#include "media/WebRtcPeer.h"

using namespace mixmeet;

namespace {
struct NoEvents : media::WebRtcPeer::Listener {
    void onPeerOffer(std::string) override {}
    void onPeerCandidate(int, std::string) override {}
    void onPeerIceState(media::IceState) override {}
    void onPeerSecured() override {}
    void onPeerFailed(std::string, std::string) override {}
};
}  // namespace

TEST_CASE("a participant's ICE agent does not ask the router for UPnP port mappings",
          "[media][ice]") {
    core::ElementPtr bin = core::ElementPtr::refSink(gst_bin_new("participant"));
    NoEvents events;
    media::WebRtcPeer peer("p1", events);
    REQUIRE(peer.build(GST_BIN(bin.get()), media::MediaConfig{}));
    GstObject* ice = nullptr;
    g_object_get(peer.element(), "ice-agent", &ice, nullptr);
    core::GPtr<GstObject> agent = core::GPtr<GstObject>::adopt(ice);
    REQUIRE(agent);
    GObject* nice = nullptr;
    g_object_get(agent.get(), "agent", &nice, nullptr);
    core::GPtr<GObject> niceAgent = core::GPtr<GObject>::adopt(nice);
    REQUIRE(niceAgent);
    gboolean upnp = TRUE;
    g_object_get(nice, "upnp", &upnp, nullptr);
    CHECK_FALSE(upnp);
}
