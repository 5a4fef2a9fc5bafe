// Internal: the prepared Eigen-backend multi-head self-attention.
#include "EigenAttention.h"

#include "GemmKernel.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace nc::core::kernels::eigen {

namespace {
int64_t ceilDiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

// Rows of the query block one attention task handles: small enough that 3 heads still give both
// cores several tasks, large enough that Q·Kᵀ is a real GEMM.
constexpr int64_t kAttentionRows = 64;
} // namespace

void EigenAttention::prepare(int64_t n, int64_t t, int64_t d, int64_t heads, const std::vector<Tensor>& params,
                             int threads)
{
    m_n = n;
    m_t = t;
    m_d = d;
    m_heads = heads;
    threads = std::max(threads, 1);
    m_inProj.prepare(t, d, 3 * d, params[0].data(), params[1].data(), threads);
    m_outProj.prepare(t, d, d, params[2].data(), params[3].data(), threads);
    m_qkv = Tensor(Shape{t, 3 * d});
    m_context = Tensor(Shape{t, d});
    const int64_t rows = std::min(t, kAttentionRows), dh = d / heads;
    m_scores.clear();
    m_panels.clear();
    // Q·Kᵀ: A = Q block (rows × dh), B = Kᵀ (dh × T); P·V: A = P block (rows × T), B = V (T × dh);
    // one depth block of each at a time.
    const int64_t kcS = gemm::depthBlock(dh), kcV = gemm::depthBlock(t);
    const int64_t panels = std::max(gemm::packedAFloats(rows, kcS) + gemm::packedBFloats(kcS, t),
                                    gemm::packedAFloats(rows, kcV) + gemm::packedBFloats(kcV, dh));
    for (int i = 0; i < threads; ++i) {
        m_scores.emplace_back(Shape{rows, t});
        m_panels.emplace_back(Shape{panels});
    }
}

namespace {
// C[m × n] += A · B over all of k, in the micro-kernel's depth blocks, packing both operands into
// `panels` (A first, then B).
void multiplyAdd(int64_t m, int64_t n, int64_t k, gemm::View a, gemm::View b, float* c, int64_t ldc, float* panels)
{
    const int64_t kc = gemm::depthBlock(k);
    for (int64_t k0 = 0; k0 < k; k0 += kc) {
        const int64_t akc = std::min(kc, k - k0);
        float* pa = panels;
        float* pb = panels + gemm::packedAFloats(m, akc);
        gemm::packA({a.data + k0 * a.cs, a.rs, a.cs}, m, akc, pa);
        gemm::packB({b.data + k0 * b.rs, b.rs, b.cs}, akc, n, pb);
        gemm::multiplyPacked(m, n, akc, pa, pb, c, ldc, 1);
    }
}
} // namespace

// Per image: [Q | K | V] = X·W_inᵀ + b_in ([T × 3D]); per head h (columns h·dh … of Q, K, V):
//     O_h = softmax(Q_h K_hᵀ / √dh) V_h           (softmax over each row, i.e. over keys)
// then Y = [O_1 … O_H]·W_outᵀ + b_out. The head loop is split into (head, block of query rows)
// tasks so 3 heads still load 2 cores evenly; each task's score block is private scratch.
// Q, K, V are read in place from the QKV buffer through leading dimension 3D (Kᵀ as a
// column-major operand), so no head is ever copied.
void EigenAttention::run(const float* x, float* y, const Parallel& par)
{
    const int64_t t = m_t, d = m_d, dh = d / m_heads;
    const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
    const int64_t rowBlocks = ceilDiv(t, kAttentionRows);
    float* qkv = m_qkv.data();
    float* context = m_context.data();
    for (int64_t img = 0; img < m_n; ++img) {
        m_inProj.run(x + img * t * d, qkv, par);
        par.pool->parallelTasks(m_heads * rowBlocks, par.threads, [&](int64_t t0, int64_t t1, int worker) {
            const auto w = static_cast<std::size_t>(worker);
            float* s = m_scores[w].data();
            float* panels = m_panels[w].data();
            for (int64_t task = t0; task < t1; ++task) {
                const int64_t h = task / rowBlocks, r0 = (task % rowBlocks) * kAttentionRows;
                const int64_t rn = std::min(kAttentionRows, t - r0);
                const float* q = qkv + r0 * 3 * d + h * dh;
                const float* k = qkv + d + h * dh;
                const float* v = qkv + 2 * d + h * dh;
                // S = Q_h K_hᵀ: Kᵀ's element (j, key) is K [T × dh] (ld 3D) at key·3D + j. The
                // 1/√dh goes into the softmax below rather than a pass over S.
                std::fill(s, s + rn * t, 0.0f);
                multiplyAdd(rn, t, dh, {q, 3 * d, 1}, {k, 1, 3 * d}, s, t, panels);
                for (int64_t r = 0; r < rn; ++r) {
                    // Subtracting the row maximum keeps exp() in range; the result is unchanged.
                    Eigen::Map<Eigen::ArrayXf> row(s + r * t, t);
                    row = ((row - row.maxCoeff()) * scale).exp();
                    row /= row.sum();
                }
                float* o = context + r0 * d + h * dh;
                for (int64_t r = 0; r < rn; ++r)
                    std::fill(o + r * d, o + r * d + dh, 0.0f);
                multiplyAdd(rn, dh, t, {s, t, 1}, {v, 3 * d, 1}, o, d, panels);
            }
        });
        m_outProj.run(context, y + img * t * d, par);
    }
}

} // namespace nc::core::kernels::eigen
