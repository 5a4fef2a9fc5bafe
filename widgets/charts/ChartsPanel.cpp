// ChartsPanel: layout, update levels, selection linkage and export of the charts dock.
#include "ChartsPanel.h"

#include "BudgetEdit.h"
#include "EnergyChart.h"
#include "LayerBarChart.h"
#include "LayerTable.h"
#include "MemoryTimelineChart.h"
#include "ReceptiveFieldChart.h"
#include "SummaryStrip.h"

#include "widgets/Selection.h"
#include "widgets/ViewOptions.h"

#include "core/Format.h"
#include "core/Report.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QResizeEvent>
#include <QSplitter>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace nc::widgets {

namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

QString precisionText(const core::AnalysisResult& a) {
    const bool mixed = std::any_of(a.layers.begin(), a.layers.end(),
                                   [&](const core::LayerResult& l) { return l.bits != a.bits; });
    return mixed ? QObject::tr("mixed precision") : QObject::tr("%1-bit").arg(a.bits);
}

} // namespace

ChartsPanel::ChartsPanel(core::Document& doc, Selection& sel, ViewOptions& opts, QWidget* parent)
    : QWidget(parent), m_doc(doc), m_sel(sel), m_opts(opts) {
    m_summary = new SummaryStrip(this);
    m_activations = new LayerBarChart(tr("Activation memory"), LayerBarChart::Unit::Bytes);
    m_params = new LayerBarChart(tr("Parameters"), LayerBarChart::Unit::Count, tr("params"));
    m_macs = new LayerBarChart(tr("MACs"), LayerBarChart::Unit::Count, tr("MACs"));
    m_energy = new EnergyView;
    m_timeline = new MemoryTimelineChart;
    m_field = new ReceptiveFieldChart;
    m_table = new LayerTable;

    m_costTabs = new QTabWidget;
    m_costTabs->setDocumentMode(true);
    m_costTabs->addTab(m_activations, tr("Activation memory"));
    m_costTabs->addTab(m_params, tr("Parameters"));
    m_costTabs->addTab(m_macs, tr("MACs"));
    m_costTabs->addTab(m_energy, tr("Energy"));
    m_flowTabs = new QTabWidget;
    m_flowTabs->setDocumentMode(true);
    m_flowTabs->addTab(m_timeline, tr("Memory timeline"));
    m_flowTabs->addTab(m_field, tr("Receptive field"));
    m_flowTabs->addTab(m_table, tr("Table"));

    auto* split = m_split = new QSplitter(Qt::Horizontal); // resizeEvent stacks them when tall
    split->addWidget(m_costTabs);
    split->addWidget(m_flowTabs);
    split->setChildrenCollapsible(false);
    // Equal halves: the bars need the height as much as the timeline does (rotated names take ~100 px).
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({1000, 1000});

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addWidget(buildToolRow());
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);

    for (ChartBase* c : charts())
        connect(c, &ChartBase::stepClicked, this, [this, c](int step, bool toggle) { selectStep(c, step, toggle); });
    connect(m_table, &LayerTable::layersSelected, this, &ChartsPanel::selectFromTable);
    connect(m_energy, &EnergyView::tableChanged, this, [this] { markDirty(Options | Highlight); });

    m_drainTimer.setSingleShot(true);
    m_drainTimer.setInterval(0);
    connect(&m_drainTimer, &QTimer::timeout, this, &ChartsPanel::drain);
    connect(&m_doc, &core::Document::changed, this, &ChartsPanel::onDocumentChanged);
    connect(&m_sel, &Selection::changed, this, &ChartsPanel::onSelectionChanged);
    connect(&m_opts, &ViewOptions::changed, this, [this] { markDirty(Options); });

    // First fill right away: a panel is usually created for a document that already has a network.
    m_dirty = Data | Highlight | Options;
    drain();
}

ChartsPanel::~ChartsPanel() = default;

