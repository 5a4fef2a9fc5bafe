// ChartData: the per-layer series the charts draw, copied out of one analysis in schedule order.
#pragma once

#include "LayerAxis.h"

#include "core/Analysis.h"
#include "core/Network.h"

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
    std::vector<double> params;          // LayerResult::params
    std::vector<double> modelBytes;      // LayerResult::modelBytes (at the layer's bit width)
    std::vector<double> macs;            // LayerResult::macs
    std::vector<double> liveBytes;       // LayerResult::liveBytes (DAG-aware, includes workspace)
    std::vector<double> workspaceBytes;  // LayerResult::workspaceBytes
    std::vector<double> rfH, rfW;        // LayerResult::rf.size, NaN where the field is not spatial
    std::vector<double> rfReference;     // RfReference::curve
    std::vector<core::LiveBuffer> buffers;
    core::AnalysisTotals totals;
    int peakLiveStep = -1; // step of totals.peakLiveLayer
    int bits = 32;
    int64_t batch = 1;

    static ChartData from(const core::Network& net, const core::AnalysisResult& a);
};

} // namespace nc::widgets
