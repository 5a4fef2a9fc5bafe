// LayerType: every kind of layer NetCanvas knows, with values pinned because they reach files and tools.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace nc::core {

// Values are pinned: never renumber, only append. Files store the key() string, not the number,
// but external tools (CLI JSON consumers) may see the number.
enum class LayerType : uint16_t {
    Input = 0,
    Linear = 1,
    Conv2d = 2,
    DepthwiseConv2d = 3,
    MaxPool2d = 4,
    AvgPool2d = 5,
    GlobalAvgPool = 6,
    AdaptiveAvgPool2d = 7,
    BatchNorm = 8,
    LayerNorm = 9,
    InstanceNorm = 10,
    GroupNorm = 11,
    ReLU = 12,
    ReLU6 = 13,
    LeakyReLU = 14,
    Sigmoid = 15,
    Tanh = 16,
    SiLU = 17,
    HardSwish = 18,
    GELU = 19,
    Softmax = 20,
    Add = 21,
    Multiply = 22,
    Concat = 23,
    Flatten = 24,
    Dropout = 25,
    PatchEmbed = 26,
    ClassTokenSelect = 27,
    MultiHeadAttention = 28,
    Mlp = 29,
    Reshape = 30,
    Opaque = 31,
    Transpose = 32,
    Slice = 33,
    Split = 34,
    Reduce = 35,
    Squeeze = 36,
    Unsqueeze = 37,
    // Sequence and language-model kinds (core/layers/Sequence.cpp)
    Embedding = 38,
    RMSNorm = 39,
    GeluTanh = 40,
    HardSigmoid = 41,
    SwiGlu = 42,
    CrossAttention = 43,
    MatMul = 44,
    LSTM = 45,
    GRU = 46,
    // Spatial families of issue 9 (core/layers/ConvolutionNd.cpp, PoolingNd.cpp, Resize.cpp).
    Conv1d = 47,
    Conv3d = 48,
    ConvTranspose1d = 49,
    ConvTranspose2d = 50,
    MaxPool1d = 51,
    AvgPool1d = 52,
    MaxPool3d = 53,
    AvgPool3d = 54,
    GlobalMaxPool = 55,
    Upsample = 56,
    Pad = 57,
};

inline constexpr int kLayerTypeCount = 58;

// Stable file/CLI key, e.g. "conv2d".
std::string_view layerTypeKey(LayerType t);
// Human label, e.g. "Conv2d".
std::string_view layerTypeLabel(LayerType t);
std::optional<LayerType> layerTypeFromKey(std::string_view key);

enum class PadMode : int64_t { Zeros = 0, Reflect = 1, Replicate = 2 };
enum class ReduceOp : int64_t { Mean = 0, Sum = 1, Max = 2 };

} // namespace nc::core
