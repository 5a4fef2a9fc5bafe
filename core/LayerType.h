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
    // Spatial families of issue 9 (core/layers/ConvolutionNd.cpp, PoolingNd.cpp, Resize.cpp).
    Conv1d = 32,
    Conv3d = 33,
    ConvTranspose1d = 34,
    ConvTranspose2d = 35,
    MaxPool1d = 36,
    AvgPool1d = 37,
    MaxPool3d = 38,
    AvgPool3d = 39,
    GlobalMaxPool = 40,
    Upsample = 41,
    Pad = 42,
};

inline constexpr int kLayerTypeCount = 43;

// Stable file/CLI key, e.g. "conv2d".
std::string_view layerTypeKey(LayerType t);
// Human label, e.g. "Conv2d".
std::string_view layerTypeLabel(LayerType t);
std::optional<LayerType> layerTypeFromKey(std::string_view key);

enum class PadMode : int64_t { Zeros = 0, Reflect = 1, Replicate = 2 };

} // namespace nc::core
