// Linear: a fully connected layer on the last axis.
#include "ExplainWriter.h"
#include "KindSupport.h"

namespace nc::core::kinds {

namespace {

Result<Shape> linearShape(const LayerParams& p, std::span<const Shape> in)
{
    const Shape& x = in[0];
    if (x.empty())
        return Error{"expects an input with at least one axis"};
    Shape o = x;
    o[o.rank() - 1] = p.features;
    if (!o.elements())
        return overflow("output size");
    return o;
}

// Params = in·out + out; MACs = rows·in·out, rows = the product of every axis but the last.
Result<LayerCosts> linearCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    LayerCosts c;
    const int64_t on = *out.elements();
    int64_t inF = in[0].back();
    int64_t rows = on / p.features;
    auto w = checkedMul(inF, p.features);
    auto m = w ? checkedMul(*w, rows) : std::nullopt;
    if (!w || !m)
        return overflow("parameter or MAC count");
    // A tied weight is the embedding's table, counted once, at the embedding.
    c.params = (p.tied ? 0 : *w) + (p.bias ? p.features : 0);
    c.macs = *m;
    c.otherOps = p.bias ? on : 0;
    return c;
}

void linearExplain(ExplainWriter& L)
{
    using W = ExplainWriter;
    const LayerParams& p = L.p;
    const int64_t inF = L.in[0].back();
    const int64_t rows = *L.o.elements() / p.features;
    L.text("out", "out = " + L.o.toString() + " (the last axis becomes out_features)");
    if (p.tied) {
        L.text("tied", "weight " + W::n(p.features) + "×" + W::n(inF) + " = the table of \"" + L.r.tiedName +
                           "\" (tied; its parameters are counted there)");
        L.eq("params", "params", p.bias ? W::n(p.features) : "0", L.r.params);
    } else {
        L.eq("params", "params", W::factors({inF, p.features}) + (p.bias ? " + " + W::n(p.features) : ""),
             L.r.params);
    }
    L.eq("MACs", L.batchLabel("MACs"),
         L.timesBatch(rows == 1 ? W::factors({inF, p.features}) : W::factors({rows, inF, p.features})), L.r.macs);
    if (p.bias)
        L.eq("ops", L.batchLabel("bias adds"), L.timesBatch(W::dimsProduct(L.o)), L.r.otherOps);
}

std::string linearSummary(const LayerParams& p) { return "→" + std::to_string(p.features) + (p.tied ? " tied" : ""); }

// An output projection tied to the embedding: W (out×in) is the embedding's vocab×dim table.
std::optional<TieRequest> linearTie(const LayerParams& p, std::span<const Shape> in)
{
    if (!p.tied)
        return std::nullopt;
    return TieRequest{LayerType::Embedding, p.features, in[0].back()};
}

KernelPlan linearKernel(const LayerParams& q, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::Linear;
    op.outChannels = q.features;
    op.bias = q.bias != 0;
    return singleKernel(op);
}

Result<PyCode> linearPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    std::vector<std::string> a{pyInt(c.in[0].back()), pyInt(p.features)};
    if (!p.bias)
        a.push_back("bias=False");
    PyCode code{"nn.Linear(" + pyJoin(a) + ")", {}, {}};
    if (p.tied)
        code.init.push_back("self." + c.attr + ".weight = self." + c.tiedAttr + ".weight");
    return code;
}

Status linearOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    if (p.tied && c.tied) {
        // y = x·Eᵀ with the embedding's own initializer, as PyTorch exports a tied head.
        const std::string& L = c.node.name;
        std::string t = b.fresh(L + "/Transpose_output");
        b.attr(b.node("Transpose", {c.tied->name + ".weight"}, t, L + "/Transpose"), "perm",
               std::vector<int64_t>{1, 0});
        if (!p.bias) {
            b.node("MatMul", {c.ins[0], t}, c.y, L);
            return {};
        }
        std::string mm = b.fresh(L + "/MatMul_output");
        b.node("MatMul", {c.ins[0], t}, mm, L + "/MatMul");
        b.node("Add", {mm, b.weight(L + ".bias", {p.features}, OnnxBuilder::Fill::Zeros)}, c.y, L + "/Add");
        return {};
    }
    onnxLinear(b, c.node.name, c.ins[0], c.in[0].back(), p.features, p.bias != 0, c.in[0].rank(), c.y);
    return {};
}

const OnnxImportDecl kLinearImport{{"Gemm", "MatMul"}};

} // namespace

void registerLinear(std::vector<LayerKind>& k)
{
    LayerParams d;
    d.features = 1000;
    LayerKind c;
    c.spec = makeSpec(LayerType::Linear, "linear", "Linear", Category::Linear,
                      "Fully connected layer on the last axis: y = x·Wᵀ + b, W is out×in. "
                      "Params = in·out + out; MACs = rows·in·out. Tied: the weight is an upstream Embedding's table "
                      "(out = vocabulary, in = dimension), so only the bias is its own.",
                      {intAttr("out_features", "Out features", &P::features, 1, kBig),
                       boolAttr("bias", "Bias", &P::bias),
                       boolAttr("tied", "Tied to embedding", &P::tied,
                                "the weight is the vocabulary×dimension table of the Embedding upstream (language "
                                "model heads); its parameters are counted once, at the embedding"),
                       bitsAttr()},
                      d);
    c.palette = {paletteEntry(c.spec, "Linear", "fully connected layer")};
    c.nameStem = "fc";
    c.shape = linearShape;
    c.costs = linearCosts;
    c.receptiveField = rfLastAxis;
    c.explain = linearExplain;
    c.summary = linearSummary;
    c.kernel = linearKernel;
    c.pytorch = linearPy;
    c.onnxExport = linearOnnx;
    c.onnxImport = &kLinearImport;
    c.tie = linearTie;
    c.fusesActivation = true;
    c.absorbsBatchNorm = true;
        k.push_back(std::move(c));
}

} // namespace nc::core::kinds
