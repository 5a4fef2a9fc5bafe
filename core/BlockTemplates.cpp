// BlockTemplates: several existing layers inserted as one edit.
#include "BlockTemplates.h"

#include "Layout.h"

#include <array>
#include <string>

namespace nc::core {

namespace {

const std::array<BlockTemplate, 1> kTemplates{{
    {"Transformer decoder block (pre-norm)", Category::Attention,
     "GPT-2 style: LayerNorm, causal attention, residual Add, LayerNorm, MLP(4·D), residual Add"},
}};

// The first "block<k>" prefix no layer name uses yet, so a second block gets its own group.
std::string freePrefix(const Network& net)
{
    for (int k = 0;; ++k) {
        const std::string p = "block" + std::to_string(k);
        bool used = false;
        for (const Node& n : net.nodes())
            if (n.name == p || n.name.rfind(p + ".", 0) == 0)
                used = true;
        if (!used)
            return p;
    }
}

} // namespace

std::span<const BlockTemplate> blockTemplates() { return kTemplates; }

Result<std::unique_ptr<AddNodesCommand>> blockTemplateCommand(int index, const Network& net, NodeId after,
                                                              const Shape& in, double x, double y)
{
    if (index < 0 || index >= static_cast<int>(kTemplates.size()))
        return Error{"no block template " + std::to_string(index)};
    const std::string label(kTemplates[static_cast<std::size_t>(index)].label);
    const Node* above = net.node(after);
    if (!above)
        return Error{label + ": select the layer to insert it after"};
    if (in.rank() != 2)
        return Error{label + " after '" + above->name + "': needs a T×D token sequence, got " + in.toString()};
    const int64_t d = in.back();
    // Heads: the largest of GPT-2's 12 and the powers of two below it that divides D, so the block
    // is valid as inserted (D = 768 → 12, D = 64 → 8, odd D → 1); the user edits it in the inspector.
    int64_t heads = 1;
    for (int64_t h : {12, 8, 4, 2, 1})
        if (d % h == 0) {
            heads = h;
            break;
        }

    const Catalogue& cat = Catalogue::instance();
    const std::string prefix = freePrefix(net);
    std::vector<Node> nodes;
    uint32_t next = net.newNodeId().v;
    auto add = [&](LayerType t, const char* suffix, auto&& tweak) {
        Node n;
        n.id = NodeId{next++};
        n.type = t;
        n.name = prefix + "." + suffix;
        n.params = cat.spec(t).defaults;
        tweak(n.params);
        n.x = x;
        n.y = y + kLayoutRow * static_cast<double>(nodes.size());
        nodes.push_back(n);
        return n.id;
    };
    auto none = [](LayerParams&) {};
    const NodeId ln1 = add(LayerType::LayerNorm, "ln_1", none);
    const NodeId attn = add(LayerType::MultiHeadAttention, "attn", [&](LayerParams& p) {
        p.heads = heads;
        p.kvHeads = 0;
        p.causal = 1;
    });
    const NodeId add1 = add(LayerType::Add, "add_1", [](LayerParams& p) { p.inputs = 2; });
    const NodeId ln2 = add(LayerType::LayerNorm, "ln_2", none);
    const NodeId mlp = add(LayerType::Mlp, "mlp", [&](LayerParams& p) {
        p.hidden = 4 * d;
        p.features = 0;
    });
    const NodeId add2 = add(LayerType::Add, "add_2", [](LayerParams& p) { p.inputs = 2; });
    std::vector<Edge> edges{
        Edge{{}, after, ln1, 0}, Edge{{}, ln1, attn, 0},  Edge{{}, attn, add1, 0}, Edge{{}, after, add1, 1},
        Edge{{}, add1, ln2, 0},  Edge{{}, ln2, mlp, 0},   Edge{{}, mlp, add2, 0},  Edge{{}, add1, add2, 1},
    };
    return AddNodesCommand::make(net, std::move(nodes), std::move(edges), "Add " + label);
}

} // namespace nc::core
