// OnnxGraph (internal to nc_onnx): a checked, weight-free view of an ONNX main graph — values with
// their full shapes and small constant contents, nodes in topological order — built in two steps:
// load() parses and validates, resolveValues() folds constants and infers shapes node by node.
#pragma once

#include "core/Result.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace nc::core::onnx::detail {

namespace ox = ::onnx;

// Limits for untrusted files. Dimensions beyond kMaxDim or tensors beyond kMaxElements are "absurd":
// no real network has them, and they would overflow the figures.
inline constexpr int64_t kMaxDim = int64_t(1) << 31;
inline constexpr int64_t kMaxElements = int64_t(1) << 48;
inline constexpr int kMaxNodes = 200000;
inline constexpr int kMaxSubgraphDepth = 8;
inline constexpr int kMaxRank = 16;
inline constexpr int64_t kMaxConstElements = 4096; // integer constants kept and folded
inline constexpr uint64_t kMaxMaskBytes = uint64_t(64) << 20; // an attention mask read on demand: T = 4,096 in float32
inline constexpr int64_t kMaxRealConstElements = 64; // floating-point constants kept (scalars for patterns)
// Total constant contents held at once (kept initializers, folded values): a hostile file of many
// small constants must not turn into gigabytes of int64s.
inline constexpr int64_t kConstBudget = int64_t(1) << 22;

bool isRealType(int32_t t);
int elementBytes(int32_t t); // 0 where the data is not numeric (string, complex)

// A small constant tensor: integers and booleans as int64, floating point as double.
struct Tensor {
    int32_t type = ox::TensorProto::INT64;
    std::vector<int64_t> dims;
    std::vector<int64_t> ints;
    std::vector<double> reals;

    bool real() const { return isRealType(type); }
    size_t size() const { return real() ? reals.size() : ints.size(); }
    double value(size_t i) const { return real() ? reals[i] : static_cast<double>(ints[i]); }
    // Reals saturate: a hostile file's 3e32 or NaN cast to int64 is undefined behaviour, and no
    // shape, axis or index can use a value beyond the int64 range anyway.
    int64_t intValue(size_t i) const { return real() ? saturatingInt(reals[i]) : ints[i]; }
    static int64_t saturatingInt(double v)
    {
        if (!(v == v))
            return 0;
        if (v >= 9.2e18)
            return std::numeric_limits<int64_t>::max();
        if (v <= -9.2e18)
            return std::numeric_limits<int64_t>::min();
        return static_cast<int64_t>(v);
    }
};

// The contents of a TensorProto with at most maxElements elements. nullopt (no error) when it is
// larger, stored externally or of a non-numeric type; an Error when its data does not match its dims.
Result<std::optional<Tensor>> readTensor(const ox::TensorProto& t, int64_t maxElements);
void writeTensor(const Tensor& t, ox::TensorProto* out);
// Product of dims; nullopt on a negative dim or when beyond kMaxElements.
std::optional<int64_t> elementCount(const std::vector<int64_t>& dims);
std::string dimsText(const std::vector<int64_t>& dims); // "1×64×56×56", "scalar"

// Attribute access by name; defaults where absent.
const ox::AttributeProto* findAttr(const ox::NodeProto& n, const std::string& name);
int64_t attrInt(const ox::NodeProto& n, const std::string& name, int64_t def);
double attrFloat(const ox::NodeProto& n, const std::string& name, double def);
std::string attrString(const ox::NodeProto& n, const std::string& name, const std::string& def);
std::optional<std::vector<int64_t>> attrInts(const ox::NodeProto& n, const std::string& name);

struct Value {
    std::string name;
    int producer = -1;     // node index; -1 for graph inputs and initializers
    std::vector<int> consumers; // node indices (a node reading it twice appears twice); captures included
    bool graphInput = false;
    bool graphOutput = false;
    bool initializer = false;
    bool weightInput = false; // a graph input used only as a weight (Conv W, Gemm B, ...)
    bool frozenInput = false; // a graph input given constant contents by the caller
    bool dynamic = false;     // depends on a data input (else a constant)
    bool shapeKnown = false;
    std::vector<int64_t> dims; // full ONNX shape, batch first
    int32_t elemType = 0;
    std::optional<Tensor> data; // contents of a small constant
    bool paramRoot = false;     // a floating-point initializer or Constant output: weight-like values
    bool fixedConstant = false;  // an initializer NetCanvas wrote as a fixed operand (kFixedConstantDoc)
    bool learnedOperand = false; // an initializer NetCanvas wrote as a learned operand (kLearnedOperandDoc)
    // A float32 matrix's first values of row 0 and of column 0 (4 each), read before its data is
    // dropped: enough to recognise the transposed copy of a table the exporter wrote for a tied
    // weight (row 0 of one is column 0 of the other). Empty for other tensors.
    std::vector<float> fingerprint;
    int64_t rootElements = 0;
};

