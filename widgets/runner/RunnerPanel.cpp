// RunnerPanel: controls, worker thread, and the latency / roofline / batch-sweep plots.
#include "RunnerPanel.h"

#include "../Selection.h"
#include "../charts/ChartStyle.h"
#include "../charts/LayerAxis.h"
#include "../charts/LayerTicker.h"
#include "core/Format.h"

#include <QCheckBox>
#include <QComboBox>
#include <QAbstractScrollArea>
#include <QEvent>
#include <QFormLayout>
#include <QGridLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QHeaderView>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <thread>

namespace nc::widgets {

using core::BackendKind;
using core::TimingStatus;

struct RunnerPanel::Job {
    std::thread thread;
};

namespace {
enum JobKind { RunJob = 0, SweepJob = 1, ProbeJob = 2 };
const QColor kEigen(0x2b, 0x6c, 0xb0);
const QColor kOneDnn(0xd9, 0x73, 0x1a);
const QColor kStale(0xa0, 0xa0, 0xa0);
const QColor kNoisy(0xc0, 0x20, 0x20);
// One colour per memory level's roof, L1 → DRAM; the compute roof is black.
const QColor kLevel[core::kernels::kMemoryLevels] = {QColor(0x2e, 0x8b, 0x57), QColor(0x1f, 0x8a, 0x9e),
                                                     QColor(0x7b, 0x4f, 0xa6), QColor(0x55, 0x55, 0x55)};
// The batch sweep measures batch 1, 2, 4, … up to this (core::batchSweep doubles from 1).
constexpr int64_t kSweepMaxBatch = 64;
constexpr int kSweepSizes = 7; // 1, 2, 4, 8, 16, 32, 64
static_assert(int64_t{1} << (kSweepSizes - 1) == kSweepMaxBatch);
// Foreign load from which the panel says the machine was busy: others took a quarter of all CPU time.
constexpr double kBusyLoad = 0.25;

const char* kWhyDiffer =
    "Sum of layers vs end to end: each layer was timed alone, repeated on caches warmed by its own "
    "inputs and weights; the end-to-end run is one inference — each layer reads what its producer "
    "just wrote, weights come back from farther caches or DRAM, tensors are freed after their last "
    "reader, and per-layer costs (waking threads, reorders) are paid once per layer. Either can be "
    "the larger; on a busy machine both vary.";

// Legend and status names of the backends (core's keys are for files and the CLI).
QString backendName(BackendKind b)
{
    return b == BackendKind::OneDnn ? QStringLiteral("oneDNN") : QStringLiteral("Eigen");
}

QString us(double v)
{
    if (v >= 1e6)
        return QString::number(v / 1e6, 'f', 2) + " s";
    if (v >= 1e3)
        return QString::number(v / 1e3, 'f', 2) + " ms";
    return QString::number(v, 'f', 1) + " µs";
}
// "AMD EPYC: 1 thread 235 GFLOP/s, L1 460 · L2 174 · L3 94 · DRAM 33 GB/s; 2 threads …"
QString machineText(const core::kernels::MachineInfo& m)
{
    QStringList parts;
    for (const core::kernels::Roofs& r : m.roofs) {
        QStringList bw;
        for (int l = 0; l < core::kernels::kMemoryLevels; ++l)
            bw << QString("%1 %2").arg(core::kernels::memoryLevelLabel(static_cast<core::kernels::MemoryLevel>(l)))
                      .arg(r.bandwidthGBs[static_cast<size_t>(l)], 0, 'f', 0);
        parts << QString("%1 thread%2: %3 GFLOP/s fp32, %4 GB/s")
                     .arg(r.threads)
                     .arg(r.threads > 1 ? "s" : "")
                     .arg(r.peakGflops, 0, 'f', 0)
                     .arg(bw.join(" · "));
    }
    return QString::fromStdString(m.cpuModel) + ": " + parts.join("; ");
}
} // namespace


RunnerPanel::RunnerPanel(core::Document& doc, Selection& selection, QWidget* parent)
    : QWidget(parent), m_doc(doc), m_selection(selection)
{
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    m_backend = new QComboBox;
    m_backend->addItems({"Eigen (our kernels)", "oneDNN", "Both, side by side"});
    m_threads = new QSpinBox;
    m_threads->setRange(1, std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
    m_threads->setValue(m_threads->maximum());
    m_batch = new QSpinBox;
    m_batch->setRange(0, 4096);
    m_batch->setSpecialValueText("design's");
    form->addRow("Backend", m_backend);
    form->addRow("Threads", m_threads);
    form->addRow("Batch", m_batch);
    m_deploy = new QCheckBox("Deployment graph");
    m_deploy->setToolTip("BatchNorm folded into the layer before it, activations fused into the convolution or "
                         "linear layer before them (oneDNN post-ops), as a deployed network runs");
    m_followedDeploy = m_doc.deploySettings().deploy;
    m_deploy->setChecked(m_followedDeploy);
    form->addRow("Graph", m_deploy);
    layout->addLayout(form);

    // Two rows of two: one row of four buttons would set the panel's minimum width wider than the
    // docks at 1600×1000, and everything to its right would need scrolling sideways.
    auto* buttons = new QGridLayout;
    m_run = new QPushButton("Run");
    m_run->setToolTip("Execute every layer on random data and measure its latency");
    m_sweepButton = new QPushButton("Batch sweep");
    m_sweepButton->setToolTip("Latency and throughput at batch 1, 2, 4, … 64");
    m_probeButton = new QPushButton("Probe machine");
    m_probeButton->setToolTip("Measure this machine's compute peak and memory bandwidth (the roofline's roofs)");
    m_cancel = new QPushButton("Cancel");
    m_cancel->setEnabled(false);
    int slot = 0;
    for (QPushButton* b : {m_run, m_sweepButton, m_probeButton, m_cancel}) {
        buttons->addWidget(b, slot / 2, slot % 2);
        ++slot;
    }
    layout->addLayout(buttons);
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    layout->addWidget(m_progress);
    m_status = new QLabel("Not run yet.");
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    m_explain = new QLabel(kWhyDiffer);
    m_explain->setWordWrap(true);
    m_explain->setStyleSheet("color: #555;");
    m_explain->setVisible(false);
    layout->addWidget(m_explain);

    m_tabs = new QTabWidget;
    m_latency = new QCustomPlot;
    m_roofline = new QCustomPlot;
    m_roofline->setToolTip("Each layer at the work a kernel must do: its MACs count every tap, but the taps on zero "
                           "padding multiply zeros and oneDNN skips them, so they are left out of its operations "
                           "here (a padded convolution at the machine's peak would otherwise sit above the roof).");
    m_sweepPlot = new QCustomPlot;
    m_tabs->addTab(m_latency, "Latency");
    m_tabs->addTab(m_roofline, "Roofline");
    m_tabs->addTab(m_sweepPlot, "Batch sweep");
    m_table = new QTableWidget;
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->setVisible(false);
    m_tabs->addTab(m_table, "Layers");
    layout->addWidget(m_tabs, 1);
    for (QCustomPlot* p : {m_latency, m_roofline, m_sweepPlot}) {
        p->setMinimumHeight(220);
        p->legend->setVisible(true);
        p->legend->setFont(QFont(font().family(), 8));
    }
    // Layer names under the latency bars, as on the charts dock: rotated, every n-th when they do
    // not all fit, the distinguishing end of a dotted name kept.
    m_latencyTicker = QSharedPointer<LayerTicker>::create();
    QFont tickFont = font();
    tickFont.setPointSize(chartstyle::kTickPointSize);
    m_latency->xAxis->setTickLabelFont(tickFont);
    m_latencyTicker->setLabelFont(tickFont, LayerTicker::kMaxLabelPixels);
    m_latency->xAxis->setTicker(m_latencyTicker);
    m_latency->xAxis->setTickLabelRotation(-90);
    m_latency->xAxis->setSubTicks(false);
    m_latency->xAxis->grid()->setVisible(false);
    connect(m_latency, &QCustomPlot::beforeReplot, this, [this] {
        const QRect r = m_latency->axisRect()->rect();
        const double width = r.width() > 0 ? r.width() : m_latency->width() - 80;
        m_latencyTicker->setGeometry(width, QFontMetrics(m_latency->xAxis->tickLabelFont()).height() * 1.35);
    });

    connect(m_run, &QPushButton::clicked, this, &RunnerPanel::startRun);
    connect(m_sweepButton, &QPushButton::clicked, this, &RunnerPanel::startSweep);
    connect(m_probeButton, &QPushButton::clicked, this, &RunnerPanel::startProbe);
    connect(m_cancel, &QPushButton::clicked, this, &RunnerPanel::cancel);
    connect(&m_doc, &core::Document::changed, this, [this](const core::Change& c) {
        // The runner follows the document's view when it is switched (the box stays the user's to
        // change between switches): the deployment view runs the deployment graph.
        if (const bool deploy = m_doc.deploySettings().deploy; deploy != m_followedDeploy) {
            m_followedDeploy = deploy;
            m_deploy->setChecked(deploy);
        }
        if (c.kind != core::ChangeKind::Positions) {
            updateStatus();
            redrawLatency();
            redrawRoofline();
            redrawTable();
            emit resultsChanged();
        }
    });
    connect(m_roofline, &QCustomPlot::afterLayout, this, &RunnerPanel::placeRoofLabels);
    // A click selects the layer whose point is nearest (within 8 px), whatever is drawn over it
    // (noisy crosses, drop lines to the roofs).
    connect(m_roofline, &QCustomPlot::mousePress, this, [this](QMouseEvent* e) {
        const QPointF at = e->position();
        double best = 64.0; // 8 px, squared
        std::optional<core::NodeId> hit;
        for (const RooflinePoint& pt : m_rooflinePoints) {
            const double dx = m_roofline->xAxis->coordToPixel(pt.x) - at.x();
            const double dy = m_roofline->yAxis->coordToPixel(pt.y) - at.y();
            if (dx * dx + dy * dy <= best) {
                best = dx * dx + dy * dy;
                hit = pt.id;
            }
        }
        if (hit)
            m_selection.set({*hit}, true);
    });
    connect(m_latency, &QCustomPlot::plottableClick, this, [this](QCPAbstractPlottable* p, int index, QMouseEvent*) {
        auto* bars = qobject_cast<QCPBars*>(p);
        if (!bars || stale())
            return;
        const auto& r = m_reports[0] ? m_reports[0] : m_reports[1];
        int step = static_cast<int>(bars->data()->at(index)->key);
        if (r && step >= 0 && step < static_cast<int>(r->layers.size()))
            m_selection.set({r->layers[static_cast<size_t>(step)].id}, true);
    });
    redrawLatency();
    redrawRoofline();
    redrawSweep();
    redrawTable();
}

RunnerPanel::~RunnerPanel()
{
    if (m_control)
        m_control->cancel = true;
    if (m_job && m_job->thread.joinable())
        m_job->thread.join();
}

void RunnerPanel::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    // QScrollArea::setWidget makes the panel a child of the area's viewport.
    QWidget* viewport = parentWidget();
    if (viewport && qobject_cast<QAbstractScrollArea*>(viewport->parentWidget()) && !m_watchedViewport) {
        m_watchedViewport = viewport;
        viewport->installEventFilter(this);
        fitLabelsTo(viewport->width());
    }
}

bool RunnerPanel::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_watchedViewport && event->type() == QEvent::Resize)
        fitLabelsTo(m_watchedViewport->width());
    return QWidget::eventFilter(watched, event);
}

