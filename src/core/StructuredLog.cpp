#include "core/StructuredLog.h"

#include <cstdarg>

namespace mixmeet::core {

std::vector<std::pair<std::string, std::string>> logFields(const LogContext& context,
                                                           const std::string& message) {
    std::string text;
    if (!context.room.empty()) text += "room " + context.room + ": ";
    if (!context.participant.empty()) text += context.participant + ": ";
    std::vector<std::pair<std::string, std::string>> fields = {{"MESSAGE", text + message},
                                                               {"GLIB_DOMAIN", "mixmeet"}};
    if (!context.room.empty()) fields.emplace_back("MIXMEET_ROOM", context.room);
    if (!context.participant.empty())
        fields.emplace_back("MIXMEET_PARTICIPANT", context.participant);
    return fields;
}

void logEvent(GLogLevelFlags level, const LogContext& context, const std::string& message) {
    if (level & G_LOG_LEVEL_ERROR) level = G_LOG_LEVEL_CRITICAL;  // ERROR would abort.
    auto fields = logFields(context, message);
    std::vector<GLogField> out;
    out.reserve(fields.size());
    for (const auto& [key, value] : fields)
        out.push_back(GLogField{key.c_str(), value.c_str(), -1});
    g_log_structured_array(level, out.data(), out.size());
}

void logEventf(GLogLevelFlags level, const LogContext& context, const char* format, ...) {
    va_list args;
    va_start(args, format);
    g_autofree gchar* message = g_strdup_vprintf(format, args);
    va_end(args);
    logEvent(level, context, message);
}

}  // namespace mixmeet::core
