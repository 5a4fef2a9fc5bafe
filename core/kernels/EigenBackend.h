// Our own CPU kernels (Eigen GEMM + hand-vectorised loops) behind the Backend interface.
#pragma once

#include "Backend.h"
#include "ThreadPool.h"

#include <memory>

namespace nc::core::kernels {

// The "eigen" backend: our own kernels. Algorithms (PreparedOp::note says which one a layer got):
//   Conv2d    1×1, stride 1, unpadded: GEMM straight on the NCHW input, no im2col.
//             Depthwise (groups == C, any multiplier O/C): direct vectorised kernels, no im2col:
//               multiplier 1 with short (< 32) or strided rows: 16 channels interleaved per vector;
//               stride 1 otherwise: the padded plane convolved as one flat 1-D array;
//               strided with multiplier > 1: row by row over stride-phase planes.
//             Stride 1 otherwise (output rows ≥ 5/6 of the padded rows): implicit im2col, the
//             GEMM reading shifted views of the padded planes. Else, per group: packed im2col
//             of ~1 MiB pixel tiles + GEMM. Convolution and Linear GEMMs run our register-
//             blocked micro-kernel (GemmKernel, Eigen packet API) on weights packed once at
//             prepare (PrepackedGemm). Zero, reflect and replicate padding; stride; dilation.
//   Linear    one row: Eigen GEMV; several rows: GEMM on pre-packed weights.
//   Attention GEMMs for the QKV and output projections and per-head Q·Kᵀ and P·V; softmax on
//             Eigen arrays.
//   the rest  direct loops over Eigen array maps (vectorised exp, tanh, erf, logistic).
// Threads: a ThreadPool of threadCount() threads (the caller's thread included) splits each layer
// over independent outputs (pixel tiles × channel blocks, channel planes, feature slices, heads ×
// query blocks); Eigen itself runs single-threaded (EIGEN_DONT_PARALLELIZE), see ThreadPool.h for
// why. Memory-bound layers (GEMV, large depthwise planes) gain little from a second thread on
// machines whose DRAM bandwidth one core already saturates. Not thread-safe: one thread drives
// the backend and the PreparedOps it made.
class EigenBackend final : public Backend {
public:
    explicit EigenBackend(int threads = 1);
    ~EigenBackend() override;

    std::string name() const override { return "eigen"; }
    void setThreadCount(int threads) override;
    int threadCount() const override { return m_threads; }

protected:
    KernelStatus doPrepare(PreparedOp& prepared) override;
    KernelStatus doRun(PreparedOp& prepared, std::span<const Tensor> inputs, Tensor& output) override;

private:
    int m_threads = 1;
    std::unique_ptr<ThreadPool> m_pool;
};

} // namespace nc::core::kernels
