// LayerKind: everything NetCanvas knows about one kind of layer, in one place.
//
// A kind is a value: its attributes and palette entries (data), pure rules over hyper-parameters and
// input shapes (output shape, costs, receptive field), the inspector's formula lines, and the facets
// other parts need (kernel plan for the runner, ONNX export, ONNX import, PyTorch export). Each kind
// or small family of kinds lives in one file under core/layers/ and is registered from one explicit
// function, registerAllKinds() (Registry.cpp) — no static self-registration.
//
//   const LayerKind& k = layerKind(LayerType::Conv2d);
//   Shape in{3, 224, 224};
//   Result<Shape> out = k.shape(k.spec.defaults, {&in, 1});   // 64×224×224
//
// A facet that does not apply is declared with a reason (Facet::na("...")), never left out:
// tests/core/tst_layerkinds walks every kind and fails on a missing facet.
#pragma once

#include "core/Catalogue.h"
#include "core/LayerRules.h"
#include "core/Result.h"
#include "core/kernels/KernelOp.h"

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nc::core {

struct Node;
struct LayerResult;
struct RfStep;
class ExplainWriter;

// A facet that either has an implementation or states why it does not apply.
template <typename Fn>
struct Facet {
    Fn fn = nullptr;
    std::string_view notApplicable; // why the facet does not apply to this kind
    static Facet na(std::string_view why)
    {
        Facet f;
        f.notApplicable = why;
        return f;
    }
    Facet() = default;
    Facet(Fn f) : fn(f) {}
    bool declared() const { return fn != nullptr || !notApplicable.empty(); }
    bool applies() const { return fn != nullptr; }
};

// ---- receptive field --------------------------------------------------------------------------

// The receptive-field rule of a kind works on `r`, which starts as the field of the input that
// carries the spatial axes (ties broken by the largest field). Overflow of any product is recorded
// as an error instead of wrapping.
class RfBuilder {
public:
    ReceptiveField r;
    std::span<const ReceptiveField> inputs;
    std::span<const Shape> inShapes;
    Shape out;
    bool overflow = false;
    std::vector<RfStep>* trace = nullptr; // receives window() and global() calls when set

    // Sliding window along axis a: r' = r + (k_eff − 1)·j, j' = j·s,
    // start' = start + ((k_eff − 1)/2 − pad)·j.
    void window(int a, int64_t k, int64_t s, int64_t d, int64_t padBefore, int64_t outLen);
    // Every output position sees the whole extent of axis a.
    void global(int a);
    void globalBoth()
    {
        global(0);
        global(1);
    }
    void lose() { r = ReceptiveField{}; }

private:
    // Positions along axis a of the input (input 0's spatial axes: C×H×W → H, W).
    int64_t inExtent(int a) const { return r.extent[a]; }
};

// ---- kernel plan ------------------------------------------------------------------------------

// One kernel call of a layer: `sources` index earlier sub-operations (>= 0) or the layer's inputs
// (−1 is input 0, −2 input 1, ...).
struct KernelSub {
    kernels::KernelOp op;
    std::vector<int> sources;
};

struct KernelPlan {
    enum class Kind { Compute, Input, View, Unsupported };
    Kind kind = Kind::Compute;
    std::vector<KernelSub> subs;
    bool patchTokens = false; // PatchEmbed: reshape the convolution's output into tokens
    std::string note;         // why a layer is unsupported, or which fallback runs it
};

// ---- PyTorch export ---------------------------------------------------------------------------

struct PyCtx {
    const Node& node;
    std::span<const Shape> in; // per-sample input shapes
    const Shape& out;
    const std::vector<std::string>& ins; // Python expressions of the inputs
    std::string attr;                    // the module attribute name (self.<attr>)
    std::string outVar;                  // the variable to assign (output port 0)
    std::vector<std::string> outVars;    // one per output port; outVars[0] == outVar
    bool inplaceSafe = false;            // the input is this layer's alone: inplace=True is allowed
    // Reserves a unique attribute name for an extra nn.Parameter of this layer ("_cls_token").
    std::function<std::string(const std::string& suffix)> newParam;
    // A tied layer (LayerKind::tie): the module attribute of the layer whose weight it shares.
    std::string tiedAttr;
};

// `module` is the constructor expression ("nn.Conv2d(3, 64, ...)"), or empty for layers that are an
// expression in forward(). `forward` are the statements of forward(); empty means
// "<out> = self.<attr>(<input 0>)".
struct PyCode {
    std::string module;
    std::vector<std::string> forward;
    std::vector<std::string> init; // extra __init__ lines: "self.name = nn.Parameter(torch.zeros(...))"
};

// ---- ONNX export ------------------------------------------------------------------------------

// The ONNX writer as a kind sees it: nodes, attributes and initializers, without protobuf types,
// so the kind files stay free of the ONNX library (core/onnx implements it).
// The doc_strings of the operand initializers NetCanvas writes (OnnxBuilder::operand).
inline constexpr std::string_view kFixedConstantDoc = "netcanvas: fixed constant (not a learned parameter)";
inline constexpr std::string_view kLearnedOperandDoc = "netcanvas: learned operand (a parameter)";

class OnnxBuilder {
public:
    enum class Fill { Random, Zeros, Ones };
    virtual ~OnnxBuilder() = default;
    virtual std::string fresh(const std::string& want) = 0;
    // Adds a node and returns its handle for the attribute calls.
    virtual int node(const std::string& op, std::vector<std::string> ins, const std::string& out,
                     const std::string& name) = 0;
    // A node with several outputs (Split).
    virtual int node(const std::string& op, std::vector<std::string> ins, const std::vector<std::string>& outs,
                     const std::string& name) = 0;
    virtual void attr(int node, const std::string& name, int64_t v) = 0;
    virtual void attr(int node, const std::string& name, std::vector<int64_t> v) = 0;
    virtual void attrF(int node, const std::string& name, double v) = 0;
    virtual void attrS(int node, const std::string& name, const std::string& v) = 0;
    virtual std::string weight(const std::string& want, const std::vector<int64_t>& dims, Fill fill,
                               int64_t fanIn = 1) = 0;
    // Add/Multiply's operand as a float initializer whose doc_string says what it is: kFixedConstantDoc
    // (not a parameter) or kLearnedOperandDoc, read back by the importer, which could not tell a small
    // weight from a constant otherwise.
    virtual std::string operand(const std::string& want, const std::vector<int64_t>& dims, Fill fill, bool fixed) = 0;
    virtual std::string ints(const std::string& want, const std::vector<int64_t>& values, bool scalar = false) = 0;
    virtual std::string scalar(const std::string& want, float v) = 0;
    // A constant float tensor with the given values (row-major; rotary tables, attention masks).
    virtual std::string floats(const std::string& want, const std::vector<int64_t>& dims,
                               const std::vector<float>& values) = 0;
    // A 1-D constant float tensor (the values of a Resize scales input).
    virtual std::string floats(const std::string& want, const std::vector<float>& values) = 0;
    virtual int64_t batch() const = 0;
};

struct OnnxCtx {
    const Node& node;
    std::span<const Shape> in;
    const Shape& out;
    const std::vector<std::string>& ins; // input tensor names
    const std::string& y;                // output tensor name (output port 0)
    const std::vector<std::string>& ys;  // one per output port; ys[0] == y
    const Node* tied = nullptr;          // a tied layer (LayerKind::tie): the layer whose weight it shares
};

// ONNX operators the importer maps onto this kind: its one-to-one mappings and every operator its
// patterns consume (LayerNorm's decomposed Sub, Pow, Sqrt, Div). The importer's supported-operator
// list is these declarations plus the operators it folds (isSupportedOperator()).
struct OnnxImportDecl {
    std::vector<std::string_view> opTypes;
};

// ---- the kind ---------------------------------------------------------------------------------

using ShapeFn = Result<Shape> (*)(const LayerParams&, std::span<const Shape>);
using ExtraOutputsFn = std::vector<Shape> (*)(const LayerParams&, std::span<const Shape>, const Shape&);
using CostFn = Result<LayerCosts> (*)(const LayerParams&, std::span<const Shape>, const Shape&);
using RfFn = void (*)(const LayerParams&, RfBuilder&);
using ExplainFn = void (*)(ExplainWriter&);
using SummaryFn = std::string (*)(const LayerParams&);
using KernelFn = KernelPlan (*)(const LayerParams&, std::span<const Shape>, const Shape&);
using PyFn = Result<PyCode> (*)(const PyCtx&);
using OnnxExportFn = Status (*)(OnnxBuilder&, const OnnxCtx&);

// Weight tying: a layer that shares the table of an upstream layer of kind `kind` whose `vocab`
// (rows) and `features` (columns) match. The analysis finds it among the layer's ancestors (the
// earliest in the schedule when several match), reports it, and refuses the layer when none does.
struct TieRequest {
    LayerType kind;
    int64_t rows;
    int64_t cols;
};
using TieFn = std::optional<TieRequest> (*)(const LayerParams&, std::span<const Shape>);
// Values a decoder layer keeps per token of context and per sample (its K and V: 2·kv_heads·head_dim);
// 0 when it keeps none. The analysis multiplies by the context length, batch and bit width.
using KvCacheFn = int64_t (*)(const LayerParams&, std::span<const Shape>);

struct LayerKind {
    LayerSpec spec;                    // type, key, label, category, doc, attributes, defaults, ports
    std::vector<PaletteEntry> palette; // at least one entry, except for kinds only imports create

    // Storage behaviour: a view stores nothing (Flatten); an in-place-capable kind may overwrite its
    // input when its `inplace` attribute is on and it is the input's only reader (activations).
    bool view = false;
    bool inplaceCapable = false;
    // Has spatial windows, so tests must give it a receptive-field row.
    bool spatial = false;
    // Elementwise kinds: operations per output element (README "Counting conventions").
    int64_t opsPerElement = 0;
    // Deployment (core/deploy): the layer's output stage can apply an activation before storing
    // (TFLite's fused activation), and a BatchNorm right after it folds into its weights.
    bool fusesActivation = false;
    bool absorbsBatchNorm = false;
    // Stem of the names the editor gives new layers ("conv" → conv1, conv2); the file key when empty.
    std::string_view nameStem;
    // Sliding-window kinds: the window's area (kh·kw); the receptive-field chart counts a layer with an
    // area above 1 as one step of the stacked-layers reference L·(k − 1) + 1. Null for other kinds.
    int64_t (*windowArea)(const LayerParams&) = nullptr;
    // Optional: weight tying (Linear's `tied`) and the KV cache of causal attention.
    TieFn tie = nullptr;
    KvCacheFn kvCachePerToken = nullptr;

    ShapeFn shape = nullptr; // output port 0
    // Kinds with several outputs (spec.outputsFor): the shapes of ports 1, 2, ...; called after
    // `shape` succeeded, so it may rely on what `shape` checked.
    ExtraOutputsFn extraOutputs = nullptr;
    // Ports 1, 2, ... are by-products (LSTM's h_n and c_n, which PyTorch returns beside the sequence):
    // one nobody reads is not a network output of an export. Split's pieces are not: each is an output.
    bool extraOutputsOptional = false;
    CostFn costs = nullptr;
    RfFn receptiveField = nullptr;
    ExplainFn explain = nullptr;
    SummaryFn summary = nullptr; // the node's second line: "3×3 s2 p1"; may return ""

    Facet<KernelFn> kernel;
    Facet<PyFn> pytorch;
    Facet<OnnxExportFn> onnxExport;
    Facet<const OnnxImportDecl*> onnxImport;
};

// The registered kind of `t`. Every LayerType value has exactly one (checked at start-up).
const LayerKind& layerKind(LayerType t);
// Every registered kind, in LayerType order.
std::span<const LayerKind> layerKinds();
// Problems found when the kinds were registered (duplicate or missing kinds, missing facets);
// empty when the table is complete. The registry refuses to start when this is not empty.
std::vector<std::string> kindRegistryProblems(std::span<const LayerKind> kinds);

} // namespace nc::core
