// GraphView: zoom, pan and fit of the canvas.
#include "GraphView.h"

#include "GraphScene.h"
#include "Minimap.h"

#include <QKeyEvent>
#include <QScrollBar>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace nc::widgets {

GraphView::GraphView(GraphScene* scene, QWidget* parent) : QGraphicsView(scene, parent), m_scene(scene)
{
    setObjectName("canvas");
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(QGraphicsView::RubberBandDrag);
    setRubberBandSelectionMode(Qt::IntersectsItemShape);
    // Zooming keeps the point under the cursor itself (wheelEvent): AnchorUnderMouse only works once
    // the view has seen the mouse move, which a fresh window or a test has not.
    setTransformationAnchor(QGraphicsView::NoAnchor);
    setResizeAnchor(QGraphicsView::AnchorViewCenter);
    setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
    setOptimizationFlag(QGraphicsView::DontSavePainterState);
    setAcceptDrops(true);
    setFrameShape(QFrame::NoFrame);
    connect(scene, &GraphScene::centreRequested, this, &GraphView::centreOn);
    m_minimap = new Minimap(this);
    connect(scene, &QGraphicsScene::changed, m_minimap, qOverload<>(&QWidget::update));
    // Collapsing or expanding blocks changes the whole picture: show all of it.
    connect(scene, &GraphScene::overviewChanged, this, [this] {
        if (isVisible())
            fitAll();
        else
            requestFit();
    });
    placeMinimap();
}

void GraphView::setMinimapVisible(bool on)
{
    m_minimapWanted = on;
    placeMinimap();
}

void GraphView::placeMinimap()
{
    // Bottom-right of the viewport; hidden when the whole design is in view anyway.
    const QRect vp = viewport()->geometry();
    const int w = std::clamp(vp.width() / 5, 120, 240), h = std::clamp(vp.height() / 4, 90, 180);
    m_minimap->setGeometry(vp.right() - w - 10, vp.bottom() - h - 10, w, h);
    const QRectF seen = mapToScene(viewport()->rect()).boundingRect();
    const bool all = seen.contains(m_scene->designRect());
    m_minimap->setVisible(m_minimapWanted && !all);
    m_minimap->raise();
    m_minimap->update();
}

void GraphView::scrollContentsBy(int dx, int dy)
{
    QGraphicsView::scrollContentsBy(dx, dy);
    placeMinimap();
}

void GraphView::reveal(QPointF scenePos)
{
    ensureVisible(QRectF(scenePos.x() - 110, scenePos.y() - 45, 220, 90), 40, 40);
    placeMinimap();
}

void GraphView::centerOnFromMap(QPointF scenePos)
{
    m_fitPending = false;
    centerOn(scenePos);
    placeMinimap();
}

void GraphView::setZoom(double z)
{
    z = std::clamp(z, kMinZoom, kMaxZoom);
    setTransform(QTransform::fromScale(z, z));
    placeMinimap();
}

void GraphView::zoomBy(double factor)
{
    m_fitPending = false;
    const double z = std::clamp(zoom() * factor, kMinZoom, kMaxZoom);
    scale(z / zoom(), z / zoom());
    placeMinimap();
}

void GraphView::fitAll()
{
    // An explicit fit ends the initial framing: later resizes (the docks settling) must not undo it.
    m_fitPending = false;
    fitWhole();
}

void GraphView::fitWhole()
{
    // The margin grows with the design: at a tiny zoom one pixel of rounding is many scene units.
    const QRectF d = m_scene->designRect();
    const qreal m = std::max<qreal>(40, 0.03 * std::max(d.width(), d.height()));
    const QRectF r = d.adjusted(-m, -m, m, m);
    const double z = std::min(viewport()->width() / r.width(), viewport()->height() / r.height());
    setZoom(std::min(z, 1.0));
    centerOn(r.center());
    placeMinimap();
}

void GraphView::fitReadable()
{
    const QRectF r = m_scene->designRect().adjusted(-40, -40, 40, 40);
    const double fit = std::min(viewport()->width() / r.width(), viewport()->height() / r.height());
    // Collapsed blocks are the overview: always all of it.
    if (fit >= kReadableZoom || m_scene->overview()) {
        fitWhole();
        return;
    }
    // As large as fits the design's width, within readable bounds, aligned to its top.
    const double z = std::clamp(viewport()->width() / r.width(), kReadableZoom, 0.8);
    setZoom(z);
    const double visibleH = viewport()->height() / z;
    centerOn(QPointF(r.center().x(), r.top() + visibleH / 2));
    placeMinimap();
}

