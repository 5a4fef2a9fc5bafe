// LayerTicker: name labels with a stride that keeps them from overlapping.
#include "LayerTicker.h"

#include "widgets/NameText.h"

#include <algorithm>
#include <cmath>

namespace nc::widgets {

void LayerTicker::setGeometry(double axisPixels, double labelPixels) {
    m_axisPixels = std::max(axisPixels, 1.0);
    m_labelPixels = std::max(labelPixels, 1.0);
}

void LayerTicker::setLabelFont(const QFont& font, double maxPixels) {
    m_font = font;
    m_maxLabelPixels = maxPixels;
}

int LayerTicker::stride(const QCPRange& range) const {
    const double fit = std::max(1.0, std::floor(m_axisPixels / m_labelPixels));
    return std::max(1, static_cast<int>(std::ceil(range.size() / fit)));
}

double LayerTicker::getTickStep(const QCPRange& range) {
    return stride(range);
}

int LayerTicker::getSubTickCount(double) {
    return 0;
}

QString LayerTicker::getTickLabel(double tick, const QLocale&, QChar, int) {
    const int step = static_cast<int>(std::lround(tick));
    if (!m_axis || !m_axis->contains(step))
        return {};
    // Keep the end: hierarchical names repeat their prefix ("features.", "layer4.") on every layer,
    // while the block index and the role ("13.expand_relu6") at the end tell neighbours apart.
    return fitName(m_axis->names[static_cast<size_t>(step)], QFontMetricsF(m_font), m_maxLabelPixels);
}

} // namespace nc::widgets
