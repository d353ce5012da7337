// Catch2 2.13 runner for the unit tests (Debian's Catch2 has no catch2-with-main).
#define CATCH_CONFIG_RUNNER
#include <gst/gst.h>
#include <catch2/catch.hpp>

#include "core/Log.h"
#include "core/OpenSsl.h"

int main(int argc, char** argv) {
    mixmeet::core::skipOpenSslCleanupAtExit();
    gst_init(nullptr, nullptr);
    mixmeet::core::initLogging();
    return Catch::Session().run(argc, argv);
}
