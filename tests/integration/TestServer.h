// The real server, in-process, on a free loopback port with a temporary data directory.
#pragma once

#include <glib/gstdio.h>
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "SyntheticPeer.h"
#include "app/Server.h"

namespace mixmeet::testing {

constexpr int kWidth = 640;
constexpr int kHeight = 360;

/// The real server on a free loopback port.
struct TestServer {
    std::unique_ptr<app::Server> server;
    std::string dataDir;

    /// openRooms: plain room names without accounts (the media tests use them).
    /// iceAddresses: the local addresses the server's ICE agents gather on; configure: last
    /// changes to the configuration.
    explicit TestServer(bool openRooms = true,
                        std::vector<std::string> iceAddresses = {"127.0.0.1"},
                        const std::function<void(app::Config&)>& configure = {}) {
        gchar* dir = g_dir_make_tmp("mixmeet-test-XXXXXX", nullptr);
        dataDir = dir;
        g_free(dir);
        app::Config c = app::defaultConfig();
        c.port = 0;
        c.dataDir = dataDir;
        c.openRooms = openRooms;
        c.passwordHash = "minimum";
        c.media.width = kWidth;
        c.media.height = kHeight;
        c.media.framerate = 30;
        c.media.videoBitrate = 800000;
        c.media.iceAddresses = std::move(iceAddresses);
        c.media.disconnectTimeoutMs = 1500;
        // The ICE restart tried before a media loss falls back (shortened like the silence check).
        c.media.iceRestartTimeoutMs = 2000;
        // The rooms run in this process: these tests look inside them (room(), pipelines).
        // tests/integration/test_workers.cpp runs them in media workers.
        c.workers = 0;
        if (configure) configure(c);
        server = std::make_unique<app::Server>(c);
        auto started = server->start();
        INFO((started.ok() ? std::string() : started.error().message));
        REQUIRE(started.ok());
    }
    ~TestServer() {
        server.reset();
        for (const char* f : {"/mixmeet.sqlite", "/mixmeet.sqlite-wal", "/mixmeet.sqlite-shm"})
            g_remove((dataDir + f).c_str());
        g_rmdir(dataDir.c_str());
    }
    std::string wsUrl() const { return "ws://127.0.0.1:" + std::to_string(server->port()) + "/ws"; }
    room::Room* room(const std::string& name) { return server->rooms().find(name); }
    /// Options for a synthetic participant joining `room` on this server as `name`.
    PeerOptions peerOptions(const std::string& room, const std::string& name) const {
        PeerOptions o;
        o.url = wsUrl();
        o.room = room;
        o.name = name;
        return o;
    }
};

}  // namespace mixmeet::testing
