// Sequence and language-model kinds: Embedding, RMSNorm, GELU (tanh approximation), HardSigmoid,
// SwiGLU, MatMul of two activations, LSTM and GRU.
#include "ExplainWriter.h"
#include "KindSupport.h"

#include <algorithm>
#include <cmath>

namespace nc::core::kinds {

namespace {

using W = ExplainWriter;
using F = OnnxBuilder::Fill;

std::string noSummary(const LayerParams&) { return {}; }

template <kernels::OpKind K>
KernelPlan elementwiseKernel(const LayerParams&, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = K;
    return singleKernel(op);
}

// ---- Embedding ----

Result<Shape> embeddingShape(const LayerParams& p, std::span<const Shape> in)
{
    if (auto s = expectRank(in[0], 1, "T (token ids)"); !s)
        return Error{s.error()};
    if (p.positions > 0 && in[0][0] > p.positions)
        return Error{"sequence of " + str(in[0][0]) + " tokens is longer than the position table (" +
                     str(p.positions) + "); raise `positions` or shorten the input"};
    return Shape{in[0][0], p.features};
}

// Params: V·D (token table) + P·D (positions) + S·D (segments). A lookup: 0 MACs; each added
// table is T·D adds.
Result<LayerCosts> embeddingCosts(const LayerParams& p, std::span<const Shape> in, const Shape&)
{
    LayerCosts c;
    const int64_t t = in[0][0], d = p.features;
    auto tok = checkedMul(p.vocab, d);
    auto pos = checkedMul(p.positions, d);
    auto seg = checkedMul(p.tokenTypes, d);
    auto all = tok && pos ? checkedAdd(*tok, *pos) : std::nullopt;
    all = all && seg ? checkedAdd(*all, *seg) : std::nullopt;
    auto adds = checkedMul(t, d);
    if (!all || !adds)
        return overflow("parameter count");
    c.params = *all;
    c.otherOps = ((p.positions > 0 ? 1 : 0) + (p.tokenTypes > 0 ? 1 : 0)) * *adds;
    return c;
}

KernelPlan embeddingKernel(const LayerParams& p, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::Embedding;
    op.vocab = p.vocab;
    op.outChannels = p.features;
    op.positions = p.positions;
    op.tokenTypes = p.tokenTypes;
    return singleKernel(op);
}

void embeddingExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const int64_t T = L.in[0][0], D = p.features;
    L.text("out", "out = " + L.o.toString() + " (one row of the table per token id)");
    std::string params = W::factors({p.vocab, D});
    if (p.positions > 0)
        params += " + " + W::factors({p.positions, D});
    if (p.tokenTypes > 0)
        params += " + " + W::factors({p.tokenTypes, D});
    L.eq("params", "params", params, L.r.params); // a table lookup: no MACs
    const int64_t tables = (p.positions > 0 ? 1 : 0) + (p.tokenTypes > 0 ? 1 : 0);
    if (tables > 0)
        L.eq("ops", L.batchLabel("adds (position/segment rows)"), L.timesBatch(W::factors({tables, T, D})),
             L.r.otherOps);
}

std::string embeddingSummary(const LayerParams& p) { return W::n(p.vocab) + "×" + W::n(p.features); }

Result<PyCode> embeddingPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    PyCode code;
    code.module = "nn.Embedding(" + pyInt(p.vocab) + ", " + pyInt(p.features) + ")";
    code.forward.push_back(c.outVar + " = self." + c.attr + "(" + c.ins[0] + ".long())");
    if (p.positions > 0) {
        std::string pos = c.newParam("_pos");
        code.init.push_back("self." + pos + " = nn.Parameter(torch.zeros(" + pyInt(p.positions) + ", " +
                            pyInt(p.features) + "))");
        code.forward.push_back(c.outVar + " = " + c.outVar + " + self." + pos + "[:" + pyInt(c.in[0][0]) + "]");
    }
    if (p.tokenTypes > 0) {
        // Every token in segment 0, as a single-sentence input.
        std::string seg = c.newParam("_type");
        code.init.push_back("self." + seg + " = nn.Parameter(torch.zeros(" + pyInt(p.tokenTypes) + ", " +
                            pyInt(p.features) + "))");
        code.forward.push_back(c.outVar + " = " + c.outVar + " + self." + seg + "[0]");
    }
    return code;
}

Status embeddingOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    const int64_t d = p.features, t = c.in[0][0];
    std::string ids = b.fresh(L + "/Cast_output");
    b.attr(b.node("Cast", {c.ins[0]}, ids, L + "/Cast"), "to", int64_t{7}); // INT64
    const bool extra = p.positions > 0 || p.tokenTypes > 0;
    std::string cur = extra ? b.fresh(L + "/Gather_output") : c.y;
    b.node("Gather", {b.weight(L + ".weight", {p.vocab, d}, F::Random, d), ids}, cur, L + "/Gather");
    auto addRows = [&](const std::string& part, int64_t rows, int64_t take, bool last) {
        std::string sl = b.fresh(L + "/" + part + "/Slice_output"), out = last ? c.y : b.fresh(L + "/" + part);
        b.node("Slice",
               {b.weight(L + "." + part, {rows, d}, F::Random, d), b.ints(L + "/" + part + "/starts", {0}),
                b.ints(L + "/" + part + "/ends", {take}), b.ints(L + "/" + part + "/axes", {0})},
               sl, L + "/" + part + "/Slice");
        b.node("Add", {cur, sl}, out, L + "/" + part + "/Add");
        cur = out;
    };
    if (p.positions > 0)
        addRows("pos", p.positions, t, p.tokenTypes == 0);
    if (p.tokenTypes > 0)
        addRows("type", p.tokenTypes, 1, true);
    return {};
}

