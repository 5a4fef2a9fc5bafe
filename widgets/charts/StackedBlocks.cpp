// StackedBlocks: drawing and extents of the timeline's tensor rectangles.
#include "StackedBlocks.h"

#include <algorithm>

namespace nc::widgets {

StackedBlocks::StackedBlocks(QCPAxis* keyAxis, QCPAxis* valueAxis)
    : QCPAbstractPlottable(keyAxis, valueAxis) {
    setSelectable(QCP::stNone);
    // Axis-aligned rectangles gain nothing from antialiasing, and it made 1,000-step timelines slow.
    setAntialiased(false);
    setAntialiasedFill(false);
}

int StackedBlocks::blockAt(double key, double value) const {
    for (size_t i = 0; i < m_blocks.size(); ++i) {
        const Block& b = m_blocks[i];
        if (key >= b.x0 && key < b.x1 && value >= b.y0 && value < b.y1)
            return static_cast<int>(i);
    }
    return -1;
}

double StackedBlocks::selectTest(const QPointF&, bool, QVariant*) const {
    return -1;
}

QCPRange StackedBlocks::getKeyRange(bool& foundRange, QCP::SignDomain) const {
    foundRange = !m_blocks.empty();
    QCPRange r(0, 0);
    for (const Block& b : m_blocks)
        r = QCPRange(std::min(r.lower, b.x0), std::max(r.upper, b.x1));
    return r;
}

QCPRange StackedBlocks::getValueRange(bool& foundRange, QCP::SignDomain, const QCPRange&) const {
    foundRange = !m_blocks.empty();
    QCPRange r(0, 0);
    for (const Block& b : m_blocks)
        r.upper = std::max(r.upper, b.y1);
    return r;
}

void StackedBlocks::draw(QCPPainter* painter) {
    if (!mKeyAxis || !mValueAxis)
        return;
    const QRect clip = clipRect();
    painter->setPen(Qt::NoPen);
    for (const Block& b : m_blocks) {
        const QPointF a = coordsToPixels(b.x0, b.y0), c = coordsToPixels(b.x1, b.y1);
        QRectF r = QRectF(a, c).normalized();
        if (!r.intersects(clip))
            continue;
        // A one-pixel white seam between stacked tensors keeps neighbours of one colour apart.
        if (r.height() > 3)
            r.adjust(0, 0.5, 0, -0.5);
        const QColor& colour = b.kind >= 0 && b.kind < static_cast<int>(m_colours.size())
                                   ? m_colours[static_cast<size_t>(b.kind)]
                                   : QColor(Qt::gray);
        painter->fillRect(r, colour);
    }
}

void StackedBlocks::drawLegendIcon(QCPPainter* painter, const QRectF& rect) const {
    painter->fillRect(rect, m_colours.empty() ? QColor(Qt::gray) : m_colours.front());
}

} // namespace nc::widgets
