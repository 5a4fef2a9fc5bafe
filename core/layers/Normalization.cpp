// Normalization: BatchNorm, LayerNorm, InstanceNorm and GroupNorm.
#include "ExplainWriter.h"
#include "KindSupport.h"

namespace nc::core::kinds {

namespace {

using W = ExplainWriter;
using F = OnnxBuilder::Fill;

int64_t normAxesElements(const Shape& x, int64_t axes)
{
    int64_t n = 1;
    for (int i = x.rank() - static_cast<int>(axes); i < x.rank(); ++i)
        n *= x[i];
    return n;
}

Result<Shape> batchNormShape(const LayerParams&, std::span<const Shape> in)
{
    if (in[0].empty())
        return Error{"expects an input with a channel axis"};
    return in[0];
}

Result<Shape> layerNormShape(const LayerParams& p, std::span<const Shape> in)
{
    if (p.normAxes > in[0].rank())
        return Error{"normalises " + str(p.normAxes) + " trailing axes but the input " + in[0].toString() +
                     " has only " + str(in[0].rank())};
    return in[0];
}

Result<Shape> instanceNormShape(const LayerParams&, std::span<const Shape> in)
{
    if (in[0].rank() < 2)
        return Error{"expects a C×H×W (or C×L) input, got " + in[0].toString()};
    return in[0];
}

Result<Shape> groupNormShape(const LayerParams& p, std::span<const Shape> in)
{
    if (in[0].empty())
        return Error{"expects an input with a channel axis"};
    if (in[0][0] % p.numGroups != 0)
        return Error{"channels " + str(in[0][0]) + " are not divisible by num_groups " + str(p.numGroups) +
                     "; choose groups that divide " + str(in[0][0])};
    return in[0];
}

// Params: γ and β per channel (2·C) when affine; BatchNorm's running mean and variance are state.
Result<LayerCosts> channelNormCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out, LayerType t)
{
    auto c = elementwiseCosts(out, normOpsPerElement(t, p.affine != 0));
    if (!c)
        return c;
    int64_t ch = in[0][0];
    c->params = p.affine ? 2 * ch : 0;
    if (t == LayerType::BatchNorm)
        c->state = p.trackStats ? 2 * ch : 0;
    return c;
}
Result<LayerCosts> batchNormCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return channelNormCosts(p, in, out, LayerType::BatchNorm);
}
Result<LayerCosts> instanceNormCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return channelNormCosts(p, in, out, LayerType::InstanceNorm);
}
Result<LayerCosts> groupNormCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return channelNormCosts(p, in, out, LayerType::GroupNorm);
}

// LayerNorm: γ and β for every normalised element.
Result<LayerCosts> layerNormCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    auto c = elementwiseCosts(out, normOpsPerElement(LayerType::LayerNorm, p.affine != 0));
    if (!c)
        return c;
    auto n = normAxesElements(in[0], p.normAxes);
    c->params = p.affine ? 2 * n : 0;
    return c;
}

// Normalising over spatial axes mixes every position.
void layerNormRf(const LayerParams& p, RfBuilder& b)
{
    if (b.inShapes[0].rank() == 3 && p.normAxes >= 2)
        b.globalBoth();
    else if (b.inShapes[0].rank() == 3)
        b.global(1);
}

void normExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const bool bn = L.node.type == LayerType::BatchNorm;
    std::string affineOf = W::n(L.in[0][0]);
    if (L.node.type == LayerType::LayerNorm) {
        Shape tail;
        for (int i = L.in[0].rank() - static_cast<int>(p.normAxes); i < L.in[0].rank(); ++i)
            tail.push(L.in[0][i]);
        affineOf = tail.rank() > 1 ? "(" + W::dimsProduct(tail) + ")" : W::dimsProduct(tail);
    }
    L.text("out", "out = " + L.o.toString() + " (same as its input)");
    if (p.affine)
        L.eq("params", "params (γ, β)", "2·" + affineOf, L.r.params);
    else
        L.text("params", "params = 0 (no affine γ, β)");
    if (bn && p.trackStats)
        L.eq("state", "running mean, variance", "2·" + affineOf, L.r.state);
    const int64_t per = normOpsPerElement(L.node.type, p.affine != 0);
    L.eq("ops", L.batchLabel("ops"), L.timesBatch(W::dimsProduct(L.o) + "·" + W::n(per)), L.r.otherOps);
    if (L.node.type == LayerType::InstanceNorm || L.node.type == LayerType::GroupNorm)
        L.fieldGlobal();
}

