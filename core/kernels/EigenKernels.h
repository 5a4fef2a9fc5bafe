// Internal: the stateless CPU kernels behind EigenBackend (pools, norms, elementwise), as free functions.
#pragma once

#include "KernelOp.h"
#include "Tensor.h"
#include "ThreadPool.h"

#include <span>
#include <string>
#include <vector>

namespace nc::core::kernels::eigen {

// Where a kernel may spread its work: the pool and how many of its threads to use.
struct Parallel {
    ThreadPool* pool = nullptr;
    int threads = 1;
};

// Pooling over [N, C, H, W] planes (window, padding, ceil rule and divisor: see OpShapes.h and
// ReferenceBackend). Average divisor: cells inside the padded input when countIncludePad,
// otherwise cells inside the input.
void pool2d(const KernelOp& op, const Shape& in, const Shape& out, const float* x, float* y, const Parallel& par);
void globalAvgPool(int64_t planes, int64_t size, const float* x, float* y, const Parallel& par);
void adaptiveAvgPool(const Shape& in, const Shape& out, const float* x, float* y, const Parallel& par);

// y = scale[c]·x + shift[c] over [N, C, S] (batch norm after folding its statistics).
void channelAffine(const float* x, int64_t n, int64_t c, int64_t s, const float* scale, const float* shift, float* y,
                   const Parallel& par);
// Normalise each of `rows` rows of `len` values: (x − mean)/√(var + eps) with the biased
// variance, then y = gamma[k]·x̂ + beta[k] where for value j of row r
//     k = (r mod rowCycle)·affinePeriod + j / affineLen.
// Layer norm: rowCycle 1, affineLen 1 (k = j). Instance norm over [N·C, S]: rowCycle C,
// affinePeriod 1, affineLen S (k = c). Group norm over [N·G, (C/G)·S]: rowCycle G,
// affinePeriod C/G, affineLen S (k = g·C/G + channel within the group).
struct NormLayout {
    int64_t rows = 1, len = 1;
    int64_t rowCycle = 1;
    int64_t affinePeriod = 1;
    int64_t affineLen = 1;
};
void normalize(const float* x, const NormLayout& layout, float eps, const float* gamma, const float* beta, float* y,
               const Parallel& par);

// Elementwise activation of the listed kinds (ReLU … GELU, Identity).
void activation(OpKind kind, float slope, const float* x, int64_t size, float* y, const Parallel& par);
// Softmax along one axis of [outer, len, inner].
void softmax(const float* x, int64_t outer, int64_t len, int64_t inner, float* y, const Parallel& par);
// Numpy-broadcast Add or Mul.
void binary(OpKind kind, const Tensor& a, const Tensor& b, Tensor& y, const Parallel& par);
// Concatenation along `axis` (already normalised).
void concat(std::span<const Tensor> inputs, int64_t axis, Tensor& y, const Parallel& par);
// Parallel memcpy (Identity, Flatten).
void copy(const float* x, int64_t size, float* y, const Parallel& par);
// Eigen Tensor shuffle and reductions (EigenShape.cpp); false for ranks they do not handle.
bool transpose(const Shape& in, const std::vector<int64_t>& perm, const float* x, float* y);
bool reduce(const Shape& in, std::vector<int64_t> axes, int op, const float* x, float* y);

} // namespace nc::core::kernels::eigen
