// Expected failures as values (g++ 12 has no std::expected in C++20 mode).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace mixmeet::core {

/// An expected failure: a stable machine-readable code (e.g. "bad-sdp") and a message for
/// people.
struct Error {
    std::string code;
    std::string message;
};

/// Either a value of type T or an Error. Never throws on construction. [[nodiscard]]: a
/// dropped result is a compile error (-Werror); to drop one on purpose, cast it to (void)
/// with a comment saying why.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(v_); }
    explicit operator bool() const { return ok(); }
    const T& value() const& { return std::get<T>(v_); }
    T& value() & { return std::get<T>(v_); }
    T&& value() && { return std::get<T>(std::move(v_)); }
    const Error& error() const { return std::get<Error>(v_); }

private:
    std::variant<T, Error> v_;
};

/// Result of an operation that yields nothing on success.
struct Ok {};
using Status = Result<Ok>;

inline Error makeError(std::string code, std::string message) {
    return Error{std::move(code), std::move(message)};
}

}  // namespace mixmeet::core