void RunnerPanel::fitLabelsTo(int visibleWidth)
{
    const QMargins m = layout()->contentsMargins();
    const int width = std::max(120, visibleWidth - m.left() - m.right());
    for (QLabel* l : {m_status, m_explain})
        l->setMaximumWidth(width);
}

const std::optional<core::RunReport>& RunnerPanel::report(BackendKind b) const
{
    return m_reports[static_cast<int>(b)];
}

bool RunnerPanel::stale() const { return (m_reports[0] || m_reports[1]) && m_revision != m_doc.revision(); }

void RunnerPanel::setBackendChoice(int index) { m_backend->setCurrentIndex(index); }
void RunnerPanel::setThreads(int threads) { m_threads->setValue(threads); }
void RunnerPanel::setBatch(int batch) { m_batch->setValue(batch); }
void RunnerPanel::setDeploy(bool deploy) { m_deploy->setChecked(deploy); }

core::RunOptions RunnerPanel::options() const
{
    core::RunOptions o;
    o.threads = m_threads->value();
    o.batch = m_batch->value();
    o.secondsPerLayer = m_secondsPerLayer;
    o.deploy = m_deploy->isChecked();
    return o;
}

void RunnerPanel::startRun() { launch(RunJob); }
void RunnerPanel::startSweep() { launch(SweepJob); }
void RunnerPanel::startProbe() { launch(ProbeJob); }

