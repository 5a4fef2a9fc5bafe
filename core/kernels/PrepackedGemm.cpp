// Internal: a GEMM whose weight operand is packed once into the layout of Eigen's micro-kernel.
#include "PrepackedGemm.h"

#include <Eigen/Core>

#include <algorithm>

namespace nc::core::kernels::eigen {

namespace {
using Eigen::Index;
using Traits = Eigen::internal::gebp_traits<float, float>;
using ColMapper = Eigen::internal::const_blas_data_mapper<float, Index, Eigen::ColMajor>;
using RowMapper = Eigen::internal::const_blas_data_mapper<float, Index, Eigen::RowMajor>;
using ResMapper = Eigen::internal::blas_data_mapper<float, Index, Eigen::ColMajor, Eigen::Unaligned, 1>;
using Gebp = Eigen::internal::gebp_kernel<float, float, Index, ResMapper, Traits::mr, Traits::nr, false, false>;
template <typename Mapper, int Order>
using PackLhs = Eigen::internal::gemm_pack_lhs<float, Index, Mapper, Traits::mr, Traits::LhsProgress,
                                               typename Traits::LhsPacket4Packing, Order>;
template <typename Mapper, int Order>
using PackRhs = Eigen::internal::gemm_pack_rhs<float, Index, Mapper, Traits::nr, Order>;

int64_t blocksOf(int64_t total, int64_t block)
{
    return (total + block - 1) / block;
}
} // namespace

// Inside, both modes are the column-major product C = A·B of Eigen's GEMM (Goto's algorithm):
//   Right: C = Yᵀ [n × m], A = Bᵀ [n × k] (column-major view of B), B = Wᵀ [k × m] — W packed
//          as gemm_pack_rhs panels for every (k-block, m-block).
//   Left:  C = Yᵀ [m × n], A = W [m × k] (row-major), B = Xᵀ [k × n] — W packed as
//          gemm_pack_lhs panels for every (m-block, k-block).
void PrepackedGemm::prepare(Mode mode, const float* w, int64_t ldw, int64_t m, int64_t k, int64_t maxN)
{
    m_mode = mode;
    m_m = m;
    m_k = k;
    Index kc = k, mc = 0, nc = 0;
    if (mode == Mode::Right) {
        mc = maxN;
        nc = m;
    } else {
        mc = m;
        nc = maxN;
    }
    Eigen::internal::computeProductBlockingSizes<float, float, 1, Index>(kc, mc, nc, 1);
    m_kc = kc;
    m_mc = mc;
    m_nc = nc;
    // Eigen stores packed panels with aligned vector stores: every block starts on a 64-byte line.
    auto align = [](int64_t floats) { return (floats + 15) / 16 * 16; };
    int64_t total = 0;
    for (int64_t a = 0; a < (mode == Mode::Right ? k : m); a += (mode == Mode::Right ? m_kc : m_mc))
        for (int64_t b = 0; b < (mode == Mode::Right ? m : k); b += (mode == Mode::Right ? m_nc : m_kc))
            total += align(std::min(mode == Mode::Right ? m_kc : m_mc, (mode == Mode::Right ? k : m) - a) *
                           std::min(mode == Mode::Right ? m_nc : m_kc, (mode == Mode::Right ? m : k) - b));
    m_packed = Tensor(Shape{std::max<int64_t>(total, 1)});
    m_blockOffset.clear();
    int64_t offset = 0;
    if (mode == Mode::Right) {
        // Wᵀ [k × m]: element (kk, o) = w[o·ldw + kk], a column-major matrix with stride ldw.
        ColMapper wt(w, ldw);
        PackRhs<ColMapper, Eigen::ColMajor> pack;
        for (int64_t k2 = 0; k2 < k; k2 += m_kc)
            for (int64_t j2 = 0; j2 < m; j2 += m_nc) {
                const int64_t akc = std::min(m_kc, k - k2), anc = std::min(m_nc, m - j2);
                m_blockOffset.push_back(offset);
                pack(m_packed.data() + offset, wt.getSubMapper(k2, j2), akc, anc);
                offset += align(akc * anc);
            }
        m_workspace = m_mc * m_kc;
    } else {
        RowMapper wm(w, ldw);
        PackLhs<RowMapper, Eigen::RowMajor> pack;
        for (int64_t i2 = 0; i2 < m; i2 += m_mc)
            for (int64_t k2 = 0; k2 < k; k2 += m_kc) {
                const int64_t amc = std::min(m_mc, m - i2), akc = std::min(m_kc, k - k2);
                m_blockOffset.push_back(offset);
                pack(m_packed.data() + offset, wm.getSubMapper(i2, k2), akc, amc);
                offset += align(amc * akc);
            }
        m_workspace = m_kc * m_nc;
    }
}

void PrepackedGemm::run(int64_t n, const float* b, int64_t ldb, float* y, int64_t ldy, float* workspace) const
{
    Gebp gebp;
    ResMapper res(y, ldy);
    const int64_t kBlocks = blocksOf(m_k, m_kc);
    if (m_mode == Mode::Right) {
        ColMapper a(b, ldb); // Bᵀ [n × k]: element (p, kk) = b[kk·ldb + p]
        PackLhs<ColMapper, Eigen::ColMajor> pack;
        const int64_t jBlocks = blocksOf(m_m, m_nc);
        for (int64_t i2 = 0; i2 < n; i2 += m_mc) {
            const int64_t amc = std::min(m_mc, n - i2);
            for (int64_t kb = 0; kb < kBlocks; ++kb) {
                const int64_t k2 = kb * m_kc, akc = std::min(m_kc, m_k - k2);
                pack(workspace, a.getSubMapper(i2, k2), akc, amc);
                for (int64_t jb = 0; jb < jBlocks; ++jb) {
                    const int64_t j2 = jb * m_nc, anc = std::min(m_nc, m_m - j2);
                    gebp(res.getSubMapper(i2, j2), workspace,
                         m_packed.data() + m_blockOffset[static_cast<std::size_t>(kb * jBlocks + jb)], amc, akc, anc,
                         1.0f);
                }
            }
        }
        return;
    }
    ColMapper xt(b, ldb); // Xᵀ [k × n]: element (kk, r) = x[r·ldb + kk]
    PackRhs<ColMapper, Eigen::ColMajor> pack;
    const int64_t iBlocks = blocksOf(m_m, m_mc);
    // Pack each (k-block, n-block) of the activations once, then stream every weight block past it.
    for (int64_t j2 = 0; j2 < n; j2 += m_nc) {
        const int64_t anc = std::min(m_nc, n - j2);
        for (int64_t kb = 0; kb < kBlocks; ++kb) {
            const int64_t k2 = kb * m_kc, akc = std::min(m_kc, m_k - k2);
            pack(workspace, xt.getSubMapper(k2, j2), akc, anc);
            for (int64_t ib = 0; ib < iBlocks; ++ib) {
                const int64_t i2 = ib * m_mc, amc = std::min(m_mc, m_m - i2);
                gebp(res.getSubMapper(i2, j2), m_packed.data() + m_blockOffset[static_cast<std::size_t>(ib * kBlocks + kb)],
                     workspace, amc, akc, anc, 1.0f);
            }
        }
    }
}

} // namespace nc::core::kernels::eigen
