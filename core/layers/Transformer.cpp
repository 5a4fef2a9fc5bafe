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

// ---- multi-head attention: self or cross, grouped-query, causal, rotary, flash ----

// The sizes of one attention layer: queries Tq×D from input 0; keys and values from S×E positions of
// input 1 (cross-attention) or of input 0 itself; h query heads of hd = D/h, g key/value heads.
struct AttnDims {
    int64_t tq, d, s, e, h, g, hd, kv; // kv = g·hd, the width of the K and V projections
};

AttnDims attnDims(const LayerParams& p, std::span<const Shape> in)
{
    const Shape& mem = in.size() > 1 ? in[1] : in[0];
    AttnDims a{in[0][0], in[0][1], mem[0], mem[1], p.heads, p.kvHeads > 0 ? p.kvHeads : p.heads, 0, 0};
    a.hd = a.d / a.h;
    a.kv = a.g * a.hd;
    return a;
}

bool plainAttention(const LayerParams& p)
{
    return !p.causal && !p.rope && (p.kvHeads == 0 || p.kvHeads == p.heads);
}

Result<Shape> attentionShape(const LayerParams& p, std::span<const Shape> in)
{
    if (auto s = expectRank(in[0], 2, "T×D token"); !s)
        return Error{s.error()};
    if (in.size() > 1)
        if (auto s = expectRank(in[1], 2, "T×D token (keys and values, input 1)"); !s)
            return Error{s.error()};
    if (in[0][1] % p.heads != 0)
        return Error{"embedding dim " + str(in[0][1]) + " is not divisible by heads " + str(p.heads) +
                     "; choose heads that divide it"};
    if (p.kvHeads > 0 && p.heads % p.kvHeads != 0)
        return Error{"heads " + str(p.heads) + " are not a multiple of kv_heads " + str(p.kvHeads) +
                     "; each key/value head serves a whole group of query heads"};
    if (p.rope && (in[0][1] / p.heads) % 2 != 0)
        return Error{"rotary embedding needs an even head dim, got " + str(in[0][1] / p.heads)};
    return in[0];
}

// Params: Q and output projections D·D each, K and V E·kv each (kv = kv_heads·head_dim), biases
// D + 2·kv + D. MACs: projections Tq·D·D·2 + S·E·kv·2, then Q·Kᵀ and A·V, h·Tq·S·hd = Tq·S·D each.
// Other ops: 6 per map element (scale + softmax), bias adds, 1 per map element for a causal mask,
// 3 per rotated Q and K element for rotary embedding (x·cos + rot(x)·sin). Working memory: Q, K, V,
// the merged heads and, unless flash attention fuses it away, the heads×Tq×S map. The mask does not
// remove MACs: the dense kernel computes the whole map and masks it.
Result<LayerCosts> attentionCosts(const LayerParams& p, std::span<const Shape> in, const Shape&)
{
    LayerCosts c;
    const AttnDims a = attnDims(p, in);
    auto dd = checkedMul(a.d, a.d);
    auto ekv = checkedMul(a.e, a.kv);
    auto qo = mulAll({2, a.tq, a.d, a.d});
    auto kvp = mulAll({2, a.s, a.e, a.kv});
    auto attn = mulAll({2, a.tq, a.s, a.d});
    auto map = mulAll({a.h, a.tq, a.s});
    auto qElems = checkedMul(a.tq, a.d);
    auto kElems = checkedMul(a.s, a.kv);
    if (!dd || !ekv || !qo || !kvp || !attn || !map || !qElems || !kElems)
        return overflow("attention size");
    auto macs = checkedAdd(*qo, *kvp);
    macs = macs ? checkedAdd(*macs, *attn) : std::nullopt;
    auto w = checkedAdd(2 * *dd, 2 * *ekv); // both halves checked above via qo and kvp
    auto softmax = checkedMul(6, *map);
    auto biasOps = checkedAdd(2 * *qElems, 2 * *kElems);
    auto qk = checkedAdd(*qElems, *kElems);
    auto ropeOps = qk ? checkedMul(3, *qk) : std::nullopt;
    auto ws = checkedAdd(2 * *qElems, 2 * *kElems);
    if (!macs || !w || !softmax || !biasOps || !ropeOps || !ws)
        return overflow("MAC count");
    int64_t ops = *softmax + (p.bias ? *biasOps : 0) + (p.causal ? *map : 0) + (p.rope ? *ropeOps : 0);
    auto work = p.flash ? std::optional<int64_t>(*ws) : checkedAdd(*ws, *map);
    if (!work)
        return overflow("working memory");
    c.params = *w + (p.bias ? 2 * a.d + 2 * a.kv : 0);
    c.macs = *macs;
    c.otherOps = ops;
    c.workspace = *work;
    return c;
}