void RunnerPanel::cancel()
{
    if (m_control)
        m_control->cancel = true;
    m_status->setText("Cancelling…");
}

void RunnerPanel::setBusy(bool busy)
{
    m_running = busy;
    for (QWidget* w :
         std::initializer_list<QWidget*>{m_run, m_sweepButton, m_probeButton, m_backend, m_threads, m_batch, m_deploy})
        w->setEnabled(!busy);
    m_cancel->setEnabled(busy);
}

void RunnerPanel::launch(int kind)
{
    if (m_running)
        return;
    if (m_job && m_job->thread.joinable())
        m_job->thread.join();
    m_job = std::make_unique<Job>();
    m_control = std::make_shared<core::RunControl>();
    setBusy(true);
    m_progress->setRange(0, 0); // busy indicator until the first progress report
    m_progress->setFormat(QStringLiteral("%p%"));
    // The worker gets copies: the design may change while it runs (the result is then stale).
    core::Network net = m_doc.network();
    uint64_t revision = m_doc.revision();
    core::RunOptions opt = options();
    int choice = m_backend->currentIndex();
    auto control = m_control;
    control->progress = [this](int done, int total, const std::string& layer) {
        QMetaObject::invokeMethod(this, [this, done, total, l = QString::fromStdString(layer)] {
            onProgress(done, total, l);
        }, Qt::QueuedConnection);
    };
    m_status->setText(kind == ProbeJob ? "Probing compute peak and memory bandwidth…" : "Running…");
    std::vector<BackendKind> backends;
    for (BackendKind b : {BackendKind::Eigen, BackendKind::OneDnn})
        if (choice == 2 || (choice == 0) == (b == BackendKind::Eigen))
            backends.push_back(b);
    if (kind == SweepJob) {
        // A new sweep replaces the old one point by point, on its own tab, in front.
        m_sweep[0].clear();
        m_sweep[1].clear();
        m_sweepAt = QString("batch 1 on %1").arg(backendName(backends.front()));
        m_status->setText("Batch sweep: " + m_sweepAt + "…");
        redrawSweep();
        m_tabs->setCurrentWidget(m_sweepPlot);
    }
    m_job->thread = std::thread([this, kind, net = std::move(net), revision, opt, choice, control,
                                 backends]() mutable {
        try {
            if (kind == ProbeJob) {
                core::kernels::MachineInfo info = core::kernels::MachineProbe::probe();
                QMetaObject::invokeMethod(this, [this, info] { onProbeFinished(info); }, Qt::QueuedConnection);
            } else if (kind == SweepJob) {
                // One sweep per backend; progress counts runs (a batch size on a backend) over all of
                // them, and each point is posted the moment it is measured.
                const int runs = kSweepSizes * static_cast<int>(backends.size());
                QStringList stopped;
                bool cancelled = false;
                for (size_t bi = 0; bi < backends.size() && !cancelled; ++bi) {
                    const BackendKind b = backends[bi];
                    int64_t batch = 1;
                    int run = static_cast<int>(bi) * kSweepSizes;
                    // Both callbacks run here, on the worker, one after the other: plain locals do.
                    control->progress = [this, b, &batch, &run, runs](int done, int total, const std::string& layer) {
                        QMetaObject::invokeMethod(this, [=, this, l = QString::fromStdString(layer)] {
                            onSweepProgress(b, batch, run, runs, done, total, l);
                        }, Qt::QueuedConnection);
                    };
                    opt.backend = b;
                    std::string why;
                    core::batchSweep(net, opt, kSweepMaxBatch, control.get(), &why, [&](const core::SweepPoint& p) {
                        QMetaObject::invokeMethod(this, [this, b, p] { onSweepPoint(b, p); }, Qt::QueuedConnection);
                        batch = p.batch * 2;
                        ++run;
                    });
                    cancelled = why == "cancelled";
                    if (!why.empty() && !cancelled)
                        stopped << QString("%1 stopped at %2").arg(backendName(b), QString::fromStdString(why));
                }
                control->progress = nullptr;
                QMetaObject::invokeMethod(this, [this, stopped, cancelled, revision] {
                    onSweepFinished(stopped, cancelled, revision);
                }, Qt::QueuedConnection);
            } else {
                std::vector<core::RunReport> reports;
                for (BackendKind b : {BackendKind::Eigen, BackendKind::OneDnn}) {
                    if ((choice == 0 && b != BackendKind::Eigen) || (choice == 1 && b != BackendKind::OneDnn))
                        continue;
                    opt.backend = b;
                    reports.push_back(core::runKernels(net, opt, control.get()));
                    if (reports.back().cancelled)
                        break;
                }
                bool cancelled = control->cancel.load();
                QMetaObject::invokeMethod(this, [this, reports, revision, cancelled] {
                    onRunFinished(reports, revision, cancelled);
                }, Qt::QueuedConnection);
            }
        } catch (const std::exception& e) {
            QString why = QString::fromUtf8(e.what());
            QMetaObject::invokeMethod(this, [this, why] {
                setBusy(false);
                m_status->setText("The run failed: " + why);
            }, Qt::QueuedConnection);
        }
    });
}

