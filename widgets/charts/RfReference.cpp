// RfReference: the stacked-3×3 comparison curve.
#include "RfReference.h"

#include "core/layers/LayerKind.h"

namespace nc::widgets::rfref {

bool countsAsLayer(core::LayerType t, const core::LayerParams& p) {
    const auto area = core::layerKind(t).windowArea;
    return area && area(p) > 1;
}

std::vector<double> curve(const core::Network& net, const core::AnalysisResult& a) {
    std::vector<double> out;
    out.reserve(a.layers.size());
    int64_t counted = 0;
    for (const core::LayerResult& l : a.layers) {
        const core::Node& n = net.nodes()[static_cast<size_t>(l.nodeIndex)];
        if (countsAsLayer(n.type, n.params))
            ++counted;
        out.push_back(static_cast<double>(stackedConv(counted)));
    }
    return out;
}

} // namespace nc::widgets::rfref