// ---- RMSNorm ----

Result<Shape> rmsNormShape(const LayerParams&, std::span<const Shape> in)
{
    if (in[0].empty())
        return Error{"expects an input with at least one axis"};
    return in[0];
}

// Over the last axis: y = x / √(mean(x²) + ε) · γ. Params: γ, D (no β, no mean). Ops per element:
// square, sum, scale (3) + 1 for γ.
Result<LayerCosts> rmsNormCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    auto c = elementwiseCosts(out, 3 + (p.affine ? 1 : 0));
    if (!c)
        return c;
    c->params = p.affine ? in[0].back() : 0;
    return c;
}

KernelPlan rmsNormKernel(const LayerParams& p, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::RMSNorm;
    op.affine = p.affine != 0;
    op.eps = static_cast<float>(p.eps);
    return singleKernel(op);
}

void rmsNormRf(const LayerParams&, RfBuilder& b)
{
    if (b.inShapes[0].rank() == 3)
        b.global(1);
}

void rmsNormExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    L.text("out", "out = " + L.o.toString() + " (same as its input)");
    if (p.affine)
        L.eq("params", "params (γ)", W::n(L.in[0].back()), L.r.params);
    else
        L.text("params", "params = 0 (no γ)");
    const int64_t per = 3 + (p.affine ? 1 : 0);
    L.eq("ops", L.batchLabel("ops") + " (" + W::n(per) + " per element)",
         L.timesBatch(W::dimsProduct(L.o) + "·" + W::n(per)), L.r.otherOps);
}

Result<PyCode> rmsNormPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    PyCode code;
    std::string y = c.ins[0] + " * torch.rsqrt(" + c.ins[0] + ".pow(2).mean(-1, keepdim=True) + " + pyNum(p.eps) + ")";
    if (p.affine) {
        code.init.push_back("self." + c.attr + " = nn.Parameter(torch.ones(" + pyInt(c.in[0].back()) + "))");
        y += " * self." + c.attr;
    }
    code.forward.push_back(c.outVar + " = " + y);
    return code;
}

Status rmsNormOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    std::string sq = b.fresh(L + "/Mul_output"), mean = b.fresh(L + "/ReduceMean_output"),
                e = b.fresh(L + "/Add_output"), r = b.fresh(L + "/Sqrt_output");
    std::string nrm = p.affine ? b.fresh(L + "/Div_output") : c.y;
    b.node("Mul", {c.ins[0], c.ins[0]}, sq, L + "/Mul");
    int m = b.node("ReduceMean", {sq}, mean, L + "/ReduceMean");
    b.attr(m, "axes", std::vector<int64_t>{-1});
    b.attr(m, "keepdims", int64_t{1});
    b.node("Add", {mean, b.scalar(L + "/eps", static_cast<float>(p.eps))}, e, L + "/Add");
    b.node("Sqrt", {e}, r, L + "/Sqrt");
    b.node("Div", {c.ins[0], r}, nrm, L + "/Div");
    if (p.affine)
        b.node("Mul", {nrm, b.weight(L + ".weight", {c.in[0].back()}, F::Ones)}, c.y, L + "/Mul_1");
    return {};
}

// ---- GELU (tanh approximation) and HardSigmoid ----

// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): x³ (2), ·0.044715, + x, ·√(2/π), tanh (5, as Tanh
// counts it), + 1, · x, · 0.5: 13 ops per element.
constexpr int64_t kGeluTanhOps = 13;
// clip(x/6 + 1/2, 0, 1): mul, add, min, max.
constexpr int64_t kHardSigmoidOps = 4;

template <int64_t Ops>
Result<LayerCosts> perElementCosts(const LayerParams&, std::span<const Shape>, const Shape& out)
{
    return elementwiseCosts(out, Ops);
}

void activationExplain(ExplainWriter& L)
{
    const int64_t per = layerKind(L.node.type).opsPerElement;
    L.text("out", "out = " + L.o.toString() + " (same as its input)");
    L.text("params", "params = 0");
    L.eq("ops", L.batchLabel("ops") + " (" + W::n(per) + " per element)",
         L.timesBatch(W::dimsProduct(L.o) + "·" + W::n(per)), L.r.otherOps);
}

Result<PyCode> geluTanhPy(const PyCtx&) { return PyCode{"nn.GELU(approximate='tanh')", {}, {}}; }
Result<PyCode> hardSigmoidPy(const PyCtx& c)
{
    return PyCode{std::string("nn.Hardsigmoid(") + (c.inplaceSafe ? "inplace=True" : "") + ")", {}, {}};
}

