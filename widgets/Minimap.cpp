// Minimap: drawing the design small and steering the view from it.
#include "Minimap.h"

#include "GraphScene.h"
#include "GraphView.h"
#include "NodeItem.h"

#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>

#include <algorithm>

namespace nc::widgets {

Minimap::Minimap(GraphView* view) : QWidget(view), m_view(view)
{
    setObjectName("minimap");
    setCursor(Qt::PointingHandCursor);
    setToolTip(tr("The whole design: click or drag to move the view"));
    resize(200, 150);
}

QRectF Minimap::mappedRect() const
{
    auto* scene = qobject_cast<GraphScene*>(m_view->scene());
    const QRectF d = scene ? scene->designRect() : QRectF();
    const qreal m = std::max<qreal>(40, 0.04 * std::max(d.width(), d.height()));
    return d.adjusted(-m, -m, m, m);
}

QPointF Minimap::toMap(QPointF p) const
{
    const QRectF r = mappedRect();
    const qreal s = std::min((width() - 8) / r.width(), (height() - 8) / r.height());
    const QPointF offset((width() - r.width() * s) / 2, (height() - r.height() * s) / 2);
    return offset + (p - r.topLeft()) * s;
}

QPointF Minimap::toScene(QPointF m) const
{
    const QRectF r = mappedRect();
    const qreal s = std::min((width() - 8) / r.width(), (height() - 8) / r.height());
    const QPointF offset((width() - r.width() * s) / 2, (height() - r.height() * s) / 2);
    return r.topLeft() + (m - offset) / s;
}

void Minimap::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    p.setPen(QPen(QColor(0x9e, 0xa4, 0xab), 1));
    p.setBrush(QColor(255, 255, 255, 235));
    p.drawRect(rect().adjusted(0, 0, -1, -1));
    auto* scene = qobject_cast<GraphScene*>(m_view->scene());
    if (!scene)
        return;
    // Layers as small blocks in their fill colour (the heat of the chosen figure), errors in red.
    const QSizeF body(NodeItem::kWidth, NodeItem::kHeight);
    for (QGraphicsItem* it : scene->items()) {
        auto* n = qgraphicsitem_cast<NodeItem*>(it);
        if (!n || !n->isVisible())
            continue;
        const QRectF r(toMap(n->pos() - QPointF(body.width() / 2, body.height() / 2)),
                       toMap(n->pos() + QPointF(body.width() / 2, body.height() / 2)));
        p.setPen(Qt::NoPen);
        p.setBrush(n->hasErrorBadge() ? QColor(0xd3, 0x2f, 0x2f) : n->look().fill.darker(115));
        p.drawRect(r.adjusted(0, 0, std::max<qreal>(0, 2 - r.width()), std::max<qreal>(0, 2 - r.height())));
    }
    const QRectF seen = m_view->mapToScene(m_view->viewport()->rect()).boundingRect();
    p.setPen(QPen(QColor(0x1e, 0x6f, 0xd9), 1.5));
    p.setBrush(QColor(0x1e, 0x6f, 0xd9, 30));
    p.drawRect(QRectF(toMap(seen.topLeft()), toMap(seen.bottomRight())));
}

void Minimap::mousePressEvent(QMouseEvent* e)
{
    m_view->centerOnFromMap(toScene(e->position()));
    e->accept();
}

void Minimap::mouseMoveEvent(QMouseEvent* e)
{
    if (e->buttons() & Qt::LeftButton)
        m_view->centerOnFromMap(toScene(e->position()));
    e->accept();
}

} // namespace nc::widgets
