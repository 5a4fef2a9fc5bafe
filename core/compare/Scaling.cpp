#include "Scaling.h"

#include "core/Analysis.h"
#include "core/BlockGroups.h"
#include "core/DottedName.h"
#include "core/Layout.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace nc::core::compare {

namespace {

using U = size_t;

enum class WidthRole : uint8_t {
    Producer,    // `features` are its output channels: scaled
    Follows,     // takes its width from its input
    Unsupported, // has a width of its own the knob does not scale
};

WidthRole widthRole(LayerType t)
{
    switch (t) {
    case LayerType::Conv2d:
    case LayerType::Conv1d:
    case LayerType::Conv3d:
    case LayerType::ConvTranspose1d:
    case LayerType::ConvTranspose2d:
    case LayerType::Linear:
        return WidthRole::Producer;
    case LayerType::Input:
    case LayerType::DepthwiseConv2d:
    case LayerType::MaxPool2d:
    case LayerType::AvgPool2d:
    case LayerType::GlobalAvgPool:
    case LayerType::AdaptiveAvgPool2d:
    case LayerType::BatchNorm:
    case LayerType::LayerNorm:
    case LayerType::InstanceNorm:
    case LayerType::GroupNorm:
    case LayerType::ReLU:
    case LayerType::ReLU6:
    case LayerType::LeakyReLU:
    case LayerType::Sigmoid:
    case LayerType::Tanh:
    case LayerType::SiLU:
    case LayerType::HardSwish:
    case LayerType::GELU:
    case LayerType::Softmax:
    case LayerType::Add:
    case LayerType::Multiply:
    case LayerType::Concat:
    case LayerType::Flatten:
    case LayerType::Dropout:
    case LayerType::ClassTokenSelect:
    case LayerType::Transpose:
    case LayerType::Reduce:
    case LayerType::Squeeze:
    case LayerType::Unsqueeze:
    case LayerType::RMSNorm:
    case LayerType::GeluTanh:
    case LayerType::HardSigmoid:
    case LayerType::MatMul:
    case LayerType::MaxPool1d:
    case LayerType::AvgPool1d:
    case LayerType::MaxPool3d:
    case LayerType::AvgPool3d:
    case LayerType::GlobalMaxPool:
    case LayerType::Upsample:
    case LayerType::Pad:
        return WidthRole::Follows;
    case LayerType::PatchEmbed:
    case LayerType::MultiHeadAttention:
    case LayerType::Mlp:
    case LayerType::Reshape:
    case LayerType::Opaque:
    case LayerType::Slice:
    case LayerType::Split:
    case LayerType::Embedding:
    case LayerType::SwiGlu:
    case LayerType::CrossAttention:
    case LayerType::LSTM:
    case LayerType::GRU:
        return WidthRole::Unsupported;
    }
    return WidthRole::Unsupported;
}

std::string factorText(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

Status checkFactor(const char* what, double v)
{
    if (!std::isfinite(v) || v <= 0 || v > 64)
        return Error{std::string(what) + " multiplier " + factorText(v) + " is outside (0, 64]"};
    return {};
}

// Consumers per node index, from the edges.
std::vector<std::vector<int>> consumersOf(const Network& net)
{
    std::vector<std::vector<int>> out(net.nodes().size());
    for (const Edge& e : net.edges()) {
        int from = net.nodeIndex(e.from), to = net.nodeIndex(e.to);
        if (from >= 0 && to >= 0)
            out[U(from)].push_back(to);
    }
    return out;
}

Status analysable(const Network& net, const AnalysisResult& a)
{
    if (a.totals.errors == 0 && a.totals.blocked == 0)
        return {};
    for (const LayerResult& l : a.layers)
        if (l.status == LayerStatus::Error)
            return Error{"the design has errors; first: " + l.message};
    return Error{"design \"" + net.name + "\" has layers the analysis cannot reach (a cycle?)"};
}

} // namespace

int64_t makeDivisible(double v, int64_t d)
{
    // _make_divisible(v, d): new_v = max(d, int(v + d/2) // d * d); if new_v < 0.9·v: new_v += d.
    int64_t nv = std::max<int64_t>(d, static_cast<int64_t>(v + double(d) / 2) / d * d);
    if (double(nv) < 0.9 * v)
        nv += d;
    return nv;
}

Result<Network> scaleWidth(const Network& net, double multiplier, int64_t divisor)
{
    if (Status s = checkFactor("width", multiplier); !s)
        return Error{s.error()};
    if (divisor < 1 || divisor > 4096)
        return Error{"width divisor " + std::to_string(divisor) + " is outside 1 … 4096"};
    for (const Node& n : net.nodes()) {
        if (widthRole(n.type) == WidthRole::Unsupported)
            return Error{"layer \"" + n.name + "\" (" + std::string(layerTypeLabel(n.type)) +
                         ") has a width of its own the width multiplier does not scale; it applies to "
                         "convolution and linear designs"};
        if (n.type == LayerType::Linear && n.params.tied)
            return Error{"layer \"" + n.name +
                         "\" shares an embedding's table; the width multiplier does not scale tied weights"};
    }
    AnalysisResult a = analyze(net);
    if (Status s = analysable(net, a); !s)
        return Error{s.error()};

    // A producer keeps its width when no producer lies downstream of it: it is the last one on every
    // path to an output (the classifier), so the class count survives. Reverse schedule order sees
    // every consumer before its producer.
    const auto consumers = consumersOf(net);
    std::vector<char> producerBelow(net.nodes().size(), 0);
    for (auto it = a.layers.rbegin(); it != a.layers.rend(); ++it) {
        const U i = U(it->nodeIndex);
        for (int c : consumers[i])
            if (producerBelow[U(c)] || widthRole(net.nodes()[U(c)].type) == WidthRole::Producer)
                producerBelow[i] = 1;
    }

    Network out = net;
    out.name = net.name + " (width ×" + factorText(multiplier) + ")";
    for (U i = 0; i < net.nodes().size(); ++i) {
        const Node& n = net.nodes()[i];
        if (widthRole(n.type) != WidthRole::Producer || !producerBelow[i])
            continue;
        Node* m = out.node(n.id);
        const int64_t c = n.params.features;
        const int64_t g = n.params.groups;
        if (g > 1 && g == c) {
            // A depthwise convolution written as Conv2d with groups = channels: both scale together.
            m->params.features = m->params.groups = makeDivisible(double(c) * multiplier, divisor);
        } else {
            // Channels of a grouped convolution must stay a multiple of its groups.
            const int64_t d = g > 1 ? std::lcm(divisor, g) : divisor;
            m->params.features = makeDivisible(double(c) * multiplier, d);
        }
    }
    AnalysisResult b = analyze(out);
    if (Status s = analysable(out, b); !s)
        return Error{"width ×" + factorText(multiplier) + ": " + s.error()};
    return out;
}

namespace {

struct Block {
    std::string name;   // "layer1.1"
    std::string prefix; // "layer1" (with the separator kept apart)
    char separator = '.';
    long index = -1; // 1
    std::vector<NodeId> members;
    std::unordered_set<uint32_t> set;
    NodeId src; // the one tensor entering the block from outside
    int srcPort = 0;
    NodeId out;             // the one member whose output leaves the block
    bool chainable = false; // one input, one output, output shape = input shape
};

// "layer1.1" -> prefix "layer1", separator '.', index 1; false when the name does not end in a number.
bool splitIndex(const std::string& name, std::string& prefix, char& sep, long& index)
{
    size_t k = name.size();
    while (k > 0 && name[k - 1] >= '0' && name[k - 1] <= '9')
        --k;
    if (k == name.size() || k < 2 || !isNameSeparator(name[k - 1]) || name.size() - k > 9)
        return false;
    prefix = name.substr(0, k - 1);
    sep = name[k - 1];
    index = std::stol(name.substr(k));
    return true;
}

Block describe(const Network& net, const AnalysisResult& a, const BlockGroup& g)
{
    Block b;
    b.name = g.name;
    b.members = g.members;
    for (NodeId id : g.members)
        b.set.insert(id.v);
    if (!splitIndex(g.name, b.prefix, b.separator, b.index))
        return b;
    std::set<std::pair<uint32_t, int>> sources;
    std::vector<NodeId> outs;
    bool otherPortLeaves = false; // a Split piece leaving the block: not a single-output block
    for (NodeId id : g.members) {
        bool leaves = false, consumed = false;
        for (EdgeId eid : net.edgesOf(id)) {
            const Edge* e = net.edge(eid);
            if (e->to == id && !b.set.count(e->from.v))
                sources.insert({e->from.v, e->fromPort});
            if (e->from == id) {
                consumed = true;
                if (!b.set.count(e->to.v)) {
                    leaves = true;
                    otherPortLeaves = otherPortLeaves || e->fromPort != 0;
                }
            }
        }
        if (leaves || !consumed)
            outs.push_back(id);
    }
    if (sources.size() != 1 || outs.size() != 1 || otherPortLeaves)
        return b;
    b.src = NodeId{sources.begin()->first};
    b.srcPort = sources.begin()->second;
    b.out = outs[0];
    const LayerResult* in = a.layer(b.src, net);
    const LayerResult* o = a.layer(b.out, net);
    if (!in || !o)
        return b;
    const Shape& inShape =
        b.srcPort == 0 ? in->output
                       : in->extraOutputs[U(std::min<int>(b.srcPort - 1, int(in->extraOutputs.size()) - 1))];
    b.chainable = inShape == o->output;
    return b;
}

// Copies `t` after the block ending at `last`, named `name`, chained: the copy reads `last`'s output
// and whatever read `last`'s output from outside the copy now reads the copy's output.
Result<NodeId> appendCopy(Network& net, const Block& t, NodeId last, const std::string& name)
{
    std::vector<Edge> readers;
    for (EdgeId eid : net.edgesOf(last)) {
        const Edge* e = net.edge(eid);
        if (e->from == last && e->fromPort == 0)
            readers.push_back(*e);
    }
    int at = 0;
    for (NodeId id : t.members)
        at = std::max(at, net.nodeIndex(id));
    at = std::max(at, net.nodeIndex(last)) + 1;
    std::unordered_map<uint32_t, NodeId> copyOf;
    for (NodeId id : t.members) {
        Node n = *net.node(id);
        n.id = NodeId{};
        std::string rest = n.name.substr(std::min(n.name.size(), t.name.size()));
        n.name = net.findByName(name + rest).valid() ? net.uniqueName(name + rest) : name + rest;
        auto added = net.insertNode(std::move(n), at++);
        if (!added)
            return Error{added.error()};
        copyOf[id.v] = *added;
    }
    std::vector<Edge> inner;
    for (const Edge& e : net.edges())
        if (t.set.count(e.to.v) && (t.set.count(e.from.v) || (e.from == t.src && e.fromPort == t.srcPort)))
            inner.push_back(e);
    for (const Edge& e : inner) {
        Edge c = e;
        c.id = EdgeId{};
        c.to = copyOf[e.to.v];
        if (t.set.count(e.from.v)) {
            c.from = copyOf[e.from.v];
        } else {
            c.from = last;
            c.fromPort = 0;
        }
        if (auto r = net.addEdgeUnchecked(c); !r)
            return Error{r.error()};
    }
    const NodeId copyOut = copyOf[t.out.v];
    for (const Edge& e : readers) {
        net.removeEdge(e.id);
        Edge c = e;
        c.from = copyOut;
        if (auto r = net.addEdgeUnchecked(c); !r)
            return Error{r.error()};
    }
    return copyOut;
}

// Removes block `b`; whatever read its output reads its input instead.
Status removeBlock(Network& net, const Block& b)
{
    std::vector<Edge> readers;
    for (EdgeId eid : net.edgesOf(b.out)) {
        const Edge* e = net.edge(eid);
        if (e->from == b.out && !b.set.count(e->to.v))
            readers.push_back(*e);
    }
    for (NodeId id : b.members) {
        for (EdgeId eid : net.edgesOf(id))
            net.removeEdge(eid);
        net.removeNode(id);
    }
    for (const Edge& e : readers) {
        Edge c = e;
        c.from = b.src;
        c.fromPort = b.srcPort;
        if (auto r = net.addEdgeUnchecked(c); !r)
            return Error{r.error()};
    }
    return {};
}

} // namespace

Result<Network> scaleDepth(const Network& net, double multiplier)
{
    if (Status s = checkFactor("depth", multiplier); !s)
        return Error{s.error()};
    AnalysisResult a = analyze(net);
    if (Status s = analysable(net, a); !s)
        return Error{s.error()};

    std::vector<Block> blocks;
    for (const BlockGroup& g : inferBlockGroups(net))
        blocks.push_back(describe(net, a, g));

    // Stages: a block joins the stage before it when it shares its prefix, keeps its shape and reads
    // the previous block's output; anything else starts a stage.
    std::vector<std::vector<size_t>> stages;
    for (size_t i = 0; i < blocks.size(); ++i) {
        const Block& b = blocks[i];
        if (b.src.valid() && !stages.empty()) {
            const Block& prev = blocks[stages.back().back()];
            if (prev.out.valid() && b.chainable && b.prefix == prev.prefix && b.src == prev.out &&
                b.srcPort == 0) {
                stages.back().push_back(i);
                continue;
            }
        }
        if (b.src.valid())
            stages.push_back({i});
    }
    if (stages.empty())
        return Error{"design \"" + net.name +
                     "\" has no blocks to repeat: depth scaling needs layers named by "
                     "block (\"layer1.0.conv1\", \"features.3.conv\")"};

    // Next free index per prefix, so copies never take an existing block's name.
    std::unordered_map<std::string, long> nextIndex;
    for (const Block& b : blocks)
        if (b.index >= 0)
            nextIndex[b.prefix] = std::max(nextIndex[b.prefix], b.index + 1);

    Network out = net;
    out.name = net.name + " (depth ×" + factorText(multiplier) + ")";
    for (const auto& stage : stages) {
        const long n = long(stage.size());
        // EfficientNet's round_repeats: ⌈n·d⌉. The small epsilon keeps 3 × (2/3) at 2, not 3.
        const long target = std::max(1L, long(std::ceil(double(n) * multiplier - 1e-9)));
        if (target > n) {
            const Block& t = blocks[stage.back()];
            if (!t.chainable)
                continue; // a single shape-changing block has no repeatable form
            NodeId last = t.out;
            for (long k = n; k < target; ++k) {
                long idx = t.prefix.empty() ? 0 : nextIndex[t.prefix]++;
                std::string name = t.prefix + t.separator + std::to_string(idx);
                auto copy = appendCopy(out, t, last, name);
                if (!copy)
                    return Error{"depth ×" + factorText(multiplier) + ": block \"" + t.name +
                                 "\": " + copy.error()};
                last = *copy;
            }
        } else {
            for (long k = n - 1; k >= target; --k) {
                const Block& b = blocks[stage[U(k)]];
                if (!b.chainable)
                    break;
                if (Status s = removeBlock(out, b); !s)
                    return Error{"depth ×" + factorText(multiplier) + ": block \"" + b.name +
                                 "\": " + s.error()};
            }
        }
    }
    applyLayout(out, layeredLayout(out));
    AnalysisResult b = analyze(out);
    if (Status s = analysable(out, b); !s)
        return Error{"depth ×" + factorText(multiplier) + ": " + s.error()};
    return out;
}

Result<Network> scaleResolution(const Network& net, double multiplier)
{
    if (Status s = checkFactor("resolution", multiplier); !s)
        return Error{s.error()};
    Network out = net;
    out.name = net.name + " (resolution ×" + factorText(multiplier) + ")";
    int images = 0;
    for (const Node& n : net.nodes()) {
        if (n.type != LayerType::Input)
            continue;
        const int r = n.params.dims.rank();
        if (r != 3 && r != 4)
            continue;
        Shape& d = out.node(n.id)->params.dims;
        for (int axis = r - 2; axis < r; ++axis)
            d[axis] = std::max<int64_t>(1, std::llround(double(d[axis]) * multiplier));
        ++images;
    }
    if (!images)
        return Error{"design \"" + net.name +
                     "\" has no image input (C×H×W or C×D×H×W) whose resolution could scale"};
    AnalysisResult b = analyze(out);
    if (Status s = analysable(out, b); !s)
        return Error{"resolution ×" + factorText(multiplier) + ": " + s.error()};
    return out;
}

Result<Network> compoundScale(const Network& net, double phi, int64_t divisor, const CompoundCoefficients& k)
{
    if (!std::isfinite(phi) || phi < -8 || phi > 8)
        return Error{"compound coefficient φ = " + factorText(phi) + " is outside −8 … 8"};
    const double d = std::pow(k.alpha, phi), w = std::pow(k.beta, phi), r = std::pow(k.gamma, phi);
    auto wide = scaleWidth(net, w, divisor);
    if (!wide)
        return wide;
    auto deep = scaleDepth(*wide, d);
    if (!deep)
        return deep;
    auto out = scaleResolution(*deep, r);
    if (!out)
        return out;
    out->name = net.name + " (compound φ = " + factorText(phi) + ")";
    return out;
}

} // namespace nc::core::compare
