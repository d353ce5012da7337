#include "media/WebRtcPeer.h"

#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <utility>

#include "core/Log.h"
#include "core/MainContext.h"
#include "media/MediaMetrics.h"
#include "media/RtpFormats.h"
#include "media/SdpAnswer.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

using core::ElementPtr;
using core::makeError;
using core::PadPtr;

namespace {
/// Adds `a=rtcp-fb:<pt> goog-remb` to the offer's video m-lines (96 camera, 98 screen): senders
/// then obey the REMB (draft-alvestrand-rmcat-remb-03) with which the server caps each to its
/// tile (media/Remb.h).
void addRembFeedback(GstSDPMessage* sdp) {
    for (guint i = 0; i < gst_sdp_message_medias_len(sdp); ++i) {
        GstSDPMedia* media = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(sdp, i));
        if (g_strcmp0(gst_sdp_media_get_media(media), "video") != 0) continue;
        const int pt = i == static_cast<guint>(kScreenMline) ? kScreenPt : kVp8Pt;
        gst_sdp_media_add_attribute(media, "rtcp-fb", (std::to_string(pt) + " goog-remb").c_str());
    }
}

/// ice-char (RFC 8839 section 5.4): ALPHA / DIGIT / "+" / "/".
constexpr char kIceChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string randomIceChars(int n) {
    std::string out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        out += kIceChars[g_random_int_range(0, static_cast<gint32>(sizeof(kIceChars) - 1))];
    return out;
}

/// An ICE restart (RFC 8445 section 9, RFC 8839 section 4.4.1.1.1): new ice-ufrag and ice-pwd
/// on every m-line of the offer. webrtcbin 1.22 has no ice-restart option; it takes the
/// credentials of the local description it is given (set-local-description hands them to its
/// ICE agent). Same lengths as webrtcbin's own: 32 and 32 characters.
void replaceIceCredentials(GstSDPMessage* sdp) {
    const std::string ufrag = randomIceChars(32);
    const std::string pwd = randomIceChars(32);
    for (guint i = 0; i < gst_sdp_message_medias_len(sdp); ++i) {
        GstSDPMedia* media = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(sdp, i));
        for (guint a = 0; a < gst_sdp_media_attributes_len(media); ++a) {
            const GstSDPAttribute* attr = gst_sdp_media_get_attribute(media, a);
            const char* value = nullptr;
            if (g_strcmp0(attr->key, "ice-ufrag") == 0)
                value = ufrag.c_str();
            else if (g_strcmp0(attr->key, "ice-pwd") == 0)
                value = pwd.c_str();
            if (!value) continue;
            GstSDPAttribute fresh;
            gst_sdp_attribute_set(&fresh, attr->key, value);
            gst_sdp_media_replace_attribute(media, a, &fresh);  // Takes `fresh`'s contents.
        }
    }
}

IceState toIceState(GstWebRTCICEConnectionState s) {
    switch (s) {
        case GST_WEBRTC_ICE_CONNECTION_STATE_CHECKING:
            return IceState::Checking;
        case GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED:
            return IceState::Connected;
        case GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED:
            return IceState::Completed;
        case GST_WEBRTC_ICE_CONNECTION_STATE_FAILED:
            return IceState::Failed;
        case GST_WEBRTC_ICE_CONNECTION_STATE_DISCONNECTED:
            return IceState::Disconnected;
        case GST_WEBRTC_ICE_CONNECTION_STATE_CLOSED:
            return IceState::Closed;
        default:
            return IceState::New;
    }
}
}  // namespace

/// What webrtcbin-thread callbacks may touch. The raw element pointer stays valid while any
/// callback can run: the Endpoint holds references until its bin is in NULL state.
struct WebRtcPeer::Shared {
    std::weak_ptr<WebRtcPeer*> owner;
    std::string id;
    GstElement* webrtc = nullptr;
    std::atomic<gint64> lastPacketUs{0};  ///< g_get_monotonic_time() of the last packet in.
    /// Held while queuing a webrtcbin operation that creates transports (create-offer,
    /// set-local-description) and while close() marks `closing` and queues its get-stats:
    /// every such operation is queued before that get-stats, or never.
    std::mutex operationsLock;
    bool closing = false;  ///< Under operationsLock.
};

