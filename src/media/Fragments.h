// Admin-tunable pipeline fragments: GStreamer launch descriptions in pipelines/*.pipeline,
// loaded at run time. Lines starting with '#' are comments.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/GstPtr.h"
#include "core/Result.h"

namespace mixmeet::media {

/// Fragment names the server uses (file name without ".pipeline").
namespace fragment {
inline constexpr const char* kVideoDecodeVp8 = "video-decode-vp8";
inline constexpr const char* kVideoDecodeH264 = "video-decode-h264";
inline constexpr const char* kAudioDecodeOpus = "audio-decode-opus";
inline constexpr const char* kVideoEncodeVp8 = "video-encode-vp8";
inline constexpr const char* kAudioEncodeOpus = "audio-encode-opus";
}  // namespace fragment

/// The loaded set of fragments. Immutable after load(); safe to use from any thread.
class Fragments {
public:
    /// Reads every *.pipeline file in dir and checks each one parses. Error code "config"
    /// names the file and the parser's message; a missing required fragment is an error too.
    static core::Result<Fragments> load(const std::string& dir);

    /// Builds a new bin from fragment `name`, with ghost pads "sink" and "src" for its unlinked
    /// pads. Error "config" if the name is unknown or the description no longer parses.
    core::Result<core::ElementPtr> makeBin(const std::string& name,
                                           const std::string& binName) const;

    std::vector<std::string> names() const;
    const std::string* description(const std::string& name) const;

private:
    std::map<std::string, std::string> descriptions_;
};

}  // namespace mixmeet::media
