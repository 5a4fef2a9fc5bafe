// LayerBarChart: one bar per layer in schedule order — activation memory, parameters, MACs, and
// later measured latency.
#pragma once

#include "ChartBase.h"

#include <cstdint>
#include <vector>

class QCPBars;
class QCPItemText;

namespace nc::widgets {

// Takes one value per layer (schedule order, the same length as the axis) and draws it; the largest
// bar is drawn in a stand-out colour with its name and value, selected layers in the selection
// colour. Hovering shows the exact value in the chart's unit. Values come from the analysis (or a
// kernel run) as they are: the chart formats them with core/Format.h and computes nothing. Owned by
// its parent widget (ChartsPanel's tabs); GUI thread only.
//
//   auto* chart = new LayerBarChart(tr("MACs"), LayerBarChart::Unit::Count, tr("MACs"));
//   chart->setData(data.axis, data.macs);
class LayerBarChart : public ChartBase {
    Q_OBJECT
public:
    enum class Unit {
        Bytes, // core::humanBytes, exact value in bytes
        Count, // core::humanCount followed by the noun, exact value grouped
        Microseconds, // core::humanDuration (measured latency)
    };

    LayerBarChart(const QString& title, Unit unit, const QString& noun = {}, QWidget* parent = nullptr);

    // One value per step of `axis` (NaN: no value, e.g. a layer a latency run did not time). Keeps
    // the zoom when the layer count is unchanged.
    void setData(std::shared_ptr<const LayerAxis> axis, std::vector<double> values);
    // A second per-layer figure shown on hover only (the parameters chart: model size at each
    // layer's bit width). Empty `values` removes it.
    void setDetail(const QString& label, std::vector<double> values, Unit unit);
    // Measured values from an earlier revision of the design (a latency run before the last edit):
    // drawn grey and called stale on hover until fresh values arrive.
    void setStale(bool stale);
    bool isStale() const { return m_stale; }
    void setLogScale(bool on);
    bool logScale() const { return m_log; }

    const std::vector<double>& values() const { return m_values; }
    // Step of the largest bar (the first one on ties); -1 when every value is zero.
    int largestStep() const { return m_largest; }
    QString largestLabel() const;
    QCPBars* bars() const { return m_bars; }
    QCPBars* selectedBars() const { return m_selectedBars; }

    // "conv1 (Conv2d, 32-bit)\n3.21 MB (3,211,264 B)" — see class comment.
    QString hoverText(int step, double value) const override;
    // "3.21 MB (3,211,264 B)" / "1.81 G MACs (1,813,561,344)"; shortText without the exact part.
    QString valueText(double value, Unit unit) const;
    QString shortText(double value, Unit unit) const;

protected:
    void highlightChanged() override;
    void fitToHeight(double plotPixels) override;

private:
    void applyRange();
    void applyScale();
    void applyColours();

    Unit m_unit;
    QString m_noun;
    QCPBars* m_bars;
    QCPBars* m_largestBar;
    QCPBars* m_selectedBars;
    QCPItemText* m_largestText;
    std::vector<double> m_values;
    QString m_detailLabel;
    std::vector<double> m_detail;
    Unit m_detailUnit = Unit::Bytes;
    int m_largest = -1;
    bool m_stale = false;
    bool m_log = false;
    double m_plotPixels = 200; // data area height of the last layout
};

} // namespace nc::widgets
