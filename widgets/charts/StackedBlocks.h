// StackedBlocks: a QCustomPlot plottable that draws axis-aligned rectangles in plot coordinates —
// the live tensors of the memory timeline, stacked per step.
#pragma once

#include <qcustomplot.h>

#include <vector>

namespace nc::widgets {

// QCustomPlot has stacked bars, but stacking ~100 tensors as chained QCPBars costs a lookup chain per
// bar; the timeline knows every rectangle already, so it hands them over and this draws them in one
// pass. Not selectable (clicks fall through to the chart's column handling). Owned by its QCustomPlot.
class StackedBlocks : public QCPAbstractPlottable {
public:
    struct Block {
        double x0, x1; // key range (steps ± 0.5)
        double y0, y1; // value range (bytes)
        int kind;      // index into the colour list
        int tag;       // caller's id for the block (a buffer index), -1 for none
    };

    StackedBlocks(QCPAxis* keyAxis, QCPAxis* valueAxis);

    void setBlocks(std::vector<Block> blocks) { m_blocks = std::move(blocks); }
    void setColours(std::vector<QColor> colours) { m_colours = std::move(colours); }
    const std::vector<Block>& blocks() const { return m_blocks; }
    // Index of the block containing (key, value), -1 if none.
    int blockAt(double key, double value) const;

    double selectTest(const QPointF& pos, bool onlySelectable, QVariant* details = nullptr) const override;
    QCPRange getKeyRange(bool& foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth) const override;
    QCPRange getValueRange(bool& foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth,
                           const QCPRange& inKeyRange = QCPRange()) const override;

protected:
    void draw(QCPPainter* painter) override;
    void drawLegendIcon(QCPPainter* painter, const QRectF& rect) const override;

private:
    std::vector<Block> m_blocks;
    std::vector<QColor> m_colours;
};

} // namespace nc::widgets
