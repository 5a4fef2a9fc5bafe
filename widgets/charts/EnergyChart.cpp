// EnergyChart: stacked energy bars, their legend and hover text; EnergyView: the table row.
#include "EnergyChart.h"

#include "ChartStyle.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace nc::widgets {

namespace {

namespace E = core::energy;

QColor computeColour() { return QColor(0x4c, 0x78, 0xa8); }
QColor onChipColour() { return QColor(0xf2, 0xb4, 0x47); }
QColor offChipColour() { return QColor(0xd1, 0x49, 0x5b); }

QString pj(double v) { return QString::fromStdString(E::formatEnergy(v)); }

QCPBars* makeBars(QCustomPlot* p, const QColor& c, const QString& name)
{
    auto* b = new QCPBars(p->xAxis, p->yAxis);
    b->setWidth(0.8);
    b->setPen(Qt::NoPen);
    b->setBrush(c);
    b->setName(name);
    b->setAntialiased(false);
    b->setSelectable(QCP::stNone);
    return b;
}

// Energy axis ticks: QCPAxisTicker's numbers in pJ with a unit.
class EnergyTicker : public QCPAxisTicker {
protected:
    QString getTickLabel(double tick, const QLocale&, QChar, int) override
    {
        return tick == 0 ? QStringLiteral("0") : QString::fromStdString(E::formatEnergy(tick));
    }
};
class EnergyLogTicker : public QCPAxisTickerLog {
protected:
    QString getTickLabel(double tick, const QLocale&, QChar, int) override
    {
        return QString::fromStdString(E::formatEnergy(tick));
    }
};

} // namespace

EnergySeries EnergySeries::from(const core::energy::EnergyReport& r, size_t steps)
{
    EnergySeries s;
    s.compute.assign(steps, 0.0);
    s.onChip.assign(steps, 0.0);
    s.offChip.assign(steps, 0.0);
    for (size_t i = 0; i < r.layers.size() && i < steps; ++i) {
        s.compute[i] = r.layers[i].computePj;
        s.onChip[i] = r.layers[i].onChipPj;
        s.offChip[i] = r.layers[i].offChipPj;
    }
    s.totals = r.totals;
    s.ok = true;
    return s;
}

EnergyChart::EnergyChart(QWidget* parent) : ChartBase(tr("Energy per inference"), parent)
{
    QCustomPlot* p = plot();
    m_compute = makeBars(p, computeColour(), tr("compute (MACs)"));
    m_onChip = makeBars(p, onChipColour(), tr("on-chip memory (SRAM)"));
    m_offChip = makeBars(p, offChipColour(), tr("off-chip memory (DRAM)"));
    m_onChip->moveAbove(m_compute);
    m_offChip->moveAbove(m_onChip);
    m_selected = makeBars(p, Qt::transparent, QString());
    m_selected->setBrush(Qt::NoBrush);
    m_selected->setPen(QPen(chartstyle::selectedOutline(), 1.5));
    m_selected->setWidth(1.0);
    m_selected->removeFromLegend();

    placeLegendBelowTitle(3);

    m_compute->addToLegend();
    m_onChip->addToLegend();
    m_offChip->addToLegend();

    setValueAxisLabel(tr("energy"));
    applyScale();
}

void EnergyChart::setData(std::shared_ptr<const LayerAxis> axis, EnergySeries series)
{
    m_series = std::move(series);
    const size_t n = static_cast<size_t>(axis->size());
    for (auto* v : {&m_series.compute, &m_series.onChip, &m_series.offChip})
        v->resize(n, 0.0);
    setLayerAxis(std::move(axis));
    QVector<double> keys(static_cast<qsizetype>(n));
    for (size_t i = 0; i < n; ++i)
        keys[static_cast<qsizetype>(i)] = static_cast<double>(i);
    m_compute->setData(keys, QVector<double>(m_series.compute.begin(), m_series.compute.end()), true);
    m_onChip->setData(keys, QVector<double>(m_series.onChip.begin(), m_series.onChip.end()), true);
    m_offChip->setData(keys, QVector<double>(m_series.offChip.begin(), m_series.offChip.end()), true);
    highlightChanged();
    const double total = m_series.totals.totalPj();
    if (!m_series.ok)
        setSubtitle(m_series.problem);
    else if (total > 0)
        setSubtitle(tr("total %1 · data movement %2%")
                        .arg(pj(total))
                        .arg(std::lround(100.0 * (m_series.totals.onChipPj + m_series.totals.offChipPj) / total)));
    else
        setSubtitle({});
    applyScale();
    requestReplot();
}

