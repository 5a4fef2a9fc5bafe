// MemoryTimelineChart: stacking the live tensors, the peak marker and the budget line.
#include "MemoryTimelineChart.h"

#include "ChartStyle.h"
#include "StackedBlocks.h"
#include "UnitTicker.h"

#include "core/Format.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace nc::widgets {

namespace {

// A budget farther above the peak than this is drawn as a note, not a line: scaling the axis to a
// 16 GB GPU would flatten a 3 MB network to nothing. Up to it (a 256 KiB MCU budget over a 64 KB
// network) the line is worth the squeeze: it shows the headroom.
constexpr double kBudgetOnScaleFactor = 6.0;

QCPBars* legendSwatch(QCustomPlot* plot, const QString& name, const QColor& colour) {
    // Legend entries only (no data): the stacked blocks are one plottable with several colours.
    auto* b = new QCPBars(plot->xAxis, plot->yAxis);
    b->setName(name);
    b->setPen(Qt::NoPen);
    b->setBrush(colour);
    b->setSelectable(QCP::stNone);
    b->addToLegend();
    return b;
}

QString bytesText(int64_t v) {
    return QString::fromStdString(core::humanBytes(v) +
                                  (v < 1000 ? "" : " (" + core::groupDigits(v) + " B)"));
}

} // namespace

MemoryTimelineChart::MemoryTimelineChart(QWidget* parent) : ChartBase(tr("Memory timeline"), parent) {
    QCustomPlot* p = plot();
    QFont note = font();
    note.setPointSize(chartstyle::kNotePointSize);

    m_blocks = new StackedBlocks(p->xAxis, p->yAxis);
    m_blocks->setColours({chartstyle::tensorNew(), chartstyle::tensorHeld(), chartstyle::tensorLastRead(),
                          chartstyle::workspace()});

    m_overBars = new QCPBars(p->xAxis, p->yAxis);
    m_overBars->setWidth(1.0);
    m_overBars->setPen(Qt::NoPen);
    m_overBars->setBrush(chartstyle::overBudget());
    m_overBars->setAntialiased(false);
    m_overBars->setSelectable(QCP::stNone);
    m_overBars->setName(tr("over budget"));

    m_live = new QCPGraph(p->xAxis, p->yAxis);
    m_live->setLineStyle(QCPGraph::lsStepCenter);
    // A one-pixel cosmetic, non-antialiased step line: Qt's raster engine strokes a long antialiased
    // wide polyline as one self-intersecting polygon, which cost 150 ms for 1,000 steps.
    QPen livePen(chartstyle::liveLine(), 1);
    livePen.setCosmetic(true);
    m_live->setPen(livePen);
    m_live->setAntialiased(false);
    m_live->setSelectable(QCP::stNone);
    m_live->setName(tr("live memory"));

    m_peakPoint = new QCPGraph(p->xAxis, p->yAxis);
    m_peakPoint->setLineStyle(QCPGraph::lsNone);
    m_peakPoint->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(Qt::white, 1), chartstyle::peak(), 11));
    m_peakPoint->setSelectable(QCP::stNone);

    m_peakLine = new QCPItemStraightLine(p);
    m_peakLine->setPen(QPen(chartstyle::peak(), 1, Qt::DashLine));
    m_peakLine->setSelectable(false);
    m_peakAnchor = new QCPItemTracer(p);
    m_peakAnchor->setStyle(QCPItemTracer::tsNone);
    m_peakAnchor->setSelectable(false);
    m_peakLabel = new QCPItemText(p);
    m_peakLabel->position->setParentAnchor(m_peakAnchor->position); // coords become a pixel offset
    QFont bold = note;
    bold.setBold(true);
    m_peakLabel->setFont(bold);
    m_peakLabel->setColor(chartstyle::peak());
    m_peakLabel->setBrush(QColor(255, 255, 255, 220));
    m_peakLabel->setPadding(QMargins(4, 1, 4, 1));
    m_peakLabel->setSelectable(false);

    m_budgetLine = new QCPItemStraightLine(p);
    m_budgetLine->setPen(QPen(chartstyle::budget(), 1.5, Qt::DashLine));
    m_budgetLine->setSelectable(false);
    m_budgetLabel = new QCPItemText(p);
    m_budgetLabel->setFont(note);
    m_budgetLabel->setColor(chartstyle::budget());
    m_budgetLabel->setBrush(QColor(255, 255, 255, 220));
    m_budgetLabel->setPadding(QMargins(4, 1, 4, 1));
    m_budgetLabel->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    m_budgetLabel->setSelectable(false);

    // Legend in its own row under the title, so it never covers the stack.
    placeLegendBelowTitle(6, QSize(12, 9), 10);
    // Short names, all in one row, so the stack keeps its height; the hover text tells the whole story.
    legendSwatch(p, tr("new output"), chartstyle::tensorNew());
    legendSwatch(p, tr("held for later"), chartstyle::tensorHeld());
    legendSwatch(p, tr("last read"), chartstyle::tensorLastRead());
    m_workspaceSwatch = legendSwatch(p, tr("workspace"), chartstyle::workspace());
    m_overBars->addToLegend();
    m_live->addToLegend();

    yAxis()->setTicker(QSharedPointer<UnitTicker<QCPAxisTicker>>::create(&core::humanBytes));
    setValueAxisLabel(tr("live bytes"));
    applyBudget();
}

