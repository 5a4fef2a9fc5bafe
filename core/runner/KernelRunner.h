// KernelRunner: executes every layer of a design on the CPU with real kernels (our Eigen kernels or
// oneDNN), on random data at the design's shapes, and measures how long each takes.
//
//   RunOptions o;  o.backend = BackendKind::OneDnn;  o.threads = 2;
//   RunControl control;                       // cancel from another thread: control.cancel = true
//   RunReport r = runKernels(net, o, &control);
//   r.layers[i].medianUs;  r.layers[i].noisy;  r.endToEndUs;
//
// The end-to-end figure is a real inference: the network input flows from layer to layer, each
// layer reading its producers' outputs, and every tensor returns to a pool after its last reader
// (so at most the live tensors of one step are held, as the analysis' memory timeline says).
// checkInference() compares that inference with the reference loops run layer by layer.
//
// Blocking and slow (seconds): call it from a worker thread. Results are plain values that can be
// posted back to the GUI thread. Figures such as MACs come from core::analyze, so latency and the
// analysis always describe the same layers (same schedule order).
#pragma once

#include "Measurement.h"
#include "core/Analysis.h"
#include "core/Network.h"
#include "kernels/Tensor.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nc::core {

enum class BackendKind : int { Eigen = 0, OneDnn = 1 };
const char* backendKey(BackendKind b); // "eigen", "onednn"

struct RunOptions {
    BackendKind backend = BackendKind::Eigen;
    int threads = 1;
    int64_t batch = 0;             // 0: the network's own batch
    double secondsPerLayer = 0.2;  // time budget of the repeated runs of one layer
    int warmup = 2;
    int minRepeats = 5;
    int maxRepeats = 500;
    bool endToEnd = true;          // also time whole forward passes
    int endToEndRepeats = 5;
    // Extra measurements of a layer whose samples are noisy (isNoisy); the attempt with the
    // smallest spread is kept. Bounded, so a machine that stays busy cannot stall the run.
    int remeasure = 2;
    // Run the deployment graph (core/deploy, buildMemoryGraph): BatchNorm folded into the
    // convolution or linear layer before it (which gains a bias; the BatchNorm is not run), an
    // activation fused into the Conv2d or Linear producing its input (one call: a oneDNN post-op).
    // Activations the deployment fuses into other ops (pooling, Add) still run on their own.
    bool deploy = false;
    // oneDNN: a convolution whose readers all run in oneDNN's layouts (through folded or fused
    // layers) leaves its output in the layout its primitive prefers (channels-last or 16-channel
    // blocks) and they read it so, instead of each reordering to and from plain NCHW. Pools,
    // BatchNorm, activations, same-shape Add/Mul and Concat compute in that layout and pass it on
    // (a ResNet keeps it from the stem through the residual adds to the global pool). The
    // per-layer timings then are of the layers as they run in the inference.
    bool keepBlocked = true;
    // A layer needing more than this many bytes is skipped; 0 = half of the available RAM.
    int64_t memoryLimitBytes = 0;
};

// Shared between the worker and whoever may cancel or watch it; the callbacks run on the worker.
struct RunControl {
    std::atomic<bool> cancel{false};
    std::function<void(int done, int total, const std::string& layer)> progress;
};

// Fused: folded or fused into another layer's kernel by the deployment graph (`note` names it).
enum class TimingStatus : int { NotRun = 0, Measured = 1, View = 2, Skipped = 3, Failed = 4, Fused = 5 };

struct LayerTiming {
    NodeId id;
    TimingStatus status = TimingStatus::NotRun;
    std::string note;          // why skipped or failed, or what the backend did (fallbacks, reorders)
    double medianUs = 0;
    double p90Us = 0;
    int repeats = 0;
    double spread = 0;         // p90 / median of the kept attempt
    double cv = 0;             // coefficient of variation of the kept attempt
    double foreignLoad = 0;    // share of all CPU time other processes used while it was measured
                               // (over at least the last 20 ticks of /proc/stat, 0.1 s on 2 CPUs)
    bool noisy = false;        // still noisy after the re-measurements (see isNoisy)
    int attempts = 0;          // measurements made (1 + re-measurements)
    double gflops = 0;         // 2·MACs / median time (GFLOP/s), the README convention
    // The roofline's y: (2·(MACs − padding MACs) + other ops) / median time, the work a kernel must do
    // (LayerResult::paddingMacs: products with zero padding, which oneDNN skips and Eigen computes).
    double gops = 0;
    int64_t bytesMoved = 0;    // fp32 inputs + weights + stored state + output
    double intensity = 0;      // the roofline's x: the same operations / bytesMoved, per byte
    int64_t estimatedBytes = 0; // memory the measurement needs (the guard's estimate)
};

