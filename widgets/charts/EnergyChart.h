// EnergyChart: per-layer energy of one inference stacked as compute, on-chip and off-chip traffic
// (core/energy), with the totals in the title — "computation is cheap, data movement is expensive".
#pragma once

#include "ChartBase.h"

#include "core/energy/Energy.h"

#include <vector>

class QCPBars;
class QComboBox;
class QLabel;

namespace nc::widgets {

// Plain per-layer series in schedule order (picojoules), copied out of an EnergyReport.
struct EnergySeries {
    std::vector<double> compute, onChip, offChip;
    core::energy::EnergyTotals totals;
    bool ok = false;
    QString problem; // why there is no estimate (an error in the design)

    static EnergySeries from(const core::energy::EnergyReport& r, size_t steps);
};

// Three stacked bars per layer (arithmetic at the bottom, then SRAM, then DRAM), the legend above the
// data, selection highlighted like the other charts; the subtitle gives the total and the share of
// data movement. The chart computes nothing: EnergySeries holds the core's figures. Owned by its
// parent; GUI thread only.
class EnergyChart : public ChartBase {
    Q_OBJECT
public:
    explicit EnergyChart(QWidget* parent = nullptr);

    void setData(std::shared_ptr<const LayerAxis> axis, EnergySeries series);
    const EnergySeries& series() const { return m_series; }
    void setLogScale(bool on);

    QCPBars* computeBars() const { return m_compute; }
    QCPBars* onChipBars() const { return m_onChip; }
    QCPBars* offChipBars() const { return m_offChip; }

    QString hoverText(int step, double value) const override;

protected:
    void highlightChanged() override;

private:
    void applyScale();

    QCPBars* m_compute;
    QCPBars* m_onChip;
    QCPBars* m_offChip;
    QCPBars* m_selected;
    EnergySeries m_series;
    bool m_log = false;
};

// The chart with its table row: a preset or a loaded JSON table, and Save to start editing one.
// Estimates through core::energy::estimateEnergy with the on-chip budget of the charts' toolbar.
class EnergyView : public QWidget {
    Q_OBJECT
public:
    explicit EnergyView(QWidget* parent = nullptr);

    EnergyChart* chart() const { return m_chart; }
    QComboBox* tableBox() const { return m_tables; }
    const core::energy::EnergyTable& table() const { return m_table; }
    // A table loaded from a file becomes the current one (also reachable from the "Load…" entry).
    [[nodiscard]] core::Status loadTable(const QString& path);

    // Recomputes from the analysis (the charts panel calls it on every data change); while the tab is
    // hidden it only remembers the request and computes when shown. `net` and `a` must stay valid
    // until then (the Document's own network and analysis do).
    void update(const core::Network& net, const core::AnalysisResult& a, std::shared_ptr<const LayerAxis> axis,
                int64_t onChipBytes);

signals:
    void tableChanged();

protected:
    void showEvent(QShowEvent* e) override;

private:
    void recompute();

    void onTableChosen(int index);

    EnergyChart* m_chart;
    QComboBox* m_tables;
    QLabel* m_note;
    std::vector<core::energy::EnergyTable> m_presets;
    core::energy::EnergyTable m_table;
    bool m_hasCustom = false;
    const core::Network* m_net = nullptr;
    const core::AnalysisResult* m_analysis = nullptr;
    std::shared_ptr<const LayerAxis> m_axis;
    int64_t m_onChipBytes = 0;
    bool m_pending = false;
};

} // namespace nc::widgets
