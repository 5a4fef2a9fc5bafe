// Validation, output shapes, parameters and work counts of KernelOp layers.
#include "OpShapes.h"

#include "SequenceKernels.h"
#include "SpatialKernels.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace nc::core::kernels {

namespace {

KernelStatus fail(const KernelOp& op, const std::string& what)
{
    return KernelStatus::failure(layerLabel(op) + what);
}

KernelStatus needRank(const KernelOp& op, const Shape& s, int rank, const char* layout)
{
    if (static_cast<int>(s.size()) != rank)
        return fail(op, "expects a rank-" + std::to_string(rank) + " " + layout + " input, got " +
                            shapeToString(s));
    return KernelStatus::success();
}

// One spatial axis of a sliding window: out = floor/ceil((in + p0 + p1 − eff) / s) + 1.
KernelResult<int64_t> windowOutput(const KernelOp& op, const char* axis, int64_t in, int64_t k, int64_t s,
                                   int64_t d, int64_t p0, int64_t p1, bool ceilMode)
{
    if (k < 1)
        return fail(op, std::string("kernel must be at least 1 on axis ") + axis);
    if (s < 1)
        return fail(op, std::string("stride must be at least 1 on axis ") + axis);
    if (d < 1)
        return fail(op, std::string("dilation must be at least 1 on axis ") + axis);
    if (p0 < 0 || p1 < 0)
        return fail(op, std::string("padding must not be negative on axis ") + axis);
    const int64_t eff = (k - 1) * d + 1;
    const int64_t padded = in + p0 + p1;
    if (eff > padded)
        return fail(op, "kernel " + std::to_string(eff) + " exceeds padded input " + std::to_string(padded) +
                            " on axis " + axis);
    const int64_t span = padded - eff;
    int64_t out = (ceilMode ? (span + s - 1) / s : span / s) + 1;
    if (ceilMode && (out - 1) * s >= in + p0)
        --out;
    return out;
}

KernelStatus checkSameRankChannels(const KernelOp& op, const Shape& s, int minRank)
{
    if (static_cast<int>(s.size()) < minRank)
        return fail(op, "expects an input of rank at least " + std::to_string(minRank) + ", got " +
                            shapeToString(s));
    return KernelStatus::success();
}

// Numpy broadcasting: align from the right; each pair of dims must be equal or contain a 1.
KernelResult<Shape> broadcastShapes(const KernelOp& op, const Shape& a, const Shape& b)
{
    const std::size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (std::size_t i = 0; i < rank; ++i) {
        const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (da != db && da != 1 && db != 1)
            return fail(op, "cannot broadcast " + shapeToString(a) + " with " + shapeToString(b) + " on axis " +
                                std::to_string(i));
        out[i] = da == 1 ? db : da;
    }
    return out;
}

bool isElementwise(OpKind k)
{
    switch (k) {
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
    case OpKind::Identity:
        return true;
    case OpKind::Conv2d:
    case OpKind::ConvNd:
    case OpKind::ConvTranspose:
    case OpKind::MaxPoolNd:
    case OpKind::AvgPoolNd:
    case OpKind::GlobalMaxPool:
    case OpKind::Resize:
    case OpKind::Pad:
    case OpKind::Embedding:
    case OpKind::RMSNorm:
    case OpKind::MatMul:
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::ScaledDotProduct:
    case OpKind::Linear:
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::GlobalAvgPool:
    case OpKind::AdaptiveAvgPool:
    case OpKind::BatchNorm:
    case OpKind::LayerNorm:
    case OpKind::InstanceNorm:
    case OpKind::GroupNorm:
    case OpKind::Softmax:
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Concat:
    case OpKind::Attention:
    case OpKind::Flatten:
    case OpKind::Transpose:
    case OpKind::Reduce:
        return false;
    }
    return false; // a value outside OpKind; every kind is listed above
}

} // namespace

std::string layerLabel(const KernelOp& op)
{
    return "layer \"" + (op.name.empty() ? std::string(opKindName(op.kind)) : op.name) + "\": ";
}

int64_t normaliseAxis(int64_t axis, int64_t rank)
{
    const int64_t a = axis < 0 ? axis + rank : axis;
    return (a < 0 || a >= rank) ? -1 : a;
}

