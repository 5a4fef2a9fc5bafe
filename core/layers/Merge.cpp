// Merge: Add, Multiply (with broadcasting) and Concat — the kinds that join several tensors.
// Add and Multiply may also hold an operand of shape `operand` (LayerParams::dims), joined like one
// more input: learned (ConvNeXt's layer scale γ, C×1×1, x·γ; a learned table added to the tokens, T×D)
// or, with `operand_fixed`, a fixed constant stored with the model but never trained (q·head_dim^−½,
// Swin's shifted-window mask): PyTorch's buffer, not a parameter, so it counts as state, as
// BatchNorm's running statistics do.
#include "ExplainWriter.h"
#include "KindSupport.h"

namespace nc::core::kinds {

namespace {

using W = ExplainWriter;

bool hasOperand(const LayerParams& p) { return p.dims.rank() > 0; }
bool fixedOperand(const LayerParams& p) { return hasOperand(p) && p.fixedOperand != 0; }
const char* operandWord(const LayerParams& p) { return fixedOperand(p) ? "fixed" : "learned"; }

// The inputs, then the learned operand when there is one: every tensor the elementwise op joins.
Result<Shape> joined(const LayerParams& p, std::span<const Shape> in)
{
    if (in.size() < 2 && !hasOperand(p))
        return Error{"a single input needs a learned operand (set \"operand\") or a second input"};
    if (p.fixedOperand != 0 && !hasOperand(p))
        return Error{"\"operand_fixed\" is set but there is no operand (set \"operand\")"};
    std::vector<Shape> all(in.begin(), in.end());
    if (hasOperand(p)) {
        for (int64_t v : p.dims)
            if (v < 1)
                return Error{std::string("the ") + operandWord(p) + " operand's shape " + p.dims.toString() +
                             " has a size below 1"};
        all.push_back(p.dims);
    }
    return broadcast(all);
}

// NumPy broadcasting, as Multiply; the usual mistake (a residual whose paths disagree) gets a hint.
Result<Shape> addShape(const LayerParams& p, std::span<const Shape> in)
{
    auto o = joined(p, in);
    if (!o && in.size() >= 2)
        return Error{o.error() + " (a residual Add needs matching channels and stride on both paths)"};
    return o;
}

Result<Shape> multiplyShape(const LayerParams& p, std::span<const Shape> in) { return joined(p, in); }

std::optional<int> concatAxis(const LayerParams& p, int rank)
{
    if (p.axis < -rank || p.axis >= rank)
        return std::nullopt;
    return static_cast<int>(p.axis < 0 ? p.axis + rank : p.axis);
}

Result<Shape> concatShape(const LayerParams& p, std::span<const Shape> in)
{
    Shape o = in[0];
    auto ax = concatAxis(p, o.rank());
    if (!ax)
        return Error{"axis " + str(p.axis) + " is out of range for input " + o.toString()};
    for (size_t i = 1; i < in.size(); ++i) {
        bool same = in[i].rank() == o.rank();
        for (int a = 0; same && a < o.rank(); ++a)
            same = a == *ax || in[i][a] == o[a];
        if (!same)
            return Error{"input " + str(static_cast<int64_t>(i)) + " has shape " + in[i].toString() +
                         ", which cannot be concatenated with " + in[0].toString() + " along axis " + str(*ax) +
                         "; all other axes must match"};
        auto c = checkedAdd(o[*ax], in[i][*ax]);
        if (!c)
            return overflow("concatenated size");
        o[*ax] = *c;
    }
    return o;
}

// (inputs − 1) operations per output element, the operand counting as an input. A learned operand's
// values are parameters; a fixed one's are state (stored with the model, never trained: a torch
// buffer), so the parameter count stays PyTorch's sum(p.numel() for p in model.parameters()).
Result<LayerCosts> mergeCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    auto c = elementwiseCosts(out, static_cast<int64_t>(in.size()) + (hasOperand(p) ? 1 : 0) - 1);
    if (c && hasOperand(p)) {
        auto n = p.dims.elements();
        if (!n)
            return overflow(fixedOperand(p) ? "fixed operand" : "learned operand");
        (fixedOperand(p) ? c->state : c->params) = *n;
    }
    return c;
}

Result<LayerCosts> noCosts(const LayerParams&, std::span<const Shape>, const Shape&) { return LayerCosts{}; }

void mergeExplain(ExplainWriter& L)
{
    L.text("out", "out = " + L.o.toString());
    const bool operand = hasOperand(L.p);
    if (fixedOperand(L.p)) {
        L.text("params", "params = 0 (fixed operand, not a parameter)");
        L.eq("state", "state (fixed operand, stored with the model)", W::dimsProduct(L.p.dims), L.r.state);
    } else if (operand) {
        L.eq("params", "params (learned operand)", W::dimsProduct(L.p.dims), L.r.params);
    } else {
        L.text("params", "params = 0");
    }
    const int64_t joinedCount = static_cast<int64_t>(L.in.size()) + (operand ? 1 : 0);
    L.eq("ops", L.batchLabel("ops"), L.timesBatch(W::dimsProduct(L.o) + "·(" + W::n(joinedCount) + W::kMinus + "1)"),
         L.r.otherOps);
}

void concatExplain(ExplainWriter& L)
{
    const int ax = *concatAxis(L.p, L.o.rank());
    std::string sum;
    for (const Shape& s : L.in)
        sum += (sum.empty() ? "" : " + ") + W::n(s[ax]);
    L.eq("out", ax == 0 ? "channels" : "axis " + W::n(ax), sum, L.o[ax]);
    L.text("params", "params = 0");
}

std::string concatSummary(const LayerParams& p)
{
    std::string s = p.inputs != 2 ? W::n(p.inputs) + " inputs" : "";
    if (p.axis != 0)
        s += (s.empty() ? "" : " ") + std::string("axis ") + W::n(p.axis);
    return s;
}

std::string inputsSummary(const LayerParams& p)
{
    if (hasOperand(p))
        return operandWord(p) + (" " + p.dims.toString());
    return p.inputs != 2 ? W::n(p.inputs) + " inputs" : "";
}

// n inputs: n − 1 binary kernel calls, each adding the next input to the running result.
KernelPlan binaryChain(int n, kernels::OpKind kind)
{
    KernelPlan p;
    p.subs.push_back(kernelSub(kind, {-1, -2}));
    for (int i = 2; i < n; ++i)
        p.subs.push_back(kernelSub(kind, {i - 2, -1 - i}));
    return p;
}
// With an operand (learned or fixed: its values are data either way), one more sub-op joins the
// inputs' result with it; the kernel's operand shape gains leading 1s up to the output's rank and the
// batch axis, so it broadcasts per sample as the analysis does ([C,1,1] against [N,C,H,W] is [1,C,1,1]).
KernelPlan joinKernel(const LayerParams& p, std::span<const Shape> in, const Shape& out, kernels::OpKind kind)
{
    const int n = static_cast<int>(in.size());
    KernelPlan plan = n >= 2 ? binaryChain(n, kind) : KernelPlan{};
    if (hasOperand(p)) {
        KernelSub s = kernelSub(kind, {n >= 2 ? n - 2 : -1});
        s.op.operand.assign(static_cast<size_t>(std::max(out.rank(), p.dims.rank()) - p.dims.rank()) + 1, 1);
        s.op.operand.insert(s.op.operand.end(), p.dims.begin(), p.dims.end());
        plan.subs.push_back(std::move(s));
    }
    return plan;
}
KernelPlan addKernel(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return joinKernel(p, in, out, kernels::OpKind::Add);
}
KernelPlan mulKernel(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return joinKernel(p, in, out, kernels::OpKind::Mul);
}
KernelPlan concatKernel(const LayerParams& p, std::span<const Shape> in, const Shape&)
{
    std::vector<int> all;
    for (int i = 0; i < static_cast<int>(in.size()); ++i)
        all.push_back(-1 - i);
    KernelSub s = kernelSub(kernels::OpKind::Concat, all);
    s.op.axis = *concatAxis(p, in[0].rank()) + 1; // the kernel's axes include the batch
    KernelPlan plan;
    plan.subs.push_back(std::move(s));
    return plan;
}

// NetCanvas broadcasts per-sample shapes from the right; give lower-rank inputs the batch axis and
// leading 1s so PyTorch's broadcast (batch included) lines up the same way.
Result<PyCode> broadcastPy(const PyCtx& c, const std::string& op)
{
    std::vector<std::string> terms;
    for (size_t k = 0; k < c.ins.size(); ++k) {
        const Shape& s = c.in[k];
        if (s.rank() == c.out.rank()) {
            terms.push_back(c.ins[k]);
            continue;
        }
        std::vector<std::string> d{c.ins[k] + ".shape[0]"};
        for (int r = s.rank(); r < c.out.rank(); ++r)
            d.push_back("1");
        for (int64_t v : s)
            d.push_back(pyInt(v));
        terms.push_back(c.ins[k] + ".reshape(" + pyJoin(d) + ")");
    }
    PyCode code{{}, {}, {}};
    if (const Shape& w = c.node.params.dims; w.rank() > 0) {
        // A right-aligned per-sample shape broadcasts against [N, ...] as it does per sample. Ones for a
        // scale and zeros for a bias leave the input unchanged until trained (or, for a fixed operand, a
        // buffer: saved with the model and moved with .to(), but no parameter).
        std::vector<std::string> d;
        for (int64_t v : w)
            d.push_back(pyInt(v));
        const std::string init = std::string("torch.") + (op == " * " ? "ones" : "zeros") + "(" + pyJoin(d) + ")";
        if (fixedOperand(c.node.params))
            code.init.push_back("self.register_buffer(\"" + c.attr + "\", " + init + ")");
        else
            code.init.push_back("self." + c.attr + " = nn.Parameter(" + init + ")");
        terms.push_back("self." + c.attr);
    }
    code.forward.push_back(c.outVar + " = " + pyJoin(terms, op));
    return code;
}
Result<PyCode> addPy(const PyCtx& c) { return broadcastPy(c, " + "); }
Result<PyCode> mulPy(const PyCtx& c) { return broadcastPy(c, " * "); }

Result<PyCode> concatPy(const PyCtx& c)
{
    return PyCode{{},
                  {c.outVar + " = torch.cat([" + pyJoin(c.ins) + "], dim=" +
                   pyInt(*concatAxis(c.node.params, c.out.rank()) + 1) + ")"},
                  {}};
}

// NetCanvas broadcasts per-sample shapes; align ranks so ONNX's broadcast (batch included) agrees.
Status broadcastOnnx(OnnxBuilder& b, const OnnxCtx& c, const char* op, const char* many)
{
    const std::string& L = c.node.name;
    std::vector<std::string> aligned;
    for (size_t k = 0; k < c.ins.size(); ++k) {
        const Shape& s = c.in[k];
        if (s.rank() == c.out.rank()) {
            aligned.push_back(c.ins[k]);
            continue;
        }
        std::vector<int64_t> shape{0};
        shape.resize(static_cast<size_t>(c.out.rank() - s.rank()) + 1, 1);
        shape.insert(shape.end(), s.begin(), s.end());
        std::string r = b.fresh(L + "/Reshape_" + std::to_string(k) + "_output");
        b.node("Reshape", {c.ins[k], b.ints(L + "/shape_" + std::to_string(k), shape)}, r,
               L + "/Reshape_" + std::to_string(k));
        aligned.push_back(r);
    }
    if (const Shape& w = c.node.params.dims; w.rank() > 0) {
        const auto fill = std::string_view(op) == "Mul" ? OnnxBuilder::Fill::Ones : OnnxBuilder::Fill::Zeros;
        const std::vector<int64_t> shape(w.begin(), w.end());
        // Marked fixed or learned, so the import reads it back as the same kind of operand.
        aligned.push_back(b.operand(L + ".operand", shape, fill, fixedOperand(c.node.params)));
    }
    if (aligned.size() == 2 || many) {
        b.node(aligned.size() == 2 ? op : many, aligned, c.y, L);
        return {};
    }
    std::string acc = aligned[0];
    for (size_t k = 1; k < aligned.size(); ++k) {
        std::string o = k + 1 == aligned.size() ? c.y : b.fresh(L + "/mul" + std::to_string(k) + "_output");
        b.node(op, {acc, aligned[k]}, o, L + "/mul" + std::to_string(k));
        acc = o;
    }
    return {};
}
Status addOnnx(OnnxBuilder& b, const OnnxCtx& c) { return broadcastOnnx(b, c, "Add", "Sum"); }
Status mulOnnx(OnnxBuilder& b, const OnnxCtx& c) { return broadcastOnnx(b, c, "Mul", nullptr); }

Status concatOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    b.attr(b.node("Concat", c.ins, c.y, c.node.name), "axis", int64_t{*concatAxis(c.node.params, c.out.rank()) + 1});
    return {};
}

