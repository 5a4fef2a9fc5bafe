// ViewOptions: display choices shared by several views (cost colouring on the canvas, the memory
// budget drawn on the timeline and marked on nodes). View state, not part of the design file.
#pragma once

#include <QObject>

#include <cstdint>

namespace nc::widgets {

enum class CostColour { None = 0, Activations = 1, Macs = 2, Params = 3, Latency = 4 };

class ViewOptions : public QObject {
    Q_OBJECT
public:
    explicit ViewOptions(QObject* parent = nullptr) : QObject(parent) {}

    CostColour costColour() const { return m_colour; }
    void setCostColour(CostColour c)
    {
        if (c != m_colour) {
            m_colour = c;
            emit changed();
        }
    }
    // SRAM/DRAM budget for live memory in bytes; 0 = no budget.
    int64_t budgetBytes() const { return m_budget; }
    void setBudgetBytes(int64_t b)
    {
        if (b != m_budget) {
            m_budget = b;
            emit changed();
        }
    }
    bool logScale() const { return m_log; }
    void setLogScale(bool on)
    {
        if (on != m_log) {
            m_log = on;
            emit changed();
        }
    }

signals:
    void changed();

private:
    CostColour m_colour = CostColour::Activations;
    int64_t m_budget = 0;
    bool m_log = false;
};

} // namespace nc::widgets
