// DeployView: the deployment view as the whole application shows it — the setting (training or
// deployment graph, in-place depthwise, schedule, planner) and every figure derived from it, so the
// Document can hold both and views only read them.
//
//   DeploySettings s;  s.deploy = true;  s.inplaceDepthwise = true;   // TinyEngine
//   DeployFigures f = computeDeployFigures(net, analyze(net), s);
//   f.schedule.timeline.peakBytes;   // MobileNetV2 int8: 1,404,928
//   f.noteFor(net, i);               // "folded into features.0.0" for a folded BatchNorm
//
// The figures are computed for the training view too (the Deployment memory dock shows its arena),
// but only `deploy` switches the other views (timeline, bar charts, table, canvas, runner) over.
#pragma once

#include "ArenaPlan.h"
#include "Patches.h"

#include <optional>

#include <string>
#include <vector>

namespace nc::core::deploy {

// View state of a document, not saved in the design file.
struct DeploySettings {
    bool deploy = false;           // the deployment view; false: the training view everywhere
    bool inplaceDepthwise = false; // TinyEngine's in-place depthwise convolution (deploy only)
    bool optimalOrder = false;     // memory-optimal schedule instead of the analysis' order
    Planner planner = Planner::Greedy;
    // Patch-based inference of the first layers (MCUNetV2): off when patchGrid is 0 and patchAuto is
    // false. Manual: the first patchLayers ops over a patchGrid × patchGrid grid. Auto: with a budget
    // (patchBudget > 0) the (k, n) with the fewest extra MACs among those that fit, otherwise (or when
    // none fits) the lowest peak: what `memory --patches auto [--budget B]` picks.
    int patchLayers = 0;
    int patchGrid = 0;
    bool patchAuto = false;
    int64_t patchBudget = 0;
    bool flashAttention = true; // deployment only: attention without the heads×T×T map (see Deployment.h)

    bool patchesOn() const { return patchAuto || patchGrid > 0; }
    bool operator==(const DeploySettings&) const = default;
};

// Everything the views draw in the deployment view, derived once per edit or setting change.
struct DeployFigures {
    std::string error;        // non-empty when the memory graph could not be built (analysis errors)
    bool deploy = false;      // the settings' `deploy` these figures were built with
    MemoryGraph graph;
    ScheduleResult schedule;  // schedule.timeline is the chosen order (default or optimal)
    // The optimal order was asked for with ExactSearch::Later and is not proven yet: `schedule` holds
    // the heuristic's order until applySchedule() brings the exact search's result.
    bool searching = false;
    ArenaPlan plan;

    // One entry per step of schedule.timeline.order:
    std::vector<int> stepNode;         // node index of the op run at that step
    std::vector<int64_t> scratchBytes; // that op's scratch (part of the timeline's live bytes)
    // One entry per MemoryGraph buffer: owner = the producing op's layer, steps from the timeline.
    std::vector<LiveBuffer> buffers;
    // By node index: the step whose op computes the layer's output (its host's step for folded,
    // fused, dropped and view layers); -1 when not scheduled.
    std::vector<int> stepOfNode;
    // By node index: the bytes the layer newly allocates in this view (its op's output buffer; 0 for
    // folded, fused, dropped, view and in-place layers), the deployment's "activation memory".
    std::vector<int64_t> allocatedBytes;
    int64_t allocatedTotal = 0;
    // By node index: the layer's stored bytes in this view — its parameters after folding
    // (graph.layers[i].params) at the layer's bit width; and their sum, the deployed model size.
    std::vector<int64_t> modelBytes;
    int64_t modelBytesTotal = 0;
    // The patch plan over the chosen order when the settings ask for one; patchError says why there
    // is none (the layer that stops the chain, a grid larger than the output).
    std::optional<PatchPlan> patch;
    std::string patchError;
    // The peak the deployment needs: the patch plan's when there is one, else the timeline's.
    int64_t peakBytes() const { return patch ? patch->peakBytes : schedule.timeline.peakBytes; }
    // Node index of the layer where peakBytes() occurs (the patch stage's op, or the op of the
    // rest's or the timeline's peak step); -1 when nothing is scheduled.
    int peakNode() const;

    bool ok() const { return error.empty() && !schedule.timeline.order.empty(); }
    // "folded into conv1", "fused into conv1", "dropped", "view of conv1" — or empty for an op or when
    // `nodeIndex` is out of range.
    std::string noteFor(const Network& net, int nodeIndex) const;
};

// When the exact schedule search runs: Now, inside computeDeployFigures (CLI, tests); Later, by the
// caller (the Document runs it on a worker thread so an edit never waits for it).
enum class ExactSearch : uint8_t { Now, Later };

// The state budget of the exact search behind a document: larger graphs keep the heuristic's order
// and its bound.
inline constexpr int64_t kDocumentSearchStates = 200'000;

// Builds the memory graph with `s`, schedules it and plans the arena. With the optimal order and
// ExactSearch::Later, the schedule is the heuristic's (heuristicSchedule, a few milliseconds) and
// `searching` says the exact search is still owed, unless the heuristic already proved its order.
DeployFigures computeDeployFigures(const Network& net, const AnalysisResult& a, const DeploySettings& s,
                                   int64_t maxStates = kDocumentSearchStates, ExactSearch exact = ExactSearch::Now);
// Replaces the schedule of `f` (built from `net` and `a`) by `schedule`, re-plans the arena with
// `s.planner`, re-derives every per-step figure and the patch plan `s` asks for; clears `searching`.
void applySchedule(DeployFigures& f, const Network& net, const AnalysisResult& a, ScheduleResult schedule,
                   const DeploySettings& s);
// The patch plan `s` asks for over the figures' order: planPatches or searchPatches (lowest peak).
Result<PatchPlan> patchPlanFor(const Network& net, const AnalysisResult& a, const DeployFigures& f,
                               const DeploySettings& s);

} // namespace nc::core::deploy