struct RunReport {
    BackendKind backend = BackendKind::Eigen;
    int threads = 1;
    int64_t batch = 1;
    std::vector<LayerTiming> layers; // schedule order, index-aligned with the analysis' layers
    double sumUs = 0;                // sum of the measured layer medians
    double endToEndUs = 0;           // median of whole inferences (0 when not run)
    double endToEndP90Us = 0;
    // Median CPU time of this process per inference (all its threads): with 1 thread, the latency
    // without the time other processes held the core; with more, their sum.
    double endToEndCpuUs = 0;
    double endToEndSpread = 0;       // p90 / median of the inferences
    bool endToEndNoisy = false;
    double endToEndForeignLoad = 0;
    int64_t endToEndPeakBytes = 0;   // largest sum of live tensors during an inference
    std::string endToEndNote;        // why there is no end-to-end figure, when there is none
    double foreignLoad = 0;          // other processes' share of CPU time over the layer measurements
    int noisyLayers = 0;
    bool deployed = false;           // the deployment graph ran (RunOptions::deploy)
    int folded = 0;                  // deploy: BatchNorms folded, activations fused as post-ops
    int fused = 0;
    int blockedLinks = 0;            // layer inputs read in a oneDNN layout (not NCHW)
    bool cancelled = false;
    std::string error;               // set when nothing could be run at all
};

RunReport runKernels(const Network& net, const RunOptions& options, RunControl* control = nullptr);

// One inference of the whole network on `backend` with random input (seed `inputSeed`) and the
// runner's random weights, compared with the reference loops run layer by layer on the same
// weights, each reference layer fed its producers' reference outputs.
struct InferenceCheck {
    std::string error;                 // set when the inference could not run (names the layer)
    std::vector<NodeId> outputs;       // network outputs (layers nobody reads), schedule order
    std::vector<kernels::Tensor> values;    // the backend's outputs
    std::vector<kernels::Tensor> reference; // the reference loops' outputs
    double maxRelativeError = 0;       // max over outputs of max|value − ref| / max|ref|
    int64_t peakBytes = 0;             // largest sum of live tensors during the inference
    int64_t allOutputBytes = 0;        // every layer's output together (what keeping all would take)
    int blockedLinks = 0;              // layer inputs read in a oneDNN layout (not NCHW)
};
// `deploy`: the deployment graph (RunOptions::deploy), the reference running the same fused ops.
// `keepBlocked`: RunOptions::keepBlocked.
InferenceCheck checkInference(const Network& net, BackendKind backend, int threads, uint64_t inputSeed = 7,
                              bool deploy = false, bool keepBlocked = true);

// Bytes the kernel runner may use: /proc/meminfo MemAvailable (0 when unknown).
int64_t availableMemoryBytes();

struct SweepPoint {
    int64_t batch = 1;
    double latencyUs = 0;        // one forward pass of the whole batch
    double samplesPerSecond = 0;
};

// Latency and throughput at batch 1, 2, 4, … up to maxBatch, stopping early when the memory guard
// skips a layer or the run is cancelled; `stoppedBy` says why it stopped early (empty otherwise).
// `onPoint`, when set, gets each point on the worker as soon as it is measured (a GUI shows the
// sweep growing instead of waiting minutes for the whole of it).
std::vector<SweepPoint> batchSweep(const Network& net, RunOptions options, int64_t maxBatch, RunControl* control,
                                   std::string* stoppedBy,
                                   const std::function<void(const SweepPoint&)>& onPoint = {});

} // namespace nc::core
