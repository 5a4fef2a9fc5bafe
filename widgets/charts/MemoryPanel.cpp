// MemoryPanel: controls, labels and the arena chart over core/deploy.
#include "MemoryPanel.h"

#include "ArenaChart.h"

#include "widgets/Selection.h"
#include "widgets/ViewOptions.h"

#include "core/Document.h"
#include "core/Format.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QVBoxLayout>

namespace nc::widgets {

MemoryPanel::MemoryPanel(core::Document& doc, Selection& selection, ViewOptions& options, QWidget* parent)
    : QWidget(parent), m_doc(doc), m_selection(selection), m_options(options)
{
    m_preset = new QComboBox(this);
    m_preset->addItems({tr("Training graph"), tr("TFLite Micro"), tr("TinyEngine"), tr("Custom")});
    m_preset->setToolTip(tr("Training graph: every layer is a tensor (PyTorch).\n"
                            "TFLite Micro: BatchNorm folded, activations fused, Add in place, greedy arena.\n"
                            "TinyEngine: as TFLite Micro, plus in-place depthwise convolution."));
    m_view = new QComboBox(this);
    m_view->addItems({tr("Training view"), tr("Deployment view")});
    m_inplaceDw = new QCheckBox(tr("In-place depthwise"), this);
    m_schedule = new QComboBox(this);
    m_schedule->addItems({tr("Default order"), tr("Memory-optimal order")});
    m_planner = new QComboBox(this);
    m_planner->addItems({tr("Greedy by size"), tr("Best planner")});
    m_summary = new QLabel(this);
    m_verdict = new QLabel(this);
    m_folded = new QLabel(this);
    for (QLabel* l : {m_summary, m_verdict, m_folded}) {
        l->setWordWrap(true); // never clipped: long verdicts wrap instead
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    m_chart = new ArenaChart(this);

    m_patchMode = new QComboBox(this);
    m_patchMode->addItems({tr("Off"), tr("First k layers, n×n grid"), tr("Auto: lowest peak")});
    m_patchMode->setToolTip(tr("Patch-based inference (MCUNetV2): the first k layers run patch by patch over an\n"
                               "n×n grid of layer k's output; neighbouring patches recompute their overlap.\n"
                               "Auto tries every k that can run in patches and n from 2 to 8, and keeps the\n"
                               "lowest peak under the memory budget."));
    m_patchLayers = new QSpinBox(this);
    m_patchLayers->setRange(1, 100000);
    m_patchLayers->setPrefix(tr("k = "));
    m_patchGrid = new QSpinBox(this);
    m_patchGrid->setRange(2, 64);
    m_patchGrid->setPrefix(tr("n = "));
    m_patchLayers->setValue(2);
    m_patchGrid->setValue(2);
    m_patch = new QLabel(this);
    m_patch->setWordWrap(true);
    m_patch->setTextInteractionFlags(Qt::TextSelectableByMouse);

    // One control per row, each combo box as wide as the panel: the dock sits at the window's right
    // edge, narrow, and a row of four combo boxes cut every entry ("Training gra…").
    auto* controls = new QFormLayout;
    controls->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    controls->addRow(tr("Preset:"), m_preset);
    controls->addRow(tr("Graph:"), m_view);
    controls->addRow(QString(), m_inplaceDw);
    controls->addRow(tr("Order:"), m_schedule);
    controls->addRow(tr("Arena:"), m_planner);
    auto* patchRow = new QHBoxLayout;
    patchRow->addWidget(m_patchLayers);
    patchRow->addWidget(m_patchGrid);
    controls->addRow(tr("Patches:"), m_patchMode);
    controls->addRow(QString(), patchRow);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(m_summary);
    layout->addWidget(m_patch);
    layout->addWidget(m_verdict);
    layout->addWidget(m_folded);
    layout->addWidget(m_chart, 1);

    connect(m_preset, &QComboBox::activated, this, [this](int i) { setPreset(static_cast<Preset>(i)); });
    connect(m_view, &QComboBox::currentIndexChanged, this, &MemoryPanel::onControl);
    connect(m_inplaceDw, &QCheckBox::toggled, this, &MemoryPanel::onControl);
    connect(m_schedule, &QComboBox::currentIndexChanged, this, &MemoryPanel::onControl);
    connect(m_planner, &QComboBox::currentIndexChanged, this, &MemoryPanel::onControl);
    // Patches are not part of a preset: changing them keeps the preset.
    auto patchChanged = [this] {
        if (!m_syncing)
            pushSettings();
    };
    connect(m_patchMode, &QComboBox::currentIndexChanged, this, patchChanged);
    connect(m_patchLayers, &QSpinBox::valueChanged, this, patchChanged);
    connect(m_patchGrid, &QSpinBox::valueChanged, this, patchChanged);
    connect(&m_doc, &core::Document::changed, this, &MemoryPanel::recompute);
    // The automatic patch search picks under the budget, which lives in the view options.
    connect(&m_options, &ViewOptions::changed, this, [this] {
        if (m_patchMode->currentIndex() == 2 && m_doc.deploySettings().patchBudget != m_options.budgetBytes())
            pushSettings();
        else
            recompute();
    });
    connect(&m_selection, &Selection::changed, this, &MemoryPanel::syncSelection);
    connect(m_chart, &ArenaChart::layerClicked, this, [this](core::NodeId id) { m_selection.set({id}, true); });
    recompute();
}

void MemoryPanel::setPreset(Preset p)
{
    m_syncing = true;
    m_preset->setCurrentIndex(p);
    if (p != Custom) {
        m_view->setCurrentIndex(p == Training ? 0 : 1);
        m_inplaceDw->setChecked(p == TinyEngine);
        m_planner->setCurrentIndex(p == TinyEngine ? 1 : 0);
    }
    m_syncing = false;
    pushSettings();
}

void MemoryPanel::onControl()
{
    if (m_syncing)
        return;
    m_preset->setCurrentIndex(Custom);
    pushSettings();
}

void MemoryPanel::pushSettings()
{
    // The switch belongs to the Document: every view (timeline, charts, table, canvas, runner)
    // follows it, and this panel redraws from the figures it derives, like the others.
    core::deploy::DeploySettings s;
    s.deploy = m_view->currentIndex() == 1;
    s.inplaceDepthwise = m_inplaceDw->isChecked();
    s.optimalOrder = m_schedule->currentIndex() == 1;
    s.planner = m_planner->currentIndex() == 1 ? core::deploy::Planner::Best : core::deploy::Planner::Greedy;
    s.patchAuto = m_patchMode->currentIndex() == 2;
    if (m_patchMode->currentIndex() == 1) {
        s.patchLayers = m_patchLayers->value();
        s.patchGrid = m_patchGrid->value();
    }
    s.patchBudget = s.patchAuto ? m_options.budgetBytes() : 0;
    if (s == m_doc.deploySettings())
        recompute();
    else
        m_doc.setDeploySettings(s); // emits changed: recompute() runs from there
}

MemoryPanel::Preset MemoryPanel::presetOf(const core::deploy::DeploySettings& s)
{
    if (!s.deploy)
        return !s.inplaceDepthwise && s.planner == core::deploy::Planner::Greedy ? Training : Custom;
    if (!s.inplaceDepthwise && s.planner == core::deploy::Planner::Greedy)
        return TfliteMicro;
    if (s.inplaceDepthwise && s.planner == core::deploy::Planner::Best)
        return TinyEngine;
    return Custom;
}

void MemoryPanel::syncControls()
{
    // Settings changed elsewhere (another view, a script): show them without writing them back.
    const core::deploy::DeploySettings& s = m_doc.deploySettings();
    m_syncing = true;
    m_view->setCurrentIndex(s.deploy ? 1 : 0);
    m_inplaceDw->setChecked(s.inplaceDepthwise);
    m_schedule->setCurrentIndex(s.optimalOrder ? 1 : 0);
    m_planner->setCurrentIndex(s.planner == core::deploy::Planner::Best ? 1 : 0);
    m_patchMode->setCurrentIndex(s.patchAuto ? 2 : s.patchGrid > 0 ? 1 : 0);
    if (s.patchGrid > 0) {
        m_patchLayers->setValue(s.patchLayers);
        m_patchGrid->setValue(s.patchGrid);
    }
    m_patchLayers->setEnabled(m_patchMode->currentIndex() == 1);
    m_patchGrid->setEnabled(m_patchMode->currentIndex() == 1);
    if (m_preset->currentIndex() != Custom || presetOf(s) != Custom)
        m_preset->setCurrentIndex(presetOf(s));
    m_syncing = false;
}

QString MemoryPanel::summaryText() const { return m_summary->text(); }
QString MemoryPanel::verdictText() const { return m_verdict->text(); }
QString MemoryPanel::foldedText() const { return m_folded->text(); }
QString MemoryPanel::patchText() const { return m_patch->text(); }

void MemoryPanel::recompute()
{
    using namespace core::deploy;
    if (m_syncing)
        return;
    syncControls();
    const core::Network& net = m_doc.network();
    const DeployFigures& f = m_doc.deployment();
    const bool deploy = f.deploy;
    m_inplaceDw->setEnabled(deploy);
    if (!f.ok()) {
        m_graph = {};
        m_peak = 0;
        m_summary->setText(f.error.empty() ? tr("Nothing to plan.") : QString::fromStdString(f.error));
        m_verdict->clear();
        m_folded->clear();
        m_patch->clear();
        m_patch->hide();
        m_chart->setData({}, 0, 0, 0);
        return;
    }
    m_graph = f.graph;
    const ScheduleResult& s = f.schedule;
    const Timeline& t = s.timeline;
    const ArenaPlan& plan = f.plan;
    m_peak = t.peakBytes;
    auto name = [&](int node) { return QString::fromStdString(net.nodes()[static_cast<size_t>(node)].name); };
    auto bytes = [](int64_t b) {
        return QString::fromStdString(core::groupDigits(b) + " B (" + core::humanBinaryBytes(b) + ")");
    };
    QString text = tr("Peak %1 at %2").arg(bytes(t.peakBytes), name(f.stepNode[static_cast<size_t>(t.peakStep)]));
    if (m_doc.deploySettings().optimalOrder)
        text += tr("; default order %1 (%2)")
                    .arg(bytes(s.defaultPeakBytes),
                         s.optimal       ? tr("this order is optimal")
                         : f.searching   ? tr("heuristic order; searching for the optimal one…")
                                         : tr("heuristic; no order below %1").arg(bytes(s.lowerBoundBytes)));
    text += tr(". Arena %1, lower bound %2.").arg(bytes(plan.arenaBytes), bytes(plan.lowerBoundBytes));
    m_summary->setText(text);
    if (f.patch) {
        const PatchPlan& p = *f.patch;
        m_patch->setText(tr("Patches: the first %1 layers over a %2×%2 grid. Patch stage peak %3 at %4, rest of "
                            "the network %5; peak %6. Recomputed in the overlaps: %7 MACs (%8% of %9).")
                             .arg(p.layers)
                             .arg(p.grid)
                             .arg(bytes(p.patchPeakBytes), name(p.patchPeakNode), bytes(p.restPeakBytes),
                                  bytes(p.peakBytes), QString::fromStdString(core::groupDigits(p.extraMacs)))
                             .arg(p.extraPercent, 0, 'f', 1)
                             .arg(QString::fromStdString(core::groupDigits(p.totalMacs))));
    } else {
        m_patch->setText(f.patchError.empty() ? QString() : tr("Patches: %1").arg(QString::fromStdString(f.patchError)));
    }
    m_patch->setVisible(!m_patch->text().isEmpty()); // no blank gap between the peak and the verdict
    // With patches the verdict is about the patched peak: that is what the deployment needs.
    const int64_t budget = m_options.budgetBytes();
    m_verdict->setText(budget > 0 ? QString::fromStdString(core::budgetVerdict(f.peakBytes(), budget)) : tr("No budget set."));

    QStringList folded;
    for (size_t i = 0; i < m_graph.layers.size(); ++i) {
        const LayerDeploy& d = m_graph.layers[i];
        if (d.role == Role::FoldedBatchNorm || d.role == Role::FusedActivation)
            folded << name(static_cast<int>(i)) + " " + QString::fromStdString(f.noteFor(net, static_cast<int>(i)));
    }
    m_folded->setText(deploy ? tr("%1 BatchNorm folded, %2 activations fused%3")
                                   .arg(m_graph.folded)
                                   .arg(m_graph.fused)
                                   .arg(folded.isEmpty() ? QString() : ": " + folded.join(", "))
                             : QString());

    std::vector<ArenaChart::Rect> rects;
    for (const ArenaBlock& b : plan.blocks)
        rects.push_back({b.firstStep, b.lastStep, b.offset, b.bytes, name(b.node),
                         net.nodes()[static_cast<size_t>(b.node)].id, b.buffer < 0});
    m_chart->setData(std::move(rects), static_cast<int>(t.order.size()), plan.arenaBytes, plan.lowerBoundBytes);
    syncSelection();
}

void MemoryPanel::syncSelection()
{
    // A selected folded or fused layer highlights the op it now runs inside.
    std::vector<core::NodeId> ids;
    const core::Network& net = m_doc.network();
    for (core::NodeId id : m_selection.ids()) {
        ids.push_back(id);
        int i = net.nodeIndex(id);
        if (i >= 0 && static_cast<size_t>(i) < m_graph.layers.size() && m_graph.layers[static_cast<size_t>(i)].into >= 0)
            ids.push_back(net.nodes()[static_cast<size_t>(m_graph.layers[static_cast<size_t>(i)].into)].id);
    }
    m_chart->setSelected(ids);
}

} // namespace nc::widgets