void RunnerPanel::onProgress(int done, int total, const QString& layer)
{
    m_progress->setRange(0, std::max(total, 1));
    m_progress->setValue(done);
    if (!layer.isEmpty())
        m_status->setText(QString("Measuring %1 (%2 of %3)…").arg(layer).arg(done + 1).arg(total));
}

void RunnerPanel::onRunFinished(std::vector<core::RunReport> reports, uint64_t revision, bool cancelled)
{
    setBusy(false);
    m_progress->setRange(0, 1);
    m_progress->setValue(cancelled ? 0 : 1);
    if (cancelled) {
        m_progress->setFormat(QStringLiteral("cancelled"));
        m_status->setText("Cancelled; the previous results are kept.");
        return;
    }
    m_reports[0].reset();
    m_reports[1].reset();
    for (core::RunReport& r : reports)
        m_reports[static_cast<int>(r.backend)] = std::move(r);
    m_revision = revision;
    updateStatus();
    redrawLatency();
    redrawRoofline();
    redrawTable();
    emit resultsChanged();
}

void RunnerPanel::onSweepProgress(BackendKind backend, int64_t batch, int run, int runs, int done, int total,
                                  const QString& layer)
{
    if (!m_running)
        return; // a late report after the finish
    total = std::max(total, 1);
    m_progress->setRange(0, runs * total);
    m_progress->setValue(std::min(run * total + done, runs * total));
    m_sweepAt = QString("batch %1 on %2").arg(batch).arg(backendName(backend));
    m_progress->setFormat(m_sweepAt + QStringLiteral(" · %p%"));
    m_status->setText(QString("Batch sweep: %1 (run %2 of %3)%4")
                          .arg(m_sweepAt)
                          .arg(std::min(run + 1, runs))
                          .arg(runs)
                          .arg(layer.isEmpty() ? QString("…") : QString(", measuring %1…").arg(layer)));
}

