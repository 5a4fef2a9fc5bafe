// Plumbing: the shape-only kinds — Transpose, Slice, Split, Reduce, Squeeze and Unsqueeze.
//
// Axes are per sample (batch excluded): axis 0 is the channel axis of a C×H×W map, the token axis of
// T×D. Slice, Split, Squeeze and Unsqueeze are views (as in PyTorch, they select or relabel without
// copying); Transpose stores a new tensor (runtimes materialise a permutation) and does no arithmetic;
// Reduce stores its result and counts one operation per input element (+ one divide per output
// element for a mean).
#include "ExplainWriter.h"
#include "KindSupport.h"

#include <algorithm>

namespace nc::core::kinds {

namespace {

using W = ExplainWriter;

// A per-sample axis, negative counting from the end; nullopt when out of range.
std::optional<int> normAxis(int64_t axis, int rank)
{
    if (axis < -rank || axis >= rank)
        return std::nullopt;
    return static_cast<int>(axis < 0 ? axis + rank : axis);
}

Error badAxis(int64_t axis, const Shape& in)
{
    return Error{"axis " + str(axis) + " is out of range for input " + in.toString() + " (axes 0–" +
                 str(in.rank() - 1) + ", or negative from the end)"};
}

Result<LayerCosts> noCosts(const LayerParams&, std::span<const Shape>, const Shape&) { return LayerCosts{}; }

// A layout that keeps H and W where they were keeps the field; a token list or vector keeps it too
// (the next layer that mixes positions makes it global); anything else loses spatial meaning.
void keepIfLayoutKept(const LayerParams&, RfBuilder& b)
{
    const Shape& in = b.inShapes[0];
    if (b.out.rank() == 3 && in.rank() == 3 && b.out[1] == in[1] && b.out[2] == in[2])
        return;
    if (b.out.rank() <= 2)
        return;
    b.lose();
}

KernelPlan viewKernel(const LayerParams&, std::span<const Shape>, const Shape&)
{
    KernelPlan p;
    p.kind = KernelPlan::Kind::View;
    return p;
}

std::string dimsList(const Shape& s)
{
    std::string r;
    for (int64_t d : s)
        r += (r.empty() ? "" : ", ") + std::to_string(d);
    return r;
}

// PyTorch's dim for a per-sample axis (the batch is dim 0).
std::string torchDim(int64_t axis) { return pyInt(axis >= 0 ? axis + 1 : axis); }

// ---- Transpose ----

Result<Shape> transposeShape(const LayerParams& p, std::span<const Shape> in)
{
    const Shape& x = in[0];
    if (p.dims.rank() != x.rank())
        return Error{"permutation (" + dimsList(p.dims) + ") has " + str(p.dims.rank()) + " axes but the input " +
                     x.toString() + " has " + str(x.rank()) + "; give each axis once"};
    std::vector<char> seen(static_cast<size_t>(x.rank()), 0);
    Shape o;
    for (int64_t a : p.dims) {
        if (a < 0 || a >= x.rank() || seen[static_cast<size_t>(a)]++)
            return Error{"permutation (" + dimsList(p.dims) + ") must list each axis 0–" + str(x.rank() - 1) +
                         " exactly once"};
        o.push(x[static_cast<int>(a)]);
    }
    return o;
}

void transposeRf(const LayerParams& p, RfBuilder& b)
{
    if (b.inShapes[0].rank() == 3 && p.dims.rank() == 3 && p.dims[1] == 1 && p.dims[2] == 2)
        return;
    b.lose();
}

void transposeExplain(ExplainWriter& L)
{
    L.text("out", "out = " + L.o.toString() + " (axes of " + L.in[0].toString() + " in the order " +
                      dimsList(L.p.dims) + ")");
    L.text("params", "params = 0");
}

std::string permSummary(const LayerParams& p) { return "(" + dimsList(p.dims) + ")"; }

KernelPlan transposeKernel(const LayerParams& p, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::Transpose;
    op.perm = {0}; // the batch stays first
    for (int64_t a : p.dims)
        op.perm.push_back(a + 1);
    return singleKernel(op);
}

Result<PyCode> transposePy(const PyCtx& c)
{
    std::vector<std::string> d{"0"};
    for (int64_t a : c.node.params.dims)
        d.push_back(pyInt(a + 1));
    return PyCode{{}, {c.outVar + " = " + c.ins[0] + ".permute(" + pyJoin(d) + ").contiguous()"}, {}};
}

Status transposeOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    std::vector<int64_t> perm{0};
    for (int64_t a : c.node.params.dims)
        perm.push_back(a + 1);
    b.attr(b.node("Transpose", {c.ins[0]}, c.y, c.node.name), "perm", perm);
    return {};
}

// ---- Slice ----

// Elements start, start + step, ... before end, with PyTorch's clamping of start and end to the axis.
int64_t sliceLength(int64_t len, int64_t start, int64_t end, int64_t step)
{
    auto clampIndex = [&](int64_t i) { return std::clamp(i < 0 ? i + len : i, int64_t(0), len); };
    int64_t s = clampIndex(start), e = clampIndex(end);
    return e > s ? (e - s + step - 1) / step : 0;
}

Result<Shape> sliceShape(const LayerParams& p, std::span<const Shape> in)
{
    const Shape& x = in[0];
    auto a = normAxis(p.axis, x.rank());
    if (!a)
        return badAxis(p.axis, x);
    if (p.sliceStep < 1)
        return Error{"step " + str(p.sliceStep) + " must be at least 1"};
    int64_t n = sliceLength(x[*a], p.sliceStart, p.sliceEnd, p.sliceStep);
    if (n < 1)
        return Error{"slice " + str(p.sliceStart) + ":" + str(p.sliceEnd) + ":" + str(p.sliceStep) + " of axis " +
                     str(*a) + " (length " + str(x[*a]) + ") is empty; choose start < end within the axis"};
    Shape o = x;
    o[*a] = n;
    return o;
}

// Along a spatial axis the first unit moves to the slice's start and neighbours are `step` apart.
void sliceRf(const LayerParams& p, RfBuilder& b)
{
    const Shape& in = b.inShapes[0];
    if (in.rank() != 3)
        return;
    const int a = *normAxis(p.axis, 3);
    if (a == 0)
        return;
    const int ax = a - 1;
    int64_t len = in[a];
    int64_t s = std::clamp(p.sliceStart < 0 ? p.sliceStart + len : p.sliceStart, int64_t(0), len);
    b.r.start[ax] += static_cast<double>(s) * static_cast<double>(b.r.jump[ax]);
    auto j = checkedMul(b.r.jump[ax], p.sliceStep);
    if (!j) {
        b.overflow = true;
        return;
    }
    b.r.jump[ax] = *j;
    b.r.extent[ax] = b.out[a];
}

void sliceExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const int a = *normAxis(p.axis, L.in[0].rank());
    L.text("out", "out = " + L.o.toString() + " (elements " + W::n(p.sliceStart) + ":" + W::n(p.sliceEnd) + ":" +
                      W::n(p.sliceStep) + " of axis " + W::n(a) + ", a view)");
    L.text("params", "params = 0");
}