std::string noSummary(const LayerParams&) { return {}; }
std::string layerNormSummary(const LayerParams& p) { return p.normAxes != 1 ? W::n(p.normAxes) + " axes" : ""; }
std::string groupNormSummary(const LayerParams& p) { return W::n(p.numGroups) + " groups"; }

KernelPlan normKernel(const LayerParams& q, std::span<const Shape> in, kernels::OpKind kind)
{
    kernels::KernelOp op;
    op.kind = kind;
    op.eps = static_cast<float>(q.eps);
    op.numGroups = q.numGroups;
    op.normAxis = in[0].rank() + 1 - q.normAxes; // the kernel's rank includes the batch axis
    return singleKernel(op);
}
KernelPlan batchNormKernel(const LayerParams& q, std::span<const Shape> in, const Shape&)
{
    return normKernel(q, in, kernels::OpKind::BatchNorm);
}
KernelPlan layerNormKernel(const LayerParams& q, std::span<const Shape> in, const Shape&)
{
    return normKernel(q, in, kernels::OpKind::LayerNorm);
}
KernelPlan instanceNormKernel(const LayerParams& q, std::span<const Shape> in, const Shape&)
{
    return normKernel(q, in, kernels::OpKind::InstanceNorm);
}
KernelPlan groupNormKernel(const LayerParams& q, std::span<const Shape> in, const Shape&)
{
    return normKernel(q, in, kernels::OpKind::GroupNorm);
}

Result<PyCode> channelNormPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const Shape& in = c.in[0];
    const bool bn = c.node.type == LayerType::BatchNorm;
    int dims = bn ? (in.rank() <= 2 ? 1 : in.rank() - 1) : in.rank() - 1;
    if (dims < 1 || dims > 3)
        return Error{"layer \"" + c.node.name + "\": " + (bn ? "BatchNorm" : "InstanceNorm") + " over " +
                     in.toString() + " samples has no PyTorch module"};
    std::vector<std::string> a{pyInt(in[0])};
    if (p.eps != 1e-5)
        a.push_back("eps=" + pyNum(p.eps));
    if (bn && !p.affine)
        a.push_back("affine=False");
    if (!bn && p.affine)
        a.push_back("affine=True");
    if (bn && !p.trackStats)
        a.push_back("track_running_stats=False");
    return PyCode{std::string(bn ? "nn.BatchNorm" : "nn.InstanceNorm") + pyInt(dims) + "d(" + pyJoin(a) + ")", {}, {}};
}

Result<PyCode> layerNormPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const Shape& in = c.in[0];
    std::vector<std::string> dims;
    for (int k = in.rank() - static_cast<int>(p.normAxes); k < in.rank(); ++k)
        dims.push_back(pyInt(in[k]));
    std::vector<std::string> a{dims.size() == 1 ? dims[0] : "(" + pyJoin(dims) + ")"};
    if (p.eps != 1e-5)
        a.push_back("eps=" + pyNum(p.eps));
    if (!p.affine)
        a.push_back("elementwise_affine=False");
    return PyCode{"nn.LayerNorm(" + pyJoin(a) + ")", {}, {}};
}

