// Experiment: the lecture's question "wide and shallow or deep and narrow?" as one action — two plain
// CNNs with the same parameter budget (within 1%), compared on MACs, memory, receptive field and
// kernel launches, then measured on both backends at 1 and 2 threads.
//
//   compare::EqualPair p = compare::equalParameterPair({}).value(); // 2 × 224 ch against 23 × 48 ch
//   compare::ExperimentControl control;                              // cancel from another thread
//   compare::ExperimentResult r = compare::runExperiment(p, {}, &control);
//   r.rows;   // the comparison's totals, then one latency row per backend and thread count
//
// The networks: `depth` 3×3 convolutions (padding 1, bias) of `width` channels, each followed by
// ReLU, a 2×2 max pool after every ⌈depth/4⌉-th convolution (at most 3, never after the last), global
// average pooling, flatten and a Linear classifier. Parameters, by hand:
//   27·w + w  (first convolution, 3 input channels: in·9·w + w in general)
//   + (depth − 1)·(9·w² + w)
//   + w·classes + classes.
// The deep network is fixed; the wide one's width is the whole number whose count is nearest the
// deep one's. runExperiment is blocking and slow (seconds): call it from a worker thread.
#pragma once

#include "Compare.h"
#include "core/Network.h"
#include "core/Result.h"
#include "core/Shape.h"
#include "core/runner/KernelRunner.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace nc::core::compare {

// The plain CNN described above.
Network plainCnn(const std::string& name, const Shape& input, int depth, int64_t width, int64_t classes);
// Its parameter count by the closed form above (tests compare it with the analysis).
int64_t plainCnnParams(int64_t inChannels, int depth, int64_t width, int64_t classes);

struct EqualPairOptions {
    Shape input{3, 32, 32};
    int64_t classes = 10;
    int wideDepth = 2;
    int deepDepth = 23;
    int64_t deepWidth = 48;
};

struct EqualPair {
    Network wide, deep;
    int64_t wideWidth = 0;
    int64_t wideParams = 0, deepParams = 0; // from the analysis
    double gap = 0;                         // |wide − deep| / deep
};

// Fails when no whole width brings the wide network within 1% of the deep one (tiny budgets), or
// when the options are out of range.
Result<EqualPair> equalParameterPair(const EqualPairOptions& options);

struct ExperimentOptions {
    std::vector<BackendKind> backends{BackendKind::Eigen, BackendKind::OneDnn};
    std::vector<int> threads{1, 2};
    double secondsPerLayer = 0.05;
};

// Shared between the worker and the GUI: `cancel` may be set from any thread; `progress` runs on
// the worker (done and total count layer measurements over all runs).
struct ExperimentControl {
    std::atomic<bool> cancel{false};
    std::function<void(int done, int total, const std::string& what)> progress;
};

struct LatencyCell {
    BackendKind backend = BackendKind::Eigen;
    int threads = 1;
    double aUs = 0, bUs = 0; // end to end, median of whole forward passes
    std::string aError, bError;
};

// Both designs measured on every backend × thread count of `options`, A then B per configuration.
// Rows: one per configuration ("Latency, Eigen, 1 thread"), A and B end to end.
struct MeasureResult {
    std::vector<LatencyCell> latency;
    std::vector<Metric> rows;
    bool cancelled = false;
};
MeasureResult measurePair(const Network& a, const Network& b, const ExperimentOptions& options,
                          ExperimentControl* control);
// The comparison's rows with the generic "Measured latency" row replaced by the measured ones.
std::vector<Metric> withLatencyRows(const std::vector<Metric>& rows, const std::vector<Metric>& latency);

struct ExperimentResult {
    Comparison comparison; // A = wide and shallow, B = deep and narrow
    std::vector<LatencyCell> latency;
    std::vector<Metric> rows; // comparison.rows, "Measured latency" replaced by one row per backend × threads
    bool cancelled = false;
};

// The static comparison alone (no kernels run): what the GUI shows before the measurement ends.
ExperimentResult staticExperiment(const EqualPair& pair);
ExperimentResult runExperiment(const EqualPair& pair, const ExperimentOptions& options,
                               ExperimentControl* control);

} // namespace nc::core::compare