std::string sliceSummary(const LayerParams& p)
{
    return "axis " + W::n(p.axis) + " " + W::n(p.sliceStart) + ":" + W::n(p.sliceEnd) +
           (p.sliceStep != 1 ? ":" + W::n(p.sliceStep) : "");
}

Result<PyCode> slicePy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const int a = *normAxis(p.axis, c.in[0].rank());
    std::string index = "[";
    for (int i = 0; i <= a; ++i)
        index += ":, ";
    index += pyInt(p.sliceStart) + ":" + pyInt(p.sliceEnd) + (p.sliceStep != 1 ? ":" + pyInt(p.sliceStep) : "") + "]";
    return PyCode{{}, {c.outVar + " = " + c.ins[0] + index}, {}};
}

Status sliceOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    const int a = *normAxis(p.axis, c.in[0].rank());
    b.node("Slice",
           {c.ins[0], b.ints(L + "/starts", {p.sliceStart}), b.ints(L + "/ends", {p.sliceEnd}),
            b.ints(L + "/axes", {a + 1}), b.ints(L + "/steps", {p.sliceStep})},
           c.y, L);
    return {};
}

// ---- Split ----

int splitOutputs(const LayerParams& p) { return std::max(p.dims.rank(), 1); }

Result<Shape> splitShape(const LayerParams& p, std::span<const Shape> in)
{
    const Shape& x = in[0];
    auto a = normAxis(p.axis, x.rank());
    if (!a)
        return badAxis(p.axis, x);
    if (p.dims.rank() < 2)
        return Error{"give at least two piece sizes (e.g. 32, 32)"};
    int64_t sum = 0;
    for (int64_t s : p.dims) {
        if (s < 1)
            return Error{"piece sizes (" + dimsList(p.dims) + ") must be at least 1"};
        sum += s;
    }
    if (sum != x[*a])
        return Error{"piece sizes (" + dimsList(p.dims) + ") add up to " + str(sum) + " but axis " + str(*a) +
                     " of " + x.toString() + " has " + str(x[*a])};
    Shape o = x;
    o[*a] = p.dims[0];
    return o;
}