void MemoryTimelineChart::setData(std::shared_ptr<const LayerAxis> axis, std::vector<double> liveBytes,
                                  std::vector<double> workspaceBytes, std::vector<core::LiveBuffer> buffers,
                                  int peakStep, int64_t peakBytes) {
    m_liveBytes = std::move(liveBytes);
    m_workspace = std::move(workspaceBytes);
    m_buffers = std::move(buffers);
    m_peakStep = axis->contains(peakStep) ? peakStep : -1;
    m_peakBytes = peakBytes;
    setLayerAxis(std::move(axis));

    rebuildBlocks();
    // Legend entries only for what this network has: most CNNs have no workspace at all.
    const bool workspace =
        std::any_of(m_workspace.begin(), m_workspace.end(), [](double w) { return w > 0; });
    if (workspace != plot()->legend->hasItemWithPlottable(m_workspaceSwatch))
        workspace ? (void)m_workspaceSwatch->addToLegend() : (void)m_workspaceSwatch->removeFromLegend();

    const bool peak = m_peakStep >= 0 && m_peakBytes > 0;
    if (peak) {
        m_peakPoint->setData({static_cast<double>(m_peakStep)}, {static_cast<double>(m_peakBytes)}, true);
        // Two points of the vertical line, both above zero so they also exist on a log axis.
        m_peakLine->point1->setCoords(m_peakStep, 1);
        m_peakLine->point2->setCoords(m_peakStep, 2);
        m_peakLabel->setText(peakText());
        m_peakAnchor->position->setCoords(m_peakStep, static_cast<double>(m_peakBytes));
        // Text to the side with more room, a few pixels clear of the diamond.
        const bool right = m_peakStep > layerAxis()->size() * 0.6;
        m_peakLabel->position->setCoords(right ? -6 : 6, -4);
        m_peakLabel->setPositionAlignment((right ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignBottom);
    } else {
        m_peakPoint->data()->clear();
    }
    m_peakLine->setVisible(peak);
    m_peakLabel->setVisible(peak);
    applyBudget();
    requestReplot();
}

void MemoryTimelineChart::rebuildBlocks() {
    // A log axis has no zero: the outline and the bottom of the stack start at kLogFloorBytes (1 B,
    // below any tensor), which the axis range leaves under its lower end, so the bottom band runs
    // off the bottom edge as it does from 0 on a linear axis. Bytes of 0 become 1 B only in the
    // drawing; the hover text and the peak read the real figures.
    const double floor = m_log ? kLogFloorBytes : 0.0;
    QVector<double> keys(static_cast<qsizetype>(m_liveBytes.size())), live;
    std::iota(keys.begin(), keys.end(), 0.0);
    live.reserve(keys.size());
    for (double v : m_liveBytes)
        live.push_back(std::max(v, floor));
    m_live->setData(keys, live, true);

    const int n = layerAxis() ? layerAxis()->size() : 0;
    // Allocation order = bottom-to-top order: a tensor held across many steps stays at the bottom of
    // the stack as one long band instead of jumping around as younger tensors come and go.
    std::vector<size_t> order(m_buffers.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return m_buffers[a].firstStep < m_buffers[b].firstStep; });

    std::vector<StackedBlocks::Block> blocks;
    std::vector<int> open(m_buffers.size(), -1); // last block of each buffer, to extend across steps
    std::vector<size_t> active;
    size_t next = 0;
    for (int s = 0; s < n; ++s) {
        while (next < order.size() && m_buffers[order[next]].firstStep <= s)
            active.push_back(order[next++]);
        std::erase_if(active, [&](size_t b) { return m_buffers[b].lastStep < s; });
        double y = 0;
        for (size_t b : active) {
            const core::LiveBuffer& buf = m_buffers[b];
            if (buf.bytes <= 0)
                continue;
            const int kind = s == buf.firstStep ? Written : s < buf.lastStep ? Held : LastRead;
            const auto bytes = static_cast<double>(buf.bytes);
            int& last = open[b];
            if (last >= 0) {
                StackedBlocks::Block& prev = blocks[static_cast<size_t>(last)];
                if (prev.x1 == s - 0.5 && prev.y0 == y && prev.kind == kind) {
                    prev.x1 = s + 0.5; // same place, same role: one rectangle, no seams
                    y += bytes;
                    continue;
                }
            }
            last = static_cast<int>(blocks.size());
            blocks.push_back({s - 0.5, s + 0.5, y, y + bytes, kind, static_cast<int>(b)});
            y += bytes;
        }
        const double ws =
            static_cast<size_t>(s) < m_workspace.size() ? m_workspace[static_cast<size_t>(s)] : 0;
        if (ws > 0)
            blocks.push_back({s - 0.5, s + 0.5, y, y + ws, Workspace, -1});
    }
    if (m_log)
        for (StackedBlocks::Block& b : blocks) {
            b.y0 = std::max(b.y0, floor);
            b.y1 = std::max(b.y1, floor);
        }
    m_blocks->setBlocks(std::move(blocks));
}

