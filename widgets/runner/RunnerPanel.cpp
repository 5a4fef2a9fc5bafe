// RunnerPanel: controls, worker thread, and the latency / roofline / batch-sweep plots.
#include "RunnerPanel.h"

#include "../Selection.h"
#include "core/Format.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
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
    layout->addLayout(form);

    auto* buttons = new QHBoxLayout;
    m_run = new QPushButton("Run");
    m_run->setToolTip("Execute every layer on random data and measure its latency");
    m_sweepButton = new QPushButton("Batch sweep");
    m_sweepButton->setToolTip("Latency and throughput at batch 1, 2, 4, … 64");
    m_probeButton = new QPushButton("Probe machine");
    m_probeButton->setToolTip("Measure this machine's compute peak and memory bandwidth (the roofline's roofs)");
    m_cancel = new QPushButton("Cancel");
    m_cancel->setEnabled(false);
    for (QPushButton* b : {m_run, m_sweepButton, m_probeButton, m_cancel})
        buttons->addWidget(b);
    layout->addLayout(buttons);
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    layout->addWidget(m_progress);
    m_status = new QLabel("Not run yet.");
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    m_tabs = new QTabWidget;
    m_latency = new QCustomPlot;
    m_roofline = new QCustomPlot;
    m_sweepPlot = new QCustomPlot;
    m_tabs->addTab(m_latency, "Latency");
    m_tabs->addTab(m_roofline, "Roofline");
    m_tabs->addTab(m_sweepPlot, "Batch sweep");
    layout->addWidget(m_tabs, 1);
    for (QCustomPlot* p : {m_latency, m_roofline, m_sweepPlot}) {
        p->setMinimumHeight(220);
        p->legend->setVisible(true);
        p->legend->setFont(QFont(font().family(), 8));
    }

    connect(m_run, &QPushButton::clicked, this, &RunnerPanel::startRun);
    connect(m_sweepButton, &QPushButton::clicked, this, &RunnerPanel::startSweep);
    connect(m_probeButton, &QPushButton::clicked, this, &RunnerPanel::startProbe);
    connect(m_cancel, &QPushButton::clicked, this, &RunnerPanel::cancel);
    connect(&m_doc, &core::Document::changed, this, [this](const core::Change& c) {
        if (c.kind != core::ChangeKind::Positions) {
            updateStatus();
            redrawLatency();
            redrawRoofline();
            emit resultsChanged();
        }
    });
    connect(m_roofline, &QCustomPlot::plottableClick, this,
            [this](QCPAbstractPlottable* p, int index, QMouseEvent*) {
                bool ok = false;
                int base = p->property("ncOffset").toInt(&ok);
                if (!ok)
                    return;
                size_t i = static_cast<size_t>(base + index);
                if (i < m_rooflineIds.size())
                    m_selection.set({m_rooflineIds[i]}, true);
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
}

RunnerPanel::~RunnerPanel()
{
    if (m_control)
        m_control->cancel = true;
    if (m_job && m_job->thread.joinable())
        m_job->thread.join();
}

const std::optional<core::RunReport>& RunnerPanel::report(BackendKind b) const
{
    return m_reports[static_cast<int>(b)];
}

bool RunnerPanel::stale() const { return (m_reports[0] || m_reports[1]) && m_revision != m_doc.revision(); }

void RunnerPanel::setBackendChoice(int index) { m_backend->setCurrentIndex(index); }
void RunnerPanel::setThreads(int threads) { m_threads->setValue(threads); }
void RunnerPanel::setBatch(int batch) { m_batch->setValue(batch); }

core::RunOptions RunnerPanel::options() const
{
    core::RunOptions o;
    o.threads = m_threads->value();
    o.batch = m_batch->value();
    o.secondsPerLayer = m_secondsPerLayer;
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
    for (QWidget* w : std::initializer_list<QWidget*>{m_run, m_sweepButton, m_probeButton, m_backend, m_threads, m_batch})
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
    m_job->thread = std::thread([this, kind, net = std::move(net), revision, opt, choice, control]() mutable {
        try {
            if (kind == ProbeJob) {
                core::kernels::MachineInfo info = core::kernels::MachineProbe::probe();
                QMetaObject::invokeMethod(this, [this, info] { onProbeFinished(info); }, Qt::QueuedConnection);
            } else if (kind == SweepJob) {
                std::string stopped;
                opt.backend = choice == 1 ? BackendKind::OneDnn : BackendKind::Eigen;
                auto pts = core::batchSweep(net, opt, 64, control.get(), &stopped);
                QMetaObject::invokeMethod(this, [this, pts, s = QString::fromStdString(stopped), revision] {
                    onSweepFinished(pts, s, revision);
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
    emit resultsChanged();
}

void RunnerPanel::onSweepFinished(std::vector<core::SweepPoint> points, QString stoppedBy, uint64_t revision)
{
    setBusy(false);
    // A cancelled sweep is not complete: no full bar, and say what was measured before the cancel.
    const bool cancelled = stoppedBy == QLatin1String("cancelled");
    m_progress->setRange(0, 1);
    m_progress->setValue(cancelled ? 0 : 1);
    m_sweep = std::move(points);
    m_sweepNote = cancelled ? QString() : stoppedBy;
    m_sweepRevision = revision;
    if (cancelled)
        m_status->setText(QString("Batch sweep cancelled after %1 batch size(s).").arg(m_sweep.size()));
    else
        m_status->setText(stoppedBy.isEmpty() ? "Batch sweep finished." : "Batch sweep stopped at " + stoppedBy);
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
    m_tabs->setCurrentWidget(m_roofline);
}

void RunnerPanel::updateStatus()
{
    if (m_running)
        return;
    if (!m_reports[0] && !m_reports[1]) {
        m_status->setText("Not run yet.");
        return;
    }
    if (stale()) {
        m_status->setText("Stale: the design changed after these results were measured. Run again.");
        return;
    }
    QStringList parts;
    for (const auto& r : m_reports)
        if (r)
            parts << QString("%1, %2 thread(s), batch %3: sum of layers %4, end to end %5")
                         .arg(core::backendKey(r->backend))
                         .arg(r->threads)
                         .arg(r->batch)
                         .arg(us(r->sumUs))
                         .arg(r->endToEndUs > 0 ? us(r->endToEndUs) : QString("—"));
    m_status->setText(parts.join("\n"));
}

void RunnerPanel::redrawLatency()
{
    QCustomPlot* p = m_latency;
    p->clearPlottables();
    p->xAxis->setLabel("layer (schedule order)");
    p->yAxis->setLabel("median latency (µs)");
    bool isStale = stale();
    int series = (m_reports[0] ? 1 : 0) + (m_reports[1] ? 1 : 0);
    int k = 0;
    double maxY = 1;
    int maxX = 1;
    for (int b = 0; b < 2; ++b) {
        const auto& r = m_reports[b];
        if (!r)
            continue;
        auto* bars = new QCPBars(p->xAxis, p->yAxis);
        bars->setName(QString(core::backendKey(r->backend)) + (isStale ? " (stale)" : ""));
        QColor c = isStale ? kStale : (b == 0 ? kEigen : kOneDnn);
        bars->setBrush(c);
        bars->setPen(Qt::NoPen);
        double width = 0.8 / series;
        bars->setWidth(width);
        QVector<double> x, y;
        for (size_t i = 0; i < r->layers.size(); ++i) {
            if (r->layers[i].status != TimingStatus::Measured)
                continue;
            x << static_cast<double>(i) + (series == 2 ? (k == 0 ? -width / 2 : width / 2) : 0);
            y << r->layers[i].medianUs;
            maxY = std::max(maxY, r->layers[i].medianUs);
        }
        maxX = std::max(maxX, static_cast<int>(r->layers.size()));
        bars->setData(x, y);
        ++k;
    }
    p->xAxis->setRange(-1, maxX);
    p->yAxis->setRange(0, maxY * 1.1);
    p->legend->setVisible(series > 0);
    p->replot(QCustomPlot::rpQueuedReplot);
}

void RunnerPanel::redrawRoofline()
{
    QCustomPlot* p = m_roofline;
    p->clearPlottables();
    p->clearItems();
    m_rooflineIds.clear();
    for (QCPAxis* a : {p->xAxis, p->yAxis}) {
        a->setScaleType(QCPAxis::stLogarithmic);
        a->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    }
    p->xAxis->setLabel("arithmetic intensity (operations per byte moved)");
    p->yAxis->setLabel("achieved GOP/s");
    // Points crowd the upper left (low intensity) and the roofs run along the top: the legend goes
    // bottom right, where the ridge leaves empty space.
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    double xmin = 0.01, xmax = 1000, ymin = 0.01, ymax = 100;
    bool isStale = stale();
    int offset = 0;
    for (int b = 0; b < 2; ++b) {
        const auto& r = m_reports[b];
        if (!r)
            continue;
        auto* g = new QCPGraph(p->xAxis, p->yAxis);
        g->setName(QString(core::backendKey(r->backend)) + " layers" + (isStale ? " (stale)" : ""));
        g->setLineStyle(QCPGraph::lsNone);
        QColor c = isStale ? kStale : (b == 0 ? kEigen : kOneDnn);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, c, c, 6));
        g->setProperty("ncOffset", offset);
        // QCPGraph sorts by key; add points in intensity order so the index maps back to a layer.
        std::vector<std::pair<double, size_t>> order;
        for (size_t i = 0; i < r->layers.size(); ++i)
            if (r->layers[i].status == TimingStatus::Measured && r->layers[i].intensity > 0 && r->layers[i].gops > 0)
                order.push_back({r->layers[i].intensity, i});
        std::sort(order.begin(), order.end());
        QVector<double> x, y;
        for (auto [ai, i] : order) {
            x << ai;
            y << r->layers[i].gops;
            m_rooflineIds.push_back(r->layers[i].id);
            xmin = std::min(xmin, ai / 2), xmax = std::max(xmax, ai * 2);
            ymin = std::min(ymin, r->layers[i].gops / 2), ymax = std::max(ymax, r->layers[i].gops * 2);
        }
        g->setData(x, y, true);
        offset += static_cast<int>(x.size());
    }
    if (m_machine) {
        int threads = m_threads->value();
        const core::kernels::Roofs* roofs = m_machine->roofsFor(threads);
        double peak = roofs->peakGflops;
        double bw = roofs->bandwidthGBs[3];
        ymax = std::max(ymax, peak * 4);
        auto* roof = new QCPGraph(p->xAxis, p->yAxis);
        roof->setName(QString("roofs: %1 GB/s, %2 GFLOP/s").arg(bw, 0, 'f', 1).arg(peak, 0, 'f', 0));
        roof->setPen(QPen(Qt::black, 2));
        QVector<double> x, y;
        double ridge = peak / bw;
        for (double ai : {xmin, ridge, xmax}) {
            x << ai;
            y << std::min(peak, bw * ai);
        }
        roof->setData(x, y, true);
        roof->setSelectable(QCP::stNone);
    }
    p->xAxis->setRange(xmin, xmax);
    p->yAxis->setRange(ymin, ymax);
    p->replot(QCustomPlot::rpQueuedReplot);
}

void RunnerPanel::redrawSweep()
{
    QCustomPlot* p = m_sweepPlot;
    p->clearPlottables();
    p->xAxis->setScaleType(QCPAxis::stLogarithmic);
    p->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    p->xAxis->setLabel("batch");
    p->yAxis->setLabel("latency per batch (ms)");
    p->yAxis2->setVisible(true);
    p->yAxis2->setLabel("throughput (samples/s)");
    auto* lat = new QCPGraph(p->xAxis, p->yAxis);
    lat->setName("latency (ms)");
    lat->setPen(QPen(kEigen, 2));
    lat->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 6));
    auto* thr = new QCPGraph(p->xAxis, p->yAxis2);
    thr->setName("throughput (samples/s)");
    thr->setPen(QPen(kOneDnn, 2));
    thr->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, 6));
    QVector<double> x, l, t;
    for (const core::SweepPoint& s : m_sweep) {
        x << static_cast<double>(s.batch);
        l << s.latencyUs / 1e3;
        t << s.samplesPerSecond;
    }
    lat->setData(x, l);
    thr->setData(x, t);
    p->xAxis->setRange(0.7, std::max(2.0, x.isEmpty() ? 64.0 : x.back() * 1.4));
    p->yAxis->setRange(0, l.isEmpty() ? 1 : *std::max_element(l.begin(), l.end()) * 1.15);
    p->yAxis2->setRange(0, t.isEmpty() ? 1 : *std::max_element(t.begin(), t.end()) * 1.15);
    p->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace nc::widgets
