// Patches: patch-based inference (MCUNetV2, Lin et al., NeurIPS 2021). The first k ops of the
// schedule run patch by patch over an n×n grid of the k-th op's output, so only one patch of each
// intermediate tensor is live; the price is the overlap (halo) that neighbouring patches recompute.
//
//   PatchPlan p = planPatches(net, a, g, t, 3, 2).value();   // k = 3 layers, 2×2 grid
//   p.patchPeakBytes; p.restPeakBytes; p.extraMacs;
//
// Regions: patch (r, c) owns rows [⌊r·H/n⌋, ⌊(r+1)·H/n⌋) of the stage output (columns alike). An op
// with kernel k, stride s, dilation d and top padding p needs input rows [a·s − p, b·s − p + (k−1)·d]
// for output rows [a, b], clipped to the input; that is the patch's region of the op before.
// Memory of the patch stage at op j of a patch: the whole stage input and the whole stage output
// (the output is assembled patch by patch, the input is read by every patch) plus the patch regions of
// op j's input and output where those are intermediate tensors. The rest of the network is the
// ordinary timeline after step k. Extra MACs: each op's MACs over the regions all patches compute,
// minus its MACs over its whole output.
#pragma once

#include "Schedule.h"

#include <vector>

namespace nc::core::deploy {

struct PatchRegion {
    int64_t row0 = 0, row1 = 0; // half-open
    int64_t col0 = 0, col1 = 0;
    int64_t rows() const { return row1 - row0; }
    int64_t cols() const { return col1 - col0; }
};

struct PatchStageOp {
    int op = -1;
    int node = -1;
    int64_t macs = 0;           // over the whole output
    int64_t recomputedMacs = 0; // computed more than once, summed over patches
    PatchRegion largestInput;   // the largest input region any patch reads (the halo shows here)
};

struct PatchPlan {
    int layers = 0;                // k: ops of the stage (the network input excluded)
    int grid = 0;                  // n
    std::vector<PatchStageOp> stage;
    // regions[patch][j]: output region of stage op j for patch (r, c) = (patch / n, patch % n)
    std::vector<std::vector<PatchRegion>> regions;
    int64_t patchPeakBytes = 0;
    int patchPeakNode = -1;        // node index of the stage op where the patch peak occurs
    int64_t restPeakBytes = 0;
    int restPeakStep = -1;         // timeline step of the rest's peak (its first step at that peak); -1: no rest
    int64_t peakBytes = 0;         // max of the two
    int64_t extraMacs = 0;
    int64_t totalMacs = 0;         // of the whole network, without recomputation
    double extraPercent = 0;       // extraMacs / totalMacs × 100
};

// The longest schedule prefix that can run patch by patch: a chain of spatial ops (convolutions,
// pooling, pointwise layers) fed by the network's one input, whose intermediate tensors nobody else reads.
int patchableLayers(const Network& net, const AnalysisResult& a, const MemoryGraph& g, const Timeline& t);

// Fails naming the layer that stops the chain, or when n exceeds the stage output's rows or columns.
Result<PatchPlan> planPatches(const Network& net, const AnalysisResult& a, const MemoryGraph& g, const Timeline& t,
                              int layers, int grid);

enum class PatchObjective : uint8_t { LowestPeak = 0, FewestExtraMacs = 1 };

// Tries every k up to patchableLayers() and n from 2 to 8. Among plans within `budgetBytes` (0: no
// budget, every plan qualifies) picks by `objective`; when none fits, the lowest peak.
Result<PatchPlan> searchPatches(const Network& net, const AnalysisResult& a, const MemoryGraph& g, const Timeline& t,
                                int64_t budgetBytes, PatchObjective objective);

} // namespace nc::core::deploy
