// A real RTMP ingest for tests: Debian's nginx with libnginx-mod-rtmp on 127.0.0.1, with a
// temporary config ("application live", live on, no recording), started and stopped by the
// test (stop() then start() again on the same port: the server going away mid-stream).
#pragma once

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <string>

#include "TlsProxy.h"
#include "Wait.h"

namespace mixmeet::testing {

class RtmpServer {
public:
    /// The RTMP module nginx loads, or "" when libnginx-mod-rtmp is not installed.
    static std::string modulePath() {
        const char* p = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
        return g_file_test(p, G_FILE_TEST_EXISTS) && !TlsProxy::nginxPath().empty() ? p : "";
    }

    explicit RtmpServer(int port) : port_(port) {
        gchar* dir = g_dir_make_tmp("mixmeet-rtmp-XXXXXX", nullptr);
        dir_ = dir;
        g_free(dir);
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
        std::string nginx = TlsProxy::nginxPath();
        std::string errorLog = dir_ + "/error.log";
        std::string conf = dir_ + "/nginx.conf";
        const gchar* argv[] = {nginx.c_str(), "-e", errorLog.c_str(), "-p",
                               dir_.c_str(),  "-c", conf.c_str(),     nullptr};
        exited_ = false;
        if (!g_spawn_async(nullptr, const_cast<gchar**>(argv), nullptr, G_SPAWN_DO_NOT_REAP_CHILD,
                           nullptr, nullptr, &pid_, nullptr)) {
            pid_ = 0;
            return false;
        }
        return waitUntil([&] { return exited() ? true : accepts(); }, std::chrono::seconds(20)) &&
               !exited();
    }
    /// Stops nginx (SIGTERM, then SIGKILL after 10 s); idempotent.
    void stop() {
        if (pid_ <= 0) return;
        if (!exited()) {
            kill(pid_, SIGTERM);
            auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (!exited() && std::chrono::steady_clock::now() < deadline) g_usleep(10000);
            if (!exited()) {
                kill(pid_, SIGKILL);
                waitpid(pid_, nullptr, 0);
            }
        }
        g_spawn_close_pid(pid_);
        pid_ = 0;
    }
    /// "rtmp://127.0.0.1:PORT/live", the URL a host enters.
    std::string url() const { return "rtmp://127.0.0.1:" + std::to_string(port_) + "/live"; }
    std::string log() const {
        gchar* text = nullptr;
        std::string out;
        if (g_file_get_contents((dir_ + "/error.log").c_str(), &text, nullptr, nullptr)) out = text;
        g_free(text);
        return out;
    }

private:
    bool exited() {
        if (exited_) return true;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) exited_ = true;
        return exited_;
    }
    bool accepts() const {
        core::GPtr<GSocketClient> client = core::GPtr<GSocketClient>::adopt(g_socket_client_new());
        core::GPtr<GSocketConnection> c =
            core::GPtr<GSocketConnection>::adopt(g_socket_client_connect_to_host(
                client.get(), "127.0.0.1", static_cast<guint16>(port_), nullptr, nullptr));
        return static_cast<bool>(c);
    }

    int port_;
    std::string dir_;
    GPid pid_ = 0;
    bool exited_ = false;
};

}  // namespace mixmeet::testing
