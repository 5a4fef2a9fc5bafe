// Activation: ReLU, ReLU6, LeakyReLU, Sigmoid, Tanh, SiLU, HardSwish, GELU and Softmax.
#include "ExplainWriter.h"
#include "KindSupport.h"

#include <charconv>

namespace nc::core::kinds {

namespace {

using W = ExplainWriter;

Result<LayerCosts> activationCosts(const LayerParams&, std::span<const Shape>, const Shape& out, LayerType t)
{
    return elementwiseCosts(out, layerKind(t).opsPerElement);
}

template <LayerType T>
Result<LayerCosts> costsOf(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return activationCosts(p, in, out, T);
}

void activationExplain(ExplainWriter& L)
{
    const int64_t per = layerKind(L.node.type).opsPerElement;
    L.text("out", "out = " + L.o.toString() + " (same as its input)");
    L.text("params", "params = 0");
    L.eq("ops", L.batchLabel("ops") + " (" + W::n(per) + " per element)",
         L.timesBatch(W::dimsProduct(L.o) + "·" + W::n(per)), L.r.otherOps);
}

std::string noSummary(const LayerParams&) { return {}; }
std::string slopeSummary(const LayerParams& p)
{
    char b[32];
    auto r = std::to_chars(b, b + sizeof b, p.slope);
    return "slope " + std::string(b, r.ptr);
}
std::string axisSummary(const LayerParams& p) { return "axis " + W::n(p.axis); }

template <kernels::OpKind K>
KernelPlan elementwiseKernel(const LayerParams& q, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = K;
    op.slope = static_cast<float>(q.slope);
    return singleKernel(op);
}

KernelPlan softmaxKernel(const LayerParams& q, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::Softmax;
    op.softmaxAxis = q.axis < 0 ? q.axis : q.axis + 1; // the kernel's axes include the batch
    return singleKernel(op);
}

Result<PyCode> inplacePy(const PyCtx& c)
{
    const LayerType t = c.node.type;
    const char* cls = t == LayerType::ReLU    ? "nn.ReLU("
                      : t == LayerType::ReLU6 ? "nn.ReLU6("
                      : t == LayerType::SiLU  ? "nn.SiLU("
                                              : "nn.Hardswish(";
    return PyCode{std::string(cls) + (c.inplaceSafe ? "inplace=True" : "") + ")", {}, {}};
}
Result<PyCode> leakyPy(const PyCtx& c)
{
    return PyCode{"nn.LeakyReLU(" + pyNum(c.node.params.slope) + (c.inplaceSafe ? ", inplace=True" : "") + ")", {}, {}};
}
Result<PyCode> sigmoidPy(const PyCtx&) { return PyCode{"nn.Sigmoid()", {}, {}}; }
Result<PyCode> tanhPy(const PyCtx&) { return PyCode{"nn.Tanh()", {}, {}}; }
Result<PyCode> geluPy(const PyCtx&) { return PyCode{"nn.GELU()", {}, {}}; }
Result<PyCode> softmaxPy(const PyCtx& c)
{
    const int64_t axis = c.node.params.axis;
    return PyCode{"nn.Softmax(dim=" + pyInt(axis >= 0 ? axis + 1 : axis) + ")", {}, {}};
}

Status reluOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    b.node("Relu", {c.ins[0]}, c.y, c.node.name);
    return {};
}
Status relu6Onnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const std::string& L = c.node.name;
    b.node("Clip", {c.ins[0], b.scalar(L + "/min", 0.0f), b.scalar(L + "/max", 6.0f)}, c.y, L);
    return {};
}
Status leakyOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    b.attrF(b.node("LeakyRelu", {c.ins[0]}, c.y, c.node.name), "alpha", c.node.params.slope);
    return {};
}
Status sigmoidOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    b.node("Sigmoid", {c.ins[0]}, c.y, c.node.name);
    return {};
}
Status tanhOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    b.node("Tanh", {c.ins[0]}, c.y, c.node.name);
    return {};
}
Status hardSwishOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    b.node("HardSwish", {c.ins[0]}, c.y, c.node.name);
    return {};
}
Status siluOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const std::string& L = c.node.name;
    std::string s = b.fresh(L + "/Sigmoid_output");
    b.node("Sigmoid", {c.ins[0]}, s, L + "/Sigmoid");
    b.node("Mul", {c.ins[0], s}, c.y, L + "/Mul");
    return {};
}
Status geluOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    onnxGelu(b, c.node.name, c.ins[0], c.y);
    return {};
}
Status softmaxOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const int64_t axis = c.node.params.axis;
    b.attr(b.node("Softmax", {c.ins[0]}, c.y, c.node.name), "axis", axis >= 0 ? axis + 1 : axis);
    return {};
}

Result<Shape> softmaxShape(const LayerParams& p, std::span<const Shape> in)
{
    int64_t r = in[0].rank();
    if (p.axis < -r || p.axis >= r)
        return Error{"axis " + str(p.axis) + " is out of range for input " + in[0].toString()};
    return in[0];
}

// Softmax over a spatial axis mixes every position of it.
void softmaxRf(const LayerParams& p, RfBuilder& b)
{
    int rank = b.inShapes[0].rank();
    int64_t ax = p.axis < 0 ? p.axis + rank : p.axis;
    if (rank == 3 && ax >= 1)
        b.global(static_cast<int>(ax - 1));
    else if (rank == 1)
        b.globalBoth();
}

