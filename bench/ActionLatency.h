// mixmeet-bench --action-latency: how long meeting actions take to show in what a viewer
// decodes (issue 14, "Cost and latency"). The real server (a child process) and N synthetic
// participants on loopback; each action is repeated K times and timed from the moment its
// message is sent to the first decoded frame (or audio) at a synthetic viewer that shows it:
//   (a) the host switches the meeting's layout grid <-> speaker: the composite's geometry
//       changes (stamps, FrameStamp.h, readable in the new layout's tiles);
//   (b) a participant starts sharing its screen: the geometry changes to presentation (and,
//       reported apart, the screen's picture appears);
//   (c) the host mutes the one talker: its tone is gone from the viewer's decoded audio
//       (Goertzel);
//   (d) a silent participant starts a louder tone: the viewer's `layout` message names it
//       the active speaker AND the large tile of its speaker layout shows that participant's
//       camera (a colour no one else sends).
// docs/performance.md ("Layouts and action latency") explains the method and the figures.
#pragma once

#include "ServerProcess.h"

namespace mixmeet::bench {

struct ActionLatencySettings {
    testing::ServerSettings server;  ///< composite size, bitrates, latencies, binary
    int participants = 4;            ///< >= 3: host, talker, presenter (+ viewer when >= 4)
    int repeats = 10;                ///< K, repetitions of each action
    int sendWidth = 640;             ///< the peers' cameras
    int sendHeight = 360;
    int sendFps = 30;
    unsigned jitterBufferMs = 50;  ///< the peers' webrtcbin latency
    bool keep = false;             ///< keep the server's files (ServerProcess::keepFiles)
};

/// Runs the whole mode and prints its table on stdout (progress on stderr). Main thread; it
/// iterates the thread-default main context. Returns the process exit status: 0, or 1 when the
/// server did not start or the room did not settle.
int runActionLatency(const ActionLatencySettings& settings);

}  // namespace mixmeet::bench
