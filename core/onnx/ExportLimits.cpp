// ExportLimits: refuses, before any weight is written, a design whose ONNX file could not exist —
// protobuf serialises at most 2 GiB, and the exporter writes every weight as float32.
#include "ExportLimits.h"

#include "core/Analysis.h"
#include "core/Format.h"

namespace nc::core::onnx {

Status checkExportSize(const Network& net)
{
    constexpr int64_t kLimit = (int64_t(1) << 31) - 1; // protobuf's largest message
    const AnalysisResult a = analyze(net);
    int64_t total = 0;
    const LayerResult* largest = nullptr;
    for (const LayerResult& l : a.layers) {
        if (l.status != LayerStatus::Ok)
            continue;
        const int64_t values = l.params + l.state;
        if (!largest || values > largest->params + largest->state)
            largest = &l;
        total = values > (kLimit - total) / 4 ? kLimit : total + values * 4;
    }
    if (largest && total >= kLimit) {
        const int64_t values = largest->params + largest->state;
        const std::string& name = net.nodes()[static_cast<size_t>(largest->nodeIndex)].name;
        return Error{"layer \"" + name + "\" holds " + groupDigits(values) + " weights (" +
                     humanBytes(values > INT64_MAX / 4 ? INT64_MAX : values * 4) +
                     " as float32): the design's weights exceed the 2 GiB an ONNX file can hold"};
    }
    return {};
}

} // namespace nc::core::onnx
