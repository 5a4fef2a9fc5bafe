// ChartsPanel: the dock of charts beside the canvas — where the cost goes, per layer and over the
// schedule — following the Document live and linked to the shared selection.
#pragma once

#include "ChartData.h"

#include "core/Document.h"
#include "core/Result.h"

#include <QString>
#include <QTimer>
#include <QWidget>

#include <vector>

class QCheckBox;
class QSplitter;
class QTabWidget;

namespace nc::widgets {

class BudgetEdit;
class ChartBase;
class EnergyView;
class LayerBarChart;
class LayerTable;
class MemoryTimelineChart;
class ReceptiveFieldChart;
class Selection;
class SummaryStrip;
class ViewOptions;

// Layout: a tool row (log scale, memory budget, export), the SummaryStrip, then two tab stacks in a
// splitter — per-layer bars on top (activation memory, parameters with model size, MACs, energy
// with its table row, and latency once setLatency has been called), the schedule views below
// (memory timeline, receptive field, table) — so a cost and its place in the schedule are visible
// together.
//
// Data flow: the panel reads Document::analysis() and hands plain vectors (ChartData) to each chart;
// nothing here computes a figure. Updates are levelled and coalesced: Document::changed marks the
// data dirty (ChangeKind::Positions marks nothing), Selection::changed the highlight, ViewOptions::
// changed the scales and budget; a zero-delay timer drains the levels once per event-loop turn and
// each chart queues a single replot, so a burst of edits costs one redraw. Hidden tabs replot when
// shown. The bit width follows the Document (SetSettingsCommand, per-layer `bits`) — the selector
// lives in the main window's toolbar.
//
// Selection: a click on a bar (or a column of the timeline or field chart, or a table row) calls
// Selection::set({id}, centre = true) — Ctrl-click toggles — and selected layers are highlighted in
// every chart. Owned by its parent (a QDockWidget); borrows the Document, Selection and ViewOptions,
// which must outlive it. GUI thread only.
class ChartsPanel : public QWidget {
    Q_OBJECT
public:
    ChartsPanel(core::Document& doc, Selection& sel, ViewOptions& opts, QWidget* parent = nullptr);
    ~ChartsPanel() override;

    LayerBarChart* activationChart() const { return m_activations; }
    LayerBarChart* paramsChart() const { return m_params; }
    LayerBarChart* macsChart() const { return m_macs; }
    LayerBarChart* latencyChart() const { return m_latency; } // nullptr until setLatency
    MemoryTimelineChart* timelineChart() const { return m_timeline; }
    ReceptiveFieldChart* fieldChart() const { return m_field; }
    EnergyView* energyView() const { return m_energy; } // the energy chart and its table row
    SummaryStrip* summary() const { return m_summary; }
    LayerTable* table() const { return m_table; }
    BudgetEdit* budgetEdit() const { return m_budget; }
    std::vector<ChartBase*> charts() const;
    // Brings the tab of `view` (a chart or the table) to the front; background tabs are not drawn.
    void showView(QWidget* view);

    // Measured per-layer latency in microseconds, schedule order (NaN: not measured), for the
    // kernel runner to post back: adds a "Latency" bar chart and a `latency_us` table column.
    // `stale` when the design changed since the run; every later edit of the Document marks them
    // stale too, until fresh values arrive.
    void setLatency(std::vector<double> microseconds, bool stale);

    // The per-layer table as core::reportCsv writes it (the CLI's `analyze --format csv`), saved atomically.
    [[nodiscard]] core::Status exportCsv(const QString& path) const;

    // Applies pending updates now and replots visible charts immediately (tests, benchmark).
    void flush();
    // Replots every chart now, hidden ones included (the benchmark's worst case).
    void replotAll();

protected:
    void resizeEvent(QResizeEvent* e) override;

private:
    enum Dirty : unsigned { None = 0, Data = 1, Highlight = 2, Options = 4 };

    void onDocumentChanged(const core::Change& change);
    void onSelectionChanged(bool centre);
    void markDirty(unsigned levels);
    void drain();
    void applyData();
    void applyHighlight();
    void applyOptions();
    void selectStep(ChartBase* chart, int step, bool toggle);
    void selectFromTable(const std::vector<core::NodeId>& ids);
    void exportChartInteractively(ChartBase* chart, bool pdf);
    void exportCsvInteractively();
    QWidget* buildToolRow();

    core::Document& m_doc;
    Selection& m_sel;
    ViewOptions& m_opts;

    SummaryStrip* m_summary;
    QTabWidget* m_costTabs;
    QTabWidget* m_flowTabs;
    QSplitter* m_split = nullptr;
    LayerBarChart* m_activations;
    LayerBarChart* m_params;
    LayerBarChart* m_macs;
    LayerBarChart* m_latency = nullptr;
    MemoryTimelineChart* m_timeline;
    ReceptiveFieldChart* m_field;
    EnergyView* m_energy;
    LayerTable* m_table;
    BudgetEdit* m_budget = nullptr;
    QCheckBox* m_logScale = nullptr;

    ChartData m_data;
    std::vector<double> m_latencyUs;
    bool m_latencyStale = false;
    QTimer m_drainTimer;
    unsigned m_dirty = None;
    bool m_centre = false;
};

} // namespace nc::widgets