void MemoryTimelineChart::setLogScale(bool on) {
    if (on == m_log)
        return;
    m_log = on;
    if (m_log) {
        yAxis()->setScaleType(QCPAxis::stLogarithmic);
        yAxis()->setTicker(QSharedPointer<UnitTicker<QCPAxisTickerLog>>::create(&core::humanBytes));
    } else {
        yAxis()->setScaleType(QCPAxis::stLinear);
        yAxis()->setTicker(QSharedPointer<UnitTicker<QCPAxisTicker>>::create(&core::humanBytes));
    }
    rebuildBlocks();
    applyRange();
    requestReplot();
}

void MemoryTimelineChart::setDeployment(bool on) {
    if (on == m_deployment)
        return;
    m_deployment = on;
    applyBudget();
    requestReplot();
}

void MemoryTimelineChart::setBudget(int64_t bytes, const QString& label) {
    if (bytes == m_budget && label == m_budgetText)
        return;
    m_budget = std::max<int64_t>(bytes, 0);
    m_budgetText = label;
    applyBudget();
    requestReplot();
}

bool MemoryTimelineChart::budgetOnScale() const {
    return m_budget > 0 && static_cast<double>(m_budget) <=
                               kBudgetOnScaleFactor * static_cast<double>(std::max<int64_t>(m_peakBytes, 1));
}

void MemoryTimelineChart::applyBudget() {
    m_over.clear();
    QVector<double> keys, vals;
    if (m_budget > 0)
        for (size_t s = 0; s < m_liveBytes.size(); ++s)
            if (m_liveBytes[s] > static_cast<double>(m_budget)) {
                m_over.push_back(static_cast<int>(s));
                keys.push_back(static_cast<double>(s));
                vals.push_back(m_liveBytes[s]);
            }
    if ((m_budget > 0) != plot()->legend->hasItemWithPlottable(m_overBars))
        m_budget > 0 ? (void)m_overBars->addToLegend() : (void)m_overBars->removeFromLegend();
    m_overBars->setBaseValue(static_cast<double>(m_budget));
    m_overBars->setData(keys, vals, true);

    const bool onScale = budgetOnScale();
    applyRange();
    // Peak and budget in one unit system: binary when there is a budget (budgets are KiB/MiB).
    const bool peak = m_peakStep >= 0 && m_peakBytes > 0;
    QString subtitle;
    if (peak)
        subtitle = m_budget > 0 ? tr("peak %1 · %2")
                                      .arg(QString::fromStdString(core::humanBinaryBytes(m_peakBytes)),
                                           QString::fromStdString(core::budgetVerdict(m_peakBytes, m_budget)))
                                : tr("peak %1").arg(QString::fromStdString(core::humanBytes(m_peakBytes)));
    if (m_deployment)
        subtitle = subtitle.isEmpty() ? tr("deployment view") : tr("deployment view · %1").arg(subtitle);
    setSubtitle(subtitle);
    m_peakLabel->setText(peakText());

    m_budgetLine->setVisible(onScale);
    m_budgetLine->point1->setCoords(0, static_cast<double>(m_budget));
    m_budgetLine->point2->setCoords(1, static_cast<double>(m_budget));
    m_budgetLabel->setVisible(m_budget > 0);
    const QString name = tr("budget %1").arg(QString::fromStdString(core::humanBinaryBytes(m_budget)));
    if (onScale) {
        m_budgetLabel->position->setTypeY(QCPItemPosition::ptPlotCoords);
        m_budgetLabel->position->setCoords(0.995, static_cast<double>(m_budget));
        m_budgetLabel->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
        m_budgetLabel->setText(
            m_over.empty() ? name
                           : name + tr(" — %n layer(s) over", nullptr, static_cast<int>(m_over.size())));
    } else {
        m_budgetLabel->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        m_budgetLabel->position->setCoords(0.995, 0.01);
        m_budgetLabel->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
        m_budgetLabel->setText(name + tr(" (far above the peak)"));
    }
}

