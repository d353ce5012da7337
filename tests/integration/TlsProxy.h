// A real TLS reverse proxy for tests: Debian's nginx on 127.0.0.1 with a self-signed
// certificate (made with the openssl tool), forwarding HTTP and WebSockets to the server the
// way the README advises deployments to (Host, X-Forwarded-For, X-Forwarded-Proto, Upgrade).
// Everything lives in a temporary directory; the nginx process is stopped on destruction.
#pragma once

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <string>

#include "Wait.h"
#include "core/GstPtr.h"

namespace mixmeet::testing {

class TlsProxy {
public:
    /// Path of the nginx binary, or "" when it is not installed.
    static std::string nginxPath() {
        for (const char* p : {"/usr/sbin/nginx", "/usr/bin/nginx"})
            if (g_file_test(p, G_FILE_TEST_IS_EXECUTABLE)) return p;
        gchar* found = g_find_program_in_path("nginx");
        std::string out = found ? found : "";
        g_free(found);
        return out;
    }

    /// A free TCP port on 127.0.0.1 (bound and released; nginx needs a number up front).
    static int freePort() {
        core::GPtr<GSocket> sock = core::GPtr<GSocket>::adopt(g_socket_new(
            G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr));
        core::GPtr<GInetAddress> lo =
            core::GPtr<GInetAddress>::adopt(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4));
        core::GPtr<GSocketAddress> any =
            core::GPtr<GSocketAddress>::adopt(g_inet_socket_address_new(lo.get(), 0));
        if (!sock || !g_socket_bind(sock.get(), any.get(), TRUE, nullptr)) return 0;
        core::GPtr<GSocketAddress> bound =
            core::GPtr<GSocketAddress>::adopt(g_socket_get_local_address(sock.get(), nullptr));
        int port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));
        g_socket_close(sock.get(), nullptr);
        return port;
    }

    /// Starts nginx on 127.0.0.1:`port` (TLS) in front of http://127.0.0.1:`backendPort`.
    /// ok() says whether it is up; error() says why not.
    TlsProxy(int port, int backendPort) : port_(port) {
        gchar* dir = g_dir_make_tmp("mixmeet-proxy-XXXXXX", nullptr);
        dir_ = dir;
        g_free(dir);
        std::string openssl =
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
            "/CN=127.0.0.1 -keyout " +
            dir_ + "/key.pem -out " + dir_ + "/cert.pem";
        gint status = 0;
        gchar* err = nullptr;
        if (!g_spawn_command_line_sync(openssl.c_str(), nullptr, &err, &status, nullptr) ||
            status != 0) {
            error_ = std::string("openssl failed: ") + (err ? err : "");
            g_free(err);
            return;
        }
        g_free(err);
        std::ofstream(dir_ + "/nginx.conf")
            << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << dir_
            << "/nginx.pid;\nerror_log " << dir_ << "/error.log warn;\n"
            << "events { worker_connections 64; }\n"
            << "http {\n  access_log off;\n"
            << "  client_body_temp_path " << dir_ << "/body;\n  proxy_temp_path " << dir_
            << "/proxy;\n  fastcgi_temp_path " << dir_ << "/fcgi;\n  uwsgi_temp_path " << dir_
            << "/uwsgi;\n  scgi_temp_path " << dir_ << "/scgi;\n"
            << "  map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"
            << "  server {\n    listen 127.0.0.1:" << port << " ssl;\n"
            << "    ssl_certificate " << dir_ << "/cert.pem;\n    ssl_certificate_key " << dir_
            << "/key.pem;\n"
            << "    location / {\n      proxy_pass http://127.0.0.1:" << backendPort << ";\n"
            << "      proxy_http_version 1.1;\n"
            << "      proxy_set_header Host $http_host;\n"
            << "      proxy_set_header Upgrade $http_upgrade;\n"
            << "      proxy_set_header Connection $connection_upgrade;\n"
            << "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
            << "      proxy_set_header X-Forwarded-Proto $scheme;\n"
            << "      proxy_read_timeout 60s;\n    }\n  }\n}\n";
        std::string nginx = nginxPath();
        std::string errorLog = dir_ + "/error.log";
        std::string conf = dir_ + "/nginx.conf";
        const gchar* argv[] = {nginx.c_str(), "-e", errorLog.c_str(), "-p",
                               dir_.c_str(),  "-c", conf.c_str(),     nullptr};
        GError* spawnError = nullptr;
        if (!g_spawn_async(nullptr, const_cast<gchar**>(argv), nullptr, G_SPAWN_DO_NOT_REAP_CHILD,
                           nullptr, nullptr, &pid_, &spawnError)) {
            error_ = std::string("cannot start nginx: ") + spawnError->message;
            g_error_free(spawnError);
            pid_ = 0;
            return;
        }
        // Up when the port accepts connections (or failed when nginx exited).
        ok_ = waitUntil([&] { return exited() ? true : accepts(); }, std::chrono::seconds(20)) &&
              !exited();
        if (!ok_) error_ = "nginx did not start: " + log();
    }

    ~TlsProxy() {
        if (pid_ > 0 && !exited()) {
            kill(pid_, SIGTERM);
            auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (!exited() && std::chrono::steady_clock::now() < deadline) g_usleep(10000);
            if (!exited()) {
                kill(pid_, SIGKILL);
                waitpid(pid_, nullptr, 0);
            }
        }
        if (pid_ > 0) g_spawn_close_pid(pid_);
        for (const char* f : {"/nginx.conf", "/cert.pem", "/key.pem", "/error.log", "/nginx.pid"})
            g_remove((dir_ + f).c_str());
        for (const char* d : {"/body", "/proxy", "/fcgi", "/uwsgi", "/scgi"})
            g_rmdir((dir_ + d).c_str());
        g_rmdir(dir_.c_str());
    }
    TlsProxy(const TlsProxy&) = delete;
    TlsProxy& operator=(const TlsProxy&) = delete;

    bool ok() const { return ok_; }
    const std::string& error() const { return error_; }
    /// "https://127.0.0.1:PORT", the public origin.
    std::string origin() const { return "https://127.0.0.1:" + std::to_string(port_); }
    /// nginx's error log (for failure messages).
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
    bool ok_ = false;
    bool exited_ = false;
    std::string error_;
};

}  // namespace mixmeet::testing