/// C trampolines; all noexcept (no exception crosses a C frame).
struct PeerCallbacks {
    using SharedRef = std::shared_ptr<WebRtcPeer::Shared>;

    static gpointer wrap(const SharedRef& s) { return new SharedRef(s); }
    static void unwrap(gpointer data, GClosure*) noexcept { delete static_cast<SharedRef*>(data); }
    static void unwrapPlain(gpointer data) noexcept { delete static_cast<SharedRef*>(data); }
    static WebRtcPeer::Shared& get(gpointer data) { return **static_cast<SharedRef*>(data); }

    static void onNegotiationNeeded(GstElement* webrtc, gpointer data) noexcept {
        GST_DEBUG("[%s] negotiation needed", get(data).id.c_str());
        auto& s = get(data);
        std::lock_guard g(s.operationsLock);
        if (s.closing) return;
        GstPromise* promise = gst_promise_new_with_change_func(
            onOfferCreated, wrap(*static_cast<SharedRef*>(data)), unwrapPlain);
        g_signal_emit_by_name(webrtc, "create-offer", nullptr, promise);
    }

    static void onOfferCreated(GstPromise* promise, gpointer data) noexcept {
        core::PromisePtr owned(promise);  // The reference handed to create-offer's caller.
        auto& s = get(data);
        if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) return;
        const GstStructure* reply = gst_promise_get_reply(promise);
        GstWebRTCSessionDescription* offer = nullptr;
        if (!reply || !gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                                         &offer, nullptr)) {
            g_autoptr(GError) err = nullptr;
            if (reply && gst_structure_has_field(reply, "error"))
                gst_structure_get(reply, "error", G_TYPE_ERROR, &err, nullptr);
            std::string why = err ? err->message : "no offer in the reply";
            g_warning("[%s] create-offer failed: %s", s.id.c_str(), why.c_str());
            core::postToMain([owner = s.owner, why] {
                if (auto* p = core::resolve(owner))
                    p->listener_.onPeerFailed("internal", "could not create the SDP offer: " + why);
            });
            return;
        }
        addRembFeedback(offer->sdp);
        {
            std::lock_guard g(s.operationsLock);
            if (s.closing) {
                gst_webrtc_session_description_free(offer);
                return;
            }
            g_signal_emit_by_name(s.webrtc, "set-local-description", offer, nullptr);
        }
        core::CharsPtr text(gst_sdp_message_as_text(offer->sdp));
        gst_webrtc_session_description_free(offer);
        core::postToMain([owner = s.owner, sdp = std::string(text.get())]() mutable {
            if (auto* p = core::resolve(owner)) p->listener_.onPeerOffer(std::move(sdp));
        });
    }

    static void onAnswerSet(GstPromise* promise, gpointer data) noexcept {
        core::PromisePtr owned(promise);
        auto& s = get(data);
        std::string error;
        if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) return;
        const GstStructure* reply = gst_promise_get_reply(promise);
        if (reply && gst_structure_has_field(reply, "error")) {
            g_autoptr(GError) err = nullptr;
            gst_structure_get(reply, "error", G_TYPE_ERROR, &err, nullptr);
            error = err ? err->message : "rejected";
        }
        if (error.empty()) return;
        GST_WARNING("[%s] answer rejected: %s", s.id.c_str(), error.c_str());
        core::postToMain([owner = s.owner, error] {
            if (auto* p = core::resolve(owner))
                p->listener_.onPeerFailed("bad-sdp", "the SDP answer was rejected: " + error);
        });
    }

    static void onIceCandidate(GstElement*, guint mline, gchar* candidate, gpointer data) noexcept {
        auto& s = get(data);
        core::postToMain([owner = s.owner, mline, c = std::string(candidate)]() mutable {
            if (auto* p = core::resolve(owner))
                p->listener_.onPeerCandidate(static_cast<int>(mline), std::move(c));
        });
    }

    static void onIceStateNotify(GstElement* webrtc, GParamSpec*, gpointer data) noexcept {
        auto& s = get(data);
        GstWebRTCICEConnectionState state;
        g_object_get(webrtc, "ice-connection-state", &state, nullptr);
        GST_INFO("[%s] ICE connection state %d", s.id.c_str(), state);
        core::postToMain([owner = s.owner, st = toIceState(state)] {
            if (auto* p = core::resolve(owner)) p->listener_.onPeerIceState(st);
        });
    }

    /// Any thread: an element was added somewhere in the participant's bin. Watches the ICE
    /// transport's nicesrc so the room can tell a peer that went silent (network gone, tab
    /// frozen) long before ICE itself gives up.
    static void onDeepElementAdded(GstBin*, GstBin*, GstElement* element, gpointer data) noexcept {
        GstElementFactory* f = gst_element_get_factory(element);
        if (f && std::strcmp(GST_OBJECT_NAME(f), "clocksync") == 0) {
            // webrtcbin's transport send bin holds each outgoing packet until its running time
            // plus the pipeline latency, which in a room includes the jitter buffers and the
            // compositor: ~100-200 ms added to every stream for nothing (the composite is
            // already late by then). Send as soon as encoded.
            g_object_set(element, "sync", FALSE, nullptr);
            return;
        }
        if (f && std::strcmp(GST_OBJECT_NAME(f), "dtlssrtpenc") == 0) {
            g_signal_connect_data(element, "on-key-set", G_CALLBACK(onKeySet),
                                  wrap(*static_cast<SharedRef*>(data)), unwrap, GConnectFlags{});
            return;
        }
        if (f && std::strcmp(GST_OBJECT_NAME(f), "nicesink") == 0) {
            PadPtr sink = PadPtr::adopt(gst_element_get_static_pad(element, "sink"));
            if (sink)
                gst_pad_add_probe(sink.get(),
                                  static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                               GST_PAD_PROBE_TYPE_BUFFER_LIST),
                                  onSent, nullptr, nullptr);
            return;
        }
        if (!f || std::strcmp(GST_OBJECT_NAME(f), "nicesrc") != 0) return;
        PadPtr src = PadPtr::adopt(gst_element_get_static_pad(element, "src"));
        if (!src) return;
        gst_pad_add_probe(src.get(),
                          static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                       GST_PAD_PROBE_TYPE_BUFFER_LIST),
                          onPacket, wrap(*static_cast<SharedRef*>(data)), unwrapPlain);
    }

    /// DTLS thread: the handshake finished and the SRTP encoder has its keys.
    static void onKeySet(GstElement*, gpointer data) noexcept {
        auto& s = get(data);
        GST_INFO("[%s] DTLS connected, SRTP keys set", s.id.c_str());
        core::postToMain([owner = s.owner] {
            if (auto* p = core::resolve(owner)) p->listener_.onPeerSecured();
        });
    }

    static GstPadProbeReturn onPacket(GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
        get(data).lastPacketUs.store(g_get_monotonic_time(), std::memory_order_relaxed);
        mediaMetrics().receivedBytes.fetch_add(bytesOf(info), std::memory_order_relaxed);
        return GST_PAD_PROBE_OK;
    }

    /// Streaming thread: a packet (or list) leaves through the ICE transport.
    static GstPadProbeReturn onSent(GstPad*, GstPadProbeInfo* info, gpointer) noexcept {
        mediaMetrics().sentBytes.fetch_add(bytesOf(info), std::memory_order_relaxed);
        return GST_PAD_PROBE_OK;
    }

    static uint64_t bytesOf(GstPadProbeInfo* info) {
        if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
            return gst_buffer_list_calculate_size(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
        return gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info));
    }
};