// A causal self-attention layer keeps K and V of every token of its context: 2·kv_heads·head_dim.
int64_t attentionKvCache(const LayerParams& p, std::span<const Shape> in)
{
    if (!p.causal || in.size() > 1)
        return 0;
    const AttnDims a = attnDims(p, in);
    return 2 * a.kv;
}

void attentionExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const AttnDims a = attnDims(p, L.in);
    const bool cross = L.in.size() > 1, grouped = a.g != a.h;
    L.eq("head", "head dim", W::n(a.d) + "/" + W::n(a.h), a.hd);
    if (grouped)
        L.eq("kv", "K, V width (kv_heads·head dim)", W::factors({a.g, a.hd}), a.kv);
    std::string w = grouped || cross ? W::factors({2, a.d, a.d}) + " + " + W::factors({2, a.e, a.kv})
                                     : W::factors({4, a.d, a.d});
    std::string b = grouped || cross ? W::factors({2, a.d}) + " + " + W::factors({2, a.kv}) : W::factors({4, a.d});
    L.eq("params", "params", w + (p.bias ? " + " + b : ""), L.r.params);
    std::string proj = grouped || cross ? W::factors({2, a.tq, a.d, a.d}) + " + " + W::factors({2, a.s, a.e, a.kv})
                                        : W::factors({4, a.tq, a.d, a.d});
    L.eq("MACs", L.batchLabel("MACs"), L.timesBatch(proj + " + " + W::factors({2, a.tq, a.s, a.d})), L.r.macs);
    std::string work = W::factors({2, a.tq, a.d}) + " + " + W::factors({2, a.s, a.kv});
    if (!grouped && !cross)
        work = W::factors({4, a.tq, a.d});
    if (p.flash)
        L.eq("workspace", "working memory (Q, K, V, heads; flash: no map)",
             W::bytesExpr(L.timesBatch(work), L.r.bits), L.r.workspaceBytes, " B");
    else
        L.eq("workspace", "working memory (Q, K, V, heads, map)",
             W::bytesExpr(L.timesBatch(work + " + " + W::factors({a.h, a.tq, a.s})), L.r.bits), L.r.workspaceBytes,
             " B");
    if (L.r.kvCacheBytes > 0)
        L.eq("kv cache", "KV cache (2·context·kv_heads·head dim)",
             W::bytesExpr(L.timesBatch(W::factors({2, L.r.kvContext, a.g, a.hd})), L.r.bits), L.r.kvCacheBytes,
             " B");
    L.fieldGlobal();
}

std::string headsSummary(const LayerParams& p)
{
    std::string s = W::n(p.heads) + (p.heads == 1 ? " head" : " heads");
    if (p.kvHeads > 0 && p.kvHeads != p.heads)
        s += " / " + W::n(p.kvHeads) + " kv";
    if (p.causal)
        s += " causal";
    return s;
}

KernelPlan attentionKernel(const LayerParams& q, std::span<const Shape> in, const Shape&)
{
    if (in.size() == 1 && plainAttention(q)) {
        kernels::KernelOp op;
        op.kind = kernels::OpKind::Attention; // one fused kernel: packed QKV GEMM, heads, output GEMM
        op.heads = q.heads;
        op.bias = q.bias != 0;
        return singleKernel(op);
    }
    // Causal, rotary, grouped-head or cross-attention: the four projections as Linear kernels around
    // the masked multi-head core, in the export's parameter order (q, k, v, o).
    const AttnDims a = attnDims(q, in);
    const int memory = in.size() > 1 ? -2 : -1;
    auto linear = [&](int source, int64_t out) {
        KernelSub l = kernelSub(kernels::OpKind::Linear, {source});
        l.op.outChannels = out;
        l.op.bias = q.bias != 0;
        return l;
    };
    KernelSub core = kernelSub(kernels::OpKind::ScaledDotProduct, {0, 1, 2});
    core.op.heads = a.h;
    core.op.kvHeads = a.g;
    core.op.causal = q.causal != 0;
    core.op.rope = q.rope != 0;
    KernelPlan p;
    p.subs = {linear(-1, a.d), linear(memory, a.kv), linear(memory, a.kv), std::move(core), linear(3, a.d)};
    return p;
}