KernelResult<Shape> inferOutputShape(const KernelOp& op, std::span<const Shape> inputs)
{
    const bool variadic = op.kind == OpKind::Concat;
    const bool binary = op.kind == OpKind::Add || op.kind == OpKind::Mul;
    // Add, Mul with a learned operand join one input with it.
    const std::size_t wanted = ((binary && op.operand.empty()) || op.kind == OpKind::MatMul) ? 2
                               : op.kind == OpKind::ScaledDotProduct                      ? 3
                                                                                          : 1;
    if (!op.operand.empty() && !binary)
        return fail(op, "only Add and Mul take a learned operand");
    for (int64_t d : op.operand)
        if (d < 1)
            return fail(op, "the learned operand's shape " + shapeToString(op.operand) + " has a size below 1");
    if (variadic ? inputs.empty() : inputs.size() != wanted)
        return fail(op, "expects " + std::to_string(wanted) + " input(s), got " + std::to_string(inputs.size()));
    for (const Shape& s : inputs) {
        for (int64_t d : s) {
            if (d < 1)
                return fail(op, "input shape " + shapeToString(s) + " has a dimension below 1");
        }
    }
    const Shape& x = inputs[0];

    switch (op.kind) {
    case OpKind::Conv2d: {
        if (auto st = needRank(op, x, 4, "NCHW"); !st)
            return st;
        const int64_t c = x[1];
        if (op.groups < 1 || c % op.groups != 0)
            return fail(op, "groups " + std::to_string(op.groups) + " must divide input channels " +
                                std::to_string(c));
        if (op.outChannels < 1 || op.outChannels % op.groups != 0)
            return fail(op, "output channels " + std::to_string(op.outChannels) + " must be a positive multiple of groups " +
                                std::to_string(op.groups));
        if (op.padMode == PadMode::Reflect &&
            (op.padTop >= x[2] || op.padBottom >= x[2] || op.padLeft >= x[3] || op.padRight >= x[3]))
            return fail(op, "reflect padding must be smaller than the input on every axis");
        auto oh = windowOutput(op, "H", x[2], op.kh, op.sh, op.dh, op.padTop, op.padBottom, false);
        if (!oh)
            return oh.status();
        auto ow = windowOutput(op, "W", x[3], op.kw, op.sw, op.dw, op.padLeft, op.padRight, false);
        if (!ow)
            return ow.status();
        return Shape{x[0], op.outChannels, oh.value(), ow.value()};
    }
    case OpKind::Linear:
        if (op.outChannels < 1)
            return fail(op, "output features must be at least 1");
        {
            Shape out = x;
            out.back() = op.outChannels;
            return out;
        }
    case OpKind::MaxPool:
    case OpKind::AvgPool: {
        if (auto st = needRank(op, x, 4, "NCHW"); !st)
            return st;
        auto oh = windowOutput(op, "H", x[2], op.kh, op.sh, op.dh, op.padTop, op.padBottom, op.ceilMode);
        if (!oh)
            return oh.status();
        auto ow = windowOutput(op, "W", x[3], op.kw, op.sw, op.dw, op.padLeft, op.padRight, op.ceilMode);
        if (!ow)
            return ow.status();
        return Shape{x[0], x[1], oh.value(), ow.value()};
    }
    case OpKind::GlobalAvgPool: {
        if (auto st = checkSameRankChannels(op, x, 3); !st)
            return st;
        Shape out = x;
        std::fill(out.begin() + 2, out.end(), 1);
        return out;
    }
    case OpKind::AdaptiveAvgPool:
        if (auto st = needRank(op, x, 4, "NCHW"); !st)
            return st;
        if (op.outH < 1 || op.outW < 1)
            return fail(op, "adaptive output size must be at least 1x1");
        return Shape{x[0], x[1], op.outH, op.outW};
    case OpKind::BatchNorm:
        if (auto st = checkSameRankChannels(op, x, 2); !st)
            return st;
        if (op.eps < 0.0f)
            return fail(op, "eps must not be negative");
        return x;
    case OpKind::InstanceNorm:
        if (auto st = checkSameRankChannels(op, x, 3); !st)
            return st;
        if (op.eps < 0.0f)
            return fail(op, "eps must not be negative");
        return x;
    case OpKind::GroupNorm:
        if (auto st = checkSameRankChannels(op, x, 2); !st)
            return st;
        if (op.numGroups < 1 || x[1] % op.numGroups != 0)
            return fail(op, "groups " + std::to_string(op.numGroups) + " must divide channels " + std::to_string(x[1]));
        if (op.eps < 0.0f)
            return fail(op, "eps must not be negative");
        return x;
    case OpKind::LayerNorm:
        if (normaliseAxis(op.normAxis, static_cast<int64_t>(x.size())) < 0)
            return fail(op, "normalisation axis " + std::to_string(op.normAxis) + " is out of range for " +
                                shapeToString(x));
        if (op.eps < 0.0f)
            return fail(op, "eps must not be negative");
        return x;
    case OpKind::Softmax:
        if (normaliseAxis(op.softmaxAxis, static_cast<int64_t>(x.size())) < 0)
            return fail(op, "softmax axis " + std::to_string(op.softmaxAxis) + " is out of range for " +
                                shapeToString(x));
        return x;
    case OpKind::Add:
    case OpKind::Mul:
        return broadcastShapes(op, inputs[0], op.operand.empty() ? inputs[1] : Shape(op.operand));
    case OpKind::Concat: {
        const int64_t axis = normaliseAxis(op.axis, static_cast<int64_t>(x.size()));
        if (axis < 0)
            return fail(op, "concat axis " + std::to_string(op.axis) + " is out of range for " + shapeToString(x));
        Shape out = x;
        for (std::size_t i = 1; i < inputs.size(); ++i) {
            const Shape& s = inputs[i];
            if (s.size() != x.size())
                return fail(op, "input " + std::to_string(i) + " has rank " + std::to_string(s.size()) + ", expected " +
                                    std::to_string(x.size()));
            for (std::size_t d = 0; d < s.size(); ++d) {
                if (static_cast<int64_t>(d) != axis && s[d] != x[d])
                    return fail(op, "input " + std::to_string(i) + " " + shapeToString(s) + " differs from " +
                                        shapeToString(x) + " on axis " + std::to_string(d));
            }
            out[static_cast<std::size_t>(axis)] += s[static_cast<std::size_t>(axis)];
        }
        return out;
    }
    case OpKind::Attention:
        if (auto st = needRank(op, x, 3, "N×T×D"); !st)
            return st;
        if (op.heads < 1 || x[2] % op.heads != 0)
            return fail(op, "heads " + std::to_string(op.heads) + " must divide model dimension " + std::to_string(x[2]));
        return x;
    case OpKind::Flatten: {
        // Flatten accepts axis == rank (everything before): [prod(all), 1].
        const int64_t rank = static_cast<int64_t>(x.size());
        const int64_t axis = op.axis < 0 ? op.axis + rank : op.axis;
        if (axis < 0 || axis > rank)
            return fail(op, "flatten axis " + std::to_string(op.axis) + " is out of range for " + shapeToString(x));
        int64_t before = 1, after = 1;
        for (int64_t d = 0; d < rank; ++d)
            (d < axis ? before : after) *= x[static_cast<std::size_t>(d)];
        return Shape{before, after};
    }
    case OpKind::Transpose: {
        if (op.perm.size() != x.size())
            return fail(op, "permutation has " + std::to_string(op.perm.size()) + " axes but the input " +
                                shapeToString(x) + " has " + std::to_string(x.size()));
        std::vector<char> seen(x.size(), 0);
        Shape out;
        for (int64_t a : op.perm) {
            if (a < 0 || a >= static_cast<int64_t>(x.size()) || seen[static_cast<std::size_t>(a)]++)
                return fail(op, "permutation must list each axis once");
            out.push_back(x[static_cast<std::size_t>(a)]);
        }
        return out;
    }
    case OpKind::Reduce: {
        if (op.axes.empty())
            return fail(op, "no axis to reduce");
        Shape kept = x;
        for (int64_t a : op.axes) {
            if (a < 1 || a >= static_cast<int64_t>(x.size()))
                return fail(op, "reduced axis " + std::to_string(a) + " is not a per-sample axis of " + shapeToString(x));
            kept[static_cast<std::size_t>(a)] = 0;
        }
        Shape out;
        for (int64_t d : kept)
            if (d != 0 || op.keepDims)
                out.push_back(d == 0 ? 1 : d);
        if (out.size() == 1) // the batch alone: keep one element per sample, as the analysis does
            out.push_back(1);
        return out;
    }
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
    case OpKind::Identity:
    case OpKind::ConvNd:
    case OpKind::ConvTranspose:
    case OpKind::MaxPoolNd:
    case OpKind::AvgPoolNd:
    case OpKind::GlobalMaxPool:
    case OpKind::Resize:
    case OpKind::Pad:
    case OpKind::Embedding:
    case OpKind::RMSNorm:
    case OpKind::MatMul:
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::ScaledDotProduct:
        if (isElementwise(op.kind))
            return x;
        if (spatial::isSpatialOp(op.kind))
            return spatial::outputShape(op, x);
        if (sequence::isSequenceOp(op.kind))
            return sequence::outputShape(op, inputs);
        return fail(op, "unknown layer kind " + std::to_string(static_cast<int>(op.kind)));
    }
    return fail(op, "unknown layer kind " + std::to_string(static_cast<int>(op.kind)));
}

