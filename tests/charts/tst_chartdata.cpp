// Tests that every chart, the summary strip and the table show the core's numbers for zoo models:
// bars, live-memory outline and stack, receptive field and its reference, summary texts, table cells.
#include "ChartTestUtil.h"

#include "widgets/charts/LayerTable.h"
#include "widgets/charts/MemoryTimelineChart.h"
#include "widgets/charts/ReceptiveFieldChart.h"
#include "widgets/charts/RfReference.h"
#include "widgets/charts/StackedBlocks.h"
#include "widgets/charts/SummaryStrip.h"

#include "core/Format.h"
#include "core/ModelBuilder.h"
#include "core/Report.h"

#include <QTest>

#include <map>

using namespace nc;
using namespace nc::test;
using core::LayerResult;

class TestChartData : public QObject {
    Q_OBJECT
private slots:
    void activationBarsEqualCore_data() { zooRows(); }
    void activationBarsEqualCore();
    void paramBarsEqualCore_data() { zooRows(); }
    void paramBarsEqualCore();
    void macBarsEqualCore_data() { zooRows(); }
    void macBarsEqualCore();
    void columnsAreLayersInScheduleOrder_data() { zooRows(); }
    void columnsAreLayersInScheduleOrder();
    void largestBarIsTheMaximum();
    void hoverShowsExactValueWithUnits();
    void timelineOutlineEqualsLiveBytes_data() { zooRows(); }
    void timelineOutlineEqualsLiveBytes();
    void timelineStackAddsUpToLiveBytes_data() { zooRows(); }
    void timelineStackAddsUpToLiveBytes();
    void fieldCurveEqualsCore_data() { zooRows(); }
    void fieldCurveEqualsCore();
    void referenceFormula();
    void plainStackFollowsReferenceStrideBendsAway();
    void summaryShowsTotals();
    void summaryShowsSelection();
    void tableColumnsAreTheCsvColumns();
    void tableCellsEqualCore();
    void cleanupTestCase() { m_rigs.clear(); }

private:
    static void zooRows() {
        QTest::addColumn<QString>("model");
        // A plain CNN with skips, a tiny 8-bit CNN, and a transformer (workspace, non-spatial fields).
        for (const char* m : {"resnet18", "mcu_cnn", "vit_tiny"})
            QTest::newRow(m) << QString::fromLatin1(m);
    }
    PanelRig* rigFor(const QString& model) {
        // One panel per model for the whole run: building and showing it is most of a test's cost.
        auto& r = m_rigs[model];
        if (!r)
            r = std::make_unique<PanelRig>(PanelRig::zoo(model.toLatin1().constData()));
        return r.get();
    }
    std::map<QString, std::unique_ptr<PanelRig>> m_rigs;
};

void TestChartData::activationBarsEqualCore() {
    QFETCH(QString, model);
    PanelRig* r = rigFor(model);
    QCOMPARE(valuesOf(r->panel->activationChart()->bars()->data()),
             layerField(r->analysis(), [](const LayerResult& l) { return double(l.activationBytes); }));
}

void TestChartData::paramBarsEqualCore() {
    QFETCH(QString, model);
    PanelRig* r = rigFor(model);
    QCOMPARE(valuesOf(r->panel->paramsChart()->bars()->data()),
             layerField(r->analysis(), [](const LayerResult& l) { return double(l.params); }));
}

void TestChartData::macBarsEqualCore() {
    QFETCH(QString, model);
    PanelRig* r = rigFor(model);
    QCOMPARE(valuesOf(r->panel->macsChart()->bars()->data()),
             layerField(r->analysis(), [](const LayerResult& l) { return double(l.macs); }));
}

