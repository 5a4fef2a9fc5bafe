// Internal: a GEMM whose weight operand is packed once into the layout of Eigen's micro-kernel.
#pragma once

#include "Tensor.h"

#include <cstdint>
#include <vector>

namespace nc::core::kernels::eigen {

// A GEMM whose weight operand is packed once, at prepare, into the panel layout of Eigen's
// micro-kernel (gebp), so run() only packs the activations. Re-packing a 512×4608 convolution
// weight (9 MB) or a 4096×4096 linear weight (64 MB) on every run was the largest cost left
// in those layers; oneDNN does the same (its "reorder weights once").
//
//   Right mode (convolution):  Y[m × n] = W[m × k] · B[k × n] + Y   (W fixed; B, Y row-major)
//   Left mode (linear):        Y[n × m] = X[n × k] · Wᵀ + Y          (W [m × k] fixed; X, Y row-major)
// m is the output-channel (feature) count of this weight slice, k the reduction depth, n the
// pixels or rows of one call (≤ the prepared maximum). Both compute Yᵀ column-major inside, like
// Eigen's own row-major products. Built on Eigen 3.4 internals (gebp_kernel, gemm_pack_lhs/rhs).
// Immutable after prepare; run() may be called from several threads at once, each with its own
// workspace of workspaceFloats() floats.
class PrepackedGemm {
public:
    enum class Mode { Right, Left };

    void prepare(Mode mode, const float* w, int64_t ldw, int64_t m, int64_t k, int64_t maxN);
    int64_t workspaceFloats() const { return m_workspace; }
    // Right: b is B [k × n] with leading dimension ldb. Left: b is X [n × k] with ldb.
    void run(int64_t n, const float* b, int64_t ldb, float* y, int64_t ldy, float* workspace) const;


private:
    Mode m_mode = Mode::Right;
    int64_t m_m = 0, m_k = 0;
    int64_t m_mc = 0, m_kc = 0, m_nc = 0; // Eigen blocking of the transposed problem
    int64_t m_workspace = 0;
    Tensor m_packed;                      // weight panels, block after block, each 64-byte aligned
    std::vector<int64_t> m_blockOffset;   // offset of block (k2, j2) [Right] or (i2, k2) [Left]
};

} // namespace nc::core::kernels::eigen