std::vector<Shape> splitExtra(const LayerParams& p, std::span<const Shape> in, const Shape&)
{
    const int a = *normAxis(p.axis, in[0].rank());
    std::vector<Shape> out;
    for (int i = 1; i < p.dims.rank(); ++i) {
        Shape o = in[0];
        o[a] = p.dims[i];
        out.push_back(o);
    }
    return out;
}

void splitExplain(ExplainWriter& L)
{
    const int a = *normAxis(L.p.axis, L.in[0].rank());
    std::string sum;
    for (int64_t s : L.p.dims)
        sum += (sum.empty() ? "" : " + ") + W::n(s);
    L.eq("out", "axis " + W::n(a) + " split", sum, L.in[0][a]);
    L.text("params", "params = 0");
    L.text("outputs", W::n(L.p.dims.rank()) + " outputs, views of the input; port 0 is " + L.o.toString());
}

std::string splitSummary(const LayerParams& p) { return "axis " + W::n(p.axis) + " → " + dimsList(p.dims); }

Result<PyCode> splitPy(const PyCtx& c)
{
    std::vector<std::string> sizes;
    for (int64_t s : c.node.params.dims)
        sizes.push_back(pyInt(s));
    return PyCode{{},
                  {pyJoin(c.outVars) + " = torch.split(" + c.ins[0] + ", [" + pyJoin(sizes) + "], dim=" +
                   torchDim(c.node.params.axis) + ")"},
                  {}};
}

Status splitOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    std::vector<int64_t> sizes(p.dims.begin(), p.dims.end());
    const int a = *normAxis(p.axis, c.in[0].rank());
    int k = b.node("Split", {c.ins[0], b.ints(L + "/split", sizes)}, c.ys, L);
    b.attr(k, "axis", int64_t{a + 1});
    return {};
}

// ---- Reduce ----

Result<Shape> reduceShape(const LayerParams& p, std::span<const Shape> in)
{
    const Shape& x = in[0];
    if (p.dims.empty())
        return Error{"give the axes to reduce, e.g. 1, 2 for H and W of a C×H×W map"};
    std::vector<char> reduced(static_cast<size_t>(x.rank()), 0);
    for (int64_t a : p.dims) {
        auto n = normAxis(a, x.rank());
        if (!n)
            return badAxis(a, x);
        if (reduced[static_cast<size_t>(*n)]++)
            return Error{"axis " + str(a) + " is listed twice"};
    }
    Shape o;
    for (int i = 0; i < x.rank(); ++i)
        if (!reduced[static_cast<size_t>(i)])
            o.push(x[i]);
        else if (p.keepDims)
            o.push(1);
    if (o.empty())
        o.push(1);
    return o;
}

// One add or compare per input element; a mean divides each result once more.
Result<LayerCosts> reduceCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    LayerCosts c;
    auto ops = in[0].elements();
    if (p.reduceOp == static_cast<int64_t>(ReduceOp::Mean))
        ops = ops ? checkedAdd(*ops, *out.elements()) : std::nullopt;
    if (!ops)
        return overflow("operation count");
    c.otherOps = *ops;
    return c;
}

// Reducing a spatial axis mixes every position along it.
void reduceRf(const LayerParams& p, RfBuilder& b)
{
    if (b.inShapes[0].rank() != 3)
        return;
    for (int64_t a : p.dims) {
        int n = *normAxis(a, 3);
        if (n > 0)
            b.global(n - 1);
    }
}

const char* reduceName(int64_t op) { return op == 0 ? "mean" : op == 1 ? "sum" : "max"; }

void reduceExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    L.text("out", "out = " + L.o.toString() + " (" + reduceName(p.reduceOp) + " over axes " + dimsList(p.dims) + ")");
    L.text("params", "params = 0");
    if (p.reduceOp == static_cast<int64_t>(ReduceOp::Mean))
        L.eq("ops", L.batchLabel("ops"), L.timesBatch(W::dimsProduct(L.in[0]) + " + " + W::dimsProduct(L.o)),
             L.r.otherOps);
    else
        L.eq("ops", L.batchLabel("ops"), L.timesBatch(W::dimsProduct(L.in[0])), L.r.otherOps);
    bool spatial = L.in[0].rank() == 3;
    for (int64_t a : p.dims)
        spatial = spatial && *normAxis(a, 3) > 0;
    if (spatial && p.dims.rank() == 2)
        L.fieldGlobal();
}

std::string reduceSummary(const LayerParams& p) { return std::string(reduceName(p.reduceOp)) + " (" + dimsList(p.dims) + ")"; }

KernelPlan reduceKernel(const LayerParams& p, std::span<const Shape> in, const Shape&)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::Reduce;
    for (int64_t a : p.dims)
        op.axes.push_back(*normAxis(a, in[0].rank()) + 1); // the kernel's axes include the batch
    op.reduceOp = static_cast<int>(p.reduceOp);
    op.keepDims = p.keepDims != 0;
    return singleKernel(op);
}

Result<PyCode> reducePy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    std::vector<std::string> dims;
    for (int64_t a : p.dims)
        dims.push_back(torchDim(a));
    const std::string keep = p.keepDims ? ", keepdim=True" : "";
    const std::string d = dims.size() == 1 ? dims[0] : "(" + pyJoin(dims) + ")";
    std::string e;
    if (p.reduceOp == static_cast<int64_t>(ReduceOp::Max))
        e = "torch.amax(" + c.ins[0] + ", dim=" + d + keep + ")";
    else
        e = "torch." + std::string(reduceName(p.reduceOp)) + "(" + c.ins[0] + ", dim=" + d + keep + ")";
    if (c.out.rank() == 1 && c.out[0] == 1 && !p.keepDims && static_cast<int>(dims.size()) == c.in[0].rank())
        e += ".reshape(-1, 1)"; // NetCanvas keeps a 1-element vector where torch would drop every axis
    return PyCode{{}, {c.outVar + " = " + e}, {}};
}

Status reduceOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    std::vector<int64_t> axes;
    for (int64_t a : p.dims)
        axes.push_back(*normAxis(a, c.in[0].rank()) + 1);
    const char* op = p.reduceOp == 0 ? "ReduceMean" : p.reduceOp == 1 ? "ReduceSum" : "ReduceMax";
    if (p.reduceOp == static_cast<int64_t>(ReduceOp::Sum)) {
        // Opset 13: ReduceSum takes its axes as an input, the others as an attribute.
        int k = b.node(op, {c.ins[0], b.ints(c.node.name + "/axes", axes)}, c.y, c.node.name);
        b.attr(k, "keepdims", p.keepDims);
        return {};
    }
    int k = b.node(op, {c.ins[0]}, c.y, c.node.name);
    b.attr(k, "axes", axes);
    b.attr(k, "keepdims", p.keepDims);
    return {};
}

// ---- Squeeze and Unsqueeze ----

Result<Shape> squeezeShape(const LayerParams& p, std::span<const Shape> in)
{
    const Shape& x = in[0];
    std::vector<char> drop(static_cast<size_t>(x.rank()), 0);
    for (int64_t a : p.dims) {
        auto n = normAxis(a, x.rank());
        if (!n)
            return badAxis(a, x);
        if (x[*n] != 1)
            return Error{"axis " + str(a) + " of " + x.toString() + " has size " + str(x[*n]) +
                         ", not 1; only axes of size 1 can be squeezed"};
        drop[static_cast<size_t>(*n)] = 1;
    }
    Shape o;
    for (int i = 0; i < x.rank(); ++i)
        if (!drop[static_cast<size_t>(i)])
            o.push(x[i]);
    if (o.empty())
        return Error{"squeezing every axis leaves nothing per sample; keep at least one"};
    return o;
}

