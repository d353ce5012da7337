// Debian's nginx as a child process of a test, on 127.0.0.1:PORT with a config the caller has
// written to DIR/nginx.conf (error log DIR/error.log): started, waited for until the port
// accepts connections, stopped with SIGTERM (SIGKILL after 10 s). Shared by TlsProxy and
// RtmpServer. Main thread only; waits iterate the thread-default main context (Wait.h).
#pragma once

#include <gio/gio.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <string>

#include "Wait.h"
#include "core/GstPtr.h"

namespace mixmeet::testing {

class NginxProcess {
public:
    /// Path of the nginx binary, or "" when it is not installed.
    static std::string binaryPath() {
        for (const char* p : {"/usr/sbin/nginx", "/usr/bin/nginx"})
            if (g_file_test(p, G_FILE_TEST_IS_EXECUTABLE)) return p;
        gchar* found = g_find_program_in_path("nginx");
        std::string out = found ? found : "";
        g_free(found);
        return out;
    }

    NginxProcess(std::string dir, int port) : dir_(std::move(dir)), port_(port) {}
    ~NginxProcess() { stop(); }
    NginxProcess(const NginxProcess&) = delete;
    NginxProcess& operator=(const NginxProcess&) = delete;

    /// Starts nginx; true once the port accepts connections (within 20 s), false (with
    /// `error` set) when it cannot be spawned or exits first.
    bool start(std::string& error) {
        std::string nginx = binaryPath();
        std::string errorLog = dir_ + "/error.log";
        std::string conf = dir_ + "/nginx.conf";
        const gchar* argv[] = {nginx.c_str(), "-e", errorLog.c_str(), "-p",
                               dir_.c_str(),  "-c", conf.c_str(),     nullptr};
        exited_ = false;
        GError* spawnError = nullptr;
        if (!g_spawn_async(nullptr, const_cast<gchar**>(argv), nullptr, G_SPAWN_DO_NOT_REAP_CHILD,
                           nullptr, nullptr, &pid_, &spawnError)) {
            error = std::string("cannot start nginx: ") + spawnError->message;
            g_error_free(spawnError);
            pid_ = 0;
            return false;
        }
        // Up when the port accepts connections (or failed when nginx exited).
        const bool up =
            waitUntil([&] { return exited() ? true : accepts(); }, std::chrono::seconds(20)) &&
            !exited();
        if (!up) error = "nginx did not start: " + log();
        return up;
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

    std::string dir_;
    int port_;
    GPid pid_ = 0;
    bool exited_ = false;
};

}  // namespace mixmeet::testing