WebRtcPeer::WebRtcPeer(std::string id, Listener& listener)
    : id_(std::move(id)), listener_(listener), shared_(std::make_shared<Shared>()) {}

WebRtcPeer::~WebRtcPeer() {
    for (gulong h : handlers_) g_signal_handler_disconnect(webrtc_.get(), h);
    handlers_.clear();
    if (binHandler_) g_signal_handler_disconnect(bin_, binHandler_);
    binHandler_ = 0;
}

core::Status WebRtcPeer::build(GstBin* bin, const MediaConfig& config) {
    bin_ = GST_ELEMENT(bin);
    webrtc_ = core::makeElement("webrtcbin", "webrtc");
    if (!webrtc_) return makeError("internal", "webrtcbin is not installed");
    g_object_set(webrtc_.get(), "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                 static_cast<guint>(config.jitterBufferMs), nullptr);
    gst_bin_add(bin, webrtc_.get());
    configureIce(config);
    return core::Ok{};
}

core::Status WebRtcPeer::linkSenders(GstElement* opusPay, GstElement* vp8Pay) {
    // Two sendrecv transceivers with codec preferences, so the offer can be made before any
    // media flows.
    struct Mline {
        GstElement* payloader;
        const char* padName;
        const char* sendCaps;
        const char* prefCaps;
        bool nack;
    };
    for (const Mline& ml : {Mline{opusPay, "sink_0", kAudioCaps, kAudioPrefCaps, false},
                            Mline{vp8Pay, "sink_1", kVideoSendCaps, kVideoPrefCaps, true}}) {
        core::CapsPtr send = rtpCaps(ml.sendCaps);
        // The payloader's SSRC in the preferences makes webrtcbin list it in the offer
        // (a=ssrc): with the screen's second video m-line in the bundle, Chromium no longer
        // routes unsignaled SSRCs by payload type alone (no media arrived at all without it).
        core::CapsPtr prefs = rtpCaps(ml.prefCaps);
        guint ssrc = 0;
        g_object_get(ml.payloader, "ssrc", &ssrc, nullptr);
        if (ssrc != 0 && ssrc != G_MAXUINT)
            gst_caps_set_simple(prefs.get(), "ssrc", G_TYPE_UINT, ssrc, nullptr);
        GstPadTemplate* templ =
            gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(webrtc_.get()), "sink_%u");
        PadPtr sink =
            PadPtr::adopt(gst_element_request_pad(webrtc_.get(), templ, ml.padName, send.get()));
        if (!sink) return makeError("internal", "webrtcbin refused a sink pad");
        GstWebRTCRTPTransceiver* trans = nullptr;
        g_object_get(sink.get(), "transceiver", &trans, nullptr);
        core::GPtr<GstWebRTCRTPTransceiver> transceiver =
            core::GPtr<GstWebRTCRTPTransceiver>::adopt(trans);
        if (transceiver)
            g_object_set(transceiver.get(), "direction",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, "codec-preferences",
                         prefs.get(), "do-nack", ml.nack, nullptr);
        PadPtr src = PadPtr::adopt(gst_element_get_static_pad(ml.payloader, "src"));
        if (GST_PAD_LINK_FAILED(gst_pad_link(src.get(), sink.get())))
            return makeError("internal", "cannot link a payloader to webrtcbin");
    }
    // m-line 2: the screen share, received only; a client that does not share answers it
    // inactive (or sendonly without a track) and never sends on it.
    GstWebRTCRTPTransceiver* screen = nullptr;
    g_signal_emit_by_name(webrtc_.get(), "add-transceiver",
                          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY,
                          rtpCaps(kScreenPrefCaps).get(), &screen);
    if (!screen) return makeError("internal", "webrtcbin refused the screen transceiver");
    g_object_set(screen, "do-nack", TRUE, nullptr);
    gst_object_unref(screen);
    return core::Ok{};
}

