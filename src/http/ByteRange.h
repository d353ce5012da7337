// HTTP Range requests (RFC 9110 section 14): one byte range of a file, for seeking in a
// browser <video>. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mixmeet::http {

struct ByteRange {
    int64_t offset = 0;  ///< First byte.
    int64_t length = 0;  ///< Bytes, >= 1.
};

/// What a Range header asks of a file of `size` bytes.
struct RangeRequest {
    enum class Kind {
        Whole,          ///< No Range, or one we ignore (multiple ranges, not bytes): 200.
        Partial,        ///< One satisfiable range: 206 with Content-Range.
        Unsatisfiable,  ///< Starts past the end: 416 with Content-Range: bytes */size.
    };
    Kind kind = Kind::Whole;
    ByteRange range;
};

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n` (suffix); `b` past the end is clamped.
RangeRequest parseRange(const std::string& header, int64_t size);
/// "bytes a-b/size".
std::string contentRange(const ByteRange& range, int64_t size);

}  // namespace mixmeet::http
