// Linux network namespaces for one thread at a time, so a test can put one synthetic
// participant's media sockets behind a veth pair while the server and the other participants
// stay in the test's own namespace. Root only (CAP_SYS_ADMIN).
//
// setns(2) and unshare(2) with CLONE_NEWNET change the calling thread's namespace only; the
// threads it starts inherit it, and a socket belongs to the namespace of the thread that
// created it. See network_namespaces(7).
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace mixmeet::testing {

/// An open file descriptor on a network namespace (/proc/thread-self/ns/net); closed on
/// destruction. Move-only.
class NetnsFd {
public:
    NetnsFd() = default;
    explicit NetnsFd(int fd) : fd_(fd) {}
    NetnsFd(NetnsFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    NetnsFd& operator=(NetnsFd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = o.fd_;
            o.fd_ = -1;
        }
        return *this;
    }
    NetnsFd(const NetnsFd&) = delete;
    NetnsFd& operator=(const NetnsFd&) = delete;
    ~NetnsFd() { reset(); }

    int get() const { return fd_; }

    /// The calling thread's current network namespace. Throws std::runtime_error.
    static NetnsFd current() {
        int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw std::runtime_error("cannot open /proc/thread-self/ns/net");
        return NetnsFd(fd);
    }

    /// A new network namespace with only a loopback interface (down). The calling thread
    /// ends where it started. Throws std::runtime_error (e.g. not root).
    static NetnsFd create() {
        NetnsFd home = current();
        if (::unshare(CLONE_NEWNET) != 0) throw std::runtime_error("unshare(CLONE_NEWNET) failed");
        NetnsFd created = current();
        if (::setns(home.get(), CLONE_NEWNET) != 0)
            throw std::runtime_error("setns back to the original namespace failed");
        return created;
    }

private:
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    int fd_ = -1;
};

/// Puts the calling thread into the network namespace `fd` until destroyed, then back where
/// it was. Threads started meanwhile stay in `fd`'s namespace. fd < 0: does nothing.
/// Throws std::runtime_error when setns(2) fails.
class NetnsScope {
public:
    explicit NetnsScope(int fd) {
        if (fd < 0) return;
        home_ = NetnsFd::current();
        if (::setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("setns failed");
    }
    ~NetnsScope() {
        if (home_.get() >= 0) ::setns(home_.get(), CLONE_NEWNET);
    }
    NetnsScope(const NetnsScope&) = delete;
    NetnsScope& operator=(const NetnsScope&) = delete;

private:
    NetnsFd home_;
};

}  // namespace mixmeet::testing
