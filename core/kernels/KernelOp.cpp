// Builders and names for KernelOp.
#include "KernelOp.h"

#include <array>
#include <utility>

namespace nc::core::kernels {

namespace {
// Indexed by the pinned enum value.
constexpr std::array<std::string_view, 42> kNames = {
    "Conv2d",    "Linear",    "MaxPool",   "AvgPool", "GlobalAvgPool", "AdaptiveAvgPool", "BatchNorm",
    "LayerNorm", "InstanceNorm", "GroupNorm", "ReLU", "ReLU6",         "LeakyReLU",       "Sigmoid",
    "Tanh",      "SiLU",      "HardSwish", "GELU",    "Softmax",       "Add",             "Mul",
    "Concat",    "Attention", "Flatten",   "Identity", "Transpose", "Reduce", "GeluTanh", "HardSigmoid",
    "ConvNd", "ConvTranspose", "MaxPoolNd", "AvgPoolNd", "GlobalMaxPool", "Resize", "Pad",
    "Embedding", "RMSNorm", "MatMul", "LSTM", "GRU", "ScaledDotProduct"};
} // namespace

KernelOp KernelOp::make(OpKind kind)
{
    KernelOp op;
    op.kind = kind;
    return op;
}

KernelOp KernelOp::conv2d(int64_t outChannels, int64_t kernel, int64_t stride, int64_t pad, int64_t groups)
{
    KernelOp op = make(OpKind::Conv2d);
    op.outChannels = outChannels;
    op.kh = op.kw = kernel;
    op.sh = op.sw = stride;
    op.padTop = op.padBottom = op.padLeft = op.padRight = pad;
    op.groups = groups;
    return op;
}

KernelOp KernelOp::linear(int64_t outFeatures)
{
    KernelOp op = make(OpKind::Linear);
    op.outChannels = outFeatures;
    return op;
}

KernelOp KernelOp::pool(OpKind kind, int64_t kernel, int64_t stride, int64_t pad)
{
    KernelOp op = make(kind);
    op.kh = op.kw = kernel;
    op.sh = op.sw = stride;
    op.padTop = op.padBottom = op.padLeft = op.padRight = pad;
    return op;
}

KernelOp KernelOp::attention(int64_t heads)
{
    KernelOp op = make(OpKind::Attention);
    op.heads = heads;
    return op;
}

std::string_view opKindName(OpKind kind)
{
    const auto i = static_cast<std::size_t>(kind);
    return i < kNames.size() ? kNames[i] : std::string_view("Unknown");
}

bool opKindFromName(std::string_view name, OpKind& kind)
{
    for (std::size_t i = 0; i < kNames.size(); ++i) {
        if (kNames[i] == name) {
            kind = static_cast<OpKind>(i);
            return true;
        }
    }
    return false;
}

bool isActivation(OpKind kind)
{
    switch (kind) {
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
        return true;
    case OpKind::Conv2d:
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
    case OpKind::Identity:
    case OpKind::Transpose:
    case OpKind::Reduce:
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
        return false;
    }
    return false;
}

bool takesOneDnnLayouts(OpKind kind)
{
    switch (kind) {
    case OpKind::Conv2d:
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::GlobalAvgPool:
    case OpKind::AdaptiveAvgPool:
    case OpKind::BatchNorm:
    case OpKind::ReLU:
    case OpKind::ReLU6:
    case OpKind::LeakyReLU:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::SiLU:
    case OpKind::HardSwish:
    case OpKind::GELU:
    case OpKind::GeluTanh:
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Concat:
        return true;
    case OpKind::HardSigmoid: // our Eigen kernel runs it (no oneDNN 2.6 primitive)
    case OpKind::Linear:
    case OpKind::LayerNorm:
    case OpKind::InstanceNorm:
    case OpKind::GroupNorm:
    case OpKind::Softmax:
    case OpKind::Attention:
    case OpKind::Flatten:
    case OpKind::Identity:
    case OpKind::Transpose:
    case OpKind::Reduce:
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
        return false;
    }
    return false;
}

} // namespace nc::core::kernels
