// EdgeRouter: the path a connection takes on the canvas, kept off the layers it does not join.
//
// An edge leaves the bottom of its source and enters the top of its target. When the plain S-curve
// between them would pass over another layer — which reads as a wrong connection (relu1 → add1 drawn
// through flatten1) — it is routed orthogonally instead: down into the gap below the source, across
// to a vertical lane clear of every layer, along the lane, across into the gap above the target and
// down into its port, with rounded corners. The lane is the shortest clear one among the sides of the
// layers in the way; with none clear, the one crossing the fewest layers.
// Pure geometry on scene coordinates; used by GraphScene in the GUI thread.
#pragma once

#include <QPainterPath>
#include <QPointF>
#include <QRectF>

#include <vector>

namespace nc::widgets {

struct EdgeObstacles {
    std::vector<QRectF> others; // layers the edge does not join
    QRectF source, target;      // its own ends: the path may touch them only at their ports
};

// The drawn path from the output port `from` to the input port `to`.
QPainterPath routeEdge(QPointF from, QPointF to, const EdgeObstacles& obstacles);

} // namespace nc::widgets
