// BlockGroups: the blocks of a network, inferred from its layer names, for the canvas' collapsed
// overview — a ResNet-50 read as its 16 bottlenecks, a ViT as its 12 encoder blocks.
//
//   auto groups = core::inferBlockGroups(net);           // "layer1.0", "layer1.1", …
//   auto f = core::groupFigures(net, analysis, groups[0]); // summed params/MACs, in/out shapes
//   auto pos = core::collapsedLayout(net, groups);        // one position per visible item
#pragma once

#include "Analysis.h"
#include "Layout.h"
#include "Network.h"

#include <string>
#include <vector>

namespace nc::core {

struct BlockGroup {
    std::string name;            // "layer1.0": the name prefix the members share
    std::vector<NodeId> members; // in network order; the first stands for the group in layouts
    bool user = false;           // made by the user (Network::groups), not inferred from names
};

// A layer's block is the prefix of its name up to and including the first purely numeric
// component that is not the last ("layer1.0.conv1" → "layer1.0", "features.3.dw" → "features.3",
// "/encoder/layer.0/attn/MatMul" → "/encoder/layer.0"); a name without one belongs to its parent
// ("block0.attn" → "block0"); a name of one component ("conv1_bn") to none. Blocks of fewer than
// two layers are dropped. Groups come in the order of their first member.
std::string blockOf(const std::string& layerName);
std::vector<BlockGroup> inferBlockGroups(const Network& net);

// Every group the canvas offers to collapse: the user's groups (Network::groups, live members only,
// in network order) and the blocks inferred from the names of the layers in no user group — a user
// group takes its layers out of their inferred block. Groups come in the order of their first member.
std::vector<BlockGroup> designGroups(const Network& net);

// What a collapsed group shows: the members' figures summed (core::sumLayers), the shapes that
// enter it from outside (in port order of the receiving members) and the shapes that leave it.
struct GroupFigures {
    LayerSums sums;
    int errors = 0;
    int64_t peakLiveBytes = 0; // the largest live memory at any member's step
    std::vector<Shape> inputs;
    std::vector<Shape> outputs;
};
GroupFigures groupFigures(const Network& net, const AnalysisResult& a, const BlockGroup& group);

// Positions for an overview in which each group of `collapsed` is one node, placed under the id of
// its first member, and every other layer is a node of its own: core::layeredLayout over the graph
// with each group contracted to a point (edges inside a group dropped, parallel edges merged). A
// chain of rows much taller than `aspect` (the view's width / height) is cut into side-by-side
// bands of rows, read top to bottom then left to right, so a whole ResNet-50 fits one screen at a
// zoom where its block names are readable.
std::vector<NodePosition> collapsedLayout(const Network& net, const std::vector<BlockGroup>& collapsed,
                                          double aspect = 1.6);

} // namespace nc::core
