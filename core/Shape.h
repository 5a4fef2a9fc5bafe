// Shape: the per-sample dimensions of a tensor (batch excluded), plus overflow-checked arithmetic.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

namespace nc::core {

// Checked 64-bit arithmetic: every figure the tool shows is a product of user-given sizes, and a
// wrapped product would be a silently wrong number.
inline std::optional<int64_t> checkedMul(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return std::nullopt;
    return r;
}
inline std::optional<int64_t> checkedAdd(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return std::nullopt;
    return r;
}

// Per-sample shape, batch excluded: an image is {C, H, W}, a token sequence {T, D}, a vector {F}.
// Fixed capacity so analysis never allocates for shapes.
class Shape {
public:
    static constexpr int kMaxRank = 8;

    Shape() = default;
    Shape(std::initializer_list<int64_t> dims)
    {
        for (int64_t d : dims)
            push(d);
    }

    int rank() const { return m_rank; }
    bool empty() const { return m_rank == 0; }
    int64_t operator[](int i) const { return m_d[static_cast<size_t>(i)]; }
    int64_t& operator[](int i) { return m_d[static_cast<size_t>(i)]; }
    int64_t back() const { return m_d[static_cast<size_t>(m_rank - 1)]; }
    bool push(int64_t d)
    {
        if (m_rank >= kMaxRank)
            return false;
        m_d[static_cast<size_t>(m_rank++)] = d;
        return true;
    }
    void clear() { m_rank = 0; }
    const int64_t* begin() const { return m_d.data(); }
    const int64_t* end() const { return m_d.data() + m_rank; }

    // Product of all dims; nullopt on overflow.
    std::optional<int64_t> elements() const
    {
        int64_t n = 1;
        for (int i = 0; i < m_rank; ++i) {
            auto m = checkedMul(n, m_d[static_cast<size_t>(i)]);
            if (!m)
                return std::nullopt;
            n = *m;
        }
        return n;
    }

    bool operator==(const Shape& o) const
    {
        if (m_rank != o.m_rank)
            return false;
        for (int i = 0; i < m_rank; ++i)
            if (m_d[static_cast<size_t>(i)] != o.m_d[static_cast<size_t>(i)])
                return false;
        return true;
    }

    // "64×56×56"
    std::string toString() const;

private:
    std::array<int64_t, kMaxRank> m_d{};
    int m_rank = 0;
};

} // namespace nc::core
