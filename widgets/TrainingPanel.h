// TrainingPanel: the "Training and scale" dock — memory per device for training the open design
// (stacked bar per pipeline stage: weights, gradients, optimizer, activations, workspace) against
// the device memory with a fits verdict, and the controls that change it (batch, context,
// precision, optimizer, recomputation, data/tensor/pipeline parallel degrees, ZeRO, micro-batches,
// device memory). Every control recomputes at once; so does every edit of the Document.
//
// A view: the figures come from core::train::planTraining / planInference (core/train); the panel
// only formats and draws them. Lives in the GUI thread.
#pragma once

#include "core/Document.h"
#include "core/train/TrainingMemory.h"

#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QSpinBox;
class QCheckBox;

namespace nc::widgets {

// The stacked bars: one per device kind (a pipeline stage), with the device memory as a line.
class TrainingBars : public QWidget {
    Q_OBJECT
public:
    explicit TrainingBars(QWidget* parent = nullptr);
    void setData(std::vector<core::train::DeviceMemory> stages, int64_t deviceMemory);
    // Pixel rectangle of segment `part` (0 weights … 4 workspace) of bar `bar`, for tests and tooltips.
    QRectF segmentRect(int bar, int part) const;
    QRectF barArea() const;
    QSize minimumSizeHint() const override { return {260, 160}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    double scaleMax() const;
    std::vector<core::train::DeviceMemory> m_stages;
    int64_t m_device = 0;
};

class TrainingPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainingPanel(const core::Document& doc, QWidget* parent = nullptr);

    const std::optional<core::train::TrainPlan>& plan() const { return m_plan; }
    const core::train::TrainSettings& settings() const { return m_settings; }
    QLabel* verdictLabel() const { return m_verdict; }
    QLabel* figuresLabel() const { return m_figures; }
    TrainingBars* bars() const { return m_bars; }
    QCheckBox* colourStagesBox() const { return m_colourStages; }

signals:
    // The pipeline stage (0-based) of every layer when "colour the canvas by stage" is on, else empty.
    void stagesChanged(const std::vector<std::pair<nc::core::NodeId, int>>& stages);

private:
    void readControls();
    void recompute();

    const core::Document& m_doc;
    core::train::TrainSettings m_settings;
    std::optional<core::train::TrainPlan> m_plan;
    QSpinBox *m_batch, *m_context, *m_every, *m_dp, *m_tp, *m_pp, *m_micro, *m_customGb;
    QComboBox *m_precision, *m_optimizer, *m_recompute, *m_zero, *m_device;
    TrainingBars* m_bars;
    QCheckBox* m_colourStages;
    QLabel *m_verdict, *m_figures;
};

} // namespace nc::widgets
