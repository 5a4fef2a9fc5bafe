// Transformer: patch embedding, multi-head self-attention and the MLP block.
#include "ExplainWriter.h"
#include "KindSupport.h"

#include <cmath>

namespace nc::core::kinds {

namespace {

using W = ExplainWriter;
using F = OnnxBuilder::Fill;

// ---- patch embedding ----

Result<Shape> patchShape(const LayerParams& p, std::span<const Shape> in)
{
    const Shape& x = in[0];
    if (auto s = expectRank(x, 3, "C×H×W"); !s)
        return Error{s.error()};
    if (x[1] % p.patch != 0 || x[2] % p.patch != 0)
        return Error{"input " + str(x[1]) + "×" + str(x[2]) + " is not a multiple of patch " + str(p.patch) +
                     "; resize the input or change the patch size"};
    auto tokens = checkedMul(x[1] / p.patch, x[2] / p.patch);
    if (!tokens)
        return overflow("token count");
    return Shape{*tokens + (p.classToken ? 1 : 0), p.features};
}

// Params: D·C·p·p + D (the stride-p convolution) + D (class token) + T·D (position embedding).
Result<LayerCosts> patchCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    LayerCosts c;
    int64_t cin = in[0][0];
    int64_t grid = (in[0][1] / p.patch) * (in[0][2] / p.patch);
    int64_t tokens = out[0], d = out[1];
    auto w = mulAll({d, cin, p.patch, p.patch});
    if (!w)
        return overflow("parameter count");
    auto m = checkedMul(*w, grid);
    auto pos = checkedMul(tokens, d);
    auto biasOps = checkedMul(grid, d);
    if (!m || !pos || !biasOps)
        return overflow("MAC count");
    c.params = *w + (p.bias ? d : 0) + (p.classToken ? d : 0) + (p.posEmbed ? *pos : 0);
    c.macs = *m;
    c.otherOps = (p.bias ? *biasOps : 0) + (p.posEmbed ? *pos : 0);
    return c;
}

void patchRf(const LayerParams& p, RfBuilder& b)
{
    b.window(0, p.patch, p.patch, 1, 0, b.inShapes[0][1] / p.patch);
    b.window(1, p.patch, p.patch, 1, 0, b.inShapes[0][2] / p.patch);
}

void patchExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const Shape& x = L.in[0];
    const int64_t D = L.o[1];
    const std::string grid = "(" + W::n(x[1]) + "/" + W::n(p.patch) + ")·(" + W::n(x[2]) + "/" + W::n(p.patch) + ")";
    L.eq("out", "tokens", grid + (p.classToken ? " + 1" : ""), L.o[0]);
    const std::string w = W::factors({D, x[0], p.patch, p.patch});
    std::string params = w;
    if (p.bias)
        params += " + " + W::n(D);
    if (p.classToken)
        params += " + " + W::n(D);
    if (p.posEmbed)
        params += " + " + W::factors({L.o[0], D});
    L.eq("params", "params", params, L.r.params);
    L.eq("MACs", L.batchLabel("MACs"), L.timesBatch(w + "·" + grid), L.r.macs);
    L.fieldWindow(p.patch, p.patch, 1, 1, p.patch, p.patch);
}

std::string patchSummary(const LayerParams& p) { return "p" + W::n(p.patch) + " →" + W::n(p.features); }

KernelPlan patchKernel(const LayerParams& q, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::Conv2d;
    op.kh = op.kw = op.sh = op.sw = q.patch;
    op.outChannels = q.features;
    op.bias = q.bias != 0;
    KernelPlan p = singleKernel(op);
    p.patchTokens = true;
    return p;
}

