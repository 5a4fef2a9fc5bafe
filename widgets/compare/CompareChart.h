// CompareChart: one design's per-layer figure as bars over the rows of a two-design alignment
// (core::compare::alignLayers), so two charts stacked one above the other line up layer by layer.
#pragma once

#include <QColor>
#include <QPoint>
#include <QString>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPBars;
class QCPTextElement;
class QMouseEvent;

namespace nc::widgets {

// Takes plain data — one value per aligned row, NaN where this design has no layer in that row —
// and computes nothing. A click on a bar emits rowClicked; the owner sets the selection on both
// charts, and links their x ranges through xRangeChanged / setXRange. Owned by its parent widget;
// GUI thread only.
class CompareChart : public QWidget {
    Q_OBJECT
public:
    enum class Unit { Count, Bytes };

    explicit CompareChart(QWidget* parent = nullptr);

    void setData(const QString& title, std::vector<double> values, std::vector<QString> names, Unit unit,
                 const QColor& colour);
    void setSelectedRow(int row); // -1: none
    int selectedRow() const { return m_selected; }
    void setXRange(double lower, double upper); // without emitting xRangeChanged
    void showAllRows();
    // Replot on the next event-loop turn (a burst of edits costs one redraw), or at once.
    void requestReplot();
    void replotNow();

    QCustomPlot* plot() const { return m_plot; }
    QString title() const;
    const std::vector<double>& values() const { return m_values; }
    int rowCount() const { return int(m_values.size()); }
    // Widget pixel at the middle of row's bar (tests); row under a widget pixel, -1 outside.
    QPoint pixelForRow(int row) const;
    int rowAt(QPoint pixel) const;
    QString hoverText(int row) const;

signals:
    void rowClicked(int row);
    void xRangeChanged(double lower, double upper);

private:
    void onPress(QMouseEvent* e);
    void onMove(QMouseEvent* e);
    QString valueText(double v) const;

    QCustomPlot* m_plot;
    QCPBars* m_bars;
    QCPBars* m_selectedBar;
    QCPTextElement* m_title;
    std::vector<double> m_values;
    std::vector<QString> m_names;
    Unit m_unit = Unit::Count;
    int m_selected = -1;
    bool m_settingRange = false;
};

} // namespace nc::widgets
