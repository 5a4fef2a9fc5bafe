// AttentionPatterns: the transformer patterns of real PyTorch exports that NetCanvas models as one
// layer — nn.MultiheadAttention's packed form, attention masks, Llama's RMSNorm and SwiGLU MLP.
#include "Patterns.h"

#include "core/Catalogue.h"
#include "core/onnx/OnnxImport.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace nc::core::onnx::detail {

namespace {

LayerParams kindDefaults(LayerType t)
{
    return Catalogue::instance().spec(t).defaults;
}

bool hasPerm(const ::onnx::NodeProto& n, std::initializer_list<int64_t> want)
{
    auto p = attrInts(n, "perm");
    return p && *p == std::vector<int64_t>(want);
}

// A score this low is −∞ after the softmax (exp(−1e4) underflows float32); masked_fill uses −∞,
// additive masks −1e9 or the dtype's lowest value.
constexpr double kMasked = -1e4;

} // namespace

int PatternMatcher::skipScale(int v, std::vector<int>& nodes) const
{
    int p = producer(v);
    while (p >= 0 && free(p) && (op(p) == "Div" || op(p) == "Mul") && singleUse(v)) {
        int a = in(p, 0), b = in(p, 1);
        if (scalar(b) && dynamic(a)) {
            nodes.push_back(p);
            v = a;
        } else if (op(p) == "Mul" && scalar(a) && dynamic(b)) {
            nodes.push_back(p);
            v = b;
        } else {
            break;
        }
        p = producer(v);
    }
    return v;
}

std::optional<PatternMatcher::MaskMatch> PatternMatcher::maskBefore(int scores, std::vector<int>& nodes) const
{
    int p = producer(scores);
    if (p < 0 || !free(p) || !singleUse(scores))
        return std::nullopt;
    if (op(p) == "Where") {
        // masked_fill(cond, −∞): Where(cond, fill, scores) with a constant condition.
        int cond = in(p, 0), fill = in(p, 1), data = in(p, 2);
        auto f = scalar(fill);
        if (!isConst(cond) || !f || *f > kMasked || !dynamic(data))
            return std::nullopt;
        nodes.push_back(p);
        return MaskMatch{data, cond, true};
    }
    if (op(p) != "Add")
        return std::nullopt;
    for (int side = 0; side < 2; ++side) {
        int a = in(p, side), b = in(p, 1 - side);
        int ap = producer(a);
        // The scores side is the one a MatMul (possibly scaled) produces.
        bool scoresSide = dynamic(a) && ap >= 0 && (op(ap) == "MatMul" || op(ap) == "Div" || op(ap) == "Mul");
        if (scoresSide && b >= 0 && (isConst(b) || dynamic(b))) {
            nodes.push_back(p);
            return MaskMatch{a, b, false};
        }
    }
    return std::nullopt;
}

bool PatternMatcher::causalMask(int mask, bool where, std::string* why) const
{
    if (!isConst(mask) || !val(mask).shapeKnown || val(mask).dims.size() < 2)
        return false;
    // A T×T mask holds more values than the constants kept (T = 128: 16,384): read it now.
    std::string unread;
    const std::optional<Tensor> contents = m_g.maskContents(mask, unread);
    if (!contents) {
        if (why)
            *why = unread;
        return false;
    }
    const auto& dims = val(mask).dims;
    const int64_t t = dims.back();
    int64_t lead = 1;
    for (size_t a = 0; a + 2 < dims.size(); ++a)
        lead *= dims[a];
    const Tensor& data = *contents;
    if (lead != 1 || dims[dims.size() - 2] != t || t < 2 || static_cast<int64_t>(data.size()) != t * t)
        return false;
    for (int64_t i = 0; i < t; ++i)
        for (int64_t j = 0; j < t; ++j) {
            const double m = data.value(static_cast<size_t>(i * t + j));
            const bool dropped = where ? m != 0 : m <= kMasked;
            if (j > i ? !dropped : m != 0)
                return false;
        }
    return true;
}

// ---- nn.MultiheadAttention ------------------------------------------------------------------------

