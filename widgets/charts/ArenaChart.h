// ArenaChart: the arena plan as an address × time chart — every tensor a rectangle spanning its
// lifetime (steps, x) and its bytes at its offset (y); hovering names the layer, a click selects it.
#pragma once

#include "core/Network.h"

#include <QString>
#include <QWidget>

#include <cstdint>
#include <vector>

class QCustomPlot;
class QCPItemStraightLine;
class QCPItemText;
class QMouseEvent;

namespace nc::widgets {

class StackedBlocks;

// Takes plain data (one Rect per arena block) and computes nothing. Owned by its parent widget;
// GUI thread only.
class ArenaChart : public QWidget {
    Q_OBJECT
public:
    struct Rect {
        int firstStep = 0, lastStep = 0; // inclusive
        int64_t offset = 0, bytes = 0;
        QString layer;                   // the layer that allocates it
        core::NodeId node;
        bool scratch = false;
    };

    explicit ArenaChart(QWidget* parent = nullptr);

    void setData(std::vector<Rect> rects, int steps, int64_t arenaBytes, int64_t lowerBoundBytes);
    // Layers drawn highlighted (the selection).
    void setSelected(const std::vector<core::NodeId>& nodes);

    QCustomPlot* plot() const { return m_plot; }
    const std::vector<Rect>& rects() const { return m_rects; }
    int64_t arenaBytes() const { return m_arena; }
    // Index of the rectangle under a widget pixel, -1 for none; the pixel at a rectangle's centre.
    int rectAt(QPoint pixel) const;
    QPoint pixelFor(int rect) const;
    QString hoverText(int rect) const;
    bool isHighlighted(int rect) const;

signals:
    void layerClicked(nc::core::NodeId node);

private:
    void rebuild();
    void onMouseMove(QMouseEvent* event);
    void onMousePress(QMouseEvent* event);
    void onMouseRelease(QMouseEvent* event);

    QCustomPlot* m_plot;
    StackedBlocks* m_blocks;
    QCPItemStraightLine* m_arenaLine;
    QCPItemStraightLine* m_boundLine;
    QCPItemText* m_arenaText = nullptr;
    QCPItemText* m_boundText = nullptr;
    std::vector<Rect> m_rects;
    std::vector<core::NodeId> m_selected;
    int m_steps = 0;
    int64_t m_arena = 0, m_bound = 0;
    QPoint m_pressPos;
};

} // namespace nc::widgets