Result<PyCode> groupNormPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    std::vector<std::string> a{pyInt(p.numGroups), pyInt(c.in[0][0])};
    if (p.eps != 1e-5)
        a.push_back("eps=" + pyNum(p.eps));
    if (!p.affine)
        a.push_back("affine=False");
    return PyCode{"nn.GroupNorm(" + pyJoin(a) + ")", {}, {}};
}

Status batchNormOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const std::string& L = c.node.name;
    const int64_t ch = c.in[0][0];
    int k = b.node("BatchNormalization",
                   {c.ins[0], b.weight(L + ".weight", {ch}, F::Ones), b.weight(L + ".bias", {ch}, F::Zeros),
                    b.weight(L + ".running_mean", {ch}, F::Zeros), b.weight(L + ".running_var", {ch}, F::Ones)},
                   c.y, L);
    b.attrF(k, "epsilon", c.node.params.eps);
    return {};
}

Status layerNormOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    std::vector<int64_t> dims(c.in[0].end() - p.normAxes, c.in[0].end());
    int k = b.node("LayerNormalization",
                   {c.ins[0], b.weight(L + ".weight", dims, F::Ones), b.weight(L + ".bias", dims, F::Zeros)}, c.y, L);
    b.attr(k, "axis", -p.normAxes);
    b.attrF(k, "epsilon", p.eps);
    return {};
}

Status instanceNormOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const std::string& L = c.node.name;
    const int64_t ch = c.in[0][0];
    int k = b.node("InstanceNormalization",
                   {c.ins[0], b.weight(L + ".weight", {ch}, F::Ones), b.weight(L + ".bias", {ch}, F::Zeros)}, c.y, L);
    b.attrF(k, "epsilon", c.node.params.eps);
    return {};
}

// PyTorch's pattern: group the channels, instance-normalise, ungroup, then γ and β.
Status groupNormOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    const Shape& in = c.in[0];
    const int64_t ch = in[0], groups = p.numGroups;
    std::string r1 = b.fresh(L + "/Reshape_output"), nrm = b.fresh(L + "/InstanceNormalization_output");
    std::string r2 = p.affine ? b.fresh(L + "/Reshape_1_output") : c.y;
    b.node("Reshape", {c.ins[0], b.ints(L + "/group_shape", {0, groups, -1})}, r1, L + "/Reshape");
    int in1 = b.node("InstanceNormalization",
                     {r1, b.weight(L + "/group_scale", {groups}, F::Ones),
                      b.weight(L + "/group_bias", {groups}, F::Zeros)},
                     nrm, L + "/InstanceNormalization");
    b.attrF(in1, "epsilon", p.eps);
    std::vector<int64_t> back{0};
    back.insert(back.end(), in.begin(), in.end());
    b.node("Reshape", {nrm, b.ints(L + "/shape", back)}, r2, L + "/Reshape_1");
    if (p.affine) {
        std::vector<int64_t> gd{ch};
        gd.resize(static_cast<size_t>(in.rank()), 1);
        std::string m = b.fresh(L + "/Mul_output");
        b.node("Mul", {r2, b.weight(L + ".weight", gd, F::Ones)}, m, L + "/Mul");
        b.node("Add", {m, b.weight(L + ".bias", gd, F::Zeros)}, c.y, L + "/Add");
    }
    return {};
}

const OnnxImportDecl kBatchNormImport{{"BatchNormalization"}};
const OnnxImportDecl kLayerNormImport{{"LayerNormalization", "ReduceMean", "Sub", "Pow", "Sqrt", "Div"}};
const OnnxImportDecl kInstanceNormImport{{"InstanceNormalization"}};
const OnnxImportDecl kGroupNormImport{{"GroupNormalization", "InstanceNormalization"}};

LayerKind norm(LayerSpec spec, std::string_view palette, std::string_view help)
{
    LayerKind c;
    c.spec = std::move(spec);
    c.palette = {paletteEntry(c.spec, palette, help)};
    c.explain = normExplain;
    return c;
}

} // namespace

