// Minimap: a small map of the whole design in a corner of the canvas, with the visible part framed;
// a click or drag there moves the view. Owned by its GraphView; GUI thread only.
#pragma once

#include <QWidget>

namespace nc::widgets {

class GraphView;

class Minimap : public QWidget {
    Q_OBJECT
public:
    explicit Minimap(GraphView* view);

    // The scene rectangle the map shows (the design with a margin) and where a scene point lands.
    QRectF mappedRect() const;
    QPointF toMap(QPointF scenePos) const;
    QPointF toScene(QPointF mapPos) const;

protected:
    void paintEvent(QPaintEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;

private:
    GraphView* m_view;
};

} // namespace nc::widgets