void TestChartData::columnsAreLayersInScheduleOrder() {
    QFETCH(QString, model);
    PanelRig* r = rigFor(model);
    const widgets::LayerAxis* axis = r->panel->activationChart()->layerAxis();
    QStringList shown, expected;
    for (const QString& n : axis->names)
        shown << n;
    for (const LayerResult& l : r->analysis().layers)
        expected << QString::fromStdString(r->doc.network().nodes()[size_t(l.nodeIndex)].name);
    QCOMPARE(shown, expected);
}

void TestChartData::largestBarIsTheMaximum() {
    PanelRig* r = rigFor("resnet18");
    const auto& layers = r->analysis().layers;
    auto it = std::max_element(layers.begin(), layers.end(),
                               [](const LayerResult& a, const LayerResult& b) { return a.macs < b.macs; });
    QCOMPARE(r->panel->macsChart()->largestStep(), it->step);
}

void TestChartData::hoverShowsExactValueWithUnits() {
    PanelRig* r = rigFor("resnet18");
    const LayerResult& l = r->analysis().layers[1]; // conv1: several MB of activations
    const QString hover = r->panel->activationChart()->hoverText(l.step, 0);
    QVERIFY2(hover.contains(QString::fromStdString(core::humanBytes(l.activationBytes) + " (" +
                                                   core::groupDigits(l.activationBytes) + " B)")),
             qPrintable(hover));
}

void TestChartData::timelineOutlineEqualsLiveBytes() {
    QFETCH(QString, model);
    PanelRig* r = rigFor(model);
    QCOMPARE(valuesOf(r->panel->timelineChart()->liveGraph()->data()),
             layerField(r->analysis(), [](const LayerResult& l) { return double(l.liveBytes); }));
}

void TestChartData::timelineStackAddsUpToLiveBytes() {
    // The stacked tensors (and workspace) of each column reach exactly the core's live bytes.
    QFETCH(QString, model);
    PanelRig* r = rigFor(model);
    const auto& blocks = r->panel->timelineChart()->blocks()->blocks();
    QList<double> tops;
    for (const LayerResult& l : r->analysis().layers) {
        double top = 0;
        for (const auto& b : blocks)
            if (b.x0 < l.step && l.step < b.x1)
                top = std::max(top, b.y1);
        tops.push_back(top);
    }
    QCOMPARE(tops, layerField(r->analysis(), [](const LayerResult& l) { return double(l.liveBytes); }));
}

void TestChartData::fieldCurveEqualsCore() {
    QFETCH(QString, model);
    PanelRig* r = rigFor(model);
    QCOMPARE(valuesOf(r->panel->fieldChart()->fieldGraph()->data()),
             layerField(r->analysis(), [](const LayerResult& l) {
                 return l.status == core::LayerStatus::Ok && l.rf.valid ? double(l.rf.size[0]) : -1.0;
             }));
}

void TestChartData::referenceFormula() {
    QCOMPARE(widgets::rfref::stackedConv(1), int64_t(3));
    QCOMPARE(widgets::rfref::stackedConv(4), int64_t(9));
    QCOMPARE(widgets::rfref::stackedConv(3, 5), int64_t(13));
}

void TestChartData::plainStackFollowsReferenceStrideBendsAway() {
    // Three stride-1 3×3 convolutions: the design's field is the reference exactly. A stride-2
    // convolution before them doubles what every later layer adds, so the curves part.
    core::ModelBuilder plain("plain");
    core::NodeId x = plain.input({1, 32, 32});
    for (int i = 0; i < 3; ++i)
        x = plain.relu(plain.conv(x, 4, 3, 1, 1));
    PanelRig p(plain.finish(), false);
    QCOMPARE(valuesOf(p.panel->fieldChart()->fieldGraph()->data()),
             valuesOf(p.panel->fieldChart()->referenceGraph()->data()));

    core::ModelBuilder strided("strided");
    x = strided.conv(strided.input({1, 32, 32}), 4, 3, 2, 1);
    x = strided.conv(x, 4, 3, 1, 1);
    PanelRig s(strided.finish(), false);
    // input, conv s2 (3 px), conv s1 (3 + 2·2 = 7 px) against the reference 1, 3, 5.
    QCOMPARE(valuesOf(s.panel->fieldChart()->fieldGraph()->data()), QList<double>({1, 3, 7}));
    QCOMPARE(valuesOf(s.panel->fieldChart()->referenceGraph()->data()), QList<double>({1, 3, 5}));
}

