// ArenaPlan: an offset in one memory arena for every buffer of a schedule, so that buffers live at the
// same step never overlap — what TFLite Micro's memory planner computes before inference.
//
//   Timeline t = evaluateOrder(g, defaultOrder(g));
//   ArenaPlan p = planArena(g, t, Planner::Best);
//   p.arenaBytes >= p.lowerBoundBytes;   // == t.peakBytes; the difference is fragmentation
//
// Every buffer of the memory graph is one block, live over [firstStep, lastStep]; the scratch of an op
// is one more block live at that op's step only. Offsets are multiples of `alignment` bytes.
#pragma once

#include "Schedule.h"

#include <string>
#include <vector>

namespace nc::core::deploy {

// Values pinned: the CLI names them "greedy" and "best".
enum class Planner : uint8_t {
    // TFLite Micro's GreedyMemoryPlanner: largest block first, each at the lowest offset where it
    // overlaps no placed block that is live at the same time.
    Greedy = 0,
    // The smallest arena of several greedy passes: blocks ordered by size, by lifetime, by size ×
    // lifetime and by first step, each placed first-fit or best-fit (the smallest gap that holds it).
    // Greedy-by-size first-fit is one of them, so Best is never larger than Greedy.
    Best = 1,
};

struct ArenaBlock {
    int buffer = -1;      // MemoryGraph buffer, or -1 for an op's scratch
    int op = -1;          // the op that allocates it (the producer, or the op owning the scratch)
    int node = -1;        // node index of that op's layer
    int64_t offset = 0;
    int64_t bytes = 0;
    int firstStep = 0;
    int lastStep = 0;     // inclusive
    int port = 0;         // output port of that layer the buffer holds (header names: "_OUT1")
};

struct ArenaPlan {
    std::vector<ArenaBlock> blocks; // buffers in index order, then scratch blocks in step order
    int64_t arenaBytes = 0;         // max over blocks of offset + bytes
    int64_t lowerBoundBytes = 0;    // the timeline's peak: no placement can use less
    Planner planner = Planner::Greedy;
};

ArenaPlan planArena(const MemoryGraph& g, const Timeline& t, Planner planner, int64_t alignment = 1);
// True when no two blocks live at a common step share an address.
bool planIsValid(const ArenaPlan& p);

// A C header with one offset and one size macro per block, named after the layers, and the arena size.
std::string arenaHeader(const ArenaPlan& p, const Network& net);

} // namespace nc::core::deploy
