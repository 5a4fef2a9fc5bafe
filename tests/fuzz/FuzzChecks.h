// FuzzChecks: what every fuzz target asserts about a design it managed to load — the analysis'
// invariants. A violation aborts, so libFuzzer records the input.
#pragma once

#include "core/Analysis.h"

#include <cstdio>
#include <cstdlib>

namespace ncfuzz {

inline void require(bool ok, const char* what, const nc::core::LayerResult* l = nullptr)
{
    if (ok)
        return;
    std::fprintf(stderr, "invariant broken: %s%s%s\n", what, l ? " at layer index " : "",
                 l ? std::to_string(l->nodeIndex).c_str() : "");
    std::abort();
}

inline void checkAnalysis(const nc::core::AnalysisResult& a)
{
    int64_t largest = 0;
    for (const nc::core::LayerResult& l : a.layers) {
        if (l.status != nc::core::LayerStatus::Ok)
            continue;
        require(l.params >= 0 && l.state >= 0 && l.macs >= 0 && l.flops >= 0 && l.otherOps >= 0, "negative count", &l);
        require(l.outputElements >= 0 && l.activationBytes >= 0 && l.liveBytes >= 0, "negative size", &l);
        if (l.rf.valid)
            for (int k = 0; k < 2; ++k)
                require(l.rf.size[k] >= 1 && l.rf.jump[k] >= 1, "receptive field or jump below 1", &l);
        largest = std::max(largest, l.activationBytes);
    }
    if (a.totals.errors == 0)
        require(a.totals.peakLiveBytes >= largest, "peak live memory below the largest tensor");
}

} // namespace ncfuzz
