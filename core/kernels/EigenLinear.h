// Internal: the prepared Eigen-backend linear layer (GEMV for one row, pre-packed GEMM otherwise).
#pragma once

#include "EigenKernels.h"
#include "PrepackedGemm.h"

#include <vector>

namespace nc::core::kernels::eigen {

// Linear over the last axis: y[r, :] = W x[r, :] + b with W [O, I] row-major (PyTorch layout).
// One row: Eigen GEMV on W as given (W streams once, contiguously; packing would only add a pass).
// Several rows: Y = X·Wᵀ on weights pre-packed at prepare (PrepackedGemm, left mode). Threads
// split the output features: each owns a disjoint slice of the weights.
class EigenLinear {
public:
    void prepare(int64_t rows, int64_t in, int64_t out, const float* weight, const float* bias, int threads);
    void run(const float* x, float* y, const Parallel& par);

private:
    int64_t m_rows = 0, m_in = 0, m_out = 0;
    std::vector<float> m_weight; // [O, I] for GEMV (several rows use the packed slices)
    std::vector<float> m_bias;   // zeros when the layer has none
    std::vector<PrepackedGemm> m_slices; // several rows: one weight slice per thread
    std::vector<int64_t> m_sliceStart;   // first output feature of each slice (+ end)
    std::vector<Tensor> m_work;          // one per thread
};

} // namespace nc::core::kernels::eigen