void RunnerPanel::onSweepPoint(BackendKind backend, core::SweepPoint point)
{
    m_sweep[static_cast<int>(backend)].push_back(point);
    redrawSweep();
    emit sweepPointAdded(backend, point.batch);
}

void RunnerPanel::onSweepFinished(QStringList stoppedBy, bool cancelled, uint64_t revision)
{
    setBusy(false);
    m_sweepRevision = revision;
    const size_t points = m_sweep[0].size() + m_sweep[1].size();
    if (cancelled) {
        // Not complete: the bar stays where the cancel caught it and says so instead of a percentage.
        m_progress->setFormat(QStringLiteral("cancelled at ") + m_sweepAt);
        m_status->setText(points == 0 ? QString("Batch sweep cancelled at %1, before its first point.").arg(m_sweepAt)
                                      : QString("Batch sweep cancelled at %1; the %2 point(s) measured before it "
                                                "are shown.")
                                            .arg(m_sweepAt)
                                            .arg(points));
    } else {
        m_progress->setRange(0, 1);
        m_progress->setValue(1);
        m_progress->setFormat(QStringLiteral("%p%"));
        m_status->setText(stoppedBy.isEmpty() ? QString("Batch sweep finished: %1 point(s).").arg(points)
                                              : "Batch sweep finished early: " + stoppedBy.join("; ") + ".");
    }
    redrawSweep();
    m_tabs->setCurrentWidget(m_sweepPlot);
}

void RunnerPanel::onProbeFinished(core::kernels::MachineInfo info)
{
    setBusy(false);
    m_progress->setRange(0, 1);
    m_progress->setValue(1);
    m_machine = info;
    m_status->setText(machineText(info));
    redrawRoofline();
    redrawTable();
    m_tabs->setCurrentWidget(m_roofline);
}

void RunnerPanel::updateStatus()
{
    if (m_running)
        return;
    m_explain->setVisible(false);
    if (!m_reports[0] && !m_reports[1]) {
        m_status->setText("Not run yet.");
        return;
    }
    if (stale()) {
        m_status->setText("Stale: the design changed after these results were measured. Run again.");
        return;
    }
    QStringList parts;
    double load = 0;
    for (const auto& r : m_reports) {
        if (!r)
            continue;
        if (!r->error.empty()) {
            parts << QString("%1: %2").arg(backendName(r->backend)).arg(QString::fromStdString(r->error));
            continue;
        }
        QString e2e = r->endToEndUs > 0
                          ? us(r->endToEndUs) + QString(" (p90 %1%2)").arg(us(r->endToEndP90Us)).arg(r->endToEndNoisy ? ", noisy" : "")
                          : QString("— (%1)").arg(QString::fromStdString(r->endToEndNote));
        parts << QString("%1, %2 thread(s), batch %3%4: sum of layers %5, end to end %6")
                     .arg(backendName(r->backend))
                     .arg(r->threads)
                     .arg(r->batch)
                     .arg(r->deployed
                              ? QString(", deployed (%1 BatchNorm folded, %2 activations fused)").arg(r->folded).arg(r->fused)
                              : QString())
                     .arg(us(r->sumUs))
                     .arg(e2e);
        if (r->noisyLayers > 0)
            parts << QString("  %1 layer(s) still noisy after re-measuring (p90 > 1.25 × median), "
                             "marked in the charts and the table.")
                         .arg(r->noisyLayers);
        load = std::max(load, r->foreignLoad);
    }
    if (load >= kBusyLoad)
        parts << QString("The machine was busy: other processes used %1% of all CPU time while the layers were "
                         "measured, so latencies read high and vary; compare ratios within this run.")
                     .arg(qRound(load * 100));
    m_status->setText(parts.join("\n"));
    m_explain->setVisible(true);
}