// Written out with nn.Linear projections: nn.MultiheadAttention has no grouped key/value heads or
// rotary embedding. Parameter names and counts match PyTorch's own layers (q, k, v, o).
Result<PyCode> attentionCustomPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const AttnDims a = attnDims(p, c.in);
    const std::string b = p.bias ? "" : ", bias=False";
    const std::string& x = c.ins[0];
    const std::string& m = c.ins.size() > 1 ? c.ins[1] : c.ins[0];
    const std::string A = "self." + c.attr, v = "_" + c.attr;
    PyCode code;
    code.module = "nn.ModuleDict(dict(q=nn.Linear(" + pyInt(a.d) + ", " + pyInt(a.d) + b + "), k=nn.Linear(" +
                  pyInt(a.e) + ", " + pyInt(a.kv) + b + "), v=nn.Linear(" + pyInt(a.e) + ", " + pyInt(a.kv) + b +
                  "), o=nn.Linear(" + pyInt(a.d) + ", " + pyInt(a.d) + b + ")))";
    auto& f = code.forward;
    f.push_back(v + "q = " + A + "['q'](" + x + ").view(-1, " + pyInt(a.tq) + ", " + pyInt(a.h) + ", " +
                pyInt(a.hd) + ").transpose(1, 2)");
    f.push_back(v + "k = " + A + "['k'](" + m + ").view(-1, " + pyInt(a.s) + ", " + pyInt(a.g) + ", " +
                pyInt(a.hd) + ").transpose(1, 2)");
    f.push_back(v + "v = " + A + "['v'](" + m + ").view(-1, " + pyInt(a.s) + ", " + pyInt(a.g) + ", " +
                pyInt(a.hd) + ").transpose(1, 2)");
    if (p.rope) {
        // Rotary embedding as in Llama: pairs (i, i + hd/2) rotated by position·10000^(−2i/hd).
        const std::string half = pyInt(a.hd / 2);
        f.push_back(v + "f = 10000.0 ** (-torch.arange(0, " + pyInt(a.hd) + ", 2).float() / " + pyInt(a.hd) + ")");
        f.push_back(v + "rot = lambda t: torch.cat([-t[..., " + half + ":], t[..., :" + half + "]], -1)");
        f.push_back(v + "rope = lambda t: t * (torch.arange(t.shape[2]).float()[:, None] * " + v +
                    "f).repeat(1, 2).cos() + " + v + "rot(t) * (torch.arange(t.shape[2]).float()[:, None] * " + v +
                    "f).repeat(1, 2).sin()");
        f.push_back(v + "q, " + v + "k = " + v + "rope(" + v + "q), " + v + "rope(" + v + "k)");
    }
    if (a.g != a.h) {
        f.push_back(v + "k = " + v + "k.repeat_interleave(" + pyInt(a.h / a.g) + ", dim=1)");
        f.push_back(v + "v = " + v + "v.repeat_interleave(" + pyInt(a.h / a.g) + ", dim=1)");
    }
    f.push_back(v + "a = " + v + "q @ " + v + "k.transpose(-2, -1) / " + pyNum(std::sqrt(static_cast<double>(a.hd))));
    if (p.causal)
        f.push_back(v + "a = " + v + "a.masked_fill(torch.ones(" + pyInt(a.tq) + ", " + pyInt(a.s) +
                    ", dtype=torch.bool).triu(1), float('-inf'))");
    f.push_back(c.outVar + " = " + A + "['o']((" + v + "a.softmax(-1) @ " + v + "v).transpose(1, 2).reshape(-1, " +
                pyInt(a.tq) + ", " + pyInt(a.d) + "))");
    return code;
}

Result<PyCode> attentionPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    if (!plainAttention(p) || c.in.size() > 1)
        return attentionCustomPy(c);
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

// Plain self-attention: the operator sequence PyTorch exports (and the importer recognises).
Status plainAttentionOnnx(OnnxBuilder& b, const OnnxCtx& c)
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

