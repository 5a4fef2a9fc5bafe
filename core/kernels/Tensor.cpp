// Dense float32 tensor with 64-byte aligned storage.
#include "Tensor.h"

#include "Rng.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace nc::core::kernels {

namespace {
constexpr std::align_val_t kAlignment{64};
}

int64_t shapeElements(const Shape& shape)
{
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

std::string shapeToString(const Shape& shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i)
            s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

Tensor::Tensor(Shape shape) : m_shape(std::move(shape))
{
    allocate(shapeElements(m_shape));
}

Tensor::Tensor(const Tensor& other) : m_shape(other.m_shape)
{
    allocate(other.m_size);
    if (m_size)
        std::memcpy(m_data, other.m_data, static_cast<std::size_t>(m_size) * sizeof(float));
}

Tensor& Tensor::operator=(const Tensor& other)
{
    if (this != &other) {
        Tensor copy(other);
        *this = std::move(copy);
    }
    return *this;
}

Tensor::Tensor(Tensor&& other) noexcept
    : m_shape(std::move(other.m_shape)), m_data(other.m_data), m_size(other.m_size),
      m_capacity(other.m_capacity)
{
    other.m_data = nullptr;
    other.m_size = other.m_capacity = 0;
    other.m_shape.clear();
}

Tensor& Tensor::operator=(Tensor&& other) noexcept
{
    if (this != &other) {
        release();
        m_shape = std::move(other.m_shape);
        m_data = other.m_data;
        m_size = other.m_size;
        m_capacity = other.m_capacity;
        other.m_data = nullptr;
        other.m_size = other.m_capacity = 0;
        other.m_shape.clear();
    }
    return *this;
}

Tensor::~Tensor()
{
    release();
}

Tensor Tensor::random(Shape shape, uint64_t seed, float lo, float hi)
{
    Tensor t(std::move(shape));
    t.fillRandom(seed, lo, hi);
    return t;
}

void Tensor::allocate(int64_t elements)
{
    m_size = elements;
    m_capacity = elements;
    if (elements <= 0) {
        m_data = nullptr;
        return;
    }
    // Round the byte count up to whole cache lines: vector tails may then read (never write) a
    // full line without leaving the allocation.
    const std::size_t bytes = (static_cast<std::size_t>(elements) * sizeof(float) + 63) & ~std::size_t{63};
    m_data = static_cast<float*>(::operator new[](bytes, kAlignment));
    std::memset(m_data, 0, bytes);
}

void Tensor::release()
{
    if (m_data)
        ::operator delete[](m_data, kAlignment);
    m_data = nullptr;
}

void Tensor::resize(Shape shape)
{
    const int64_t n = shapeElements(shape);
    m_shape = std::move(shape);
    if (n <= m_capacity) {
        m_size = n;
        return;
    }
    release();
    allocate(n);
}

bool Tensor::reshape(Shape shape)
{
    if (shapeElements(shape) != m_size)
        return false;
    m_shape = std::move(shape);
    return true;
}

void Tensor::fill(float value)
{
    std::fill(m_data, m_data + m_size, value);
}

void Tensor::fillRandom(uint64_t seed, float lo, float hi)
{
    Rng rng(seed);
    for (int64_t i = 0; i < m_size; ++i)
        m_data[i] = rng.uniform(lo, hi);
}

} // namespace nc::core::kernels