void RunnerPanel::redrawLatency()
{
    QCustomPlot* p = m_latency;
    p->clearPlottables();
    p->xAxis->setLabel("layer, in schedule order");
    p->yAxis->setLabel("median latency (µs), whisker to p90");
    bool isStale = stale();
    int series = (m_reports[0] ? 1 : 0) + (m_reports[1] ? 1 : 0);
    int k = 0;
    double maxY = 1;
    int maxX = 1;
    std::vector<QCPBars*> all;
    std::vector<std::pair<QVector<double>, QVector<double>>> noisy(2);
    // Column i is the layer at schedule step i; a layer deleted since the run is named by its id.
    auto axis = std::make_shared<LayerAxis>();
    if (const auto& r = m_reports[0] ? m_reports[0] : m_reports[1])
        for (const core::LayerTiming& t : r->layers) {
            const core::Node* node = m_doc.network().node(t.id);
            axis->ids.push_back(t.id);
            axis->names.push_back(node ? QString::fromStdString(node->name) : QString("#%1").arg(t.id.v));
        }
    m_latencyTicker->setAxis(std::move(axis));
    for (int b = 0; b < 2; ++b) {
        const auto& r = m_reports[b];
        if (!r)
            continue;
        auto* bars = new QCPBars(p->xAxis, p->yAxis);
        bars->setName(backendName(r->backend) + (isStale ? " (stale)" : ""));
        QColor c = isStale ? kStale : (b == 0 ? kEigen : kOneDnn);
        bars->setBrush(c);
        bars->setPen(Qt::NoPen);
        double width = 0.8 / series;
        bars->setWidth(width);
        QVector<double> x, y, plus;
        for (size_t i = 0; i < r->layers.size(); ++i) {
            const core::LayerTiming& t = r->layers[i];
            if (t.status != TimingStatus::Measured)
                continue;
            x << static_cast<double>(i) + (series == 2 ? (k == 0 ? -width / 2 : width / 2) : 0);
            y << t.medianUs;
            plus << t.p90Us - t.medianUs;
            if (t.noisy) {
                noisy[static_cast<size_t>(b)].first << x.back();
                noisy[static_cast<size_t>(b)].second << t.medianUs;
            }
            maxY = std::max(maxY, t.p90Us);
        }
        maxX = std::max(maxX, static_cast<int>(r->layers.size()));
        bars->setData(x, y);
        all.push_back(bars);
        // The spread: a whisker from the median up to the p90.
        auto* whisker = new QCPErrorBars(p->xAxis, p->yAxis);
        whisker->removeFromLegend();
        whisker->setDataPlottable(bars);
        whisker->setData(QVector<double>(plus.size(), 0.0), plus);
        whisker->setPen(QPen(c.darker(150)));
        whisker->setSelectable(QCP::stNone);
        ++k;
    }
    // Noisy layers: hatched in red over their bar, one legend entry.
    bool noisyLegend = false;
    for (int b = 0; b < 2; ++b) {
        if (noisy[static_cast<size_t>(b)].first.isEmpty())
            continue;
        auto* n = new QCPBars(p->xAxis, p->yAxis);
        n->setName("noisy (p90 > 1.25× median)");
        n->setBrush(QBrush(kNoisy, Qt::BDiagPattern));
        n->setPen(QPen(kNoisy));
        n->setWidth(all.empty() ? 0.8 : all.front()->width());
        n->setData(noisy[static_cast<size_t>(b)].first, noisy[static_cast<size_t>(b)].second);
        n->setSelectable(QCP::stNone);
        n->setProperty("ncNoisy", true);
        if (noisyLegend)
            n->removeFromLegend();
        noisyLegend = true;
    }
    p->xAxis->setRange(-0.6, maxX - 0.4);
    p->yAxis->setRange(0, maxY * 1.1);
    p->legend->setVisible(series > 0);
    p->replot(QCustomPlot::rpQueuedReplot);
}