Result<Shape> unsqueezeShape(const LayerParams& p, std::span<const Shape> in)
{
    const Shape& x = in[0];
    const int rank = x.rank() + p.dims.rank();
    if (rank > Shape::kMaxRank)
        return Error{"the result would have " + str(rank) + " axes; at most " + str(Shape::kMaxRank) + " are supported"};
    std::vector<char> ones(static_cast<size_t>(rank), 0);
    for (int64_t a : p.dims) {
        auto n = normAxis(a, rank);
        if (!n)
            return Error{"axis " + str(a) + " is out of range for a result of " + str(rank) + " axes"};
        if (ones[static_cast<size_t>(*n)]++)
            return Error{"axis " + str(a) + " is listed twice"};
    }
    Shape o;
    int k = 0;
    for (int i = 0; i < rank; ++i)
        o.push(ones[static_cast<size_t>(i)] ? 1 : x[k++]);
    return o;
}

void squeezeExplain(ExplainWriter& L)
{
    L.text("out", "out = " + L.o.toString() + " (a view of " + L.in[0].toString() + ")");
    L.text("params", "params = 0");
}

std::string axesSummary(const LayerParams& p) { return "axes " + dimsList(p.dims); }

Result<PyCode> squeezePy(const PyCtx& c)
{
    std::vector<std::string> d{c.ins[0] + ".shape[0]"};
    for (int64_t v : c.out)
        d.push_back(pyInt(v));
    return PyCode{{}, {c.outVar + " = " + c.ins[0] + ".reshape(" + pyJoin(d) + ")"}, {}};
}

Status squeezeOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    std::vector<int64_t> axes;
    const bool squeeze = c.node.type == LayerType::Squeeze;
    const int rank = squeeze ? c.in[0].rank() : c.out.rank();
    for (int64_t a : c.node.params.dims)
        axes.push_back(*normAxis(a, rank) + 1);
    b.node(squeeze ? "Squeeze" : "Unsqueeze", {c.ins[0], b.ints(c.node.name + "/axes", axes)}, c.y, c.node.name);
    return {};
}

const OnnxImportDecl kTransposeImport{{"Transpose"}};
const OnnxImportDecl kSliceImport{{"Slice"}};
const OnnxImportDecl kSplitImport{{"Split"}};
const OnnxImportDecl kReduceImport{{"ReduceMean", "ReduceSum", "ReduceMax"}};
const OnnxImportDecl kSqueezeImport{{"Squeeze"}};
const OnnxImportDecl kUnsqueezeImport{{"Unsqueeze"}};

AttrSpec axesAttr(std::string_view key, std::string_view label, std::string_view help)
{
    AttrSpec a = dimsAttr(key, label, help);
    a.dimsMin = 0;
    return a;
}

} // namespace