QWidget* ChartsPanel::buildToolRow() {
    auto* row = new QWidget(this);
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);

    m_logScale = new QCheckBox(tr("Log scale"), row);
    m_logScale->setToolTip(tr("Logarithmic value axis for the bar charts, the memory timeline and the receptive field"));
    connect(m_logScale, &QCheckBox::toggled, &m_opts, &ViewOptions::setLogScale);
    h->addWidget(m_logScale);
    h->addSpacing(12);

    h->addWidget(new QLabel(tr("Memory budget:"), row));
    m_budget = new BudgetEdit(m_opts, row);
    h->addWidget(m_budget);
    h->addStretch(1);

    auto* exportButton = new QToolButton(row);
    exportButton->setText(tr("Export"));
    exportButton->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(exportButton);
    // Filled when opened: the latency chart appears only once a kernel run has reported.
    connect(menu, &QMenu::aboutToShow, this, [this, menu] {
        menu->clear();
        for (ChartBase* c : charts()) {
            QMenu* sub = menu->addMenu(c->title());
            sub->addAction(tr("PNG image…"), this, [this, c] { exportChartInteractively(c, false); });
            sub->addAction(tr("PDF…"), this, [this, c] { exportChartInteractively(c, true); });
        }
        menu->addSeparator();
        menu->addAction(tr("Per-layer table as CSV…"), this, &ChartsPanel::exportCsvInteractively);
    });
    exportButton->setMenu(menu);
    h->addWidget(exportButton);
    return row;
}

std::vector<ChartBase*> ChartsPanel::charts() const {
    std::vector<ChartBase*> c{m_activations, m_params, m_macs, m_energy->chart(), m_timeline, m_field};
    if (m_latency)
        c.insert(c.begin() + 4, m_latency);
    return c;
}

void ChartsPanel::showView(QWidget* view) {
    // A page, or a chart inside one (the energy chart sits in EnergyView under its table row).
    for (QTabWidget* tabs : {m_costTabs, m_flowTabs})
        for (int i = 0; i < tabs->count(); ++i)
            if (tabs->widget(i) == view || tabs->widget(i)->isAncestorOf(view))
                tabs->setCurrentIndex(i);
}

void ChartsPanel::onDocumentChanged(const core::Change& change) {
    if (change.kind == core::ChangeKind::Positions)
        return;                  // a move changes no figure
    markDirty(Data | Highlight); // steps of the selected layers may have moved too
}

void ChartsPanel::onSelectionChanged(bool centre) {
    m_centre = m_centre || centre;
    markDirty(Highlight);
}

void ChartsPanel::markDirty(unsigned levels) {
    m_dirty |= levels;
    if (!m_drainTimer.isActive())
        m_drainTimer.start();
}

void ChartsPanel::drain() {
    m_drainTimer.stop();
    const unsigned dirty = std::exchange(m_dirty, None);
    if (dirty & Data)
        applyData();
    if (dirty & (Data | Options))
        applyOptions();
    if (dirty & (Data | Highlight))
        applyHighlight();
}

void ChartsPanel::flush() {
    drain();
    for (ChartBase* c : charts())
        c->replotNow();
}

void ChartsPanel::replotAll() {
    drain();
    for (ChartBase* c : charts())
        c->replotNow(true);
}