const OnnxImportDecl kReluImport{{"Relu", "Clip"}};
const OnnxImportDecl kRelu6Import{{"Clip"}};
const OnnxImportDecl kLeakyImport{{"LeakyRelu"}};
const OnnxImportDecl kSigmoidImport{{"Sigmoid"}};
const OnnxImportDecl kTanhImport{{"Tanh"}};
const OnnxImportDecl kSiluImport{{"Sigmoid", "Mul"}};
const OnnxImportDecl kHardSwishImport{{"HardSwish"}};
const OnnxImportDecl kGeluImport{{"Gelu", "Erf", "Tanh", "Div"}};
const OnnxImportDecl kSoftmaxImport{{"Softmax"}};

struct ActivationDef {
    LayerType type;
    std::string_view key, label, doc;
    int64_t ops; // per element, README "Counting conventions"
    CostFn costs;
    KernelFn kernel;
    PyFn py;
    OnnxExportFn onnx;
    const OnnxImportDecl* import;
};

} // namespace

void registerActivation(std::vector<LayerKind>& k)
{
    using K = kernels::OpKind;
    using T = LayerType;
    const ActivationDef defs[] = {
        {T::ReLU, "relu", "ReLU", "max(0, x).", 1, costsOf<T::ReLU>, elementwiseKernel<K::ReLU>, inplacePy, reluOnnx,
         &kReluImport},
        {T::ReLU6, "relu6", "ReLU6", "min(max(0, x), 6).", 2, costsOf<T::ReLU6>, elementwiseKernel<K::ReLU6>,
         inplacePy, relu6Onnx, &kRelu6Import}, // max, min
        {T::LeakyReLU, "leaky_relu", "LeakyReLU", "x if x > 0 else slope·x.", 2, costsOf<T::LeakyReLU>,
         elementwiseKernel<K::LeakyReLU>, leakyPy, leakyOnnx, &kLeakyImport}, // mul, max
        {T::Sigmoid, "sigmoid", "Sigmoid", "1 / (1 + e^−x).", 3, costsOf<T::Sigmoid>, elementwiseKernel<K::Sigmoid>,
         sigmoidPy, sigmoidOnnx, &kSigmoidImport}, // exp, add, div
        {T::Tanh, "tanh", "Tanh", "tanh(x).", 5, costsOf<T::Tanh>, elementwiseKernel<K::Tanh>, tanhPy, tanhOnnx,
         &kTanhImport}, // 2·sigmoid(2x) − 1
        {T::SiLU, "silu", "SiLU", "Swish / SiLU: x·sigmoid(x).", 4, costsOf<T::SiLU>, elementwiseKernel<K::SiLU>,
         inplacePy, siluOnnx, &kSiluImport}, // sigmoid, mul
        {T::HardSwish, "hard_swish", "HardSwish", "x·ReLU6(x + 3)/6.", 5, costsOf<T::HardSwish>,
         elementwiseKernel<K::HardSwish>, inplacePy, hardSwishOnnx, &kHardSwishImport}, // add, max, min, mul, div
        {T::GELU, "gelu", "GELU", "x·Φ(x) (erf form).", 5, costsOf<T::GELU>, elementwiseKernel<K::GELU>, geluPy,
         geluOnnx, &kGeluImport}, // div, erf, add, mul, mul
    };
    for (const ActivationDef& d : defs) {
        LayerKind c;
        std::vector<AttrSpec> attrs{inplaceAttr()};
        if (d.type == T::LeakyReLU)
            attrs.push_back(floatAttr("slope", "Negative slope", &P::slope, -1e6, 1e6));
        c.spec = makeSpec(d.type, d.key, d.label, Category::Activation, d.doc, attrs);
        c.palette = {paletteEntry(c.spec, d.label, d.doc)};
        c.inplaceCapable = true;
        c.opsPerElement = d.ops;
        c.shape = sameShape;
        c.costs = d.costs;
        c.receptiveField = rfPassThrough; // elementwise: each output sees its own input position
        c.explain = activationExplain;
        c.summary = d.type == T::LeakyReLU ? slopeSummary : noSummary;
        c.kernel = d.kernel;
        c.pytorch = d.py;
        c.onnxExport = d.onnx;
        c.onnxImport = d.import;
        k.push_back(std::move(c));
    }

    LayerParams softmax;
    softmax.inplace = 0;
    LayerKind c;
    c.spec = makeSpec(T::Softmax, "softmax", "Softmax", Category::Activation, "e^xᵢ / Σⱼ e^xⱼ along one axis.",
                      {intAttr("axis", "Axis", &P::axis, -Shape::kMaxRank, Shape::kMaxRank - 1,
                               "per-sample axis (batch excluded); negative counts from the end")},
                      softmax);
    c.palette = {paletteEntry(c.spec, "Softmax", c.spec.doc)};
    c.opsPerElement = 5; // max, sub, exp, sum, div
    c.shape = softmaxShape;
    c.costs = costsOf<T::Softmax>;
    c.receptiveField = softmaxRf;
    c.explain = activationExplain;
    c.summary = axisSummary;
    c.kernel = softmaxKernel;
    c.pytorch = softmaxPy;
    c.onnxExport = softmaxOnnx;
    c.onnxImport = &kSoftmaxImport;
    k.push_back(std::move(c));
}

} // namespace nc::core::kinds