void RunnerPanel::redrawRoofline()
{
    namespace kk = core::kernels;
    QCustomPlot* p = m_roofline;
    p->clearPlottables();
    p->clearItems();
    m_rooflinePoints.clear();
    m_roofLabels.clear();
    for (QCPAxis* a : {p->xAxis, p->yAxis}) {
        a->setScaleType(QCPAxis::stLogarithmic);
        a->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    }
    p->xAxis->setLabel("arithmetic intensity (operations per byte)");
    p->yAxis->setLabel("achieved GOP/s (padding taps left out)");
    // Points crowd the upper left (low intensity) and the roofs run along the top: the legend goes
    // bottom right, where the ridge leaves empty space.
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    double xmin = 0.01, xmax = 1000, ymin = 0.01, ymax = 100;
    bool isStale = stale();
    int threads = m_threads->value();
    struct Drop {
        double x, y, roof;
        int level;
    };
    std::vector<Drop> drops;
    QVector<double> nx, ny;
    for (int b = 0; b < 2; ++b) {
        const auto& r = m_reports[b];
        if (!r)
            continue;
        threads = r->threads;
        auto* g = new QCPGraph(p->xAxis, p->yAxis);
        g->setName(backendName(r->backend) + " layers" + (isStale ? " (stale)" : ""));
        g->setLineStyle(QCPGraph::lsNone);
        QColor c = isStale ? kStale : (b == 0 ? kEigen : kOneDnn);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, c, c, 6));
        std::vector<std::pair<double, size_t>> order;
        for (size_t i = 0; i < r->layers.size(); ++i)
            if (r->layers[i].status == TimingStatus::Measured && r->layers[i].intensity > 0 && r->layers[i].gops > 0)
                order.push_back({r->layers[i].intensity, i});
        std::sort(order.begin(), order.end());
        QVector<double> x, y;
        for (auto [ai, i] : order) {
            const core::LayerTiming& t = r->layers[i];
            x << ai;
            y << t.gops;
            m_rooflinePoints.push_back({ai, t.gops, t.id});
            xmin = std::min(xmin, ai / 2), xmax = std::max(xmax, ai * 2);
            ymin = std::min(ymin, t.gops / 2), ymax = std::max(ymax, t.gops * 2);
            if (t.noisy)
                nx << ai, ny << t.gops;
            if (m_machine)
                drops.push_back({ai, t.gops, m_machine->roofGops(ai, t.bytesMoved, r->threads),
                                 static_cast<int>(m_machine->levelFor(t.bytesMoved, r->threads))});
        }
        g->setData(x, y, true);
    }
    if (!nx.isEmpty()) {
        // Drawn over the layer points (and after them, so point indices still map to layers).
        auto* n = new QCPGraph(p->xAxis, p->yAxis);
        n->setName("noisy measurement");
        n->setLineStyle(QCPGraph::lsNone);
        n->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, QPen(kNoisy, 2), Qt::NoBrush, 10));
        n->setData(nx, ny);
        n->setSelectable(QCP::stNone);
    }
    if (m_machine) {
        const kk::Roofs* roofs = m_machine->roofsFor(threads);
        const double peak = roofs->peakGflops;
        m_roofPeak = peak;
        ymax = std::max(ymax, peak * 4);
        double lowest = peak;
        QCPLayer* labels = p->layer("roof labels");
        if (!labels) {
            p->addLayer("roof labels", p->layer("main"), QCustomPlot::limAbove);
            labels = p->layer("roof labels");
        }
        // One roof per memory level: min(peak, bandwidth × intensity), labelled on its slanted part.
        for (int l = 0; l < kk::kMemoryLevels; ++l) {
            const double bw = roofs->bandwidthGBs[static_cast<size_t>(l)];
            if (bw <= 0)
                continue;
            lowest = std::min(lowest, bw * xmin);
            auto* roof = new QCPGraph(p->xAxis, p->yAxis);
            roof->setName(QString("%1 roof").arg(kk::memoryLevelLabel(static_cast<kk::MemoryLevel>(l))));
            roof->removeFromLegend();
            roof->setPen(QPen(kLevel[l], l == kk::kMemoryLevels - 1 ? 2.0 : 1.5));
            QVector<double> x, y;
            for (double ai : {xmin, peak / bw, xmax}) {
                x << ai;
                y << std::min(peak, bw * ai);
            }
            roof->setData(x, y, true);
            roof->setSelectable(QCP::stNone);
            auto* label = new QCPItemText(p);
            label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
            label->setText(QString("%1 %2 GB/s").arg(kk::memoryLevelLabel(static_cast<kk::MemoryLevel>(l))).arg(bw, 0, 'f', 0));
            label->setColor(kLevel[l]);
            label->setFont(QFont(font().family(), 8));
            // Over the roofs it may be pushed onto, the label stays readable.
            label->setBrush(Qt::white);
            label->setLayer(labels); // over the roofs, points and drop lines drawn after it
            m_roofLabels.push_back({label, bw});
        }
        std::sort(m_roofLabels.begin(), m_roofLabels.end(),
                  [](const RoofLabel& a, const RoofLabel& b) { return a.bandwidth > b.bandwidth; });
        auto* peakLabel = new QCPItemText(p);
        peakLabel->position->setCoords(xmax / 1.5, peak * 1.1);
        peakLabel->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
        peakLabel->setText(QString("fp32 FMA peak %1 GFLOP/s (%2 thread%3)")
                               .arg(peak, 0, 'f', 0)
                               .arg(roofs->threads)
                               .arg(roofs->threads > 1 ? "s" : ""));
        peakLabel->setFont(QFont(font().family(), 8));
        ymin = std::min(ymin, lowest / 2);
        // Each layer against the roof of the level its working set fits: a dotted line up to it.
        for (const Drop& d : drops) {
            auto* line = new QCPItemLine(p);
            line->start->setCoords(d.x, d.y);
            line->end->setCoords(d.x, d.roof);
            QPen pen(kLevel[d.level], 1, Qt::DotLine);
            line->setPen(pen);
            line->setSelectable(false);
        }
    }
    p->xAxis->setRange(xmin, xmax);
    p->yAxis->setRange(ymin, ymax);
    p->replot(QCustomPlot::rpQueuedReplot);
}

void RunnerPanel::placeRoofLabels()
{
    QCPAxis* x = m_roofline->xAxis;
    QCPAxis* y = m_roofline->yAxis;
    const double lx = x->range().lower * 1.6;
    double below = -1e9; // pixel row under the previous label (y grows downwards)
    for (const RoofLabel& l : m_roofLabels) {
        const double height = QFontMetricsF(l.item->font()).height() + 2;
        const double onRoof = y->coordToPixel(std::min(m_roofPeak, l.bandwidth * lx)) - 2;
        const double bottom = std::max(onRoof, below + height);
        l.item->position->setCoords(lx, y->pixelToCoord(bottom));
        below = bottom;
    }
}

