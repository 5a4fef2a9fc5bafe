// ArenaChart: rectangles through StackedBlocks, tooltips and click-to-select.
#include "ArenaChart.h"

#include "StackedBlocks.h"
#include "UnitTicker.h"

#include "core/Format.h"

#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>

namespace nc::widgets {

namespace {
enum Kind { Tensor = 0, Scratch = 1, Selected = 2 };
}

ArenaChart::ArenaChart(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_blocks = new StackedBlocks(m_plot->xAxis, m_plot->yAxis);
    m_blocks->setColours({QColor(0x4c, 0x78, 0xa8), QColor(0xf5, 0x85, 0x18), QColor(0xe4, 0x57, 0x56)});
    m_plot->xAxis->setLabel(tr("step of the schedule"));
    m_plot->yAxis->setLabel(tr("arena offset"));
    // Binary units, like the budget the arena is compared with ("256 KiB").
    m_plot->yAxis->setTicker(QSharedPointer<BinaryByteTicker>::create(&core::humanBinaryBytes));
    m_arenaLine = new QCPItemStraightLine(m_plot);
    m_arenaLine->setPen(QPen(Qt::black, 1, Qt::SolidLine));
    m_boundLine = new QCPItemStraightLine(m_plot);
    m_boundLine->setPen(QPen(QColor(0x54, 0xa2, 0x4b), 1, Qt::DashLine));
    // The two lines are named where they end, so the chart reads without the summary beside it.
    for (QCPItemText** t : {&m_arenaText, &m_boundText}) {
        *t = new QCPItemText(m_plot);
        (*t)->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
        (*t)->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
        (*t)->position->setTypeY(QCPItemPosition::ptPlotCoords);
        (*t)->setClipToAxisRect(true);
    }
    m_boundText->setColor(QColor(0x2f, 0x6e, 0x2a));
    m_boundText->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
    setMouseTracking(true);
    m_plot->setMouseTracking(true);
    connect(m_plot, &QCustomPlot::mouseMove, this, &ArenaChart::onMouseMove);
    connect(m_plot, &QCustomPlot::mousePress, this, &ArenaChart::onMousePress);
    connect(m_plot, &QCustomPlot::mouseRelease, this, &ArenaChart::onMouseRelease);
}

void ArenaChart::setData(std::vector<Rect> rects, int steps, int64_t arenaBytes, int64_t lowerBoundBytes)
{
    m_rects = std::move(rects);
    m_steps = steps;
    m_arena = arenaBytes;
    m_bound = lowerBoundBytes;
    rebuild();
}

void ArenaChart::setSelected(const std::vector<core::NodeId>& nodes)
{
    m_selected = nodes;
    rebuild();
}

bool ArenaChart::isHighlighted(int rect) const
{
    return rect >= 0 && rect < static_cast<int>(m_rects.size()) &&
           std::find(m_selected.begin(), m_selected.end(), m_rects[static_cast<size_t>(rect)].node) != m_selected.end();
}

void ArenaChart::rebuild()
{
    std::vector<StackedBlocks::Block> blocks;
    blocks.reserve(m_rects.size());
    for (size_t i = 0; i < m_rects.size(); ++i) {
        const Rect& r = m_rects[i];
        int kind = isHighlighted(static_cast<int>(i)) ? Selected : r.scratch ? Scratch : Tensor;
        blocks.push_back({r.firstStep - 0.45, r.lastStep + 0.45, static_cast<double>(r.offset),
                          static_cast<double>(r.offset + r.bytes), kind, static_cast<int>(i)});
    }
    m_blocks->setBlocks(std::move(blocks));
    m_arenaLine->point1->setCoords(0, static_cast<double>(m_arena));
    m_arenaLine->point2->setCoords(1, static_cast<double>(m_arena));
    m_boundLine->point1->setCoords(0, static_cast<double>(m_bound));
    m_boundLine->point2->setCoords(1, static_cast<double>(m_bound));
    m_arenaText->setText(tr("arena %1").arg(QString::fromStdString(core::humanBinaryBytes(m_arena))));
    m_arenaText->position->setCoords(0.99, static_cast<double>(m_arena));
    m_boundText->setText(tr("lower bound %1").arg(QString::fromStdString(core::humanBinaryBytes(m_bound))));
    m_boundText->position->setCoords(0.99, static_cast<double>(m_bound));
    // When the arena meets its bound the two names would overlap: one line, one name.
    m_boundText->setVisible(m_bound != m_arena);
    if (m_bound == m_arena)
        m_arenaText->setText(tr("arena %1 = lower bound").arg(QString::fromStdString(core::humanBinaryBytes(m_arena))));
    m_plot->xAxis->setRange(-0.5, std::max(1, m_steps) - 0.5);
    m_plot->yAxis->setRange(0, std::max<double>(1.0, static_cast<double>(m_arena) * 1.12));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

int ArenaChart::rectAt(QPoint pixel) const
{
    const double key = m_plot->xAxis->pixelToCoord(pixel.x()), value = m_plot->yAxis->pixelToCoord(pixel.y());
    int b = m_blocks->blockAt(key, value);
    return b < 0 ? -1 : m_blocks->blocks()[static_cast<size_t>(b)].tag;
}

QPoint ArenaChart::pixelFor(int rect) const
{
    const Rect& r = m_rects[static_cast<size_t>(rect)];
    const double key = (r.firstStep + r.lastStep) / 2.0;
    const double value = static_cast<double>(r.offset) + static_cast<double>(r.bytes) / 2.0;
    return {static_cast<int>(m_plot->xAxis->coordToPixel(key)), static_cast<int>(m_plot->yAxis->coordToPixel(value))};
}

QString ArenaChart::hoverText(int rect) const
{
    if (rect < 0 || rect >= static_cast<int>(m_rects.size()))
        return {};
    const Rect& r = m_rects[static_cast<size_t>(rect)];
    return tr("%1%2\n%3 B at offset %4\nsteps %5–%6")
        .arg(r.layer, r.scratch ? tr(" (scratch)") : QString())
        .arg(QString::fromStdString(core::groupDigits(r.bytes)), QString::fromStdString(core::groupDigits(r.offset)))
        .arg(r.firstStep)
        .arg(r.lastStep);
}

void ArenaChart::onMouseMove(QMouseEvent* event)
{
    const int r = rectAt(event->pos());
    if (r >= 0)
        QToolTip::showText(event->globalPosition().toPoint(), hoverText(r), m_plot);
    else
        QToolTip::hideText();
}

void ArenaChart::onMousePress(QMouseEvent* event) { m_pressPos = event->pos(); }

void ArenaChart::onMouseRelease(QMouseEvent* event)
{
    if ((event->pos() - m_pressPos).manhattanLength() > 4)
        return; // a drag, not a click
    const int r = rectAt(event->pos());
    if (r >= 0)
        emit layerClicked(m_rects[static_cast<size_t>(r)].node);
}

} // namespace nc::widgets
