// Analysis: one pass over the network in a topological schedule that computes every figure the tool
// shows — shapes, parameters, model size, MACs, FLOPs, other ops, activations, receptive field, live
// memory and its peak — per layer and for the network.
//
//   Network net = loadZoo("resnet18").value();
//   AnalysisResult a = analyze(net);
//   a.totals.params;                                  // 11,689,512
//   a.layer(net.nodes()[1].id, net)->output.toString(); // "64×112×112" (conv1)
//
// Pure function of the Network; cheap enough to re-run on every edit (see README "Speed").
#pragma once

#include "LayerRules.h"
#include "Network.h"

#include <string>
#include <vector>

namespace nc::core {

enum class LayerStatus : uint8_t {
    Ok = 0,
    Error = 1,   // this layer is wrong; `message` says what to change
    Blocked = 2, // fine as far as we know, but an upstream layer has an error (or a cycle feeds it)
};

// Bytes for `elements` values of `bits` bits each, rounded up to whole bytes.
int64_t bytesFor(int64_t elements, int bits);

struct LayerResult {
    NodeId id;
    int nodeIndex = -1;    // index in Network::nodes()
    int step = -1;         // position in the schedule
    LayerType type = LayerType::Input;
    LayerStatus status = LayerStatus::Ok;
    std::string message;   // error text, starting with the layer name
    int firstInput = 0;    // input shapes are AnalysisResult::inputShapes[firstInput .. +inputCount)
    int inputCount = 0;
    Shape output;          // per sample; output port 0
    std::vector<Shape> extraOutputs; // ports 1, 2, ... of layers with several outputs (Split)
    LayerCosts perSample;  // costs of one sample (params/state are batch-independent)
    int bits = 32;         // effective bit width (layer override or network setting)
    int64_t params = 0;
    int64_t state = 0;     // non-learnable stored values (BatchNorm running statistics)
    int64_t modelBytes = 0;
    int64_t macs = 0;      // × batch
    int64_t flops = 0;     // 2 × macs
    int64_t paddingMacs = 0; // × batch: the part of macs that multiplies zero padding (LayerCosts)
    int64_t otherOps = 0;  // × batch
    int64_t outputElements = 0; // × batch, whether stored or not
    bool stored = false;        // false for views and in-place activations (they reuse their input)
    int64_t activations = 0;    // elements newly stored by this layer × batch (0 when !stored)
    int64_t activationBytes = 0;
    int64_t workspaceBytes = 0; // live only while the layer runs (attention map, MLP hidden)
    int64_t lectureMemory = 0;  // the lecture's "input + output" activation elements for this layer
    int64_t liveBytes = 0;      // bytes live at this step of the schedule (DAG-aware)
    ReceptiveField rf;
    // Decoders: the K and V this layer keeps for `kvContext` tokens (× batch, at the layer's bits).
    int64_t kvContext = 0;
    int64_t kvCacheBytes = 0;
    // Weight tying: the layer whose table this one shares (its parameters are counted there).
    NodeId tiedTo;
    std::string tiedName;
};

// One stored tensor and the steps during which it is alive (for the stacked memory timeline).
struct LiveBuffer {
    NodeId owner;      // the layer that allocated it
    int64_t bytes = 0;
    int firstStep = 0;
    int lastStep = 0;  // inclusive: the step of its last reader, or the end for network outputs
};

struct AnalysisTotals {
    int64_t params = 0;
    int64_t state = 0;
    int64_t modelBytes = 0;          // at each layer's effective bit width
    int64_t modelBytesAt[4] = {};    // uniformly at each of kBitWidths (BitWidth.h): 32, 16, 8 and 4 bits
    int64_t macs = 0;
    int64_t flops = 0;
    int64_t otherOps = 0;
    int64_t activations = 0;         // lecture convention: network input + every stored output
    int64_t activationBytes = 0;
    int64_t peakActivations = 0;     // lecture convention: max over layers of input + output
    NodeId peakActivationsLayer;
    int64_t peakLiveBytes = 0;       // DAG-aware: max over steps of the bytes live
    NodeId peakLiveLayer;
    ReceptiveField rf;               // of the last layer in the schedule with a valid field
    int64_t trainingBytes = 0;       // activation memory kept for a backward pass at this batch
    int64_t kvCacheBytes = 0;        // decoders: K and V of every causal attention layer for the context
    int errors = 0;
    int blocked = 0;
};

struct AnalysisResult {
    std::vector<LayerResult> layers;   // schedule order
    std::vector<int> byNode;           // node index -> index into layers
    std::vector<Shape> inputShapes;
    std::vector<LiveBuffer> buffers;
    AnalysisTotals totals;
    int64_t batch = 1;
    int bits = 32;

    const LayerResult* layer(NodeId id, const Network& net) const;
    const LayerResult* layerAtNode(int nodeIndex) const
    {
        if (nodeIndex < 0 || nodeIndex >= static_cast<int>(byNode.size()))
            return nullptr;
        return &layers[static_cast<size_t>(byNode[static_cast<size_t>(nodeIndex)])];
    }
    std::span<const Shape> inputsOf(const LayerResult& l) const
    {
        return {inputShapes.data() + l.firstInput, static_cast<size_t>(l.inputCount)};
    }
};

AnalysisResult analyze(const Network& net);

// Figures of a set of layers (a selection), summed with saturation; layers with errors count 0.
struct LayerSums {
    int layers = 0;
    int64_t params = 0;
    int64_t modelBytes = 0;
    int64_t macs = 0;
    int64_t activationBytes = 0;
};
LayerSums sumLayers(const AnalysisResult& a, const Network& net, std::span<const NodeId> ids);

} // namespace nc::core