void EnergyChart::setLogScale(bool on)
{
    if (on == m_log)
        return;
    m_log = on;
    applyScale();
    requestReplot();
}

void EnergyChart::applyScale()
{
    double top = 0, bottom = 0;
    for (size_t i = 0; i < m_series.compute.size(); ++i) {
        const double sum = m_series.compute[i] + m_series.onChip[i] + m_series.offChip[i];
        top = std::max(top, sum);
        for (double v : {m_series.compute[i], m_series.onChip[i], m_series.offChip[i]})
            if (v > 0)
                bottom = bottom == 0 ? v : std::min(bottom, v);
    }
    QCPAxis* y = yAxis();
    if (m_log) {
        // Stacked bars on a log axis stack in value, not in length: the lowest part keeps its own height.
        y->setScaleType(QCPAxis::stLogarithmic);
        y->setTicker(QSharedPointer<EnergyLogTicker>::create());
        y->setRange(std::max(bottom, 1e-3) / 2, std::max(top, 1.0) * 3);
    } else {
        y->setScaleType(QCPAxis::stLinear);
        y->setTicker(QSharedPointer<EnergyTicker>::create());
        y->setRange(0, std::max(top, 1.0) * 1.08);
    }
}

void EnergyChart::highlightChanged()
{
    // An outline around the whole stack of each selected layer, over the selection band ChartBase draws.
    QVector<double> keys, heights;
    for (int step : highlighted()) {
        const auto i = static_cast<size_t>(step);
        if (step < 0 || i >= m_series.compute.size())
            continue;
        keys.push_back(step);
        heights.push_back(m_series.compute[i] + m_series.onChip[i] + m_series.offChip[i]);
    }
    m_selected->setData(keys, heights);
    requestReplot();
}

QString EnergyChart::hoverText(int step, double) const
{
    const LayerAxis* a = layerAxis();
    if (!a || !a->contains(step))
        return {};
    const auto i = static_cast<size_t>(step);
    QString t = a->names[i] + QStringLiteral("  (") + a->types[i] + QStringLiteral(")");
    if (!a->problems[i].isEmpty())
        return t + QLatin1Char('\n') + a->problems[i];
    if (!m_series.ok)
        return t + QLatin1Char('\n') + m_series.problem;
    const double c = m_series.compute[i], on = m_series.onChip[i], off = m_series.offChip[i];
    const double sum = c + on + off;
    if (sum <= 0)
        return t + QLatin1Char('\n') + tr("no energy: moves and computes nothing");
    auto share = [&](double v) { return QString::number(std::lround(100.0 * v / sum)); };
    t += QLatin1Char('\n') + tr("total %1").arg(pj(sum));
    t += QLatin1Char('\n') + tr("compute %1 (%2%)").arg(pj(c), share(c));
    t += QLatin1Char('\n') + tr("on-chip %1 (%2%)").arg(pj(on), share(on));
    t += QLatin1Char('\n') + tr("off-chip %1 (%2%)").arg(pj(off), share(off));
    return t;
}

