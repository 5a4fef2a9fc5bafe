// Reshape family: the views — Flatten, Dropout, Reshape and ClassTokenSelect — which store nothing new.
#include "ExplainWriter.h"
#include "KindSupport.h"

#include <charconv>

namespace nc::core::kinds {

namespace {

using W = ExplainWriter;

Result<Shape> flattenShape(const LayerParams&, std::span<const Shape> in)
{
    auto n = in[0].elements();
    if (!n)
        return overflow("flattened size");
    return Shape{*n};
}

Result<Shape> reshapeShape(const LayerParams& p, std::span<const Shape> in)
{
    auto n = in[0].elements();
    if (!n)
        return overflow("input size");
    int inferred = -1;
    int64_t known = 1;
    for (int i = 0; i < p.dims.rank(); ++i) {
        if (p.dims[i] == -1) {
            if (inferred >= 0)
                return Error{"shape " + p.dims.toString() + " has more than one −1"};
            inferred = i;
        } else if (p.dims[i] <= 0) {
            return Error{"shape " + p.dims.toString() + " has a size ≤ 0 other than −1"};
        } else {
            auto m = checkedMul(known, p.dims[i]);
            if (!m)
                return overflow("target shape");
            known = *m;
        }
    }
    Shape o = p.dims;
    if (inferred >= 0) {
        if (*n % known != 0)
            return Error{"cannot reshape " + in[0].toString() + " (" + str(*n) + " elements) to " + p.dims.toString()};
        o[inferred] = *n / known;
    } else if (known != *n) {
        return Error{"cannot reshape " + in[0].toString() + " (" + str(*n) + " elements) to " + p.dims.toString() +
                     " (" + str(known) + " elements)"};
    }
    if (o.empty())
        return Error{"shape is empty"};
    return o;
}

Result<Shape> classTokenShape(const LayerParams&, std::span<const Shape> in)
{
    if (auto s = expectRank(in[0], 2, "T×D token"); !s)
        return Error{s.error()};
    return Shape{in[0][1]};
}

Result<LayerCosts> noCosts(const LayerParams&, std::span<const Shape>, const Shape&) { return LayerCosts{}; }

// A flattened map: the field is kept (the next Linear makes it global).
void flattenRf(const LayerParams&, RfBuilder&) {}

// A reshape that keeps a C×H×W layout, or makes tokens or a vector, keeps the field; another
// C×H×W layout loses spatial meaning.
void reshapeRf(const LayerParams&, RfBuilder& b)
{
    const Shape& in = b.inShapes[0];
    if (b.out.rank() == 3 && in.rank() == 3 && b.out[1] == in[1] && b.out[2] == in[2])
        return;
    if (b.out.rank() <= 2)
        return;
    b.lose();
}

void flattenExplain(ExplainWriter& L) { L.eq("out", "out", W::dimsProduct(L.in[0]), L.o[0]); }

void viewExplain(ExplainWriter& L)
{
    L.text("out", "out = " + L.o.toString());
    L.text("params", "params = 0");
}

std::string noSummary(const LayerParams&) { return {}; }
std::string dropSummary(const LayerParams& p)
{
    char b[32];
    auto r = std::to_chars(b, b + sizeof b, p.dropP);
    return "p " + std::string(b, r.ptr);
}
std::string reshapeSummary(const LayerParams& p) { return "→" + p.dims.toString(); }

KernelPlan viewKernel(const LayerParams&, std::span<const Shape>, const Shape&)
{
    KernelPlan p;
    p.kind = KernelPlan::Kind::View;
    return p;
}

Result<PyCode> flattenPy(const PyCtx& c)
{
    return PyCode{{}, {c.outVar + " = torch.flatten(" + c.ins[0] + ", 1)"}, {}};
}
Result<PyCode> dropoutPy(const PyCtx& c) { return PyCode{"nn.Dropout(" + pyNum(c.node.params.dropP) + ")", {}, {}}; }
Result<PyCode> reshapePy(const PyCtx& c)
{
    std::vector<std::string> d{c.ins[0] + ".shape[0]"};
    for (int64_t v : c.node.params.dims)
        d.push_back(pyInt(v));
    return PyCode{{}, {c.outVar + " = " + c.ins[0] + ".reshape(" + pyJoin(d) + ")"}, {}};
}
Result<PyCode> classTokenPy(const PyCtx& c) { return PyCode{{}, {c.outVar + " = " + c.ins[0] + "[:, 0]"}, {}}; }

Status flattenOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    b.attr(b.node("Flatten", {c.ins[0]}, c.y, c.node.name), "axis", int64_t{1});
    return {};
}
Status dropoutOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const std::string& L = c.node.name;
    b.node("Dropout", {c.ins[0], b.scalar(L + "/ratio", static_cast<float>(c.node.params.dropP))}, c.y, L);
    return {};
}
Status reshapeOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    std::vector<int64_t> shape{0};
    shape.insert(shape.end(), c.node.params.dims.begin(), c.node.params.dims.end());
    b.node("Reshape", {c.ins[0], b.ints(c.node.name + "/shape", shape)}, c.y, c.node.name);
    return {};
}
Status classTokenOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const std::string& L = c.node.name;
    b.attr(b.node("Gather", {c.ins[0], b.ints(L + "/index", {0}, true)}, c.y, L), "axis", int64_t{1});
    return {};
}

