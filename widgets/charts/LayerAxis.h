// LayerAxis: the x axis every per-layer chart shares — one column per scheduled layer.
#pragma once

#include "core/Network.h"

#include <QString>

#include <vector>

namespace nc::widgets {

// Names and identities of the layers in schedule order (column i is the layer at step i). Built once
// per analysis by ChartData and shared, immutable, by all charts through a shared_ptr so an edit costs
// one copy of the names, not one per chart. GUI thread only.
struct LayerAxis {
    std::vector<core::NodeId> ids;
    std::vector<QString> names;
    std::vector<QString> types;    // catalogue label, "Conv2d"
    std::vector<int> bits;         // effective bit width (the layer's override or the network's)
    std::vector<QString> problems; // empty when the layer analysed cleanly, else the core's message

    int size() const { return static_cast<int>(ids.size()); }
    bool contains(int step) const { return step >= 0 && step < size(); }
};

} // namespace nc::widgets