void PatternMatcher::matchPackedAttention()
{
    // torch 1.13's F.multi_head_attention_forward, batch_first, as the exporter writes it:
    //   x B×T×D → Transpose(1,0,2) → MatMul W D×3D + Add b → T×B×3D → Slice (or Split) into q, k, v
    //   → each Reshape T×(B·h)×d → q, v Transpose(1,0,2), k Transpose(1,2,0) → q / √d
    //   → MatMul → [mask] → Softmax → MatMul v → Transpose(1,0,2) → Reshape (T·B)×D → Gemm out_proj
    //   → Reshape T×B×D → Transpose(1,0,2) → B×T×D.
    for (int s : m_g.order()) {
        if (!free(s) || op(s) != "Softmax")
            continue;
        std::vector<int> nodes{s};
        int scores = in(s, 0);
        if (!singleUse(scores))
            continue;
        auto mask = maskBefore(scores, nodes);
        if (mask)
            scores = mask->scores;
        scores = skipScale(scores, nodes);
        int mm1 = producer(scores);
        if (mm1 < 0 || !free(mm1) || op(mm1) != "MatMul" || !singleUse(scores))
            continue;
        nodes.push_back(mm1);
        int qh = skipScale(in(mm1, 0), nodes), kt = skipScale(in(mm1, 1), nodes);
        int probs = out(s);
        int mm2 = soleConsumer(probs);
        if (mm2 < 0 || !free(mm2) || op(mm2) != "MatMul" || in(mm2, 0) != probs)
            continue;
        nodes.push_back(mm2);
        int vh = in(mm2, 1);

        // One head tensor: Transpose(perm) of Reshape T×(B·h)×d of a third of the packed projection.
        struct Part {
            int packed = -1;              // the T×B×3D projection output
            int64_t begin = -1, end = -1; // the slice of its last axis
            int64_t bh = 0, hd = 0;
        };
        auto part = [&](int v, std::initializer_list<int64_t> perm, Part& r) -> bool {
            int t = producer(v);
            if (t < 0 || !free(t) || !singleUse(v) || op(t) != "Transpose" || !hasPerm(node(t), perm))
                return false;
            int rs = producer(in(t, 0));
            if (rs < 0 || !free(rs) || op(rs) != "Reshape" || !singleUse(in(t, 0)) ||
                !val(out(rs)).shapeKnown || val(out(rs)).dims.size() != 3)
                return false;
            int cut = producer(in(rs, 0));
            if (cut < 0 || !free(cut) || !singleUse(in(rs, 0)))
                return false;
            int packed = in(cut, 0);
            if (!dynamic(packed) || !val(packed).shapeKnown || val(packed).dims.size() != 3)
                return false;
            const int64_t rank = 3, width = val(packed).dims[2];
            auto lastAxis = [&](int64_t a) { return a == -1 || a == rank - 1; };
            if (op(cut) == "Slice") {
                auto starts = constInts(in(cut, 1)), ends = constInts(in(cut, 2));
                auto axes = constInts(in(cut, 3));
                auto steps = in(cut, 4) >= 0 ? constInts(in(cut, 4)) : std::vector<int64_t>{1};
                if (!starts || !ends || !axes || !steps || starts->size() != 1 || ends->size() != 1 ||
                    axes->size() != 1 || !lastAxis((*axes)[0]) || steps->size() != 1 || (*steps)[0] != 1)
                    return false;
                r.begin = (*starts)[0];
                r.end = std::min((*ends)[0], width);
            } else if (op(cut) == "Split") {
                if (!lastAxis(attrInt(node(cut), "axis", 0)) || node(cut).output_size() != 3)
                    return false;
                int k = -1;
                for (int o = 0; o < 3; ++o)
                    if (out(cut, o) == in(rs, 0))
                        k = o;
                if (k < 0 || width % 3 != 0)
                    return false;
                // Equal thirds: no split sizes, or sizes of D each (an input from opset 13, an attribute
                // before).
                std::optional<std::vector<int64_t>> sizes =
                    in(cut, 1) >= 0 ? constInts(in(cut, 1)) : attrInts(node(cut), "split");
                if ((in(cut, 1) >= 0 || attrInts(node(cut), "split")) &&
                    (!sizes || *sizes != std::vector<int64_t>(3, width / 3)))
                    return false;
                r.begin = k * width / 3;
                r.end = (k + 1) * width / 3;
            } else {
                return false;
            }
            nodes.insert(nodes.end(), {t, rs});
            if (std::find(nodes.begin(), nodes.end(), cut) == nodes.end())
                nodes.push_back(cut);
            r.packed = packed;
            r.bh = val(out(rs)).dims[1];
            r.hd = val(out(rs)).dims[2];
            return true;
        };
        Part q, k, v;
        if (!part(qh, {1, 0, 2}, q) || !part(kt, {1, 2, 0}, k) || !part(vh, {1, 0, 2}, v))
            continue;
        if (q.packed != k.packed || q.packed != v.packed)
            continue;
        const auto& pd = val(q.packed).dims; // T, B, 3D
        const int64_t t = pd[0], b = pd[1], d = pd[2] / 3;
        if (d <= 0 || pd[2] != 3 * d || b <= 0 || q.bh <= 0 || q.hd <= 0 || q.bh % b != 0 || q.bh != k.bh ||
            q.bh != v.bh || q.hd != k.hd || q.hd != v.hd || q.bh / b * q.hd != d)
            continue;
        if (q.begin != 0 || q.end != d || k.begin != d || k.end != 2 * d || v.begin != 2 * d ||
            v.end != 3 * d)
            continue;
        const int64_t heads = q.bh / b;

        // The packed in-projection, and the batch-first Transpose in front of it.
        auto inProj = linearEndingAt(q.packed);
        if (!inProj || inProj->inF != d || inProj->outF != 3 * d)
            continue;
        // batch_first=False (nn.MultiheadAttention's default) has no Transpose: x is T×B×D itself.
        // With batch 1 that is a T×1×D sample, which Reshapes around the layer turn into T×D and back.
        int xt = inProj->x;
        int tin = producer(xt);
        int x = -1;
        bool seqFirst = false;
        if (tin >= 0 && free(tin) && op(tin) == "Transpose" && hasPerm(node(tin), {1, 0, 2}) && singleUse(xt)) {
            x = in(tin, 0);
            if (!dynamic(x) || !val(x).shapeKnown || val(x).dims != std::vector<int64_t>{b, t, d} || lead(x) != 1)
                continue;
        } else if (b == 1 && m_batch == 1 && dynamic(xt) && val(xt).shapeKnown &&
                   val(xt).dims == std::vector<int64_t>{t, b, d}) {
            x = xt;
            seqFirst = true;
        } else {
            continue;
        }

        // Merge heads, project, back to batch first.
        int tr = soleConsumer(out(mm2));
        if (tr < 0 || !free(tr) || op(tr) != "Transpose" || !hasPerm(node(tr), {1, 0, 2}))
            continue;
        int rs = soleConsumer(out(tr));
        if (rs < 0 || !free(rs) || op(rs) != "Reshape" || !val(out(rs)).shapeKnown ||
            val(out(rs)).dims != std::vector<int64_t>{t * b, d})
            continue;
        auto outProj = linearFrom(soleConsumer(out(rs)));
        if (!outProj || outProj->x != out(rs) || outProj->inF != d || outProj->outF != d)
            continue;
        int rs2 = soleConsumer(outProj->out);
        if (rs2 < 0 || !free(rs2) || op(rs2) != "Reshape" || !val(out(rs2)).shapeKnown ||
            val(out(rs2)).dims != std::vector<int64_t>{t, b, d})
            continue;
        int tout = -1;
        if (!seqFirst) {
            tout = soleConsumer(out(rs2));
            if (tout < 0 || !free(tout) || op(tout) != "Transpose" || !hasPerm(node(tout), {1, 0, 2}))
                continue;
            nodes.insert(nodes.end(), {tin, tout});
        }
        nodes.insert(nodes.end(), {tr, rs, rs2});
        nodes.insert(nodes.end(), inProj->nodes.begin(), inProj->nodes.end());
        nodes.insert(nodes.end(), outProj->nodes.begin(), outProj->nodes.end());
        std::sort(nodes.begin(), nodes.end());
        nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());

        Group g;
        g.type = LayerType::MultiHeadAttention;
        g.params = kindDefaults(LayerType::MultiHeadAttention);
        g.params.heads = heads;
        g.params.bias = inProj->bias || outProj->bias;
        std::string unreadWhy;
        g.params.causal = mask && causalMask(mask->mask, mask->where, &unreadWhy) ? 1 : 0;
        g.inputs = {x};
        g.output = seqFirst ? out(rs2) : out(tout);
        if (seqFirst) {
            g.reshapeBefore = Shape{t, d};
            g.reshapeAfter = perSample(g.output);
        }
        g.droppedInputs = mask && dynamic(mask->mask) ? 1 : 0;
        g.nodes = nodes;
        g.weights = inProj->weights;
        g.weights.insert(g.weights.end(), outProj->weights.begin(), outProj->weights.end());
        const std::string name = groupName(nodes, s);
        const bool unreadMask = mask && isConst(mask->mask) && !g.params.causal;
        if (!commit(std::move(g)))
            continue;
        if (inProj->bias != outProj->bias)
            m_stats->notes.push_back(
                "attention \"" + name +
                "\": only some projections have a bias; NetCanvas's attention layer has all four");
        if (unreadMask)
            m_stats->notes.push_back(
                "attention \"" + name + "\": its constant mask " +
                (unreadWhy.empty() ? "is not a causal triangle" : "cannot be read: " + unreadWhy) +
                "; the layer is modelled without a mask");
    }
}

