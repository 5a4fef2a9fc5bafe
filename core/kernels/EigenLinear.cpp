// Internal: the prepared Eigen-backend linear layer (GEMV for one row, pre-packed GEMM otherwise).
#include "EigenLinear.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace nc::core::kernels::eigen {

namespace {
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using CMapRow = Eigen::Map<const RowMat, Eigen::Unaligned, Eigen::OuterStride<>>;

int64_t ceilDiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

// Output features are split in slices of whole 16-float vectors.
constexpr int64_t kSliceQuantum = 16;

} // namespace

void EigenLinear::prepare(int64_t rows, int64_t in, int64_t out, const float* weight, const float* bias, int threads)
{
    m_rows = rows;
    m_in = in;
    m_out = out;
    threads = std::max(threads, 1);
    m_bias.assign(static_cast<std::size_t>(out), 0.0f);
    if (bias)
        std::copy(bias, bias + out, m_bias.begin());
    m_weight.clear();
    m_slices.clear();
    m_sliceStart.clear();
    m_work.clear();
    if (rows == 1) {
        m_weight.assign(weight, weight + in * out);
        return;
    }
    // Slice s covers output features [start_s, start_{s+1}), in whole 16-feature vectors.
    const int64_t blocks = ceilDiv(out, kSliceQuantum);
    const int64_t slices = std::min<int64_t>(threads, blocks);
    int64_t work = 0;
    for (int64_t s = 0; s <= slices; ++s)
        m_sliceStart.push_back(std::min(out, blocks * s / slices * kSliceQuantum));
    m_slices.resize(static_cast<std::size_t>(slices));
    for (int64_t s = 0; s < slices; ++s) {
        const int64_t c0 = m_sliceStart[static_cast<std::size_t>(s)], c1 = m_sliceStart[static_cast<std::size_t>(s + 1)];
        PrepackedGemm& g = m_slices[static_cast<std::size_t>(s)];
        g.prepare(PrepackedGemm::Mode::Left, weight + c0 * in, in, c1 - c0, in, rows);
        work = std::max(work, g.workspaceFloats());
    }
    for (int t = 0; t < threads; ++t)
        m_work.emplace_back(Shape{work});
}

void EigenLinear::run(const float* x, float* y, const Parallel& par)
{
    if (m_rows == 1) {
        const int64_t blocks = ceilDiv(m_out, kSliceQuantum);
        par.pool->parallelFor(blocks, par.threads, [&](int64_t b0, int64_t b1, int) {
            // y[c0:c1] = W[c0:c1, :]·x + b[c0:c1]: Eigen's row-major GEMV, W read once, in order.
            const int64_t c0 = b0 * kSliceQuantum, cn = std::min(m_out, b1 * kSliceQuantum) - c0;
            Eigen::Map<Eigen::VectorXf> yv(y + c0, cn);
            yv = Eigen::Map<const Eigen::VectorXf>(m_bias.data() + c0, cn);
            yv.noalias() += CMapRow(m_weight.data() + c0 * m_in, cn, m_in, Eigen::OuterStride<>(m_in)) *
                            Eigen::Map<const Eigen::VectorXf>(x, m_in);
        });
        return;
    }
    const auto slices = static_cast<int64_t>(m_slices.size());
    par.pool->parallelFor(slices, par.threads, [&](int64_t s0, int64_t s1, int worker) {
        for (int64_t s = s0; s < s1; ++s) {
            // Y[:, c0:c1] = b[c0:c1] + X · W[c0:c1, :]ᵀ
            const int64_t c0 = m_sliceStart[static_cast<std::size_t>(s)], c1 = m_sliceStart[static_cast<std::size_t>(s + 1)];
            for (int64_t r = 0; r < m_rows; ++r)
                std::copy(m_bias.begin() + c0, m_bias.begin() + c1, y + r * m_out + c0);
            m_slices[static_cast<std::size_t>(s)].run(m_rows, x, m_in, y + c0, m_out,
                                                      m_work[static_cast<std::size_t>(worker)].data());
        }
    });
}

} // namespace nc::core::kernels::eigen
