// Layout: automatic layered placement for loaded or imported graphs (inputs at the top).
#pragma once

#include "Network.h"

#include <vector>

namespace nc::core {

struct NodePosition {
    NodeId id;
    double x = 0, y = 0;
};

// Rows by longest path from an input; each node prefers the column of the layer feeding its first
// port, so a residual network's main path is one straight column and its shortcut branches step to
// the side. O(V + E) apart from the per-row occupancy sets.
std::vector<NodePosition> layeredLayout(const Network& net);
void applyLayout(Network& net, const std::vector<NodePosition>& pos);

inline constexpr double kLayoutColumn = 240.0;
inline constexpr double kLayoutRow = 110.0;

} // namespace nc::core
