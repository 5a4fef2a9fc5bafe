// Deployment: the graph a microcontroller runtime actually executes, derived from the analysis of the
// training graph, as a memory graph of operations and the buffers they allocate, read and overwrite.
//
//   Network net = loadDesign("zoo:mobilenet_v2").value();
//   net.bits = 8;
//   AnalysisResult a = analyze(net);
//   MemoryGraph g = buildMemoryGraph(net, a, {}).value();   // deployment view
//   Timeline t = evaluateOrder(g, defaultOrder(g));           // Schedule.h
//   t.peakBytes;                                              // 1,404,928 at "features.2.expand"
//
// The deployment view does what TFLite Micro and TinyEngine do to a trained network:
// - BatchNorm folds into the convolution, depthwise convolution or linear layer before it when that
//   layer's only consumer is the BatchNorm: γ, β and the running statistics become the layer's weight
//   scale and bias, so the layer gains a bias if it had none and the BatchNorm stores nothing.
// - A pointwise activation fuses into the operation producing its input (convolutions, linear,
//   pooling, Add, Multiply, Concat) when it is that output's only consumer; one activation per op.
// - Add writes in place into its first operand that dies there (this Add is its only reader and it is
//   neither a network input nor output); a standalone activation or unfolded BatchNorm likewise.
// - Depthwise convolution (multiplier 1) runs in place in its input's buffer when the input dies
//   there, with one padded input channel of scratch (TinyEngine copies each channel there first).
// - Dropout disappears; views (Flatten, Reshape, class-token select, every piece of a Split) alias
//   their input.
// - Each output port of an op is a buffer of its own (an LSTM's output, h_n and c_n), live until its
//   own last reader; the training view keeps them together, as the analysis does.
// - Attention runs as flash attention (Dao et al., 2022): its scratch holds Q, K, V and the merged
//   heads (4·T·D, as before), each query's running maximum and sum per head (2·heads·T) and one
//   block of scores for one head, T × min(T, 64) — instead of the heads×T×T attention map.
// - A causal self-attention layer's KV cache (LayerResult::kvCacheBytes: K and V of every token of the
//   context, see Analysis) is a persistent buffer of its own, live over the whole run.
// With `deploy` off the same graph reproduces the training view's memory model of analyze(): views
// alias and activations marked `inplace` overwrite an input they are the sole consumer of.
#pragma once

#include "core/Analysis.h"

#include <vector>

namespace nc::core::deploy {

// Values are pinned: the CLI's JSON shows them as strings, but keep them stable for tools.
enum class Role : uint8_t {
    Op = 0,              // executed as an operation of its own
    FoldedBatchNorm = 1, // folded into `into`
    FusedActivation = 2, // fused into `into`
    Dropped = 3,         // Dropout at inference: nothing runs, the output is the input
    View = 4,            // aliases the tensor of `into`
};
const char* roleKey(Role r); // "op", "folded", "fused", "dropped", "view"

struct DeployOptions {
    bool deploy = true;           // false: the training view (analyze()'s memory model)
    bool inplaceDepthwise = true; // TinyEngine's in-place depthwise convolution
    bool flashAttention = true;   // deployment only: attention without the heads×T×T map
};

// What became of one layer of the network (indexed like Network::nodes()).
struct LayerDeploy {
    Role role = Role::Op;
    int into = -1;         // node index of the op that now computes this layer's output
    int op = -1;           // index into MemoryGraph::ops when role == Op
    bool inPlace = false;  // the op overwrites one of its inputs' buffer
    int64_t params = 0;    // parameters after folding
    int64_t state = 0;     // non-learnable stored values after folding
};

// One executed operation: a step of a schedule.
struct MemOp {
    int node = -1;              // node index of the layer it runs
    std::vector<int> deps;      // ops that must run first (the producers of what it reads)
    std::vector<int> reads;     // buffers it reads
    int buffer = -1;            // buffer it writes (its own, or an input's when in place): output port 0
    std::vector<int> extraBuffers; // deployment view: its own buffers for output ports 1, 2, ... (LSTM h_n, c_n)
    bool allocates = true;      // false when port 0 is written in place (extra ports always allocate)
    int64_t scratchBytes = 0;   // live only while the op runs
    int64_t outputBytes = 0;    // bytes of the tensor it writes
};

// One allocation in the arena: from its producer's step to the step of its last reader.
struct MemBuffer {
    int producer = -1;          // op that allocates it
    int64_t bytes = 0;
    int port = 0;               // output port of the producer's layer it holds
    std::vector<int> readers;   // ops reading it through any alias, including ops writing in place
    bool output = false;        // holds a network output: lives to the end of the schedule
    // Lives from the first step to the last whatever the order: the KV cache of a causal attention
    // layer (autoregressive decoding keeps K and V of every token of the context). Nobody reads it
    // through the graph; `producer` is the attention op that owns it.
    bool persistent = false;
};

struct MemoryGraph {
    std::vector<MemOp> ops;         // in the analysis' schedule order (the default order)
    std::vector<MemBuffer> buffers;
    std::vector<LayerDeploy> layers;// by node index
    int64_t params = 0;             // after folding
    int64_t state = 0;
    int folded = 0;                 // BatchNorms folded
    int fused = 0;                  // activations fused
};

// Fails, naming the first layer with an error, when the analysis has errors or blocked layers, and
// when all buffers and scratch together exceed 2^63 bytes (so every sum of them fits in 64 bits).
Result<MemoryGraph> buildMemoryGraph(const Network& net, const AnalysisResult& a, const DeployOptions& options);

} // namespace nc::core::deploy
