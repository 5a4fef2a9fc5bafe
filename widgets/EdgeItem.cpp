// EdgeItem: routing and drawing of a connection.
#include "EdgeItem.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPathStroker>
#include <QStyleOptionGraphicsItem>

#include <algorithm>
#include <cmath>

namespace nc::widgets {

namespace {
const QFont& labelFont()
{
    static const QFont f = [] {
        QFont x(QStringLiteral("DejaVu Sans Mono"));
        x.setPixelSize(11);
        return x;
    }();
    return f;
}
} // namespace

EdgeItem::EdgeItem(core::EdgeId id) : m_id(id)
{
    setFlags(ItemIsSelectable);
    setAcceptHoverEvents(true);
    setZValue(0);
}

void EdgeItem::setPath(const QPainterPath& path)
{
    if (path == m_path)
        return;
    prepareGeometryChange();
    m_path = path;
    QPainterPathStroker stroker;
    stroker.setWidth(10);
    m_hitShape = stroker.createStroke(m_path);
    m_mid = m_path.pointAtPercent(0.5);
    // Room for the longest shape label, so a new shape text never changes the geometry (a thousand
    // edges re-measured per edit showed up in bench_widgets).
    m_bounds = m_path.boundingRect().adjusted(-6, -6, 6, 6) | QRectF(m_mid.x(), m_mid.y() - 11, 200, 22);
    update();
}

bool EdgeItem::setState(bool rejected, const QString& shapeText)
{
    if (rejected == m_rejected && shapeText == m_shape)
        return false;
    m_rejected = rejected;
    m_shape = shapeText;
    update();
    return true;
}

QRectF EdgeItem::labelRect() const
{
    const qreal w = std::min<qreal>(QFontMetricsF(labelFont()).horizontalAdvance(m_shape) + 12, 192);
    return {m_mid.x() + 6, m_mid.y() - 9, w, 18};
}

void EdgeItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*)
{
    QColor c = m_rejected ? QColor(0xd3, 0x2f, 0x2f) : QColor(0x78, 0x78, 0x78);
    qreal w = m_rejected ? 2.5 : 1.6;
    if (isSelected()) {
        c = QColor(0x1e, 0x6f, 0xd9);
        w = 3;
    } else if (m_hover) {
        w += 1;
    }
    p->setPen(QPen(c, w, Qt::SolidLine, Qt::RoundCap));
    p->setBrush(Qt::NoBrush);
    p->drawPath(m_path);

    // Arrow head touching the input port from above (the path ends at the port's centre).
    const QPointF end = m_path.pointAtPercent(1) - QPointF(0, 5);
    p->setPen(Qt::NoPen);
    p->setBrush(c);
    p->drawPolygon(QPolygonF({end, end + QPointF(-4.5, -9), end + QPointF(4.5, -9)}));

    if ((m_hover || isSelected()) && !m_shape.isEmpty()) {
        const QRectF r = labelRect();
        p->setPen(QPen(c, 1));
        p->setBrush(QColor(255, 255, 255, 235));
        p->drawRoundedRect(r, 4, 4);
        p->setFont(labelFont());
        p->setPen(m_rejected ? c : QColor(0x21, 0x21, 0x21));
        p->drawText(r, Qt::AlignCenter, m_shape);
    }
}

void EdgeItem::hoverEnterEvent(QGraphicsSceneHoverEvent* e)
{
    m_hover = true;
    update();
    QGraphicsItem::hoverEnterEvent(e);
}

void EdgeItem::hoverLeaveEvent(QGraphicsSceneHoverEvent* e)
{
    m_hover = false;
    update();
    QGraphicsItem::hoverLeaveEvent(e);
}

} // namespace nc::widgets
