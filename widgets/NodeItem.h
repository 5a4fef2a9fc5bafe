// NodeItem: one layer on the canvas. Holds only its NodeId and the look the scene derived from the
// Document; inputs are ports on the top edge, the output a port on the bottom edge (flow is downwards,
// like core::layeredLayout).
#pragma once

#include "NodeLook.h"
#include "core/Network.h"

#include <QGraphicsItem>
#include <QStaticText>

namespace nc::widgets {

class NodeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 1 };
    static constexpr qreal kWidth = 200;
    static constexpr qreal kHeight = 64;
    // Height of the title font in scene units: on screen it is this times the view's zoom.
    static constexpr int kTitlePixels = 14;
    // A collapsed block's title is larger: the overview is read from further away.
    static constexpr int kBlockTitlePixels = 17;
    static constexpr qreal kPortRadius = 5;

    explicit NodeItem(core::NodeId id);

    core::NodeId id() const { return m_id; }
    int type() const override { return Type; }

    // Returns true when something visible changed (and schedules a repaint only then).
    bool setLook(NodeLook look);
    const NodeLook& look() const { return m_look; }
    bool hasErrorBadge() const { return m_look.state == NodeLook::State::Error; }
    // The title as drawn: the layer name, or its last components when the whole does not fit.
    QString titleText();
    const QFont& titleFont() const;

    // Port centres in scene coordinates.
    QPointF inputPortPos(int port) const;
    QPointF outputPortPos(int port = 0) const;
    // The input port within `radius` of a scene point, or -1.
    int inputPortAt(QPointF scenePos, qreal radius) const;
    // The output port within `radius` of a scene point, or -1.
    int outputPortAt(QPointF scenePos, qreal radius) const;
    // Marks the port a connection being dragged would land on (-1: none).
    void setHighlightedPort(int port);

    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

protected:
    QVariant itemChange(GraphicsItemChange change, const QVariant& value) override;

private:
    QPointF inputPortLocal(int port) const;
    QPointF outputPortLocal(int port) const;
    void layoutTexts();
    core::NodeId m_id;
    NodeLook m_look;
    int m_highlight = -1;
    // Laid out once per look change, not per paint: text shaping was most of a repaint's cost.
    QStaticText m_nameText, m_detailText, m_shapeText, m_costText;
    qreal m_costWidth = 0;
    bool m_textsDirty = true; // laid out at the next paint, so off-screen nodes cost nothing
};

} // namespace nc::widgets