Result<PyCode> patchPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    std::vector<std::string> a{pyInt(c.in[0][0]), pyInt(p.features), "kernel_size=" + pyInt(p.patch),
                               "stride=" + pyInt(p.patch)};
    if (!p.bias)
        a.push_back("bias=False");
    PyCode code;
    code.module = "nn.Conv2d(" + pyJoin(a) + ")";
    const std::string& out = c.outVar;
    code.forward.push_back(out + " = self." + c.attr + "(" + c.ins[0] + ").flatten(2).transpose(1, 2)");
    if (p.classToken) {
        std::string cls = c.newParam("_cls_token");
        code.init.push_back("self." + cls + " = nn.Parameter(torch.zeros(1, 1, " + pyInt(p.features) + "))");
        code.forward.push_back(out + " = torch.cat([self." + cls + ".expand(" + out + ".shape[0], -1, -1), " + out +
                               "], dim=1)");
    }
    if (p.posEmbed) {
        std::string pos = c.newParam("_pos_embed");
        code.init.push_back("self." + pos + " = nn.Parameter(torch.zeros(1, " + pyInt(c.out[0]) + ", " +
                            pyInt(p.features) + "))");
        code.forward.push_back(out + " = " + out + " + self." + pos);
    }
    return code;
}

Status patchOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    const int64_t ch = c.in[0][0], d = p.features, pt = p.patch, tokens = c.out[0];
    std::string conv = b.fresh(L + "/Conv_output"), flat = b.fresh(L + "/Reshape_output");
    std::vector<std::string> cin{c.ins[0], b.weight(L + ".proj.weight", {d, ch, pt, pt}, F::Random, ch * pt * pt)};
    if (p.bias)
        cin.push_back(b.weight(L + ".proj.bias", {d}, F::Random, ch * pt * pt));
    int cv = b.node("Conv", cin, conv, L + "/Conv");
    b.attr(cv, "kernel_shape", std::vector<int64_t>{pt, pt});
    b.attr(cv, "strides", std::vector<int64_t>{pt, pt});
    b.attr(cv, "pads", std::vector<int64_t>{0, 0, 0, 0});
    b.node("Reshape", {conv, b.ints(L + "/shape", {0, d, -1})}, flat, L + "/Reshape");
    std::string cur = (p.classToken || p.posEmbed) ? b.fresh(L + "/Transpose_output") : c.y;
    b.attr(b.node("Transpose", {flat}, cur, L + "/Transpose"), "perm", std::vector<int64_t>{0, 2, 1});
    if (p.classToken) {
        std::string cls = b.fresh(L + "/Expand_output");
        std::string cat = p.posEmbed ? b.fresh(L + "/Concat_output") : c.y;
        b.node("Expand",
               {b.weight(L + ".cls_token", {1, 1, d}, F::Random, d), b.ints(L + "/cls_shape", {b.batch(), 1, d})},
               cls, L + "/Expand");
        b.attr(b.node("Concat", {cls, cur}, cat, L + "/Concat"), "axis", int64_t{1});
        cur = cat;
    }
    if (p.posEmbed)
        b.node("Add", {cur, b.weight(L + ".pos_embed", {1, tokens, d}, F::Random, d)}, c.y, L + "/Add");
    return {};
}

// ---- multi-head self-attention ----

Result<Shape> attentionShape(const LayerParams& p, std::span<const Shape> in)
{
    if (auto s = expectRank(in[0], 2, "T×D token"); !s)
        return Error{s.error()};
    if (in[0][1] % p.heads != 0)
        return Error{"embedding dim " + str(in[0][1]) + " is not divisible by heads " + str(p.heads) +
                     "; choose heads that divide it"};
    return in[0];
}

// Params 4·D² + 4·D; MACs 4·T·D² (Q, K, V, output projections) + 2·T²·D (Q·Kᵀ and A·V over all
// heads: heads·T·T·(D/heads) each); 6 ops per attention-map element (scale + softmax); working memory
// Q, K, V, merged heads and the heads×T×T map.
Result<LayerCosts> attentionCosts(const LayerParams& p, std::span<const Shape> in, const Shape&)
{
    LayerCosts c;
    int64_t tok = in[0][0], d = in[0][1];
    auto dd = checkedMul(d, d);
    auto tt = checkedMul(tok, tok);
    if (!dd || !tt)
        return overflow("attention size");
    auto proj = mulAll({4, tok, *dd});
    auto attn = mulAll({2, *tt, d});
    auto map = checkedMul(p.heads, *tt);
    if (!proj || !attn || !map)
        return overflow("MAC count");
    auto macs = checkedAdd(*proj, *attn);
    auto p4 = checkedMul(4, *dd);
    auto ops = checkedMul(6, *map);
    auto qkv = mulAll({4, tok, d});
    auto ws = qkv ? checkedAdd(*qkv, *map) : std::nullopt;
    if (!macs || !p4 || !ops || !ws)
        return overflow("MAC count");
    c.params = *p4 + (p.bias ? 4 * d : 0);
    c.macs = *macs;
    c.otherOps = *ops + (p.bias ? *qkv : 0);
    c.workspace = *ws;
    return c;
}

void attentionExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const int64_t T = L.in[0][0], D = L.in[0][1];
    L.eq("head", "head dim", W::n(D) + "/" + W::n(p.heads), D / p.heads);
    L.eq("params", "params", W::factors({4, D, D}) + (p.bias ? " + " + W::factors({4, D}) : ""), L.r.params);
    L.eq("MACs", L.batchLabel("MACs"), L.timesBatch(W::factors({4, T, D, D}) + " + " + W::factors({2, T, T, D})),
         L.r.macs);
    L.eq("workspace", "working memory (Q, K, V, heads, map)",
         W::bytesExpr(L.timesBatch(W::factors({4, T, D}) + " + " + W::factors({p.heads, T, T})), L.r.bits),
         L.r.workspaceBytes, " B");
    L.fieldGlobal();
}

std::string headsSummary(const LayerParams& p) { return W::n(p.heads) + (p.heads == 1 ? " head" : " heads"); }

KernelPlan attentionKernel(const LayerParams& q, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::Attention;
    op.heads = q.heads;
    op.bias = q.bias != 0;
    return singleKernel(op);
}

Result<PyCode> attentionPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    std::vector<std::string> a{pyInt(c.in[0][1]), pyInt(p.heads)};
    if (!p.bias)
        a.push_back("bias=False");
    a.push_back("batch_first=True");
    const std::string& x = c.ins[0];
    // torch 1.13's inference fast path crashes without biases (it passes a None qkv_bias to the
    // native kernel); an all-zero additive mask keeps it on the general path and changes nothing.
    const std::string mask =
        p.bias ? "" : ", attn_mask=" + x + ".new_zeros(" + pyInt(c.in[0][0]) + ", " + pyInt(c.in[0][0]) + ")";
    return PyCode{"nn.MultiheadAttention(" + pyJoin(a) + ")",
                  {c.outVar + ", _ = self." + c.attr + "(" + x + ", " + x + ", " + x + ", need_weights=False" + mask + ")"},
                  {}};
}

Status attentionOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    const std::string& x = c.ins[0];
    const int64_t d = c.in[0][1], h = p.heads, hd = d / h;
    auto heads = [&](const std::string& part, std::vector<int64_t> perm) {
        std::string proj = b.fresh(L + "/" + part);
        onnxLinear(b, L + "/" + part, x, d, d, p.bias != 0, 2, proj);
        std::string r = b.fresh(L + "/" + part + "/Reshape_output"), tr = b.fresh(L + "/" + part + "/Transpose_output");
        b.node("Reshape", {proj, b.ints(L + "/" + part + "/shape", {0, 0, h, hd})}, r, L + "/" + part + "/Reshape");
        b.attr(b.node("Transpose", {r}, tr, L + "/" + part + "/Transpose"), "perm", perm);
        return tr;
    };
    std::string q = heads("q", {0, 2, 1, 3}), k = heads("k", {0, 2, 3, 1}), v = heads("v", {0, 2, 1, 3});
    std::string s = b.fresh(L + "/scores"), ss = b.fresh(L + "/scaled"), a = b.fresh(L + "/weights"),
                o = b.fresh(L + "/context"), ot = b.fresh(L + "/Transpose_output"), om = b.fresh(L + "/merged");
    b.node("MatMul", {q, k}, s, L + "/MatMul");
    b.node("Div", {s, b.scalar(L + "/scale", std::sqrt(static_cast<float>(hd)))}, ss, L + "/Div");
    b.attr(b.node("Softmax", {ss}, a, L + "/Softmax"), "axis", int64_t{-1});
    b.node("MatMul", {a, v}, o, L + "/MatMul_1");
    b.attr(b.node("Transpose", {o}, ot, L + "/Transpose"), "perm", std::vector<int64_t>{0, 2, 1, 3});
    b.node("Reshape", {ot, b.ints(L + "/merge_shape", {0, 0, d})}, om, L + "/Reshape");
    onnxLinear(b, L + "/out", om, d, d, p.bias != 0, 2, c.y);
    return {};
}

