// CompareWindow: two designs side by side — the totals table with differences and ratios, per-layer
// bar charts of both aligned one above the other with a linked selection, a second design opened from
// a file or the zoo or made from the first by a scaling knob, the lecture's wide/deep experiment, and
// latency measured on both backends at 1 and 2 threads in a worker thread.
#pragma once

#include "core/Document.h"
#include "core/compare/Compare.h"
#include "core/compare/Experiment.h"

#include <QFuture>
#include <QPointer>
#include <QWidget>

#include <memory>
#include <vector>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace nc::widgets {

class CompareChart;

// Design A is either the main window's open document (live: every edit there updates the comparison)
// or a design of the window's own; design B is always the window's own. The window computes nothing
// itself: core::compare does, on every change of either document. Owned by its parent (or by whoever
// shows it as a top-level window); GUI thread only. Kernel runs happen on a worker thread whose
// results are posted back by value; closing the window cancels and waits for it.
class CompareWindow : public QWidget {
    Q_OBJECT
public:
    explicit CompareWindow(core::Document* live = nullptr, QWidget* parent = nullptr);
    ~CompareWindow() override;

    // A becomes a design of the window's own (detached from the live document).
    void setDesignA(core::Network net);
    void setDesignB(core::Network net);
    // Design A back to the live document (when there is one).
    void followLiveDocument();
    [[nodiscard]] core::Status openB(const QString& spec); // "zoo:resnet50" or a design file
    // B = knob(A): knob 0 width (factor, divisor), 1 depth, 2 resolution, 3 compound (factor = φ).
    [[nodiscard]] core::Status makeVariant(int knob, double factor, int divisor);
    // Generates the equal-parameter pair as A and B and measures both (worker thread).
    [[nodiscard]] core::Status startExperiment();
    // Measures A and B on both backends at 1 and 2 threads (worker thread).
    void startMeasure();
    void cancelMeasure();
    bool measuring() const { return m_running; }

    core::Document& documentA() { return *m_a; }
    core::Document& documentB() { return m_b; }
    const core::compare::Comparison& comparison() const { return m_comparison; }
    const std::vector<core::compare::Metric>& rows() const { return m_rows; }
    QTableWidget* totalsTable() const { return m_table; }
    CompareChart* chartA() const { return m_chartA; }
    CompareChart* chartB() const { return m_chartB; }
    QComboBox* metricCombo() const { return m_metric; }
    QLabel* selectionLabel() const { return m_selectionLabel; }
    QProgressBar* progressBar() const { return m_progress; }
    // Select an aligned row in both charts (what a click on either does).
    void selectRow(int row);
    // Recomputes the comparison and redraws (what every change of either document triggers).
    void refresh();

    // Experiment options (the GUI test shortens the measurement).
    core::compare::ExperimentOptions& measureOptions() { return m_measureOptions; }

signals:
    void measureFinished();

private:
    void buildUi();
    void fillTable();
    void fillCharts();
    void attachA(core::Document* doc);
    void showMessage(const QString& text, bool error);
    void openBDialog();

    QPointer<core::Document> m_live;
    core::Document m_ownA;
    core::Document m_b;
    core::Document* m_a = nullptr;
    QMetaObject::Connection m_aConnection;

    core::compare::Comparison m_comparison;
    std::vector<core::compare::Metric> m_rows;
    // Latency rows of the last measurement and the revisions of A and B it measured.
    std::vector<core::compare::Metric> m_latencyRows;
    uint64_t m_measuredA = 0, m_measuredB = 0;
    const core::Document* m_measuredDocA = nullptr;

    core::compare::ExperimentOptions m_measureOptions;
    std::shared_ptr<core::compare::ExperimentControl> m_control;
    QFuture<void> m_future;
    bool m_running = false;

    QLabel* m_nameA = nullptr;
    QLabel* m_nameB = nullptr;
    QPushButton* m_liveButton = nullptr;
    QComboBox* m_zooB = nullptr;
    QComboBox* m_knob = nullptr;
    QDoubleSpinBox* m_factor = nullptr;
    QSpinBox* m_divisor = nullptr;
    QPushButton* m_measureButton = nullptr;
    QPushButton* m_cancelButton = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_message = nullptr;
    QTableWidget* m_table = nullptr;
    QComboBox* m_metric = nullptr;
    CompareChart* m_chartA = nullptr;
    CompareChart* m_chartB = nullptr;
    QLabel* m_selectionLabel = nullptr;
};

} // namespace nc::widgets
