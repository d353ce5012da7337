// Range headers on recording downloads (http/ByteRange). Input: 8 bytes of file size, then the
// header. A partial range must lie inside the file.
#include <cstring>

#include "FuzzInput.h"
#include "http/ByteRange.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size < 8) return 0;
    int64_t fileSize = 0;
    std::memcpy(&fileSize, data, 8);
    if (fileSize < 0) fileSize = -(fileSize + 1);
    std::string header(mixmeet::fuzz::text(data + 8, size - 8));
    auto r = mixmeet::http::parseRange(header, fileSize);
    if (r.kind == mixmeet::http::RangeRequest::Kind::Partial) {
        if (r.range.offset < 0 || r.range.length < 1 || r.range.offset >= fileSize ||
            r.range.length > fileSize - r.range.offset)
            __builtin_trap();
        (void)mixmeet::http::contentRange(r.range, fileSize);
    }
    return 0;
}
