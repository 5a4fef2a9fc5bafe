// Our own CPU kernels (Eigen GEMM + hand-vectorised loops) behind the Backend interface.
#include "EigenBackend.h"

#include "EigenAttention.h"
#include "EigenConv.h"
#include "EigenKernels.h"
#include "EigenLinear.h"
#include "OpShapes.h"
#include "SequenceKernels.h"
#include "SpatialKernels.h"

#include <algorithm>
#include <cmath>

namespace nc::core::kernels {

namespace {

struct EigenState final : BackendState {
    eigen::EigenConv conv;
    std::vector<float> scale, shift; // batch norm folded to y = scale·x + shift
    eigen::NormLayout norm;
    eigen::EigenLinear linear;
    eigen::EigenAttention attention;
    int64_t outer = 1, len = 1, inner = 1; // softmax view
    int64_t axis = 0;                      // concat
};

// [outer, len, inner] view of `shape` around `axis`.
void splitAround(const Shape& shape, int64_t axis, int64_t& outer, int64_t& len, int64_t& inner)
{
    outer = len = inner = 1;
    for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
        const int64_t d = shape[static_cast<std::size_t>(i)];
        if (i < axis)
            outer *= d;
        else if (i == axis)
            len = d;
        else
            inner *= d;
    }
}

} // namespace

EigenBackend::EigenBackend(int threads)
{
    setThreadCount(threads);
}

EigenBackend::~EigenBackend() = default;

void EigenBackend::setThreadCount(int threads)
{
    m_threads = std::max(threads, 1);
    // The pool only grows: layers prepared for more threads than now must still find them.
    if (!m_pool || m_pool->threadCount() < m_threads)
        m_pool = std::make_unique<ThreadPool>(m_threads);
}

