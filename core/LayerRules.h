// LayerRules: one pure function per concern — output shape, costs, receptive field — for every layer
// kind, over its hyper-parameters and input shapes only (no graph, no names). Each dispatches to the
// kind's own rule in core/layers/ (LayerKind.h).
//
//   Shape in{3, 224, 224};
//   LayerParams p = Catalogue::instance().spec(LayerType::Conv2d).defaults;
//   Result<Shape> out = inferShape(LayerType::Conv2d, p, {&in, 1});   // 64×224×224
//
// Errors name the attribute and say what to change; the graph walker (Analysis) adds the layer name.
#pragma once

#include "LayerParams.h"
#include "LayerType.h"
#include "Result.h"
#include "Shape.h"

#include <span>

namespace nc::core {

// Per-sample costs of one layer (multiply by the batch for the network's figures; params and
// state do not scale with the batch).
struct LayerCosts {
    int64_t params = 0;    // learnable parameters
    int64_t state = 0;     // non-learnable stored values (BatchNorm running mean and variance)
    int64_t macs = 0;      // multiply-accumulates of convolutions, linear layers and attention matmuls
    int64_t otherOps = 0;  // elementwise work of norms, activations, pooling, merges (never in macs)
    int64_t workspace = 0; // elements live only while the layer runs (Q, K, V and the attention map)
    // Of `macs`, the products with zero padding (a convolution's taps outside its input, a transposed
    // convolution's products the padding crops). Counted in `macs` by the MAC convention, but a kernel
    // need not compute them: the roofline places a layer at the work left (README "Kernel runner").
    int64_t paddingMacs = 0;
};

// Receptive field along H and W: `size` input pixels seen by one output unit, `jump` the distance
// in input pixels between adjacent output units (cumulative stride), `start` the centre of the
// first unit's field in input pixel coordinates (pixel i has centre i), `extent` the number of
// positions along the axis (to make global operations cover the whole map), `reach` the input
// pixels (padding included) that all units of the tensor together can see — no single unit sees
// more, which bounds the field after a global operation has already taken in the whole map.
struct ReceptiveField {
    bool valid = false; // false where the tensor has no spatial meaning (a plain vector input)
    int64_t size[2] = {1, 1};
    int64_t jump[2] = {1, 1};
    double start[2] = {0, 0};
    int64_t extent[2] = {1, 1};
    int64_t reach[2] = {1, 1};
};

// Padding actually applied on each side, after resolving "same".
struct Padding {
    int64_t top = 0, bottom = 0, left = 0, right = 0;
};

Result<Shape> inferShape(LayerType t, const LayerParams& p, std::span<const Shape> in);
// Precondition: inferShape succeeded for the same arguments and `out` is its result.
Result<LayerCosts> layerCosts(LayerType t, const LayerParams& p, std::span<const Shape> in, const Shape& out);
// Errors when a size or jump would leave 64 bits (the field is never wrapped).
Result<ReceptiveField> receptiveField(LayerType t, const LayerParams& p, std::span<const ReceptiveField> in,
                                      std::span<const Shape> inShapes, const Shape& out);

// Padding of a convolution or pooling layer for an input of height h and width w.
Padding resolvePadding(const LayerParams& p, int64_t h, int64_t w);

// True for layers that never store a new tensor (views): Flatten, Dropout, Reshape, ClassTokenSelect.
bool isView(LayerType t);
// True for activations that may overwrite their input (when `inplace` is set and they are its only consumer).
bool canRunInPlace(LayerType t, const LayerParams& p);

// Operations per element charged to `otherOps` for activations (README "Counting conventions").
int64_t activationOpsPerElement(LayerType t);
// Operations per element of a normalisation at inference: BatchNorm uses stored statistics (2),
// the others compute mean and variance first (5); learnable γ and β add 2.
int64_t normOpsPerElement(LayerType t, bool affine);

} // namespace nc::core
