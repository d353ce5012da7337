// The config parser (app/Config) on arbitrary key-file text, then a reload diff against the
// defaults (what SIGHUP does).
#include <glib.h>

#include "FuzzInput.h"
#include "app/Config.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // Config problems are reported in the result; keep g_warning()s from other code quiet.
    g_log_set_always_fatal(static_cast<GLogLevelFlags>(G_LOG_LEVEL_ERROR));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    std::string text(mixmeet::fuzz::text(data, size));
    auto config = mixmeet::app::parseConfig(text, "fuzz");
    if (config) (void)mixmeet::app::diffConfig(mixmeet::app::defaultConfig(), config.value());
    return 0;
}
