// What one signaling client may ask of the server per unit of time (docs/security.md,
// "Signaling"). Read from the [signaling] group of the config file.
#pragma once

#include "signaling/TokenBucket.h"

namespace mixmeet::signaling {

struct Limits {
    /// Every frame a connection sends (any type, valid or not): sustained per second and
    /// burst. Past it each frame is dropped with error "rate-limited", which counts towards
    /// the kMaxErrors that disconnect. [signaling] message_rate, message_burst.
    int messageRate = 20;
    int messageBurst = 100;
    /// Chat lines per account (signed-in users, over all their connections) or per connection
    /// (guests): sustained per minute and burst. [signaling] chat_per_minute, chat_burst.
    int chatPerMinute = 30;
    int chatBurst = 10;
    /// chat-history requests per connection: per minute and burst.
    /// [signaling] history_per_minute, history_burst.
    int historyPerMinute = 20;
    int historyBurst = 5;
    /// ICE candidates a participant may send; later ones are ignored after one error
    /// "too-many-candidates". [signaling] max_candidates.
    int maxCandidates = 50;
    /// Whether loopback candidates (127.0.0.0/8, ::1) are used: only when the server itself
    /// gathers on a loopback address ([ice] addresses), i.e. tests and development. Otherwise
    /// a client could make the server send STUN checks to its own local UDP services.
    bool allowLoopbackCandidates = false;

    TokenBucket::Config messages() const {
        return {static_cast<double>(messageRate), static_cast<double>(messageBurst)};
    }
    TokenBucket::Config chat() const {
        return {chatPerMinute / 60.0, static_cast<double>(chatBurst)};
    }
    TokenBucket::Config history() const {
        return {historyPerMinute / 60.0, static_cast<double>(historyBurst)};
    }
};

}  // namespace mixmeet::signaling
