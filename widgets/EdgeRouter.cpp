// EdgeRouter: S-curve when clear, otherwise an orthogonal detour along the best free lane.
#include "EdgeRouter.h"

#include <QLineF>
#include <QPolygonF>

#include <algorithm>
#include <cmath>
#include <limits>

namespace nc::widgets {

namespace {

// How far a path keeps from a layer's bounding rect, and how far a lane sits beside one. Layers laid
// out by core::layeredLayout leave 20 units between the bounding rects of neighbouring columns and 26
// between rows, so a lane at 10 runs down the middle of a column gap and the stubs at ±23 from the
// ports through the middle of a row gap.
constexpr qreal kMargin = 3;
constexpr qreal kLaneOffset = 10;
constexpr qreal kStub = 23;
constexpr qreal kCorner = 8;

bool segmentHits(QPointF a, QPointF b, const QRectF& r)
{
    if (r.contains(a) || r.contains(b))
        return true;
    const QLineF s(a, b);
    const QPointF c[4] = {r.topLeft(), r.topRight(), r.bottomRight(), r.bottomLeft()};
    for (int i = 0; i < 4; ++i)
        if (s.intersects(QLineF(c[i], c[(i + 1) % 4]), nullptr) == QLineF::BoundedIntersection)
            return true;
    return false;
}

// Layers a flattened path crosses; `withEnds` also counts its own source and target.
int crossings(const QPainterPath& path, QPointF from, QPointF to, const EdgeObstacles& o, bool withEnds)
{
    int n = 0;
    const QList<QPolygonF> polys = path.toSubpathPolygons();
    auto hits = [&](const QRectF& r) {
        for (const QPolygonF& poly : polys)
            for (qsizetype i = 0; i + 1 < poly.size(); ++i)
                if (segmentHits(poly[i], poly[i + 1], r))
                    return true;
        return false;
    };
    for (const QRectF& r : o.others)
        n += hits(r.adjusted(-kMargin, -kMargin, kMargin, kMargin));
    if (withEnds) {
        // Its own ends count only above the output port and below the input port: the stubs into
        // the ports are meant to be there.
        QRectF s = o.source.adjusted(-kMargin, -kMargin, kMargin, 0);
        s.setBottom(from.y() - 1);
        QRectF t = o.target.adjusted(-kMargin, 0, kMargin, kMargin);
        t.setTop(to.y() + 1);
        n += hits(s) + hits(t);
    }
    return n;
}

QPainterPath sCurve(QPointF from, QPointF to)
{
    QPainterPath path(from);
    const qreal k = std::max<qreal>(30, std::abs(to.y() - from.y()) / 2);
    path.cubicTo(from + QPointF(0, k), to - QPointF(0, k), to);
    return path;
}

// A polyline with its inner corners rounded.
QPainterPath rounded(const std::vector<QPointF>& pts)
{
    std::vector<QPointF> p;
    for (const QPointF& x : pts)
        if (p.empty() || QLineF(p.back(), x).length() > 0.01)
            p.push_back(x);
    QPainterPath path(p.front());
    for (size_t i = 1; i + 1 < p.size(); ++i) {
        const QLineF in(p[i], p[i - 1]), out(p[i], p[i + 1]);
        const qreal r = std::min({kCorner, in.length() / 2, out.length() / 2});
        const QPointF a = p[i] + (p[i - 1] - p[i]) * (r / in.length());
        const QPointF b = p[i] + (p[i + 1] - p[i]) * (r / out.length());
        path.lineTo(a);
        path.quadTo(p[i], b);
    }
    path.lineTo(p.back());
    return path;
}

QPainterPath viaLane(QPointF from, QPointF to, qreal lane)
{
    const qreal y1 = from.y() + kStub, y2 = to.y() - kStub;
    return rounded({from, {from.x(), y1}, {lane, y1}, {lane, y2}, {to.x(), y2}, to});
}

} // namespace

QPainterPath routeEdge(QPointF from, QPointF to, const EdgeObstacles& o)
{
    const bool downward = to.y() - from.y() >= 2 * kStub;
    if (downward) {
        QPainterPath curve = sCurve(from, to);
        if (crossings(curve, from, to, o, false) == 0)
            return curve;
    }

    // Lanes: straight down from either port, and beside every layer the edge could meet.
    std::vector<qreal> lanes{from.x(), to.x()};
    const qreal top = std::min(from.y(), to.y()) - kStub, bottom = std::max(from.y(), to.y()) + kStub;
    auto addSides = [&](const QRectF& r) {
        if (r.bottom() >= top && r.top() <= bottom) {
            lanes.push_back(r.left() - kLaneOffset);
            lanes.push_back(r.right() + kLaneOffset);
        }
    };
    for (const QRectF& r : o.others)
        addSides(r);
    addSides(o.source);
    addSides(o.target);
    const qreal mid = (from.x() + to.x()) / 2;
    std::sort(lanes.begin(), lanes.end(), [&](qreal a, qreal b) {
        // Shortest detour first: the horizontal distance travelled, then nearness to the middle.
        const qreal da = std::abs(from.x() - a) + std::abs(a - to.x()),
                    db = std::abs(from.x() - b) + std::abs(b - to.x());
        return da != db ? da < db : std::abs(a - mid) < std::abs(b - mid);
    });
    QPainterPath best;
    int fewest = std::numeric_limits<int>::max();
    for (qreal lane : lanes) {
        QPainterPath path = viaLane(from, to, lane);
        const int n = crossings(path, from, to, o, true);
        if (n < fewest) {
            fewest = n;
            best = path;
            if (n == 0)
                break;
        }
    }
    // Nothing clear: the familiar curve, unless a detour crosses fewer layers.
    if (downward && fewest > 0 && crossings(sCurve(from, to), from, to, o, false) <= fewest)
        return sCurve(from, to);
    return best;
}

} // namespace nc::widgets
