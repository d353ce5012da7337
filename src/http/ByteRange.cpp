#include "http/ByteRange.h"

#include <cctype>
#include <charconv>

namespace mixmeet::http {

namespace {
/// Parses decimal digits [from, to); nullopt if empty, not all digits or too large.
std::optional<int64_t> number(const std::string& s, std::size_t from, std::size_t to) {
    if (from >= to) return std::nullopt;
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data() + from, s.data() + to, v);
    if (ec != std::errc() || end != s.data() + to || v < 0) return std::nullopt;
    return v;
}
}  // namespace

RangeRequest parseRange(const std::string& header, int64_t size) {
    RangeRequest r;
    const std::string prefix = "bytes=";
    if (header.rfind(prefix, 0) != 0) return r;
    std::size_t start = prefix.size();
    std::size_t end = header.size();
    while (end > start && std::isspace(static_cast<unsigned char>(header[end - 1]))) --end;
    if (header.find(',', start) != std::string::npos) return r;  // Several ranges: whole file.
    std::size_t dash = header.find('-', start);
    if (dash == std::string::npos || dash >= end) return r;
    auto first = number(header, start, dash);
    auto last = number(header, dash + 1, end);
    if (!first && !last) return r;
    if (!first) {  // bytes=-n: the last n bytes.
        if (*last == 0) {
            r.kind = RangeRequest::Kind::Unsatisfiable;
            return r;
        }
        if (size == 0) {
            r.kind = RangeRequest::Kind::Unsatisfiable;
            return r;
        }
        int64_t n = std::min(*last, size);
        r.kind = RangeRequest::Kind::Partial;
        r.range = {size - n, n};
        return r;
    }
    if (last && *last < *first) return r;  // Invalid: ignored (RFC 9110 14.2).
    if (*first >= size) {
        r.kind = RangeRequest::Kind::Unsatisfiable;
        return r;
    }
    int64_t stop = last ? std::min(*last, size - 1) : size - 1;
    r.kind = RangeRequest::Kind::Partial;
    r.range = {*first, stop - *first + 1};
    return r;
}

std::string contentRange(const ByteRange& range, int64_t size) {
    return "bytes " + std::to_string(range.offset) + "-" +
           std::to_string(range.offset + range.length - 1) + "/" + std::to_string(size);
}

}  // namespace mixmeet::http
