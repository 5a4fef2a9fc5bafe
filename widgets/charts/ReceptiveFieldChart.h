// ReceptiveFieldChart: the receptive field of each layer along the schedule, against the textbook
// line of stacked 3×3 convolutions.
#pragma once

#include "ChartBase.h"

#include <vector>

class QCPGraph;

namespace nc::widgets {

// Draws LayerResult::rf.size (height, and width when any layer's differs) per step, and the
// reference L·(k−1)+1 of RfReference.h. The reference grows by 2 per counted layer; a strided or
// dilated layer makes the design's field multiply instead, so the curves part visibly there.
// NaN values (no spatial field: after Flatten, in a transformer's token space) leave gaps. Owned by
// its parent widget; GUI thread only.
class ReceptiveFieldChart : public ChartBase {
    Q_OBJECT
public:
    explicit ReceptiveFieldChart(QWidget* parent = nullptr);

    void setData(std::shared_ptr<const LayerAxis> axis, std::vector<double> fieldH,
                 std::vector<double> fieldW, std::vector<double> reference, const QString& finalField);
    void setLogScale(bool on);
    bool logScale() const { return m_log; }

    QCPGraph* fieldGraph() const { return m_h; }
    QCPGraph* widthGraph() const { return m_w; }
    QCPGraph* referenceGraph() const { return m_ref; }

    QString hoverText(int step, double value) const override;

private:
    void applyScale();

    QCPGraph* m_h;
    QCPGraph* m_w;
    QCPGraph* m_ref;
    std::vector<double> m_fieldH, m_fieldW, m_reference;
    bool m_log = false;
};

} // namespace nc::widgets
