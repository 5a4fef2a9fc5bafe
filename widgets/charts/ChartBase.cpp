// ChartBase: shared plot set-up, interaction, highlighting, export and replot policy.
#include "ChartBase.h"

#include "ChartStyle.h"
#include "LayerTicker.h"

#include <qcustomplot.h>

#include <QFileDialog>
#include <QInputDialog>
#include <QRegularExpression>
#include <QFontMetrics>
#include <QMenu>
#include <QMouseEvent>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <utility>

namespace nc::widgets {

namespace {
// The data area of a plot of `size` before it was laid out: less the value labels on the left, the
// title, legend and rotated layer names above and below.
QSize estimatedArea(QSize size) {
    return {std::max(size.width() - 90, 1), std::max(size.height() - 190, 1)};
}
// A press and release closer than this (Manhattan pixels) is a click, farther apart a pan.
constexpr int kClickSlop = 4;
// Fewest columns a zoom may show: closer than this, bars become wider than they are informative.
constexpr double kMinColumns = 5;
// Highlight bands drawn at most; a select-all would otherwise add one item per layer for no gain.
constexpr size_t kMaxBands = 64;
} // namespace

ChartBase::ChartBase(const QString& title, QWidget* parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_ticker(new LayerTicker), m_title(title) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);

    // Cached tick labels and no antialiasing while panning keep a 180-column replot to a few ms.
    m_plot->setPlottingHint(QCP::phCacheLabels, true);
    m_plot->setNoAntialiasingOnDrag(true);
    m_plot->setAutoAddPlottableToLegend(false);
    m_plot->setBackground(Qt::white);

    QFont titleFont = font();
    titleFont.setPointSize(chartstyle::kTitlePointSize);
    titleFont.setBold(true);
    m_titleElement = new QCPTextElement(m_plot, title, titleFont);
    m_titleElement->setTextColor(chartstyle::text());
    m_titleElement->setTextFlags(Qt::AlignLeft | Qt::AlignVCenter);
    m_titleElement->setMargins(QMargins(8, 4, 8, 0));
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(0, 0, m_titleElement);

    QFont tickFont = font();
    tickFont.setPointSize(chartstyle::kTickPointSize);
    for (QCPAxis* a : {m_plot->xAxis, m_plot->yAxis}) {
        a->setTickLabelFont(tickFont);
        a->setTickLabelColor(chartstyle::text());
        a->setLabelColor(chartstyle::text());
        a->setBasePen(QPen(chartstyle::muted()));
        a->setTickPen(QPen(chartstyle::muted()));
        a->setSubTickPen(QPen(chartstyle::muted()));
        a->grid()->setPen(QPen(chartstyle::grid()));
    }
    m_plot->xAxis->setTicker(m_ticker);
    m_ticker->setLabelFont(tickFont, LayerTicker::kMaxLabelPixels);
    m_plot->xAxis->setTickLabelRotation(-90);
    m_plot->xAxis->setSubTicks(false);
    m_plot->xAxis->grid()->setVisible(false);
    m_plot->xAxis->setRange(-0.5, 0.5);

    // Pan and zoom along the schedule only: the value axis always fits the data.
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);

    connect(m_plot, &QCustomPlot::mousePress, this, &ChartBase::onMousePress);
    connect(m_plot, &QCustomPlot::mouseRelease, this, &ChartBase::onMouseRelease);
    connect(m_plot, &QCustomPlot::mouseMove, this, &ChartBase::onMouseMove);
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, &ChartBase::resetZoom);
    connect(m_plot, &QCustomPlot::beforeReplot, this, &ChartBase::onBeforeReplot);
    connect(m_plot, &QCustomPlot::afterLayout, this, &ChartBase::onAfterLayout);
    setMinimumSize(kMinWidth, kMinHeight);
    connect(m_plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
            &ChartBase::onRangeChanged);
    m_plot->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_plot, &QWidget::customContextMenuRequested, this, &ChartBase::showContextMenu);
}