std::vector<Shape> parameterShapes(const KernelOp& op, std::span<const Shape> inputs)
{
    const Shape& x = inputs[0];
    switch (op.kind) {
    case OpKind::Conv2d: {
        std::vector<Shape> p{{op.outChannels, x[1] / op.groups, op.kh, op.kw}};
        if (op.bias)
            p.push_back({op.outChannels});
        return p;
    }
    case OpKind::Linear: {
        std::vector<Shape> p{{op.outChannels, x.back()}};
        if (op.bias)
            p.push_back({op.outChannels});
        return p;
    }
    case OpKind::BatchNorm:
        return {{x[1]}, {x[1]}, {x[1]}, {x[1]}};
    case OpKind::InstanceNorm:
    case OpKind::GroupNorm:
        return {{x[1]}, {x[1]}};
    case OpKind::LayerNorm: {
        const auto axis = static_cast<std::size_t>(normaliseAxis(op.normAxis, static_cast<int64_t>(x.size())));
        Shape tail(x.begin() + static_cast<std::ptrdiff_t>(axis), x.end());
        return {tail, tail};
    }
    case OpKind::Attention: {
        const int64_t d = x[2];
        return {{3 * d, d}, {3 * d}, {d, d}, {d}};
    }
    case OpKind::ConvNd:
    case OpKind::ConvTranspose:
        return spatial::parameterShapes(op, x);
    case OpKind::Embedding:
    case OpKind::RMSNorm:
    case OpKind::MatMul:
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::ScaledDotProduct:
        return sequence::parameterShapes(op, x);
    case OpKind::Add:
    case OpKind::Mul:
        if (!op.operand.empty())
            return {Shape(op.operand)};
        return {};
    case OpKind::MaxPool:
    case OpKind::MaxPoolNd:
    case OpKind::AvgPoolNd:
    case OpKind::GlobalMaxPool:
    case OpKind::Resize:
    case OpKind::Pad:
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
    case OpKind::Softmax:
    case OpKind::Concat:
    case OpKind::Flatten:
    case OpKind::Identity:
    case OpKind::Transpose:
    case OpKind::Reduce:
        return {};
    }
    return {}; // a value outside OpKind; every kind is listed above
}