// ---- RMSNorm ---------------------------------------------------------------------------------------

void PatternMatcher::matchRmsNormDecomposed()
{
    // x · 1/√(mean(x²) + ε) · γ over the last axis, in the spellings exporters write: x² as Pow(x, 2)
    // or Mul(x, x); the inverse root as Div(1, Sqrt) (torch.rsqrt), Reciprocal(Sqrt) or Pow(−0.5),
    // then Mul with x — or Div(x, Sqrt) directly; γ a constant of D values multiplied last.
    for (int r : m_g.order()) {
        if (!free(r) || op(r) != "ReduceMean" || attrInt(node(r), "keepdims", 1) != 1)
            continue;
        int sqv = in(r, 0);
        int sq = producer(sqv);
        if (sq < 0 || !free(sq) || !singleUse(sqv))
            continue;
        int x = in(sq, 0);
        const bool square = (op(sq) == "Pow" && scalar(in(sq, 1)) && *scalar(in(sq, 1)) == 2.0) ||
                            (op(sq) == "Mul" && in(sq, 1) == x);
        if (!square || !dynamic(x) || !val(x).shapeKnown || val(x).dims.size() < 2)
            continue;
        const int64_t rank = static_cast<int64_t>(val(x).dims.size()), dim = val(x).dims.back();
        auto axes = opset() >= 18 ? constInts(in(r, 1)) : attrInts(node(r), "axes");
        if (!axes || axes->size() != 1 || ((*axes)[0] != -1 && (*axes)[0] != rank - 1) || rank - 1 < lead(x))
            continue;
        int add = soleConsumer(out(r));
        if (add < 0 || !free(add) || op(add) != "Add")
            continue;
        auto eps = scalar(in(add, 0) == out(r) ? in(add, 1) : in(add, 0));
        if (!eps || *eps < 0)
            continue;
        std::vector<int> nodes{sq, r, add};
        int e = out(add), root = soleConsumer(e);
        if (root < 0 || !free(root))
            continue;
        int normed = -1;
        if (op(root) == "Pow" && in(root, 0) == e && scalar(in(root, 1)) && *scalar(in(root, 1)) == -0.5) {
            nodes.push_back(root);
            int mul = soleConsumer(out(root));
            if (mul >= 0 && free(mul) && op(mul) == "Mul" &&
                ((in(mul, 0) == x && in(mul, 1) == out(root)) ||
                 (in(mul, 1) == x && in(mul, 0) == out(root)))) {
                nodes.push_back(mul);
                normed = out(mul);
            }
        } else if (op(root) == "Sqrt") {
            nodes.push_back(root);
            int c = soleConsumer(out(root));
            if (c >= 0 && free(c) && op(c) == "Div" && in(c, 1) == out(root) && in(c, 0) == x) {
                nodes.push_back(c);
                normed = out(c);
            } else if (c >= 0 && free(c) && in(c, 0 + (op(c) == "Div")) == out(root) &&
                       ((op(c) == "Div" && scalar(in(c, 0)) && *scalar(in(c, 0)) == 1.0) ||
                        op(c) == "Reciprocal")) {
                nodes.push_back(c);
                int mul = soleConsumer(out(c));
                if (mul >= 0 && free(mul) && op(mul) == "Mul" &&
                    ((in(mul, 0) == x && in(mul, 1) == out(c)) ||
                     (in(mul, 1) == x && in(mul, 0) == out(c)))) {
                    nodes.push_back(mul);
                    normed = out(mul);
                }
            }
        }
        if (normed < 0)
            continue;
        int y = normed;
        std::vector<int> weights;
        if (int mul = soleConsumer(y); mul >= 0 && free(mul) && op(mul) == "Mul") {
            int gamma = in(mul, 0) == y ? in(mul, 1) : in(mul, 0);
            if (isConst(gamma) && elements(gamma) == dim && val(gamma).dims.size() >= 1 &&
                val(gamma).dims.back() == dim) {
                nodes.push_back(mul);
                weights.push_back(gamma);
                y = out(mul);
            }
        }
        Group g;
        g.type = LayerType::RMSNorm;
        g.params = kindDefaults(LayerType::RMSNorm);
        g.params.eps = *eps;
        g.params.affine = !weights.empty();
        g.inputs = {x};
        g.output = y;
        g.nodes = nodes;
        g.weights = weights;
        commit(std::move(g));
    }
}

