// SummaryStrip: the network's headline figures in one compact block — parameters, model size at
// 32/16/8/4 bits, MACs and FLOPs, activations, peak live memory and where, final receptive field —
// and the figures of the current selection.
#pragma once

#include "core/Analysis.h"
#include "core/Network.h"
#include "core/deploy/DeployView.h"

#include <QString>
#include <QWidget>

#include <array>
#include <vector>

class QGridLayout;
class QLabel;

namespace nc::widgets {

// Shows AnalysisTotals and LayerResult figures formatted by core/Format.h. Driven by ChartsPanel
// (setFigures on every analysis, setSelection on every selection change) but usable on its own,
// so the main window may place it elsewhere (a status area, a second dock) by reparenting it.
// Owned by its parent widget; GUI thread only.
class SummaryStrip : public QWidget {
    Q_OBJECT
public:
    enum class Field {
        Params = 0,
        ModelSize,
        Compute,
        Activations,
        PeakMemory,
        ReceptiveField,
        Selection,
        Count
    };

    explicit SummaryStrip(QWidget* parent = nullptr);

    void setFigures(const core::Network& net, const core::AnalysisResult& a);
    // In the deployment view, after setFigures: parameters after folding, the activations the
    // deployment allocates and its peak (DeployFigures), each captioned "deployed".
    void setDeployment(const core::Network& net, const core::deploy::DeployFigures& f);
    // Figures of the selected layers (one: its own; several: their sums; none: a hint).
    void setSelection(const core::Network& net, const core::AnalysisResult& a,
                      const std::vector<core::NodeId>& ids);

    // The field's text without markup (tests, the lead's status bar).
    QString text(Field f) const { return m_plain[static_cast<size_t>(f)]; }

protected:
    void resizeEvent(QResizeEvent* e) override;

private:
    // One row of all the figures when the dock is wide (the charts keep the height), else two.
    void arrange(int columns);
    void set(Field f, const QString& caption, const QString& value, const QString& detail = {});

    std::array<QLabel*, static_cast<size_t>(Field::Count)> m_labels{};
    std::array<QString, static_cast<size_t>(Field::Count)> m_plain;
    QLabel* m_problems;
    QGridLayout* m_grid;
    int m_columns = 0;
};

} // namespace nc::widgets
