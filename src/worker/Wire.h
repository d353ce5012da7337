// The pieces of the worker channel's messages shared by both ends (docs/workers.md): the
// media configuration a worker is given, and the call/reply framing.
#pragma once

#include <json-glib/json-glib.h>

#include <optional>
#include <string>

#include "core/Json.h"
#include "core/Result.h"
#include "media/MediaConfig.h"

namespace mixmeet::worker {

/// The `configure` message: the media settings ([video], [audio], [webrtc], [ice],
/// [streaming]) and the pipelines directory, absolute. Nothing else of the config (no
/// database, no secrets) reaches a worker.
std::string configureMessage(const media::MediaConfig& media, const std::string& pipelinesDir);
/// Reads a `configure` message. Error "bad-message" naming the field.
core::Result<media::MediaConfig> readMediaConfig(JsonObject* configure);

/// {"t":"reply","n":seq,"ok":false,"code":...,"message":...}.
std::string errorReply(long long seq, const core::Error& error);
/// The error of a reply (ok false), or nullopt.
std::optional<core::Error> replyError(JsonObject* reply);

/// Reads an optional integer member (an account id) as std::optional.
std::optional<int64_t> optionalId(JsonObject* o, const char* name);

}  // namespace mixmeet::worker
