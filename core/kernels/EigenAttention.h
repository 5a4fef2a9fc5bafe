// Internal: the prepared Eigen-backend multi-head self-attention.
#pragma once

#include "EigenKernels.h"
#include "EigenLinear.h"

#include <vector>

namespace nc::core::kernels::eigen {

// Multi-head self-attention over x [N, T, D]; parameters as in parameterShapes.
class EigenAttention {
public:
    void prepare(int64_t n, int64_t t, int64_t d, int64_t heads, const std::vector<Tensor>& params, int threads);
    void run(const float* x, float* y, const Parallel& par);

private:
    int64_t m_n = 0, m_t = 0, m_d = 0, m_heads = 1;
    EigenLinear m_inProj, m_outProj;
    Tensor m_qkv;                 // [T, 3D]
    Tensor m_context;             // [T, D]
    std::vector<Tensor> m_scores; // per thread [rows, T]
    std::vector<Tensor> m_panels; // per thread: the packed operands of one block of either product
};

} // namespace nc::core::kernels::eigen
