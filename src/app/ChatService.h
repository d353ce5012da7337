// A meeting's chat as the store keeps it: saving a line and reading pages of it for late
// joiners and "older messages". Plain rooms (no stored meeting) keep no chat: their lines get
// ids that are never stored.
//
// Threads: main thread only (the store is synchronous).
#pragma once

#include <optional>
#include <string>

#include "core/Result.h"
#include "protocol/Messages.h"
#include "store/Store.h"

namespace mixmeet::app {

class ChatService {
public:
    /// Lines per history page.
    static constexpr int kHistoryPage = 50;

    /// `store` must outlive this.
    explicit ChatService(store::Store& store) : store_(store) {}

    /// Stores `line` (its id is ignored) in meeting `meetingId`; returns its new id. Error
    /// "internal" if the store refuses it.
    core::Result<long long> save(const std::string& meetingId, const protocol::ChatLine& line);
    /// An id for a line of a plain room, unique in this process.
    static long long ephemeralId();
    /// The page of up to kHistoryPage lines before id `before` (the newest without it),
    /// oldest first, and whether older ones exist. Error "internal" if the store fails.
    core::Result<protocol::ChatHistory> page(const std::string& meetingId,
                                             std::optional<long long> before);

private:
    store::Store& store_;
};

}  // namespace mixmeet::app
