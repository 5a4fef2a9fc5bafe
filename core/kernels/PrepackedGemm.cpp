// Internal: a GEMM whose weight operand is packed once into the panel layout of our micro-kernel.
#include "PrepackedGemm.h"

#include "GemmKernel.h"

#include <algorithm>

namespace nc::core::kernels::eigen {

namespace {
int64_t roundUp(int64_t a, int64_t b)
{
    return (a + b - 1) / b * b;
}
// Fraction of vector lanes doing useful work when n outputs are vectorised.
double laneFill(int64_t n)
{
    return static_cast<double>(n) / static_cast<double>(roundUp(n, gemm::packetFloats()));
}
} // namespace

void PrepackedGemm::prepare(Mode mode, const float* w, int64_t ldw, int64_t m, int64_t k, int64_t maxN,
                            WeightSide side)
{
    m_mode = mode;
    m_m = m;
    m_k = k;
    m_kc = gemm::depthBlock(k);
    m_nr = gemm::tileCols();
    m_packet = gemm::packetFloats();
    if (mode == Mode::Left)
        m_weightIsVector = true; // the only orientation left mode implements
    else if (side == WeightSide::Auto)
        m_weightIsVector = laneFill(maxN) < laneFill(m);
    else
        m_weightIsVector = side == WeightSide::Vector;
    // Every block starts on a 64-byte line.
    const auto align = [](int64_t floats) { return roundUp(floats, 16); };
    m_blockOffset.clear();
    int64_t total = 0;
    for (int64_t k2 = 0; k2 < k; k2 += m_kc) {
        const int64_t akc = std::min(m_kc, k - k2);
        m_blockOffset.push_back(total);
        total += align(m_weightIsVector ? gemm::packedBFloats(akc, m) : gemm::packedAFloats(m, akc));
    }
    m_packed = Tensor(Shape{std::max<int64_t>(total, 1)});
    for (std::size_t kb = 0; kb < m_blockOffset.size(); ++kb) {
        const int64_t k2 = static_cast<int64_t>(kb) * m_kc, akc = std::min(m_kc, k - k2);
        float* dst = m_packed.data() + m_blockOffset[kb];
        // W [m × k] row-major: as A its element (o, kk) is w[o·ldw + kk]; as B (Wᵀ, depth × m)
        // its element (kk, o) is the same float.
        if (m_weightIsVector)
            gemm::packB({w + k2, 1, ldw}, akc, m, dst);
        else
            gemm::packA({w + k2, ldw, 1}, m, akc, dst);
    }
    if (mode == Mode::Left)
        m_workspace = gemm::packedAFloats(maxN, m_kc);
    else if (m_weightIsVector)
        m_workspace = gemm::packedAFloats(maxN, m_kc) + maxN * m; // + Yᵀ
    else
        m_workspace = gemm::packedBFloats(m_kc, maxN);
}

void PrepackedGemm::run(int64_t n, const float* b, int64_t ldb, float* y, int64_t ldy, float* workspace,
                        const float* bias, int64_t firstBlock, int64_t endBlock) const
{
    if (n <= 0 || m_m <= 0)
        return;
    if (bias && m_mode == Mode::Left)
        for (int64_t r = 0; r < n; ++r) // bias runs along Y's rows here: no kernel row to start from
            std::copy(bias, bias + m_m, y + r * ldy);
    const auto first = static_cast<std::size_t>(firstBlock);
    const std::size_t end = endBlock < 0 ? m_blockOffset.size() : static_cast<std::size_t>(endBlock);
    for (std::size_t kb = first; kb < end; ++kb) {
        const int64_t k2 = static_cast<int64_t>(kb) * m_kc, akc = std::min(m_kc, m_k - k2);
        const float* w = m_packed.data() + m_blockOffset[kb];
        if (m_mode == Mode::Left) {
            // X [n × k]: A, element (r, kk) = x[r·ldb + kk]; C = Y [n × m].
            gemm::packA({b + k2, ldb, 1}, n, akc, workspace);
            gemm::multiplyPacked(n, m_m, akc, workspace, w, y, ldy, 1);
        } else if (m_weightIsVector) {
            // Bᵀ [n × k] as A: element (p, kk) = b[kk·ldb + p]; C = Yᵀ [n × m], accumulated
            // row-major after the packed A so the tiles take the whole-packet path, and added
            // to Y transposed once at the end (not once per depth block).
            float* yt = workspace + gemm::packedAFloats(n, m_kc);
            if (kb == first)
                std::fill(yt, yt + n * m_m, 0.0f);
            gemm::packA({b + k2 * ldb, 1, ldb}, n, akc, workspace);
            gemm::multiplyPacked(n, m_m, akc, workspace, w, yt, m_m, 1);
            if (kb + 1 == end)
                for (int64_t o = 0; o < m_m; ++o)
                    for (int64_t p = 0; p < n; ++p)
                        y[o * ldy + p] = (bias ? bias[o] : y[o * ldy + p]) + yt[p * m_m + o];
        } else {
            // B [k × n] as B; C = Y [m × n].
            gemm::packB({b + k2 * ldb, ldb, 1}, akc, n, workspace);
            gemm::multiplyPacked(m_m, n, akc, w, workspace, y, ldy, 1, kb == first ? bias : nullptr);
        }
    }
}

int64_t PrepackedGemm::packedPixelFloats(int64_t n) const
{
    return m_k * roundUpPacket(n);
}

// The blocks packB would have written, back to back: block kb at kb·kc·roundUp(n, L).
void PrepackedGemm::runPackedPixels(int64_t n, const float* packed, float* y, int64_t ldy, const float* bias) const
{
    if (n <= 0 || m_m <= 0)
        return;
    for (std::size_t kb = 0; kb < m_blockOffset.size(); ++kb) {
        const int64_t k2 = static_cast<int64_t>(kb) * m_kc, akc = std::min(m_kc, m_k - k2);
        gemm::multiplyPacked(m_m, n, akc, m_packed.data() + m_blockOffset[kb], packed + k2 * roundUpPacket(n), y, ldy,
                             1, kb == 0 ? bias : nullptr);
    }
}

void PrepackedGemm::runPixelRows(int64_t n, const float* const* bRows, float* y, int64_t ldy, const float* bias) const
{
    if (n <= 0 || m_m <= 0)
        return;
    for (std::size_t kb = 0; kb < m_blockOffset.size(); ++kb) {
        const int64_t k2 = static_cast<int64_t>(kb) * m_kc, akc = std::min(m_kc, m_k - k2);
        gemm::multiplyRows(m_m, n, akc, m_packed.data() + m_blockOffset[kb], bRows + k2, y, ldy,
                           kb == 0 ? bias : nullptr);
    }
}

std::string PrepackedGemm::orientation() const
{
    if (m_mode == Mode::Left)
        return "features vectorised";
    return m_weightIsVector ? "channels vectorised" : "pixels vectorised";
}

} // namespace nc::core::kernels::eigen
