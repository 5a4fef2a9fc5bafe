// The same layers through oneDNN 2.6 primitives, with our kernels where oneDNN lacks the operation.
#pragma once

#include "Backend.h"
#include "EigenBackend.h"
#include "ThreadPool.h"

#include <memory>
#include <string>

namespace nc::core::kernels {

// The "onednn" backend. prepare() creates the primitives (layouts left to oneDNN with
// format_tag::any where it matters: convolution and inner product), reorders the weights once and
// allocates every intermediate buffer; run() sets the user pointers and executes: the reorders of
// src into, and of dst out of, a blocked layout (nChw16c …) are part of run() and so of the timing,
// because the layer's contract is plain NCHW in and out.
//
// Mapping (PreparedOp::note names the primitive implementation chosen, e.g. "jit:avx512_core"):
//   Conv2d convolution_forward (direct); reflect/replicate padding: our pad kernel then a
//   zero-pad convolution. Linear inner_product_forward over [rows, I]. Pools pooling_v2_forward
//   (dilation; ceil mode as extra right padding). GlobalAvgPool, and AdaptiveAvgPool when the
//   sizes divide, as average pooling. BatchNorm batch_normalization (use_global_stats |
//   use_scale | use_shift). InstanceNorm batch_normalization over [1, N·C, S] with computed
//   statistics. GroupNorm the same over [1, N·G, C/G·S] plus a binary multiply with a binary-add
//   post-op for γ, β. LayerNorm layer_normalization over [rows, len]. Activations eltwise
//   (relu, clip_v2, logistic, tanh, swish, hardswish, gelu_erf). Softmax softmax_forward. Add/Mul
//   binary with broadcast of the second source (a learned operand is a constant source). Concat
//   concat. Attention matmuls (QKV with bias,
//   batched QKᵀ with the 1/√dh output scale, batched PV) and softmax. Flatten/Identity reorder.
//   LSTM lstm_forward, GRU lbr_gru_forward (PyTorch's GRU), reading and writing the batch-first
//   tensors as ntc; gate orders and biases mapped once in prepare() (see buildRnn).
// oneDNN layouts (KernelOp::inputLayouts, keepOutputLayout): a convolution reads the layout its
// input arrives in and may leave its output in the one its primitive prefers; pools, BatchNorm,
// eltwise, same-shape binary and concat describe their memory in the input's layout and compute
// there, reordering to plain at the end unless the output may stay.
// Fallback to our Eigen kernels, said in the note (inputs in a oneDNN layout reordered to plain first): AdaptiveAvgPool with non-dividing sizes,
// average pooling whose ceil-mode window overhangs the padding with countIncludePad (oneDNN would
// divide by kh·kw), Add/Mul where both inputs broadcast, and anything oneDNN refuses at creation.
//
// Threads: Debian's libdnnl 2.6 is built with the OpenMP runtime (DNNL_CPU_RUNTIME = OMP,
// linked to libgomp; see runtimeDescription()). oneDNN sizes its work split from
// omp_get_max_threads() both when a primitive is created and when it runs, so prepare() and run()
// both call omp_set_num_threads(threads) on the calling thread (the setting is per thread in
// OpenMP, so this is right even when the runner's worker thread changes).
class OneDnnBackend final : public Backend {
public:
    explicit OneDnnBackend(int threads = 1);
    ~OneDnnBackend() override;

    std::string name() const override { return "onednn"; }
    void setThreadCount(int threads) override;
    int threadCount() const override { return m_threads; }

    // "oneDNN 2.6.3, CPU runtime OpenMP, ISA avx512_core_bf16": for logs and the benchmark header.
    static std::string runtimeDescription();

protected:
    KernelStatus doPrepare(PreparedOp& prepared) override;
    KernelStatus doRun(PreparedOp& prepared, std::span<const Tensor> inputs, Tensor& output) override;

private:
    struct Engine; // dnnl::engine + dnnl::stream, kept out of this header
    std::unique_ptr<Engine> m_engine;
    int m_threads = 1;
    EigenBackend m_fallback;
    ThreadPool m_serial{1}; // runs our pad kernel on the calling thread, between oneDNN primitives
};

} // namespace nc::core::kernels