Status attentionOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    if (plainAttention(p) && c.in.size() == 1)
        return plainAttentionOnnx(b, c);
    const std::string& L = c.node.name;
    const AttnDims a = attnDims(p, c.in);
    const std::string& x = c.ins[0];
    const std::string& mem = c.ins.size() > 1 ? c.ins[1] : c.ins[0];
    // Projects, splits into heads and moves the head axis forward: B×heads×T×hd.
    auto heads = [&](const std::string& part, const std::string& src, int64_t in, int64_t width, int64_t n) {
        std::string proj = b.fresh(L + "/" + part);
        onnxLinear(b, L + "/" + part, src, in, width, p.bias != 0, 2, proj);
        std::string r = b.fresh(L + "/" + part + "/Reshape_output"), tr = b.fresh(L + "/" + part + "/Transpose_output");
        b.node("Reshape", {proj, b.ints(L + "/" + part + "/shape", {0, 0, n, a.hd})}, r, L + "/" + part + "/Reshape");
        b.attr(b.node("Transpose", {r}, tr, L + "/" + part + "/Transpose"), "perm", std::vector<int64_t>{0, 2, 1, 3});
        return tr;
    };
    std::string q = heads("q", x, a.d, a.d, a.h), k = heads("k", mem, a.e, a.kv, a.g),
                v = heads("v", mem, a.e, a.kv, a.g);
    if (p.rope) {
        // x·cos + rot(x)·sin, rot(x) = (−x₂, x₁) over the two halves of the head dim; tables as constants.
        auto table = [&](int64_t t, bool sine) {
            std::vector<float> vals(static_cast<size_t>(t * a.hd));
            for (int64_t pos = 0; pos < t; ++pos)
                for (int64_t i = 0; i < a.hd; ++i) {
                    double f = std::pow(10000.0, -2.0 * static_cast<double>(i % (a.hd / 2)) / static_cast<double>(a.hd));
                    double ang = static_cast<double>(pos) * f;
                    vals[static_cast<size_t>(pos * a.hd + i)] = static_cast<float>(sine ? std::sin(ang) : std::cos(ang));
                }
            return b.floats(L + (sine ? "/rope_sin" : "/rope_cos"), {t, a.hd}, vals);
        };
        auto rotate = [&](const std::string& t, const std::string& part, int64_t len) {
            const std::string P = L + "/rope_" + part;
            std::string x1 = b.fresh(P + "/x1"), x2 = b.fresh(P + "/x2"), n2 = b.fresh(P + "/neg"),
                        rt = b.fresh(P + "/rot"), m1 = b.fresh(P + "/cos"), m2 = b.fresh(P + "/sin"),
                        out = b.fresh(P + "/out");
            b.node("Slice", {t, b.ints(P + "/s0", {0}), b.ints(P + "/e0", {a.hd / 2}), b.ints(P + "/a0", {3})}, x1,
                   P + "/Slice");
            b.node("Slice", {t, b.ints(P + "/s1", {a.hd / 2}), b.ints(P + "/e1", {a.hd}), b.ints(P + "/a1", {3})}, x2,
                   P + "/Slice_1");
            b.node("Neg", {x2}, n2, P + "/Neg");
            b.attr(b.node("Concat", {n2, x1}, rt, P + "/Concat"), "axis", int64_t{3});
            b.node("Mul", {t, table(len, false)}, m1, P + "/Mul");
            b.node("Mul", {rt, table(len, true)}, m2, P + "/Mul_1");
            b.node("Add", {m1, m2}, out, P + "/Add");
            return out;
        };
        q = rotate(q, "q", a.tq);
        k = rotate(k, "k", a.s);
    }
    if (a.g != a.h) {
        // Each key/value head serves h/g query heads: B×g×S×hd → B×g×(h/g)×S×hd → B×h×S×hd.
        auto repeat = [&](const std::string& t, const std::string& part) {
            const std::string P = L + "/repeat_" + part;
            std::string u = b.fresh(P + "/Unsqueeze_output"), e = b.fresh(P + "/Expand_output"),
                        r = b.fresh(P + "/Reshape_output");
            b.node("Unsqueeze", {t, b.ints(P + "/axes", {2})}, u, P + "/Unsqueeze");
            b.node("Expand", {u, b.ints(P + "/expand", {b.batch(), a.g, a.h / a.g, a.s, a.hd})}, e, P + "/Expand");
            b.node("Reshape", {e, b.ints(P + "/shape", {b.batch(), a.h, a.s, a.hd})}, r, P + "/Reshape");
            return r;
        };
        k = repeat(k, "k");
        v = repeat(v, "v");
    }
    std::string kt = b.fresh(L + "/k/Transpose_1_output");
    b.attr(b.node("Transpose", {k}, kt, L + "/k/Transpose_1"), "perm", std::vector<int64_t>{0, 1, 3, 2});
    std::string s = b.fresh(L + "/scores"), ss = b.fresh(L + "/scaled"), w = b.fresh(L + "/weights"),
                o = b.fresh(L + "/context"), ot = b.fresh(L + "/Transpose_output"), om = b.fresh(L + "/merged");
    b.node("MatMul", {q, kt}, s, L + "/MatMul");
    b.node("Div", {s, b.scalar(L + "/scale", std::sqrt(static_cast<float>(a.hd)))}, ss, L + "/Div");
    if (p.causal) {
        std::vector<float> mask(static_cast<size_t>(a.tq * a.s), 0.0f);
        for (int64_t i = 0; i < a.tq; ++i)
            for (int64_t j = i + 1; j < a.s; ++j)
                mask[static_cast<size_t>(i * a.s + j)] = -1e9f;
        std::string masked = b.fresh(L + "/masked");
        b.node("Add", {ss, b.floats(L + "/causal_mask", {a.tq, a.s}, mask)}, masked, L + "/Add_mask");
        ss = masked;
    }
    b.attr(b.node("Softmax", {ss}, w, L + "/Softmax"), "axis", int64_t{-1});
    b.node("MatMul", {w, v}, o, L + "/MatMul_1");
    b.attr(b.node("Transpose", {o}, ot, L + "/Transpose"), "perm", std::vector<int64_t>{0, 2, 1, 3});
    b.node("Reshape", {ot, b.ints(L + "/merge_shape", {0, 0, a.d})}, om, L + "/Reshape");
    onnxLinear(b, L + "/out", om, a.d, a.d, p.bias != 0, 2, c.y);
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