Status geluTanhOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const std::string& L = c.node.name;
    const std::string& x = c.ins[0];
    std::string x2 = b.fresh(L + "/Mul_output"), x3 = b.fresh(L + "/Mul_1_output"), a = b.fresh(L + "/Mul_2_output"),
                s = b.fresh(L + "/Add_output"), k = b.fresh(L + "/Mul_3_output"), t = b.fresh(L + "/Tanh_output"),
                u = b.fresh(L + "/Add_1_output"), v = b.fresh(L + "/Mul_4_output");
    b.node("Mul", {x, x}, x2, L + "/Mul");
    b.node("Mul", {x2, x}, x3, L + "/Mul_1");
    b.node("Mul", {x3, b.scalar(L + "/c", 0.044715f)}, a, L + "/Mul_2");
    b.node("Add", {x, a}, s, L + "/Add");
    b.node("Mul", {s, b.scalar(L + "/k", 0.7978845608028654f)}, k, L + "/Mul_3");
    b.node("Tanh", {k}, t, L + "/Tanh");
    b.node("Add", {t, b.scalar(L + "/one", 1.0f)}, u, L + "/Add_1");
    b.node("Mul", {x, u}, v, L + "/Mul_4");
    b.node("Mul", {v, b.scalar(L + "/half", 0.5f)}, c.y, L + "/Mul_5");
    return {};
}

Status hardSigmoidOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    int k = b.node("HardSigmoid", {c.ins[0]}, c.y, c.node.name);
    b.attrF(k, "alpha", 1.0 / 6.0);
    b.attrF(k, "beta", 0.5);
    return {};
}

// ---- SwiGLU ----

Result<Shape> swigluShape(const LayerParams&, std::span<const Shape> in)
{
    if (in[0].empty())
        return Error{"expects an input with at least one axis"};
    return in[0];
}

// W1, W3: D→H, W2: H→D; y = W2·(SiLU(W1·x) ⊙ W3·x). Params 3·D·H (+ 2·H + D biases);
// MACs rows·3·D·H; ops: SiLU 4 and the gate product 1 per hidden element, bias adds.
Result<LayerCosts> swigluCosts(const LayerParams& p, std::span<const Shape> in, const Shape&)
{
    LayerCosts c;
    const int64_t d = in[0].back(), h = p.hidden;
    const int64_t rows = *in[0].elements() / d;
    auto w = mulAll({3, d, h});
    auto m = w ? checkedMul(rows, *w) : std::nullopt;
    auto hid = checkedMul(rows, h);
    auto act = hid ? checkedMul(5, *hid) : std::nullopt;
    auto biasOps = hid ? checkedAdd(2 * *hid, rows * d) : std::nullopt; // 2·hid ≤ act
    if (!w || !m || !act || !biasOps)
        return overflow("parameter or MAC count");
    c.params = *w + (p.bias ? 2 * h + d : 0);
    c.macs = *m;
    c.otherOps = *act + (p.bias ? *biasOps : 0);
    c.workspace = 2 * *hid;
    return c;
}

void swigluExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const int64_t D = L.in[0].back(), H = p.hidden;
    const int64_t rows = *L.in[0].elements() / D;
    L.eq("params", "params (W1, W3, W2)",
         W::factors({3, D, H}) + (p.bias ? " + " + W::factors({2, H}) + " + " + W::n(D) : ""), L.r.params);
    L.eq("MACs", L.batchLabel("MACs"), L.timesBatch(W::factors({rows, 3, D, H})), L.r.macs);
    L.eq("workspace", "hidden activations (W1·x, W3·x)", W::bytesExpr(L.timesBatch(W::factors({2, rows, H})), L.r.bits),
         L.r.workspaceBytes, " B");
}

std::string swigluSummary(const LayerParams& p) { return "hidden " + W::n(p.hidden); }

KernelPlan swigluKernel(const LayerParams& q, std::span<const Shape> in, const Shape&)
{
    KernelPlan p;
    KernelSub w1 = kernelSub(kernels::OpKind::Linear, {-1});
    w1.op.outChannels = q.hidden;
    w1.op.bias = q.bias != 0;
    KernelSub act = kernelSub(kernels::OpKind::SiLU, {0});
    KernelSub w3 = kernelSub(kernels::OpKind::Linear, {-1});
    w3.op.outChannels = q.hidden;
    w3.op.bias = q.bias != 0;
    KernelSub gate = kernelSub(kernels::OpKind::Mul, {1, 2});
    KernelSub w2 = kernelSub(kernels::OpKind::Linear, {3});
    w2.op.outChannels = in[0].back();
    w2.op.bias = q.bias != 0;
    p.subs = {std::move(w1), std::move(act), std::move(w3), std::move(gate), std::move(w2)};
    return p;
}

Result<PyCode> swigluPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string d = pyInt(c.in[0].back()), h = pyInt(p.hidden), b = p.bias ? "" : ", bias=False";
    const std::string A = "self." + c.attr;
    return PyCode{"nn.ModuleDict(dict(w1=nn.Linear(" + d + ", " + h + b + "), w3=nn.Linear(" + d + ", " + h + b +
                      "), w2=nn.Linear(" + h + ", " + d + b + ")))",
                  {c.outVar + " = " + A + "['w2'](nn.functional.silu(" + A + "['w1'](" + c.ins[0] + ")) * " + A +
                   "['w3'](" + c.ins[0] + "))"},
                  {}};
}

