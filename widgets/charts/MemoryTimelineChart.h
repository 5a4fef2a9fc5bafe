// MemoryTimelineChart: the bytes live at each step of the schedule, stacked by the tensors alive,
// with the peak marked at its layer and the user's memory budget drawn across.
#pragma once

#include "ChartBase.h"

#include "core/Analysis.h"

#include <cstdint>
#include <vector>

class QCPBars;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QCPItemTracer;

namespace nc::widgets {

class StackedBlocks;

// Each step's column stacks the tensors alive at that step (AnalysisResult::buffers), oldest at the
// bottom, coloured by what the tensor is doing: written by this layer, held for a later one (a skip
// connection shows as a long band at the bottom), or read for the last time; the layer's workspace
// sits on top. The outline is LayerResult::liveBytes. The peak marker and its text use
// AnalysisTotals::peakLiveBytes/peakLiveLayer; the part of a column above the budget is drawn red.
// On a log axis (setLogScale) the outline, the peak and the budget read true, but the stacked parts
// do not: a band's height then shows the ratio of its top to its bottom, not its bytes, so the
// bands are drawn only as a guide and the hover text gives each tensor's size. Owned by its parent
// widget; GUI thread only.
class MemoryTimelineChart : public ChartBase {
    Q_OBJECT
public:
    // What a block of the stack is, in drawing order of the legend.
    enum Kind { Written = 0, Held = 1, LastRead = 2, Workspace = 3 };

    explicit MemoryTimelineChart(QWidget* parent = nullptr);

    // All vectors in schedule order; `peakStep` is the step of the peak layer (-1: none).
    void setData(std::shared_ptr<const LayerAxis> axis, std::vector<double> liveBytes,
                 std::vector<double> workspaceBytes, std::vector<core::LiveBuffer> buffers, int peakStep,
                 int64_t peakBytes);
    // Budget in bytes (0: none) and how to call it on the chart ("256 KiB").
    void setBudget(int64_t bytes, const QString& label);
    // Logarithmic value axis (the Charts dock's "Log scale"): a 64 KB step and a 64 MB one both stay
    // visible. Values are clamped to kLogFloorBytes there, since a log axis has no zero.
    void setLogScale(bool on);
    bool logScale() const { return m_log; }
    static constexpr double kLogFloorBytes = 1.0;

    // The series come from the deployment view (core::deploy): the subtitle says so.
    void setDeployment(bool on);
    bool deployment() const { return m_deployment; }

    int peakStep() const { return m_peakStep; }
    int64_t peakBytes() const { return m_peakBytes; }
    QString peakText() const;
    int64_t budgetBytes() const { return m_budget; }
    bool budgetOnScale() const;
    // Steps whose live memory exceeds the budget, ascending.
    const std::vector<int>& overBudgetSteps() const { return m_over; }
    const StackedBlocks* blocks() const { return m_blocks; }
    QCPGraph* liveGraph() const { return m_live; }
    const std::vector<core::LiveBuffer>& buffers() const { return m_buffers; }

    QString hoverText(int step, double value) const override;

protected:
    void fitToHeight(double plotPixels) override;

private:
    void rebuildBlocks();
    void applyBudget();
    void applyRange();

    StackedBlocks* m_blocks;
    QCPGraph* m_live;
    QCPBars* m_overBars;
    QCPBars* m_workspaceSwatch;
    QCPGraph* m_peakPoint;
    QCPItemStraightLine* m_peakLine;
    QCPItemTracer* m_peakAnchor;
    QCPItemText* m_peakLabel;
    QCPItemStraightLine* m_budgetLine;
    QCPItemText* m_budgetLabel;
    std::vector<double> m_liveBytes, m_workspace;
    std::vector<core::LiveBuffer> m_buffers;
    std::vector<int> m_over;
    int m_peakStep = -1;
    int64_t m_peakBytes = 0;
    int64_t m_budget = 0;
    QString m_budgetText;
    bool m_log = false;
    bool m_deployment = false;
    double m_plotPixels = 200; // data area height of the last layout
};

} // namespace nc::widgets
