// Patterns (internal to nc_onnx): decides which NetCanvas layer each dynamic ONNX node, or group of
// nodes, becomes. Multi-node patterns (attention, patch embedding, decomposed norms, activation
// formulas, MatMul+Add) are tried first; what is left maps node by node or becomes Opaque.
#pragma once

#include "OnnxGraph.h"

#include "core/LayerParams.h"
#include "core/LayerType.h"
#include "core/Shape.h"

#include <optional>
#include <string>
#include <vector>

namespace nc::core::onnx::detail {

// One NetCanvas layer and the ONNX nodes it stands for.
struct Group {
    LayerType type = LayerType::Opaque;
    LayerParams params;
    std::vector<int> inputs;  // dynamic values feeding the layer, by port
    int output = -1;          // the value the layer produces
    std::vector<int> nodes;   // ONNX nodes absorbed (the output's producer included)
    std::vector<int> weights; // constant values whose sizes are this layer's parameters and state
    std::vector<int> fixedConsts; // constant values held as a fixed operand: stored, not parameters
    std::string name;
    std::string reason;       // why an Opaque layer is opaque ("" for unknown operators)
    int droppedInputs = 0;    // inputs not drawn (a computed attention mask)
    int64_t macs = 0;         // Opaque: multiply-accumulates per sample counted from the ONNX shapes
    bool alias = false;       // Identity: no layer, the output is the input
    // Output ports 1, 2, ... (LSTM/GRU's h_n, c_n): the value of each, -1 when nothing reads it.
    // `batchSecond`: the value is ONNX's (layers·dirs)×B×H state, the batch on axis 1 as PyTorch
    // leaves it; otherwise it carries the batch in front, as the port does.
    struct Extra {
        int value = -1;
        bool batchSecond = false;
    };
    std::vector<Extra> extraOutputs;
    bool outputUnread = false; // port 0 is a value nothing reads (an LSTM whose sequence is unused)
    // A Reshape layer placed after the layer, giving `output` this per-sample shape: one ONNX node
    // that is two NetCanvas kinds (Gather of one index = Slice then dropping the axis; a Transpose
    // that moves a unit batch axis into the sample).
    std::optional<Shape> reshapeAfter;
    // A Reshape layer in front of input 0, to this per-sample shape (nn.MultiheadAttention on
    // T×1×D, batch_first=False: the attention kind takes T×D).
    std::optional<Shape> reshapeBefore;
};

struct MatchStats {
    std::vector<std::string> notes;
};

class PatternMatcher {
public:
    PatternMatcher(const OnnxGraph& g, int64_t batch);

    // Every dynamic node ends in exactly one group (or is skipped when nothing uses its outputs).
    std::vector<Group> run(MatchStats& stats);

    // Batch axis handling: a value carries the batch on axis 0 (lead 1) when its rank is at least 2
    // and dim 0 equals the batch; otherwise (batch 1 only) its whole shape is one sample.
    int lead(int v) const;
    Shape perSample(int v) const;
    // Dynamic nodes left out because no graph output depends on them.
    int skippedNodes() const;

private:
    using Node = ox::NodeProto;

    // Graph access.
    const Node& node(int i) const { return m_g.node(i); }
    std::string op(int i) const; // "" for operators outside the default domain
    int in(int i, int k) const;  // value feeding input k of node i, -1 when absent
    int out(int i, int k = 0) const;
    int producer(int v) const { return v < 0 ? -1 : m_g.value(v).producer; }
    const Value& val(int v) const { return m_g.value(v); }
    bool dynamic(int v) const { return v >= 0 && val(v).dynamic; }
    bool isConst(int v) const { return v >= 0 && !val(v).dynamic; }
    std::optional<double> scalar(int v) const;
    std::optional<std::vector<int64_t>> constInts(int v) const;
    // Consumers that compute data (not Shape/Size/constants), at most `limit` of them.
    std::vector<int> dynConsumers(int v, size_t limit) const;
    bool used(int v) const;
    int64_t learnedValues(int v) const; // weight values the constant v is computed from        // a graph output, or read by some data node
    bool singleUse(int v) const;   // exactly one data consumer and not a graph output
    int soleConsumer(int v) const; // that consumer, or -1
    bool free(int i) const { return !m_claimed[static_cast<size_t>(i)]; }
    int64_t elements(int v) const;
    int opset() const { return m_g.opset(); }
    std::vector<int> dynamicInputs(int i) const;

