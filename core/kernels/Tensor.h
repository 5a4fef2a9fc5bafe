// Dense float32 tensor with 64-byte aligned storage: the data type every kernel reads and writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nc::core::kernels {

// Dimensions, outermost first. Image tensors are NCHW, token tensors N×T×D, weights OIHW.
using Shape = std::vector<int64_t>;

// Number of elements of a shape (1 for rank 0).
int64_t shapeElements(const Shape& shape);
// "[1, 64, 56, 56]", for messages and benchmark tables.
std::string shapeToString(const Shape& shape);

// A row-major (C order) float32 tensor. Storage is aligned to 64 bytes so that AVX-512 loads of a
// row start on a cache line, and is value-semantic: copying a Tensor copies the data.
// Not thread-safe for concurrent writes; kernels write disjoint ranges of one output from their
// own threads.
class Tensor {
public:
    Tensor() = default;
    // Zero-filled tensor of the given shape.
    explicit Tensor(Shape shape);
    Tensor(const Tensor& other);
    Tensor& operator=(const Tensor& other);
    Tensor(Tensor&& other) noexcept;
    Tensor& operator=(Tensor&& other) noexcept;
    ~Tensor();

    // A tensor filled with uniform values in [lo, hi) from `seed` (see fillRandom).
    static Tensor random(Shape shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f);

    const Shape& shape() const { return m_shape; }
    int rank() const { return static_cast<int>(m_shape.size()); }
    int64_t dim(int axis) const { return m_shape[static_cast<std::size_t>(axis)]; }
    int64_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }

    float* data() { return m_data; }
    const float* data() const { return m_data; }
    float& operator[](int64_t i) { return m_data[i]; }
    float operator[](int64_t i) const { return m_data[i]; }

    // Changes the shape; keeps the buffer (contents unspecified) when the element count fits,
    // otherwise reallocates zero-filled storage. Lets a runner reuse one output across runs.
    void resize(Shape shape);
    // Same data, new dimensions with the same element count (Flatten, 1-D pooling as 2-D).
    bool reshape(Shape shape);
    void fill(float value);
    // Deterministic uniform values in [lo, hi) from a SplitMix64 stream seeded with `seed`;
    // identical on every platform.
    void fillRandom(uint64_t seed, float lo = -1.0f, float hi = 1.0f);

private:
    void allocate(int64_t elements);
    void release();

    Shape m_shape;
    float* m_data = nullptr;
    int64_t m_size = 0;
    int64_t m_capacity = 0;
};

} // namespace nc::core::kernels