void RunnerPanel::redrawTable()
{
    namespace kk = core::kernels;
    const QStringList headers{"layer", "backend", "median", "p90", "p90/median", "CV", "foreign load",
                              "flag", "GFLOP/s", "roof level", "note"};
    m_table->clear();
    m_table->setColumnCount(static_cast<int>(headers.size()));
    m_table->setHorizontalHeaderLabels(headers);
    m_table->setRowCount(0);
    if (stale())
        return;
    const core::Network& net = m_doc.network();
    for (const auto& r : m_reports) {
        if (!r)
            continue;
        for (const core::LayerTiming& t : r->layers) {
            if (t.status != TimingStatus::Measured)
                continue;
            const int row = m_table->rowCount();
            m_table->insertRow(row);
            const core::Node* node = net.node(t.id);
            QString level = "—";
            if (m_machine)
                level = kk::memoryLevelLabel(m_machine->levelFor(t.bytesMoved, r->threads));
            const QStringList cells{node ? QString::fromStdString(node->name) : QString::number(t.id.v),
                                    backendName(r->backend),
                                    us(t.medianUs),
                                    us(t.p90Us),
                                    QString::number(t.spread, 'f', 2),
                                    QString::number(t.cv, 'f', 2),
                                    QString("%1%").arg(qRound(t.foreignLoad * 100)),
                                    t.noisy ? QString("noisy") : QString(),
                                    QString::number(t.gflops, 'f', 1),
                                    level,
                                    QString::fromStdString(t.note)};
            for (int c = 0; c < cells.size(); ++c) {
                auto* item = new QTableWidgetItem(cells[c]);
                if (t.noisy)
                    item->setBackground(QColor(0xfb, 0xe3, 0xe3));
                if (c == 7 && t.noisy)
                    item->setToolTip(QString("Still noisy after %1 measurement(s): p90 %2× the median, CV %3")
                                         .arg(t.attempts)
                                         .arg(t.spread, 0, 'f', 2)
                                         .arg(t.cv, 0, 'f', 2));
                m_table->setItem(row, c, item);
            }
        }
    }
    m_table->resizeColumnsToContents();
}

void RunnerPanel::redrawSweep()
{
    QCustomPlot* p = m_sweepPlot;
    p->clearPlottables();
    p->xAxis->setScaleType(QCPAxis::stLogarithmic);
    // Ticks at the batch sizes measured (1, 2, 4, …), not at the decades a log ticker would pick.
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (int64_t b = 1; b <= kSweepMaxBatch; b *= 2)
        ticker->addTick(static_cast<double>(b), QString::number(b));
    p->xAxis->setTicker(ticker);
    p->xAxis->setLabel("batch");
    p->yAxis->setLabel("latency per batch (ms), solid");
    p->yAxis2->setVisible(true);
    p->yAxis2->setLabel("throughput (samples/s), dashed");
    // Latency and throughput both grow with the batch: the lower right stays empty for the legend.
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    double maxBatch = 2, maxLatency = 0, maxThroughput = 0;
    for (BackendKind b : {BackendKind::Eigen, BackendKind::OneDnn}) {
        const std::vector<core::SweepPoint>& pts = m_sweep[static_cast<int>(b)];
        if (pts.empty())
            continue;
        // One colour per backend, as in the latency chart; the measure by line style and axis.
        const QColor c = b == BackendKind::Eigen ? kEigen : kOneDnn;
        auto* lat = new QCPGraph(p->xAxis, p->yAxis);
        lat->setName(backendName(b) + " latency (ms)");
        lat->setPen(QPen(c, 2));
        lat->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 6));
        auto* thr = new QCPGraph(p->xAxis, p->yAxis2);
        thr->setName(backendName(b) + " throughput (samples/s)");
        thr->setPen(QPen(c, 2, Qt::DashLine));
        thr->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, 6));
        QVector<double> x, l, t;
        for (const core::SweepPoint& s : pts) {
            x << static_cast<double>(s.batch);
            l << s.latencyUs / 1e3;
            t << s.samplesPerSecond;
            maxBatch = std::max(maxBatch, x.back());
            maxLatency = std::max(maxLatency, l.back());
            maxThroughput = std::max(maxThroughput, t.back());
        }
        lat->setData(x, l);
        thr->setData(x, t);
    }
    p->legend->setVisible(p->plottableCount() > 0);
    p->xAxis->setRange(0.7, std::max(static_cast<double>(kSweepMaxBatch), maxBatch) * 1.4);
    p->yAxis->setRange(0, maxLatency > 0 ? maxLatency * 1.15 : 1);
    p->yAxis2->setRange(0, maxThroughput > 0 ? maxThroughput * 1.15 : 1);
    p->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace nc::widgets
