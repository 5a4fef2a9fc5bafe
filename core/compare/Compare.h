// Compare: two designs side by side — their totals with differences and ratios, and their layers
// aligned row by row for charts drawn one above the other.
//
//   Network a = loadZoo("resnet18").value(), b = loadZoo("resnet50").value();
//   compare::Comparison c = compare::compareDesigns(a, analyze(a), b, analyze(b));
//   c.rows[0].key;         // "params"
//   c.rows[0].ratio();     // 25,557,032 / 11,689,512 = 2.186…
//   c.alignment[i].a;      // index into a's analysis layers (or -1), aligned with c.alignment[i].b
//
// Ratios and differences are always B relative to A: difference = B − A, ratio = B ÷ A.
// Pure functions of the networks and their analyses; cheap enough to re-run on every edit of either
// design (README "Speed"). Any thread, no shared state.
#pragma once

#include "core/Analysis.h"
#include "core/Network.h"
#include "core/Result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nc::core::compare {

// Everything the totals table shows of one design.
struct DesignFigures {
    std::string name;
    int bits = 32;
    int64_t batch = 1;
    int64_t params = 0;
    int64_t modelBytes = 0;       // at each layer's effective bit width
    int64_t modelBytesAt[4] = {}; // uniformly at 32, 16, 8 and 4 bits (kBitWidths)
    int64_t macs = 0;
    // Training view: the forward pass keeps every stored output until its last reader (analyze()'s
    // DAG-aware live memory), peak over the schedule.
    int64_t trainingPeakBytes = 0;
    // Training one step on one device: weights, gradients, Adam state, activations kept for the
    // backward pass and its workspace (core/train with its default settings: mixed precision, Adam,
    // the design's batch, no parallelism).
    std::optional<int64_t> trainingDeviceBytes;
    // Deployment view (core/deploy): BatchNorm folded, activations fused, in-place Add and depthwise,
    // default schedule; peak live bytes.
    std::optional<int64_t> deployPeakBytes;
    bool rfValid = false;
    int64_t rf[2] = {1, 1}; // final receptive field, H × W
    int layers = 0;         // layers of the design, Input layers excluded
    // Kernel launches: operations the deployment runtime executes for one inference — one per op of
    // the deployment view's memory graph that is not an input. Folded BatchNorms, fused activations,
    // Dropout and views (Flatten, Reshape) launch nothing.
    std::optional<int> kernelLaunches;
    // Energy of one inference (core/energy: Horowitz's 45 nm table, no on-chip budget, so weights
    // come from DRAM once and activations stay on chip).
    std::optional<double> energyPj;
    std::optional<double> latencyUs; // measured end to end, once the design has been run
    int errors = 0;
    std::string firstError; // the first layer error, when errors > 0
};

// Figures of one design; `a` is analyze(net). Deployment and training figures are absent (not zero)
// when the design has errors.
DesignFigures figuresOf(const Network& net, const AnalysisResult& a);

enum class Unit : uint8_t { Count = 0, Bytes = 1, Macs = 2, Pixels = 3, Microseconds = 4, Picojoules = 5 };

// One row of the totals table. Adding a figure to the comparison is one more row in totalsRows().
struct Metric {
    std::string key;   // stable, for the JSON: "params", "macs", "deploy_peak_bytes", …
    std::string label; // "Parameters"
    Unit unit = Unit::Count;
    std::optional<double> a, b;

    std::optional<double> difference() const; // b − a, when both are known
    std::optional<double> ratio() const;      // b ÷ a, when both are known and a ≠ 0
};

std::vector<Metric> totalsRows(const DesignFigures& a, const DesignFigures& b);

// One row of the per-layer alignment: indices into each analysis' `layers` (schedule order), -1
// where that design has no counterpart.
struct AlignedRow {
    int a = -1;
    int b = -1;
};

// Aligns the two schedules as a weighted longest common subsequence: two layers may share a row
// when they have the same kind; a row whose names are equal too weighs more, so two variants of
// one design (which keep their names) align name by name, and two different designs align by the
// succession of their kinds. Rows keep both schedule orders. O(n·m); above 4·10⁶ cells the layers
// are paired by position instead.
std::vector<AlignedRow> alignLayers(const Network& na, const AnalysisResult& aa, const Network& nb,
                                    const AnalysisResult& ab);

struct Comparison {
    DesignFigures a, b;
    std::vector<Metric> rows;
    std::vector<AlignedRow> alignment;
};

Comparison compareDesigns(const Network& na, const AnalysisResult& aa, const Network& nb,
                          const AnalysisResult& ab);

// Text renderings the CLI prints and tests read.
std::string comparisonTable(const Comparison& c);
std::string comparisonJson(
    const Comparison& c); // {"a": {...}, "b": {...}, "ratios": {...}, "differences": {...}, "rows": [...]}

// "11,689,512", "1.814 G", "44.7 MB", "211 × 211", "1.23 ms" — the figure in its unit.
std::string formatValue(Unit unit, double v);

} // namespace nc::core::compare