// ---- MLP block ----

Result<Shape> mlpShape(const LayerParams& p, std::span<const Shape> in)
{
    if (in[0].empty())
        return Error{"expects an input with at least one axis"};
    Shape o = in[0];
    if (p.features > 0)
        o[o.rank() - 1] = p.features;
    return o;
}

// Linear(D→H), GELU, Linear(H→out): params D·H + H + H·out + out, MACs rows·(D·H + H·out).
Result<LayerCosts> mlpCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    LayerCosts c;
    int64_t d = in[0].back();
    int64_t rows = *in[0].elements() / d;
    int64_t o = out.back();
    auto w1 = checkedMul(d, p.hidden);
    auto w2 = checkedMul(p.hidden, o);
    auto w = w1 && w2 ? checkedAdd(*w1, *w2) : std::nullopt;
    if (!w)
        return overflow("parameter count");
    auto m = checkedMul(rows, *w);
    auto hid = checkedMul(rows, p.hidden);
    auto act = hid ? checkedMul(layerKind(LayerType::GELU).opsPerElement, *hid) : std::nullopt;
    if (!m || !hid || !act)
        return overflow("MAC count");
    c.params = *w + (p.bias ? p.hidden + o : 0);
    c.macs = *m;
    c.otherOps = *act + (p.bias ? *hid + rows * o : 0);
    c.workspace = *hid;
    return c;
}

void mlpExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const int64_t D = L.in[0].back(), H = p.hidden, O = L.o.back();
    const int64_t rows = *L.in[0].elements() / D;
    const std::string w = W::factors({D, H}) + " + " + W::factors({H, O});
    L.eq("params", "params", w + (p.bias ? " + " + W::n(H) + " + " + W::n(O) : ""), L.r.params);
    L.eq("MACs", L.batchLabel("MACs"), L.timesBatch(rows == 1 ? w : W::n(rows) + "·(" + w + ")"), L.r.macs);
    L.eq("workspace", "hidden activations", W::bytesExpr(L.timesBatch(W::factors({rows, H})), L.r.bits),
         L.r.workspaceBytes, " B");
}

std::string mlpSummary(const LayerParams& p) { return "hidden " + W::n(p.hidden); }

KernelPlan mlpKernel(const LayerParams& q, std::span<const Shape> in, const Shape&)
{
    KernelPlan p;
    KernelSub a = kernelSub(kernels::OpKind::Linear, {-1});
    a.op.outChannels = q.hidden;
    a.op.bias = q.bias != 0;
    KernelSub g = kernelSub(kernels::OpKind::GELU, {0});
    KernelSub c = kernelSub(kernels::OpKind::Linear, {1});
    c.op.outChannels = q.features > 0 ? q.features : in[0].back();
    c.op.bias = q.bias != 0;
    p.subs = {std::move(a), std::move(g), std::move(c)};
    return p;
}

Result<PyCode> mlpPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const int64_t d = c.in[0].back(), o = c.out.back();
    std::string b = p.bias ? "" : ", bias=False";
    return PyCode{"nn.Sequential(nn.Linear(" + pyInt(d) + ", " + pyInt(p.hidden) + b + "), nn.GELU(), nn.Linear(" +
                      pyInt(p.hidden) + ", " + pyInt(o) + b + "))",
                  {},
                  {}};
}

Status mlpOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    const Shape& in = c.in[0];
    std::string h1 = b.fresh(L + "/fc1_output"), a = b.fresh(L + "/act_output");
    onnxLinear(b, L + "/fc1", c.ins[0], in.back(), p.hidden, p.bias != 0, in.rank(), h1);
    onnxGelu(b, L + "/act", h1, a);
    onnxLinear(b, L + "/fc2", a, p.hidden, c.out.back(), p.bias != 0, in.rank(), c.y);
    return {};
}

