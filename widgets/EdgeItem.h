// EdgeItem: one tensor on the canvas, from an output port down to an input port. Holds only its EdgeId;
// shows the tensor's shape on hover and turns red when the layer it feeds rejects that shape.
#pragma once

#include "core/Network.h"

#include <QGraphicsItem>
#include <QPainterPath>

namespace nc::widgets {

class EdgeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 2 };

    explicit EdgeItem(core::EdgeId id);

    core::EdgeId id() const { return m_id; }
    int type() const override { return Type; }

    // The routed path from the output port to the input port (EdgeRouter keeps it off other layers).
    void setPath(const QPainterPath& path);
    // Returns true when something visible changed.
    bool setState(bool rejected, const QString& shapeText);
    bool isRejected() const { return m_rejected; }
    const QString& shapeText() const { return m_shape; }
    bool isHovered() const { return m_hover; }
    // The middle of the drawn path (where the shape label appears; a good point to click the edge).
    QPointF midpoint() const { return m_mid; }
    // The drawn path, from the output port to the input port.
    const QPainterPath& path() const { return m_path; }

    QRectF boundingRect() const override { return m_bounds; }
    QPainterPath shape() const override { return m_hitShape; }
    void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

protected:
    void hoverEnterEvent(QGraphicsSceneHoverEvent* e) override;
    void hoverLeaveEvent(QGraphicsSceneHoverEvent* e) override;

private:
    QRectF labelRect() const;
    core::EdgeId m_id;
    QPainterPath m_path;
    QPainterPath m_hitShape;
    QRectF m_bounds;
    QPointF m_mid; // where the hover label sits
    QString m_shape;
    bool m_rejected = false;
    bool m_hover = false;
};

} // namespace nc::widgets
