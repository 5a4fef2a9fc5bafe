// RfReference: the comparison line of the receptive-field chart — the textbook field of L stacked
// stride-1 k×k convolutions, L·(k−1)+1. It is a reference curve, not a figure of the design: the
// design's own receptive field always comes from the analysis (LayerResult::rf).
#pragma once

#include "core/Analysis.h"
#include "core/Network.h"

#include <cstdint>
#include <vector>

namespace nc::widgets::rfref {

// Field of `layers` stacked stride-1, undilated k×k convolutions: the first sees k pixels and each
// further one widens the field by k−1, so L·(k−1)+1 (3×3: 3, 5, 7, …). Grows linearly; strides and
// dilations in a real design make its field grow faster, which is what the chart shows.
constexpr int64_t stackedConv(int64_t layers, int64_t k = 3) {
    return layers * (k - 1) + 1;
}

// Whether a layer counts as one "L" of the reference: any layer with a spatial window wider than one
// pixel (convolutions, pooling windows, patch embeddings). 1×1 convolutions, norms and activations do
// not widen a field, so counting them would make the reference meaningless.
bool countsAsLayer(core::LayerType t, const core::LayerParams& p);

// The reference at every step of the schedule: stackedConv(counted layers scheduled up to and
// including that step). Counted along the schedule, not per path, so parallel branches (a ResNet
// downsample shortcut) each add to L — the reference errs on the generous side.
std::vector<double> curve(const core::Network& net, const core::AnalysisResult& a);

} // namespace nc::widgets::rfref