void WebRtcPeer::start(GstBin* bin) {
    shared_->owner = anchor_.weak();
    shared_->id = id_;
    shared_->webrtc = webrtc_.get();
    auto connect = [this](const char* signal, GCallback cb) {
        handlers_.push_back(g_signal_connect_data(webrtc_.get(), signal, cb,
                                                  PeerCallbacks::wrap(shared_),
                                                  PeerCallbacks::unwrap, GConnectFlags{}));
    };
    connect("on-negotiation-needed", G_CALLBACK(PeerCallbacks::onNegotiationNeeded));
    connect("on-ice-candidate", G_CALLBACK(PeerCallbacks::onIceCandidate));
    connect("notify::ice-connection-state", G_CALLBACK(PeerCallbacks::onIceStateNotify));

    bin_ = GST_ELEMENT(bin);
    binHandler_ = g_signal_connect_data(
        bin, "deep-element-added", G_CALLBACK(PeerCallbacks::onDeepElementAdded),
        PeerCallbacks::wrap(shared_), PeerCallbacks::unwrap, GConnectFlags{});
    // Nothing has arrived yet: count silence from now.
    shared_->lastPacketUs.store(g_get_monotonic_time());
}

void WebRtcPeer::configureIce(const MediaConfig& config) {
    GstObject* ice = nullptr;
    g_object_get(webrtc_.get(), "ice-agent", &ice, nullptr);
    core::GPtr<GstObject> agent = core::GPtr<GstObject>::adopt(ice);
    if (agent) {
        // libnice skips loopback when it enumerates addresses; adding any address turns
        // enumeration off (design.md, "Browser tests").
        for (const auto& addr : config.iceAddresses) {
            gboolean ok = FALSE;
            g_signal_emit_by_name(agent.get(), "add-local-ip-address", addr.c_str(), &ok);
            if (!ok) GST_WARNING("[%s] cannot use ICE address %s", id_.c_str(), addr.c_str());
        }
        // No UPnP: libnice's default asks the LAN's router to map a port for every
        // participant (an SSDP discovery and a gupnp context per agent, warnings in the
        // log); a server has its public address from config, STUN or TURN. GstWebRTCNice
        // 1.22 exposes its NiceAgent as "agent" (read-only).
        if (g_object_class_find_property(G_OBJECT_GET_CLASS(agent.get()), "agent")) {
            GObject* nice = nullptr;
            g_object_get(agent.get(), "agent", &nice, nullptr);
            core::GPtr<GObject> niceAgent = core::GPtr<GObject>::adopt(nice);
            if (niceAgent && g_object_class_find_property(G_OBJECT_GET_CLASS(nice), "upnp"))
                g_object_set(nice, "upnp", FALSE, nullptr);
        }
        if (config.iceMinPort > 0 && config.iceMaxPort >= config.iceMinPort)
            g_object_set(agent.get(), "min-rtp-port", static_cast<guint>(config.iceMinPort),
                         "max-rtp-port", static_cast<guint>(config.iceMaxPort), nullptr);
    }
    for (const auto& stun : config.stunServers) {
        // webrtcbin wants stun://host:port; browsers and our config say stun:host:port.
        std::string url = stun.rfind("stun://", 0) == 0 ? stun : "stun://" + stun.substr(5);
        g_object_set(webrtc_.get(), "stun-server", url.c_str(), nullptr);
        break;  // webrtcbin takes one STUN server.
    }
    for (const auto& turn : config.turnServers) {
        gboolean ok = FALSE;
        g_signal_emit_by_name(webrtc_.get(), "add-turn-server", turn.c_str(), &ok);
    }
}

