#include "room/Presenter.h"

#include <utility>

namespace mixmeet::room {

std::string Presenter::start(const std::string& id) {
    if (id.empty() || id == current_) return {};
    return std::exchange(current_, id);
}

core::Status Presenter::stop(const std::string& id) {
    if (!presenting(id)) return core::makeError("bad-state", "not presenting");
    current_.clear();
    return core::Ok{};
}

bool Presenter::left(const std::string& id) {
    if (!presenting(id)) return false;
    current_.clear();
    return true;
}

}  // namespace mixmeet::room
