#include "app/Paths.h"

#include <glib.h>

#include "mixmeet-config.h"

namespace mixmeet::app {
namespace {

bool startsWith(const std::string& s, const std::string& prefix) {
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0 &&
           (s.size() == prefix.size() || s[prefix.size()] == '/');
}

}  // namespace

InstallPaths installPathsFor(const std::string& executable) {
    InstallPaths p;
    if (executable.empty() || startsWith(executable, MIXMEET_BUILD_DIR)) {
        p.webDir = std::string(MIXMEET_SOURCE_DIR) + "/web";
        p.pipelinesDir = std::string(MIXMEET_SOURCE_DIR) + "/pipelines";
        p.configFile = std::string(MIXMEET_SOURCE_DIR) + "/config/mixmeet.ini";
        return p;
    }
    p.installed = true;
    // The root the tree was installed under: what precedes the compiled-in bindir in the
    // binary's directory ("" for a plain install; the destdir for a staged one).
    g_autofree gchar* dir = g_path_get_dirname(executable.c_str());
    std::string bindir = MIXMEET_BINDIR;
    std::string exeDir = dir;
    std::string root;
    if (exeDir.size() > bindir.size() &&
        exeDir.compare(exeDir.size() - bindir.size(), bindir.size(), bindir) == 0)
        root = exeDir.substr(0, exeDir.size() - bindir.size());
    p.webDir = root + MIXMEET_DATADIR + "/web";
    p.pipelinesDir = root + MIXMEET_DATADIR + "/pipelines";
    p.configFile = root + MIXMEET_SYSCONFDIR + "/mixmeet.ini";
    return p;
}

const InstallPaths& installPaths() {
    static const InstallPaths paths = [] {
        g_autofree gchar* exe = g_file_read_link("/proc/self/exe", nullptr);
        return installPathsFor(exe ? exe : "");
    }();
    return paths;
}

}  // namespace mixmeet::app
