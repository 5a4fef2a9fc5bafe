// Hints (internal to nc_onnx): what ONNX cannot express about a NetCanvas design — bit widths, in-place
// flags, BatchNorm without affine parameters or running statistics, an MLP block's grouping — written
// by the exporter as the model's "netcanvas" metadata entry and read back by the importer. The
// importer applies a hint only after checking it against the graph: a hint never adds a layer, moves
// an edge or changes a figure the ONNX graph determines, so a hostile hint can do no harm.
#pragma once

#include "Patterns.h"

#include "core/Network.h"

#include <string>
#include <vector>

namespace nc::core::onnx::detail {

inline constexpr const char* kHintsKey = "netcanvas";

// JSON for the design's hints (empty object members omitted).
std::string makeHints(const Network& net);

struct NetworkHints {
    std::string name;
    int bits = 0; // 0: not given
};

// Applies per-layer hints to the matched groups; returns the network-wide ones. `perSample` gives
// the per-sample input shape of a group (to check that a type hint keeps the shape).
NetworkHints applyHints(const std::string& json, std::vector<Group>& groups, const PatternMatcher& pm,
                        std::vector<std::string>& notes);

} // namespace nc::core::onnx::detail
