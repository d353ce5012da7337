// A real TLS reverse proxy for tests: Debian's nginx on 127.0.0.1 with a self-signed
// certificate (made with the openssl tool), forwarding HTTP and WebSockets to the server the
// way the README advises deployments to (Host, X-Forwarded-For, X-Forwarded-Proto, Upgrade).
// Everything lives in a temporary directory; the nginx process is stopped on destruction.
#pragma once

#include <glib/gstdio.h>

#include <fstream>
#include <memory>
#include <string>

#include "NginxProcess.h"

namespace mixmeet::testing {

class TlsProxy {
public:
    /// Path of the nginx binary, or "" when it is not installed.
    static std::string nginxPath() { return NginxProcess::binaryPath(); }

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
        nginx_ = std::make_unique<NginxProcess>(dir_, port);
        ok_ = nginx_->start(error_);
    }

    ~TlsProxy() {
        nginx_.reset();
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
    std::string log() const { return nginx_ ? nginx_->log() : std::string(); }

private:
    int port_;
    std::string dir_;
    std::unique_ptr<NginxProcess> nginx_;
    bool ok_ = false;
    std::string error_;
};

}  // namespace mixmeet::testing
