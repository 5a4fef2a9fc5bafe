// ChartBase: shared plot set-up, interaction, highlighting, export and replot policy.
#include "ChartBase.h"

#include "ChartStyle.h"
#include "LayerTicker.h"

#include <qcustomplot.h>

#include <QFileDialog>
#include <QFontMetrics>
#include <QMenu>
#include <QMouseEvent>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace nc::widgets {

namespace {
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
    // The stride of the name labels depends on the axis length; the last layout's is close enough
    // (it only differs on the first replot and right after a resize, which replots again).
    const double axisPixels =
        m_plot->axisRect()->width() > 0 ? m_plot->axisRect()->width() : m_plot->width() - 80;
    const QFontMetrics fm(m_plot->xAxis->tickLabelFont());
    m_ticker->setGeometry(axisPixels, fm.height() * 1.35);
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
    if (path.isEmpty())
        return;
    const core::Status s = pdf ? exportPdf(path) : exportPng(path);
    if (!s)
        QToolTip::showText(mapToGlobal(rect().center()), QString::fromStdString(s.error()), this);
}

QSize ChartBase::exportSize(int width, int height) const {
    // A chart that was never laid out has a placeholder size; give exports a readable default.
    const bool laidOut =
        m_plot->testAttribute(Qt::WA_WState_Visible) || m_plot->testAttribute(Qt::WA_Resized);
    const int w = width > 0 ? width : (laidOut && m_plot->width() >= 200 ? m_plot->width() : 900);
    const int h = height > 0 ? height : (laidOut && m_plot->height() >= 150 ? m_plot->height() : 500);
    return {w, h};
}

core::Status ChartBase::exportPng(const QString& path, int width, int height) {
    const QSize size = exportSize(width, height);
    if (!m_plot->savePng(path, size.width(), size.height()))
        return core::Error{"could not write PNG file \"" + path.toStdString() + "\""};
    return core::Status::success();
}

core::Status ChartBase::exportPdf(const QString& path, int width, int height) {
    const QSize size = exportSize(width, height);
    if (!m_plot->savePdf(path, size.width(), size.height(), QCP::epAllowCosmetic, QStringLiteral("NetCanvas"),
                         titleText()))
        return core::Error{"could not write PDF file \"" + path.toStdString() + "\""};
    return core::Status::success();
}

} // namespace nc::widgets
