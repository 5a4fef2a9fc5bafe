// TrainingMemory: what training a network costs per device — weights, gradients, optimizer state,
// activations kept for the backward pass, dropout masks and working memory — under a precision, an
// optimizer, activation recomputation and data (ZeRO 0–3), tensor and pipeline parallelism; the
// training MACs per step, the communication per step, and the large-model inference figures (weights,
// KV cache, MACs and bytes per decoded token against a prefill).
//
//   Network net = loadZoo("llama2_7b").value();
//   train::TrainSettings s;                        // mixed precision, Adam, batch 1
//   s.dp = 64; s.zero = 3;
//   Result<train::TrainPlan> p = train::planTraining(net, s);
//   p->perDevice.total;                            // bytes on the busiest device
//
// Pure functions of the Network and the settings (the analysis runs inside, at the settings' batch
// and precision); the conventions are written beside the code and in README "Training memory and
// parallelism".
#pragma once

#include "core/Analysis.h"
#include "core/Network.h"
#include "core/Result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nc::core::train {

enum class Optimizer : uint8_t { Sgd = 0, Momentum = 1, Adam = 2 }; // Adam and AdamW keep the same state
enum class Precision : uint8_t { Fp32 = 0, Mixed = 1 };              // mixed: 16-bit weights, grads, activations; fp32 master
enum class Recompute : uint8_t { None = 0, Full = 1, EveryK = 2, Selective = 3 };

struct TrainSettings {
    int64_t batch = 0;       // global batch per step (all data-parallel replicas); 0 = the network's
    int64_t context = 0;     // decoders: KV-cache tokens; 0 = the network's setting
    Optimizer optimizer = Optimizer::Adam;
    Precision precision = Precision::Mixed;
    Recompute recompute = Recompute::None;
    int every = 1;           // Recompute::EveryK: keep one checkpoint every `every` blocks
    int dp = 1;              // data-parallel degree
    int zero = 0;            // ZeRO stage 0..3 (partitions optimizer, + gradients, + parameters over dp)
    int tp = 1;              // tensor-parallel degree (Megatron-LM split of attention heads and MLP)
    int pp = 1;              // pipeline stages
    int64_t microbatches = 1;
    std::vector<int> stageLayers; // layers (schedule steps) per pipeline stage; empty = balanced split
    int64_t deviceMemory = 80'000'000'000; // bytes
    double deviceFlops = 0;  // sustained FLOP/s of one device for the throughput figure; 0 = not asked
};

// Bytes on one device.
struct DeviceMemory {
    int64_t weights = 0;
    int64_t gradients = 0;
    int64_t optimizer = 0;
    int64_t activations = 0;  // kept for the backward pass, including dropout masks
    int64_t dropoutMasks = 0; // the part of `activations` that is dropout masks (1 byte per element)
    int64_t workspace = 0;    // activation gradients live at once during the backward pass
    int64_t total = 0;        // weights + gradients + optimizer + activations + workspace
};

struct PipelineStage {
    int firstStep = 0; // schedule steps [firstStep, firstStep + layers)
    int layers = 0;
    int64_t params = 0;
    int64_t macs = 0;  // forward MACs of one micro-batch
    int64_t inFlight = 0; // micro-batches whose activations it holds at once (1F1B: min(m, p − stage))
    DeviceMemory memory;
    int64_t recomputeSaved = 0; // activation bytes recomputation saves on this stage's device
};

struct TrainPlan {
    AnalysisResult analysis;    // of one micro-batch at the activation precision
    int64_t batch = 1;          // global
    int64_t microBatch = 1;     // samples per device per micro-batch
    int devices = 1;            // dp · tp · pp
    int bytesPerWeight = 2, bytesPerGrad = 2, optimizerBytesPerParam = 12, activationBits = 16;
    DeviceMemory perDevice;     // the busiest device (the largest pipeline stage)
    bool fits = false;          // perDevice.total <= deviceMemory
    int64_t recomputeSavedBytes = 0; // activations no longer kept, per device
    // Compute for one step of the global batch, all devices.
    int64_t forwardMacs = 0;
    int64_t backwardMacs = 0;
    int64_t recomputeMacs = 0;
    int64_t trainMacs = 0;      // forward + backward + recompute
    double stepSeconds = 0;     // at deviceFlops, with the pipeline bubble; 0 when not asked
    double itemsPerSecond = 0;  // samples per second (× tokensPerSample for tokens)
    int64_t tokensPerSample = 0; // sequence inputs: T; images: 0
    // Bytes one device sends per step, by scheme (README states the counting rule).
    int64_t commDataParallel = 0, commTensorParallel = 0, commPipeline = 0, commTotal = 0;
    std::vector<PipelineStage> stages; // one per stage (a single stage when pp = 1)
    double bubble = 0;                 // (p − 1)/(m + p − 1)
    int64_t kvCacheBytes = 0;          // at the context and global batch, at 16 bits (mixed) or 32
};

Result<TrainPlan> planTraining(const Network& net, const TrainSettings& s);

// ---- large-model inference ---------------------------------------------------------------------

struct InferencePlan {
    int64_t weightBytes = 0;        // at `bits`
    int64_t kvCacheBytes = 0;       // at the context and batch, at `bits`
    int64_t prefillMacs = 0;        // the whole prompt (the network's input length), batch
    int64_t prefillBytesRead = 0;   // weights once
    int64_t decodeMacsPerToken = 0; // one new token per sequence at the full context, batch
    int64_t decodeBytesPerToken = 0; // weights + the whole KV cache, read once per step
};
Result<InferencePlan> planInference(const Network& net, int bits, int64_t context, int64_t batch);

// ---- published closed forms --------------------------------------------------------------------

// ZeRO (Rajbhandari et al. 2020), Figure 1: bytes per device for Ψ parameters with 2-byte weights
// and gradients and K bytes of optimizer state per parameter over Nd devices, at stage 0..3:
// (2 + 2 + K)Ψ, 2Ψ + 2Ψ + KΨ/Nd, 2Ψ + (2 + K)Ψ/Nd, (2 + 2 + K)Ψ/Nd.
double zeroBytesPerDevice(double psi, double k, double nd, int stage);

// Korthikanti et al. 2022, activation bytes of one transformer layer, 16-bit activations, sequence
// s, micro-batch b, hidden h, heads a, tensor-parallel degree t.
enum class Korthikanti : uint8_t {
    None = 0,               // s·b·h·(34 + 5·a·s/h)
    TensorParallel = 1,     // s·b·h·(10 + 24/t + 5·a·s/(h·t))
    TensorSequence = 2,     // s·b·h/t·(34 + 5·a·s/h)
    SelectiveTensor = 3,    // s·b·h·(10 + 24/t)
    SelectiveTensorSequence = 4, // s·b·h·34/t
    Full = 5,               // 2·s·b·h (the layer's input only)
};
double korthikantiBytes(Korthikanti form, double s, double b, double h, double a, double t);

} // namespace nc::core::train