void ChartsPanel::applyData() {
    const core::Network& net = m_doc.network();
    const core::AnalysisResult& a = m_doc.analysis();
    m_data = ChartData::from(net, a, m_doc.deployment());
    const core::AnalysisTotals& t = m_data.totals;
    const QString precision = precisionText(a);
    const QString view = m_data.deployment ? tr(" · deployment view") : QString();

    m_activations->setData(m_data.axis, m_data.activationBytes);
    m_activations->setSubtitle(tr("total %1 at %2").arg(qs(core::humanBytes(m_data.activationTotal)), precision) + view);
    m_params->setData(m_data.axis, m_data.params);
    m_params->setDetail(tr("weights"), m_data.modelBytes, LayerBarChart::Unit::Bytes);
    m_params->setSubtitle(
        tr("total %1 · model %2 at %3")
            .arg(qs(core::humanCount(m_data.paramsTotal)), qs(core::humanBytes(m_data.modelBytesTotal)), precision) +
        view);
    m_macs->setData(m_data.axis, m_data.macs);
    m_macs->setSubtitle(
        tr("total %1 MACs · %2 FLOPs").arg(qs(core::humanCount(t.macs)), qs(core::humanCount(t.flops))));
    m_timeline->setDeployment(m_data.deployment);
    m_timeline->setData(m_data.timelineAxis, m_data.liveBytes, m_data.workspaceBytes, m_data.buffers,
                        m_data.peakLiveStep, m_data.peakLiveBytes);
    m_field->setData(m_data.axis, m_data.rfH, m_data.rfW, m_data.rfReference,
                     t.rf.valid ? qs(core::rfText(t.rf)) : QString());
    m_summary->setFigures(net, a);
    if (m_data.deployment)
        m_summary->setDeployment(net, m_doc.deployment());
    m_table->setAnalysis(net, a);
    // The table marks layers the deployment folded or fused, and names the op they went into.
    std::vector<QString> notes;
    if (m_data.deployment)
        for (const core::LayerResult& l : a.layers)
            notes.push_back(qs(m_doc.deployment().noteFor(net, l.nodeIndex)));
    m_table->setDeployNotes(std::move(notes));
    // Its Params and Model columns follow the folding, as the parameters chart does.
    if (m_data.deployment)
        m_table->setDeployParams(m_data.params, m_data.modelBytes);
    else
        m_table->setDeployParams({}, {});

    // Measured latency belongs to the revision it was measured on; any edit makes it stale.
    if (m_latency) {
        if (!m_latencyStale) {
            m_latencyStale = true;
            m_table->setExtraColumn(QStringLiteral("latency_us"), m_latencyUs, true);
        }
        m_latency->setData(m_data.axis, m_latencyUs);
        m_latency->setStale(true);
    }
}

void ChartsPanel::applyOptions() {
    const bool log = m_opts.logScale();
    for (LayerBarChart* c : {m_activations, m_params, m_macs, m_latency})
        if (c)
            c->setLogScale(log);
    m_field->setLogScale(log);
    m_timeline->setLogScale(log);
    m_energy->chart()->setLogScale(log);
    // Energy depends on the budget (activations spill to DRAM past it) as well as on the design, and
    // this runs after applyData on every data change.
    m_energy->update(m_doc.network(), m_doc.analysis(), m_data.axis, m_opts.budgetBytes());
    if (m_logScale->isChecked() != log) {
        const QSignalBlocker block(m_logScale);
        m_logScale->setChecked(log);
    }
    m_timeline->setBudget(m_opts.budgetBytes(), BudgetEdit::labelFor(m_opts.budgetBytes()));
}

void ChartsPanel::applyHighlight() {
    const core::Network& net = m_doc.network();
    const core::AnalysisResult& a = m_doc.analysis();
    std::vector<int> steps, timelineSteps;
    for (core::NodeId id : m_sel.ids())
        if (const core::LayerResult* l = a.layer(id, net)) {
            steps.push_back(l->step);
            // In the deployment view a folded or fused layer lights the step of the op it runs in.
            if (const auto i = static_cast<size_t>(l->nodeIndex); i < m_data.timelineStepOfNode.size() &&
                                                                  m_data.timelineStepOfNode[i] >= 0)
                timelineSteps.push_back(m_data.timelineStepOfNode[i]);
        }
    const bool centre = std::exchange(m_centre, false);
    for (ChartBase* c : charts())
        c->setHighlighted(c == m_timeline ? timelineSteps : steps, centre);
    m_table->selectLayers(m_sel.ids(), centre);
    m_summary->setSelection(net, a, m_sel.ids());
}

void ChartsPanel::selectStep(ChartBase* chart, int step, bool toggle) {
    // Each chart's own axis: the deployment timeline's steps are not the analysis' layers.
    const LayerAxis* axis = chart->layerAxis();
    if (!axis || !axis->contains(step))
        return;
    const core::NodeId id = axis->ids[static_cast<size_t>(step)];
    if (!toggle) {
        m_sel.set({id}, /*centre=*/true);
        return;
    }
    std::vector<core::NodeId> ids = m_sel.ids();
    if (auto it = std::find(ids.begin(), ids.end(), id); it != ids.end())
        ids.erase(it);
    else
        ids.push_back(id); // last = current: the one the canvas centres
    m_sel.set(std::move(ids), /*centre=*/true);
}