std::vector<Tensor> makeParameters(const KernelOp& op, std::span<const Shape> inputs, uint64_t seed)
{
    std::vector<Shape> shapes = parameterShapes(op, inputs);
    std::vector<Tensor> params;
    params.reserve(shapes.size());
    // Each parameter tensor gets its own stream so adding the bias does not change the weights.
    auto stream = [&](std::size_t i) { return seed * 0x100000001b3ULL + 0x9e37ULL * (i + 1); };
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        float lo = -1.0f, hi = 1.0f;
        const Shape& s = shapes[i];
        switch (op.kind) {
        case OpKind::Conv2d:
        case OpKind::ConvNd:
        case OpKind::ConvTranspose:
        case OpKind::Linear:
        case OpKind::Attention: {
            // fan_in: every dim of a weight but the first; a bias uses its weight's fan_in.
            const Shape& w = (op.kind == OpKind::Attention) ? shapes[i < 2 ? 0 : 2] : shapes[0];
            const double fanIn = static_cast<double>(shapeElements(w) / w[0]);
            hi = static_cast<float>(1.0 / std::sqrt(fanIn));
            lo = -hi;
            break;
        }
        case OpKind::BatchNorm:
            if (i == 0 || i == 3) { // gamma, variance
                lo = 0.5f;
                hi = 1.5f;
            } else {
                lo = -0.5f;
                hi = 0.5f;
            }
            break;
        case OpKind::LSTM:
        case OpKind::GRU: {
            // PyTorch's RNN init: every weight and bias uniform in ±1/√H.
            hi = static_cast<float>(1.0 / std::sqrt(static_cast<double>(op.outChannels)));
            lo = -hi;
            break;
        }
        case OpKind::RMSNorm:
        case OpKind::LayerNorm:
        case OpKind::InstanceNorm:
        case OpKind::GroupNorm:
            if (i == 0) {
                lo = 0.5f;
                hi = 1.5f;
            } else {
                lo = -0.5f;
                hi = 0.5f;
            }
            break;
        case OpKind::MaxPool:
        case OpKind::MaxPoolNd:
        case OpKind::AvgPoolNd:
        case OpKind::GlobalMaxPool:
        case OpKind::Resize:
        case OpKind::Pad:
        case OpKind::Embedding: // N(0, 1) in PyTorch; ±1 keeps the same scale
        case OpKind::MatMul:
        case OpKind::ScaledDotProduct:
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
        case OpKind::Softmax:
        case OpKind::Add:
        case OpKind::Mul:
        case OpKind::Concat:
        case OpKind::Flatten:
        case OpKind::Identity:
        case OpKind::Transpose:
        case OpKind::Reduce:
            break;
        }
        params.push_back(Tensor::random(s, stream(i), lo, hi));
    }
    return params;
}

