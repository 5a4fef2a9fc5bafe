// ReceptiveFieldChart: field curves, reference line and scale.
#include "ReceptiveFieldChart.h"

#include "ChartStyle.h"
#include "UnitTicker.h"

#include "core/Format.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace nc::widgets {

namespace {

QCPGraph* makeCurve(QCustomPlot* p, const QPen& pen, const QString& name) {
    auto* g = new QCPGraph(p->xAxis, p->yAxis);
    g->setPen(pen);
    g->setName(name);
    g->setSelectable(QCP::stNone);
    g->setAdaptiveSampling(false); // a few hundred points; every step matters
    return g;
}

QString pixels(double v) {
    return QString::fromStdString(core::humanCount(std::llround(v)));
}

} // namespace

ReceptiveFieldChart::ReceptiveFieldChart(QWidget* parent) : ChartBase(tr("Receptive field"), parent) {
    QCustomPlot* p = plot();
    m_ref = makeCurve(p, QPen(chartstyle::reference(), 1.5, Qt::DashLine),
                      tr("stacked 3×3 convolutions: L·(k−1)+1"));
    m_h = makeCurve(p, QPen(chartstyle::fieldH(), 2), tr("this design"));
    m_h->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 3.5));
    m_w = makeCurve(p, QPen(chartstyle::fieldW(), 1.5, Qt::DotLine), tr("this design, width"));

    placeLegendBelowTitle(3);
    m_h->addToLegend();
    m_ref->addToLegend();

    setValueAxisLabel(tr("field (pixels)"));
    applyScale();
}

void ReceptiveFieldChart::setData(std::shared_ptr<const LayerAxis> axis, std::vector<double> fieldH,
                                  std::vector<double> fieldW, std::vector<double> reference,
                                  const QString& finalField) {
    m_fieldH = std::move(fieldH);
    m_fieldW = std::move(fieldW);
    m_reference = std::move(reference);
    setLayerAxis(std::move(axis));

    QVector<double> keys(static_cast<qsizetype>(m_fieldH.size()));
    std::iota(keys.begin(), keys.end(), 0.0);
    m_h->setData(keys, QVector<double>(m_fieldH.begin(), m_fieldH.end()), true);
    // Long schedules: per-point markers become a smear and antialiased strokes dominate the redraw
    // (11 ms at 1,000 layers); plain lines read the same.
    const bool dense = keys.size() > 300;
    m_h->setScatterStyle(QCPScatterStyle(dense ? QCPScatterStyle::ssNone : QCPScatterStyle::ssDisc, 3.5));
    for (QCPGraph* g : {m_h, m_ref, m_w})
        if (g)
            g->setAntialiased(!dense);
    m_ref->setData(keys, QVector<double>(m_reference.begin(), m_reference.end()), true);
    // A second curve only when some layer's field is not square; otherwise it would hide under the first.
    bool square = true;
    for (size_t i = 0; i < m_fieldH.size() && i < m_fieldW.size(); ++i)
        if (!std::isnan(m_fieldH[i]) && m_fieldH[i] != m_fieldW[i])
            square = false;
    m_w->setVisible(!square);
    if (square) {
        m_w->data()->clear();
        m_w->removeFromLegend();
        m_h->setName(tr("this design"));
    } else {
        m_w->setData(keys, QVector<double>(m_fieldW.begin(), m_fieldW.end()), true);
        if (!plot()->legend->hasItemWithPlottable(m_w))
            m_w->addToLegend();
        m_h->setName(tr("this design, height"));
    }
    setSubtitle(finalField.isEmpty() ? QString() : tr("final %1").arg(finalField));
    applyScale();
    requestReplot();
}

void ReceptiveFieldChart::setLogScale(bool on) {
    if (on == m_log)
        return;
    m_log = on;
    applyScale();
    requestReplot();
}

void ReceptiveFieldChart::applyScale() {
    double top = 1;
    for (const auto* v : {&m_fieldH, &m_fieldW, &m_reference})
        for (double x : *v)
            if (!std::isnan(x))
                top = std::max(top, x);
    QCPAxis* y = yAxis();
    if (m_log) {
        y->setScaleType(QCPAxis::stLogarithmic);
        y->setTicker(QSharedPointer<UnitTicker<QCPAxisTickerLog>>::create(&core::humanCount));
        y->setRange(0.8, top * 2);
    } else {
        y->setScaleType(QCPAxis::stLinear);
        y->setTicker(QSharedPointer<UnitTicker<QCPAxisTicker>>::create(&core::humanCount));
        y->setRange(0, top * 1.08);
    }
}

QString ReceptiveFieldChart::hoverText(int step, double) const {
    const LayerAxis* a = layerAxis();
    if (!a || !a->contains(step))
        return {};
    const auto i = static_cast<size_t>(step);
    QString t = a->names[i] + QStringLiteral("  (") + a->types[i] + QStringLiteral(")");
    if (!a->problems[i].isEmpty())
        return t + QLatin1Char('\n') + a->problems[i];
    if (std::isnan(m_fieldH[i]))
        t += QLatin1Char('\n') + tr("no spatial receptive field");
    else
        t += QLatin1Char('\n') +
             tr("receptive field: %1×%2 pixels").arg(pixels(m_fieldH[i]), pixels(m_fieldW[i]));
    t += QLatin1Char('\n') + tr("stacked 3×3 reference: %1").arg(pixels(m_reference[i]));
    return t;
}

} // namespace nc::widgets