ChartBase::~ChartBase() = default;

QCPAxis* ChartBase::xAxis() const {
    return m_plot->xAxis;
}
QCPAxis* ChartBase::yAxis() const {
    return m_plot->yAxis;
}

void ChartBase::placeLegendBelowTitle(int wrap, QSize iconSize, int columnSpacing)
{
    QCustomPlot* p = plot();
    QFont note = font();
    note.setPointSize(chartstyle::kNotePointSize);
    p->legend->setVisible(true);
    p->legend->setFont(note);
    p->legend->setBorderPen(Qt::NoPen);
    p->legend->setIconSize(iconSize);
    p->legend->setRowSpacing(0);
    p->legend->setColumnSpacing(columnSpacing);
    p->axisRect()->insetLayout()->take(p->legend);
    p->plotLayout()->insertRow(1);
    p->plotLayout()->addElement(1, 0, p->legend);
    p->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    p->legend->setWrap(wrap);
    // Title and legend rows take only the height they need; the data area gets the rest.
    p->plotLayout()->setRowStretchFactor(0, 0.001);
    p->plotLayout()->setRowStretchFactor(1, 0.001);
}

void ChartBase::setValueAxisLabel(const QString& label)
{
    yAxis()->setLabel(label);
    QFont lf = font();
    lf.setPointSize(chartstyle::kTickPointSize);
    yAxis()->setLabelFont(lf);
}

void ChartBase::setSubtitle(const QString& text) {
    m_subtitle = text;
    m_titleElement->setText(titleText());
}

QString ChartBase::titleText() const {
    return m_subtitle.isEmpty() ? m_title : m_title + QStringLiteral("  ·  ") + m_subtitle;
}

void ChartBase::setLayerAxis(std::shared_ptr<const LayerAxis> axis) {
    const int oldSize = m_axis ? m_axis->size() : -1;
    m_axis = std::move(axis);
    m_ticker->setAxis(m_axis);
    if (m_axis->size() != oldSize)
        resetZoom();
}

void ChartBase::resetZoom() {
    const int n = m_axis ? m_axis->size() : 0;
    m_plot->xAxis->setRange(-0.5, std::max(n, 1) - 0.5);
    requestReplot();
}

void ChartBase::onRangeChanged(const QCPRange& range) {
    // Keep pans and zooms inside the schedule, and never closer than a few columns.
    const double lo = -0.5, hi = std::max(m_axis ? m_axis->size() : 0, 1) - 0.5;
    QCPRange r = range;
    const double minSize = std::min(kMinColumns, hi - lo);
    if (r.size() < minSize)
        r = QCPRange(r.center() - minSize / 2, r.center() + minSize / 2);
    if (r.size() > hi - lo)
        r = QCPRange(lo, hi);
    if (r.lower < lo)
        r += lo - r.lower;
    if (r.upper > hi)
        r -= r.upper - hi;
    if (r.lower != range.lower || r.upper != range.upper)
        m_plot->xAxis->setRange(r);
}

void ChartBase::onBeforeReplot() {
    // Label strides, tick counts and headroom depend on the data area's size, which the layout only
    // knows after this replot has begun: use the last layout's (onAfterLayout replots again when
    // it moved), or an estimate before the first.
    const QRect r = m_plot->axisRect()->rect();
    prepareFor(r.width() > 0 && r.height() > 0 ? r.size() : estimatedArea(m_plot->size()));
}

void ChartBase::prepareFor(QSize area) {
    m_assumedRect = area;
    const QFontMetrics fm(m_plot->xAxis->tickLabelFont());
    m_ticker->setGeometry(std::max(area.width(), 1), fm.height() * 1.35);
    fitToHeight(std::max(area.height(), 1)); // may install a new value ticker: tick count after it
    // Value labels at least two and a half lines apart, so they never touch.
    const int yTicks = std::clamp(static_cast<int>(area.height() / (fm.height() * 2.5)), 2, 8);
    m_plot->yAxis->ticker()->setTickCount(yTicks);
}