void ChartsPanel::selectFromTable(const std::vector<core::NodeId>& ids) {
    m_sel.set(ids, /*centre=*/true);
}

void ChartsPanel::setLatency(std::vector<double> microseconds, bool stale) {
    m_latencyUs = std::move(microseconds);
    m_latencyStale = stale;
    if (!m_latency) {
        m_latency = new LayerBarChart(tr("Latency"), LayerBarChart::Unit::Microseconds, tr("µs"));
        m_costTabs->addTab(m_latency, tr("Latency"));
        connect(m_latency, &ChartBase::stepClicked, this,
                [this](int step, bool toggle) { selectStep(m_latency, step, toggle); });
        m_latency->setLogScale(m_opts.logScale());
    }
    if (m_data.axis)
        m_latency->setData(m_data.axis, m_latencyUs);
    m_latency->setStale(stale);
    m_table->setExtraColumn(QStringLiteral("latency_us"), m_latencyUs, stale);
    markDirty(Highlight);
}

core::Status ChartsPanel::exportCsv(const QString& path) const {
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return core::Error{"could not write CSV file \"" + path.toStdString() +
                           "\": " + f.errorString().toStdString()};
    const std::string csv = core::reportCsv(m_doc.network(), m_doc.analysis());
    f.write(csv.data(), static_cast<qint64>(csv.size()));
    if (!f.commit())
        return core::Error{"could not write CSV file \"" + path.toStdString() +
                           "\": " + f.errorString().toStdString()};
    return core::Status::success();
}

void ChartsPanel::exportChartInteractively(ChartBase* chart, bool pdf) {
    const QString base = qs(m_doc.network().name) + QStringLiteral(" - ") + chart->title();
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export %1").arg(chart->title()),
                                     base + (pdf ? QStringLiteral(".pdf") : QStringLiteral(".png")),
                                     pdf ? tr("PDF (*.pdf)") : tr("PNG image (*.png)"));
    QSize size(ChartBase::kExportWidth, ChartBase::kExportHeight);
    if (path.isEmpty() || !ChartBase::askExportSize(this, size))
        return;
    // Draw it current even if its tab is in the background.
    drain();
    chart->replotNow(true);
    const core::Status s = pdf ? chart->exportPdf(path, size.width(), size.height())
                               : chart->exportPng(path, size.width(), size.height());
    if (!s)
        QMessageBox::warning(this, tr("Export failed"), qs(s.error()));
}

void ChartsPanel::exportCsvInteractively() {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export per-layer table"),
                                     qs(m_doc.network().name) + QStringLiteral(".csv"), tr("CSV (*.csv)"));
    if (path.isEmpty())
        return;
    if (const core::Status s = exportCsv(path); !s)
        QMessageBox::warning(this, tr("Export failed"), qs(s.error()));
}

void ChartsPanel::resizeEvent(QResizeEvent* e)
{
    QWidget::resizeEvent(e);
    // Docked under the canvas the panel is wide and short: the two tab stacks go side by side so
    // each chart keeps a readable height; they stack only when there is height for two charts at
    // their minimum size (docked at the side). Deciding by the minimum sizes, not the aspect ratio,
    // keeps the stacked layout's larger minimum height from squeezing the canvas away.
    const int chrome = std::max(0, m_costTabs->height() - m_costTabs->currentWidget()->height()) + 8;
    const bool roomForTwo = m_split->height() >= 2 * (ChartBase::kMinHeight + chrome) + 40;
    const bool roomSideBySide = width() >= 2 * (ChartBase::kMinWidth + 20);
    const Qt::Orientation o =
        roomSideBySide && !(roomForTwo && height() > width()) ? Qt::Horizontal : Qt::Vertical;
    if (m_split->orientation() != o) {
        m_split->setOrientation(o);
        m_split->setSizes({1000, 1000});
    }
}

} // namespace nc::widgets