struct NodeInfo {
    std::vector<int> inputs;   // value index, -1 for an omitted optional input
    std::vector<int> captures; // outer values read by subgraphs (If, Loop, Scan bodies)
    std::vector<int> outputs;  // value index, -1 for an omitted optional output
    bool constant = false;     // every output is a constant (folded, or shape-only)
    bool folded = false;       // contents computed
    std::string noInference;   // why ONNX shape inference was not run or gave nothing (for errors)
};

class OnnxGraph {
public:
    // Parses and validates; strips weight data as soon as dims are known. Does not keep `bytes`.
    static Result<OnnxGraph> load(const char* bytes, size_t size);

    // Applies input shapes and symbols, then folds constants and infers every shape in order.
    Status resolveValues(const std::map<std::string, std::vector<int64_t>>& inputShapes,
                         const std::map<std::string, int64_t>& symbols,
                         const std::map<std::string, std::vector<double>>& constantInputs,
                         std::vector<std::string>& notes);

    const ox::GraphProto& graph() const { return m_model->graph(); }
    const ox::NodeProto& node(int i) const { return graph().node(i); }
    int nodeCount() const { return graph().node_size(); }
    const NodeInfo& info(int i) const { return m_nodes[static_cast<size_t>(i)]; }
    const std::vector<int>& order() const { return m_order; }
    std::vector<Value>& values() { return m_values; }
    const std::vector<Value>& values() const { return m_values; }
    const Value& value(int v) const { return m_values[static_cast<size_t>(v)]; }
    // The contents of an initializer shaped like an attention mask (1×…×1×T×T, T ≥ 2) even when it
    // is larger than the constants kept: read on demand, up to kMaxMaskBytes. nullopt with `why` set
    // when it cannot be read (too large, stored externally). A skipped payload is read in the bytes
    // given to load(), which must still be alive (the importer holds them for the whole import).
    std::optional<Tensor> maskContents(int v, std::string& why) const;
    int valueIndex(const std::string& name) const;
    const std::vector<int>& dataInputs() const { return m_dataInputs; }
    const std::vector<int>& graphOutputs() const { return m_outputs; }
    int opset(const std::string& domain = "") const;
    const std::unordered_map<std::string, int>& opsets() const { return m_opsets; }
    // File value_info and output shapes as they were before any inference (dim -1: unknown or symbolic).
    const std::unordered_map<std::string, std::vector<int64_t>>& fileShapes() const { return m_fileShapes; }
    std::string metadata(const std::string& key) const;
    std::string producerName() const { return m_model->producer_name(); }
    std::string graphName() const { return graph().name(); }

    // Runs ONNX's shape inference for node i alone, on the current shapes and constants of its inputs.
    // False when ONNX cannot infer (no schema, unknown input shapes, an inference error).
    bool inferNode(int i, std::vector<std::vector<int64_t>>& dims, std::vector<int32_t>& types,
                   std::string& why) const;
    // Whether node i may be shown to ONNX's shape inference: ONNX's checker accepts it (schema,
    // attributes, subgraphs) and its inputs have the ranks its inference function indexes without
    // checking. Empty when safe, else the reason. Debian's libonnx 1.12 crashes (reads out of
    // bounds) on nodes that fail these checks, so they are never passed to it.
    std::string unsafeForInference(int i) const;

    // Releases the protobuf model (called by the importer once the design is built).
    void release();

private:
    Status index();
    Status collectCaptures(const ox::GraphProto& g, int depth, std::vector<std::string>& out,
                           std::unordered_multiset<std::string>& defined) const;
    // Charges `n` elements to the constant budget; false (and a note) once it is spent.
    bool spend(int64_t n);
    Status resolveNode(int i, std::vector<std::string>& notes);

    std::unique_ptr<ox::ModelProto> m_model;
    std::vector<Value> m_values;
    std::unordered_map<std::string, int> m_byName;
    std::vector<NodeInfo> m_nodes;
    std::vector<int> m_order;
    std::vector<int> m_dataInputs;
    std::vector<int> m_outputs;
    std::unordered_map<std::string, int> m_opsets;
    std::unordered_map<std::string, std::vector<int64_t>> m_fileShapes;
    std::unordered_map<int, uint64_t> m_skippedRaw; // initializer index -> raw_data bytes never parsed
    std::unordered_map<int, std::vector<float>> m_skippedFingerprint; // their tie-check samples
    // Mask-shaped initializers (see maskContents): the value's skipped payload in load()'s bytes,
    // or the contents of one parsed but too large to keep as a constant.
    std::unordered_map<int, std::pair<const char*, uint64_t>> m_skippedPayload; // initializer index ->
    std::unordered_map<int, int> m_maskInitializer;                            // value -> initializer index
    std::unordered_map<int, Tensor> m_maskKept;                                // value -> contents
    int64_t m_constBudget = kConstBudget;
    bool m_budgetNoted = false;
};

// Folds node n whose inputs all have contents (Shape and Size need only the input shape, passed as
// `inputDims`). nullopt when the operator is not foldable here or the result would be too large.
std::optional<std::vector<Tensor>> foldNode(const ox::NodeProto& n, int opset,
                                            const std::vector<const Tensor*>& inputs,
                                            const std::vector<const std::vector<int64_t>*>& inputDims);

} // namespace nc::core::onnx::detail