struct WebRtcPeer::Barrier::Done {
    std::mutex lock;
    std::condition_variable cv;
    bool done = false;
};

WebRtcPeer::Barrier::Barrier(GstElement* webrtc) : done_(std::make_shared<Done>()) {
    using DoneRef = std::shared_ptr<Done>;
    // Answered from webrtcbin's operation thread once everything queued before it has run.
    GstPromise* promise = gst_promise_new_with_change_func(
        [](GstPromise*, gpointer data) noexcept {
            Done& d = **static_cast<DoneRef*>(data);
            {
                std::lock_guard g(d.lock);
                d.done = true;
            }
            d.cv.notify_all();
        },
        new DoneRef(done_), [](gpointer data) noexcept { delete static_cast<DoneRef*>(data); });
    g_signal_emit_by_name(webrtc, "get-stats", nullptr, promise);
    gst_promise_unref(promise);
}

bool WebRtcPeer::Barrier::wait(std::chrono::milliseconds timeout) {
    std::unique_lock l(done_->lock);
    return done_->cv.wait_for(l, timeout, [&] { return done_->done; });
}

std::shared_ptr<WebRtcPeer::Barrier> WebRtcPeer::close() {
    // Stopping webrtcbin while set-local-description is still building its transports leaks
    // a transport receive bin (GST_TRACERS=leaks, ~1 run in 30 of the bad-SDP test): no new
    // transport-creating operation is queued from now on, and those already queued finish
    // (waited for at most 2 s, usually microseconds) before the bin goes to NULL.
    std::shared_ptr<Barrier> barrier;
    if (webrtc_) {
        std::lock_guard g(shared_->operationsLock);
        shared_->closing = true;
        barrier = std::make_shared<Barrier>(webrtc_.get());
    }
    for (gulong h : handlers_) g_signal_handler_disconnect(webrtc_.get(), h);
    handlers_.clear();
    if (binHandler_) g_signal_handler_disconnect(bin_, binHandler_);
    binHandler_ = 0;
    return barrier;
}

