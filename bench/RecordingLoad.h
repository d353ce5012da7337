// mixmeet-bench --record / --stream (issue 15's costs): the room becomes a stored meeting whose
// host (the first peer) records it and/or streams it to RTMP (an nginx-rtmp the bench starts on
// loopback) and HLS during the measurement window. Around that window the same room is measured
// without the outputs (half a window before, half after), so the extra server CPU is a
// difference within one room; then the latency to the outputs is measured (sender stamps read
// back from the RTMP pull and the HLS segments). docs/performance.md, "Recording and streaming
// cost (issue 15)".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mixmeet::testing {
class ApiClient;
class RtmpServer;
class ServerProcess;
class SyntheticPeer;
}  // namespace mixmeet::testing

namespace mixmeet::bench {

/// What the host turns on during the window.
struct OutputOptions {
    bool record = false;  ///< a WebM recording (protocol `record`)
    bool rtmp = false;    ///< one RTMP target (protocol `stream`), to nginx-rtmp on loopback
    bool hls = false;     ///< HLS (protocol `hls`)
    bool any() const { return record || rtmp || hls; }
};

/// Parses --stream's value: "rtmp", "hls" or both, comma-separated. false on anything else.
bool parseStreamList(const std::string& text, OutputOptions& out);

/// One room's outputs for one row. Main thread only; every wait is a condition with a timeout.
class RecordingLoad {
public:
    struct Settings {
        OutputOptions outputs;
        int participants = 0;
        int width = 0, height = 0, fps = 0;  ///< the composite
        int sendWidth = 0, sendHeight = 0;   ///< what each sender captures (stamp geometry)
        int durationS = 0;                   ///< the measurement window
    };

    RecordingLoad(Settings settings, testing::ServerProcess& server);
    ~RecordingLoad();
    RecordingLoad(const RecordingLoad&) = delete;
    RecordingLoad& operator=(const RecordingLoad&) = delete;

    /// Registers the host's account, creates the meeting (guests allowed: the other peers join
    /// without accounts) and starts nginx-rtmp for --stream rtmp. Without nginx or its RTMP
    /// module, RTMP is left out with a message on stderr (the rest goes on). false with `error`
    /// when the account or the meeting cannot be made.
    bool prepare(std::string& error);
    /// The meeting id: the room the peers join.
    const std::string& room() const { return meeting_; }
    /// The host's session cookie, for the first peer's WebSocket.
    std::string hostCookie() const;

    /// Just before the window: measures the room without outputs for half a window, then the
    /// host starts them and this waits (at most 15 s) until they run. false if one did not
    /// start (the row then measures less than asked; a message says so).
    bool beforeWindow(testing::SyntheticPeer& host);
    /// Just after the window (its server CPU, % of one core): the server's RSS, the latency
    /// phase (streams), the host stops the outputs, the recording's file, the second half of
    /// the window without outputs. Keeps a summary row.
    void afterWindow(testing::SyntheticPeer& host, double serverCpuWith);

    /// Prints the summary rows kept by every afterWindow() so far (nothing if none).
    static void printSummary();

private:
    struct Stats;
    Stats stats();
    double measureWithout(int seconds);

    Settings settings_;
    testing::ServerProcess& server_;
    std::unique_ptr<testing::ApiClient> api_;
    std::unique_ptr<testing::RtmpServer> rtmp_;
    std::string meeting_;
    std::string streamKey_ = "bench-stream-key";
    double cpuBefore_ = 0;
    long rssBeforeKiB_ = 0, rssStartKiB_ = 0;
    bool started_ = false;
    int stallsBefore_ = 0;            // stall lines in server.log before the row
    long long liveFrames0_ = 0;       // liveVideoFrames at the window's start
    std::int64_t windowStartUs_ = 0;  // g_get_monotonic_time() then
};

}  // namespace mixmeet::bench