void registerNormalization(std::vector<LayerKind>& k)
{
    {
        LayerKind c = norm(makeSpec(LayerType::BatchNorm, "batch_norm", "BatchNorm", Category::Normalization,
                                    "Batch normalisation over axis 0 (channels). Params: γ and β per channel (2·C); "
                                    "the running mean and variance are state (2·C), not parameters.",
                                    {boolAttr("affine", "Learnable γ, β", &P::affine),
                                     boolAttr("track_running_stats", "Running statistics", &P::trackStats),
                                     floatAttr("eps", "Epsilon", &P::eps, 0, 1), bitsAttr()}),
                           "BatchNorm", "batch normalisation");
        c.shape = batchNormShape;
        c.costs = batchNormCosts;
        c.receptiveField = rfPassThrough; // per-channel statistics: each position stays its own
        c.summary = noSummary;
        c.kernel = batchNormKernel;
        c.nameStem = "bn";
        c.pytorch = channelNormPy;
        c.onnxExport = batchNormOnnx;
        c.onnxImport = &kBatchNormImport;
        k.push_back(std::move(c));
    }
    {
        LayerKind c = norm(makeSpec(LayerType::LayerNorm, "layer_norm", "LayerNorm", Category::Normalization,
                                    "Layer normalisation over the last `axes` axes of each sample. Params: γ and β "
                                    "for every normalised element.",
                                    {intAttr("axes", "Normalised trailing axes", &P::normAxes, 1, Shape::kMaxRank),
                                     boolAttr("affine", "Learnable γ, β", &P::affine),
                                     floatAttr("eps", "Epsilon", &P::eps, 0, 1), bitsAttr()}),
                           "LayerNorm", "layer normalisation");
        c.shape = layerNormShape;
        c.costs = layerNormCosts;
        c.receptiveField = layerNormRf;
        c.summary = layerNormSummary;
        c.kernel = layerNormKernel;
        c.nameStem = "ln";
        c.pytorch = layerNormPy;
        c.onnxExport = layerNormOnnx;
        c.onnxImport = &kLayerNormImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.affine = 0;
        LayerKind c = norm(makeSpec(LayerType::InstanceNorm, "instance_norm", "InstanceNorm", Category::Normalization,
                                    "Instance normalisation: each channel of each sample over H×W. Params: 2·C if "
                                    "affine.",
                                    {boolAttr("affine", "Learnable γ, β", &P::affine),
                                     floatAttr("eps", "Epsilon", &P::eps, 0, 1), bitsAttr()},
                                    d),
                           "InstanceNorm", "instance normalisation");
        c.shape = instanceNormShape;
        c.costs = instanceNormCosts;
        c.receptiveField = rfGlobal;
        c.summary = noSummary;
        c.kernel = instanceNormKernel;
        c.pytorch = channelNormPy;
        c.onnxExport = instanceNormOnnx;
        c.onnxImport = &kInstanceNormImport;
        k.push_back(std::move(c));
    }
    {
        LayerKind c = norm(makeSpec(LayerType::GroupNorm, "group_norm", "GroupNorm", Category::Normalization,
                                    "Group normalisation: channels split into groups, each normalised over its "
                                    "channels and H×W. Params: 2·C.",
                                    {intAttr("num_groups", "Groups", &P::numGroups, 1, kBig),
                                     boolAttr("affine", "Learnable γ, β", &P::affine),
                                     floatAttr("eps", "Epsilon", &P::eps, 0, 1), bitsAttr()}),
                           "GroupNorm", "group normalisation");
        c.shape = groupNormShape;
        c.costs = groupNormCosts;
        c.receptiveField = rfGlobal;
        c.summary = groupNormSummary;
        c.kernel = groupNormKernel;
        c.pytorch = groupNormPy;
        c.onnxExport = groupNormOnnx;
        c.onnxImport = &kGroupNormImport;
        k.push_back(std::move(c));
    }
}

} // namespace nc::core::kinds
