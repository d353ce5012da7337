// A real RTMP ingest for tests: Debian's nginx with libnginx-mod-rtmp on 127.0.0.1, with a
// temporary config ("application live", live on, no recording), started and stopped by the
// test (stop() then start() again on the same port: the server going away mid-stream).
#pragma once

#include <glib/gstdio.h>

#include <fstream>
#include <string>

#include "NginxProcess.h"
#include "TlsProxy.h"

namespace mixmeet::testing {

class RtmpServer {
public:
    /// The RTMP module nginx loads, or "" when libnginx-mod-rtmp is not installed.
    static std::string modulePath() {
        const char* p = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
        return g_file_test(p, G_FILE_TEST_EXISTS) && !TlsProxy::nginxPath().empty() ? p : "";
    }

    explicit RtmpServer(int port) : port_(port) {
        std::ofstream(dir_ + "/nginx.conf")
            << "load_module " << modulePath() << ";\n"
            << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << dir_
            << "/nginx.pid;\nerror_log " << dir_ << "/error.log info;\n"
            << "events { worker_connections 64; }\n"
            << "rtmp {\n  server {\n    listen 127.0.0.1:" << port << ";\n"
            << "    application live {\n      live on;\n      record off;\n    }\n  }\n}\n";
    }
    ~RtmpServer() {
        stop();
        for (const char* f : {"/nginx.conf", "/error.log", "/nginx.pid"})
            g_remove((dir_ + f).c_str());
        g_rmdir(dir_.c_str());
    }
    RtmpServer(const RtmpServer&) = delete;
    RtmpServer& operator=(const RtmpServer&) = delete;

    /// Starts nginx; true once the port accepts connections.
    bool start() {
        std::string error;
        return nginx_.start(error);
    }
    /// Stops nginx (SIGTERM, then SIGKILL after 10 s); idempotent.
    void stop() { nginx_.stop(); }
    /// "rtmp://127.0.0.1:PORT/live", the URL a host enters.
    std::string url() const { return "rtmp://127.0.0.1:" + std::to_string(port_) + "/live"; }
    std::string log() const { return nginx_.log(); }

private:
    static std::string makeTempDir() {
        gchar* dir = g_dir_make_tmp("mixmeet-rtmp-XXXXXX", nullptr);
        std::string out = dir ? dir : "";
        g_free(dir);
        return out;
    }

    int port_;
    std::string dir_ = makeTempDir();  // before nginx_, which is given it
    NginxProcess nginx_{dir_, port_};
};

}  // namespace mixmeet::testing
