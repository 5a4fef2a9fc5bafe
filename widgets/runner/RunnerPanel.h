// RunnerPanel: the kernel runner in the GUI — backend, threads and batch; a run in a worker thread
// with progress and cancel; measured latency per layer with its spread, a table that flags noisy
// layers, the cache-aware roofline (one roof per memory level) and the batch sweep, whose points
// appear as they are measured, one series per backend.
//
// Results are values posted back from the worker. A result belongs to the Document revision it was
// measured at; once the design changes it is marked stale and never shown as current.
#pragma once

#include "core/Document.h"
#include "core/runner/KernelRunner.h"
#include "kernels/MachineProbe.h"

#include <QSharedPointer>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <optional>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QCPItemText;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableWidget;

namespace nc::widgets {

class LayerTicker;
class Selection;

class RunnerPanel : public QWidget {
    Q_OBJECT
public:
    RunnerPanel(core::Document& doc, Selection& selection, QWidget* parent = nullptr);
    ~RunnerPanel() override;

    // Latest finished run per backend (both when "both" was chosen); nullopt when none.
    const std::optional<core::RunReport>& report(core::BackendKind b) const;
    // True when the design changed after the shown results were measured.
    bool stale() const;
    bool running() const { return m_running; }
    // Batch-sweep points measured so far on backend `b` (grows while a sweep runs).
    const std::vector<core::SweepPoint>& sweep(core::BackendKind b) const { return m_sweep[static_cast<int>(b)]; }
    std::optional<core::kernels::MachineInfo> machine() const { return m_machine; }

    // For tests and scripts: the same as the buttons.
    void setBackendChoice(int index); // 0 Eigen, 1 oneDNN, 2 both
    void setThreads(int threads);
    void setBatch(int batch);        // 0: the design's batch
    void setDeploy(bool deploy);     // run the deployment graph (BatchNorm folded, activations fused)
    void setSecondsPerLayer(double s) { m_secondsPerLayer = s; }
    void startRun();
    void startSweep();
    void startProbe();
    void cancel();

    QCustomPlot* latencyPlot() const { return m_latency; }
    QCustomPlot* rooflinePlot() const { return m_roofline; }
    QCustomPlot* sweepPlot() const { return m_sweepPlot; }
    QTableWidget* table() const { return m_table; }
    // The sentence under the status saying why the sum of layers and the end-to-end time differ.
    QLabel* explanation() const { return m_explain; }
    // The run's summary ("Eigen, 2 thread(s), batch 1: sum of layers …") or the current state.
    QLabel* statusLabel() const { return m_status; }
    QProgressBar* progressBar() const { return m_progress; }

signals:
    // A run finished (or was cancelled) and report() changed; or results turned stale.
    void resultsChanged();
    // A batch-sweep point arrived and is drawn (emitted while the sweep still runs).
    void sweepPointAdded(core::BackendKind backend, qint64 batch);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    struct Job;
    // Inside a scroll area (the dock) the panel may be laid out wider than what is visible; the
    // wrapped labels then take the visible width, so their text is never cut on the right.
    void fitLabelsTo(int visibleWidth);
    QWidget* m_watchedViewport = nullptr;
    void launch(int kind);
    void onProgress(int done, int total, const QString& layer);
    void onRunFinished(std::vector<core::RunReport> reports, uint64_t revision, bool cancelled);
    void onSweepProgress(core::BackendKind backend, int64_t batch, int run, int runs, int done, int total,
                         const QString& layer);
    void onSweepPoint(core::BackendKind backend, core::SweepPoint point);
    void onSweepFinished(QStringList stoppedBy, bool cancelled, uint64_t revision);
    void onProbeFinished(core::kernels::MachineInfo info);
    void setBusy(bool busy);
    void redrawLatency();
    void redrawRoofline();
    // Puts each roof's label just above its roof at the left edge, pushed down as far as needed not
    // to overlap the one above (the L1 and L2 roofs run a few pixels apart). Pixel spacing depends
    // on the plot's size, so it runs after every layout.
    void placeRoofLabels();
    void redrawSweep();
    void redrawTable();
    void updateStatus();
    core::RunOptions options() const;

    core::Document& m_doc;
    Selection& m_selection;
    QComboBox* m_backend = nullptr;
    QSpinBox* m_threads = nullptr;
    QSpinBox* m_batch = nullptr;
    QCheckBox* m_deploy = nullptr;
    bool m_followedDeploy = false; // the Document's deployment view when last seen
    QPushButton* m_run = nullptr;
    QPushButton* m_sweepButton = nullptr;
    QPushButton* m_probeButton = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_explain = nullptr;
    QTableWidget* m_table = nullptr;
    QTabWidget* m_tabs = nullptr;
    QCustomPlot* m_latency = nullptr;
    QCustomPlot* m_roofline = nullptr;
    QCustomPlot* m_sweepPlot = nullptr;

    std::optional<core::RunReport> m_reports[2];
    uint64_t m_revision = 0;      // Document revision the reports were measured at
    std::vector<core::SweepPoint> m_sweep[2]; // per BackendKind
    QString m_sweepAt;                        // "batch 8 on oneDNN": what the sweep measures now
    uint64_t m_sweepRevision = 0;
    std::optional<core::kernels::MachineInfo> m_machine;
    struct RooflinePoint {
        double x, y;
        core::NodeId id;
    };
    std::vector<RooflinePoint> m_rooflinePoints; // for clicks: a layer per drawn point
    struct RoofLabel {
        QCPItemText* item;
        double bandwidth;
    };
    std::vector<RoofLabel> m_roofLabels; // fastest level first
    double m_roofPeak = 0;               // the compute roof they meet
    QSharedPointer<LayerTicker> m_latencyTicker; // layer names under the latency bars
    double m_secondsPerLayer = 0.1;
    bool m_running = false;
    std::shared_ptr<core::RunControl> m_control;
    std::unique_ptr<Job> m_job;
};

} // namespace nc::widgets