double opFlops(const KernelOp& op, std::span<const Shape> inputs, const Shape& output)
{
    const Shape& x = inputs[0];
    const double outElems = static_cast<double>(shapeElements(output));
    switch (op.kind) {
    case OpKind::Conv2d:
        return 2.0 * outElems * static_cast<double>(x[1] / op.groups * op.kh * op.kw);
    case OpKind::Linear:
        return 2.0 * outElems * static_cast<double>(x.back());
    case OpKind::Attention: {
        const double n = static_cast<double>(x[0]), t = static_cast<double>(x[1]), d = static_cast<double>(x[2]);
        // QKV projection 2·T·D·3D, scores 2·T·T·D, weighted sum 2·T·T·D, output projection 2·T·D·D.
        return n * (2.0 * t * d * 3.0 * d + 4.0 * t * t * d + 2.0 * t * d * d);
    }
    case OpKind::MaxPool:
    case OpKind::AvgPool:
        return outElems * static_cast<double>(op.kh * op.kw);
    case OpKind::GlobalAvgPool:
    case OpKind::AdaptiveAvgPool:
    case OpKind::Reduce:
        return static_cast<double>(shapeElements(x));
    case OpKind::BatchNorm:
        return 2.0 * outElems; // folded to y = a·x + b
    case OpKind::LayerNorm:
    case OpKind::InstanceNorm:
    case OpKind::GroupNorm:
        return 8.0 * outElems; // mean, variance, normalise, affine
    case OpKind::Softmax:
        return 4.0 * outElems;
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::SiLU:
    case OpKind::GELU:
    case OpKind::GeluTanh:
        return 4.0 * outElems;
    case OpKind::ReLU:
    case OpKind::ReLU6:
    case OpKind::LeakyReLU:
    case OpKind::HardSwish:
    case OpKind::HardSigmoid:
    case OpKind::Add:
    case OpKind::Mul:
        return outElems;
    case OpKind::Concat:
    case OpKind::Flatten:
    case OpKind::Identity:
    case OpKind::Transpose:
        return 0.0;
    case OpKind::ConvNd:
    case OpKind::ConvTranspose:
    case OpKind::MaxPoolNd:
    case OpKind::AvgPoolNd:
    case OpKind::GlobalMaxPool:
    case OpKind::Resize:
    case OpKind::Pad:
        return spatial::flops(op, x, output);
    case OpKind::Embedding:
    case OpKind::RMSNorm:
    case OpKind::MatMul:
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::ScaledDotProduct:
        return sequence::flops(op, inputs, output);
    }
    return 0.0; // a value outside OpKind; every kind is listed above
}

double opBytes(const KernelOp& op, std::span<const Shape> inputs, const Shape& output)
{
    double elems = static_cast<double>(shapeElements(output));
    for (const Shape& s : inputs)
        elems += static_cast<double>(shapeElements(s));
    for (const Shape& s : parameterShapes(op, inputs))
        elems += static_cast<double>(shapeElements(s));
    return 4.0 * elems;
}

} // namespace nc::core::kernels