const OnnxImportDecl kAddImport{{"Add", "Sum"}};
const OnnxImportDecl kMulImport{{"Mul"}};
const OnnxImportDecl kConcatImport{{"Concat"}};

LayerKind merge(LayerType t, std::string_view key, std::string_view label, std::string_view doc,
                std::string_view palette, std::string_view help)
{
    LayerKind c;
    // The bound only keeps a typing slip from making a node of millions of ports: real exports stay
    // far below it (DenseNet-201's widest concatenation joins 49 tensors, DenseNet-264's 65).
    c.spec = makeSpec(t, key, label, Category::Merge, doc, {intAttr("inputs", "Inputs", &P::inputs, 2, 4096)});
    c.spec.variadicInputs = true;
    if (t != LayerType::Concat) {
        // One input is enough beside a learned operand (x·γ).
        c.spec.attrs[0].min = 1;
        c.spec.attrs.push_back(dimsAttr("operand", "Operand",
                                        "shape of a tensor joined like one more input (ConvNeXt's layer scale: "
                                        "C,1,1); none when not set"));
        AttrSpec fixed = boolAttr("operand_fixed", "Operand is fixed (not learned)", &P::fixedOperand,
                                  "the operand is a constant stored with the model (a torch buffer, an ONNX "
                                  "initializer: 1/√d, an attention mask), counted as state, not as parameters");
        fixed.omitWhenDefault = true;
        c.spec.attrs.push_back(fixed);
    }
    c.palette = {paletteEntry(c.spec, palette, help)};
    // The join itself (the largest field, jump and start from the input that carries the spatial
    // axes) is done for every multi-input layer by the analysis before this rule runs.
    c.receptiveField = rfPassThrough;
    c.summary = inputsSummary;
    c.fusesActivation = true; // Add, Multiply and Concat write their result through an activation
    return c;
}

} // namespace

