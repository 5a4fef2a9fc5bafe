// Result<T>: a value or an error message, returned instead of throwing across core boundaries.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace nc::core {

// An error that says what is wrong and where, lower-case, e.g.
// `layer "conv3": kernel 7 exceeds padded input 5 on axis H`.
struct Error {
    std::string message;
};

// std::expected-shaped (Debian 12's g++ 12 has no <expected>). [[nodiscard]] so an error cannot be
// dropped silently.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_v(std::move(value)) {}
    Result(Error error) : m_v(std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(m_v); }
    const T& value() const { return std::get<0>(m_v); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const std::string& error() const { return std::get<1>(m_v).message; }

private:
    std::variant<T, Error> m_v;
};

// For operations that return nothing but may fail.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error e) : m_error(std::move(e.message)), m_failed(true) {}
    static Status success() { return {}; }
    bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    const std::string& error() const { return m_error; }

private:
    std::string m_error;
    bool m_failed = false;
};

} // namespace nc::core