Status swigluOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    const Shape& in = c.in[0];
    std::string h1 = b.fresh(L + "/w1_output"), sg = b.fresh(L + "/Sigmoid_output"), a = b.fresh(L + "/silu_output"),
                h3 = b.fresh(L + "/w3_output"), g = b.fresh(L + "/gate_output");
    onnxLinear(b, L + "/w1", c.ins[0], in.back(), p.hidden, p.bias != 0, in.rank(), h1);
    b.node("Sigmoid", {h1}, sg, L + "/Sigmoid");
    b.node("Mul", {h1, sg}, a, L + "/Mul");
    onnxLinear(b, L + "/w3", c.ins[0], in.back(), p.hidden, p.bias != 0, in.rank(), h3);
    b.node("Mul", {a, h3}, g, L + "/Mul_1");
    onnxLinear(b, L + "/w2", g, p.hidden, in.back(), p.bias != 0, in.rank(), c.y);
    return {};
}

// ---- MatMul of two activations ----

Result<Shape> matmulShape(const LayerParams&, std::span<const Shape> in)
{
    const Shape &a = in[0], &b = in[1];
    if (a.rank() < 2 || b.rank() < 2)
        return Error{"expects two inputs of at least 2 axes (…×M×K and …×K×N), got " + a.toString() + " and " +
                     b.toString()};
    if (a.back() != b[b.rank() - 2])
        return Error{"inner sizes differ: input 0 " + a.toString() + " has K = " + str(a.back()) + ", input 1 " +
                     b.toString() + " has K = " + str(b[b.rank() - 2]) + "; they must match"};
    Shape ba, bb;
    for (int i = 0; i < a.rank() - 2; ++i)
        ba.push(a[i]);
    for (int i = 0; i < b.rank() - 2; ++i)
        bb.push(b[i]);
    Shape batch;
    if (ba.rank() > 0 || bb.rank() > 0) {
        const Shape both[] = {ba.rank() > 0 ? ba : Shape{1}, bb.rank() > 0 ? bb : Shape{1}};
        auto r = broadcast(both);
        if (!r)
            return Error{"batch axes: " + r.error()};
        batch = *r;
    }
    Shape o = batch;
    o.push(a[a.rank() - 2]);
    o.push(b.back());
    if (!o.elements())
        return overflow("output size");
    return o;
}

// MACs = batch·M·N·K: every output element is a K-long dot product.
Result<LayerCosts> matmulCosts(const LayerParams&, std::span<const Shape> in, const Shape& out)
{
    LayerCosts c;
    auto m = checkedMul(*out.elements(), in[0].back());
    if (!m)
        return overflow("MAC count");
    c.macs = *m;
    return c;
}

void matmulExplain(ExplainWriter& L)
{
    const int64_t K = L.in[0].back();
    L.text("out", "out = " + L.o.toString() + " (…×M×K · …×K×N, batch axes broadcast)");
    L.text("params", "params = 0"); // both operands are activations
    L.eq("MACs", L.batchLabel("MACs"), L.timesBatch(W::dimsProduct(L.o) + "·" + W::n(K)), L.r.macs);
}

Result<PyCode> matmulPy(const PyCtx& c)
{
    return PyCode{"", {c.outVar + " = torch.matmul(" + c.ins[0] + ", " + c.ins[1] + ")"}, {}};
}

Status matmulOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    b.node("MatMul", {c.ins[0], c.ins[1]}, c.y, c.node.name);
    return {};
}

// ---- LSTM and GRU ----

int64_t gatesOf(LayerType t) { return t == LayerType::LSTM ? 4 : 3; }
// Other ops per hidden unit, time step, direction and layer (README "Counting conventions").
// LSTM: 4 adds (W·x + U·h per gate), 3 sigmoids (3 each), 2 tanh (5 each), c = f·c + i·g (3),
// h = o·tanh(c) (1): 27. GRU: 2 adds (r, z), U·h scaled by r and added (2), 2 sigmoids (6), tanh (5),
// h = (1 − z)·n + z·h (3): 18. Biases add 2·gates more.
int64_t rnnOpsPerUnit(LayerType t) { return t == LayerType::LSTM ? 27 : 18; }

Result<Shape> rnnShape(const LayerParams& p, std::span<const Shape> in)
{
    if (auto s = expectRank(in[0], 2, "T×features sequence"); !s)
        return Error{s.error()};
    return Shape{in[0][0], p.hidden * (p.bidirectional ? 2 : 1)};
}

// Port 0 the sequence; port 1 h_n; port 2 c_n (LSTM).
int lstmOutputs(const LayerParams&) { return 3; }
int gruOutputs(const LayerParams&) { return 2; }