// ---- SwiGLU ----------------------------------------------------------------------------------------

void PatternMatcher::matchSwiGlu()
{
    // w2(silu(w1·x) ⊙ w3·x): SiLU as the exporter writes F.silu, Mul(h, Sigmoid(h)); w1 and w3 D→H
    // from the same x, w2 H→D. The kind owns all three linears.
    for (int m : m_g.order()) {
        if (!free(m) || op(m) != "Mul")
            continue;
        for (int side = 0; side < 2; ++side) {
            int gated = in(m, side), up = in(m, 1 - side);
            int silu = producer(gated);
            if (silu < 0 || !free(silu) || op(silu) != "Mul" || !singleUse(gated) || !singleUse(up))
                continue;
            int h1 = -1, sig = -1;
            for (int k = 0; k < 2 && h1 < 0; ++k) {
                int sg = producer(in(silu, k));
                if (sg >= 0 && free(sg) && op(sg) == "Sigmoid" && in(sg, 0) == in(silu, 1 - k) &&
                    singleUse(in(silu, k))) {
                    h1 = in(silu, 1 - k);
                    sig = sg;
                }
            }
            if (h1 < 0 || val(h1).graphOutput || dynConsumers(h1, 3).size() != 2)
                continue;
            auto w1 = linearEndingAt(h1), w3 = linearEndingAt(up);
            if (!w1 || !w3 || w1->x != w3->x || w1->inF != w3->inF || w1->outF != w3->outF ||
                w1->bias != w3->bias)
                continue;
            auto w2 = linearFrom(soleConsumer(out(m)));
            if (!w2 || w2->x != out(m) || w2->inF != w1->outF || w2->outF != w1->inF || w2->bias != w1->bias)
                continue;
            int x = w1->x;
            if (!val(x).shapeKnown || val(x).dims.empty() || val(x).dims.back() != w1->inF)
                continue;
            Group g;
            g.type = LayerType::SwiGlu;
            g.params = kindDefaults(LayerType::SwiGlu);
            g.params.hidden = w1->outF;
            g.params.bias = w1->bias;
            g.inputs = {x};
            g.output = w2->out;
            g.nodes = {sig, silu, m};
            for (const auto* l : {&*w1, &*w3, &*w2}) {
                g.nodes.insert(g.nodes.end(), l->nodes.begin(), l->nodes.end());
                g.weights.insert(g.weights.end(), l->weights.begin(), l->weights.end());
            }
            if (commit(std::move(g)))
                break;
        }
    }
}

} // namespace nc::core::onnx::detail
