// Prometheus text exposition (format 0.0.4) for GET /metrics, who may read it, and the
// process figures it reports. docs/configuration.md, sections [metrics] and "Metrics" (the
// metric names).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mixmeet::app {

/// Builds exposition text: a family's HELP and TYPE lines, then its samples.
class MetricsText {
public:
    using Labels = std::vector<std::pair<std::string, std::string>>;
    /// Starts a family; `type` is "gauge", "counter" or "histogram" (whose samples the caller
    /// writes: `_bucket{le=...}` cumulative, `_sum`, `_count`).
    MetricsText& family(const std::string& name, const char* type, const std::string& help);
    /// One sample `name{labels} value` (labels escaped as the format requires).
    MetricsText& sample(const std::string& name, double value, const Labels& labels = {});
    const std::string& text() const { return text_; }

private:
    std::string text_;
};

/// A label value escaped for the text format: backslash, double quote and newline.
std::string escapeLabelValue(const std::string& value);

/// A process from /proc (`pid` 0: this one): CPU time (user + system) in seconds, resident
/// memory in bytes, open descriptors. -1 for a figure that cannot be read.
struct ProcessFigures {
    double cpuSeconds = -1;
    double residentBytes = -1;
    double openFds = -1;
};
ProcessFigures readProcessFigures(int pid = 0);

/// Who may read /metrics: with no token configured, loopback clients only (403 for others);
/// with a token, whoever sends "Authorization: Bearer TOKEN" (401 for anyone else, loopback
/// included). `clientAddress` is the request's (after trusted-proxy forwarding).
enum class MetricsAccess { Allowed, Forbidden, Unauthorized };
MetricsAccess metricsAccess(const std::string& clientAddress, const std::string& authorization,
                            const std::string& token);

}  // namespace mixmeet::app