EnergyView::EnergyView(QWidget* parent) : QWidget(parent), m_presets(E::energyPresets()), m_table(m_presets.front())
{
    auto* col = new QVBoxLayout(this);
    col->setContentsMargins(0, 0, 0, 0);
    col->setSpacing(2);
    auto* row = new QHBoxLayout;
    row->setContentsMargins(4, 2, 4, 0);
    row->addWidget(new QLabel(tr("Energy table:"), this));
    m_tables = new QComboBox(this);
    for (const E::EnergyTable& t : m_presets)
        m_tables->addItem(QString::fromStdString(t.name));
    m_tables->addItem(tr("Load table…"));
    m_tables->setToolTip(QString::fromStdString(m_table.source));
    // The tab stack's minimum width is its widest page's: this row must not widen the charts dock.
    m_tables->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_tables->setMinimumContentsLength(14);
    row->addWidget(m_tables);
    auto* save = new QPushButton(tr("Save table…"), this);
    save->setToolTip(tr("Write the current table as JSON, to edit and load again"));
    row->addWidget(save);
    m_note = new QLabel(this);
    m_note->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_note->setWordWrap(true);
    m_note->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    row->addWidget(m_note, 1);
    col->addLayout(row);
    m_chart = new EnergyChart(this);
    col->addWidget(m_chart, 1);

    connect(m_tables, &QComboBox::activated, this, &EnergyView::onTableChosen);
    connect(save, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save energy table"), QStringLiteral("energy.json"),
                                                          tr("Energy tables (*.json)"));
        if (path.isEmpty())
            return;
        if (core::Status s = E::saveEnergyTable(m_table, path.toStdString()); !s)
            QMessageBox::warning(this, tr("Save energy table"), QString::fromStdString(s.error()));
    });
}

core::Status EnergyView::loadTable(const QString& path)
{
    auto t = E::loadEnergyTable(path.toStdString());
    if (!t)
        return core::Error{t.error()};
    m_table = *t;
    const int customIndex = static_cast<int>(m_presets.size());
    const QString label = tr("%1 (loaded)").arg(QString::fromStdString(m_table.name));
    if (m_hasCustom)
        m_tables->setItemText(customIndex, label);
    else
        m_tables->insertItem(customIndex, label);
    m_hasCustom = true;
    m_tables->setCurrentIndex(customIndex);
    m_tables->setToolTip(QString::fromStdString(m_table.source));
    emit tableChanged();
    return {};
}

void EnergyView::onTableChosen(int index)
{
    const int presets = static_cast<int>(m_presets.size());
    if (index < presets) {
        m_table = m_presets[static_cast<size_t>(index)];
        m_tables->setToolTip(QString::fromStdString(m_table.source));
        emit tableChanged();
        return;
    }
    if (m_hasCustom && index == presets)
        return; // the loaded table is already current
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Load energy table"), {}, tr("Energy tables (*.json)"));
    if (!path.isEmpty())
        if (core::Status s = loadTable(path); !s)
            QMessageBox::warning(this, tr("Load energy table"), QString::fromStdString(s.error()));
    // Back on the table in use when the dialog was cancelled or the file refused.
    int current = 0;
    for (int i = 0; i < presets; ++i)
        if (m_presets[static_cast<size_t>(i)].name == m_table.name && m_table.key != "custom")
            current = i;
    if (m_table.key == "custom")
        current = presets;
    m_tables->setCurrentIndex(current);
}

void EnergyView::update(const core::Network& net, const core::AnalysisResult& a, std::shared_ptr<const LayerAxis> axis,
                        int64_t onChipBytes)
{
    m_net = &net;
    m_analysis = &a;
    m_axis = std::move(axis);
    m_onChipBytes = onChipBytes;
    m_pending = true;
    if (isVisible())
        recompute();
}

void EnergyView::showEvent(QShowEvent* e)
{
    QWidget::showEvent(e);
    if (m_pending)
        recompute();
}

void EnergyView::recompute()
{
    if (!m_net || !m_analysis || !m_axis)
        return;
    m_pending = false;
    const int64_t onChipBytes = m_onChipBytes;
    E::EnergyOptions o;
    o.onChipBytes = onChipBytes;
    auto r = E::estimateEnergy(*m_net, *m_analysis, m_table, o);
    EnergySeries s;
    if (r) {
        s = EnergySeries::from(*r, static_cast<size_t>(m_axis->size()));
        m_note->setText(onChipBytes > 0 ? tr("activations of %1 layers in DRAM (over the budget)").arg(r->spilledLayers)
                                        : tr("no budget: activations on chip"));
        m_note->setToolTip(tr("Weights are read from DRAM once per inference; a layer whose step holds more "
                              "than the memory budget keeps its activations in DRAM too."));
    } else {
        s.problem = tr("no estimate: %1").arg(QString::fromStdString(r.error()));
        m_note->setText(s.problem);
    }
    m_chart->setData(m_axis, std::move(s));
}

} // namespace nc::widgets
