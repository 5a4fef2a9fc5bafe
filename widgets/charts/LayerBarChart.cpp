// LayerBarChart: bars, the stand-out largest bar, the selection overlay and the value axis scale.
#include "LayerBarChart.h"

#include "ChartStyle.h"
#include "UnitTicker.h"

#include "core/Format.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace nc::widgets {

namespace {

QVector<double> steps(size_t n) {
    QVector<double> keys(static_cast<qsizetype>(n));
    for (size_t i = 0; i < n; ++i)
        keys[static_cast<qsizetype>(i)] = static_cast<double>(i);
    return keys;
}

QCPBars* makeBars(QCustomPlot* plot, double width) {
    auto* b = new QCPBars(plot->xAxis, plot->yAxis);
    b->setWidth(width);
    b->setPen(Qt::NoPen);
    b->setAntialiased(false); // crisp 2–4 px bars; antialiasing only blurs their edges
    b->setSelectable(QCP::stNone);
    return b;
}

std::string durationText(int64_t microseconds) { return core::humanDuration(static_cast<double>(microseconds)); }

std::string (*formatter(LayerBarChart::Unit u))(int64_t) {
    if (u == LayerBarChart::Unit::Microseconds)
        return &durationText;
    return u == LayerBarChart::Unit::Bytes ? &core::humanBytes : &core::humanCount;
}

} // namespace

LayerBarChart::LayerBarChart(const QString& title, Unit unit, const QString& noun, QWidget* parent)
    : ChartBase(title, parent), m_unit(unit), m_noun(noun) {
    QCustomPlot* p = plot();
    m_bars = makeBars(p, 0.8);
    m_largestBar = makeBars(p, 0.8);
    m_selectedBars = makeBars(p, 1.0);
    m_selectedBars->setPen(QPen(chartstyle::selectedOutline(), 1));

    m_largestText = new QCPItemText(p);
    QFont f = font();
    f.setPointSize(chartstyle::kNotePointSize);
    m_largestText->setFont(f);
    m_largestText->setColor(chartstyle::largest());
    m_largestText->setBrush(QColor(255, 255, 255, 210));
    m_largestText->setPadding(QMargins(3, 1, 3, 1));
    m_largestText->setVisible(false);
    m_largestText->setSelectable(false);

    setValueAxisLabel(unit == Unit::Bytes ? tr("bytes") : noun);
    applyColours();
    applyScale();
}

void LayerBarChart::setData(std::shared_ptr<const LayerAxis> axis, std::vector<double> values) {
    m_values = std::move(values);
    m_values.resize(static_cast<size_t>(axis->size()), 0.0); // a short latency vector after an insert
    setLayerAxis(std::move(axis));

    const QVector<double> keys = steps(m_values.size());
    QVector<double> heights(m_values.begin(), m_values.end());
    for (double& h : heights)
        if (std::isnan(h))
            h = 0; // not measured: no bar (the hover says so)
    m_bars->setData(keys, heights, true);

    m_largest = -1;
    double best = 0;
    for (size_t i = 0; i < m_values.size(); ++i)
        if (m_values[i] > best) {
            best = m_values[i];
            m_largest = static_cast<int>(i);
        }
    if (m_largest >= 0) {
        m_largestBar->setData({static_cast<double>(m_largest)}, {best}, true);
        m_largestText->setText(largestLabel());
        // Anchor the label towards the inside of the plot so a bar near either end keeps it readable.
        const double frac = m_values.size() > 1 ? m_largest / static_cast<double>(m_values.size() - 1) : 0.0;
        const Qt::Alignment h = frac < 0.25 ? Qt::AlignLeft : frac > 0.75 ? Qt::AlignRight : Qt::AlignHCenter;
        m_largestText->setPositionAlignment(h | Qt::AlignBottom);
        m_largestText->position->setCoords(m_largest, best);
    } else {
        m_largestBar->data()->clear();
    }
    m_largestText->setVisible(m_largest >= 0);
    highlightChanged();
    applyScale();
    requestReplot();
}

void LayerBarChart::setDetail(const QString& label, std::vector<double> values, Unit unit) {
    m_detailLabel = label;
    m_detail = std::move(values);
    m_detailUnit = unit;
}

void LayerBarChart::setStale(bool stale) {
    if (stale == m_stale)
        return;
    m_stale = stale;
    applyColours();
    requestReplot();
}

void LayerBarChart::setLogScale(bool on) {
    if (on == m_log)
        return;
    m_log = on;
    applyScale();
    requestReplot();
}

QString LayerBarChart::largestLabel() const {
    if (m_largest < 0 || !layerAxis())
        return {};
    return layerAxis()->names[static_cast<size_t>(m_largest)] + QStringLiteral("  ") +
           shortText(m_values[static_cast<size_t>(m_largest)], m_unit);
}

