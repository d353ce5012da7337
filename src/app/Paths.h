// Where the server finds its static pages, pipeline fragments and default config file when
// the config does not say: the source tree when the binary runs from its meson build
// directory (scripts/serve.sh, the tests), else the places `meson install` put them
// (docs/deployment.md, "Install").
#pragma once

#include <string>

namespace mixmeet::app {

struct InstallPaths {
    std::string webDir;        ///< Static pages (web/ or DATADIR/mixmeet/web).
    std::string pipelinesDir;  ///< Pipeline fragments (pipelines/ or DATADIR/mixmeet/pipelines).
    std::string configFile;    ///< Default config (config/ or SYSCONFDIR/mixmeet/mixmeet.ini).
    bool installed = false;    ///< False: running from the build directory (source tree paths).
};

/// The paths for a binary at `executable` (an absolute path). A binary under the build
/// directory gets the source tree. An installed one gets the compiled-in install paths, moved
/// under the same root as the binary: /tmp/d/usr/local/bin/mixmeet (a `meson install
/// --destdir /tmp/d` tree) finds /tmp/d/usr/local/share/mixmeet and /tmp/d/usr/local/etc/mixmeet.
InstallPaths installPathsFor(const std::string& executable);
/// installPathsFor() of this process's own binary (/proc/self/exe), computed once.
const InstallPaths& installPaths();

}  // namespace mixmeet::app
