// Input and Opaque: the kinds whose output shape is given rather than computed.
#include "ExplainWriter.h"
#include "KindSupport.h"

namespace nc::core::kinds {

namespace {

Result<Shape> inputShape(const LayerParams& p, std::span<const Shape>)
{
    if (p.dims.empty())
        return Error{"shape is empty; give at least one dimension, e.g. 3,224,224"};
    for (int64_t d : p.dims)
        if (d <= 0)
            return Error{"shape " + p.dims.toString() + " has a size ≤ 0; every dimension must be positive"};
    if (!p.dims.elements())
        return overflow("input size");
    return p.dims;
}

Result<LayerCosts> noCosts(const LayerParams&, std::span<const Shape>, const Shape&) { return LayerCosts{}; }

// The input's field is set up by the analysis (a C×H×W input starts a field of 1 per pixel).
void inputRf(const LayerParams&, RfBuilder&) {}

void inputExplain(ExplainWriter& L)
{
    L.text("out", "out = " + L.o.toString() + " (given; the batch of " + ExplainWriter::n(L.B) +
                      " is a network setting)");
}

std::string noSummary(const LayerParams&) { return {}; }

KernelPlan inputKernel(const LayerParams&, std::span<const Shape>, const Shape&)
{
    KernelPlan p;
    p.kind = KernelPlan::Kind::Input;
    return p;
}

Result<Shape> opaqueShape(const LayerParams& p, std::span<const Shape>)
{
    for (int64_t d : p.dims)
        if (d <= 0)
            return Error{"output shape " + p.dims.toString() + " is unknown or not positive"};
    if (p.dims.empty() || !p.dims.elements())
        return Error{"output shape is empty or too large"};
    return p.dims;
}

// A reshape that keeps a C×H×W layout keeps the field; anything else loses spatial meaning.
void opaqueRf(const LayerParams&, RfBuilder& b)
{
    const Shape& in = b.inShapes[0];
    if (b.out.rank() == 3 && in.rank() == 3 && b.out[1] == in[1] && b.out[2] == in[2])
        return;
    b.lose();
}

// The importer counts a multiply-accumulate operator's MACs from its ONNX shapes (per sample) and the
// weight values it consumes as its parameters; other operations are unknown and read as 0.
Result<LayerCosts> opaqueCosts(const LayerParams& p, std::span<const Shape>, const Shape&)
{
    LayerCosts c;
    c.macs = p.opaqueMacs;
    c.params = p.opaqueParams;
    return c;
}

void opaqueExplain(ExplainWriter& L)
{
    L.text("out", "out = " + L.o.toString());
    L.text("params", "params = " + ExplainWriter::n(L.r.params) + " (the weight values the operator consumes)");
    if (L.r.macs > 0)
        L.text("MACs", "MACs = " + ExplainWriter::n(L.r.macs) + " (counted by the importer from the operator's shapes)");
    else
        L.text("MACs", "MACs, other operations: not modelled");
}

std::string opaqueSummary(const LayerParams& p) { return "→" + p.dims.toString(); }

KernelPlan opaqueKernel(const LayerParams&, std::span<const Shape>, const Shape&)
{
    KernelPlan p;
    p.kind = KernelPlan::Kind::Unsupported;
    p.note = "no kernel for an imported operator NetCanvas does not model";
    return p;
}

Result<PyCode> opaquePy(const PyCtx& c)
{
    const std::string& x = c.ins[0];
    std::vector<std::string> d{x + ".shape[0]"};
    for (int64_t v : c.node.params.dims)
        d.push_back(pyInt(v));
    return PyCode{{},
                  {"# \"" + c.node.name + "\" is an operator NetCanvas does not model; zeros of its shape stand in",
                   c.outVar + " = " + x + ".new_zeros(" + pyJoin(d) + ")"},
                  {}};
}

} // namespace

void registerInput(std::vector<LayerKind>& k)
{
    LayerParams d;
    d.dims = Shape{3, 224, 224};
    LayerKind c;
    c.spec = makeSpec(LayerType::Input, "input", "Input", Category::Input,
                      "Network input. Shape per sample, batch excluded (the batch is a network setting): "
                      "3×224×224 for an RGB image, T×D for tokens, F for a vector.",
                      {dimsAttr("shape", "Shape", "per-sample dimensions, e.g. 3,224,224")}, d, 0);
    c.palette = {paletteEntry(c.spec, "Input", "network input")};
    c.shape = inputShape;
    c.costs = noCosts;
    c.receptiveField = inputRf;
    c.explain = inputExplain;
    c.summary = noSummary;
    c.kernel = inputKernel;
    c.pytorch = Facet<PyFn>::na("an input is an argument of forward(), written by the exporter");
    c.onnxExport = Facet<OnnxExportFn>::na("an input is a graph input, written by the exporter");
    c.onnxImport = Facet<const OnnxImportDecl*>::na("graph inputs become Input layers in the importer");
    k.push_back(std::move(c));
}

void registerOpaque(std::vector<LayerKind>& k)
{
    LayerParams d;
    d.dims = Shape{1};
    d.inputs = 1;
    LayerKind c;
    c.spec = makeSpec(LayerType::Opaque, "opaque", "Opaque", Category::Reshape,
                      "An operator NetCanvas does not model (from an imported file): passes the output shape "
                      "it was given, keeps every input it reads, counts the weight values it consumes as "
                      "parameters and no operations — except the MACs of a multiply-accumulate operator (MatMul, Conv, Gemm, Einsum, LSTM, "
                      "GRU, RNN), which the importer counts from its shapes.",
                      {dimsAttr("shape", "Output shape", "per-sample output shape"),
                       intAttr("inputs", "Inputs", &P::inputs, 1, 4096),
                       intAttr("macs", "MACs (from shapes)", &P::opaqueMacs, 0, 1e18,
                               "multiply-accumulates per sample the importer counted from the operator's shapes"),
                       intAttr("params", "Parameters", &P::opaqueParams, 0, 1e15,
                               "weight values (initializers, constants) the operator consumes")},
                      d);
    c.spec.variadicInputs = true;
    // No palette entry: only an import creates one.
    c.shape = opaqueShape;
    c.costs = opaqueCosts;
    c.receptiveField = opaqueRf;
    c.explain = opaqueExplain;
    c.summary = opaqueSummary;
    c.kernel = opaqueKernel;
    c.pytorch = opaquePy;
    c.onnxExport = Facet<OnnxExportFn>::na("an operator NetCanvas does not model has nothing to write");
    c.onnxImport = Facet<const OnnxImportDecl*>::na("any operator no other kind maps becomes opaque");
    k.push_back(std::move(c));
}

} // namespace nc::core::kinds
