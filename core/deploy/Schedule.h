// Schedule: the order operations of a MemoryGraph run in, the live memory it implies, and the search
// for the order with the lowest peak.
//
//   Timeline base = evaluateOrder(g, defaultOrder(g));
//   ScheduleResult best = optimalSchedule(g);        // best.timeline.peakBytes <= base.peakBytes
//
// Memory model (the analysis' one): a buffer is live from its producer's step to the step of its last
// reader, inclusive; a buffer holding a network output lives to the end. The live bytes of a step are
// its live buffers plus the running op's scratch. The peak is the largest step.
//
// The exact search is dynamic programming over the sets of scheduled ops (Serenity, Ahn et al.,
// MLSys 2020): the live memory after a set has run depends only on the set, so the best peak to reach
// a set is memoised per set, level by level. Pruning: sets whose peak already reaches the best known
// schedule's are dropped, and an op that frees at least what it allocates without raising the peak is
// scheduled at once (no order can do better than running it now). When the number of sets explodes
// the search turns into a beam search (the anytime heuristic) and reports a lower bound instead of
// optimality.
#pragma once

#include "Deployment.h"

#include <span>
#include <vector>

namespace nc::core::deploy {

struct Timeline {
    std::vector<int> order;         // op indices in execution order
    std::vector<int> firstStep;     // per buffer
    std::vector<int> lastStep;      // per buffer, inclusive
    std::vector<int64_t> liveBytes; // per step, scratch included
    int64_t peakBytes = 0;
    int peakStep = -1;              // first step reaching the peak
};

// The analysis' order (ops in the order buildMemoryGraph emitted them).
std::vector<int> defaultOrder(const MemoryGraph& g);
// Precondition: `order` is a topological order of all ops (see isTopologicalOrder).
Timeline evaluateOrder(const MemoryGraph& g, std::span<const int> order);
bool isTopologicalOrder(const MemoryGraph& g, std::span<const int> order);

// A peak no order can beat: every op needs its inputs, its output and its scratch at once, and
// network outputs and inputs are live at the end and the start.
int64_t peakLowerBound(const MemoryGraph& g);

struct ScheduleOptions {
    int64_t maxStates = 2'000'000; // sets the exact search may hold before it turns into a beam search
    int beamWidth = 0;             // sets kept per level by the heuristic; 0: autoBeamWidth()
};

struct ScheduleResult {
    Timeline timeline;          // the chosen order; never worse than the default order
    int64_t defaultPeakBytes = 0;
    bool optimal = false;       // proven minimal by the exact search
    int64_t lowerBoundBytes = 0;// equals timeline.peakBytes when optimal
    int64_t statesExplored = 0;
};

ScheduleResult optimalSchedule(const MemoryGraph& g, const ScheduleOptions& options = {});
// The heuristic alone (beam search), for graphs too large for the exact search. Its lower bound is
// peakLowerBound(); beamWidth 0 picks autoBeamWidth().
ScheduleResult heuristicSchedule(const MemoryGraph& g, int beamWidth = 0);
// 64 sets per level up to 125 ops, 8000 / ops above, at least 8 (1,000 ops: 8, about 60 ms).
int autoBeamWidth(size_t ops);

} // namespace nc::core::deploy