void MemoryTimelineChart::fitToHeight(double plotPixels) {
    m_plotPixels = plotPixels;
    applyRange();
}

void MemoryTimelineChart::applyRange() {
    // Pixel room above the peak (or the budget line, when higher) for the label drawn over it.
    const double peak = static_cast<double>(std::max<int64_t>(m_peakBytes, 1));
    const double top = std::max(peak, budgetOnScale() ? static_cast<double>(m_budget) : 0.0);
    const double headroom = QFontMetrics(m_peakLabel->font()).height() + 12;
    if (!m_log) {
        yAxis()->setRange(0, upperWithHeadroom(0, top, m_plotPixels, headroom, false));
        return;
    }
    // From a decade below the smallest step (so its column keeps some height) to above the top;
    // never below the floor the drawing clamps to.
    double smallest = 0;
    for (double v : m_liveBytes)
        if (v > 0 && (smallest == 0 || v < smallest))
            smallest = v;
    const double lo = std::max(kLogFloorBytes * 10,
                               smallest > 0 ? std::pow(10.0, std::floor(std::log10(smallest)) - 1) : 1.0);
    yAxis()->setRange(lo, upperWithHeadroom(lo, std::max(top, lo * 10), m_plotPixels, headroom, true));
}

QString MemoryTimelineChart::peakText() const {
    if (m_peakStep < 0 || !layerAxis())
        return {};
    return tr("peak %1 at %2")
        .arg(QString::fromStdString(m_budget > 0 ? core::humanBinaryBytes(m_peakBytes)
                                                 : core::humanBytes(m_peakBytes)),
             layerAxis()->names[static_cast<size_t>(m_peakStep)]);
}

QString MemoryTimelineChart::hoverText(int step, double value) const {
    const LayerAxis* a = layerAxis();
    if (!a || !a->contains(step))
        return {};
    const auto i = static_cast<size_t>(step);
    QString t = a->names[i] + QStringLiteral("  (") + a->types[i] + QStringLiteral(")");
    if (!a->problems[i].isEmpty())
        return t + QLatin1Char('\n') + a->problems[i];
    t += QLatin1Char('\n') + tr("live: %1").arg(bytesText(std::llround(m_liveBytes[i])));
    if (step == m_peakStep)
        t += tr("  — the peak");
    if (std::binary_search(m_over.begin(), m_over.end(), step))
        t += tr("  — over the budget");
    if (m_workspace[i] > 0)
        t += QLatin1Char('\n') + tr("workspace: %1").arg(bytesText(std::llround(m_workspace[i])));
    const int k = m_blocks->blockAt(step, value);
    if (k >= 0 && m_blocks->blocks()[static_cast<size_t>(k)].tag >= 0) {
        const core::LiveBuffer& b =
            m_buffers[static_cast<size_t>(m_blocks->blocks()[static_cast<size_t>(k)].tag)];
        const QString owner =
            a->contains(b.firstStep) ? a->names[static_cast<size_t>(b.firstStep)] : QString();
        const QString until = a->contains(b.lastStep) ? a->names[static_cast<size_t>(b.lastStep)] : QString();
        t += QLatin1Char('\n') + tr("tensor: output of %1, %2, alive from %1 to %3")
                                     .arg(owner, QString::fromStdString(core::humanBytes(b.bytes)), until);
    }
    return t;
}

} // namespace nc::widgets
