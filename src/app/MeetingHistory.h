// One connection's row in a meeting's history (store participations): opened when it joins a
// stored meeting, closed when it leaves. A failure to record is logged, never refused: the
// call goes on without its history row.
//
// Threads: main thread only (the store is synchronous).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "store/Store.h"

namespace mixmeet::app {

class MeetingHistory {
public:
    /// `store` must outlive this.
    explicit MeetingHistory(store::Store& store) : store_(store) {}

    /// Records a join of `meetingId` at `nowMs` (`userId` empty for guests).
    void open(const std::string& meetingId, std::optional<int64_t> userId,
              const std::string& displayName, int64_t nowMs);
    /// Records the leave at `nowMs`, if a join is open; idempotent.
    void close(int64_t nowMs);
    /// Gives up the open row without closing it (a resume hands it to another connection).
    std::optional<int64_t> release() { return std::exchange(participationId_, std::nullopt); }
    /// Takes over an open row released by another MeetingHistory (empty: none).
    void adopt(std::optional<int64_t> row) { participationId_ = row; }

private:
    store::Store& store_;
    std::optional<int64_t> participationId_;
};

}  // namespace mixmeet::app
