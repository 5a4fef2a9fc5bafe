// Internal: the sequence ops of issue 9 (Embedding, RMSNorm, MatMul of two activations, LSTM, GRU) —
// their output shapes, parameters, work counts, and two implementations each: naive loops with double
// accumulation (the reference backend) and Eigen GEMMs (the Eigen backend, and oneDNN's fallback for
// Embedding and RMSNorm, which oneDNN 2.6 has no primitive for; LSTM and GRU run its RNN primitives).
// Layouts are PyTorch's, batch first.
#pragma once

#include "EigenKernels.h"
#include "KernelOp.h"
#include "KernelStatus.h"
#include "Tensor.h"

#include <span>
#include <vector>

namespace nc::core::kernels::sequence {

bool isSequenceOp(OpKind k);

// Embedding  [N, T] token ids → [N, T, D]
// RMSNorm    [..., D] → same
// MatMul     [..., M, K] · [..., K, N] → [..., M, N], leading axes broadcast (numpy)
// LSTM, GRU  [N, T, I] → [N, T, H·directions]
KernelResult<Shape> outputShape(const KernelOp& op, std::span<const Shape> inputs);

// Embedding  token table [V, D], then position table [P, D] and segment table [S, D] when present
// RMSNorm    γ [D] (when op.affine)
// LSTM, GRU  per layer, then per direction (forward, reverse): weight_ih [G·H, I_l],
//            weight_hh [G·H, H], bias_ih [G·H], bias_hh [G·H] (biases when op.bias) — PyTorch's
//            order and gate order (LSTM i, f, g, o; GRU r, z, n). I_l = I for layer 0, H·dirs above.
std::vector<Shape> parameterShapes(const KernelOp& op, const Shape& x);

// A multiply-add counts 2: MatMul 2·out·K; LSTM/GRU 2·N·T·G·H·(I_l + H) per layer and direction;
// RMSNorm 4 per element; Embedding one add per element per extra table.
double flops(const KernelOp& op, std::span<const Shape> inputs, const Shape& out);

// Token id a float input stands for: rounded, then wrapped into [0, vocab). Real ids (the ONNX
// conformance data, an imported model) pass unchanged; the runner's random inputs still index rows
// of the table instead of failing the run.
int64_t tokenId(float v, int64_t vocab);

// `states`: LSTM/GRU final states (PreparedOp::states(): h_n, then c_n), written when not empty.
void referenceRun(const KernelOp& op, std::span<const Tensor> inputs, const std::vector<Tensor>& p, Tensor& y,
                  std::span<Tensor> states = {});
void eigenRun(const KernelOp& op, std::span<const Tensor> inputs, const std::vector<Tensor>& p, Tensor& y,
              const eigen::Parallel& par, std::span<Tensor> states = {});

} // namespace nc::core::kernels::sequence
