// Explain: formula lines for the inspector, with every final value read from the analysis.
#include "Explain.h"

#include "Catalogue.h"
#include "Format.h"
#include "LayerRules.h"

#include <cstdio>
#include <initializer_list>

namespace nc::core {

namespace {

const char* const kMinus = " − ";

std::string n(int64_t v) { return std::to_string(v); }

// "64·28·28": the factors of a product, unevaluated, as the lecture writes them.
std::string factors(std::initializer_list<int64_t> f)
{
    std::string s;
    for (int64_t x : f)
        s += (s.empty() ? "" : "·") + n(x);
    return s;
}
std::string dimsProduct(const Shape& s)
{
    std::string r;
    for (int64_t d : s)
        r += (r.empty() ? "" : "·") + n(d);
    return r.empty() ? "1" : r;
}

bool hasOperator(const std::string& e)
{
    return e.find('+') != std::string::npos || e.find("·") != std::string::npos ||
           e.find('/') != std::string::npos || e.find("−") != std::string::npos;
}

// Appends "·B" for a batch above 1 (bracketing a sum first), since per-sample costs scale with it.
std::string timesBatch(const std::string& e, int64_t batch)
{
    if (batch == 1)
        return e;
    bool sum = e.find(" + ") != std::string::npos || e.find(kMinus) != std::string::npos;
    return (sum ? "(" + e + ")" : e) + "·" + n(batch);
}
std::string batchLabel(const std::string& label, int64_t batch)
{
    return batch == 1 ? label : label + " (batch " + n(batch) + ")";
}

// Bytes of `elements` values at `bits` bits, as bytesFor rounds them (up to whole bytes).
std::string bytesExpr(const std::string& elements, int bits)
{
    bool sum = elements.find(" + ") != std::string::npos && elements.front() != '(';
    std::string e = (sum ? "(" + elements + ")" : elements) + "·" + n(bits) + "/8";
    return bits % 8 == 0 ? e : "⌈" + e + "⌉";
}

class Lines {
public:
    // "label = expr = value" (the expression dropped when it is a bare number).
    void eq(const std::string& quantity, const std::string& label, const std::string& expr, int64_t value,
            const std::string& unit = {})
    {
        std::string v = groupDigits(value) + unit;
        m_lines.push_back(
            {quantity, hasOperator(expr) ? label + " = " + expr + " = " + v : label + " = " + v});
    }
    void text(const std::string& quantity, const std::string& t) { m_lines.push_back({quantity, t}); }
    bool has(const std::string& quantity) const
    {
        for (const ExplainLine& l : m_lines)
            if (l.quantity == quantity)
                return true;
        return false;
    }
    // Every layer states its output, parameters and MACs, even where they are trivial; the output goes
    // after the lines that derive it (ho, wo, co).
    void complete(const Shape& out)
    {
        if (!has("out")) {
            size_t at = 0;
            for (size_t i = 0; i < m_lines.size(); ++i)
                if (m_lines[i].quantity == "ho" || m_lines[i].quantity == "wo" ||
                    m_lines[i].quantity == "co" || m_lines[i].quantity == "padding")
                    at = i + 1;
            m_lines.insert(m_lines.begin() + static_cast<std::ptrdiff_t>(at),
                           {"out", "out = " + out.toString()});
        }
        size_t afterParams = m_lines.size();
        for (size_t i = 0; i < m_lines.size(); ++i)
            if (m_lines[i].quantity == "out" || m_lines[i].quantity == "params" ||
                m_lines[i].quantity == "state")
                afterParams = i + 1;
        if (!has("params"))
            m_lines.insert(m_lines.begin() + static_cast<std::ptrdiff_t>(afterParams++),
                           {"params", "params = 0"});
        if (!has("MACs"))
            m_lines.insert(m_lines.begin() + static_cast<std::ptrdiff_t>(afterParams), {"MACs", "MACs = 0"});
    }
    std::vector<ExplainLine> take() { return std::move(m_lines); }

private:
    std::vector<ExplainLine> m_lines;
};

// One axis of a sliding window: ho = ⌊(hi + pa + pb − d·(k − 1) − 1)/s⌋ + 1, PyTorch's ceil-mode
// correction included (LayerRules::windowOut).
std::string windowExpr(int64_t in, int64_t pa, int64_t pb, int64_t k, int64_t d, int64_t s, bool ceilMode)
{
    std::string inner = n(in);
    if (pa || pb)
        inner += " + " + n(pa) + " + " + n(pb);
    inner += d == 1 ? kMinus + n(k) : kMinus + n(d) + "·(" + n(k) + kMinus + "1)" + kMinus + "1";
    std::string e =
        s == 1 ? inner + " + 1"
               : std::string(ceilMode ? "⌈(" : "⌊(") + inner + ")/" + n(s) + (ceilMode ? "⌉" : "⌋") + " + 1";
    if (ceilMode) {
        int64_t span = in + pa + pb - (d * (k - 1) + 1);
        int64_t out = (span + s - 1) / s + 1;
        if ((out - 1) * s >= in + pa)
            e += kMinus + std::string("1"); // the last window would start in the bottom padding
    }
    return e;
}

const ReceptiveField* inputField(const Network& net, const AnalysisResult& a, NodeId id)
{
    const Edge* e = net.edgeInto(id, 0);
    if (!e)
        return nullptr;
    const LayerResult* src = a.layer(e->from, net);
    return src && src->status == LayerStatus::Ok && src->rf.valid ? &src->rf : nullptr;
}

// Receptive field lines: r' = r + (k_eff − 1)·j and j' = j·s for windows; r' = r + (n − 1)·j when an
// operation mixes the whole axis; otherwise the field is passed on or joined.
void fieldLines(Lines& out, const Network& net, const AnalysisResult& a, const Node& node,
                const LayerResult& r)
{
    if (!r.rf.valid)
        return;
    const LayerParams& p = node.params;
    const ReceptiveField* in = r.inputCount == 1 ? inputField(net, a, node.id) : nullptr;
    const char* axisName[2] = {"H", "W"};
    auto windowAxis = [&](int ax, int64_t k, int64_t d, int64_t s, bool bothAxes) {
        std::string kterm = d == 1 ? "(" + n(k) + kMinus + "1)" : n(d) + "·(" + n(k) + kMinus + "1)";
        std::string suffix = bothAxes ? "" : std::string(" ") + axisName[ax];
        out.eq("RF", "RF" + suffix, n(in->size[ax]) + " + " + kterm + "·" + n(in->jump[ax]), r.rf.size[ax]);
        out.eq("jump", "jump" + suffix, factors({in->jump[ax], s}), r.rf.jump[ax]);
    };
    auto windowed = [&](int64_t kh, int64_t kw, int64_t dh, int64_t dw, int64_t sh, int64_t sw) {
        bool square = r.rf.size[0] == r.rf.size[1] && r.rf.jump[0] == r.rf.jump[1] &&
                      in->size[0] == in->size[1] && in->jump[0] == in->jump[1] && kh == kw && dh == dw &&
                      sh == sw;
        windowAxis(0, kh, dh, sh, square);
        if (!square)
            windowAxis(1, kw, dw, sw, false);
    };
    switch (node.type) {
    case LayerType::Conv2d:
    case LayerType::DepthwiseConv2d:
        if (in)
            return windowed(p.kh, p.kw, p.dh, p.dw, p.sh, p.sw);
        break;
    case LayerType::MaxPool2d:
    case LayerType::AvgPool2d:
        if (in)
            return windowed(p.kh, p.kw, 1, 1, p.sh, p.sw);
        break;
    case LayerType::PatchEmbed:
        if (in)
            return windowed(p.patch, p.patch, 1, 1, p.patch, p.patch);
        break;
    case LayerType::GlobalAvgPool:
    case LayerType::InstanceNorm:
    case LayerType::GroupNorm:
    case LayerType::MultiHeadAttention:
        if (in) {
            for (int ax = 0; ax < 2; ++ax)
                out.eq("RF", std::string("RF ") + axisName[ax] + " (whole map)",
                       n(in->size[ax]) + " + (" + n(in->extent[ax]) + kMinus + "1)·" + n(in->jump[ax]),
                       r.rf.size[ax]);
            return;
        }
        break;
    default:
        break;
    }
    std::string why = r.inputCount > 1 ? " (the largest of its inputs')"
                      : in && in->size[0] == r.rf.size[0] && in->size[1] == r.rf.size[1] ? " (unchanged)"
                                                                                         : "";
    out.text("field", "RF = " + n(r.rf.size[0]) + "×" + n(r.rf.size[1]) + why);
}

} // namespace

std::vector<ExplainLine> explainLayer(const Network& net, const AnalysisResult& a, NodeId id)
{
    const int idx = net.nodeIndex(id);
    const LayerResult* rp = a.layerAtNode(idx);
    if (!rp || rp->status != LayerStatus::Ok)
        return {};
    const LayerResult& r = *rp;
    const Node& node = net.nodes()[static_cast<size_t>(idx)];
    const LayerParams& p = node.params;
    const auto in = a.inputsOf(r);
    const Shape& o = r.output;
    const int64_t B = a.batch;
    Lines L;

    switch (node.type) {
    case LayerType::Input:
        L.text("out", "out = " + o.toString() + " (given; the batch of " + n(B) + " is a network setting)");
        break;
    case LayerType::Linear: {
        const int64_t inF = in[0].back();
        const int64_t rows = *o.elements() / p.features;
        L.text("out", "out = " + o.toString() + " (the last axis becomes out_features)");
        L.eq("params", "params", factors({inF, p.features}) + (p.bias ? " + " + n(p.features) : ""),
             r.params);
        L.eq("MACs", batchLabel("MACs", B),
             timesBatch(rows == 1 ? factors({inF, p.features}) : factors({rows, inF, p.features}), B),
             r.macs);
        if (p.bias)
            L.eq("ops", batchLabel("bias adds", B), timesBatch(dimsProduct(o), B), r.otherOps);
        break;
    }
    case LayerType::Conv2d:
    case LayerType::DepthwiseConv2d: {
        const Shape& x = in[0];
        const Padding pad = resolvePadding(p, x[1], x[2]);
        if (p.padSame)
            L.text("padding", "padding \"same\" = " + n(pad.top) + " + " + n(pad.bottom) + " on H, " +
                                  n(pad.left) + " + " + n(pad.right) + " on W");
        L.eq("ho", "ho", windowExpr(x[1], pad.top, pad.bottom, p.kh, p.dh, p.sh, false), o[1]);
        L.eq("wo", "wo", windowExpr(x[2], pad.left, pad.right, p.kw, p.dw, p.sw, false), o[2]);
        std::string w;
        if (node.type == LayerType::Conv2d) {
            w = n(o[0]) + "·(" + n(x[0]) + "/" + n(p.groups) + ")·" + n(p.kh) + "·" + n(p.kw);
        } else {
            L.eq("co", "co", factors({x[0], p.multiplier}), o[0]);
            w = factors({o[0], p.kh, p.kw});
        }
        L.eq("params", "params", w + (p.bias ? " + " + n(o[0]) : ""), r.params);
        L.eq("MACs", batchLabel("MACs", B), timesBatch(w + "·" + n(o[1]) + "·" + n(o[2]), B), r.macs);
        if (p.bias)
            L.eq("ops", batchLabel("bias adds", B), timesBatch(dimsProduct(o), B), r.otherOps);
        break;
    }
    case LayerType::MaxPool2d:
    case LayerType::AvgPool2d: {
        const Shape& x = in[0];
        L.eq("ho", "ho", windowExpr(x[1], p.pt, p.pb, p.kh, 1, p.sh, p.ceilMode != 0), o[1]);
        L.eq("wo", "wo", windowExpr(x[2], p.pl, p.pr, p.kw, 1, p.sw, p.ceilMode != 0), o[2]);
        L.text("params", "params = 0");
        L.eq("ops", batchLabel("ops", B), timesBatch(dimsProduct(o) + "·" + factors({p.kh, p.kw}), B),
             r.otherOps);
        break;
    }
    case LayerType::GlobalAvgPool:
        L.text("out", "out = " + o.toString() + " (one average per channel)");
        L.text("params", "params = 0");
        L.eq("ops", batchLabel("ops", B), timesBatch(dimsProduct(in[0]), B), r.otherOps);
        break;
    case LayerType::AdaptiveAvgPool2d: {
        // Window i spans [⌊i·in/out⌋, ⌈(i+1)·in/out⌉); the operations are the channels times the sums
        // of the window lengths along each axis.
        auto windows = [](int64_t inLen, int64_t outLen) {
            int64_t sum = 0;
            for (int64_t i = 0; i < outLen; ++i)
                sum += ((i + 1) * inLen + outLen - 1) / outLen - (i * inLen) / outLen;
            return sum;
        };
        L.text("out", "out = " + o.toString());
        L.text("params", "params = 0");
        L.eq("ops", batchLabel("ops", B),
             timesBatch(factors({in[0][0], windows(in[0][1], p.outH), windows(in[0][2], p.outW)}), B),
             r.otherOps);
        break;
    }
    case LayerType::BatchNorm:
    case LayerType::InstanceNorm:
    case LayerType::GroupNorm:
    case LayerType::LayerNorm: {
        const bool bn = node.type == LayerType::BatchNorm;
        std::string affineOf = n(in[0][0]);
        if (node.type == LayerType::LayerNorm) {
            Shape tail;
            for (int i = in[0].rank() - static_cast<int>(p.normAxes); i < in[0].rank(); ++i)
                tail.push(in[0][i]);
            affineOf = tail.rank() > 1 ? "(" + dimsProduct(tail) + ")" : dimsProduct(tail);
        }
        L.text("out", "out = " + o.toString() + " (same as its input)");
        if (p.affine)
            L.eq("params", "params (γ, β)", "2·" + affineOf, r.params);
        else
            L.text("params", "params = 0 (no affine γ, β)");
        if (bn && p.trackStats)
            L.eq("state", "running mean, variance", "2·" + affineOf, r.state);
        const int64_t per = normOpsPerElement(node.type, p.affine != 0);
        L.eq("ops", batchLabel("ops", B), timesBatch(dimsProduct(o) + "·" + n(per), B), r.otherOps);
        break;
    }
    case LayerType::ReLU:
    case LayerType::ReLU6:
    case LayerType::LeakyReLU:
    case LayerType::Sigmoid:
    case LayerType::Tanh:
    case LayerType::SiLU:
    case LayerType::HardSwish:
    case LayerType::GELU:
    case LayerType::Softmax:
        L.text("out", "out = " + o.toString() + " (same as its input)");
        L.text("params", "params = 0");
        L.eq("ops", batchLabel("ops", B) + " (" + n(activationOpsPerElement(node.type)) + " per element)",
             timesBatch(dimsProduct(o) + "·" + n(activationOpsPerElement(node.type)), B), r.otherOps);
        break;
    case LayerType::Add:
    case LayerType::Multiply:
        L.text("out", "out = " + o.toString());
        L.text("params", "params = 0");
        L.eq("ops", batchLabel("ops", B),
             timesBatch(dimsProduct(o) + "·(" + n(static_cast<int64_t>(in.size())) + kMinus + "1)", B),
             r.otherOps);
        break;
    case LayerType::Concat: {
        std::string sum;
        for (const Shape& s : in)
            sum += (sum.empty() ? "" : " + ") + n(s[0]);
        L.eq("out", "channels", sum, o[0]);
        L.text("params", "params = 0");
        break;
    }
    case LayerType::Flatten:
        L.eq("out", "out", dimsProduct(in[0]), o[0]);
        break;
    case LayerType::PatchEmbed: {
        const Shape& x = in[0];
        const int64_t D = o[1];
        const std::string grid = "(" + n(x[1]) + "/" + n(p.patch) + ")·(" + n(x[2]) + "/" + n(p.patch) + ")";
        L.eq("out", "tokens", grid + (p.classToken ? " + 1" : ""), o[0]);
        const std::string w = factors({D, x[0], p.patch, p.patch});
        std::string params = w;
        if (p.bias)
            params += " + " + n(D);
        if (p.classToken)
            params += " + " + n(D);
        if (p.posEmbed)
            params += " + " + factors({o[0], D});
        L.eq("params", "params", params, r.params);
        L.eq("MACs", batchLabel("MACs", B), timesBatch(w + "·" + grid, B), r.macs);
        break;
    }
    case LayerType::MultiHeadAttention: {
        const int64_t T = in[0][0], D = in[0][1];
        L.eq("head", "head dim", n(D) + "/" + n(p.heads), D / p.heads);
        L.eq("params", "params", factors({4, D, D}) + (p.bias ? " + " + factors({4, D}) : ""), r.params);
        L.eq("MACs", batchLabel("MACs", B),
             timesBatch(factors({4, T, D, D}) + " + " + factors({2, T, T, D}), B), r.macs);
        L.eq("workspace", "working memory (Q, K, V, heads, map)",
             bytesExpr(timesBatch(factors({4, T, D}) + " + " + factors({p.heads, T, T}), B), r.bits),
             r.workspaceBytes, " B");
        break;
    }
    case LayerType::Mlp: {
        const int64_t D = in[0].back(), H = p.hidden, O = o.back();
        const int64_t rows = *in[0].elements() / D;
        const std::string w = factors({D, H}) + " + " + factors({H, O});
        L.eq("params", "params", w + (p.bias ? " + " + n(H) + " + " + n(O) : ""), r.params);
        L.eq("MACs", batchLabel("MACs", B), timesBatch(rows == 1 ? w : n(rows) + "·(" + w + ")", B), r.macs);
        L.eq("workspace", "hidden activations", bytesExpr(timesBatch(factors({rows, H}), B), r.bits),
             r.workspaceBytes, " B");
        break;
    }
    case LayerType::Dropout:
    case LayerType::Reshape:
    case LayerType::ClassTokenSelect:
    case LayerType::Opaque:
        L.text("out", "out = " + o.toString());
        L.text("params", "params = 0");
        break;
    }

    L.complete(o);
    if (r.stored)
        L.eq("memory", "memory", bytesExpr(timesBatch(dimsProduct(o), B), r.bits), r.activationBytes, " B");
    else
        L.text("memory", isView(node.type) ? "memory (a view of its input) = 0 B"
                                           : "memory (runs in place on its input) = 0 B");
    fieldLines(L, net, a, node, r);
    return L.take();
}

std::string hyperSummary(const Node& node, int networkBits)
{
    const LayerParams& p = node.params;
    auto num = [](double v) {
        char b[32];
        std::snprintf(b, sizeof b, "%g", v);
        return std::string(b);
    };
    auto pair = [](int64_t a, int64_t b) { return a == b ? n(a) : n(a) + "×" + n(b); };
    auto window = [&](bool conv) {
        std::string s = n(p.kh) + "×" + n(p.kw);
        if (p.sh != 1 || p.sw != 1)
            s += " s" + pair(p.sh, p.sw);
        if (conv && p.padSame)
            s += " same";
        else if (p.pt == p.pb && p.pb == p.pl && p.pl == p.pr && p.pt != 0)
            s += " p" + n(p.pt);
        else if (p.pt || p.pb || p.pl || p.pr)
            s += " p" + n(p.pt) + "," + n(p.pb) + "," + n(p.pl) + "," + n(p.pr);
        if (conv && (p.dh != 1 || p.dw != 1))
            s += " d" + pair(p.dh, p.dw);
        return s;
    };
    std::string s;
    switch (node.type) {
    case LayerType::Conv2d:
        s = window(true);
        if (p.groups != 1)
            s += " g" + n(p.groups);
        break;
    case LayerType::DepthwiseConv2d:
        s = "dw " + window(true);
        if (p.multiplier != 1)
            s += " ×" + n(p.multiplier);
        break;
    case LayerType::MaxPool2d:
    case LayerType::AvgPool2d:
        s = window(false);
        if (p.ceilMode)
            s += " ceil";
        break;
    case LayerType::Linear:
        s = "→" + n(p.features);
        break;
    case LayerType::AdaptiveAvgPool2d:
        s = "→" + n(p.outH) + "×" + n(p.outW);
        break;
    case LayerType::GroupNorm:
        s = n(p.numGroups) + " groups";
        break;
    case LayerType::LayerNorm:
        if (p.normAxes != 1)
            s = n(p.normAxes) + " axes";
        break;
    case LayerType::LeakyReLU:
        s = "slope " + num(p.slope);
        break;
    case LayerType::Softmax:
        s = "axis " + n(p.axis);
        break;
    case LayerType::Dropout:
        s = "p " + num(p.dropP);
        break;
    case LayerType::Add:
    case LayerType::Multiply:
    case LayerType::Concat:
        if (p.inputs != 2)
            s = n(p.inputs) + " inputs";
        break;
    case LayerType::PatchEmbed:
        s = "p" + n(p.patch) + " →" + n(p.features);
        break;
    case LayerType::MultiHeadAttention:
        s = n(p.heads) + (p.heads == 1 ? " head" : " heads");
        break;
    case LayerType::Mlp:
        s = "hidden " + n(p.hidden);
        break;
    case LayerType::Reshape:
    case LayerType::Opaque:
        s = "→" + p.dims.toString();
        break;
    default:
        break;
    }
    if (p.bits != 0 && p.bits != networkBits) {
        std::string label = p.bits == 32   ? "FP32"
                            : p.bits == 16 ? "FP16"
                            : p.bits == 8  ? "INT8"
                            : p.bits == 4  ? "INT4"
                                           : n(p.bits) + "-bit";
        s += (s.empty() ? "" : " ") + label;
    }
    return s;
}

} // namespace nc::core
