// Helpers shared by the libFuzzer targets (tests/fuzz/README.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mixmeet::fuzz {

inline std::string_view text(const uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// The input cut at '\n' into at most `n` fields (the last keeps the rest); missing fields
/// are empty.
inline std::vector<std::string> fields(std::string_view in, std::size_t n) {
    std::vector<std::string> out;
    while (out.size() + 1 < n) {
        auto nl = in.find('\n');
        if (nl == std::string_view::npos) break;
        out.emplace_back(in.substr(0, nl));
        in.remove_prefix(nl + 1);
    }
    out.emplace_back(in);
    out.resize(n);
    return out;
}

}  // namespace mixmeet::fuzz
