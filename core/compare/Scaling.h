// Scaling: the knobs that turn one design into a family — width, depth, input resolution and
// EfficientNet's compound scaling. Each returns a new Network (a variant, ready to analyse and compare);
// the original is never touched.
//
//   Network r18 = loadZoo("resnet18").value();
//   Network half = compare::scaleWidth(r18, 0.5, 8).value();      // 32, 64, 128, 256 channels; fc keeps 1000
//   Network deeper = compare::scaleDepth(r18, 2.0).value();       // 4 basic blocks per stage
//   Network b1 = compare::compoundScale(r18, 1.0).value();        // depth ×1.2, width ×1.1, 224 → 258 px
//
// Conventions (README "Comparing designs and scaling"):
// - Width: every convolution and linear layer's output channels c become makeDivisible(c·w, d), except
//   the last such layer on every path to an output (the classifier keeps its classes). Layers that
//   take their width from their input (BatchNorm, activations, pooling, Add, depthwise) follow.
//   Kinds with a width of their own that the knob does not scale (attention, embeddings, MLP blocks,
//   recurrent layers, reshapes, opaque operators) are refused by name.
// - Depth: blocks come from core::inferBlockGroups. A stage is a run of consecutive blocks under one
//   name prefix ("layer1.0", "layer1.1") whose later blocks keep their input's shape. A stage of n
//   blocks gets ⌈n·d⌉ (EfficientNet's round_repeats), at least 1: extra blocks are copies of the
//   stage's last shape-keeping block, chained after it; removed blocks are its last ones. A stage
//   whose only block changes the shape has nothing that can repeat and keeps its single block.
// - Resolution: H and W of every image input (C×H×W, or C×D×H×W) × r, rounded to the nearest pixel.
// - Compound (Tan & Le, ICML 2019): depth α^φ, width β^φ, resolution γ^φ with α = 1.2, β = 1.1,
//   γ = 1.15 (α·β²·γ² ≈ 2: each step of φ about doubles the MACs).
#pragma once

#include "core/Network.h"
#include "core/Result.h"

#include <cstdint>

namespace nc::core::compare {

// MobileNet's _make_divisible: max(d, ⌊v + d/2⌋ rounded down to a multiple of d), plus d when that
// falls below 90% of v.
int64_t makeDivisible(double v, int64_t divisor);

Result<Network> scaleWidth(const Network& net, double multiplier, int64_t divisor = 8);
Result<Network> scaleDepth(const Network& net, double multiplier);
Result<Network> scaleResolution(const Network& net, double multiplier);

struct CompoundCoefficients {
    double alpha = 1.2;  // depth
    double beta = 1.1;   // width
    double gamma = 1.15; // resolution
};
Result<Network> compoundScale(const Network& net, double phi, int64_t divisor = 8,
                              const CompoundCoefficients& k = {});

} // namespace nc::core::compare
