// MemoryPanel: the deployment memory view — a preset and switches (training or deployment graph,
// in-place depthwise, schedule, arena planner), the peak, arena and verdict against the budget, and
// the arena's address × time chart.
#pragma once

#include "core/deploy/DeployView.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QSpinBox;

namespace nc::core {
class Document;
struct Change;
}

namespace nc::widgets {

class ArenaChart;
class Selection;
class ViewOptions;

// Its controls write the Document's deployment settings (Document::setDeploySettings), which every
// view follows; it shows the figures the Document derived (Document::deployment()) and draws nothing
// itself but labels. It opens on the Document's settings (the training view by default). Clicking a tensor selects its layer in the shared
// Selection; selected layers (or layers folded into them) are highlighted. The budget comes from
// ViewOptions, like the timeline's. Borrows the Document, Selection and ViewOptions, which must
// outlive it. GUI thread only.
class MemoryPanel : public QWidget {
    Q_OBJECT
public:
    // Values pinned: index of the preset combo box.
    enum Preset { Training = 0, TfliteMicro = 1, TinyEngine = 2, Custom = 3 };

    MemoryPanel(core::Document& doc, Selection& selection, ViewOptions& options, QWidget* parent = nullptr);

    void setPreset(Preset p);
    QComboBox* presetBox() const { return m_preset; }
    QComboBox* viewBox() const { return m_view; }
    QCheckBox* inplaceDepthwiseBox() const { return m_inplaceDw; }
    QComboBox* scheduleBox() const { return m_schedule; }
    QComboBox* plannerBox() const { return m_planner; }
    // Patch mode: 0 off, 1 the first k layers over an n×n grid, 2 automatic (lowest peak under budget).
    QComboBox* patchModeBox() const { return m_patchMode; }
    QSpinBox* patchLayersBox() const { return m_patchLayers; }
    QSpinBox* patchGridBox() const { return m_patchGrid; }
    ArenaChart* chart() const { return m_chart; }
    QString summaryText() const;
    QString verdictText() const;
    QString foldedText() const;
    QString patchText() const;
    int64_t peakBytes() const { return m_peak; }
    // Modest, so tabbing it with the charts does not widen the bottom dock area at the palette's cost.
    QSize sizeHint() const override { return {400, 300}; }

private:
    void recompute();
    void onControl();
    void pushSettings();
    void syncControls();
    static Preset presetOf(const core::deploy::DeploySettings& s);
    void syncSelection();

    core::Document& m_doc;
    Selection& m_selection;
    ViewOptions& m_options;
    QComboBox* m_preset;
    QComboBox* m_view;
    QCheckBox* m_inplaceDw;
    QComboBox* m_schedule;
    QComboBox* m_planner;
    QComboBox* m_patchMode;
    QSpinBox* m_patchLayers;
    QSpinBox* m_patchGrid;
    QLabel* m_patch;
    QLabel* m_summary;
    QLabel* m_verdict;
    QLabel* m_folded;
    ArenaChart* m_chart;
    core::deploy::MemoryGraph m_graph;
    int64_t m_peak = 0;
    bool m_syncing = false;
};

} // namespace nc::widgets
