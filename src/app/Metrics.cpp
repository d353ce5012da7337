#include "app/Metrics.h"

#include <glib.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace mixmeet::app {

namespace {
std::string formatValue(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    return g_ascii_dtostr(buf, sizeof buf, v);  // Locale-independent, round-trips.
}

/// Equal-time comparison (the token is a secret).
bool sameSecret(const std::string& a, const std::string& b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
    return diff == 0;
}
}  // namespace

std::string escapeLabelValue(const std::string& value) {
    std::string out;
    for (char ch : value) {
        if (ch == '\\')
            out += "\\\\";
        else if (ch == '"')
            out += "\\\"";
        else if (ch == '\n')
            out += "\\n";
        else
            out += ch;
    }
    return out;
}

MetricsText& MetricsText::family(const std::string& name, const char* type,
                                 const std::string& help) {
    std::string escaped;
    for (char ch : help) escaped += ch == '\n' ? std::string("\\n") : std::string(1, ch);
    text_ += "# HELP " + name + " " + escaped + "\n# TYPE " + name + " " + type + "\n";
    return *this;
}

MetricsText& MetricsText::sample(const std::string& name, double value, const Labels& labels) {
    text_ += name;
    if (!labels.empty()) {
        text_ += "{";
        for (std::size_t i = 0; i < labels.size(); ++i)
            text_ += (i ? "," : "") + labels[i].first + "=\"" + escapeLabelValue(labels[i].second) +
                     "\"";
        text_ += "}";
    }
    text_ += " " + formatValue(value) + "\n";
    return *this;
}

ProcessFigures readProcessFigures(int pid) {
    ProcessFigures f;
    const std::string proc = pid > 0 ? "/proc/" + std::to_string(pid) : std::string("/proc/self");
    // /proc/self/stat: the command may hold spaces and parentheses; fields count from the last
    // ')'. utime and stime are fields 14 and 15 (1-based), in clock ticks.
    std::ifstream stat(proc + "/stat");
    std::string line;
    if (std::getline(stat, line)) {
        auto close = line.rfind(')');
        if (close != std::string::npos) {
            std::istringstream rest(line.substr(close + 2));
            std::string field;
            unsigned long long utime = 0, stime = 0;
            for (int i = 3; i <= 15 && rest >> field; ++i) {
                if (i == 14) utime = std::stoull(field);
                if (i == 15) stime = std::stoull(field);
            }
            long ticks = sysconf(_SC_CLK_TCK);
            if (ticks > 0) f.cpuSeconds = static_cast<double>(utime + stime) / ticks;
        }
    }
    std::ifstream statm(proc + "/statm");
    unsigned long long size = 0, resident = 0;
    if (statm >> size >> resident)
        f.residentBytes =
            static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
    if (GDir* dir = g_dir_open((proc + "/fd").c_str(), 0, nullptr)) {
        long n = 0;
        while (g_dir_read_name(dir)) ++n;
        g_dir_close(dir);
        // Our own: less the directory's descriptor.
        f.openFds = static_cast<double>(pid > 0 ? n : n - 1);
    }
    return f;
}

MetricsAccess metricsAccess(const std::string& clientAddress, const std::string& authorization,
                            const std::string& token) {
    if (token.empty())
        return clientAddress == "127.0.0.1" || clientAddress == "::1" ? MetricsAccess::Allowed
                                                                      : MetricsAccess::Forbidden;
    const std::string prefix = "Bearer ";
    if (authorization.size() > prefix.size() &&
        g_ascii_strncasecmp(authorization.c_str(), prefix.c_str(), prefix.size()) == 0 &&
        sameSecret(authorization.substr(prefix.size()), token))
        return MetricsAccess::Allowed;
    return MetricsAccess::Unauthorized;
}

}  // namespace mixmeet::app
