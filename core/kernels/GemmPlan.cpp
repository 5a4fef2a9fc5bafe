// Internal: row-major float GEMM on Eigen's blocked kernel with a packing workspace kept between calls.
#include "GemmPlan.h"

#include <Eigen/Core>

namespace nc::core::kernels::eigen {

// Eigen's own blocking object for a row-major destination (the product is computed transposed,
// column-major, inside Eigen). Internal API of Eigen 3.4 (Debian 12's version); the same types
// Eigen's GemmProduct uses.
struct GemmPlan::Blocking
    : Eigen::internal::gemm_blocking_space<Eigen::RowMajor, float, float, Eigen::Dynamic, Eigen::Dynamic,
                                           Eigen::Dynamic, 1, false> {
    Blocking(Eigen::Index m, Eigen::Index n, Eigen::Index k)
        : gemm_blocking_space(m, n, k, 1, true)
    {
        allocateAll();
    }
};

GemmPlan::GemmPlan() = default;
GemmPlan::~GemmPlan() = default;
GemmPlan::GemmPlan(GemmPlan&&) noexcept = default;
GemmPlan& GemmPlan::operator=(GemmPlan&&) noexcept = default;

void GemmPlan::prepare(int64_t m, int64_t n, int64_t k)
{
    m_m = m;
    m_n = n;
    m_k = k;
    m_blocking = std::make_unique<Blocking>(m, n, k);
}

void GemmPlan::multiplyAdd(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                           Layout bLayout, float* c, int64_t ldc, float alpha)
{
    if (m <= 0 || n <= 0)
        return;
    if (!m_blocking || m > m_m || n > m_n || k > m_k)
        prepare(std::max(m, m_m), std::max(n, m_n), std::max(k, m_k));
    using Eigen::Index;
    if (bLayout == Layout::RowMajor) {
        Eigen::internal::general_matrix_matrix_product<Index, float, Eigen::RowMajor, false, float, Eigen::RowMajor,
                                                       false, Eigen::RowMajor, 1>::run(m, n, k, a, lda, b, ldb, c, 1,
                                                                                       ldc, alpha, *m_blocking,
                                                                                       nullptr);
    } else {
        Eigen::internal::general_matrix_matrix_product<Index, float, Eigen::RowMajor, false, float, Eigen::ColMajor,
                                                       false, Eigen::RowMajor, 1>::run(m, n, k, a, lda, b, ldb, c, 1,
                                                                                       ldc, alpha, *m_blocking,
                                                                                       nullptr);
    }
}

} // namespace nc::core::kernels::eigen
