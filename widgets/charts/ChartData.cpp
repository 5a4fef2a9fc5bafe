// ChartData: copying one analysis into plain per-layer vectors.
#include "ChartData.h"

#include "RfReference.h"

#include <limits>

namespace nc::widgets {

ChartData ChartData::from(const core::Network& net, const core::AnalysisResult& a) {
    ChartData d;
    auto axis = std::make_shared<LayerAxis>();
    const size_t n = a.layers.size();
    axis->ids.reserve(n);
    axis->names.reserve(n);
    axis->types.reserve(n);
    axis->bits.reserve(n);
    axis->problems.reserve(n);
    for (auto* v : {&d.activationBytes, &d.params, &d.modelBytes, &d.macs, &d.liveBytes, &d.workspaceBytes,
                    &d.rfH, &d.rfW})
        v->reserve(n);

    constexpr double kNoField = std::numeric_limits<double>::quiet_NaN();
    for (const core::LayerResult& l : a.layers) {
        const core::Node& node = net.nodes()[static_cast<size_t>(l.nodeIndex)];
        axis->ids.push_back(l.id);
        axis->names.push_back(QString::fromStdString(node.name));
        axis->types.push_back(QString::fromUtf8(core::layerTypeLabel(l.type)));
        axis->bits.push_back(l.bits);
        axis->problems.push_back(l.status == core::LayerStatus::Ok ? QString()
                                                                   : QString::fromStdString(l.message));
        // Failed layers keep their zero-initialised figures; see LayerResult.
        d.activationBytes.push_back(static_cast<double>(l.activationBytes));
        d.params.push_back(static_cast<double>(l.params));
        d.modelBytes.push_back(static_cast<double>(l.modelBytes));
        d.macs.push_back(static_cast<double>(l.macs));
        d.liveBytes.push_back(static_cast<double>(l.liveBytes));
        d.workspaceBytes.push_back(static_cast<double>(l.workspaceBytes));
        const bool field = l.status == core::LayerStatus::Ok && l.rf.valid;
        d.rfH.push_back(field ? static_cast<double>(l.rf.size[0]) : kNoField);
        d.rfW.push_back(field ? static_cast<double>(l.rf.size[1]) : kNoField);
    }
    d.rfReference = rfref::curve(net, a);
    d.buffers = a.buffers;
    d.totals = a.totals;
    if (const core::LayerResult* peak = a.layer(a.totals.peakLiveLayer, net))
        d.peakLiveStep = peak->step;
    d.peakLiveBytes = a.totals.peakLiveBytes;
    d.bits = a.bits;
    d.batch = a.batch;
    d.axis = std::move(axis);
    d.timelineAxis = d.axis;
    d.timelineStepOfNode.assign(a.byNode.size(), -1);
    for (const core::LayerResult& l : a.layers)
        if (l.nodeIndex >= 0 && static_cast<size_t>(l.nodeIndex) < d.timelineStepOfNode.size())
            d.timelineStepOfNode[static_cast<size_t>(l.nodeIndex)] = l.step;
    d.activationTotal = a.totals.activationBytes;
    d.paramsTotal = a.totals.params;
    d.modelBytesTotal = a.totals.modelBytes;
    return d;
}

ChartData ChartData::from(const core::Network& net, const core::AnalysisResult& a,
                          const core::deploy::DeployFigures& f) {
    ChartData d = from(net, a);
    if (!f.deploy || !f.ok())
        return d;
    d.deployment = true;
    const core::deploy::Timeline& t = f.schedule.timeline;
    auto axis = std::make_shared<LayerAxis>();
    for (int node : f.stepNode) {
        const core::Node& n = net.nodes()[static_cast<size_t>(node)];
        const core::LayerResult* l = a.layerAtNode(node);
        axis->ids.push_back(n.id);
        axis->names.push_back(QString::fromStdString(n.name));
        axis->types.push_back(QString::fromUtf8(core::layerTypeLabel(n.type)));
        axis->bits.push_back(l ? l->bits : a.bits);
        axis->problems.push_back(QString()); // a deployment exists only for a network without errors
    }
    d.timelineAxis = std::move(axis);
    d.liveBytes.assign(t.liveBytes.begin(), t.liveBytes.end());
    d.workspaceBytes.assign(f.scratchBytes.begin(), f.scratchBytes.end());
    d.buffers = f.buffers;
    d.peakLiveStep = t.peakStep;
    d.peakLiveBytes = t.peakBytes;
    d.timelineStepOfNode = f.stepOfNode;
    d.activationTotal = f.allocatedTotal;
    d.paramsTotal = f.graph.params;
    d.modelBytesTotal = f.modelBytesTotal;
    for (size_t step = 0; step < a.layers.size(); ++step) {
        const int node = a.layers[step].nodeIndex;
        const bool known = node >= 0 && static_cast<size_t>(node) < f.allocatedBytes.size() &&
                           static_cast<size_t>(node) < f.graph.layers.size();
        d.activationBytes[step] = known ? static_cast<double>(f.allocatedBytes[static_cast<size_t>(node)]) : 0.0;
        d.params[step] = known ? static_cast<double>(f.graph.layers[static_cast<size_t>(node)].params) : 0.0;
        d.modelBytes[step] = known ? static_cast<double>(f.modelBytes[static_cast<size_t>(node)]) : 0.0;
    }
    return d;
}

} // namespace nc::widgets
