// RfSteps: what a kind's receptive-field rule does along each axis, step by step, for tools that
// follow positions rather than sizes (core/ReceptiveFieldMap).
#pragma once

#include "LayerRules.h"

#include <vector>

namespace nc::core {

struct RfStep {
    enum class Kind : uint8_t {
        Window = 0, // output o sees inputs o·stride − padBefore + t·dilation, t in [0, kernel)
        Global = 1, // every output sees all inExtent input positions
        Other = 2,  // the rule moved the field another way (transposed convolution, up-sampling, slice)
        Lost = 3,   // the output has no spatial field
    };
    Kind kind = Kind::Window;
    int axis = 0; // 0 = H, 1 = W
    int64_t kernel = 1, stride = 1, dilation = 1, padBefore = 0;
    int64_t inExtent = 1, outExtent = 1;
};

// receptiveField() (LayerRules.h) that also appends the steps the kind's rule took to `steps`, in
// order. An axis the rule changed other than through windows and global steps gets an Other step;
// a field the rule lost gets a Lost step per axis.
Result<ReceptiveField> receptiveFieldSteps(LayerType t, const LayerParams& p, std::span<const ReceptiveField> in,
                                           std::span<const Shape> inShapes, const Shape& out,
                                           std::vector<RfStep>& steps);

} // namespace nc::core