void registerPlumbing(std::vector<LayerKind>& k)
{
    {
        LayerParams d;
        d.dims = Shape{0, 2, 1};
        LayerKind c;
        c.spec = makeSpec(LayerType::Transpose, "transpose", "Transpose", Category::Reshape,
                          "Permutes the axes of each sample: out[i] = in[perm[i]] (stores a copy; no arithmetic).",
                          {axesAttr("perm", "Permutation", "per-sample axes in their new order, e.g. 1,0 for T×D → D×T")},
                          d);
        c.palette = {paletteEntry(c.spec, "Transpose / Permute", "reorder axes")};
        c.shape = transposeShape;
        c.costs = noCosts;
        c.receptiveField = transposeRf;
        c.explain = transposeExplain;
        c.summary = permSummary;
        c.kernel = transposeKernel;
        c.pytorch = transposePy;
        c.onnxExport = transposeOnnx;
        c.onnxImport = &kTransposeImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.axis = 0;
        d.sliceEnd = 1;
        LayerKind c;
        c.spec = makeSpec(LayerType::Slice, "slice", "Slice",
                          Category::Reshape,
                          "Elements start:end:step of one axis (a view). out = ⌈(min(end, n) − start)/step⌉; "
                          "negative start and end count from the end, as in Python.",
                          {intAttr("axis", "Axis", &P::axis, -Shape::kMaxRank, Shape::kMaxRank - 1,
                                   "per-sample axis (batch excluded); negative counts from the end"),
                           intAttr("start", "Start", &P::sliceStart, -kBig, kBig),
                           intAttr("end", "End", &P::sliceEnd, -kBig, kBig),
                           intAttr("step", "Step", &P::sliceStep, 1, kBig)},
                          d);
        c.palette = {paletteEntry(c.spec, "Slice", "part of one axis")};
        c.view = true;
        c.shape = sliceShape;
        c.costs = noCosts;
        c.receptiveField = sliceRf;
        c.explain = sliceExplain;
        c.summary = sliceSummary;
        c.kernel = viewKernel;
        c.pytorch = slicePy;
        c.onnxExport = sliceOnnx;
        c.onnxImport = &kSliceImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.axis = 0;
        d.dims = Shape{32, 32};
        LayerKind c;
        c.spec = makeSpec(LayerType::Split, "split", "Split", Category::Reshape,
                          "Splits one axis into pieces of the given sizes, one output port each (views).",
                          {intAttr("axis", "Axis", &P::axis, -Shape::kMaxRank, Shape::kMaxRank - 1,
                                   "per-sample axis (batch excluded); negative counts from the end"),
                           dimsAttr("sizes", "Piece sizes", "sizes along the axis, adding up to its length, e.g. 32,32")},
                          d);
        c.spec.outputsFor = splitOutputs;
        c.palette = {paletteEntry(c.spec, "Split", "pieces of one axis, one output each")};
        c.view = true;
        c.shape = splitShape;
        c.extraOutputs = splitExtra;
        c.costs = noCosts;
        c.receptiveField = rfPassThrough; // one field for every piece: exact for channel splits
        c.explain = splitExplain;
        c.summary = splitSummary;
        c.kernel = viewKernel;
        c.pytorch = splitPy;
        c.onnxExport = splitOnnx;
        c.onnxImport = &kSplitImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.dims = Shape{1, 2};
        d.keepDims = 1;
        LayerKind c;
        c.spec = makeSpec(LayerType::Reduce, "reduce", "Reduce", Category::Pooling,
                          "Mean, sum or max over chosen axes; ops = input elements (+ output elements for a mean).",
                          {enumAttr("op", "Operation", &P::reduceOp, {"mean", "sum", "max"}),
                           axesAttr("axes", "Axes", "per-sample axes to reduce, e.g. 1,2 for H and W"),
                           boolAttr("keepdims", "Keep reduced axes as 1", &P::keepDims)},
                          d);
        c.palette = {paletteEntry(c.spec, "Reduce (mean/sum/max)", "over chosen axes")};
        c.shape = reduceShape;
        c.costs = reduceCosts;
        c.receptiveField = reduceRf;
        c.explain = reduceExplain;
        c.summary = reduceSummary;
        c.kernel = reduceKernel;
        c.pytorch = reducePy;
        c.onnxExport = reduceOnnx;
        c.onnxImport = &kReduceImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.dims = Shape{1, 2};
        LayerKind c;
        c.spec = makeSpec(LayerType::Squeeze, "squeeze", "Squeeze", Category::Reshape,
                          "Removes axes of size 1 (a view).",
                          {axesAttr("axes", "Axes", "per-sample axes of size 1 to remove, e.g. 1,2")}, d);
        c.palette = {paletteEntry(c.spec, "Squeeze", "drop axes of size 1")};
        c.view = true;
        c.shape = squeezeShape;
        c.costs = noCosts;
        c.receptiveField = keepIfLayoutKept;
        c.explain = squeezeExplain;
        c.summary = axesSummary;
        c.kernel = viewKernel;
        c.pytorch = squeezePy;
        c.onnxExport = squeezeOnnx;
        c.onnxImport = &kSqueezeImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.dims = Shape{0};
        LayerKind c;
        c.spec = makeSpec(LayerType::Unsqueeze, "unsqueeze", "Unsqueeze", Category::Reshape,
                          "Inserts axes of size 1 at the given positions of the result (a view).",
                          {axesAttr("axes", "Axes", "positions of the new axes in the result, e.g. 0")}, d);
        c.palette = {paletteEntry(c.spec, "Unsqueeze", "insert axes of size 1")};
        c.view = true;
        c.shape = unsqueezeShape;
        c.costs = noCosts;
        c.receptiveField = keepIfLayoutKept;
        c.explain = squeezeExplain;
        c.summary = axesSummary;
        c.kernel = viewKernel;
        c.pytorch = squeezePy;
        c.onnxExport = squeezeOnnx;
        c.onnxImport = &kUnsqueezeImport;
        k.push_back(std::move(c));
    }
}

} // namespace nc::core::kinds
