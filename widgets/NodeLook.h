// NodeLook: everything a node draws, derived from the Document and the view options in one place, so
// the canvas can compare old and new looks and repaint only the nodes that really changed.
#pragma once

#include "ViewOptions.h"
#include "core/Analysis.h"
#include "core/BlockGroups.h"
#include "core/Network.h"

#include <QColor>
#include <QString>

#include <cstdint>
#include <unordered_map>

namespace nc::widgets {

// Largest figures over the network, so a fill can show a layer's share at a glance (the bottleneck is
// the darkest node). Read from the analysis; nothing is recomputed.
struct CostScale {
    int64_t maxValue = 0; // of the figure the colour mode shows
    int64_t total = 0;

    // `latencyNs` (node id → measured nanoseconds) is only read in CostColour::Latency.
    static CostScale of(const core::AnalysisResult& a, CostColour mode,
                        const std::unordered_map<uint32_t, int64_t>& latencyNs);
};

struct NodeLook {
    enum class State : uint8_t { Ok, Error, Blocked };

    QString name;
    QString detail;    // "Conv2d  3×3 s2 g32"
    QString shapeText; // "64×56×56", or "—" without a valid output
    QString costText;  // the coloured figure, "115.6 M MACs"
    QColor fill;
    QColor accent;    // the layer category's colour
    double share = 0; // of the network total for the coloured figure, 0..1
    int inputs = 0;
    int outputs = 1; // output ports along the bottom edge (one per piece of a Split)
    uint32_t connectedPorts = 0; // bit k: input port k has an edge (ports beyond 32 count as free)
    State state = State::Ok;
    bool overBudget = false;
    int members = 0; // a collapsed block: how many layers it stands for (0: a single layer)

    bool operator==(const NodeLook&) const = default;

    static NodeLook build(const core::Network& net, const core::Node& node, const core::LayerResult* r,
                          CostColour mode, const CostScale& scale, int64_t budgetBytes,
                          uint32_t connectedPorts, int64_t latencyNs = 0);
    // A collapsed block: its name, layer count, the shapes entering and leaving it and its summed
    // figure (core::groupFigures), the fill scaled by the largest block's (`maxValue`).
    static NodeLook buildGroup(const core::BlockGroup& group, const core::GroupFigures& f, CostColour mode,
                               const CostScale& scale, int64_t maxValue, int64_t budgetBytes);
    // Built on demand when the pointer rests on a node (1,000 nodes need not format 1,000 tooltips per
    // edit). For a layer with an error it is the analysis message: what is wrong and what to change.
    static QString toolTip(const core::Node& node, const core::LayerResult* r, CostColour mode,
                           const CostScale& scale, int64_t budgetBytes, int64_t latencyNs = 0);
};

// The figure a colour mode shows for one layer (latency: the measured time handed to the canvas).
int64_t costValue(const core::LayerResult& r, CostColour mode, int64_t latencyNs = 0);
// White at 0, through amber, to a warm red at 1.
QColor heatColour(double t);

} // namespace nc::widgets