std::vector<AttrSpec> attentionAttrs()
{
    return {intAttr("heads", "Heads", &P::heads, 1, kBig),
            intAttr("kv_heads", "Key/value heads (0 = heads)", &P::kvHeads, 0, kBig,
                    "grouped-query attention: fewer K/V heads, each shared by heads/kv_heads query heads; "
                    "1 is multi-query attention"),
            boolAttr("causal", "Causal mask", &P::causal,
                     "each position attends only to itself and earlier ones (decoders); gives a KV cache"),
            boolAttr("rope", "Rotary position embedding", &P::rope, "rotate Q and K by position (no parameters)"),
            boolAttr("flash", "Flash attention", &P::flash,
                     "fused kernel: the heads×T×T map is never stored (same MACs, less working memory)"),
            boolAttr("bias", "Bias", &P::bias), bitsAttr()};
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
                          "4·D² + 4·D; with kv_heads g < heads (grouped-query; 1 = multi-query) K and V project "
                          "to g·D/heads: 2·D² + 2·D·(g·D/heads). MACs: 4·T·D² (projections) + 2·T²·D (Q·Kᵀ and "
                          "A·V). The attention map, heads×T×T, is working memory during the layer (not with "
                          "flash attention, which still does the same MACs). Causal: a decoder's mask (1 op per "
                          "map element) and a KV cache of 2·context·kv_heads·head_dim values per sample. Rotary "
                          "embedding: no parameters, 3 ops per Q and K element.",
                          attentionAttrs(),
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
        c.kvCachePerToken = attentionKvCache;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.heads = 3;
        LayerKind c;
        c.spec = makeSpec(LayerType::CrossAttention, "cross_attention", "CrossAttention", Category::Attention,
                          "Multi-head cross-attention: queries from input 0 (Tq×D), keys and values from input 1 "
                          "(S×E, e.g. an encoder's output). Params: 2·D² + 2·E·kv (+ 2·D + 2·kv biases), kv = "
                          "kv_heads·D/heads. MACs: 2·Tq·D² + 2·S·E·kv (projections) + 2·Tq·S·D (Q·Kᵀ and A·V). "
                          "Working memory: Q, K, V, heads and the heads×Tq×S map (not with flash attention). "
                          "It keeps no KV cache of its own in these figures: its K and V come from the encoder, "
                          "once per sequence.",
                          attentionAttrs(),
                          d, 2);
        c.palette = {paletteEntry(c.spec, "Cross-Attention", "queries from input 0, keys/values from input 1")};
        c.shape = attentionShape;
        c.costs = attentionCosts;
        c.receptiveField = rfGlobal;
        c.explain = attentionExplain;
        c.summary = headsSummary;
        c.kernel = attentionKernel;
        c.nameStem = "xattn";
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
