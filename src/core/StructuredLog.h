// Log lines about a room and a participant through GLib structured logging: under systemd
// (stderr connected to the journal) the ids are journal fields (`journalctl
// MIXMEET_ROOM=abc-defg-hij`); on a terminal the same line reads "room R: P: message".
#pragma once

#include <glib.h>

#include <string>
#include <utility>
#include <vector>

namespace mixmeet::core {

/// What a log line is about; an empty id is left out.
struct LogContext {
    std::string room;         ///< Room name or meeting id.
    std::string participant;  ///< Participant id within the room.
};

/// The fields logEvent() passes to g_log_structured_array, in order: MESSAGE (with the ids as
/// a "room R: P: " prefix, so plain-text logs keep them), GLIB_DOMAIN "mixmeet", then
/// MIXMEET_ROOM and MIXMEET_PARTICIPANT when set.
std::vector<std::pair<std::string, std::string>> logFields(const LogContext& context,
                                                           const std::string& message);

/// Logs `message` at `level` (G_LOG_LEVEL_WARNING, MESSAGE, INFO or DEBUG; never ERROR, which
/// aborts) with the context's ids as fields. GLib's writer sends it to the journal when stderr
/// is the journal, else to stderr (INFO and DEBUG only with G_MESSAGES_DEBUG).
void logEvent(GLogLevelFlags level, const LogContext& context, const std::string& message);
/// logEvent() with a printf-style message.
void logEventf(GLogLevelFlags level, const LogContext& context, const char* format, ...)
    G_GNUC_PRINTF(3, 4);

}  // namespace mixmeet::core