void GraphView::requestFit()
{
    m_fitPending = true;
    if (isVisible())
        fitReadable();
}

void GraphView::resizeEvent(QResizeEvent* e)
{
    QGraphicsView::resizeEvent(e);
    if (viewport()->height() > 0)
        m_scene->setOverviewAspect(static_cast<double>(viewport()->width()) / viewport()->height());
    placeMinimap();
    if (m_fitPending && isVisible())
        fitReadable();
}

void GraphView::showEvent(QShowEvent* e)
{
    QGraphicsView::showEvent(e);
    if (m_fitPending)
        fitReadable();
    placeMinimap();
}

void GraphView::centreOn(QRectF sceneRect)
{
    m_fitPending = false; // a layer picked elsewhere wins over the initial framing
    if (mapToScene(viewport()->rect()).boundingRect().contains(sceneRect))
        return;
    centerOn(sceneRect.center());
}

void GraphView::wheelEvent(QWheelEvent* e)
{
    // Plain wheel zooms around the cursor (the anchor); Shift scrolls sideways, Ctrl scrolls.
    if (e->modifiers() & (Qt::ControlModifier | Qt::ShiftModifier)) {
        QGraphicsView::wheelEvent(e);
        return;
    }
    const double steps = e->angleDelta().y() / 120.0;
    if (steps != 0) {
        const QPointF cursor = e->position();
        const QPointF under = mapToScene(cursor.toPoint());
        zoomBy(std::pow(1.15, steps));
        const QPointF drift = mapFromScene(under) - cursor;
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() + qRound(drift.x()));
        verticalScrollBar()->setValue(verticalScrollBar()->value() + qRound(drift.y()));
    }
    e->accept();
}

void GraphView::mousePressEvent(QMouseEvent* e)
{
    m_fitPending = false; // the user has taken over the view
    if (e->button() == Qt::MiddleButton || (e->button() == Qt::LeftButton && m_space)) {
        m_panning = true;
        m_panLast = e->position().toPoint();
        viewport()->setCursor(Qt::ClosedHandCursor);
        e->accept();
        return;
    }
    QGraphicsView::mousePressEvent(e);
}

void GraphView::mouseMoveEvent(QMouseEvent* e)
{
    if (m_panning) {
        const QPoint d = e->position().toPoint() - m_panLast;
        m_panLast = e->position().toPoint();
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - d.x());
        verticalScrollBar()->setValue(verticalScrollBar()->value() - d.y());
        e->accept();
        return;
    }
    QGraphicsView::mouseMoveEvent(e);
}

void GraphView::mouseReleaseEvent(QMouseEvent* e)
{
    if (m_panning && (e->button() == Qt::MiddleButton || e->button() == Qt::LeftButton)) {
        m_panning = false;
        viewport()->setCursor(m_space ? Qt::OpenHandCursor : Qt::ArrowCursor);
        e->accept();
        return;
    }
    QGraphicsView::mouseReleaseEvent(e);
}

void GraphView::keyPressEvent(QKeyEvent* e)
{
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat()) {
        m_space = true;
        viewport()->setCursor(Qt::OpenHandCursor);
        e->accept();
        return;
    }
    QGraphicsView::keyPressEvent(e);
}

void GraphView::keyReleaseEvent(QKeyEvent* e)
{
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat()) {
        m_space = false;
        viewport()->setCursor(Qt::ArrowCursor);
        e->accept();
        return;
    }
    QGraphicsView::keyReleaseEvent(e);
}

void GraphView::drawBackground(QPainter* p, const QRectF& rect)
{
    QGraphicsView::drawBackground(p, rect);
    if (zoom() < 0.4)
        return; // a dense grid at low zoom is noise and costs time
    const qreal step = 40;
    p->setPen(QPen(QColor(0xdd, 0xdf, 0xe3), 0));
    const qreal left = std::floor(rect.left() / step) * step;
    const qreal top = std::floor(rect.top() / step) * step;
    QVector<QPointF> dots;
    for (qreal x = left; x < rect.right(); x += step)
        for (qreal y = top; y < rect.bottom(); y += step)
            dots.append(QPointF(x, y));
    p->drawPoints(dots.data(), static_cast<int>(dots.size()));
}

} // namespace nc::widgets
