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
// The exact search works on sets of scheduled ops (Serenity, Ahn et al., MLSys 2020): the live memory
// after a set has run depends only on the set. It answers "is there an order whose every step stays
// within L?" by depth-first search over sets, each set expanded at most once, and lowers L below the
// best order found until the answer is no; that last order is optimal. A limit makes a strong
// pruning rule sound: an op that frees at least what it allocates, and whose step fits, runs at once
// (moving it to the front of any order that fits keeps it fitting). Searched from the end, the rule
// mirrors: an op that allocates at least what it frees goes last. Expand-then-reduce cells collapse
// from the end (60-op random cells: a few thousand sets), so both directions run in turn with a
// growing share of the state budget. Sets found dead stay dead at every lower limit. When the budget
// runs out the best order found stands with peakLowerBound() as its bound, never worse than the
// default order.
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

// A peak no order can beat: at every op's step its inputs, its output, its scratch and every buffer
// of an ancestor that a descendant (or the op) still reads are live, whatever the order; and network
// outputs are live at the end.
int64_t peakLowerBound(const MemoryGraph& g);

// Which end of the order the exact search works from (see optimalSchedule). Both is right for every
// use; the others exist so tests can check each direction's pruning on its own.
enum class SearchFrom : uint8_t { Both, Start, End };

struct ScheduleOptions {
    int64_t maxStates = 2'000'000; // sets the exact search may visit before the best order so far stands
    int beamWidth = 0;             // sets kept per level by the heuristic; 0: autoBeamWidth()
    SearchFrom searchFrom = SearchFrom::Both;
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
