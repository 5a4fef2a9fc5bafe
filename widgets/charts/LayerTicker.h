// LayerTicker: x-axis ticks of the per-layer charts — layer names, as many as fit.
#pragma once

#include "LayerAxis.h"

#include <qcustomplot.h>

#include <memory>

namespace nc::widgets {

// Labels column i with the name of the layer at step i. With 70–180 layers not every name fits, so
// it labels every n-th column, n chosen from the axis length in pixels and the label height (labels
// are drawn rotated); zooming in on the axis brings the skipped names back. Full names are always
// on the hover tooltip. Owned by a QCPAxis through a QSharedPointer; GUI thread only.
class LayerTicker : public QCPAxisTicker {
public:
    void setAxis(std::shared_ptr<const LayerAxis> axis) { m_axis = std::move(axis); }
    // Length of the axis in pixels and the room one label needs across it (the font's line height).
    void setGeometry(double axisPixels, double labelPixels);
    // Font of the labels and the longest a label may be (along its rotated direction): longer names
    // show their last components ("…0.conv1_bn"), never a cut inside a component.
    void setLabelFont(const QFont& font, double maxPixels);
    // Columns between two labels for `range` (at least 1).
    int stride(const QCPRange& range) const;

    // Room for a name label, in pixels: the rotated names take this much height under every chart.
    static constexpr double kMaxLabelPixels = 96;

protected:
    double getTickStep(const QCPRange& range) override;
    int getSubTickCount(double tickStep) override;
    QString getTickLabel(double tick, const QLocale& locale, QChar formatChar, int precision) override;

private:
    std::shared_ptr<const LayerAxis> m_axis;
    double m_axisPixels = 600;
    double m_labelPixels = 14;
    QFont m_font;
    double m_maxLabelPixels = kMaxLabelPixels;
};

} // namespace nc::widgets