void TestChartData::summaryShowsTotals() {
    PanelRig* r = rigFor("resnet18");
    const core::AnalysisTotals& t = r->analysis().totals;
    using F = widgets::SummaryStrip::Field;
    const widgets::SummaryStrip* s = r->panel->summary();
    QVERIFY(s->text(F::Params).contains(QString::fromStdString(core::groupDigits(t.params))));
    for (int64_t b : t.modelBytesAt)
        QVERIFY(s->text(F::ModelSize).contains(QString::fromStdString(core::humanBytes(b))));
    QVERIFY(s->text(F::Compute).contains(QString::fromStdString(core::humanCount(t.macs))));
    QVERIFY(s->text(F::Compute).contains(QString::fromStdString(core::humanCount(t.flops))));
    QVERIFY(s->text(F::Activations).contains(QString::fromStdString(core::humanBytes(t.activationBytes))));
    QVERIFY(s->text(F::PeakMemory).contains(QString::fromStdString(core::humanBytes(t.peakLiveBytes))));
    QVERIFY(s->text(F::PeakMemory)
                .contains(QString::fromStdString(r->doc.network().node(t.peakLiveLayer)->name)));
    QVERIFY(s->text(F::ReceptiveField).contains(QString::fromStdString(core::rfText(t.rf))));
}

void TestChartData::summaryShowsSelection() {
    PanelRig* r = rigFor("resnet18");
    const LayerResult& l = r->analysis().layers[1];
    r->sel.set({l.id});
    r->panel->flush();
    const QString text = r->panel->summary()->text(widgets::SummaryStrip::Field::Selection);
    QVERIFY2(text.contains(QString::fromStdString(core::humanCount(l.macs))), qPrintable(text));
    QVERIFY2(text.contains(QString::fromStdString(core::humanBytes(l.activationBytes))), qPrintable(text));
    r->sel.clear();
    r->panel->flush();
}

void TestChartData::tableColumnsAreTheCsvColumns() {
    PanelRig* r = rigFor("resnet18");
    const std::string csv = core::reportCsv(r->doc.network(), r->analysis());
    const QStringList expected = QString::fromStdString(csv.substr(0, csv.find('\n'))).split(',');
    const widgets::LayerTableModel* m = r->panel->table()->layerModel();
    QStringList keys;
    for (int c = 0; c < m->columnCount(); ++c)
        keys << m->headerData(c, Qt::Horizontal, widgets::LayerTableModel::KeyRole).toString();
    QCOMPARE(keys, expected);
}

void TestChartData::tableCellsEqualCore() {
    PanelRig* r = rigFor("resnet18");
    const widgets::LayerTableModel* m = r->panel->table()->layerModel();
    QCOMPARE(m->rowCount(), int(r->analysis().layers.size()));
    QList<double> macs, live;
    for (int row = 0; row < m->rowCount(); ++row) {
        macs << m->data(m->index(row, widgets::LayerTableModel::Macs), widgets::LayerTableModel::SortRole)
                    .toDouble();
        live << m->data(m->index(row, widgets::LayerTableModel::LiveBytes),
                        widgets::LayerTableModel::SortRole)
                    .toDouble();
    }
    QCOMPARE(macs, layerField(r->analysis(), [](const LayerResult& l) { return double(l.macs); }));
    QCOMPARE(live, layerField(r->analysis(), [](const LayerResult& l) { return double(l.liveBytes); }));
}

QTEST_MAIN(TestChartData)
#include "tst_chartdata.moc"
