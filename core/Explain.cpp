// Explain: formula lines for the inspector, written by each layer kind's explain facet
// (core/layers/), with every final value read from the analysis.
#include "Explain.h"

#include "layers/ExplainWriter.h"
#include "layers/LayerKind.h"

namespace nc::core {

namespace {

const ReceptiveField* inputField(const Network& net, const AnalysisResult& a, NodeId id)
{
    const Edge* e = net.edgeInto(id, 0);
    if (!e)
        return nullptr;
    const LayerResult* src = a.layer(e->from, net);
    return src && src->status == LayerStatus::Ok && src->rf.valid ? &src->rf : nullptr;
}

} // namespace

std::vector<ExplainLine> explainLayer(const Network& net, const AnalysisResult& a, NodeId id)
{
    const int idx = net.nodeIndex(id);
    const LayerResult* rp = a.layerAtNode(idx);
    if (!rp || rp->status != LayerStatus::Ok)
        return {};
    const Node& node = net.nodes()[static_cast<size_t>(idx)];
    ExplainWriter w(node, *rp, a.inputsOf(*rp), a.batch, inputField(net, a, node.id));
    const LayerKind& kind = layerKind(node.type);
    kind.explain(w);
    return w.finish(kind.view);
}

std::string hyperSummary(const Node& node, int networkBits)
{
    const LayerParams& p = node.params;
    std::string s = layerKind(node.type).summary(p);
    if (p.bits != 0 && p.bits != networkBits) {
        std::string label = std::to_string(p.bits) + "-bit";
        if (const AttrSpec* bits = layerKind(node.type).spec.attr("bits"))
            for (const auto& [value, name] : bits->choices)
                if (value == p.bits)
                    label = std::string(name);
        s += (s.empty() ? "" : " ") + label;
    }
    return s;
}

} // namespace nc::core