    // Claims the nodes if they form a closed region producing `g.output`; false leaves them free.
    bool commit(Group g);
    // `extra`: further values the region may hand out (a layer's output ports 1, 2, ...).
    bool closed(const std::vector<int>& nodes, int output, const std::vector<int>& extra = {}) const;

    // Multi-node patterns.
    void matchAttention();
    // The patterns of AttentionPatterns.cpp: nn.MultiheadAttention's export (packed in-projection
    // cut by Slice or Split, heads as B·h×T×d), Llama's RMSNorm written out, the SwiGLU MLP.
    void matchPackedAttention();
    void matchRmsNormDecomposed();
    void matchSwiGlu();
    // Follows `v` up through Div or Mul by a constant scalar (a 1/√d scale), adding those nodes.
    int skipScale(int v, std::vector<int>& nodes) const;
    // A constant mask before the softmax. `where`: a Where condition, true where a score is
    // dropped; otherwise an additive mask, ≤ −1e4 where dropped and 0 elsewhere. Yes when its
    // contents are known and drop exactly the positions after each query (j > i) of a T×T map.
    // `why`: set when the contents cannot be read at all (a mask too large), for the import notes.
    bool causalMask(int mask, bool where, std::string* why = nullptr) const;
    struct MaskMatch {
        int scores = -1; // the value before the mask
        int mask = -1;   // the mask value (constant, or computed from an input)
        bool where = false;
    };
    // An additive mask (Add) or a Where filling −∞ at the softmax's input `scores`; adds the node.
    std::optional<MaskMatch> maskBefore(int scores, std::vector<int>& nodes) const;
    void matchPatchEmbed();
    void matchLayerNormDecomposed();
    void matchGroupNormDecomposed();
    void matchActivationFormulas();
    void matchPadConv();
    void matchLinear();
    void matchRecurrent();
    void matchEmbedding();
    // A Linear whose constant weight is the transposed copy of an Embedding's table (the exporter
    // writes one for a tied head) shares that table: `tied` on, the copy not counted.
    void tieHeads();
    // Single nodes.
    void mapNode(int i);

    struct LinearMatch {
        int x = -1, out = -1;
        int64_t inF = 0, outF = 0;
        std::vector<int> nodes, weights;
        bool bias = false;
    };
    // Linear ending at value `v` (MatMul[+Add] or Gemm), nodes still free.
    std::optional<LinearMatch> linearEndingAt(int v) const;
    // Linear starting at MatMul/Gemm node i.
    std::optional<LinearMatch> linearFrom(int i) const;

    bool convParams(int i, int x, LayerType& type, LayerParams& p, std::string& why) const;
    // Conv over 1 or 3 spatial axes, ConvTranspose over 1 or 2: the kinds of core/layers/ConvolutionNd.
    bool convNdParams(int i, int x, LayerType& type, LayerParams& p, std::string& why) const;

public:
    // Multiply-accumulates of node i counted from its ONNX shapes (all samples), for the operators
    // that multiply and accumulate (Conv, ConvTranspose, Gemm, MatMul, Einsum, LSTM, GRU, RNN);
    // nullopt for other operators or when a shape is unknown.
    std::optional<int64_t> shapeMacs(int i) const;
    // The same per sample: divided by the batch when the output carries it.
    int64_t sampleMacs(int i) const;

private:
    bool poolParams(int i, LayerParams& p, std::string& why) const;
    void opaque(int i, const std::string& why);
    std::string groupName(const std::vector<int>& nodes, int anchor) const;

    const OnnxGraph& m_g;
    int64_t m_batch;
    std::vector<char> m_claimed; // 1: in a group, 2: needs no layer (constant or unused)
    std::vector<char> m_live;    // some graph output depends on the node
    std::vector<int> m_position; // node index -> position in the topological order
    std::vector<Group> m_groups;
    MatchStats* m_stats = nullptr;
};

} // namespace nc::core::onnx::detail
