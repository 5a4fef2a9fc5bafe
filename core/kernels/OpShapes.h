// Pure functions over (KernelOp, input shapes): validation, output shape, parameters, work counts.
#pragma once

#include "KernelOp.h"
#include "KernelStatus.h"
#include "Tensor.h"

#include <span>
#include <string>
#include <vector>

namespace nc::core::kernels {

// Checks the hyper-parameters against the input shapes and returns the output shape, or an error
// naming the layer and the attribute. Output-size conventions:
//   Conv2d:  out = floor((in + padBefore + padAfter − ((k−1)·d + 1)) / s) + 1
//   Pools:   same, with ceil instead of floor when ceilMode; then (PyTorch rule) the last window
//            must start inside the input or the leading padding: if (out−1)·s ≥ in + padBefore,
//            out −= 1.
//   Adaptive average pool: bin i covers [floor(i·in/out), ceil((i+1)·in/out)).
[[nodiscard]] KernelResult<Shape> inferOutputShape(const KernelOp& op, std::span<const Shape> inputs);

// Shapes of the learned parameters in their canonical (PyTorch) layouts, in this order:
//   Conv2d      weight [O, C/groups, kh, kw], bias [O] (when op.bias)
//   Linear      weight [O, I], bias [O] (when op.bias)
//   BatchNorm   gamma [C], beta [C], running mean [C], running variance [C]
//   LayerNorm   gamma, beta with shape dims[normAxis:]
//   InstanceNorm, GroupNorm   gamma [C], beta [C]
//   Add, Mul    the learned operand [op.operand] (when set)
//   Attention   in-projection weight [3D, D] (rows: Q, K, V), in-projection bias [3D],
//               out-projection weight [D, D], out-projection bias [D]
// Other kinds have none. Assumes inferOutputShape succeeded.
std::vector<Shape> parameterShapes(const KernelOp& op, std::span<const Shape> inputs);

// Deterministic random parameters for the shapes above, so every backend prepared with the same
// seed computes the same function. Weights are uniform in ±1/√fan_in (PyTorch's default
// init scale, keeps activations O(1)); normalisation gammas in [0.5, 1.5), betas and means in
// [−0.5, 0.5), variances in [0.5, 1.5) (strictly positive).
std::vector<Tensor> makeParameters(const KernelOp& op, std::span<const Shape> inputs, uint64_t seed);

// Floating-point operations of one run, a multiply-add counting as 2 (the convention of GFLOP/s
// tables): Conv2d 2·N·O·OH·OW·(C/g)·kh·kw, Linear 2·rows·I·O, Attention the four projections
// plus QKᵀ and PV; elementwise kinds count one operation per output (a few for the transcendental
// ones). Biases and normalisation statistics are ignored, as usual.
double opFlops(const KernelOp& op, std::span<const Shape> inputs, const Shape& output);

// Bytes a run must move at least once: all inputs, the output and the parameters, as float32.
// The denominator of arithmetic intensity on the roofline.
double opBytes(const KernelOp& op, std::span<const Shape> inputs, const Shape& output);

// `layer "conv3": ` (the kind's name when the layer has none): the prefix of every message.
std::string layerLabel(const KernelOp& op);

// Resolves a possibly negative axis against a rank; returns -1 when out of range.
int64_t normaliseAxis(int64_t axis, int64_t rank);

} // namespace nc::core::kernels
