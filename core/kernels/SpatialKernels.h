// Internal: the spatial ops of issue 9 (ConvNd, ConvTranspose, MaxPoolNd, AvgPoolNd, GlobalMaxPool,
// Resize, Pad) — their output shapes, parameters, and CPU loops shared by the backends.
//
// Every op is seen on three spatial axes (D, H, W): a [N,C,W] input is [N,C,1,1,W], [N,C,H,W] is
// [N,C,1,H,W]; the missing axes have size 1 and a window of 1.
#pragma once

#include "EigenKernels.h"
#include "KernelOp.h"
#include "KernelStatus.h"
#include "Tensor.h"

#include <span>
#include <vector>

namespace nc::core::kernels::spatial {

bool isSpatialOp(OpKind k);

struct Geo3 {
    int64_t n = 1, c = 1, o = 1; // batch, input channels, output channels
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};
    int64_t k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1};
    int64_t pa[3] = {0, 0, 0}, pb[3] = {0, 0, 0}, op[3] = {0, 0, 0};
    static Geo3 from(const KernelOp& op, const Shape& in, const Shape& out);
    int64_t inPlane() const { return in[0] * in[1] * in[2]; }
    int64_t outPlane() const { return out[0] * out[1] * out[2]; }
    int64_t window() const { return k[0] * k[1] * k[2]; }
};

KernelResult<Shape> outputShape(const KernelOp& op, const Shape& x);
std::vector<Shape> parameterShapes(const KernelOp& op, const Shape& x);
double flops(const KernelOp& op, const Shape& x, const Shape& out);

// The 1-D ops as the equivalent 2-D ops on [N,C,1,W] (H window 1), for the 2-D kernels.
KernelOp as2d(const KernelOp& op);
Shape with1(const Shape& s); // [N,C,W] -> [N,C,1,W]

// Naive loops straight from the definitions (the reference backend), double accumulation.
void referenceRun(const KernelOp& op, const Tensor& x, const std::vector<Tensor>& p, Tensor& y);

// Direct loops over planes, parallel across (n, c) planes: the Eigen backend's pools over 3 axes,
// global max pooling, resize and pad (the performance of these is secondary; they are plain loops).
void directRun(const KernelOp& op, const Shape& in, const Shape& out, const float* x, float* y,
               const eigen::Parallel& par);

// The Eigen backend's convolutions: im2col + GEMM (ConvNd over 3 axes) and GEMM + col2im
// (ConvTranspose), per sample and group.
void eigenConv3d(const Geo3& g, int64_t groups, PadMode mode, const float* w, const float* bias, const float* x,
                 float* y, const eigen::Parallel& par);
void eigenConvTranspose(const Geo3& g, int64_t groups, const float* w, const float* bias, const float* x, float* y,
                        const eigen::Parallel& par);

} // namespace nc::core::kernels::spatial
