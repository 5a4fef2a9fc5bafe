// Internal: a GEMM whose weight operand is packed once into the panel layout of our micro-kernel.
#pragma once

#include "Tensor.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace nc::core::kernels::eigen {

// A GEMM whose weight operand is packed once, at prepare, into the panels of the micro-kernel
// in GemmKernel.h, so run() only packs the activations. Re-packing a 512×4608 convolution
// weight (9 MB) or a 4096×4096 linear weight (64 MB) on every run would be the largest cost in
// those layers; oneDNN does the same (its "reorder weights once").
//
//   Right mode (convolution):  Y[m × n] = W[m × k] · B[k × n] + Y   (W fixed; B, Y row-major)
//   Left mode (linear):        Y[n × m] = X[n × k] · Wᵀ + Y          (W [m × k] fixed; X, Y row-major)
// m is the output-channel (feature) count of this weight slice, k the reduction depth, n the
// pixels or rows of one call (≤ the prepared maximum).
//
// The micro-kernel vectorises one side of the output and broadcasts the other. Right mode
// vectorises the pixels (contiguous in Y) unless the prepared pixel count fills its vectors
// worse than the channel count does (7×7 = 49 pixels fill 49 of 64 lanes; 512 channels fill all):
// then W is the vector side and Y is written through the transposed tile path. Left mode
// vectorises the features (contiguous in Y).
// Immutable after prepare; run() may be called from several threads at once, each with its own
// workspace of workspaceFloats() floats.
class PrepackedGemm {
public:
    enum class Mode { Right, Left };
    // Which operand of the micro-kernel the weight is in right mode (forced only by tests).
    enum class WeightSide { Auto, Broadcast, Vector };

    void prepare(Mode mode, const float* w, int64_t ldw, int64_t m, int64_t k, int64_t maxN,
                 WeightSide side = WeightSide::Auto);
    int64_t workspaceFloats() const { return m_workspace; }
    // Right: b is B [k × n] with leading dimension ldb. Left: b is X [n × k] with ldb.
    // With bias (m floats, one per weight row), Y starts from the bias instead of its contents,
    // so the caller need not fill Y first (right mode: written without being read).
    // Only depth blocks [firstBlock, endBlock) (all by default; -1 = to the last) are multiplied:
    // a partial product over part of k, for splitting k across threads. Rows of b outside those
    // blocks are not read.
    void run(int64_t n, const float* b, int64_t ldb, float* y, int64_t ldy, float* workspace,
             const float* bias = nullptr, int64_t firstBlock = 0, int64_t endBlock = -1) const;
    int64_t depthBlocks() const { return static_cast<int64_t>(m_blockOffset.size()); }
    // "pixels vectorised" / "channels vectorised" / "features vectorised", for describe().
    std::string orientation() const;

    // Right mode with the pixels vectorised can take B already in the micro-kernel's panel layout,
    // so im2col writes its rows straight into the panels instead of a row-major tile that run()
    // would then copy again. Element (kk, i) of B for a call with n pixels lives at
    // packedPixelOffset(kk, i, n); the buffer holds packedPixelFloats(n) floats; the lanes past n
    // in the last panel are never read into the result.
    bool takesPackedPixels() const { return m_mode == Mode::Right && !m_weightIsVector; }
    int64_t packedPixelFloats(int64_t n) const;
    int64_t packedPixelOffset(int64_t kk, int64_t i, int64_t n) const
    {
        const int64_t kb = kk / m_kc, k2 = kb * m_kc, akc = std::min(m_kc, m_k - k2);
        const int64_t q = i / m_nr;
        return k2 * roundUpPacket(n) + q * m_nr * akc + (kk - k2) * packedPixelPanelWidth(i, n) + (i - q * m_nr);
    }
    // Floats from row kk to row kk + 1 of the panel holding pixel i, within one depth block.
    int64_t packedPixelPanelWidth(int64_t i, int64_t n) const
    {
        return std::min(m_nr, roundUpPacket(n) - i / m_nr * m_nr);
    }
    // Pixels a run of packedPixelOffset(kk, i, n) onwards may hold before the next panel.
    int64_t packedPixelRun(int64_t i) const { return m_nr - i % m_nr; }
    int64_t depthBlock() const { return m_kc; }
    void runPackedPixels(int64_t n, const float* packed, float* y, int64_t ldy, const float* bias = nullptr) const;
    // The same with row kk of B at bRows[kk] (k pointers; see gemm::multiplyRows).
    void runPixelRows(int64_t n, const float* const* bRows, float* y, int64_t ldy, const float* bias = nullptr) const;

private:
    int64_t roundUpPacket(int64_t n) const { return (n + m_packet - 1) / m_packet * m_packet; }

    Mode m_mode = Mode::Right;
    bool m_weightIsVector = false;
    int64_t m_m = 0, m_k = 0, m_kc = 0;
    int64_t m_nr = 1, m_packet = 1; // micro-kernel columns and packet floats
    int64_t m_workspace = 0;
    Tensor m_packed;                    // weight panels, depth block after depth block
    std::vector<int64_t> m_blockOffset; // offset of depth block kb in m_packed
};

} // namespace nc::core::kernels::eigen
