#include "http/Request.h"

#include <glib.h>

namespace mixmeet::http {

std::string Request::header(const std::string& name) const {
    std::string lower = name;
    for (char& c : lower) c = g_ascii_tolower(c);
    auto it = headers.find(lower);
    return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> Request::cookie(const std::string& name) const {
    return cookieFromHeader(header("cookie"), name);
}

std::optional<std::string> cookieFromHeader(const std::string& header, const std::string& name) {
    std::size_t pos = 0;
    while (pos < header.size()) {
        std::size_t end = header.find(';', pos);
        if (end == std::string::npos) end = header.size();
        std::string pair = header.substr(pos, end - pos);
        auto b = pair.find_first_not_of(' ');
        if (b != std::string::npos) {
            pair = pair.substr(b);
            auto eq = pair.find('=');
            if (eq != std::string::npos && pair.substr(0, eq) == name) {
                std::string value = pair.substr(eq + 1);
                while (!value.empty() && value.back() == ' ') value.pop_back();
                if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                    value = value.substr(1, value.size() - 2);
                return value;
            }
        }
        pos = end + 1;
    }
    return std::nullopt;
}

}  // namespace mixmeet::http