void registerMerge(std::vector<LayerKind>& k)
{
    {
        LayerKind c = merge(LayerType::Add, "add", "Add",
                            "Elementwise sum (residual connection), with NumPy broadcasting over the per-sample shape.",
                            "Add", "residual sum");
        c.shape = addShape;
        c.costs = mergeCosts;
        c.explain = mergeExplain;
        c.kernel = addKernel;
        c.pytorch = addPy;
        c.onnxExport = addOnnx;
        c.onnxImport = &kAddImport;
        k.push_back(std::move(c));
    }
    {
        LayerKind c = merge(LayerType::Multiply, "multiply", "Multiply",
                            "Elementwise product with NumPy broadcasting over the per-sample shape, e.g. a "
                            "C×1×1 squeeze-and-excitation gate times a C×H×W feature map.",
                            "Multiply", "broadcast product (SE gate)");
        c.shape = multiplyShape;
        c.costs = mergeCosts;
        c.explain = mergeExplain;
        c.kernel = mulKernel;
        c.pytorch = mulPy;
        c.onnxExport = mulOnnx;
        c.onnxImport = &kMulImport;
        k.push_back(std::move(c));
    }
    {
        LayerKind c = merge(LayerType::Concat, "concat", "Concat",
                            "Concatenation along one axis (0, the channels, by default; per sample, negative from "
                            "the end); the other axes must match.",
                            "Concat", "concatenate channels");
        c.spec.attrs.push_back(intAttr("axis", "Axis", &P::axis, -Shape::kMaxRank, Shape::kMaxRank - 1,
                                       "per-sample axis (batch excluded); negative counts from the end"));
        c.spec.defaults.axis = 0;
        c.palette[0].params.axis = 0;
        c.summary = concatSummary;
        c.shape = concatShape;
        c.costs = noCosts;
        c.explain = concatExplain;
        c.kernel = concatKernel;
        c.pytorch = concatPy;
        c.onnxExport = concatOnnx;
        c.onnxImport = &kConcatImport;
        k.push_back(std::move(c));
    }
}

} // namespace nc::core::kinds