const OnnxImportDecl kFlattenImport{{"Flatten"}};
const OnnxImportDecl kDropoutImport{{"Dropout"}};
const OnnxImportDecl kReshapeImport{{"Reshape", "Squeeze", "Unsqueeze"}};
const OnnxImportDecl kClassTokenImport{{"Gather"}};

} // namespace

void registerReshape(std::vector<LayerKind>& k)
{
    {
        LayerKind c;
        c.spec = makeSpec(LayerType::Flatten, "flatten", "Flatten", Category::Reshape,
                          "Flattens each sample to a vector (a view: stores nothing).", {});
        c.palette = {paletteEntry(c.spec, "Flatten", "to a vector")};
        c.view = true;
        c.shape = flattenShape;
        c.costs = noCosts;
        c.receptiveField = flattenRf;
        c.explain = flattenExplain;
        c.summary = noSummary;
        c.kernel = viewKernel;
        c.pytorch = flattenPy;
        c.onnxExport = flattenOnnx;
        c.onnxImport = &kFlattenImport;
        k.push_back(std::move(c));
    }
    {
        LayerKind c;
        c.spec = makeSpec(LayerType::Dropout, "dropout", "Dropout", Category::Reshape,
                          "Identity at inference (a view: stores nothing).",
                          {floatAttr("p", "Drop probability", &P::dropP, 0, 1)});
        c.palette = {paletteEntry(c.spec, "Dropout", "identity at inference")};
        c.view = true;
        c.shape = sameShape;
        c.costs = noCosts;
        c.receptiveField = rfPassThrough;
        c.explain = viewExplain;
        c.summary = dropSummary;
        c.kernel = viewKernel;
        c.pytorch = dropoutPy;
        c.onnxExport = dropoutOnnx;
        c.onnxImport = &kDropoutImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.dims = Shape{-1};
        LayerKind c;
        c.spec = makeSpec(LayerType::Reshape, "reshape", "Reshape", Category::Reshape,
                          "Reshapes each sample (a view); one dimension may be −1 and is inferred.",
                          {dimsAttr("shape", "Shape", "per-sample target shape, e.g. 196,768 or -1", true)}, d);
        c.palette = {paletteEntry(c.spec, "Reshape", "view with a new shape")};
        c.view = true;
        c.shape = reshapeShape;
        c.costs = noCosts;
        c.receptiveField = reshapeRf;
        c.explain = viewExplain;
        c.summary = reshapeSummary;
        c.kernel = viewKernel;
        c.pytorch = reshapePy;
        c.onnxExport = reshapeOnnx;
        c.onnxImport = &kReshapeImport;
        k.push_back(std::move(c));
    }
    {
        LayerKind c;
        c.spec = makeSpec(LayerType::ClassTokenSelect, "class_token_select", "ClassTokenSelect", Category::Attention,
                          "Selects token 0 (the class token): T×D → D (a view: stores nothing).", {});
        c.palette = {paletteEntry(c.spec, "Class Token Select", "token 0 for the head")};
        c.view = true;
        c.shape = classTokenShape;
        c.costs = noCosts;
        c.receptiveField = rfPassThrough;
        c.explain = viewExplain;
        c.summary = noSummary;
        c.kernel = viewKernel;
        c.pytorch = classTokenPy;
        c.onnxExport = classTokenOnnx;
        c.onnxImport = &kClassTokenImport;
        k.push_back(std::move(c));
    }
}

} // namespace nc::core::kinds
