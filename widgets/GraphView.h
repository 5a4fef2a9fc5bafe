// GraphView: the viewport onto the canvas — zoom on the wheel around the cursor, pan with the middle
// button or Space+drag, rubber-band and Ctrl+click selection, fit to view, and centring on a layer
// another view selected.
#pragma once

#include <QGraphicsView>

namespace nc::widgets {

class GraphScene;
class Minimap;

class GraphView : public QGraphicsView {
    Q_OBJECT
public:
    static constexpr double kMinZoom = 0.002; // a 1,000-layer chain still fits
    static constexpr double kMaxZoom = 3.0;
    // Below this zoom node text gets too small to read (NodeItem draws none under 0.35).
    static constexpr double kReadableZoom = 0.7;

    explicit GraphView(GraphScene* scene, QWidget* parent = nullptr);

    double zoom() const { return transform().m11(); }
    void setZoom(double z);
    void zoomBy(double factor);
    // Shows the whole design.
    void fitAll();
    // Shows the whole design if it fits at a readable zoom; otherwise its top at a readable zoom (a
    // freshly opened ResNet is hundreds of rows tall: a user wants to read its first layers, then scroll).
    void fitReadable();
    // fitReadable() now if the view is on screen, otherwise once it is (a design opened before the
    // window is shown has no viewport size to fit to yet). Refits on resizes until the user zooms or pans.
    void requestFit();
    // Scrolls so a layer is in view, moving as little as possible (a layer just appended).
    void reveal(QPointF scenePos);
    // Moves the view's centre to a point picked on the minimap.
    void centerOnFromMap(QPointF scenePos);
    Minimap* minimap() const { return m_minimap; }
    void setMinimapVisible(bool on);

protected:
    void wheelEvent(QWheelEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void keyReleaseEvent(QKeyEvent* e) override;
    void drawBackground(QPainter* p, const QRectF& rect) override;
    void scrollContentsBy(int dx, int dy) override;
    void resizeEvent(QResizeEvent* e) override;
    void showEvent(QShowEvent* e) override;

private:
    // Brings a node picked elsewhere (a chart, the layer list) to the centre, unless it is already in
    // full view: then nothing moves, so a design that fits keeps its framing.
    void centreOn(QRectF sceneRect);
    void placeMinimap();
    void fitWhole();
    GraphScene* m_scene;
    Minimap* m_minimap = nullptr;
    bool m_minimapWanted = true;
    bool m_panning = false;
    bool m_space = false;
    bool m_fitPending = false;
    QPoint m_panLast;
};

} // namespace nc::widgets
