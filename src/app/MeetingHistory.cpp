#include "app/MeetingHistory.h"

#include <glib.h>

#include "core/Log.h"

#define GST_CAT_DEFAULT mixmeet_app_debug

namespace mixmeet::app {

void MeetingHistory::open(const std::string& meetingId, std::optional<int64_t> userId,
                          const std::string& displayName, int64_t nowMs) {
    auto row = store_.openParticipation(meetingId, userId, displayName, nowMs);
    if (row)
        participationId_ = row.value();
    else
        g_warning("cannot record the join of %s: %s", displayName.c_str(),
                  row.error().message.c_str());
}

void MeetingHistory::close(int64_t nowMs) {
    if (!participationId_) return;
    auto closed = store_.closeParticipation(*participationId_, nowMs);
    if (!closed)
        GST_WARNING("cannot record the leave of participation %lld: %s",
                    static_cast<long long>(*participationId_), closed.error().message.c_str());
    participationId_.reset();
}

}  // namespace mixmeet::app
