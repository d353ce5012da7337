// Text checks shared by the signaling protocol and the REST API.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mixmeet::core {

/// `s` without leading and trailing spaces, tabs and line breaks.
std::string trim(std::string_view s);

/// True if `text` is valid UTF-8 of 1..maxChars characters (not bytes) without control
/// characters; newlines and tabs are allowed when `allowNewlines` (chat), not otherwise (names).
bool isValidText(const std::string& text, std::size_t maxChars, bool allowNewlines = false);

}  // namespace mixmeet::core
