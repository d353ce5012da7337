// Who presents (shares a screen) in a room: one presenter at a time. A second participant who
// starts sharing takes over (as in Meet and Zoom): the first one's share ends. Pure state, no
// GStreamer; main thread (the room's).
#pragma once

#include <string>

#include "core/Result.h"

namespace mixmeet::room {

class Presenter {
public:
    /// `id` starts sharing. Returns whoever presented before and was replaced (empty: nobody,
    /// or `id` itself already presented, which changes nothing).
    std::string start(const std::string& id);
    /// `id` stops sharing. Error "bad-state" if it is not the presenter.
    core::Status stop(const std::string& id);
    /// `id` left the call (or the room, or its peer vanished): true if its share ended.
    bool left(const std::string& id);
    /// The presenter's id; empty when nobody shares.
    const std::string& current() const { return current_; }
    bool presenting(const std::string& id) const { return !current_.empty() && current_ == id; }

private:
    std::string current_;
};

}  // namespace mixmeet::room