KernelStatus EigenBackend::doPrepare(PreparedOp& prepared)
{
    auto state = std::make_unique<EigenState>();
    const KernelOp& op = prepared.op();
    const Shape& in = prepared.inputShapes()[0];
    const Shape& out = prepared.outputShape();
    const auto& params = prepared.parameters();
    const int threads = prepared.threadCount();
    std::string note;

    switch (op.kind) {
    case OpKind::Conv2d: {
        state->conv.prepare(eigen::ConvGeometry::from(op, in, out), params[0], op.bias ? &params[1] : nullptr, threads);
        note = state->conv.describe();
        break;
    }
    case OpKind::BatchNorm: {
        // y = γ(x − μ)/√(σ² + ε) + β = a·x + b with a = γ/√(σ² + ε), b = β − μ·a.
        const int64_t c = in[1];
        state->scale.resize(static_cast<std::size_t>(c));
        state->shift.resize(static_cast<std::size_t>(c));
        for (int64_t i = 0; i < c; ++i) {
            const float a = params[0][i] / std::sqrt(params[3][i] + op.eps);
            state->scale[static_cast<std::size_t>(i)] = a;
            state->shift[static_cast<std::size_t>(i)] = params[1][i] - params[2][i] * a;
        }
        note = "folded per-channel affine";
        break;
    }
    case OpKind::LayerNorm: {
        const int64_t axis = normaliseAxis(op.normAxis, static_cast<int64_t>(in.size()));
        int64_t len = 1;
        for (std::size_t i = static_cast<std::size_t>(axis); i < in.size(); ++i)
            len *= in[i];
        state->norm = {shapeElements(in) / len, len, 1, len, 1};
        note = "two-pass row statistics";
        break;
    }
    case OpKind::InstanceNorm: {
        const int64_t s = shapeElements(in) / (in[0] * in[1]);
        state->norm = {in[0] * in[1], s, in[1], 1, s};
        note = "two-pass plane statistics";
        break;
    }
    case OpKind::GroupNorm: {
        const int64_t s = shapeElements(in) / (in[0] * in[1]);
        const int64_t cpg = in[1] / op.numGroups;
        state->norm = {in[0] * op.numGroups, cpg * s, op.numGroups, cpg, s};
        note = "two-pass group statistics";
        break;
    }
    case OpKind::Softmax:
        splitAround(in, normaliseAxis(op.softmaxAxis, static_cast<int64_t>(in.size())), state->outer, state->len,
                    state->inner);
        break;
    case OpKind::Concat:
        state->axis = normaliseAxis(op.axis, static_cast<int64_t>(in.size()));
        break;
    case OpKind::Attention:
        state->attention.prepare(in[0], in[1], in[2], op.heads, params, threads);
        note = "fused QKV GEMM, per-head GEMMs over 64-row query blocks";
        break;
    case OpKind::Transpose:
        note = "Eigen Tensor shuffle (single thread)";
        break;
    case OpKind::Reduce:
        note = "Eigen Tensor reduction (single thread)";
        break;
    case OpKind::Linear: {
        const int64_t rows = shapeElements(in) / in.back();
        state->linear.prepare(rows, in.back(), op.outChannels, params[0].data(), op.bias ? params[1].data() : nullptr,
                              threads);
        note = rows == 1 ? "Eigen GEMV" : "packed GEMM on weights pre-packed into the micro-kernel's panels";
        break;
    }
    case OpKind::ConvNd:
        // 1-D: our 2-D convolution on [N, C, 1, W]; 3-D: im2col + GEMM per sample and group.
        if (in.size() == 3) {
            state->conv.prepare(eigen::ConvGeometry::from(spatial::as2d(op), spatial::with1(in), spatial::with1(out)),
                                params[0], op.bias ? &params[1] : nullptr, threads);
            note = state->conv.describe() + " (1-D as 1×W)";
        } else {
            note = "im2col + Eigen GEMM over D×H×W";
        }
        break;
    case OpKind::ConvTranspose:
        note = "Eigen GEMM (Wᵀ·X) + col2im scatter";
        break;
    case OpKind::Embedding:
        note = "row gather";
        break;
    case OpKind::RMSNorm:
        note = "row statistics";
        break;
    case OpKind::MatMul:
        note = "Eigen GEMM per broadcast batch matrix";
        break;
    case OpKind::LSTM:
    case OpKind::GRU:
        note = "input projections as one Eigen GEMM, a recurrent GEMM per step";
        break;
    case OpKind::ScaledDotProduct:
        note = "Eigen GEMMs per (sample, head)";
        break;
    case OpKind::MaxPoolNd:
    case OpKind::AvgPoolNd:
        note = in.size() == 3 ? "2-D pooling kernel on [N, C, 1, W]" : "direct loop over D×H×W windows";
        break;
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::GlobalAvgPool:
    case OpKind::AdaptiveAvgPool:
    case OpKind::ReLU:
    case OpKind::ReLU6:
    case OpKind::LeakyReLU:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::SiLU:
    case OpKind::HardSwish:
    case OpKind::GELU:
    case OpKind::GeluTanh:
    case OpKind::HardSigmoid:
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Flatten:
    case OpKind::Identity:
    case OpKind::GlobalMaxPool:
    case OpKind::Resize:
    case OpKind::Pad:
        break;
    }
    prepared.appendNote("eigen: " + (note.empty() ? std::string("direct loop") : note) + ", " +
                        std::to_string(threads) + " thread(s)");
    prepared.setState(std::move(state));
    return KernelStatus::success();
}

