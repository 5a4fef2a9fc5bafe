#include "CompareChart.h"

#include "core/Format.h"
#include "widgets/charts/ChartStyle.h"

#include <qcustomplot.h>

#include <QToolTip>
#include <QVBoxLayout>

#include <cmath>

namespace nc::widgets {

CompareChart::CompareChart(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_plot->setPlottingHint(QCP::phCacheLabels, true);
    m_plot->setNoAntialiasingOnDrag(true);
    m_plot->setAutoAddPlottableToLegend(false);
    m_plot->setBackground(Qt::white);

    QFont titleFont = font();
    titleFont.setPointSize(chartstyle::kTitlePointSize);
    titleFont.setBold(true);
    m_title = new QCPTextElement(m_plot, QString(), titleFont);
    m_title->setTextColor(chartstyle::text());
    m_title->setTextFlags(Qt::AlignLeft | Qt::AlignVCenter);
    m_title->setMargins(QMargins(8, 4, 8, 0));
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(0, 0, m_title);

    QFont tickFont = font();
    tickFont.setPointSize(chartstyle::kTickPointSize);
    for (QCPAxis* a : {m_plot->xAxis, m_plot->yAxis}) {
        a->setTickLabelFont(tickFont);
        a->setTickLabelColor(chartstyle::text());
        a->setLabelColor(chartstyle::text());
        a->setLabelFont(tickFont);
        a->setBasePen(QPen(chartstyle::muted()));
        a->setTickPen(QPen(chartstyle::muted()));
        a->setSubTickPen(QPen(chartstyle::muted()));
        a->grid()->setPen(QPen(chartstyle::grid()));
    }
    m_plot->xAxis->grid()->setVisible(false);
    m_plot->xAxis->setLabel(tr("aligned layer row"));
    m_plot->yAxis->setNumberFormat("gb");
    m_plot->yAxis->setNumberPrecision(3);

    m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_bars->setWidth(0.8);
    m_bars->setPen(Qt::NoPen);
    m_selectedBar = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_selectedBar->setWidth(0.8);
    m_selectedBar->setBrush(chartstyle::selected());
    m_selectedBar->setPen(QPen(chartstyle::selectedOutline()));

    // Pan and zoom along the rows only; the value axis always fits the data.
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    connect(m_plot, &QCustomPlot::mousePress, this, &CompareChart::onPress);
    connect(m_plot, &QCustomPlot::mouseMove, this, &CompareChart::onMove);
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, &CompareChart::showAllRows);
    connect(m_plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
            [this](const QCPRange& r) {
                if (!m_settingRange)
                    emit xRangeChanged(r.lower, r.upper);
            });
    setMinimumSize(320, 160);
}

void CompareChart::setData(const QString& title, std::vector<double> values, std::vector<QString> names,
                           Unit unit, const QColor& colour)
{
    const bool sameRows = values.size() == m_values.size();
    m_values = std::move(values);
    m_names = std::move(names);
    m_unit = unit;
    m_title->setText(title);
    m_bars->setBrush(colour);
    QVector<double> keys, vals;
    keys.reserve(int(m_values.size()));
    vals.reserve(int(m_values.size()));
    double top = 0;
    for (size_t i = 0; i < m_values.size(); ++i)
        if (std::isfinite(m_values[i])) {
            keys.push_back(double(i));
            vals.push_back(m_values[i]);
            top = std::max(top, m_values[i]);
        }
    m_bars->setData(keys, vals, true);
    m_plot->yAxis->setRange(0, top > 0 ? top * 1.08 : 1);
    if (m_selected >= rowCount())
        m_selected = -1;
    setSelectedRow(m_selected);
    if (!sameRows)
        showAllRows();
    requestReplot();
}

void CompareChart::setSelectedRow(int row)
{
    m_selected = row >= 0 && row < rowCount() ? row : -1;
    if (m_selected >= 0 && std::isfinite(m_values[size_t(m_selected)]))
        m_selectedBar->setData(QVector<double>{double(m_selected)},
                               QVector<double>{m_values[size_t(m_selected)]}, true);
    else
        m_selectedBar->data()->clear();
    requestReplot();
}

void CompareChart::setXRange(double lower, double upper)
{
    m_settingRange = true;
    m_plot->xAxis->setRange(lower, upper);
    m_settingRange = false;
    requestReplot();
}

void CompareChart::showAllRows()
{
    m_plot->xAxis->setRange(-0.5, std::max(0.5, double(rowCount()) - 0.5));
    requestReplot();
}

void CompareChart::requestReplot()
{
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CompareChart::replotNow()
{
    m_plot->replot(QCustomPlot::rpImmediateRefresh);
}

QString CompareChart::title() const
{
    return m_title->text();
}

QPoint CompareChart::pixelForRow(int row) const
{
    double v =
        row >= 0 && row < rowCount() && std::isfinite(m_values[size_t(row)]) ? m_values[size_t(row)] / 2 : 0;
    const double x = m_plot->xAxis->coordToPixel(row);
    const double y = m_plot->yAxis->coordToPixel(v);
    return m_plot->mapTo(this, QPoint(int(std::lround(x)), int(std::lround(y))));
}

int CompareChart::rowAt(QPoint pixel) const
{
    const QPoint p = m_plot->mapFrom(this, pixel);
    if (!m_plot->axisRect()->rect().contains(p))
        return -1;
    const int row = int(std::lround(m_plot->xAxis->pixelToCoord(p.x())));
    return row >= 0 && row < rowCount() ? row : -1;
}

QString CompareChart::valueText(double v) const
{
    if (m_unit == Unit::Bytes)
        return QString::fromStdString(core::humanBytes(std::llround(v)) + " (" +
                                      core::groupDigits(std::llround(v)) + " B)");
    return QString::fromStdString(core::groupDigits(std::llround(v)));
}

QString CompareChart::hoverText(int row) const
{
    if (row < 0 || row >= rowCount())
        return {};
    if (!std::isfinite(m_values[size_t(row)]))
        return tr("row %1: no counterpart in this design").arg(row);
    return tr("%1\n%2").arg(m_names[size_t(row)], valueText(m_values[size_t(row)]));
}

void CompareChart::onPress(QMouseEvent* e)
{
    if (e->button() != Qt::LeftButton)
        return;
    const int row = rowAt(m_plot->mapTo(this, e->position().toPoint()));
    if (row >= 0)
        emit rowClicked(row);
}

void CompareChart::onMove(QMouseEvent* e)
{
    const QPoint p = e->position().toPoint();
    const int row = rowAt(m_plot->mapTo(this, p));
    if (row < 0) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(m_plot->mapToGlobal(p), hoverText(row), m_plot);
}

} // namespace nc::widgets
