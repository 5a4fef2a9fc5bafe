// ReceptiveFieldMap: which input pixels one output position of a layer depends on — the cells of its
// receptive field on the input grid, with the gaps dilation leaves, the stride between neighbouring
// outputs and the padding outside the image — for the receptive-field explorer.
//
//   Network net = ...;                        // input 1×8×8 → conv 3×3 s2 d2 p2 → conv 3×3
//   AnalysisResult a = analyze(net);
//   RfCells c = receptiveFieldCells(net, a, net.findByName("conv2"), 1, 1).value();
//   c.cells[1];                               // W indices of the input, padding included: {-2, 0, 2, ...}
//
// Positions follow the kinds' own receptive-field rules (core/layers, RfSteps.h), per axis: a window
// of kernel k, stride s, dilation d and leading padding p maps output o to inputs o·s − p + t·d,
// t ∈ [0, k); a global operation to every input position. As the receptive-field figures do, the
// field is taken on an unbounded grid: a padding position of an intermediate tensor is followed like
// a real one, so the cells span exactly the field's size r and indices outside [0, n) are padding.
// Paths that join (Add, Concat) contribute the union of their cells; a C×1×1 input broadcast over a
// map (squeeze-and-excitation) reads its single position. Layers that move positions in other ways
// (transposed convolution, up-sampling, slice) are reported, naming the layer, not guessed at.
//
// Pure function; any thread.
#pragma once

#include "Analysis.h"

#include <vector>

namespace nc::core {

struct RfCells {
    NodeId input;                     // the network input the cells are on
    int64_t inExtent[2] = {1, 1};     // input positions along H and W
    int64_t outExtent[2] = {1, 1};    // the layer's output positions along H and W
    std::vector<int64_t> cells[2];    // sorted input indices per axis; < 0 or >= inExtent: padding
    ReceptiveField rf;                // the layer's figures (size, jump, start) from the analysis
    double centre[2] = {0, 0};        // centre of this position's field: start + i·jump
    int windows[2] = {0, 0};          // sliding windows along each axis on the way (the chain's L)

    int64_t first(int a) const { return cells[a].empty() ? 0 : cells[a].front(); }
    int64_t last(int a) const { return cells[a].empty() ? 0 : cells[a].back(); }
    int64_t span(int a) const { return cells[a].empty() ? 0 : last(a) - first(a) + 1; }
    bool contains(int64_t h, int64_t w) const;
};

// Cells of output position (h, w) of `layer`. Errors name the layer: an error or no spatial field,
// a position outside the output grid, a layer on the way that moves positions other than by windows.
Result<RfCells> receptiveFieldCells(const Network& net, const AnalysisResult& a, NodeId layer, int64_t h, int64_t w);

} // namespace nc::core