void ChartBase::onAfterLayout() {
    const QSize now = m_plot->axisRect()->rect().size();
    if (std::abs(now.width() - m_assumedRect.width()) > 2 ||
        std::abs(now.height() - m_assumedRect.height()) > 2) {
        m_relayout = true;
        m_plot->replot(QCustomPlot::rpQueuedReplot); // runs once this replot has finished
    }
}

double ChartBase::upperWithHeadroom(double bottom, double top, double plotPixels, double headroom, bool log) {
    // The data may use at most (plotPixels − headroom) of the height; when the plot is too short for
    // that, half of it, so the bars stay visible and the label overlaps the title margin a little.
    const double share = std::max(0.5, 1.0 - headroom / std::max(plotPixels, 1.0));
    if (!log)
        return bottom + (top - bottom) / share;
    const double lb = std::log10(bottom), lt = std::log10(top);
    return std::pow(10.0, lb + (lt - lb) / share);
}

void ChartBase::setHighlighted(std::vector<int> steps, bool reveal) {
    m_highlighted = std::move(steps);
    if (reveal && !m_highlighted.empty() && m_axis && m_axis->contains(m_highlighted.front())) {
        const double s = m_highlighted.front();
        const QCPRange r = m_plot->xAxis->range();
        if (s < r.lower + 0.5 || s > r.upper - 0.5)
            m_plot->xAxis->setRange(s - r.size() / 2, s + r.size() / 2); // onRangeChanged clamps
    }
    rebuildBands();
    highlightChanged();
    requestReplot();
}

void ChartBase::rebuildBands() {
    for (QCPAbstractItem* item : m_bands)
        m_plot->removeItem(item);
    m_bands.clear();
    for (int step : m_highlighted) {
        if (m_bands.size() >= kMaxBands || !m_axis || !m_axis->contains(step))
            continue;
        // A full-height band, so a selected layer is visible even where its bar is too small to see.
        auto* band = new QCPItemRect(m_plot);
        band->setLayer(QStringLiteral("background"));
        band->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
        band->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
        band->topLeft->setCoords(step - 0.5, 0);
        band->bottomRight->setCoords(step + 0.5, 1);
        band->setPen(Qt::NoPen);
        band->setBrush(chartstyle::selectedBand());
        band->setSelectable(false);
        m_bands.push_back(band);
    }
}

void ChartBase::requestReplot() {
    if (!isVisible()) {
        m_replotPending = true;
        return;
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ChartBase::replotNow(bool force) {
    if (!force && !isVisible()) {
        m_replotPending = true;
        return;
    }
    m_replotPending = false;
    m_relayout = false;
    m_plot->replot(QCustomPlot::rpImmediateRefresh);
    if (std::exchange(m_relayout, false))
        m_plot->replot(QCustomPlot::rpImmediateRefresh);
}

void ChartBase::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (m_replotPending) {
        m_replotPending = false;
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

QPoint ChartBase::pixelFor(int step, double value) const {
    const double x = m_plot->xAxis->coordToPixel(step);
    const double y = m_plot->yAxis->coordToPixel(value);
    return m_plot->mapTo(this, QPoint(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y))));
}

int ChartBase::stepAt(QPoint pixel) const {
    const QPoint p = m_plot->mapFrom(this, pixel);
    if (!m_axis || !m_plot->axisRect()->rect().contains(p))
        return -1;
    const int step = static_cast<int>(std::lround(m_plot->xAxis->pixelToCoord(p.x())));
    return m_axis->contains(step) ? step : -1;
}

void ChartBase::onMousePress(QMouseEvent* event) {
    m_pressed = event->button() == Qt::LeftButton;
    m_pressPos = event->position().toPoint();
}

void ChartBase::onMouseRelease(QMouseEvent* event) {
    if (!m_pressed || event->button() != Qt::LeftButton)
        return;
    m_pressed = false;
    const QPoint pos = event->position().toPoint();
    if ((pos - m_pressPos).manhattanLength() > kClickSlop)
        return; // a pan, not a click
    const int step = stepAt(m_plot->mapTo(this, pos));
    if (step >= 0)
        emit stepClicked(step, event->modifiers().testFlag(Qt::ControlModifier));
}

void ChartBase::onMouseMove(QMouseEvent* event) {
    if (event->buttons() != Qt::NoButton)
        return; // panning
    const QPoint pos = event->position().toPoint();
    const int step = stepAt(m_plot->mapTo(this, pos));
    if (step < 0) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(),
                       hoverText(step, m_plot->yAxis->pixelToCoord(pos.y())), m_plot);
}