int64_t patchArea(const LayerParams& p) { return p.patch * p.patch; }

const OnnxImportDecl kPatchImport{{"Conv"}};
const OnnxImportDecl kAttentionImport{{"MatMul", "Softmax"}};
const OnnxImportDecl kMlpImport{{"MatMul", "Gemm"}};

} // namespace

void registerTransformer(std::vector<LayerKind>& k)
{
    {
        LayerParams d;
        d.features = 192;
        LayerKind c;
        c.spec = makeSpec(LayerType::PatchEmbed, "patch_embed", "PatchEmbed", Category::Attention,
                          "ViT patch embedding: a p×p stride-p convolution C→D, flattened to (ho·wo) tokens of D, "
                          "an optional class token (D parameters) prepended and a learned position embedding "
                          "(tokens·D parameters) added.",
                          {intAttr("embed_dim", "Embedding dim", &P::features, 1, kBig),
                           intAttr("patch", "Patch size", &P::patch, 1, kBig),
                           boolAttr("class_token", "Class token", &P::classToken),
                           boolAttr("pos_embed", "Position embedding", &P::posEmbed),
                           boolAttr("bias", "Bias", &P::bias), bitsAttr()},
                          d);
        c.palette = {paletteEntry(c.spec, "Patch Embedding", "ViT patches to tokens")};
        c.spatial = true;
        c.shape = patchShape;
        c.costs = patchCosts;
        c.receptiveField = patchRf;
        c.explain = patchExplain;
        c.summary = patchSummary;
        c.kernel = patchKernel;
        c.windowArea = patchArea;
        c.pytorch = patchPy;
        c.onnxExport = patchOnnx;
        c.onnxImport = &kPatchImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.heads = 3;
        LayerKind c;
        c.spec = makeSpec(LayerType::MultiHeadAttention, "multi_head_attention", "MultiHeadAttention",
                          Category::Attention,
                          "Multi-head self-attention over T×D tokens. Params: Q, K, V and output projections, "
                          "4·D² + 4·D. MACs: 4·T·D² (projections) + 2·T²·D (Q·Kᵀ and A·V). The attention "
                          "map, heads×T×T, is working memory during the layer.",
                          {intAttr("heads", "Heads", &P::heads, 1, kBig), boolAttr("bias", "Bias", &P::bias),
                           bitsAttr()},
                          d);
        c.palette = {paletteEntry(c.spec, "Multi-Head Attention", "self-attention")};
        c.shape = attentionShape;
        c.costs = attentionCosts;
        c.receptiveField = rfGlobal; // every token attends to every other
        c.explain = attentionExplain;
        c.summary = headsSummary;
        c.kernel = attentionKernel;
        c.nameStem = "attn";
        c.pytorch = attentionPy;
        c.onnxExport = attentionOnnx;
        c.onnxImport = &kAttentionImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.hidden = 768;
        d.features = 0;
        LayerKind c;
        c.spec = makeSpec(LayerType::Mlp, "mlp", "MLP", Category::Attention,
                          "Transformer feed-forward block made of Linear(D→H), GELU, Linear(H→out); out = D "
                          "when 0. Its figures are the sums of those pieces'.",
                          {intAttr("hidden", "Hidden width", &P::hidden, 1, kBig),
                           intAttr("out_features", "Out features (0 = same as input)", &P::features, 0, kBig),
                           boolAttr("bias", "Bias", &P::bias), bitsAttr()},
                          d);
        c.palette = {paletteEntry(c.spec, "MLP Block", "Linear–GELU–Linear")};
        c.shape = mlpShape;
        c.costs = mlpCosts;
        c.receptiveField = rfLastAxis;
        c.explain = mlpExplain;
        c.summary = mlpSummary;
        c.kernel = mlpKernel;
        c.pytorch = mlpPy;
        c.onnxExport = mlpOnnx;
        c.onnxImport = &kMlpImport;
        k.push_back(std::move(c));
    }
}

} // namespace nc::core::kinds
