// Patterns: operator patterns of exported CNNs and transformers, recognised as NetCanvas layers.
#include "Patterns.h"

#include "core/Catalogue.h"
#include "core/onnx/OnnxImport.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <functional>
#include <map>
#include <set>

namespace nc::core::onnx::detail {

namespace {

bool near(double a, double b, double tol = 1e-4) { return std::fabs(a - b) <= tol * (1 + std::fabs(b)); }

bool isPerm(const std::optional<std::vector<int64_t>>& p, std::initializer_list<int64_t> want)
{
    return p && *p == std::vector<int64_t>(want);
}

LayerParams defaults(LayerType t) { return Catalogue::instance().spec(t).defaults; }

// An Einsum equation that is a (batched) matrix product "…ij,…jk->…ik": the same leading letters on
// both operands and the output, then the last two axes contracted as A·B.
bool batchedMatmulEquation(const ::onnx::NodeProto& n)
{
    std::string eq = attrString(n, "equation", "");
    eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
    const size_t comma = eq.find(','), arrow = eq.find("->");
    if (comma == std::string::npos || arrow == std::string::npos || arrow < comma)
        return false;
    const std::string a = eq.substr(0, comma), b = eq.substr(comma + 1, arrow - comma - 1), y = eq.substr(arrow + 2);
    if (a.size() < 2 || a.size() != b.size() || a.size() != y.size() || a.find('.') != std::string::npos)
        return false;
    const size_t r = a.size();
    if (a.substr(0, r - 2) != b.substr(0, r - 2) || a.substr(0, r - 2) != y.substr(0, r - 2))
        return false;
    const char i = a[r - 2], j = a[r - 1], k = b[r - 1];
    std::set<char> letters(a.begin(), a.end());
    letters.insert(k);
    return b[r - 2] == j && y[r - 2] == i && y[r - 1] == k && letters.size() == r + 1;
}

} // namespace

PatternMatcher::PatternMatcher(const OnnxGraph& g, int64_t batch)
    : m_g(g), m_batch(batch), m_claimed(static_cast<size_t>(g.nodeCount()), 0),
      m_live(static_cast<size_t>(g.nodeCount()), 1), m_position(static_cast<size_t>(g.nodeCount()), 0)
{
    for (size_t k = 0; k < g.order().size(); ++k)
        m_position[static_cast<size_t>(g.order()[k])] = static_cast<int>(k);
}

std::string PatternMatcher::op(int i) const
{
    const Node& n = node(i);
    return n.domain().empty() || n.domain() == "ai.onnx" ? n.op_type() : std::string();
}

int PatternMatcher::in(int i, int k) const
{
    const auto& ins = m_g.info(i).inputs;
    return k < static_cast<int>(ins.size()) ? ins[static_cast<size_t>(k)] : -1;
}

int PatternMatcher::out(int i, int k) const
{
    const auto& outs = m_g.info(i).outputs;
    return k < static_cast<int>(outs.size()) ? outs[static_cast<size_t>(k)] : -1;
}

std::optional<double> PatternMatcher::scalar(int v) const
{
    if (!isConst(v) || !val(v).data || val(v).data->size() != 1)
        return std::nullopt;
    return val(v).data->value(0);
}

std::optional<std::vector<int64_t>> PatternMatcher::constInts(int v) const
{
    if (!isConst(v) || !val(v).data || val(v).data->real())
        return std::nullopt;
    return val(v).data->ints;
}

std::vector<int> PatternMatcher::dynConsumers(int v, size_t limit) const
{
    // Distinct live consumers that compute data; stops at `limit` (a value may feed thousands).
    std::vector<int> r;
    if (v < 0)
        return r;
    for (int c : val(v).consumers) {
        if (m_g.info(c).constant || !m_live[static_cast<size_t>(c)] || std::find(r.begin(), r.end(), c) != r.end())
            continue;
        r.push_back(c);
        if (r.size() >= limit)
            break;
    }
    return r;
}

bool PatternMatcher::used(int v) const { return v >= 0 && (val(v).graphOutput || !dynConsumers(v, 1).empty()); }

bool PatternMatcher::singleUse(int v) const { return soleConsumer(v) >= 0; }

int PatternMatcher::soleConsumer(int v) const
{
    if (v < 0 || val(v).graphOutput)
        return -1;
    auto c = dynConsumers(v, 2);
    return c.size() == 1 ? c[0] : -1;
}

int64_t PatternMatcher::elements(int v) const
{
    if (v < 0 || !val(v).shapeKnown)
        return -1;
    return elementCount(val(v).dims).value_or(-1);
}

std::vector<int> PatternMatcher::dynamicInputs(int i) const
{
    std::vector<int> r;
    for (const auto* list : {&m_g.info(i).inputs, &m_g.info(i).captures})
        for (int v : *list)
            if (dynamic(v) && std::find(r.begin(), r.end(), v) == r.end())
                r.push_back(v);
    return r;
}

int PatternMatcher::lead(int v) const
{
    const Value& x = val(v);
    return x.dims.size() >= 2 && x.dims[0] == m_batch ? 1 : 0;
}

Shape PatternMatcher::perSample(int v) const
{
    const Value& x = val(v);
    Shape s;
    const size_t first = static_cast<size_t>(lead(v));
    const size_t rank = x.dims.size() - first;
    if (rank == 0) {
        s.push(1);
        return s;
    }
    // More than Shape::kMaxRank axes: merge the leading ones (element count stays exact).
    size_t merge = rank > static_cast<size_t>(Shape::kMaxRank) ? rank - Shape::kMaxRank + 1 : 1;
    int64_t head = 1;
    for (size_t a = 0; a < merge; ++a)
        head *= x.dims[first + a];
    s.push(head);
    for (size_t a = first + merge; a < x.dims.size(); ++a)
        s.push(x.dims[a]);
    return s;
}

bool PatternMatcher::closed(const std::vector<int>& nodes, int output, const std::vector<int>& extra) const
{
    std::set<int> inside(nodes.begin(), nodes.end());
    bool producesOutput = false;
    for (int i : nodes) {
        if (!free(i))
            return false;
        for (int w : m_g.info(i).outputs) {
            if (w < 0)
                continue;
            if (w == output) {
                producesOutput = true;
                continue;
            }
            if (std::find(extra.begin(), extra.end(), w) != extra.end())
                continue;
            if (val(w).graphOutput)
                return false;
            for (int c : val(w).consumers)
                if (!inside.count(c) && !m_g.info(c).constant && m_live[static_cast<size_t>(c)])
                    return false;
        }
    }
    return producesOutput;
}

std::string PatternMatcher::groupName(const std::vector<int>& nodes, int anchor) const
{
    if (nodes.size() > 1) {
        // Longest common path prefix of the node names: "/blocks.0/attn/qkv/MatMul" and
        // "/blocks.0/attn/proj/Add" name the layer "/blocks.0/attn".
        std::vector<std::string> common;
        bool first = true;
        for (int i : nodes) {
            const std::string& name = node(i).name();
            std::vector<std::string> parts;
            size_t start = 0;
            for (size_t p = name.find('/'); p != std::string::npos; p = name.find('/', start)) {
                parts.push_back(name.substr(start, p - start));
                start = p + 1;
            }
            parts.push_back(name.substr(start));
            parts.pop_back(); // the last component names the node itself
            if (first) {
                common = parts;
                first = false;
            } else {
                size_t k = 0;
                while (k < common.size() && k < parts.size() && common[k] == parts[k])
                    ++k;
                common.resize(k);
            }
        }
        std::string joined;
        for (size_t k = 0; k < common.size(); ++k)
            joined += (k ? "/" : "") + common[k];
        if (!joined.empty() && joined != "/")
            return joined;
    }
    return node(anchor).name();
}

bool PatternMatcher::commit(Group g)
{
    std::vector<int> extra;
    for (const Group::Extra& e : g.extraOutputs)
        if (e.value >= 0)
            extra.push_back(e.value);
    if (!closed(g.nodes, g.output, extra))
        return false;
    for (int i : g.nodes)
        m_claimed[static_cast<size_t>(i)] = 1;
    if (g.name.empty())
        g.name = groupName(g.nodes, producer(g.output));
    m_groups.push_back(std::move(g));
    return true;
}

void PatternMatcher::opaque(int i, const std::string& why)
{
    // One opaque layer per used output (an opaque layer has one output port), each reading every
    // dynamic input of the node, so the memory schedule keeps those tensors alive. The node's MACs
    // are charged to the first of them only.
    const auto dyn = dynamicInputs(i);
    bool any = false;
    for (size_t k = 0; k < m_g.info(i).outputs.size(); ++k) {
        int v = m_g.info(i).outputs[k];
        if (!used(v))
            continue;
        Group g;
        g.type = LayerType::Opaque;
        g.output = v;
        g.nodes = {i};
        g.reason = why;
        g.inputs = dyn;
        g.macs = any ? 0 : sampleMacs(i);
        g.name = node(i).name();
        if (m_g.info(i).outputs.size() > 1 && !g.name.empty())
            g.name += ":" + std::to_string(k);
        m_groups.push_back(std::move(g));
        any = true;
    }
    m_claimed[static_cast<size_t>(i)] = any ? 1 : 2;
}

// ---- Linear ----------------------------------------------------------------------------------------

std::optional<PatternMatcher::LinearMatch> PatternMatcher::linearFrom(int i) const
{
    if (i < 0 || !free(i))
        return std::nullopt;
    LinearMatch m;
    const std::string o = op(i);
    if (o == "MatMul") {
        int x = in(i, 0), w = in(i, 1);
        if (!dynamic(x) || !isConst(w) || val(w).dims.size() != 2 || !val(x).shapeKnown || val(x).dims.empty())
            return std::nullopt;
        if (val(x).dims.back() != val(w).dims[0])
            return std::nullopt;
        m.x = x;
        m.inF = val(w).dims[0];
        m.outF = val(w).dims[1];
        m.nodes = {i};
        m.weights = {w};
        m.out = out(i);
        // A following Add of a constant with `out` values is the bias.
        int c = soleConsumer(m.out);
        if (c >= 0 && free(c) && op(c) == "Add") {
            int other = in(c, 0) == m.out ? in(c, 1) : in(c, 0);
            if (isConst(other) && elements(other) == m.outF &&
                (val(other).dims.empty() || val(other).dims.back() == m.outF)) {
                m.nodes.push_back(c);
                m.weights.push_back(other);
                m.bias = true;
                m.out = out(c);
            }
        }
        return m;
    }
    if (o == "Gemm") {
        int x = in(i, 0), w = in(i, 1), b = in(i, 2);
        if (!dynamic(x) || !isConst(w) || val(w).dims.size() != 2 || attrInt(node(i), "transA", 0) != 0 ||
            !val(x).shapeKnown || val(x).dims.size() != 2)
            return std::nullopt;
        bool transB = attrInt(node(i), "transB", 0) != 0;
        int64_t k = val(w).dims[transB ? 1 : 0], n = val(w).dims[transB ? 0 : 1];
        if (val(x).dims[1] != k || (b >= 0 && !isConst(b)))
            return std::nullopt;
        m.x = x;
        m.inF = k;
        m.outF = n;
        m.nodes = {i};
        m.weights = {w};
        if (b >= 0) {
            m.weights.push_back(b);
            m.bias = true;
        }
        m.out = out(i);
        return m;
    }
    return std::nullopt;
}

std::optional<PatternMatcher::LinearMatch> PatternMatcher::linearEndingAt(int v) const
{
    int p = producer(v);
    if (p < 0 || !free(p))
        return std::nullopt;
    if (op(p) == "MatMul" || op(p) == "Gemm") {
        auto m = linearFrom(p);
        if (m && m->out == v)
            return m;
        // The MatMul's sole consumer is an Add, but the caller wants the value before it.
        return std::nullopt;
    }
    if (op(p) == "Add") {
        for (int k = 0; k < 2; ++k) {
            int mm = producer(in(p, k));
            if (mm >= 0 && op(mm) == "MatMul") {
                auto m = linearFrom(mm);
                if (m && m->out == v)
                    return m;
            }
        }
    }
    return std::nullopt;
}

void PatternMatcher::matchLinear()
{
    for (int i : m_g.order()) {
        if (!free(i) || (op(i) != "MatMul" && op(i) != "Gemm"))
            continue;
        auto m = linearFrom(i);
        if (!m)
            continue;
        Group g;
        g.type = LayerType::Linear;
        g.params = defaults(LayerType::Linear);
        g.params.features = m->outF;
        g.params.bias = m->bias;
        g.inputs = {m->x};
        g.output = m->out;
        g.nodes = m->nodes;
        g.weights = m->weights;
        if (op(i) == "Gemm" && (attrFloat(node(i), "alpha", 1.0) != 1.0 || attrFloat(node(i), "beta", 1.0) != 1.0))
            m_stats->notes.push_back("Gemm " + node(i).name() + ": alpha/beta scaling is not counted");
        commit(std::move(g));
    }
}

// ---- LSTM / GRU --------------------------------------------------------------------------------------

void PatternMatcher::matchRecurrent()
{
    // PyTorch's export of nn.LSTM / nn.GRU with batch_first=True: Transpose(1, 0, 2) to time-major,
    // one ONNX LSTM (GRU) node per layer, each followed by Squeeze(axis 1) — or, bidirectional,
    // Transpose(0, 2, 1, 3) + Reshape to T×B×2H — and a Transpose back. The chain is one NetCanvas
    // layer with `layers` = the number of nodes, as the module it came from. A sequence nothing
    // reads ends the chain at the last node (a classifier on h_n). h_n and c_n are the nodes' Y_h /
    // Y_c, one layer's as they are, several Concat'ed on axis 0 (layer-major, as PyTorch writes
    // them): output ports 1 and 2, taken with a Transpose(1, 0, 2) to batch-first right after
    // (NetCanvas's own export) or left batch-second (PyTorch's).
    for (int t : m_g.order()) {
        if (!free(t) || op(t) != "Transpose" || !isPerm(attrInts(node(t), "perm"), {1, 0, 2}))
            continue;
        const int x = in(t, 0);
        if (!dynamic(x) || !val(x).shapeKnown || val(x).dims.size() != 3 || lead(x) != 1)
            continue;
        int cur = soleConsumer(out(t));
        if (cur < 0 || !free(cur) || (op(cur) != "LSTM" && op(cur) != "GRU") || in(cur, 0) != out(t))
            continue;
        const std::string type = op(cur);
        const int64_t hidden = attrInt(node(cur), "hidden_size", 0);
        const std::string direction = attrString(node(cur), "direction", "forward");
        const int dirs = direction == "bidirectional" ? 2 : 1;
        std::vector<int> nodes{t}, weights, rnns;
        int layers = 0, output = -1;
        bool unread = false;
        bool ok = direction != "reverse" && hidden > 0, bias = true;
        while (ok && output < 0) {
            const Node& n = node(cur);
            ok = free(cur) && op(cur) == type && attrInt(n, "hidden_size", 0) == hidden &&
                 attrString(n, "direction", "forward") == direction && attrInt(n, "layout", 0) == 0 &&
                 !findAttr(n, "activations") && !findAttr(n, "clip") && attrInt(n, "input_forget", 0) == 0 &&
                 isConst(in(cur, 1)) && isConst(in(cur, 2)) && (in(cur, 3) < 0 || isConst(in(cur, 3))) &&
                 in(cur, 4) < 0;
            for (int k = 5; ok && k < n.input_size(); ++k)
                ok = in(cur, k) < 0 || isConst(in(cur, k)); // initial states: zeros the exporter made
            if (!ok)
                break;
            nodes.push_back(cur);
            weights.push_back(in(cur, 1));
            weights.push_back(in(cur, 2));
            if (in(cur, 3) >= 0)
                weights.push_back(in(cur, 3));
            else
                bias = false;
            ++layers;
            rnns.push_back(cur);
            int v = -1;
            const int y = out(cur, 0);
            if (y < 0) {
                ok = false;
                break;
            }
            if (!used(y)) {
                output = y;
                unread = true;
                break;
            }
            // One direction: Squeeze (PyTorch) or, as NetCanvas's export writes both, the bidirectional form.
            if (dirs == 1 && soleConsumer(y) >= 0 && op(soleConsumer(y)) == "Squeeze") {
                const int sq = soleConsumer(y);
                std::optional<std::vector<int64_t>> axes =
                    sq >= 0 ? (opset() >= 13 ? constInts(in(sq, 1)) : attrInts(node(sq), "axes")) : std::nullopt;
                ok = sq >= 0 && free(sq) && op(sq) == "Squeeze" && axes && *axes == std::vector<int64_t>{1};
                if (ok) {
                    nodes.push_back(sq);
                    v = out(sq);
                }
            } else {
                const int tr = soleConsumer(y);
                ok = tr >= 0 && free(tr) && op(tr) == "Transpose" && isPerm(attrInts(node(tr), "perm"), {0, 2, 1, 3});
                const int rs = ok ? soleConsumer(out(tr)) : -1;
                ok = ok && rs >= 0 && free(rs) && op(rs) == "Reshape" && val(out(rs)).shapeKnown &&
                     val(out(rs)).dims.size() == 3 && val(out(rs)).dims[2] == dirs * hidden;
                if (ok) {
                    nodes.insert(nodes.end(), {tr, rs});
                    v = out(rs);
                }
            }
            if (!ok)
                break;
            const int c = soleConsumer(v);
            if (c >= 0 && free(c) && op(c) == type && in(c, 0) == v) {
                cur = c;
            } else if (c >= 0 && free(c) && op(c) == "Transpose" && isPerm(attrInts(node(c), "perm"), {1, 0, 2})) {
                nodes.push_back(c);
                output = out(c);
            } else {
                ok = false;
            }
        }
        if (!ok || output < 0)
            continue;
        // Port k (1: h_n from Y_h, 2: c_n from Y_c): nothing read, or one value made of all layers.
        std::vector<Group::Extra> extras;
        for (int k = 1; ok && k <= (type == "LSTM" ? 2 : 1); ++k) {
            std::vector<int> parts;
            bool any = false;
            for (int r : rnns) {
                parts.push_back(out(r, k));
                any = any || used(parts.back());
            }
            Group::Extra e;
            if (any) {
                int v = parts[0];
                if (parts.size() > 1) {
                    const int cat = soleConsumer(parts[0]);
                    ok = cat >= 0 && free(cat) && op(cat) == "Concat" && attrInt(node(cat), "axis", 0) == 0 &&
                         static_cast<size_t>(node(cat).input_size()) == parts.size();
                    for (size_t l = 0; ok && l < parts.size(); ++l)
                        ok = in(cat, static_cast<int>(l)) == parts[l] && soleConsumer(parts[l]) == cat;
                    if (!ok)
                        break;
                    nodes.push_back(cat);
                    v = out(cat);
                }
                e.value = v;
                e.batchSecond = true;
                const int tr = soleConsumer(v);
                if (tr >= 0 && free(tr) && op(tr) == "Transpose" &&
                    isPerm(attrInts(node(tr), "perm"), {1, 0, 2})) {
                    nodes.push_back(tr);
                    e.value = out(tr);
                    e.batchSecond = false;
                }
            }
            extras.push_back(e);
        }
        if (!ok)
            continue;
        const LayerType lt = type == "LSTM" ? LayerType::LSTM : LayerType::GRU;
        Group g;
        g.outputUnread = unread;
        if (std::any_of(extras.begin(), extras.end(), [](const Group::Extra& e) { return e.value >= 0; }))
            g.extraOutputs = extras;
        g.type = lt;
        g.params = defaults(lt);
        g.params.hidden = hidden;
        g.params.layers = layers;
        g.params.bidirectional = dirs == 2;
        g.params.bias = bias;
        g.inputs = {x};
        g.output = output;
        g.nodes = nodes;
        g.weights = weights;
        commit(std::move(g));
    }
}

// ---- Embedding ------------------------------------------------------------------------------------

void PatternMatcher::matchEmbedding()
{
    // Gather(table V×D, token ids) is a lookup: nn.Embedding. A learned position table added right
    // after it — Add of Gather(P×D table, constant positions), folded to a constant — belongs to it.
    for (int i : m_g.order()) {
        if (!free(i) || op(i) != "Gather" || attrInt(node(i), "axis", 0) != 0)
            continue;
        const int table = in(i, 0), ids = in(i, 1);
        if (!isConst(table) || !val(table).shapeKnown || val(table).dims.size() != 2 || !dynamic(ids) ||
            !val(ids).shapeKnown || lead(ids) != 1 || val(ids).dims.size() != 2 || isRealType(val(ids).elemType))
            continue;
        const int64_t vocab = val(table).dims[0], dim = val(table).dims[1];
        Group g;
        g.type = LayerType::Embedding;
        g.params = defaults(LayerType::Embedding);
        g.params.vocab = vocab;
        g.params.features = dim;
        g.params.positions = 0;
        g.params.tokenTypes = 0;
        g.inputs = {ids};
        g.nodes = {i};
        g.weights = {table};
        g.output = out(i);
        if (int add = soleConsumer(out(i)); add >= 0 && free(add) && op(add) == "Add") {
            const int pos = in(add, 0) == out(i) ? in(add, 1) : in(add, 0);
            const int pg = producer(pos);
            if (isConst(pos) && pg >= 0 && op(pg) == "Gather" && attrInt(node(pg), "axis", 0) == 0 &&
                isConst(in(pg, 0)) && val(in(pg, 0)).shapeKnown && val(in(pg, 0)).dims.size() == 2 &&
                val(in(pg, 0)).dims[1] == dim && val(out(add)).shapeKnown && val(out(add)).dims == val(out(i)).dims) {
                g.params.positions = val(in(pg, 0)).dims[0];
                g.nodes.push_back(add);
                g.weights.push_back(pos);
                g.output = out(add);
            }
        }
        commit(std::move(g));
    }
}

void PatternMatcher::tieHeads()
{
    for (Group& lin : m_groups) {
        if (lin.type != LayerType::Linear || lin.weights.empty())
            continue;
        const Value& w = val(lin.weights[0]);
        if (w.fingerprint.size() != 8 || w.dims.size() != 2)
            continue;
        for (const Group& emb : m_groups) {
            if (emb.type != LayerType::Embedding)
                continue;
            const Value& t = val(emb.weights[0]);
            // W (D×V, as MatMul reads it) is the table (V×D) transposed: W's row 0 is the table's
            // column 0 and W's column 0 the table's row 0.
            if (t.fingerprint.size() != 8 || t.dims.size() != 2 || t.dims[0] != w.dims[1] || t.dims[1] != w.dims[0] ||
                !std::equal(w.fingerprint.begin(), w.fingerprint.begin() + 4, t.fingerprint.begin() + 4) ||
                !std::equal(w.fingerprint.begin() + 4, w.fingerprint.end(), t.fingerprint.begin()) ||
                std::all_of(t.fingerprint.begin(), t.fingerprint.end(), [&](float f) { return f == t.fingerprint[0]; }))
                continue;
            lin.params.tied = 1;
            lin.weights.erase(lin.weights.begin());
            m_stats->notes.push_back("layer \"" + lin.name + "\" reads a transposed copy of the embedding table \"" +
                                     emb.name + "\" that the exporter wrote for a tied weight: it is tied to that "
                                     "table, whose " + std::to_string(t.dims[0] * t.dims[1]) +
                                     " values are counted once, at the embedding");
            break;
        }
    }
}

// ---- Attention -------------------------------------------------------------------------------------

void PatternMatcher::matchAttention()
{
    for (int s : m_g.order()) {
        if (!free(s) || op(s) != "Softmax")
            continue;
        std::vector<int> nodes{s};
        auto take = [&](int i) { nodes.push_back(i); };
        int scores = in(s, 0);
        if (!singleUse(scores))
            continue;
        // A mask may come before the softmax: a constant (causal attention) or computed from an input
        // (BERT's attention_mask). NetCanvas's attention layer has one input, so a computed mask's
        // connection is not drawn.
        auto mask = maskBefore(scores, nodes);
        if (mask)
            scores = mask->scores;
        scores = skipScale(scores, nodes);
        int mm1 = producer(scores);
        if (mm1 < 0 || !free(mm1) || op(mm1) != "MatMul" || !singleUse(scores))
            continue;
        take(mm1);
        int qh = skipScale(in(mm1, 0), nodes), kt = skipScale(in(mm1, 1), nodes);
        // After the softmax: P·V.
        int probs = out(s);
        int mm2 = soleConsumer(probs);
        if (mm2 < 0 || !free(mm2) || op(mm2) != "MatMul" || in(mm2, 0) != probs)
            continue;
        take(mm2);
        int vh = in(mm2, 1);

        // Split heads: Transpose(Reshape(P, [B, T, H, d]), perm) — separate projections — or a
        // fused QKV projection reshaped to [B, T, 3, H, d], transposed to [3, B, H, T, d], gathered.
        struct Head {
            int proj = -1;  // value of the projection output (before the head split)
            int part = -1;  // 0, 1, 2 for a fused QKV Gather, else -1
            int heads = 0;
        };
        auto splitHeads = [&](int v, bool isK, Head& h) -> bool {
            int t = producer(v);
            if (t < 0 || !free(t) || !singleUse(v))
                return false;
            if (isK && op(t) == "Transpose" && isPerm(attrInts(node(t), "perm"), {0, 1, 3, 2})) {
                take(t);
                v = in(t, 0);
                t = producer(v);
                isK = false;
                if (t < 0 || !free(t) || !singleUse(v))
                    return false;
            }
            if (op(t) == "Gather" || op(t) == "Squeeze") {
                // Fused QKV: Gather(axis 0, index i) — or Squeeze of output i of a Split on axis 0
                // (qkv.unbind(0)) — of Transpose(2,0,3,1,4) of Reshape [B,T,3,H,d].
                std::optional<double> idx;
                int split = -1, source = -1;
                if (op(t) == "Gather") {
                    idx = scalar(in(t, 1));
                    if (attrInt(node(t), "axis", 0) != 0 || !idx || val(in(t, 1)).dims.size() != 0)
                        return false;
                    source = in(t, 0);
                } else {
                    split = producer(in(t, 0));
                    if (split < 0 || op(split) != "Split" || attrInt(node(split), "axis", 0) != 0 ||
                        node(split).output_size() != 3 || !val(out(t)).shapeKnown || val(out(t)).dims.size() != 4)
                        return false;
                    for (int k2 = 0; k2 < 3; ++k2)
                        if (out(split, k2) == in(t, 0))
                            idx = k2;
                    source = in(split, 0);
                }
                int tr = producer(source);
                if (tr < 0 || op(tr) != "Transpose" || !isPerm(attrInts(node(tr), "perm"), {2, 0, 3, 1, 4}))
                    return false;
                int rs = producer(in(tr, 0));
                if (rs < 0 || op(rs) != "Reshape" || !val(out(rs)).shapeKnown || val(out(rs)).dims.size() != 5 ||
                    val(out(rs)).dims[2] != 3)
                    return false;
                take(t);
                if (std::find(nodes.begin(), nodes.end(), tr) == nodes.end()) {
                    take(tr);
                    take(rs);
                    if (split >= 0)
                        take(split);
                }
                h.proj = in(rs, 0);
                h.part = static_cast<int>(*idx);
                h.heads = static_cast<int>(val(out(rs)).dims[3]);
                return !isK;
            }
            if (op(t) != "Transpose")
                return false;
            auto perm = attrInts(node(t), "perm");
            if (!(isK ? isPerm(perm, {0, 2, 3, 1}) : isPerm(perm, {0, 2, 1, 3})))
                return false;
            int r = producer(in(t, 0));
            if (r < 0 || !free(r) || op(r) != "Reshape" || !singleUse(in(t, 0)) || !val(out(r)).shapeKnown ||
                val(out(r)).dims.size() != 4)
                return false;
            take(t);
            take(r);
            h.proj = in(r, 0);
            h.heads = static_cast<int>(val(out(r)).dims[2]);
            return true;
        };
        Head q, k, v;
        if (!splitHeads(qh, false, q) || !splitHeads(kt, true, k) || !splitHeads(vh, false, v))
            continue;
        if (q.heads <= 0 || q.heads != k.heads || q.heads != v.heads)
            continue;

        // Merge heads: Transpose(0,2,1,3) then Reshape to [B, T, D], then the output projection.
        int o = out(mm2);
        int tr = soleConsumer(o);
        if (tr < 0 || !free(tr) || op(tr) != "Transpose" || !isPerm(attrInts(node(tr), "perm"), {0, 2, 1, 3}))
            continue;
        take(tr);
        int rs = soleConsumer(out(tr));
        if (rs < 0 || !free(rs) || op(rs) != "Reshape" || !val(out(rs)).shapeKnown || val(out(rs)).dims.size() != 3)
            continue;
        take(rs);
        int projNode = soleConsumer(out(rs));
        auto outProj = linearFrom(projNode);
        if (!outProj || outProj->x != out(rs))
            continue;

        // Projections: Q, K, V from one input x (self-attention), each D -> D (or one D -> 3D).
        std::vector<int> weights;
        bool anyBias = outProj->bias, allBias = outProj->bias;
        int x = -1;
        int64_t d = 0;
        bool ok = true;
        if (q.part >= 0) {
            if (q.proj != k.proj || q.proj != v.proj || std::set<int>{q.part, k.part, v.part} != std::set<int>{0, 1, 2})
                continue;
            auto lin = linearEndingAt(q.proj);
            if (!lin || lin->outF % 3 != 0)
                continue;
            x = lin->x;
            d = lin->inF;
            ok = lin->outF == 3 * d;
            for (int n2 : lin->nodes)
                take(n2);
            weights.insert(weights.end(), lin->weights.begin(), lin->weights.end());
            anyBias = anyBias || lin->bias;
            allBias = allBias && lin->bias;
        } else {
            for (int p : {q.proj, k.proj, v.proj}) {
                auto lin = linearEndingAt(p);
                if (!lin) {
                    ok = false;
                    break;
                }
                if (x < 0) {
                    x = lin->x;
                    d = lin->inF;
                }
                ok = ok && lin->x == x && lin->inF == d && lin->outF == d;
                for (int n2 : lin->nodes)
                    take(n2);
                weights.insert(weights.end(), lin->weights.begin(), lin->weights.end());
                anyBias = anyBias || lin->bias;
                allBias = allBias && lin->bias;
            }
        }
        if (!ok || x < 0 || outProj->inF != d || outProj->outF != d || d % q.heads != 0)
            continue;
        if (!val(x).shapeKnown || val(x).dims.size() != 3 || val(x).dims[2] != d || lead(x) != 1)
            continue;
        for (int n2 : outProj->nodes)
            take(n2);
        weights.insert(weights.end(), outProj->weights.begin(), outProj->weights.end());

        Group g;
        g.type = LayerType::MultiHeadAttention;
        g.params = defaults(LayerType::MultiHeadAttention);
        g.params.heads = q.heads;
        g.params.bias = anyBias;
        g.inputs = {x};
        g.output = outProj->out;
        g.droppedInputs = mask && dynamic(mask->mask) ? 1 : 0;
        std::string unreadWhy;
        g.params.causal = mask && causalMask(mask->mask, mask->where, &unreadWhy) ? 1 : 0;
        const bool unreadMask = mask && isConst(mask->mask) && !g.params.causal;
        std::sort(nodes.begin(), nodes.end());
        nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
        g.nodes = nodes;
        g.weights = weights;
        const std::string name = groupName(nodes, s);
        if (!commit(std::move(g)))
            continue;
        if (anyBias && !allBias)
            m_stats->notes.push_back("attention \"" + name +
                                     "\": only some projections have a bias; NetCanvas's attention layer has all four");
        if (unreadMask)
            m_stats->notes.push_back("attention \"" + name + "\": its constant mask " +
                                     (unreadWhy.empty() ? "is not a causal triangle" : "cannot be read: " + unreadWhy) +
                                     "; the layer is modelled without a mask");
    }
}

// ---- Patch embedding -------------------------------------------------------------------------------

void PatternMatcher::matchPatchEmbed()
{
    for (int c : m_g.order()) {
        if (!free(c) || op(c) != "Conv")
            continue;
        int x = in(c, 0), w = in(c, 1), b = in(c, 2);
        if (!dynamic(x) || !isConst(w) || val(w).dims.size() != 4 || lead(x) != 1 || val(x).dims.size() != 4)
            continue;
        auto k = attrInts(node(c), "kernel_shape").value_or(std::vector<int64_t>{val(w).dims[2], val(w).dims[3]});
        auto s = attrInts(node(c), "strides").value_or(std::vector<int64_t>{1, 1});
        auto pads = attrInts(node(c), "pads").value_or(std::vector<int64_t>{0, 0, 0, 0});
        auto dil = attrInts(node(c), "dilations").value_or(std::vector<int64_t>{1, 1});
        if (k.size() != 2 || k[0] != k[1] || s != k || k[0] < 2 || attrInt(node(c), "group", 1) != 1 ||
            pads != std::vector<int64_t>{0, 0, 0, 0} || dil != std::vector<int64_t>{1, 1} ||
            attrString(node(c), "auto_pad", "NOTSET") != "NOTSET")
            continue;
        const int64_t p = k[0], dim = val(w).dims[0];
        if (val(x).dims[2] % p || val(x).dims[3] % p)
            continue;
        // Conv -> Reshape [B, D, T] -> Transpose(0, 2, 1) is the token sequence.
        int rs = soleConsumer(out(c));
        if (rs < 0 || !free(rs) || op(rs) != "Reshape" || !val(out(rs)).shapeKnown || val(out(rs)).dims.size() != 3 ||
            val(out(rs)).dims[1] != dim)
            continue;
        int tr = soleConsumer(out(rs));
        if (tr < 0 || !free(tr) || op(tr) != "Transpose" || !isPerm(attrInts(node(tr), "perm"), {0, 2, 1}))
            continue;
        Group g;
        g.type = LayerType::PatchEmbed;
        g.params = defaults(LayerType::PatchEmbed);
        g.params.features = dim;
        g.params.patch = p;
        g.params.bias = b >= 0;
        g.params.classToken = 0;
        g.params.posEmbed = 0;
        g.nodes = {c, rs, tr};
        g.weights = {w};
        if (b >= 0)
            g.weights.push_back(b);
        g.inputs = {x};
        int v = out(tr);
        // Optional class token: Concat(axis 1) of a constant [B, 1, D] (often an Expand) and the tokens.
        if (int cat = soleConsumer(v); cat >= 0 && free(cat) && op(cat) == "Concat" && node(cat).input_size() == 2 &&
                                       in(cat, 1) == v && attrInt(node(cat), "axis", 0) == 1) {
            int cls = in(cat, 0);
            if (isConst(cls) && val(cls).shapeKnown && val(cls).dims.size() == 3 && val(cls).dims[1] == 1 &&
                val(cls).dims[2] == dim) {
                g.nodes.push_back(cat);
                g.weights.push_back(cls);
                g.params.classToken = 1;
                v = out(cat);
            }
        }
        // Optional position embedding: Add of a constant [1, T, D].
        if (int add = soleConsumer(v); add >= 0 && free(add) && op(add) == "Add") {
            int pos = in(add, 0) == v ? in(add, 1) : in(add, 0);
            if (isConst(pos) && val(pos).shapeKnown && val(out(add)).shapeKnown && val(out(add)).dims == val(v).dims &&
                elements(pos) == val(v).dims[1] * dim) {
                g.nodes.push_back(add);
                g.weights.push_back(pos);
                g.params.posEmbed = 1;
                v = out(add);
            }
        }
        g.output = v;
        commit(std::move(g));
    }
}

// ---- Decomposed normalisations ---------------------------------------------------------------------

void PatternMatcher::matchLayerNormDecomposed()
{
    auto reduceAxes = [&](int r) -> std::optional<std::vector<int64_t>> {
        if (attrInt(node(r), "keepdims", 1) != 1)
            return std::nullopt;
        if (opset() >= 18)
            return constInts(in(r, 1));
        return attrInts(node(r), "axes");
    };
    for (int r1 : m_g.order()) {
        if (!free(r1) || op(r1) != "ReduceMean")
            continue;
        int x = in(r1, 0);
        if (!dynamic(x) || !val(x).shapeKnown)
            continue;
        const int64_t rank = static_cast<int64_t>(val(x).dims.size());
        auto axes = reduceAxes(r1);
        if (!axes || axes->empty())
            continue;
        // The normalised axes must be the trailing ones: LayerNorm over the last `k` axes.
        std::vector<int64_t> ax = *axes;
        for (auto& a : ax)
            if (a < 0)
                a += rank;
        std::sort(ax.begin(), ax.end());
        const int64_t k = static_cast<int64_t>(ax.size());
        bool trailing = true;
        for (int64_t j = 0; j < k; ++j)
            trailing = trailing && ax[static_cast<size_t>(j)] == rank - k + j;
        if (!trailing || rank - k < lead(x))
            continue;
        int sub = soleConsumer(out(r1));
        if (sub < 0 || !free(sub) || op(sub) != "Sub" || in(sub, 0) != x || in(sub, 1) != out(r1))
            continue;
        int dlt = out(sub);
        // dlt feeds the variance (Pow 2 or Mul dlt·dlt) and the division.
        auto cons = dynConsumers(dlt, 3);
        if (cons.size() != 2 || val(dlt).graphOutput)
            continue;
        int sq = -1, div = -1;
        for (int c : cons) {
            if (op(c) == "Pow" && in(c, 0) == dlt && scalar(in(c, 1)) && near(*scalar(in(c, 1)), 2.0))
                sq = c;
            else if (op(c) == "Mul" && in(c, 0) == dlt && in(c, 1) == dlt)
                sq = c;
            else if (op(c) == "Div" && in(c, 0) == dlt)
                div = c;
        }
        if (sq < 0 || div < 0)
            continue;
        int r2 = soleConsumer(out(sq));
        if (r2 < 0 || op(r2) != "ReduceMean" || !reduceAxes(r2) || *reduceAxes(r2) != *axes)
            continue;
        int addEps = soleConsumer(out(r2));
        if (addEps < 0 || op(addEps) != "Add")
            continue;
        int epsV = in(addEps, 0) == out(r2) ? in(addEps, 1) : in(addEps, 0);
        auto eps = scalar(epsV);
        int sqrt = soleConsumer(out(addEps));
        if (!eps || sqrt < 0 || op(sqrt) != "Sqrt" || soleConsumer(out(sqrt)) != div || in(div, 1) != out(sqrt))
            continue;
        std::vector<int> nodes{r1, sub, sq, r2, addEps, sqrt, div};
        std::vector<int> weights;
        int v = out(div);
        bool affine = false;
        const int64_t normElems = [&] {
            int64_t e = 1;
            for (int64_t a : ax)
                e *= val(x).dims[static_cast<size_t>(a)];
            return e;
        }();
        if (int mul = soleConsumer(v); mul >= 0 && free(mul) && op(mul) == "Mul") {
            int gamma = in(mul, 0) == v ? in(mul, 1) : in(mul, 0);
            if (isConst(gamma) && elements(gamma) == normElems) {
                nodes.push_back(mul);
                weights.push_back(gamma);
                affine = true;
                v = out(mul);
                if (int add = soleConsumer(v); add >= 0 && free(add) && op(add) == "Add") {
                    int beta = in(add, 0) == v ? in(add, 1) : in(add, 0);
                    if (isConst(beta) && elements(beta) == normElems) {
                        nodes.push_back(add);
                        weights.push_back(beta);
                        v = out(add);
                    }
                }
            }
        }
        Group g;
        g.type = LayerType::LayerNorm;
        g.params = defaults(LayerType::LayerNorm);
        g.params.normAxes = k;
        g.params.eps = *eps;
        g.params.affine = affine;
        g.inputs = {x};
        g.output = v;
        g.nodes = nodes;
        g.weights = weights;
        commit(std::move(g));
    }
}

void PatternMatcher::matchGroupNormDecomposed()
{
    // PyTorch's GroupNorm export: Reshape [N, G, -1] -> InstanceNormalization(ones, zeros) ->
    // Reshape back -> Mul(γ) -> Add(β).
    for (int in1 : m_g.order()) {
        if (!free(in1) || op(in1) != "InstanceNormalization")
            continue;
        int r1 = producer(in(in1, 0));
        int r2 = soleConsumer(out(in1));
        if (r1 < 0 || r2 < 0 || !free(r1) || !free(r2) || op(r1) != "Reshape" || op(r2) != "Reshape" ||
            !singleUse(in(in1, 0)))
            continue;
        int x = in(r1, 0);
        if (!dynamic(x) || lead(x) != 1 || !val(x).shapeKnown || val(x).dims.size() < 3 ||
            !val(out(r2)).shapeKnown || val(out(r2)).dims != val(x).dims || val(out(r1)).dims.size() != 3)
            continue;
        const int64_t groups = val(out(r1)).dims[1], ch = val(x).dims[1];
        auto sc = in(in1, 1), bi = in(in1, 2);
        if (!isConst(sc) || !isConst(bi) || elements(sc) != groups)
            continue;
        std::vector<int> nodes{r1, in1, r2}, weights;
        int v = out(r2);
        bool affine = false;
        if (int mul = soleConsumer(v); mul >= 0 && free(mul) && op(mul) == "Mul") {
            int gamma = in(mul, 0) == v ? in(mul, 1) : in(mul, 0);
            if (isConst(gamma) && elements(gamma) == ch) {
                int add = soleConsumer(out(mul));
                int beta = add >= 0 && op(add) == "Add" ? (in(add, 0) == out(mul) ? in(add, 1) : in(add, 0)) : -1;
                if (add >= 0 && free(add) && isConst(beta) && elements(beta) == ch) {
                    nodes.insert(nodes.end(), {mul, add});
                    weights = {gamma, beta};
                    affine = true;
                    v = out(add);
                }
            }
        }
        Group g;
        g.type = LayerType::GroupNorm;
        g.params = defaults(LayerType::GroupNorm);
        g.params.numGroups = groups;
        g.params.eps = attrFloat(node(in1), "epsilon", 1e-5);
        g.params.affine = affine;
        g.inputs = {x};
        g.output = v;
        g.nodes = nodes;
        g.weights = weights;
        commit(std::move(g));
    }
}

// ---- Activation formulas ---------------------------------------------------------------------------

namespace {

double erfGelu(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }
double tanhGelu(double x)
{
    return 0.5 * x * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

const std::set<std::string>& elementwiseOps()
{
    static const std::set<std::string> ops{"Add", "Sub", "Mul", "Div", "Pow", "Erf", "Tanh", "Sigmoid",
                                           "HardSigmoid", "Relu", "Clip", "Neg", "Sqrt", "Exp", "Reciprocal",
                                           "Min", "Max", "Abs"};
    return ops;
}

} // namespace

void PatternMatcher::matchActivationFormulas()
{
    // A region of scalar elementwise operators between one input x and one output y is identified by
    // what it computes: evaluated at probe points, it must equal a known activation. This accepts any
    // order of the operators an exporter chooses (x·0.5·(1+erf(x/√2)) or 0.5·x·(...), ...).
    static const double probes[] = {-4.0, -2.5, -1.3, -0.7, -0.2, 0.0, 0.3, 0.9, 1.7, 3.1, 5.0, 7.5};
    struct Target {
        LayerType type;
        std::function<double(double)> f;
    };
    static const std::vector<Target> targets{
        {LayerType::GELU, erfGelu},
        {LayerType::GELU, tanhGelu},
        {LayerType::SiLU, [](double x) { return x * sigmoid(x); }},
        {LayerType::HardSwish, [](double x) { return x * std::clamp(x + 3, 0.0, 6.0) / 6; }},
        {LayerType::HardSigmoid, [](double x) { return std::clamp(x + 3, 0.0, 6.0) / 6; }},
        {LayerType::ReLU6, [](double x) { return std::clamp(x, 0.0, 6.0); }},
    };
    auto allowed = [&](int i) { return i >= 0 && free(i) && elementwiseOps().count(op(i)); };
    auto evaluate = [&](const std::vector<int>& region, int x, int y, double probe) -> std::optional<double> {
        std::map<int, double> env{{x, probe}};
        for (int i : region) { // region is in topological order
            auto arg = [&](int k) -> std::optional<double> {
                int v = in(i, k);
                if (v < 0)
                    return std::nullopt;
                if (auto it = env.find(v); it != env.end())
                    return it->second;
                return scalar(v);
            };
            const std::string o = op(i);
            auto a = arg(0);
            if (!a)
                return std::nullopt;
            double r;
            if (o == "Erf") r = std::erf(*a);
            else if (o == "Tanh") r = std::tanh(*a);
            else if (o == "Sigmoid") r = sigmoid(*a);
            else if (o == "Relu") r = std::max(*a, 0.0);
            else if (o == "Neg") r = -*a;
            else if (o == "Abs") r = std::fabs(*a);
            else if (o == "Sqrt") r = std::sqrt(*a);
            else if (o == "Exp") r = std::exp(*a);
            else if (o == "Reciprocal") r = 1 / *a;
            else if (o == "HardSigmoid")
                r = std::clamp(attrFloat(node(i), "alpha", 0.2) * *a + attrFloat(node(i), "beta", 0.5), 0.0, 1.0);
            else if (o == "Clip") {
                double lo = -INFINITY, hi = INFINITY;
                if (opset() < 11) {
                    lo = attrFloat(node(i), "min", lo);
                    hi = attrFloat(node(i), "max", hi);
                } else {
                    if (in(i, 1) >= 0) {
                        auto l = arg(1);
                        if (!l) return std::nullopt;
                        lo = *l;
                    }
                    if (in(i, 2) >= 0) {
                        auto h = arg(2);
                        if (!h) return std::nullopt;
                        hi = *h;
                    }
                }
                r = std::clamp(*a, lo, std::max(lo, hi));
            } else {
                auto b = arg(1);
                if (!b || node(i).input_size() != 2)
                    return std::nullopt;
                if (o == "Add") r = *a + *b;
                else if (o == "Sub") r = *a - *b;
                else if (o == "Mul") r = *a * *b;
                else if (o == "Div") r = *a / *b;
                else if (o == "Pow") r = std::pow(*a, *b);
                else if (o == "Min") r = std::min(*a, *b);
                else if (o == "Max") r = std::max(*a, *b);
                else return std::nullopt;
            }
            env[out(i)] = r;
        }
        auto it = env.find(y);
        if (it == env.end())
            return std::nullopt;
        return it->second;
    };
    // Nodes between x and y: y's ancestors down to x, all elementwise with scalar constant operands.
    auto regionOf = [&](int x, int y) -> std::optional<std::vector<int>> {
        std::set<int> nodes;
        std::vector<int> stack{y};
        std::set<int> seen{x};
        while (!stack.empty()) {
            int v = stack.back();
            stack.pop_back();
            if (seen.count(v))
                continue;
            seen.insert(v);
            int p = producer(v);
            if (!allowed(p) || nodes.size() > 16)
                return std::nullopt;
            nodes.insert(p);
            for (int k = 0; k < node(p).input_size(); ++k) {
                int w = in(p, k);
                if (w < 0)
                    continue;
                if (dynamic(w))
                    stack.push_back(w);
                else if (!scalar(w))
                    return std::nullopt;
            }
        }
        std::vector<int> ordered(nodes.begin(), nodes.end());
        std::sort(ordered.begin(), ordered.end(), [&](int a, int b) {
            return m_position[static_cast<size_t>(a)] < m_position[static_cast<size_t>(b)];
        });
        return ordered;
    };

    for (const char* seedOp : {"Erf", "Tanh", "HardSigmoid", "Sigmoid", "Clip"}) {
        for (int seed : m_g.order()) {
            if (!free(seed) || op(seed) != seedOp || !dynamic(in(seed, 0)))
                continue;
            // Candidates for x: values upstream of the seed through elementwise nodes (paths may
            // fork and rejoin, as in x + 0.044715·x³); candidates for y: the single-use chain after it.
            std::vector<int> xs, ys;
            {
                std::vector<int> frontier{in(seed, 0)};
                while (!frontier.empty() && xs.size() < 12) {
                    int v = frontier.front();
                    frontier.erase(frontier.begin());
                    if (std::find(xs.begin(), xs.end(), v) != xs.end())
                        continue;
                    xs.push_back(v);
                    int p = producer(v);
                    if (!allowed(p))
                        continue;
                    for (int k = 0; k < node(p).input_size(); ++k)
                        if (dynamic(in(p, k)))
                            frontier.push_back(in(p, k));
                }
            }
            for (int v = out(seed), steps = 0; v >= 0 && steps < 6; ++steps) {
                ys.push_back(v);
                int c = soleConsumer(v);
                if (!allowed(c))
                    break;
                v = out(c);
            }
            std::optional<Group> best;
            for (int y : ys) {
                for (int x : xs) {
                    auto region = regionOf(x, y);
                    if (!region || (best && region->size() <= best->nodes.size()))
                        continue;
                    for (const Target& t : targets) {
                        bool match = true;
                        for (double pr : probes) {
                            auto r = evaluate(*region, x, y, pr);
                            match = match && r && near(*r, t.f(pr), 2e-4);
                        }
                        if (!match || !closed(*region, y))
                            continue;
                        Group g;
                        g.type = t.type;
                        g.params = defaults(t.type);
                        g.inputs = {x};
                        g.output = y;
                        g.nodes = *region;
                        best = g;
                        break;
                    }
                }
            }
            if (best)
                commit(std::move(*best));
        }
    }
}

// ---- Pad + Conv ------------------------------------------------------------------------------------

void PatternMatcher::matchPadConv()
{
    for (int p : m_g.order()) {
        if (!free(p) || op(p) != "Pad")
            continue;
        int x = in(p, 0);
        int c = soleConsumer(out(p));
        if (!dynamic(x) || c < 0 || !free(c) || op(c) != "Conv" || in(c, 0) != out(p) || lead(x) != 1 ||
            val(x).dims.size() != 4)
            continue;
        std::string mode = attrString(node(p), "mode", "constant");
        std::optional<std::vector<int64_t>> pads;
        double fill = 0;
        if (opset() < 11) {
            pads = attrInts(node(p), "pads");
            fill = attrFloat(node(p), "value", 0);
        } else {
            pads = constInts(in(p, 1));
            if (in(p, 2) >= 0) {
                auto f = scalar(in(p, 2));
                if (!f)
                    continue;
                fill = *f;
            }
            if (in(p, 3) >= 0)
                continue; // explicit axes (opset 18): not handled
        }
        // Only H and W padded: [0, 0, t, l, 0, 0, b, r], none negative.
        if (!pads || pads->size() != 8 || (*pads)[0] || (*pads)[1] || (*pads)[4] || (*pads)[5])
            continue;
        if (std::any_of(pads->begin(), pads->end(), [](int64_t v) { return v < 0; }))
            continue;
        PadMode pm;
        if (mode == "constant" && fill == 0)
            pm = PadMode::Zeros;
        else if (mode == "reflect")
            pm = PadMode::Reflect;
        else if (mode == "edge")
            pm = PadMode::Replicate;
        else
            continue;
        LayerType type;
        LayerParams params;
        std::string why;
        if (!convParams(c, out(p), type, params, why))
            continue;
        if (params.padSame || (pm != PadMode::Zeros && (params.pt || params.pb || params.pl || params.pr)))
            continue;
        params.pt += (*pads)[2];
        params.pl += (*pads)[3];
        params.pb += (*pads)[6];
        params.pr += (*pads)[7];
        params.padMode = static_cast<int64_t>(pm);
        Group g;
        g.type = type;
        g.params = params;
        g.inputs = {x};
        g.output = out(c);
        g.nodes = {p, c};
        g.weights = {in(c, 1)};
        if (in(c, 2) >= 0)
            g.weights.push_back(in(c, 2));
        g.name = node(c).name().empty() ? std::string() : node(c).name();
        commit(std::move(g));
    }
}

// ---- Single nodes ----------------------------------------------------------------------------------

bool PatternMatcher::convParams(int i, int x, LayerType& type, LayerParams& p, std::string& why) const
{
    int w = in(i, 1);
    if (!isConst(w)) {
        why = "its weights are computed at run time, not constants";
        return false;
    }
    if (!val(x).shapeKnown || val(x).dims.size() != 4 || val(w).dims.size() != 4) {
        why = "only 2-D convolutions (N×C×H×W) are modelled";
        return false;
    }
    if (lead(x) != 1) {
        why = "its input does not carry the batch on axis 0";
        return false;
    }
    const Node& n = node(i);
    const int64_t ci = val(x).dims[1], co = val(w).dims[0];
    const int64_t g = attrInt(n, "group", 1);
    auto k = attrInts(n, "kernel_shape").value_or(std::vector<int64_t>{val(w).dims[2], val(w).dims[3]});
    auto s = attrInts(n, "strides").value_or(std::vector<int64_t>{1, 1});
    auto d = attrInts(n, "dilations").value_or(std::vector<int64_t>{1, 1});
    auto pads = attrInts(n, "pads").value_or(std::vector<int64_t>{0, 0, 0, 0});
    if (k.size() != 2 || s.size() != 2 || d.size() != 2 || pads.size() != 4 || k[0] != val(w).dims[2] ||
        k[1] != val(w).dims[3]) {
        why = "its kernel, stride, dilation or padding attributes do not describe a 2-D convolution";
        return false;
    }
    auto positive = [](const std::vector<int64_t>& v) {
        return std::all_of(v.begin(), v.end(), [](int64_t x) { return x >= 1 && x <= (int64_t(1) << 24); });
    };
    if (!positive(k) || !positive(s) || !positive(d) ||
        std::any_of(pads.begin(), pads.end(), [](int64_t x) { return x < 0 || x > (int64_t(1) << 24); })) {
        why = "its kernel, stride, dilation or padding is not a sensible size";
        return false;
    }
    if (g < 1 || ci % g || val(w).dims[1] * g != ci) {
        why = "its weight shape does not match its input channels and groups";
        return false;
    }
    const bool depthwise = g == ci && ci > 1 && co % ci == 0;
    type = depthwise ? LayerType::DepthwiseConv2d : LayerType::Conv2d;
    p = defaults(type);
    if (depthwise)
        p.multiplier = co / ci; // out channels follow from the input; `features` is unused
    else
        p.features = co, p.groups = g;
    p.kh = k[0];
    p.kw = k[1];
    p.sh = s[0];
    p.sw = s[1];
    p.dh = d[0];
    p.dw = d[1];
    p.bias = in(i, 2) >= 0;
    p.padSame = 0;
    const std::string autoPad = attrString(n, "auto_pad", "NOTSET");
    if (autoPad == "NOTSET") {
        p.pt = pads[0];
        p.pl = pads[1];
        p.pb = pads[2];
        p.pr = pads[3];
    } else if (autoPad == "VALID") {
        p.pt = p.pl = p.pb = p.pr = 0;
    } else if (autoPad == "SAME_UPPER") {
        p.pt = p.pl = p.pb = p.pr = 0;
        p.padSame = 1;
    } else if (autoPad == "SAME_LOWER") {
        // NetCanvas's "same" puts the odd pixel at the end; SAME_LOWER becomes explicit padding.
        auto axis = [](int64_t in, int64_t kk, int64_t st, int64_t dl, int64_t& a, int64_t& b) {
            int64_t o = (in + st - 1) / st;
            int64_t total = std::max<int64_t>((o - 1) * st + dl * (kk - 1) + 1 - in, 0);
            b = total / 2;
            a = total - b;
        };
        axis(val(x).dims[2], p.kh, p.sh, p.dh, p.pt, p.pb);
        axis(val(x).dims[3], p.kw, p.sw, p.dw, p.pl, p.pr);
    } else {
        why = "auto_pad " + autoPad + " is not valid";
        return false;
    }
    return true;
}

bool PatternMatcher::poolParams(int i, LayerParams& p, std::string& why) const
{
    const Node& n = node(i);
    int x = in(i, 0);
    const size_t rank = val(x).shapeKnown ? val(x).dims.size() : 0;
    if (rank < 3 || rank > 5 || lead(x) != 1) {
        why = "only pooling over N×C×L, N×C×H×W or N×C×D×H×W is modelled";
        return false;
    }
    const size_t nd = rank - 2;
    auto k = attrInts(n, "kernel_shape");
    auto s = attrInts(n, "strides").value_or(std::vector<int64_t>(nd, 1));
    auto d = attrInts(n, "dilations").value_or(std::vector<int64_t>(nd, 1));
    auto pads = attrInts(n, "pads").value_or(std::vector<int64_t>(2 * nd, 0));
    if (!k || k->size() != nd || s.size() != nd || pads.size() != 2 * nd) {
        why = "its kernel, stride or padding attributes do not match its " + std::to_string(nd) + " spatial axes";
        return false;
    }
    if (d != std::vector<int64_t>(nd, 1)) {
        why = "dilated pooling is not modelled";
        return false;
    }
    for (const auto* list : {&*k, &s})
        for (int64_t v : *list)
            if (v < 1 || v > (int64_t(1) << 24)) {
                why = "its kernel or stride is not a sensible size";
                return false;
            }
    for (int64_t v : pads)
        if (v < 0 || v > (int64_t(1) << 24)) {
            why = "its padding is not a sensible size";
            return false;
        }
    const std::string autoPad = attrString(n, "auto_pad", "NOTSET");
    if (autoPad == "VALID") {
        std::fill(pads.begin(), pads.end(), 0);
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
        for (size_t a = 0; a < nd; ++a) {
            const int64_t in = val(x).dims[2 + a], o = (in + s[a] - 1) / s[a];
            const int64_t total = std::max<int64_t>((o - 1) * s[a] + (*k)[a] - in, 0);
            pads[a] = autoPad == "SAME_LOWER" ? total - total / 2 : total / 2;
            pads[nd + a] = total - pads[a];
        }
    } else if (autoPad != "NOTSET") {
        why = "auto_pad " + autoPad + " is not valid";
        return false;
    }
    // ONNX lists the axes outermost first (D, H, W), begins before ends; the kinds name W for 1-D
    // pooling (C×L runs along W) and add D for 3-D.
    int64_t* kf[3] = {&p.kd, &p.kh, &p.kw};
    int64_t* sf[3] = {&p.sd, &p.sh, &p.sw};
    int64_t* begin[3] = {&p.pf, &p.pt, &p.pl};
    int64_t* endf[3] = {&p.pk, &p.pb, &p.pr};
    for (size_t a = 0; a < nd; ++a) {
        const size_t f = 3 - nd + a;
        *kf[f] = (*k)[a];
        *sf[f] = s[a];
        *begin[f] = pads[a];
        *endf[f] = pads[nd + a];
    }
    p.ceilMode = attrInt(n, "ceil_mode", 0);
    return true;
}

std::optional<int64_t> PatternMatcher::shapeMacs(int i) const
{
    const std::string o = op(i);
    auto dims = [&](int v) -> const std::vector<int64_t>* {
        return v >= 0 && val(v).shapeKnown ? &val(v).dims : nullptr;
    };
    auto prod = [](const std::vector<int64_t>& d, size_t from = 0) -> std::optional<int64_t> {
        int64_t r = 1;
        for (size_t k = from; k < d.size(); ++k)
            if (d[k] < 0 || __builtin_mul_overflow(r, d[k], &r))
                return std::nullopt;
        return r;
    };
    auto mul = [](std::optional<int64_t> a, std::optional<int64_t> b) -> std::optional<int64_t> {
        int64_t r;
        if (!a || !b || __builtin_mul_overflow(*a, *b, &r))
            return std::nullopt;
        return r;
    };
    const auto *x = dims(in(i, 0)), *w = dims(in(i, 1)), *y = dims(out(i));
    if (o == "Conv") {
        // out_elements · (ci/g) · ∏k: W is [co, ci/g, k...]
        if (!w || !y || w->size() < 2)
            return std::nullopt;
        return mul(prod(*y), prod(*w, 1));
    }
    if (o == "ConvTranspose") {
        // in_elements · (co/g) · ∏k: W is [ci, co/g, k...]; every input element scatters a kernel
        if (!x || !w || w->size() < 2)
            return std::nullopt;
        return mul(prod(*x), prod(*w, 1));
    }
    if (o == "MatMul") {
        // batch·M·N·K = out_elements · K
        if (!x || !y || x->empty())
            return std::nullopt;
        return mul(prod(*y), x->back());
    }
    if (o == "Gemm") {
        if (!x || !y || x->size() != 2)
            return std::nullopt;
        return mul(prod(*y), (*x)[attrInt(node(i), "transA", 0) ? 0 : 1]);
    }
    if (o == "Einsum") {
        // out_elements · ∏(sizes of the letters summed over: in an operand, not in the output)
        std::string eq = attrString(node(i), "equation", "");
        eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
        if (eq.find("...") != std::string::npos || node(i).input_size() < 2 || !y)
            return std::nullopt;
        const size_t arrow = eq.find("->");
        const std::string lhs = eq.substr(0, arrow);
        std::map<char, int64_t> sizes;
        std::map<char, int> seen;
        size_t operand = 0, axis = 0;
        for (char c : lhs) {
            if (c == ',') {
                ++operand;
                axis = 0;
                continue;
            }
            const auto* d = dims(in(i, static_cast<int>(operand)));
            if (!d || axis >= d->size())
                return std::nullopt;
            sizes[c] = std::max(sizes[c], (*d)[axis++]);
            ++seen[c];
        }
        std::string rhs;
        if (arrow != std::string::npos)
            rhs = eq.substr(arrow + 2);
        else
            for (const auto& [c, n] : seen)
                if (n == 1)
                    rhs += c; // implicit output: the letters that appear once, in order
        std::optional<int64_t> r = prod(*y);
        for (const auto& [c, n] : sizes)
            if (rhs.find(c) == std::string::npos)
                r = mul(r, n);
        return r;
    }
    if (o == "LSTM" || o == "GRU" || o == "RNN") {
        // T·B·gates·H·(I + H) per direction = T·B·(|W| + |R|): W is [dirs, gates·H, I], R [dirs, gates·H, H]
        const auto* r = dims(in(i, 2));
        if (!x || !w || !r || x->size() != 3)
            return std::nullopt;
        const int64_t tb = (*x)[0] * (*x)[1];
        auto pw = prod(*w), pr = prod(*r);
        if (!pw || !pr)
            return std::nullopt;
        return mul(tb, *pw + *pr);
    }
    return std::nullopt;
}

int64_t PatternMatcher::sampleMacs(int i) const
{
    auto m = shapeMacs(i);
    if (!m)
        return 0;
    int y = out(i);
    return y >= 0 && val(y).shapeKnown && lead(y) == 1 && m_batch > 1 ? *m / m_batch : *m;
}

bool PatternMatcher::convNdParams(int i, int x, LayerType& type, LayerParams& p, std::string& why) const
{
    const bool transposed = op(i) == "ConvTranspose";
    int w = in(i, 1);
    if (!isConst(w)) {
        why = "its weights are computed at run time, not constants";
        return false;
    }
    if (!val(x).shapeKnown || lead(x) != 1 || val(w).dims.size() != val(x).dims.size()) {
        why = "its input does not carry the batch on axis 0, or its weight's rank differs";
        return false;
    }
    const int nd = static_cast<int>(val(x).dims.size()) - 2;
    if (transposed ? (nd != 1 && nd != 2) : (nd != 1 && nd != 3)) {
        why = "no catalogue layer for this number of spatial axes";
        return false;
    }
    const Node& n = node(i);
    const auto& wd = val(w).dims;
    const int64_t ci = val(x).dims[1], g = attrInt(n, "group", 1);
    const std::vector<int64_t> kDefault(wd.begin() + 2, wd.end());
    auto k = attrInts(n, "kernel_shape").value_or(kDefault);
    auto s = attrInts(n, "strides").value_or(std::vector<int64_t>(size_t(nd), 1));
    auto d = attrInts(n, "dilations").value_or(std::vector<int64_t>(size_t(nd), 1));
    auto pads = attrInts(n, "pads").value_or(std::vector<int64_t>(size_t(2 * nd), 0));
    auto op = attrInts(n, "output_padding").value_or(std::vector<int64_t>(size_t(nd), 0));
    const std::string autoPad = attrString(n, "auto_pad", "NOTSET");
    if (k != kDefault || s.size() != size_t(nd) || d.size() != size_t(nd) || pads.size() != size_t(2 * nd) ||
        op.size() != size_t(nd) || (autoPad != "NOTSET" && autoPad != "VALID") || findAttr(n, "output_shape")) {
        why = "its kernel, stride, dilation, padding or output-shape attributes are not modelled";
        return false;
    }
    if (autoPad == "VALID")
        std::fill(pads.begin(), pads.end(), 0);
    for (const auto* list : {&k, &s, &d})
        for (int64_t v : *list)
            if (v < 1 || v > (int64_t(1) << 24)) {
                why = "its kernel, stride or dilation is not a sensible size";
                return false;
            }
    for (int64_t v : pads)
        if (v < 0 || v > (int64_t(1) << 24)) {
            why = "its padding is not a sensible size";
            return false;
        }
    if (g < 1 || ci % g) {
        why = "its input channels are not divisible by its groups";
        return false;
    }
    const int64_t co = transposed ? wd[1] * g : wd[0];
    if ((transposed ? wd[0] != ci : wd[1] * g != ci)) {
        why = "its weight shape does not match its input channels and groups";
        return false;
    }
    if (transposed)
        type = nd == 1 ? LayerType::ConvTranspose1d : LayerType::ConvTranspose2d;
    else
        type = nd == 1 ? LayerType::Conv1d : LayerType::Conv3d;
    p = defaults(type);
    p.features = co;
    p.groups = g;
    p.bias = in(i, 2) >= 0;
    p.padSame = 0;
    p.kw = k.back(), p.sw = s.back(), p.dw = d.back(), p.pl = pads[size_t(nd - 1)], p.pr = pads.back();
    if (transposed) {
        // PyTorch's transposed convolution pads both ends alike.
        for (int a = 0; a < nd; ++a)
            if (pads[size_t(a)] != pads[size_t(a + nd)]) {
                why = "its padding differs at the two ends of an axis";
                return false;
            }
        p.outPadW = op.back();
        if (nd == 2)
            p.kh = k[0], p.sh = s[0], p.dh = d[0], p.pt = pads[0], p.pb = pads[2], p.outPadH = op[0];
    } else if (nd == 3) {
        p.kd = k[0], p.sd = s[0], p.dd = d[0], p.pf = pads[0], p.pk = pads[3];
        p.kh = k[1], p.sh = s[1], p.dh = d[1], p.pt = pads[1], p.pb = pads[4];
    }
    return true;
}

namespace {

// The input count a merge kind allows is its `inputs` attribute's range, so the importer and the
// editor agree on one limit.
std::optional<std::string> mergeArity(LayerType t, size_t n)
{
    const AttrSpec* a = Catalogue::instance().spec(t).attr("inputs");
    const auto lo = static_cast<size_t>(a->min), hi = static_cast<size_t>(a->max);
    if (n >= lo && n <= hi)
        return std::nullopt;
    return "it has " + std::to_string(n) + " inputs; " + std::string(Catalogue::instance().spec(t).label) +
           " takes " + std::to_string(lo) + " to " + std::to_string(hi);
}

} // namespace

int64_t PatternMatcher::learnedValues(int v) const
{
    // The weight values (floating-point initializers and Constant outputs) a constant is computed from,
    // each counted once; as the importer attributes a layer's weights.
    std::set<int> roots, seen;
    std::function<void(int)> walk = [&](int w) {
        if (w < 0 || !seen.insert(w).second)
            return;
        const Value& x = val(w);
        if (x.paramRoot)
            roots.insert(w);
        else if (x.producer >= 0 && m_g.info(x.producer).constant)
            for (int in : m_g.info(x.producer).inputs)
                if (in >= 0 && !val(in).dynamic)
                    walk(in);
    };
    walk(v);
    int64_t n = 0;
    for (int r : roots)
        n += val(r).rootElements;
    return n;
}

void PatternMatcher::mapNode(int i)
{
    const std::string o = op(i);
    const Node& n = node(i);
    const int x = in(i, 0);
    const auto dyn = dynamicInputs(i);
    Group g;
    g.nodes = {i};
    g.output = out(i);
    g.name = n.name();

    // Extra outputs in use (MaxPool indices, BatchNorm training statistics, Dropout mask) need an
    // operator NetCanvas does not model.
    bool extraOutputs = false;
    for (size_t k = 1; k < m_g.info(i).outputs.size(); ++k) {
        int v = m_g.info(i).outputs[k];
        extraOutputs = extraOutputs || used(v);
    }
    auto fail = [&](const std::string& why) { opaque(i, why); };
    // A layer for this node alone; should another output of it be in use, the node stays opaque.
    auto place = [&](Group grp) {
        if (!commit(std::move(grp)))
            opaque(i, "another of its outputs is in use");
    };
    auto single = [&](LayerType t, LayerParams p) {
        g.type = t;
        g.params = p;
        g.inputs = {x};
        place(std::move(g));
    };
    if (o.empty() || !isSupportedOperator(o))
        return fail("");
    if (g.output < 0 || !val(g.output).shapeKnown)
        return fail("ONNX shape inference gives no shape for its output");
    if (o == "Split") {
        // The Split kind: one port per piece, the sizes read from ONNX's shapes of the outputs (the
        // `split` input or attribute, or equal pieces). Pieces nothing reads are unconnected ports.
        const auto& outs = m_g.info(i).outputs;
        const int64_t rank = static_cast<int64_t>(val(x).dims.size());
        int64_t axis = attrInt(n, "axis", 0);
        if (axis < 0)
            axis += rank;
        const int lx = lead(x);
        if (axis < lx || axis >= rank)
            return fail("it splits the batch axis");
        if (outs.size() < 2 || outs.size() > static_cast<size_t>(Shape::kMaxRank))
            return fail("it has " + std::to_string(outs.size()) + " pieces; the Split kind takes 2 to " +
                        std::to_string(Shape::kMaxRank));
        LayerParams p = defaults(LayerType::Split);
        p.axis = axis - lx;
        p.dims = Shape{};
        for (size_t k = 0; k < outs.size(); ++k) {
            const int v = outs[k];
            if (v < 0 || !val(v).shapeKnown || val(v).dims.size() != static_cast<size_t>(rank) || lead(v) != lx)
                return fail("ONNX shape inference gives no shape for one of its pieces");
            p.dims.push(val(v).dims[static_cast<size_t>(axis)]);
            if (k > 0) {
                Group::Extra e;
                e.value = used(v) ? v : -1;
                g.extraOutputs.push_back(e);
            }
        }
        g.outputUnread = !used(outs[0]);
        g.type = LayerType::Split;
        g.params = p;
        g.inputs = {x};
        place(std::move(g));
        return;
    }
    if (extraOutputs)
        return fail("it uses an extra output NetCanvas does not model");

    if (o == "Identity") {
        g.alias = true;
        g.inputs = {x};
        g.type = LayerType::Opaque;
        m_groups.push_back(g);
        m_claimed[static_cast<size_t>(i)] = 1;
        return;
    }
    if (!dynamic(x) && o != "Concat" && o != "Sum" && o != "Add" && o != "Mul")
        return fail("its data input is a constant");

    if (o == "ConvTranspose" || (o == "Conv" && val(x).shapeKnown && val(x).dims.size() != 4)) {
        LayerType t;
        LayerParams p;
        std::string why;
        if (!convNdParams(i, x, t, p, why))
            return fail(why);
        g.weights = {in(i, 1)};
        if (in(i, 2) >= 0)
            g.weights.push_back(in(i, 2));
        return single(t, p);
    }
    if (o == "Conv") {
        LayerType t;
        LayerParams p;
        std::string why;
        if (!convParams(i, x, t, p, why))
            return fail(why);
        g.weights = {in(i, 1)};
        if (in(i, 2) >= 0)
            g.weights.push_back(in(i, 2));
        return single(t, p);
    }
    if (o == "MaxPool" || o == "AveragePool") {
        const bool avg = o == "AveragePool";
        const size_t rank = val(x).shapeKnown ? val(x).dims.size() : 0;
        LayerType t = rank == 3   ? (avg ? LayerType::AvgPool1d : LayerType::MaxPool1d)
                      : rank == 5 ? (avg ? LayerType::AvgPool3d : LayerType::MaxPool3d)
                                  : (avg ? LayerType::AvgPool2d : LayerType::MaxPool2d);
        LayerParams p = defaults(t);
        std::string why;
        if (!poolParams(i, p, why))
            return fail(why);
        if (avg)
            p.countIncludePad = attrInt(n, "count_include_pad", 0);
        return single(t, p);
    }
    if (o == "GlobalAveragePool") {
        if (val(x).dims.size() != 4 || lead(x) != 1)
            return fail("only N×C×H×W inputs are modelled");
        return single(LayerType::GlobalAvgPool, defaults(LayerType::GlobalAvgPool));
    }
    if (o == "BatchNormalization") {
        if (lead(x) != 1 || val(x).dims.size() < 2)
            return fail("its input does not carry the batch on axis 0");
        for (int k = 1; k <= 4; ++k)
            if (!isConst(in(i, k)))
                return fail("its scale, bias, mean or variance is computed at run time");
        LayerParams p = defaults(LayerType::BatchNorm);
        p.eps = attrFloat(n, "epsilon", 1e-5);
        g.weights = {in(i, 1), in(i, 2), in(i, 3), in(i, 4)};
        return single(LayerType::BatchNorm, p);
    }
    if (o == "InstanceNormalization") {
        if (lead(x) != 1 || val(x).dims.size() < 3 || !isConst(in(i, 1)) || !isConst(in(i, 2)))
            return fail("only N×C×... inputs with constant scale and bias are modelled");
        LayerParams p = defaults(LayerType::InstanceNorm);
        p.eps = attrFloat(n, "epsilon", 1e-5);
        p.affine = 1;
        g.weights = {in(i, 1), in(i, 2)};
        return single(LayerType::InstanceNorm, p);
    }
    if (o == "LayerNormalization") {
        int64_t rank = static_cast<int64_t>(val(x).dims.size());
        int64_t axis = attrInt(n, "axis", -1);
        if (axis < 0)
            axis += rank;
        if (axis < lead(x) || axis >= rank || !isConst(in(i, 1)) || (in(i, 2) >= 0 && !isConst(in(i, 2))))
            return fail("it normalises the batch axis, or its scale is computed at run time");
        LayerParams p = defaults(LayerType::LayerNorm);
        p.normAxes = rank - axis;
        p.eps = attrFloat(n, "epsilon", 1e-5);
        p.affine = 1;
        g.weights = {in(i, 1)};
        if (in(i, 2) >= 0)
            g.weights.push_back(in(i, 2));
        return single(LayerType::LayerNorm, p);
    }
    if (o == "Gelu") // opset 20; both approximations are GELU
        return single(LayerType::GELU, defaults(LayerType::GELU));
    if (o == "GroupNormalization") { // opset 18
        if (lead(x) != 1 || val(x).dims.size() < 3 || !isConst(in(i, 1)) || !isConst(in(i, 2)))
            return fail("only N×C×... inputs with constant scale and bias are modelled");
        LayerParams p = defaults(LayerType::GroupNorm);
        p.numGroups = attrInt(n, "num_groups", 1);
        p.eps = attrFloat(n, "epsilon", 1e-5);
        g.weights = {in(i, 1), in(i, 2)};
        return single(LayerType::GroupNorm, p);
    }
    if (o == "Relu")
        return single(LayerType::ReLU, defaults(LayerType::ReLU));
    if (o == "Sigmoid")
        return single(LayerType::Sigmoid, defaults(LayerType::Sigmoid));
    if (o == "Tanh")
        return single(LayerType::Tanh, defaults(LayerType::Tanh));
    if (o == "HardSwish")
        return single(LayerType::HardSwish, defaults(LayerType::HardSwish));
    if (o == "HardSigmoid") {
        // PyTorch's hardsigmoid (alpha 1/6 as float32, beta ½), alone or as x·HardSigmoid(x), is claimed
        // by matchActivationFormulas, which evaluates it; one reaching here computes another function
        // (ONNX's default slope 0.2, ...).
        return fail("only HardSigmoid with alpha 1/6 and beta 1/2 (PyTorch's) is modelled; this one has alpha " +
                    std::to_string(attrFloat(n, "alpha", 0.2)) + ", beta " + std::to_string(attrFloat(n, "beta", 0.5)));
    }
    if (o == "LeakyRelu") {
        LayerParams p = defaults(LayerType::LeakyReLU);
        p.slope = attrFloat(n, "alpha", 0.01);
        return single(LayerType::LeakyReLU, p);
    }
    if (o == "Clip") {
        std::optional<double> lo, hi;
        if (opset() < 11) {
            if (findAttr(n, "min"))
                lo = attrFloat(n, "min", 0);
            if (findAttr(n, "max"))
                hi = attrFloat(n, "max", 0);
        } else {
            if (in(i, 1) >= 0 && !(lo = scalar(in(i, 1))))
                return fail("its bounds are computed at run time");
            if (in(i, 2) >= 0 && !(hi = scalar(in(i, 2))))
                return fail("its bounds are computed at run time");
        }
        if (lo && *lo == 0 && hi && *hi == 6)
            return single(LayerType::ReLU6, defaults(LayerType::ReLU6));
        if (lo && *lo == 0 && !hi)
            return single(LayerType::ReLU, defaults(LayerType::ReLU));
        return fail("only Clip(0, 6) (ReLU6) and Clip(0, ∞) (ReLU) are modelled");
    }
    if (o == "Softmax") {
        int64_t rank = static_cast<int64_t>(val(x).dims.size());
        int64_t axis = attrInt(n, "axis", opset() < 13 ? 1 : -1);
        if (axis < 0)
            axis += rank;
        if (axis < lead(x) || axis >= rank)
            return fail("it normalises over the batch axis");
        LayerParams p = defaults(LayerType::Softmax);
        p.axis = axis - rank; // counted from the end, the same for the per-sample shape
        return single(LayerType::Softmax, p);
    }
    if (o == "Dropout") {
        LayerParams p = defaults(LayerType::Dropout);
        if (opset() < 12)
            p.dropP = attrFloat(n, "ratio", 0.5);
        else if (in(i, 1) >= 0) {
            auto r = scalar(in(i, 1));
            if (!r)
                return fail("its ratio is computed at run time");
            p.dropP = *r;
        } else {
            p.dropP = 0.5;
        }
        return single(LayerType::Dropout, p);
    }
    if (o == "Add" || o == "Sum" || o == "Mul") {
        // Merges of data tensors, or one data tensor and a constant: the Add or Multiply kind with that
        // constant as its operand. Learned when its values are weights (ConvNeXt's layer scale γ, GPT's
        // position table gathered by a constant arange); fixed when they are not (below), so they count
        // as stored state and never as parameters the model does not have.
        std::vector<int> ins;
        for (int k = 0; k < n.input_size(); ++k)
            ins.push_back(in(i, k));
        if (o != "Sum" && ins.size() == 2 && dynamic(ins[0]) != dynamic(ins[1])) {
            const int data = dynamic(ins[0]) ? ins[0] : ins[1], c = dynamic(ins[0]) ? ins[1] : ins[0];
            const Value& cv = val(c);
            if (!cv.shapeKnown || !isRealType(cv.elemType))
                return fail("it combines data with a constant whose shape or type is not known");
            // Fixed: a small constant whose contents the importer keeps (≤ 64 values: 1/√d, an ε); a
            // constant computed from fewer weight values than it holds (Swin's shifted-window mask,
            // built from a handful of scalars); an initializer NetCanvas marked as fixed on export. One
            // NetCanvas marked as learned stays learned, however small.
            const bool fixed = !cv.learnedOperand &&
                               (cv.data || cv.fixedConstant ||
                                learnedValues(c) < elementCount(cv.dims).value_or(INT64_MAX));
            const char* word = fixed ? "fixed" : "learned";
            std::vector<int64_t> cd = cv.dims;
            // Batch 1 and data without a batch axis (Swin's nW×heads×N×N scores, windows folded into
            // ONNX's axis 0): the whole tensor is the sample and the operand broadcasts over it.
            const bool wholeSample = lead(data) == 0 && m_batch == 1;
            if ((lead(data) != 1 && !wholeSample) || cd.size() > val(data).dims.size())
                return fail(std::string("its ") + word +
                            " operand has more axes than its data, or the data has no batch axis");
            if (cd.size() == val(data).dims.size() && !wholeSample) {
                if (cd.front() != 1)
                    return fail(std::string("its ") + word + " operand differs across the batch axis");
                cd.erase(cd.begin());
            }
            // A fixed scalar (1/√d) is the operand of shape [1], which broadcasts the same way.
            if (fixed && cd.empty())
                cd.push_back(1);
            if (cd.empty() || cd.size() > static_cast<size_t>(Shape::kMaxRank))
                return fail(std::string("its ") + word + " operand's shape is not modelled");
            const LayerType t = o == "Mul" ? LayerType::Multiply : LayerType::Add;
            LayerParams p = defaults(t);
            p.inputs = 1;
            p.dims = Shape{};
            for (int64_t v : cd)
                p.dims.push(v);
            p.fixedOperand = fixed ? 1 : 0;
            g.type = t;
            g.params = p;
            g.inputs = {data};
            (fixed ? g.fixedConsts : g.weights) = {c};
            place(std::move(g));
            return;
        }
        if (o == "Sum" && ins.size() == 1 && dynamic(ins[0])) {
            g.alias = true;
            g.inputs = {ins[0]};
            m_groups.push_back(g);
            m_claimed[static_cast<size_t>(i)] = 1;
            return;
        }
        for (int v : ins)
            if (!dynamic(v))
                return fail("it combines data with a constant (a bias or scale no layer owns)");
        if (auto why = mergeArity(o == "Mul" ? LayerType::Multiply : LayerType::Add, ins.size()))
            return fail(*why);
        for (int v : ins)
            if (lead(v) != lead(ins[0]))
                return fail("its inputs broadcast across the batch axis");
        LayerType t = o == "Mul" ? LayerType::Multiply : LayerType::Add;
        if (t == LayerType::Add)
            for (int v : ins)
                if (val(v).dims != val(ins[0]).dims)
                    return fail("its inputs have different shapes (broadcasting); NetCanvas's Add needs equal shapes");
        LayerParams p = defaults(t);
        p.inputs = static_cast<int64_t>(ins.size());
        g.type = t;
        g.params = p;
        g.inputs = ins;
        place(std::move(g));
        return;
    }
    if (o == "Concat") {
        std::vector<int> ins;
        for (int k = 0; k < n.input_size(); ++k)
            ins.push_back(in(i, k));
        for (int v : ins)
            if (!dynamic(v))
                return fail("it concatenates a constant (no layer owns it)");
        if (ins.size() == 1) {
            // A concatenation of one tensor is that tensor (DenseNet's first layer of each block).
            g.alias = true;
            g.inputs = {ins[0]};
            m_groups.push_back(g);
            m_claimed[static_cast<size_t>(i)] = 1;
            return;
        }
        if (auto why = mergeArity(LayerType::Concat, ins.size()))
            return fail(*why);
        int64_t rank = static_cast<int64_t>(val(ins[0]).dims.size());
        int64_t axis = attrInt(n, "axis", 0);
        if (axis < 0)
            axis += rank;
        for (int v : ins)
            if (lead(v) != lead(ins[0]))
                return fail("its inputs do not all carry the batch");
        if (axis < lead(ins[0]))
            return fail("it concatenates along the batch axis");
        LayerParams p = defaults(LayerType::Concat);
        p.inputs = static_cast<int64_t>(ins.size());
        p.axis = axis - lead(ins[0]);
        g.type = LayerType::Concat;
        g.params = p;
        g.inputs = ins;
        place(std::move(g));
        return;
    }
    if (o == "Flatten" || o == "Reshape" || o == "Squeeze" || o == "Unsqueeze") {
        // Views: the per-sample element count must be unchanged (the batch stays on axis 0).
        // With batch 1 a view may also fold a sample's axes into ONNX's axis 0 and back (Swin's
        // windows as B·nW×N×C): the whole tensor is that one sample, as lead() reads it.
        Shape si = perSample(x), so = perSample(g.output);
        if (si.elements() != so.elements() || (lead(x) != lead(g.output) && m_batch != 1))
            return fail("it moves data across the batch axis");
        if (o == "Flatten" && so.rank() == 1)
            return single(LayerType::Flatten, defaults(LayerType::Flatten));
        LayerParams p = defaults(LayerType::Reshape);
        p.dims = so;
        if (o == "Reshape" && lead(g.output) == 1) {
            // Keep a −1 of the file's target where it stood, so the design reshapes like the model.
            if (auto target = constInts(in(i, 1)); target && target->size() == static_cast<size_t>(so.rank()) + 1)
                for (int a = 0; a < so.rank(); ++a)
                    if ((*target)[static_cast<size_t>(a) + 1] == -1)
                        p.dims[a] = -1;
        }
        return single(LayerType::Reshape, p);
    }
    if (o == "Gather") {
        auto idx = scalar(in(i, 1));
        const bool oneIndex = idx && isConst(in(i, 1)) && val(in(i, 1)).dims.empty();
        const int64_t rank = static_cast<int64_t>(val(x).dims.size());
        int64_t axis = attrInt(n, "axis", 0);
        if (axis < 0)
            axis += rank;
        if (lead(x) == 1 && rank == 3 && axis == 1 && oneIndex && *idx == 0)
            return single(LayerType::ClassTokenSelect, defaults(LayerType::ClassTokenSelect));
        if (!oneIndex)
            return fail("only one constant index (x[k] along an axis) is modelled");
        // x[k] along one axis: a Slice of length 1, then a Reshape that drops the axis (Swin's q, k, v
        // = qkv[0], qkv[1], qkv[2]; a recurrent classifier's h_n[-1]). A recurrent layer's state port
        // is (layers·dirs)×H per sample while ONNX's value is (layers·dirs)×B×H: its axis 0 is the
        // port's axis 0.
        bool stateValue = false;
        for (const Group& grp : m_groups)
            for (const Group::Extra& e : grp.extraOutputs)
                stateValue = stateValue || (e.value == x && e.batchSecond);
        const int lx = lead(x);
        int64_t sampleAxis = axis - lx;
        if (stateValue) {
            if (axis == 1)
                return fail("it takes one sample of the batch");
            sampleAxis = axis == 0 ? 0 : axis - 1;
        } else if (axis < lx || axis >= rank) {
            return fail("it takes one sample of the batch");
        }
        if (axis < 0 || axis >= rank)
            return fail("its index axis is outside the input");
        if (!stateValue && lead(g.output) != lx && m_batch != 1)
            return fail("it moves data across the batch axis");
        const int64_t len = val(x).dims[static_cast<size_t>(axis)];
        // A hostile index beyond int64 would be undefined to convert; no axis is that long anyway.
        if (!(std::fabs(*idx) <= static_cast<double>(len)))
            return fail("its index is outside the axis (length " + std::to_string(len) + ")");
        const int64_t given = static_cast<int64_t>(*idx);
        const int64_t k = given < 0 ? given + len : given;
        if (k < 0 || k >= len)
            return fail("its index " + std::to_string(given) + " is outside the axis (length " + std::to_string(len) + ")");
        LayerParams p = defaults(LayerType::Slice);
        p.axis = sampleAxis;
        p.sliceStart = k;
        p.sliceEnd = k + 1;
        p.sliceStep = 1;
        g.reshapeAfter = perSample(g.output);
        return single(LayerType::Slice, p);
    }
    if (o == "MatMul" || (o == "Einsum" && n.input_size() == 2 && batchedMatmulEquation(n))) {
        // A product of two activations (attention scores, A·V): the MatMul kind, batch axes broadcast.
        const int a = in(i, 0), b = in(i, 1);
        if (!dynamic(a) || !dynamic(b))
            return fail("one operand is a constant that is not a 2-D weight matrix; MACs counted from shapes");
        g.type = LayerType::MatMul;
        g.params = defaults(LayerType::MatMul);
        g.inputs = {a, b};
        place(std::move(g));
        return;
    }
    if (o == "Gemm" || o == "Einsum")
        return fail("a product NetCanvas has no layer for; MACs counted from shapes");
    if (o == "Transpose") {
        // The Transpose kind permutes the axes of a sample: the batch axis must stay where it is.
        const int64_t rank = static_cast<int64_t>(val(x).dims.size());
        std::vector<int64_t> perm = attrInts(n, "perm").value_or(std::vector<int64_t>{});
        if (perm.empty())
            for (int64_t a = rank - 1; a >= 0; --a)
                perm.push_back(a);
        const int lx = lead(x), ly = lead(g.output);
        if (static_cast<int64_t>(perm.size()) != rank || rank - lx > Shape::kMaxRank)
            return fail("it moves the batch axis");
        LayerParams p = defaults(LayerType::Transpose);
        p.dims = Shape{};
        if (lx == ly && (lx == 0 || perm[0] == 0)) {
            for (size_t a = static_cast<size_t>(lx); a < perm.size(); ++a)
                p.dims.push(perm[a] - lx);
            return single(LayerType::Transpose, p);
        }
        // Batch 1: a unit batch axis moved into the sample, or a sample axis of size 1 moved out in
        // front (Swin's qkv.permute(2, 0, 3, 1, 4) on its last stage, a single window). The sample's
        // axes are permuted alike, then a Reshape gives ONNX's shape.
        if (m_batch != 1)
            return fail("it moves the batch axis");
        std::vector<int64_t> outDims;
        for (int64_t a : perm)
            if (a >= lx) {
                p.dims.push(a - lx);
                outDims.push_back(val(x).dims[static_cast<size_t>(a)]);
            }
        Shape after = perSample(g.output), permuted{};
        for (int64_t d : outDims)
            permuted.push(d);
        if (permuted != after)
            g.reshapeAfter = after;
        return single(LayerType::Transpose, p);
    }
    if (o == "Slice" && opset() >= 10) {
        // One axis, constant bounds and a positive step: the Slice kind (a view).
        auto starts = constInts(in(i, 1)), ends = constInts(in(i, 2));
        auto axes = in(i, 3) >= 0 ? constInts(in(i, 3)) : std::optional<std::vector<int64_t>>(std::vector<int64_t>{0});
        auto steps = in(i, 4) >= 0 ? constInts(in(i, 4)) : std::optional<std::vector<int64_t>>(std::vector<int64_t>{1});
        if (!starts || !ends || !axes || !steps || starts->size() != 1 || ends->size() != 1 || axes->size() != 1 ||
            steps->size() != 1 || (*steps)[0] < 1)
            return fail("only a slice of one axis with constant bounds and a positive step is modelled");
        const int64_t rank = static_cast<int64_t>(val(x).dims.size());
        int64_t axis = (*axes)[0] < 0 ? (*axes)[0] + rank : (*axes)[0];
        const int lx = lead(x);
        if (axis < lx || axis >= rank || lead(g.output) != lx)
            return fail("it slices the batch axis");
        const int64_t len = val(x).dims[static_cast<size_t>(axis)];
        LayerParams p = defaults(LayerType::Slice);
        p.axis = axis - lx;
        p.sliceStart = std::clamp((*starts)[0], -len, len);
        p.sliceEnd = std::clamp((*ends)[0], -len, len);
        p.sliceStep = (*steps)[0];
        return single(LayerType::Slice, p);
    }
    if (o == "Pad") {
        std::optional<std::vector<int64_t>> pads;
        double fill = 0;
        if (opset() < 11) {
            pads = attrInts(n, "pads");
            fill = attrFloat(n, "value", 0);
        } else {
            pads = constInts(in(i, 1));
            if (in(i, 2) >= 0) {
                auto f = scalar(in(i, 2));
                if (!f)
                    return fail("its fill value is computed at run time");
                fill = *f;
            }
            if (in(i, 3) >= 0)
                return fail("padding along explicit axes (opset 18) is not modelled");
        }
        const size_t rank = val(x).dims.size();
        if (!pads || pads->size() != 2 * rank)
            return fail("its padding amounts are not constants; give the input sizes they depend on");
        if (std::all_of(pads->begin(), pads->end(), [](int64_t v) { return v == 0; })) {
            // Nothing padded (Swin pads its windows only when the map is not a multiple of them).
            g.alias = true;
            g.inputs = {x};
            m_groups.push_back(g);
            m_claimed[static_cast<size_t>(i)] = 1;
            return;
        }
        const std::string mode = attrString(n, "mode", "constant");
        const int64_t pm = mode == "reflect" ? static_cast<int64_t>(PadMode::Reflect)
                           : mode == "edge"  ? static_cast<int64_t>(PadMode::Replicate)
                                             : static_cast<int64_t>(PadMode::Zeros);
        const auto& pd = *pads;
        const size_t r = rank; // begin amounts pd[a], end amounts pd[a + r]
        bool fits = lead(x) == 1 && (r == 3 || r == 4) && (mode == "constant" || mode == "reflect" || mode == "edge");
        for (size_t a = 0; fits && a < r; ++a)
            fits = pd[a] >= 0 && pd[a + r] >= 0 && (a >= r - (r == 4 ? 2 : 1) || (pd[a] == 0 && pd[a + r] == 0));
        if (!fits)
            return fail("only padding of the last one or two axes of C×L or C×H×W is modelled");
        LayerParams p = defaults(LayerType::Pad);
        p.padMode = pm;
        p.padValue = fill;
        p.pl = pd[r - 1], p.pr = pd[2 * r - 1];
        p.pt = p.pb = 0;
        if (r == 4)
            p.pt = pd[2], p.pb = pd[6];
        return single(LayerType::Pad, p);
    }
    if (o == "Resize" || o == "Upsample") {
        // The Upsample kind: C×H×W or C×L with the batch and channels kept, nearest as PyTorch exports
        // it (asymmetric coordinates, floor) or (bi)linear with or without align_corners; by constant
        // scales or to constant sizes. Anything else would be counted right but run differently.
        const int64_t rank = static_cast<int64_t>(val(x).dims.size());
        if (lead(x) != 1 || (rank != 3 && rank != 4) || lead(g.output) != 1)
            return fail("only N×C×L and N×C×H×W inputs are modelled");
        const std::string mode = attrString(n, "mode", "nearest");
        const std::string ctm = attrString(n, "coordinate_transformation_mode", "half_pixel");
        const bool resize11 = o == "Resize" && opset() >= 11;
        LayerParams p = defaults(LayerType::Upsample);
        if (mode == "nearest") {
            if (resize11 && (ctm != "asymmetric" || attrString(n, "nearest_mode", "round_prefer_floor") != "floor"))
                return fail("nearest resizing other than PyTorch's (asymmetric coordinates, floor) is not modelled");
            p.resizeMode = 0;
        } else if (mode == "linear") {
            if (resize11 && ctm != "align_corners" && ctm != "pytorch_half_pixel" && ctm != "half_pixel")
                return fail("linear resizing with coordinate mode \"" + ctm + "\" is not modelled");
            p.resizeMode = 1;
            p.alignCorners = resize11 && ctm == "align_corners";
        } else {
            return fail("only nearest and linear resizing are modelled (mode \"" + mode + "\")");
        }
        // Scales: Upsample-7's attribute, Upsample-9/Resize-10's input 1, Resize-11's input 2; sizes:
        // Resize-11's input 3.
        std::vector<double> scales;
        std::vector<int64_t> sizes;
        const int scalesInput = resize11 ? 2 : 1;
        if (o == "Upsample" && opset() < 9) {
            if (const auto* a = findAttr(n, "scales"))
                scales.assign(a->floats().begin(), a->floats().end());
        } else if (int v = in(i, scalesInput); v >= 0 && isConst(v) && val(v).data && val(v).data->real()) {
            scales = val(v).data->reals;
        }
        if (resize11 && scales.empty())
            if (auto s = in(i, 3) >= 0 ? constInts(in(i, 3)) : std::nullopt)
                sizes = *s;
        if (scales.size() == static_cast<size_t>(rank)) {
            if (scales[0] != 1 || scales[1] != 1)
                return fail("it resizes the batch or channel axis");
            p.resizeToSize = 0;
            p.scaleW = scales.back();
            p.scaleH = rank == 4 ? scales[2] : p.scaleW;
        } else if (sizes.size() == static_cast<size_t>(rank)) {
            p.resizeToSize = 1;
            p.outW = sizes.back();
            p.outH = rank == 4 ? sizes[2] : 1;
        } else {
            return fail("its scales or sizes are computed at run time; give the input sizes they depend on");
        }
        return single(LayerType::Upsample, p);
    }
    if (o == "ReduceMean" || o == "ReduceSum" || o == "ReduceMax") {
        if (lead(x) != 1 || lead(g.output) != 1)
            return fail("only a reduction that keeps the batch on axis 0 and some axis of the sample is modelled");
        // The Reduce kind over per-sample axes; a mean over H and W with keepdims is global average
        // pooling. Axes: an attribute, or ReduceSum-13's / every Reduce-18's input.
        const bool axesInput = opset() >= 18 || (o == "ReduceSum" && opset() >= 13);
        std::optional<std::vector<int64_t>> axes = axesInput ? (in(i, 1) >= 0 ? constInts(in(i, 1)) : std::vector<int64_t>{})
                                                             : attrInts(n, "axes").value_or(std::vector<int64_t>{});
        if (!axes)
            return fail("its axes are computed at run time");
        const int64_t rank = static_cast<int64_t>(val(x).dims.size());
        std::vector<int64_t> a = *axes;
        if (a.empty()) {
            if (attrInt(n, "noop_with_empty_axes", 0))
                return fail("an empty axis list that leaves the tensor unchanged is not modelled");
            for (int64_t k = 0; k < rank; ++k)
                a.push_back(k);
        }
        for (auto& v : a)
            if (v < 0)
                v += rank;
        std::sort(a.begin(), a.end());
        if (a.front() < 1 || a.back() >= rank || std::adjacent_find(a.begin(), a.end()) != a.end())
            return fail("it reduces over the batch axis");
        if (rank - 1 > Shape::kMaxRank)
            return fail("its input has more axes than NetCanvas models");
        const bool keepDims = attrInt(n, "keepdims", 1) != 0;
        if (o == "ReduceMean" && rank == 4 && keepDims && a == std::vector<int64_t>{2, 3})
            return single(LayerType::GlobalAvgPool, defaults(LayerType::GlobalAvgPool));
        LayerParams p = defaults(LayerType::Reduce);
        p.reduceOp = static_cast<int64_t>(o == "ReduceMean" ? ReduceOp::Mean : o == "ReduceSum" ? ReduceOp::Sum : ReduceOp::Max);
        p.keepDims = keepDims;
        p.dims = Shape{};
        for (int64_t v : a)
            p.dims.push(v - 1);
        return single(LayerType::Reduce, p);
    }
    if (o == "Erf" || o == "Div" || o == "Sub" || o == "Pow" || o == "Sqrt")
        return fail("not part of a recognised GELU, hard-swish or LayerNorm formula");
    fail("");
}

int PatternMatcher::skippedNodes() const
{
    int n = 0;
    for (int i = 0; i < m_g.nodeCount(); ++i)
        n += !m_g.info(i).constant && !m_live[static_cast<size_t>(i)];
    return n;
}

std::vector<Group> PatternMatcher::run(MatchStats& stats)
{
    m_stats = &stats;
    // Nodes computing only constants never become layers, nor do nodes whose results nothing uses
    // (found backwards from the graph outputs).
    std::vector<char>& live = m_live;
    live.assign(static_cast<size_t>(m_g.nodeCount()), 0);
    const auto& order = m_g.order();
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        int i = *it;
        for (int v : m_g.info(i).outputs) {
            if (v < 0)
                continue;
            bool used = val(v).graphOutput;
            for (int c : val(v).consumers)
                used = used || live[static_cast<size_t>(c)];
            live[static_cast<size_t>(i)] = live[static_cast<size_t>(i)] || used;
        }
    }
    for (int i = 0; i < m_g.nodeCount(); ++i)
        if (m_g.info(i).constant || !live[static_cast<size_t>(i)])
            m_claimed[static_cast<size_t>(i)] = 2;
    matchAttention();
    matchPackedAttention();
    matchSwiGlu(); // before the activation formulas claim its SiLU
    matchPatchEmbed();
    matchLayerNormDecomposed();
    matchRmsNormDecomposed(); // after LayerNorm, whose variance and division look like one
    matchGroupNormDecomposed();
    matchActivationFormulas();
    matchPadConv();
    matchRecurrent();
    matchEmbedding();
    matchLinear();
    for (int i : m_g.order())
        if (free(i))
            mapNode(i);
    tieHeads();
    m_stats = nullptr;
    return std::move(m_groups);
}

} // namespace nc::core::onnx::detail