void ChartBase::showContextMenu(const QPoint& pos) {
    QMenu menu(this);
    menu.addAction(tr("Export as PNG…"), this, [this] { exportInteractively(false); });
    menu.addAction(tr("Export as PDF…"), this, [this] { exportInteractively(true); });
    menu.addSeparator();
    menu.addAction(tr("Show all layers"), this, &ChartBase::resetZoom);
    menu.exec(m_plot->mapToGlobal(pos));
}

void ChartBase::exportInteractively(bool pdf) {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export %1").arg(m_title), m_title + (pdf ? ".pdf" : ".png"),
                                     pdf ? tr("PDF (*.pdf)") : tr("PNG image (*.png)"));
    QSize size(kExportWidth, kExportHeight);
    if (path.isEmpty() || !askExportSize(this, size))
        return;
    const core::Status s = pdf ? exportPdf(path, size.width(), size.height())
                               : exportPng(path, size.width(), size.height());
    if (!s)
        QToolTip::showText(mapToGlobal(rect().center()), QString::fromStdString(s.error()), this);
}

bool ChartBase::askExportSize(QWidget* parent, QSize& size) {
    static const QRegularExpression re(QStringLiteral(R"(^\s*(\d{2,5})\s*[x×*,]\s*(\d{2,5})\s*$)"));
    QString text = QStringLiteral("%1 × %2").arg(size.width()).arg(size.height());
    for (;;) {
        bool ok = false;
        text = QInputDialog::getText(parent, tr("Export size"), tr("Width × height in pixels:"),
                                     QLineEdit::Normal, text, &ok);
        if (!ok)
            return false;
        const auto m = re.match(text);
        const QSize chosen = m.hasMatch() ? QSize(m.captured(1).toInt(), m.captured(2).toInt()) : QSize();
        if (chosen.width() >= 200 && chosen.height() >= 150 && chosen.width() <= 10000 &&
            chosen.height() <= 10000) {
            size = chosen;
            return true;
        }
    }
}

QSize ChartBase::exportSize(int width, int height) const {
    // The on-screen size of a docked chart (990×282) is too small for a slide: export at a fixed,
    // readable size unless one is asked for.
    return {width > 0 ? width : kExportWidth, height > 0 ? height : kExportHeight};
}

core::Status ChartBase::exportPng(const QString& path, int width, int height) {
    const QSize size = exportSize(width, height);
    prepareFor(estimatedArea(size));
    requestReplot(); // back to the on-screen geometry afterwards
    if (!m_plot->savePng(path, size.width(), size.height()))
        return core::Error{"could not write PNG file \"" + path.toStdString() + "\""};
    return core::Status::success();
}

core::Status ChartBase::exportPdf(const QString& path, int width, int height) {
    const QSize size = exportSize(width, height);
    prepareFor(estimatedArea(size));
    requestReplot();
    if (!m_plot->savePdf(path, size.width(), size.height(), QCP::epAllowCosmetic, QStringLiteral("NetCanvas"),
                         titleText()))
        return core::Error{"could not write PDF file \"" + path.toStdString() + "\""};
    return core::Status::success();
}

} // namespace nc::widgets