QString LayerBarChart::shortText(double value, Unit unit) const {
    const int64_t v = std::llround(value);
    if (unit == Unit::Microseconds)
        return QString::fromStdString(core::humanDuration(value));
    if (unit == Unit::Bytes)
        return QString::fromStdString(core::humanBytes(v));
    return QString::fromStdString(core::humanCount(v)) +
           (m_noun.isEmpty() ? QString() : QStringLiteral(" ") + m_noun);
}

void LayerBarChart::highlightChanged() {
    QVector<double> keys, vals;
    for (int s : highlighted())
        if (s >= 0 && s < static_cast<int>(m_values.size()) &&
            !std::isnan(m_values[static_cast<size_t>(s)])) {
            keys.push_back(s);
            vals.push_back(m_values[static_cast<size_t>(s)]);
        }
    m_selectedBars->setData(keys, vals); // sorts: the selection order is not the schedule order
}

void LayerBarChart::applyColours() {
    m_bars->setBrush(m_stale ? chartstyle::barStale() : chartstyle::bar());
    m_largestBar->setBrush(m_stale ? chartstyle::muted() : chartstyle::largest());
    m_selectedBars->setBrush(chartstyle::selected());
}

void LayerBarChart::applyScale() {
    auto format = formatter(m_unit);
    QCPAxis* y = yAxis();
    if (m_log) {
        y->setScaleType(QCPAxis::stLogarithmic);
        y->setTicker(QSharedPointer<UnitTicker<QCPAxisTickerLog>>::create(format));
    } else {
        y->setScaleType(QCPAxis::stLinear);
        y->setTicker(QSharedPointer<UnitTicker<QCPAxisTicker>>::create(format));
    }
    applyRange();
}

void LayerBarChart::fitToHeight(double plotPixels) {
    m_plotPixels = plotPixels;
    applyRange();
}

void LayerBarChart::applyRange() {
    double top = 0, smallest = 0;
    for (double v : m_values) {
        top = std::max(top, v);
        if (v > 0 && (smallest == 0 || v < smallest))
            smallest = v;
    }
    // Room above the largest bar for its label, in pixels, whatever the plot's height.
    const double headroom = QFontMetrics(m_largestText->font()).height() + 10;
    QCPAxis* y = yAxis();
    if (m_log) {
        // From a decade below the smallest bar to above the largest (room for its label).
        const double lo = smallest > 0 ? std::pow(10.0, std::floor(std::log10(smallest)) - 1) : 0.1;
        const double hi = top > 0 ? upperWithHeadroom(lo, top * 1.5, m_plotPixels, headroom, true) : 10;
        y->setRange(lo, hi);
        for (QCPBars* b : {m_bars, m_largestBar, m_selectedBars})
            b->setBaseValue(lo); // a bar from 0 has no bottom on a log axis
    } else {
        y->setRange(0, top > 0 ? upperWithHeadroom(0, top, m_plotPixels, headroom, false) : 1);
        for (QCPBars* b : {m_bars, m_largestBar, m_selectedBars})
            b->setBaseValue(0);
    }
}

QString LayerBarChart::valueText(double value, Unit unit) const {
    // The rounded figure for reading, then the exact one for checking against the CLI.
    const int64_t v = std::llround(value);
    if (unit == Unit::Microseconds)
        return shortText(value, unit);
    if (unit == Unit::Bytes)
        return shortText(value, unit) +
               QString::fromStdString(v < 1000 ? "" : " (" + core::groupDigits(v) + " B)");
    return shortText(value, unit) + QString::fromStdString(v < 1000 ? "" : " (" + core::groupDigits(v) + ")");
}

QString LayerBarChart::hoverText(int step, double) const {
    const LayerAxis* a = layerAxis();
    if (!a || !a->contains(step))
        return {};
    const auto i = static_cast<size_t>(step);
    QString t = a->names[i] + QStringLiteral("  (") + a->types[i] + QStringLiteral(", ") +
                QString::number(a->bits[i]) + tr("-bit)");
    if (!a->problems[i].isEmpty())
        return t + QLatin1Char('\n') + a->problems[i];
    if (std::isnan(m_values[i]))
        return t + QLatin1Char('\n') + tr("not measured");
    t += QLatin1Char('\n') + valueText(m_values[i], m_unit);
    if (i < m_detail.size())
        t += QLatin1Char('\n') + m_detailLabel + QStringLiteral(": ") + valueText(m_detail[i], m_detailUnit);
    if (step == m_largest)
        t += QLatin1Char('\n') + tr("largest in the network");
    if (m_stale)
        t += QLatin1Char('\n') + tr("stale: measured before the last edit");
    return t;
}

} // namespace nc::widgets
