// ChartBase: what every NetCanvas chart shares — a QCustomPlot whose x axis is the schedule (one
// column per layer), selection highlighting, click-to-select, hover text, export and the replot policy.
#pragma once

#include "LayerAxis.h"

#include "core/Result.h"

#include <QPoint>
#include <QSharedPointer>
#include <QString>
#include <QWidget>

#include <memory>
#include <vector>

class QCustomPlot;
class QCPAbstractItem;
class QCPAxis;
class QCPRange;
class QCPTextElement;
class QMouseEvent;

namespace nc::widgets {

class LayerTicker;

// Derived charts take plain data (vectors in schedule order, see ChartData) and never compute a
// figure. Replot policy: requestReplot() queues one replot for the next event-loop turn
// (QCustomPlot::rpQueuedReplot), so a burst of edits costs one redraw, and a hidden chart (a
// background tab) only remembers that it is stale and replots when shown. Owned by its parent
// widget; GUI thread only.
class ChartBase : public QWidget {
    Q_OBJECT
public:
    explicit ChartBase(const QString& title, QWidget* parent = nullptr);
    ~ChartBase() override;

    QCustomPlot* plot() const { return m_plot; }
    QString title() const { return m_title; }
    // Second part of the title line: the chart's headline figure ("total 11.69 M params").
    void setSubtitle(const QString& text);
    QString titleText() const;
    const LayerAxis* layerAxis() const { return m_axis.get(); }

    // Schedule steps drawn highlighted (the selected layers). `reveal` scrolls the first one into
    // view when the x axis is zoomed in.
    void setHighlighted(std::vector<int> steps, bool reveal = false);
    const std::vector<int>& highlighted() const { return m_highlighted; }

    // Queues one replot, or marks the chart stale while hidden.
    void requestReplot();
    // Replots immediately when visible, or always with `force` (the benchmark, exports); a second
    // time when the layout moved the data area, so ticks and headroom match the final geometry.
    void replotNow(bool force = false);
    // Whole schedule on the x axis.
    void resetZoom();

    // Widget pixel at the centre of step's column and value `value` (tests, tooltips); step under a
    // widget pixel, -1 outside the plot area or the columns.
    QPoint pixelFor(int step, double value) const;
    int stepAt(QPoint pixel) const;

    // Smallest size at which the plot area keeps 120 px of height under the title, legend and the
    // rotated layer names; the panel's layout never squeezes a chart below it.
    static constexpr int kMinWidth = 320;
    static constexpr int kMinHeight = 290;
    // Default export size: wide enough for a slide or a report page at full resolution.
    static constexpr int kExportWidth = 1600;
    static constexpr int kExportHeight = 900;

    // The chart at the given size; width/height 0 export at kExportWidth×kExportHeight.
    [[nodiscard]] core::Status exportPng(const QString& path, int width = 0, int height = 0);
    [[nodiscard]] core::Status exportPdf(const QString& path, int width = 0, int height = 0);

    // Asks for an export size ("1600 × 900"); false when cancelled. `size` holds the default on entry.
    static bool askExportSize(QWidget* parent, QSize& size);

    // Tooltip for the column of `step` with the pointer at data value `value` on the y axis.
    virtual QString hoverText(int step, double value) const = 0;

signals:
    // A click (not a drag) on the column of `step`; `toggle` when Ctrl was held.
    void stepClicked(int step, bool toggle);

protected:
    // Installs a new x axis; keeps the zoom when the layer count is unchanged (a parameter edit).
    void setLayerAxis(std::shared_ptr<const LayerAxis> axis);
    std::shared_ptr<const LayerAxis> sharedAxis() const { return m_axis; }
    QCPAxis* xAxis() const;
    QCPAxis* yAxis() const;
    // Moves the legend out of the data area into its own row under the title (inside the plot it
    // hid the data), in the note font, `wrap` entries to a row.
    void placeLegendBelowTitle(int wrap, QSize iconSize = QSize(18, 9), int columnSpacing = 12);
    // The value axis' label in the tick font.
    void setValueAxisLabel(const QString& label);
    // Called after the highlighted steps change, to restyle chart-specific elements.
    virtual void highlightChanged() {}
    // Called before each replot with the data area's height in pixels (from the last layout), so a
    // chart can keep pixel room above its tallest value for a label ("peak 3.21 MB at conv1").
    virtual void fitToHeight(double /*plotPixels*/) {}
    // Upper end of a value axis whose data reach `top`, leaving `headroom` pixels above it on an
    // axis `plotPixels` tall; `bottom` is the axis' lower end (log axes).
    static double upperWithHeadroom(double bottom, double top, double plotPixels, double headroom, bool log);
    void showEvent(QShowEvent* event) override;

private:
    void onMousePress(QMouseEvent* event);
    void onMouseRelease(QMouseEvent* event);
    void onMouseMove(QMouseEvent* event);
    void onRangeChanged(const QCPRange& range);
    void onBeforeReplot();
    void onAfterLayout();
    void prepareFor(QSize area);
    void showContextMenu(const QPoint& pos);
    void exportInteractively(bool pdf);
    void rebuildBands();
    QSize exportSize(int width, int height) const;

    QCustomPlot* m_plot;
    QCPTextElement* m_titleElement;
    QSharedPointer<LayerTicker> m_ticker;
    QString m_title, m_subtitle;
    std::shared_ptr<const LayerAxis> m_axis;
    std::vector<int> m_highlighted;
    std::vector<QCPAbstractItem*> m_bands;
    QPoint m_pressPos;
    bool m_pressed = false;
    bool m_replotPending = false;
    bool m_relayout = false;
    QSize m_assumedRect; // data area size the last replot's ticks and ranges were chosen for
};

} // namespace nc::widgets
