// Lifetime guard for main-thread objects reached from callbacks: streaming-thread code
// captures weak() and posts to the main context, where lock() yields nullptr once the owner is
// destroyed. Both the owner's destruction and lock() happen on the main thread, so a live
// lock() result stays valid for the rest of that main-context callback.
#pragma once

#include <memory>

namespace mixmeet::core {

template <typename T>
class Anchor {
public:
    explicit Anchor(T* owner) : p_(std::make_shared<T*>(owner)) {}
    Anchor(const Anchor&) = delete;
    Anchor& operator=(const Anchor&) = delete;

    std::weak_ptr<T*> weak() const { return p_; }

private:
    std::shared_ptr<T*> p_;
};

/// Resolves a weak anchor on the main thread: the owner, or nullptr if it is gone.
template <typename T>
T* resolve(const std::weak_ptr<T*>& weak) {
    auto p = weak.lock();
    return p ? *p : nullptr;
}

}  // namespace mixmeet::core