// h_n (and c_n) per sample: (layers·directions)×H, the final step of every layer and direction, in
// PyTorch's order (layer-major, direction-minor: l0 forward, l0 backward, l1 forward, ...). PyTorch
// keeps the batch on axis 1 of h_n even with batch_first; ours is per sample, the batch in front.
Shape rnnStateShape(const LayerParams& p) { return Shape{p.layers * (p.bidirectional ? 2 : 1), p.hidden}; }
std::vector<Shape> lstmExtra(const LayerParams& p, std::span<const Shape>, const Shape&)
{
    return {rnnStateShape(p), rnnStateShape(p)};
}
std::vector<Shape> gruExtra(const LayerParams& p, std::span<const Shape>, const Shape&)
{
    return {rnnStateShape(p)};
}

// Per layer and direction: params gates·(H·(I + H) + 2·H) (PyTorch's two biases), I = the input
// features for layer 0 and H·directions above; MACs T·gates·H·(I + H).
Result<LayerCosts> rnnCosts(const LayerParams& p, std::span<const Shape> in, const Shape&, LayerType t)
{
    LayerCosts c;
    const int64_t T = in[0][0], h = p.hidden, g = gatesOf(t), dirs = p.bidirectional ? 2 : 1;
    int64_t params = 0, macs = 0;
    for (int64_t l = 0; l < p.layers; ++l) {
        const int64_t i = l == 0 ? in[0][1] : h * dirs;
        auto w = mulAll({g, h, i + h});
        auto m = w ? mulAll({T, *w, dirs}) : std::nullopt;
        auto pl = w ? checkedMul(*w + (p.bias ? 2 * g * h : 0), dirs) : std::nullopt;
        auto ps = pl ? checkedAdd(params, *pl) : std::nullopt;
        auto ms = m ? checkedAdd(macs, *m) : std::nullopt;
        if (!ps || !ms)
            return overflow("parameter or MAC count");
        params = *ps;
        macs = *ms;
    }
    auto units = mulAll({T, h, dirs, p.layers});
    auto ops = units ? checkedMul(*units, rnnOpsPerUnit(t) + (p.bias ? 2 * g : 0)) : std::nullopt;
    auto ws = mulAll({T, g, h, dirs});
    if (!ops || !ws)
        return overflow("operation count");
    c.params = params;
    c.macs = macs;
    c.otherOps = *ops;
    c.workspace = *ws;
    return c;
}
Result<LayerCosts> lstmCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return rnnCosts(p, in, out, LayerType::LSTM);
}
Result<LayerCosts> gruCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return rnnCosts(p, in, out, LayerType::GRU);
}

template <kernels::OpKind K>
KernelPlan rnnKernel(const LayerParams& p, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = K;
    op.outChannels = p.hidden;
    op.rnnLayers = p.layers;
    op.bidirectional = p.bidirectional != 0;
    op.bias = p.bias != 0;
    return singleKernel(op);
}

void rnnExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const int64_t T = L.in[0][0], I = L.in[0][1], H = p.hidden, G = gatesOf(L.node.type), dirs = p.bidirectional ? 2 : 1;
    L.text("out", "out = " + L.o.toString() + " (port 0: the sequence, T×H·directions = " + W::n(T) + "×" +
                      W::n(H) + (dirs > 1 ? "·2" : "") + ")");
    const std::string state = W::n(p.layers * dirs) + "×" + W::n(H) + " (layers·directions × H = " +
                              W::n(p.layers) + "·" + W::n(dirs) + " × " + W::n(H) +
                              ", layer-major as in PyTorch)";
    L.text("h_n", "h_n = " + state + " (port 1: each layer's last step" +
                      (dirs > 1 ? std::string(", forward then backward") : std::string()) + ")");
    if (L.node.type == LayerType::LSTM)
        L.text("c_n", "c_n = " + state + " (port 2: each layer's final cell state)");
    std::string params, macs;
    for (int64_t l = 0; l < p.layers; ++l) {
        const int64_t i = l == 0 ? I : H * dirs;
        std::string one = W::n(G) + "·(" + W::n(H) + "·(" + W::n(i) + " + " + W::n(H) + ")" +
                          (p.bias ? " + " + W::factors({2, H}) : "") + ")";
        if (dirs > 1)
            one += "·2";
        params += (params.empty() ? "" : " + ") + one;
        std::string m = W::factors({T, G, H}) + "·(" + W::n(i) + " + " + W::n(H) + ")";
        if (dirs > 1)
            m += "·2";
        macs += (macs.empty() ? "" : " + ") + m;
    }
    L.eq("params", "params", params, L.r.params);
    L.eq("MACs", L.batchLabel("MACs"), L.timesBatch(macs), L.r.macs);
    const int64_t per = rnnOpsPerUnit(L.node.type) + (p.bias ? 2 * G : 0);
    L.eq("ops", L.batchLabel("ops") + " (" + W::n(per) + " per hidden unit and step)",
         L.timesBatch(W::factors({T, H, dirs, p.layers, per})), L.r.otherOps);
    L.eq("workspace", "gate pre-activations", W::bytesExpr(L.timesBatch(W::factors({T, G, H, dirs})), L.r.bits),
         L.r.workspaceBytes, " B");
    L.fieldGlobal();
}

std::string rnnSummary(const LayerParams& p)
{
    return "H " + W::n(p.hidden) + (p.layers > 1 ? " ×" + W::n(p.layers) : "") + (p.bidirectional ? " bi" : "");
}