KernelStatus EigenBackend::doRun(PreparedOp& prepared, std::span<const Tensor> inputs, Tensor& output)
{
    auto* state = static_cast<EigenState*>(prepared.state());
    const KernelOp& op = prepared.op();
    const Shape& in = prepared.inputShapes()[0];
    const auto& params = prepared.parameters();
    const eigen::Parallel par{m_pool.get(), prepared.threadCount()};
    const float* x = inputs[0].data();
    float* y = output.data();

    switch (op.kind) {
    case OpKind::Conv2d:
        state->conv.run(x, y, par);
        break;
    case OpKind::Linear:
        state->linear.run(x, y, par);
        break;
    case OpKind::MaxPool:
    case OpKind::AvgPool:
        eigen::pool2d(op, in, output.shape(), x, y, par);
        break;
    case OpKind::GlobalAvgPool:
        eigen::globalAvgPool(in[0] * in[1], shapeElements(in) / (in[0] * in[1]), x, y, par);
        break;
    case OpKind::AdaptiveAvgPool:
        eigen::adaptiveAvgPool(in, output.shape(), x, y, par);
        break;
    case OpKind::BatchNorm:
        eigen::channelAffine(x, in[0], in[1], shapeElements(in) / (in[0] * in[1]), state->scale.data(),
                             state->shift.data(), y, par);
        break;
    case OpKind::LayerNorm:
    case OpKind::InstanceNorm:
    case OpKind::GroupNorm:
        eigen::normalize(x, state->norm, op.eps, params[0].data(), params[1].data(), y, par);
        break;
    case OpKind::Softmax:
        eigen::softmax(x, state->outer, state->len, state->inner, y, par);
        break;
    case OpKind::Add:
    case OpKind::Mul:
        eigen::binary(op.kind, inputs[0], op.operand.empty() ? inputs[1] : params[0], output, par);
        break;
    case OpKind::Concat:
        eigen::concat(inputs, state->axis, output, par);
        break;
    case OpKind::Attention:
        state->attention.run(x, y, par);
        break;
    case OpKind::Flatten:
    case OpKind::Identity:
        eigen::copy(x, inputs[0].size(), y, par);
        break;
    case OpKind::ConvNd:
        if (in.size() == 3)
            state->conv.run(x, y, par);
        else
            spatial::eigenConv3d(spatial::Geo3::from(op, in, output.shape()), op.groups, op.padMode, params[0].data(),
                                 op.bias ? params[1].data() : nullptr, x, y, par);
        break;
    case OpKind::ConvTranspose:
        spatial::eigenConvTranspose(spatial::Geo3::from(op, in, output.shape()), op.groups, params[0].data(),
                                    op.bias ? params[1].data() : nullptr, x, y, par);
        break;
    case OpKind::MaxPoolNd:
    case OpKind::AvgPoolNd:
        if (in.size() == 3)
            eigen::pool2d(spatial::as2d(op), spatial::with1(in), spatial::with1(output.shape()), x, y, par);
        else
            spatial::directRun(op, in, output.shape(), x, y, par);
        break;
    case OpKind::GlobalMaxPool:
    case OpKind::Resize:
    case OpKind::Pad:
        spatial::directRun(op, in, output.shape(), x, y, par);
        break;
    case OpKind::Embedding:
    case OpKind::RMSNorm:
    case OpKind::MatMul:
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::ScaledDotProduct:
        sequence::eigenRun(op, inputs, params, output, par, prepared.states());
        break;
    case OpKind::Transpose:
        if (!eigen::transpose(in, op.perm, x, y))
            return KernelStatus::failure(op.name + ": transpose of rank " + std::to_string(in.size()) + " is not supported");
        break;
    case OpKind::Reduce:
        if (!eigen::reduce(in, op.axes, op.reduceOp, x, y))
            return KernelStatus::failure(op.name + ": this reduction is not supported");
        break;
    case OpKind::ReLU:
    case OpKind::ReLU6:
    case OpKind::LeakyReLU:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::SiLU:
    case OpKind::HardSwish:
    case OpKind::GELU:
    case OpKind::GeluTanh:
    case OpKind::HardSigmoid:
        eigen::activation(op.kind, op.slope, x, inputs[0].size(), y, par);
        break;
    }
    // A fused activation (Conv2d, Linear): one more pass over the output while it is still in cache;
    // our GEMM has no epilogue hook to apply it per tile.
    if (op.activation != OpKind::Identity)
        eigen::activation(op.activation, op.slope, y, output.size(), y, par);
    return KernelStatus::success();
}

} // namespace nc::core::kernels
