// ChartTestUtil: a Document + Selection + ViewOptions + ChartsPanel bundle for the chart tests, and
// readers that turn chart contents and analysis fields into comparable lists.
#pragma once

#include "widgets/Selection.h"
#include "widgets/ViewOptions.h"
#include "widgets/charts/ChartsPanel.h"
#include "widgets/charts/LayerBarChart.h"

#include "core/Document.h"
#include "core/Zoo.h"

#include <qcustomplot.h>

#include <QList>
#include <QTest>

#include <cmath>
#include <functional>
#include <memory>

namespace nc::test {

// Declared in this order so the panel (which borrows the others) is destroyed first.
struct PanelRig {
    core::Document doc;
    widgets::Selection sel;
    widgets::ViewOptions opts;
    std::unique_ptr<widgets::ChartsPanel> panel;

    explicit PanelRig(core::Network net, bool show = true) {
        doc.setNetwork(std::move(net));
        panel = std::make_unique<widgets::ChartsPanel>(doc, sel, opts);
        panel->resize(700, 1000);
        if (show) {
            panel->show();
            (void)QTest::qWaitForWindowExposed(panel.get());
        }
        panel->flush();
    }
    static core::Network zoo(const char* key) { return core::loadZoo(key).value(); }
    const core::AnalysisResult& analysis() const { return doc.analysis(); }
};

// Values of a bar or graph plottable, in key order.
template <class Container> QList<double> valuesOf(const Container& data) {
    QList<double> out;
    for (auto it = data->constBegin(); it != data->constEnd(); ++it)
        out.push_back(std::isnan(it->value) ? -1.0 : it->value); // NaN != NaN; -1 is never a real figure
    return out;
}

inline QList<double> layerField(const core::AnalysisResult& a,
                                const std::function<double(const core::LayerResult&)>& f) {
    QList<double> out;
    for (const core::LayerResult& l : a.layers)
        out.push_back(f(l));
    return out;
}

} // namespace nc::test