Result<PyCode> rnnPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    std::vector<std::string> a{pyInt(c.in[0][1]), pyInt(p.hidden)};
    if (p.layers != 1)
        a.push_back("num_layers=" + pyInt(p.layers));
    if (!p.bias)
        a.push_back("bias=False");
    a.push_back("batch_first=True");
    if (p.bidirectional)
        a.push_back("bidirectional=True");
    const bool lstm = c.node.type == LayerType::LSTM;
    PyCode code{std::string(lstm ? "nn.LSTM(" : "nn.GRU(") + pyJoin(a) + ")", {}, {}};
    // The exporter names an unread h_n / c_n "_".
    const std::vector<std::string> states(c.outVars.begin() + 1, c.outVars.end());
    const bool anyState =
        std::any_of(states.begin(), states.end(), [](const std::string& v) { return v != "_"; });
    std::string lhs = c.outVar + ", ";
    if (!anyState)
        lhs += "_";
    else
        lhs += lstm ? "(" + pyJoin(states) + ")" : states[0];
    code.forward.push_back(lhs + " = self." + c.attr + "(" + c.ins[0] + ")");
    // PyTorch's h_n and c_n are (layers·directions)×N×H whatever batch_first says: batch to the front.
    for (const std::string& v : states)
        if (v != "_")
            code.forward.push_back(v + " = " + v + ".transpose(0, 1)");
    return code;
}

// ONNX's LSTM/GRU are one layer each and sequence-first: B×T×I → T×B×I, a node per layer (its Y is
// T×dirs×B×H → T×B×dirs·H), and back to B×T×H·dirs. Read h_n / c_n ports: each node's Y_h / Y_c
// (dirs×B×H) concatenated over the layers on axis 0, as PyTorch's export does, then batch first.
Status rnnOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    const bool lstm = c.node.type == LayerType::LSTM;
    const int64_t h = p.hidden, g = gatesOf(c.node.type), dirs = p.bidirectional ? 2 : 1;
    std::string cur = b.fresh(L + "/Transpose_output");
    b.attr(b.node("Transpose", {c.ins[0]}, cur, L + "/Transpose"), "perm", std::vector<int64_t>{1, 0, 2});
    // The exporter passes "" for an unread h_n / c_n.
    const bool wantH = c.ys.size() > 1 && !c.ys[1].empty();
    const bool wantC = lstm && c.ys.size() > 2 && !c.ys[2].empty();
    std::vector<std::string> hs, cs;
    for (int64_t l = 0; l < p.layers; ++l) {
        const int64_t i = l == 0 ? c.in[0][1] : h * dirs;
        const std::string P = L + "/l" + pyInt(l);
        std::vector<std::string> ins{cur, b.weight(P + ".W", {dirs, g * h, i}, F::Random, h),
                                     b.weight(P + ".R", {dirs, g * h, h}, F::Random, h)};
        if (p.bias)
            ins.push_back(b.weight(P + ".B", {dirs, 2 * g * h}, F::Random, h));
        std::string y = b.fresh(P + "/Y"), yt = b.fresh(P + "/Transpose_output"), yr = b.fresh(P + "/Reshape_output");
        // ONNX outputs are positional: Y_c needs Y_h named too.
        std::vector<std::string> outs{y};
        if (wantH || wantC)
            outs.push_back(hs.emplace_back(b.fresh(P + "/Y_h")));
        if (wantC)
            outs.push_back(cs.emplace_back(b.fresh(P + "/Y_c")));
        int k = b.node(lstm ? "LSTM" : "GRU", ins, outs, P + (lstm ? "/LSTM" : "/GRU"));
        b.attr(k, "hidden_size", h);
        b.attrS(k, "direction", dirs == 2 ? "bidirectional" : "forward");
        if (!lstm)
            b.attr(k, "linear_before_reset", int64_t{1}); // PyTorch's GRU
        b.attr(b.node("Transpose", {y}, yt, P + "/Transpose"), "perm", std::vector<int64_t>{0, 2, 1, 3});
        b.node("Reshape", {yt, b.ints(P + "/shape", {0, 0, -1})}, yr, P + "/Reshape");
        cur = yr;
    }
    b.attr(b.node("Transpose", {cur}, c.y, L + "/Transpose_1"), "perm", std::vector<int64_t>{1, 0, 2});
    // (layers·dirs)×B×H, layer-major like PyTorch's h_n, then B×(layers·dirs)×H.
    auto state = [&](const std::vector<std::string>& parts, const std::string& out, const std::string& what) {
        std::string all = parts[0];
        if (parts.size() > 1) {
            all = b.fresh(L + "/" + what + "/Concat_output");
            b.attr(b.node("Concat", parts, all, L + "/" + what + "/Concat"), "axis", int64_t{0});
        }
        b.attr(b.node("Transpose", {all}, out, L + "/" + what + "/Transpose"), "perm",
               std::vector<int64_t>{1, 0, 2});
    };
    if (wantH)
        state(hs, c.ys[1], "h_n");
    if (wantC)
        state(cs, c.ys[2], "c_n");
    return {};
}

