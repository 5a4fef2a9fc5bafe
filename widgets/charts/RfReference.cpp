// RfReference: the stacked-3×3 comparison curve.
#include "RfReference.h"

namespace nc::widgets::rfref {

bool countsAsLayer(core::LayerType t, const core::LayerParams& p) {
    using core::LayerType;
    switch (t) {
    case LayerType::Conv2d:
    case LayerType::DepthwiseConv2d:
    case LayerType::MaxPool2d:
    case LayerType::AvgPool2d:
        return p.kh > 1 || p.kw > 1;
    case LayerType::PatchEmbed:
        return p.patch > 1;
    default:
        return false;
    }
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
