// ChartData: the per-layer series the charts draw, copied out of one analysis in schedule order.
#pragma once

#include "LayerAxis.h"

#include "core/Analysis.h"
#include "core/Network.h"
#include "core/deploy/DeployView.h"

#include <memory>
#include <vector>

namespace nc::widgets {

// Plain values only: every number is a LayerResult field or an AnalysisTotals figure copied as is,
// never derived here (the one exception is the receptive-field reference curve, a textbook line, see
// RfReference.h). Charts take these vectors, so tests, the benchmark or a future measured-latency
// run can feed them without a Document. Layers whose analysis failed contribute 0 (NaN for the
// receptive field, which the chart draws as a gap) and their message in axis->problems.
struct ChartData {
    std::shared_ptr<const LayerAxis> axis;
    std::vector<double> activationBytes; // LayerResult::activationBytes
    std::vector<double> params;          // LayerResult::params; deployed: LayerDeploy::params
    std::vector<double> modelBytes;      // LayerResult::modelBytes (at the layer's bit width); deployed: of those
    std::vector<double> macs;            // LayerResult::macs
    std::vector<double> liveBytes;       // LayerResult::liveBytes (DAG-aware, includes workspace)
    std::vector<double> workspaceBytes;  // LayerResult::workspaceBytes
    std::vector<double> rfH, rfW;        // LayerResult::rf.size, NaN where the field is not spatial
    std::vector<double> rfReference;     // RfReference::curve
    std::vector<core::LiveBuffer> buffers;
    core::AnalysisTotals totals;
    int peakLiveStep = -1; // step of totals.peakLiveLayer
    int64_t peakLiveBytes = 0;

    // The memory timeline's own axis and series. In the training view they are the analysis' (the
    // axis above, LayerResult::liveBytes, AnalysisResult::buffers); in the deployment view they are
    // the deployment schedule's steps — ops only, in the chosen order — and DeployFigures' series.
    // liveBytes, workspaceBytes, buffers and peakLiveStep above then belong to this axis.
    std::shared_ptr<const LayerAxis> timelineAxis;
    std::vector<int> timelineStepOfNode; // by node index; -1: not a step of its own nor hosted
    bool deployment = false;             // the series above come from the deployment view
    int64_t activationTotal = 0;         // sum of activationBytes: totals.activationBytes, or deployed
    int64_t paramsTotal = 0;             // totals.params, or MemoryGraph::params (after folding)
    int64_t modelBytesTotal = 0;         // totals.modelBytes, or the sum of the deployed modelBytes

    static ChartData from(const core::Network& net, const core::AnalysisResult& a);
    // In the deployment view (f.deploy and f.ok()) the timeline and the activation memory follow the
    // deployment: activationBytes[i] is DeployFigures::allocatedBytes of the layer (0 when folded,
    // fused, in place or a view). So do the parameters: a folded BatchNorm has none and the layer it
    // folded into holds them (its weights plus the bias it gains); modelBytes are those at the layer's
    // bit width. Otherwise the same as from(net, a).
    static ChartData from(const core::Network& net, const core::AnalysisResult& a,
                          const core::deploy::DeployFigures& f);
    int bits = 32;
    int64_t batch = 1;

};

} // namespace nc::widgets