bool WebRtcPeer::restartIce() {
    if (!webrtc_) return false;
    // The offer in force, again, with new ICE credentials and the next version: the same
    // m-lines, codecs, SSRCs and fingerprint by construction. (webrtcbin 1.22's create-offer
    // would re-derive the codecs from its pads' caps, and fails when a receive branch's caps
    // are fixed to the client's stream: "Caps negotiation on pad src_0 failed".)
    GstWebRTCSessionDescription* current = nullptr;
    g_object_get(webrtc_.get(), "current-local-description", &current, nullptr);
    if (!current) return false;
    GstSDPMessage* sdp = nullptr;
    gst_sdp_message_copy(current->sdp, &sdp);
    gst_webrtc_session_description_free(current);
    replaceIceCredentials(sdp);
    if (const GstSDPOrigin* o = gst_sdp_message_get_origin(sdp)) {
        // Copies first: set_origin frees the strings `o` points to.
        const std::string user = o->username ? o->username : "-";
        const std::string id = o->sess_id ? o->sess_id : "0";
        const std::string net = o->nettype ? o->nettype : "IN";
        const std::string type = o->addrtype ? o->addrtype : "IP4";
        const std::string addr = o->addr ? o->addr : "0.0.0.0";
        const std::string version =
            std::to_string(g_ascii_strtoull(o->sess_version, nullptr, 10) + 1);
        gst_sdp_message_set_origin(sdp, user.c_str(), id.c_str(), version.c_str(), net.c_str(),
                                   type.c_str(), addr.c_str());
    }
    core::CharsPtr text(gst_sdp_message_as_text(sdp));
    GstWebRTCSessionDescription* offer =
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp);  // Takes `sdp`.
    {
        std::lock_guard g(shared_->operationsLock);
        if (shared_->closing) {
            gst_webrtc_session_description_free(offer);
            return false;
        }
        g_signal_emit_by_name(webrtc_.get(), "set-local-description", offer, nullptr);
    }
    gst_webrtc_session_description_free(offer);
    GST_INFO("[%s] ICE restart: new credentials in a new offer", id_.c_str());
    // Delivered like every offer: from the main loop, after the caller has returned.
    core::postToMain([owner = anchor_.weak(), sdpText = std::string(text.get())]() mutable {
        if (auto* p = core::resolve(owner)) p->listener_.onPeerOffer(std::move(sdpText));
    });
    return true;
}

core::Result<AnswerInfo> WebRtcPeer::applyAnswer(const std::string& sdp) {
    auto answer = parseSdpAnswer(sdp);
    if (!answer) return answer.error();
    AnswerInfo info;
    info.sendsNoVideo = answer.value().sendsNoVideo;
    info.canShareScreen = answer.value().canShareScreen;
    // The description takes the message.
    GstWebRTCSessionDescription* desc = gst_webrtc_session_description_new(
        GST_WEBRTC_SDP_TYPE_ANSWER, answer.value().message.release());
    GstPromise* promise = gst_promise_new_with_change_func(
        PeerCallbacks::onAnswerSet, PeerCallbacks::wrap(shared_), PeerCallbacks::unwrapPlain);
    g_signal_emit_by_name(webrtc_.get(), "set-remote-description", desc, promise);
    gst_webrtc_session_description_free(desc);
    return info;
}

void WebRtcPeer::addRemoteCandidate(int mlineIndex, const std::string& candidate) {
    if (candidate.empty()) return;
    g_signal_emit_by_name(webrtc_.get(), "add-ice-candidate", static_cast<guint>(mlineIndex),
                          candidate.c_str());
}

gint64 WebRtcPeer::millisecondsSinceLastPacket() const {
    return (g_get_monotonic_time() - shared_->lastPacketUs.load(std::memory_order_relaxed)) / 1000;
}

}  // namespace mixmeet::media