const OnnxImportDecl kEmbeddingImport{{"Gather"}};
const OnnxImportDecl kRmsNormImport{{"SimplifiedLayerNormalization", "RMSNormalization", "Pow"}};
const OnnxImportDecl kGeluTanhImport{{"Gelu", "Tanh"}};
const OnnxImportDecl kHardSigmoidImport{{"HardSigmoid"}};
const OnnxImportDecl kSwigluImport{{"MatMul"}};
const OnnxImportDecl kMatmulImport{{"MatMul", "Einsum"}};
const OnnxImportDecl kLstmImport{{"LSTM"}};
const OnnxImportDecl kGruImport{{"GRU"}};

} // namespace

void registerSequence(std::vector<LayerKind>& k)
{
    {
        LayerParams d;
        d.features = 512;
        LayerKind c;
        c.spec = makeSpec(LayerType::Embedding, "embedding", "Embedding", Category::Linear,
                          "Token embedding: T token ids → T×D, one row of a vocabulary×D table per token. "
                          "Params: V·D, plus P·D for a learned position table and S·D for a segment table "
                          "(BERT's token types) when set, both added to every token. A lookup: 0 MACs. A Linear "
                          "with `tied` on shares this table (counted once, here).",
                          {intAttr("vocab", "Vocabulary", &P::vocab, 1, kBig),
                           intAttr("dim", "Embedding dim", &P::features, 1, kBig),
                           intAttr("positions", "Position table rows (0 = none)", &P::positions, 0, kBig,
                                   "a learned position embedding of this many positions, added (GPT-2, BERT)"),
                           intAttr("token_types", "Segment table rows (0 = none)", &P::tokenTypes, 0, kBig,
                                   "BERT's token-type embedding; the export feeds segment 0"),
                           bitsAttr()},
                          d);
        c.palette = {paletteEntry(c.spec, "Embedding", "token ids to vectors")};
        c.nameStem = "embed";
        c.shape = embeddingShape;
        c.costs = embeddingCosts;
        c.receptiveField = rfPassThrough; // each token's row depends on that token alone
        c.explain = embeddingExplain;
        c.summary = embeddingSummary;
        c.kernel = embeddingKernel;
        c.pytorch = embeddingPy;
        c.onnxExport = embeddingOnnx;
        c.onnxImport = &kEmbeddingImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.eps = 1e-6;
        LayerKind c;
        c.spec = makeSpec(LayerType::RMSNorm, "rms_norm", "RMSNorm", Category::Normalization,
                          "Root-mean-square normalisation over the last axis (Llama): x / √(mean(x²) + ε) · γ. "
                          "Params: γ, D (no β, no mean subtracted). Ops: 3 per element (square, sum, scale) + 1 "
                          "for γ.",
                          {boolAttr("affine", "Learnable γ", &P::affine), floatAttr("eps", "Epsilon", &P::eps, 0, 1),
                           bitsAttr()},
                          d);
        c.palette = {paletteEntry(c.spec, "RMSNorm", "root-mean-square normalisation")};
        c.nameStem = "norm";
        c.shape = rmsNormShape;
        c.costs = rmsNormCosts;
        c.receptiveField = rmsNormRf;
        c.explain = rmsNormExplain;
        c.summary = noSummary;
        c.kernel = rmsNormKernel;
        c.pytorch = rmsNormPy;
        c.onnxExport = rmsNormOnnx;
        c.onnxImport = &kRmsNormImport;
        k.push_back(std::move(c));
    }
    {
        LayerKind c;
        c.spec = makeSpec(LayerType::GeluTanh, "gelu_tanh", "GELU (tanh)", Category::Activation,
                          "GELU, tanh approximation (GPT-2, BERT's original code): 0.5·x·(1 + tanh(√(2/π)·(x + "
                          "0.044715·x³))). 13 ops per element.",
                          {inplaceAttr()});
        c.palette = {paletteEntry(c.spec, "GELU (tanh)", "tanh-approximated GELU")};
        c.inplaceCapable = true;
        c.opsPerElement = kGeluTanhOps;
        c.shape = sameShape;
        c.costs = perElementCosts<kGeluTanhOps>;
        c.receptiveField = rfPassThrough;
        c.explain = activationExplain;
        c.summary = noSummary;
        c.kernel = elementwiseKernel<kernels::OpKind::GeluTanh>;
        c.pytorch = geluTanhPy;
        c.onnxExport = geluTanhOnnx;
        c.onnxImport = &kGeluTanhImport;
        k.push_back(std::move(c));
    }
    {
        LayerKind c;
        c.spec = makeSpec(LayerType::HardSigmoid, "hard_sigmoid", "HardSigmoid", Category::Activation,
                          "clip(x/6 + 1/2, 0, 1) = ReLU6(x + 3)/6 (MobileNetV3's gates). 4 ops per element.",
                          {inplaceAttr()});
        c.palette = {paletteEntry(c.spec, "HardSigmoid", "piecewise-linear sigmoid")};
        c.inplaceCapable = true;
        c.opsPerElement = kHardSigmoidOps;
        c.shape = sameShape;
        c.costs = perElementCosts<kHardSigmoidOps>;
        c.receptiveField = rfPassThrough;
        c.explain = activationExplain;
        c.summary = noSummary;
        c.kernel = elementwiseKernel<kernels::OpKind::HardSigmoid>;
        c.pytorch = hardSigmoidPy;
        c.onnxExport = hardSigmoidOnnx;
        c.onnxImport = &kHardSigmoidImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.hidden = 1024;
        d.bias = 0;
        LayerKind c;
        c.spec = makeSpec(LayerType::SwiGlu, "swiglu", "SwiGLU MLP", Category::Attention,
                          "Gated feed-forward block of Llama: W2·(SiLU(W1·x) ⊙ W3·x), W1 and W3 D→H, W2 H→D. "
                          "Params 3·D·H (+ 2·H + D with biases); MACs rows·3·D·H.",
                          {intAttr("hidden", "Hidden width", &P::hidden, 1, kBig), boolAttr("bias", "Bias", &P::bias),
                           bitsAttr()},
                          d);
        c.palette = {paletteEntry(c.spec, "SwiGLU MLP", "gated MLP (Llama)")};
        c.nameStem = "mlp";
        c.shape = swigluShape;
        c.costs = swigluCosts;
        c.receptiveField = rfLastAxis;
        c.explain = swigluExplain;
        c.summary = swigluSummary;
        c.kernel = swigluKernel;
        c.pytorch = swigluPy;
        c.onnxExport = swigluOnnx;
        c.onnxImport = &kSwigluImport;
        k.push_back(std::move(c));
    }
    {
        LayerKind c;
        c.spec = makeSpec(LayerType::MatMul, "matmul", "MatMul", Category::Merge,
                          "Product of two activations, …×M×K · …×K×N → …×M×N, the batch axes broadcast. No "
                          "parameters; MACs = batch·M·N·K.",
                          {bitsAttr()}, {}, 2);
        c.palette = {paletteEntry(c.spec, "MatMul", "product of two activations")};
        c.shape = matmulShape;
        c.costs = matmulCosts;
        c.receptiveField = rfGlobal;
        c.explain = matmulExplain;
        c.summary = noSummary;
        c.kernel = +[](const LayerParams&, std::span<const Shape>, const Shape&) {
            KernelPlan p;
            p.subs = {kernelSub(kernels::OpKind::MatMul, {-1, -2})};
            return p;
        };
        c.pytorch = matmulPy;
        c.onnxExport = matmulOnnx;
        c.onnxImport = &kMatmulImport;
        k.push_back(std::move(c));
    }
    for (LayerType t : {LayerType::LSTM, LayerType::GRU}) {
        const bool lstm = t == LayerType::LSTM;
        LayerParams d;
        d.hidden = 128;
        LayerKind c;
        c.spec = makeSpec(t, lstm ? "lstm" : "gru", lstm ? "LSTM" : "GRU", Category::Linear,
                          lstm ? "LSTM over a T×I sequence (batch first). Params per layer and direction, as "
                                 "PyTorch counts them: 4·(H·(I + H) + 2·H) (both biases); I is H·directions above "
                                 "layer 0. MACs: T·4·H·(I + H) per layer and direction. Outputs: the sequence, "
                                 "T×H·directions (port 0); h_n (port 1) and c_n (port 2), each "
                                 "(layers·directions)×H per sample, layer-major and direction-minor as PyTorch "
                                 "orders them (PyTorch's own h_n keeps the batch on axis 1)."
                               : "GRU over a T×I sequence (batch first). Params per layer and direction, as "
                                 "PyTorch counts them: 3·(H·(I + H) + 2·H) (both biases); I is H·directions above "
                                 "layer 0. MACs: T·3·H·(I + H) per layer and direction. Outputs: the sequence, "
                                 "T×H·directions (port 0); h_n (port 1), (layers·directions)×H per sample, "
                                 "layer-major and direction-minor as PyTorch orders them (PyTorch's own h_n keeps "
                                 "the batch on axis 1).",
                          {intAttr("hidden", "Hidden size", &P::hidden, 1, kBig),
                           intAttr("layers", "Layers", &P::layers, 1, 1e4),
                           boolAttr("bidirectional", "Bidirectional", &P::bidirectional),
                           boolAttr("bias", "Bias", &P::bias), bitsAttr()},
                          d);
        c.palette = {paletteEntry(c.spec, lstm ? "LSTM" : "GRU", lstm ? "long short-term memory" : "gated recurrent unit")};
        c.nameStem = lstm ? "lstm" : "gru";
        c.spec.outputsFor = lstm ? lstmOutputs : gruOutputs;
        c.shape = rnnShape;
        c.extraOutputs = lstm ? lstmExtra : gruExtra;
        c.extraOutputsOptional = true;
        c.costs = lstm ? lstmCosts : gruCosts;
        c.receptiveField = rfGlobal; // the state carries every earlier (and, bidirectional, later) step
        c.explain = rnnExplain;
        c.summary = rnnSummary;
        c.kernel = lstm ? rnnKernel<kernels::OpKind::LSTM> : rnnKernel<kernels::OpKind::GRU>;
        c.pytorch = rnnPy;
        c.onnxExport = rnnOnnx;
        c.onnxImport = lstm ? &kLstmImport : &kGruImport;
        k.push_back(std::move(c));
    }
}

} // namespace nc::core::kinds
