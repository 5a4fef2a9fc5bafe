// Internal: row-major float GEMM on Eigen's blocked kernel with a packing workspace kept between calls.
#pragma once

#include <cstdint>
#include <memory>

namespace nc::core::kernels::eigen {

// C[m×n] += α · A[m×k] · B[k×n], all row-major except that B may be column-major (a transposed
// row-major matrix, e.g. Kᵀ in attention). Leading dimensions are in floats.
//
// Why not `c.noalias() += a * b` on Eigen::Map: that expression allocates Eigen's packing buffers
// on every product and frees them afterwards. For buffers above glibc's mmap/trim thresholds each
// call then pays mmap + munmap + page faults; measured here (3×3 convolution tiles of 96–160
// pixels) that made the GEMM 2–2.5× slower. A plan computes Eigen's blocking sizes once for the
// largest product it will run and owns the buffers, so run() allocates nothing.
// One plan per thread: the packing buffers are written during run().
class GemmPlan {
public:
    enum class Layout { RowMajor, ColMajor };

    GemmPlan();
    ~GemmPlan();
    GemmPlan(GemmPlan&&) noexcept;
    GemmPlan& operator=(GemmPlan&&) noexcept;

    // Sizes the blocking for products up to m × n × k (Eigen's cache-size heuristics).
    void prepare(int64_t m, int64_t n, int64_t k);
    // Products larger than prepared re-plan (and allocate) first.
    void multiplyAdd(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                     Layout bLayout, float* c, int64_t ldc, float alpha = 1.0f);

private:
    struct Blocking;
    std::unique_ptr<Blocking> m_blocking;
    int64_t m_m = 0, m_n = 0, m_k = 0;
};

} // namespace nc::core::kernels::eigen
