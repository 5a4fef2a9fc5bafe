// Error values of the kernel library: a status that cannot be silently dropped, and a value-or-status.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace nc::core::kernels {

// Outcome of a kernel call. No exception ever leaves the library: every backend entry point catches
// what third-party code throws (dnnl::error, std::bad_alloc) and turns it into one of these.
// Messages are lower-case and name the layer and the attribute: `layer "conv3": kernel 7 exceeds
// padded input 5 on axis H`.
struct [[nodiscard]] KernelStatus {
    bool ok = true;
    std::string message;

    static KernelStatus success() { return {}; }
    static KernelStatus failure(std::string text) { return {false, std::move(text)}; }
    explicit operator bool() const { return ok; }
};

// std::expected-shaped holder (Debian 12's g++ 12 has no <expected>): either a value or a failed
// status. Kept deliberately tiny; callers test `ok()` and then take `value()` or `status()`.
template <typename T>
class [[nodiscard]] KernelResult {
public:
    KernelResult(T value) : m_value(std::move(value)) {}
    KernelResult(KernelStatus status) : m_status(std::move(status))
    {
        // A "successful" status without a value would be a programming error; make it a failure
        // so that value() is never reached on an empty optional.
        if (m_status.ok)
            m_status = KernelStatus::failure("internal: result constructed without a value");
    }

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }
    const KernelStatus& status() const { return m_status; }
    const std::string& message() const { return m_status.message; }

    T& value() & { return *m_value; }
    const T& value() const& { return *m_value; }
    T&& value() && { return std::move(*m_value); }

private:
    std::optional<T> m_value;
    KernelStatus m_status;
};

} // namespace nc::core::kernels
