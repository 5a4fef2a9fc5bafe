// Tests the charts as a user drives them: bar ↔ node selection both ways, the bit width scaling the
// memory figures, the peak marker of a residual network, the memory budget, log scale, coalesced
// redraws, and the latency hook.
#include "ChartTestUtil.h"

#include "widgets/charts/BudgetEdit.h"
#include "widgets/charts/LayerTable.h"
#include "widgets/charts/MemoryTimelineChart.h"
#include "widgets/charts/ReceptiveFieldChart.h"
#include "widgets/charts/StackedBlocks.h"

#include "core/Commands.h"
#include "core/Format.h"
#include "core/ModelBuilder.h"

#include <QCheckBox>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTest>

#include <limits>

using namespace nc;
using namespace nc::test;
using core::LayerResult;
using core::NodeId;

class TestChartInteraction : public QObject {
    Q_OBJECT
private slots:
    void clickOnBarSelectsAndCentresNode();
    void ctrlClickAddsToSelection();
    void clickOnTimelineColumnSelectsNode();
    void selectingNodesHighlightsBars();
    void selectingNodesSelectsTableRows();
    void tableRowSelectsNode();
    void eightBitsDivideMemoryByFour();
    void perLayerBitsChangeOnlyThatLayer();
    void peakMarkerOnResidualNetwork();
    void heldSkipConnectionIsStacked();
    void budgetEditWritesViewOptions();
    void budgetMarksLayersOverIt();
    void budgetFarAboveThePeakStaysOffScale();
    void parseBudget_data();
    void parseBudget();
    void logScaleFollowsViewOptions();
    void moveRedrawsNothing();
    void burstOfEditsRedrawsOnce();
    void latencyHookShowsAndGoesStale();
    void emptyNetworkDrawsNothing();
    void brokenLayerShowsCoreMessage();

private:
    // Residual network with a hand-computed live-memory peak (32-bit, batch 1):
    //   step 0 input  4×8×8   1,024 B  live 1,024
    //   step 1 c1    16×8×8   4,096 B  live 5,120 (input + c1)
    //   step 2 r1    in place in c1    live 4,096
    //   step 3 c2     4×8×8   1,024 B  live 5,120 (c1 held for the add)
    //   step 4 c3     4×8×8   1,024 B  live 6,144
    //   step 5 c4    16×8×8   4,096 B  live 9,216 (c1 + c3 + c4)
    //   step 6 add   16×8×8   4,096 B  live 12,288 (c1 + c4 + add)  ← peak
    //   step 7 head   1×8×8     256 B  live 4,352
    // Without the held skip tensor the peak would be 8,192 B, so the marker proves the DAG accounting.
    struct Residual {
        core::Network net;
        NodeId c1, add;
    };
    static Residual residual() {
        core::ModelBuilder b("residual");
        NodeId x = b.input({4, 8, 8}, "input");
        NodeId c1 = b.conv(x, 16, 3, 1, 1, 1, true, "c1");
        NodeId r1 = b.relu(c1, "r1");
        NodeId y = b.conv(r1, 4, 1, 1, 0, 1, true, "c2");
        y = b.conv(y, 4, 3, 1, 1, 1, true, "c3");
        y = b.conv(y, 16, 1, 1, 0, 1, true, "c4");
        NodeId add = b.add({r1, y}, "add");
        b.conv(add, 1, 1, 1, 0, 1, true, "head");
        return {b.finish(), c1, add};
    }
    static void click(widgets::ChartBase* chart, int step, double value, Qt::KeyboardModifiers mods = {}) {
        const QPoint p = chart->plot()->mapFrom(chart, chart->pixelFor(step, value));
        QTest::mouseClick(chart->plot(), Qt::LeftButton, mods, p);
    }
    static QList<double> bars(const widgets::LayerBarChart* c) { return valuesOf(c->bars()->data()); }
    static void execute(PanelRig& r, std::unique_ptr<core::Command> c) {
        c->redo(r.doc);
        r.panel->flush();
    }
};

void TestChartInteraction::clickOnBarSelectsAndCentresNode() {
    PanelRig r(PanelRig::zoo("resnet18"));
    const LayerResult& conv1 = r.analysis().layers[1];
    QSignalSpy spy(&r.sel, &widgets::Selection::changed);
    click(r.panel->activationChart(), conv1.step, conv1.activationBytes / 2.0);
    QCOMPARE(r.sel.ids(), std::vector<NodeId>{conv1.id});
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toBool(), true); // centre on the canvas
}

void TestChartInteraction::ctrlClickAddsToSelection() {
    PanelRig r(PanelRig::zoo("resnet18"));
    const LayerResult& a = r.analysis().layers[1];
    const LayerResult& b = r.analysis().layers[4];
    widgets::LayerBarChart* chart = r.panel->activationChart();
    click(chart, a.step, a.activationBytes / 2.0);
    click(chart, b.step, b.activationBytes / 2.0, Qt::ControlModifier);
    QCOMPARE(r.sel.ids(), (std::vector<NodeId>{a.id, b.id}));
}

void TestChartInteraction::clickOnTimelineColumnSelectsNode() {
    PanelRig r(PanelRig::zoo("resnet18"));
    const LayerResult& l = r.analysis().layers[10];
    click(r.panel->timelineChart(), l.step, l.liveBytes / 2.0);
    QCOMPARE(r.sel.ids(), std::vector<NodeId>{l.id});
}

void TestChartInteraction::selectingNodesHighlightsBars() {
    PanelRig r(PanelRig::zoo("resnet18"));
    const LayerResult& a = r.analysis().layers[7];
    const LayerResult& b = r.analysis().layers[3];
    r.sel.set({a.id, b.id});
    QTest::qWait(0); // the panel drains on the next event-loop turn
    QCoreApplication::processEvents();
    QCOMPARE(r.panel->activationChart()->highlighted(), (std::vector<int>{a.step, b.step}));
    QCOMPARE(r.panel->timelineChart()->highlighted(), (std::vector<int>{a.step, b.step}));
    // The overlay redraws the selected bars themselves, in schedule order, at their own height.
    QCOMPARE(valuesOf(r.panel->activationChart()->selectedBars()->data()),
             QList<double>({double(b.activationBytes), double(a.activationBytes)}));
}

void TestChartInteraction::selectingNodesSelectsTableRows() {
    PanelRig r(PanelRig::zoo("resnet18"));
    const LayerResult& l = r.analysis().layers[5];
    r.sel.set({l.id}, true);
    r.panel->flush();
    QCOMPARE(r.panel->table()->selectedLayers(), std::vector<NodeId>{l.id});
}

void TestChartInteraction::tableRowSelectsNode() {
    PanelRig r(PanelRig::zoo("resnet18"));
    const LayerResult& l = r.analysis().layers[6];
    widgets::LayerTable* t = r.panel->table();
    r.panel->showView(r.panel->fieldChart()); // any tab: the table's selection works unseen too
    t->selectRow(t->layerModel()->rowOf(l.id));
    QCOMPARE(r.sel.ids(), std::vector<NodeId>{l.id});
}

void TestChartInteraction::eightBitsDivideMemoryByFour() {
    PanelRig r(PanelRig::zoo("resnet18"));
    QCOMPARE(r.analysis().bits, 32);
    const QList<double> act32 = bars(r.panel->activationChart());
    const QList<double> live32 = valuesOf(r.panel->timelineChart()->liveGraph()->data());
    const QList<double> params32 = bars(r.panel->paramsChart());
    const int64_t peak32 = r.analysis().totals.peakLiveBytes;

    core::History h(r.doc);
    h.execute(std::make_unique<core::SetSettingsCommand>(r.doc.network(), r.doc.network().batch, 8));
    r.panel->flush();

    QList<double> act8x4 = bars(r.panel->activationChart()),
                  live8x4 = valuesOf(r.panel->timelineChart()->liveGraph()->data());
    for (double& v : act8x4)
        v *= 4;
    for (double& v : live8x4)
        v *= 4;
    QCOMPARE(act8x4, act32);
    QCOMPARE(live8x4, live32);
    QCOMPARE(bars(r.panel->paramsChart()), params32); // a parameter count has no bit width
    QVERIFY(
        r.panel->timelineChart()->peakText().contains(QString::fromStdString(core::humanBytes(peak32 / 4))));

    h.undo();
    r.panel->flush();
    QCOMPARE(bars(r.panel->activationChart()), act32);
}

void TestChartInteraction::perLayerBitsChangeOnlyThatLayer() {
    // The inspector's per-layer override (mixed precision) arrives as a SetNodeCommand on `bits`.
    PanelRig r(PanelRig::zoo("resnet18"));
    const LayerResult l = r.analysis().layers[1];
    QList<double> expected = bars(r.panel->activationChart());
    expected[l.step] /= 2;
    core::LayerParams p = r.doc.network().node(l.id)->params;
    p.bits = 16;
    execute(r, std::make_unique<core::SetNodeCommand>(r.doc.network(), l.id, p,
                                                      r.doc.network().node(l.id)->name));
    QCOMPARE(bars(r.panel->activationChart()), expected);
}

void TestChartInteraction::peakMarkerOnResidualNetwork() {
    Residual m = residual();
    PanelRig r(m.net);
    QCOMPARE(r.analysis().totals.peakLiveBytes, int64_t(12288)); // the hand computation above
    const int addStep = r.analysis().layer(m.add, r.doc.network())->step;
    QCOMPARE(addStep, 6);
    QCOMPARE(r.panel->timelineChart()->peakStep(), addStep);
    QCOMPARE(r.panel->timelineChart()->peakText(), QStringLiteral("peak 12.29 KB at add"));
}

void TestChartInteraction::heldSkipConnectionIsStacked() {
    // c1's output (aliased by the in-place r1) stays alive to the add: at steps 3–5 it is a "held"
    // block at the bottom of the stack, one rectangle wide, 4,096 B tall.
    Residual m = residual();
    PanelRig r(m.net);
    const auto& blocks = r.panel->timelineChart()->blocks()->blocks();
    const auto& buffers = r.panel->timelineChart()->buffers();
    int held = 0;
    for (const auto& b : blocks)
        if (b.kind == widgets::MemoryTimelineChart::Held && b.tag >= 0 &&
            buffers[size_t(b.tag)].owner == m.c1) {
            ++held;
            QCOMPARE(b.x0, 1.5);
            QCOMPARE(b.x1, 5.5);
            QCOMPARE(b.y0, 0.0);
            QCOMPARE(b.y1, 4096.0);
        }
    QCOMPARE(held, 1);
}

void TestChartInteraction::budgetEditWritesViewOptions() {
    PanelRig r(PanelRig::zoo("mcu_cnn"));
    widgets::BudgetEdit* e = r.panel->budgetEdit();
    e->lineEdit()->selectAll();
    QTest::keyClicks(e->lineEdit(), QStringLiteral("256 KiB"));
    QTest::keyClick(e->lineEdit(), Qt::Key_Return);
    QCOMPARE(r.opts.budgetBytes(), int64_t(256 * 1024));
    r.panel->flush();
    QCOMPARE(r.panel->timelineChart()->budgetBytes(), int64_t(256 * 1024));
}

void TestChartInteraction::budgetMarksLayersOverIt() {
    PanelRig r(PanelRig::zoo("mcu_cnn"));
    const int64_t budget = 20000;
    r.opts.setBudgetBytes(budget);
    r.panel->flush();
    std::vector<int> over;
    for (const LayerResult& l : r.analysis().layers)
        if (l.liveBytes > budget)
            over.push_back(l.step);
    QVERIFY(!over.empty());
    QCOMPARE(r.panel->timelineChart()->overBudgetSteps(), over);
    QVERIFY(r.panel->timelineChart()->budgetOnScale());
}

void TestChartInteraction::budgetFarAboveThePeakStaysOffScale() {
    // 16 GiB of GPU memory against a 64 KB network: drawn as a note, the axis keeps fitting the data.
    PanelRig r(PanelRig::zoo("mcu_cnn"));
    r.opts.setBudgetBytes(int64_t(16) << 30);
    r.panel->flush();
    QVERIFY(!r.panel->timelineChart()->budgetOnScale());
    QVERIFY(r.panel->timelineChart()->overBudgetSteps().empty());
    QVERIFY(r.panel->timelineChart()->plot()->yAxis->range().upper <
            2.0 * double(r.analysis().totals.peakLiveBytes));
}

void TestChartInteraction::parseBudget_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("bytes"); // -1: refused
    QTest::newRow("KiB") << "256 KiB" << qint64(262144);
    QTest::newRow("KB") << "256 KB" << qint64(256000);
    QTest::newRow("no space") << "512kib" << qint64(524288);
    QTest::newRow("fraction MiB") << "1.5 MiB" << qint64(1572864);
    QTest::newRow("GB") << "16 GB" << qint64(16000000000);
    QTest::newRow("plain bytes") << "4096" << qint64(4096);
    QTest::newRow("none") << "none" << qint64(0);
    QTest::newRow("empty") << "" << qint64(0);
    QTest::newRow("word") << "lots" << qint64(-1);
    QTest::newRow("binary without prefix") << "5 iB" << qint64(-1);
    QTest::newRow("negative") << "-5 KB" << qint64(-1);
}

void TestChartInteraction::parseBudget() {
    QFETCH(QString, text);
    QFETCH(qint64, bytes);
    const std::optional<int64_t> got = widgets::BudgetEdit::parse(text);
    QCOMPARE(got ? qint64(*got) : qint64(-1), bytes);
}

void TestChartInteraction::logScaleFollowsViewOptions() {
    PanelRig r(PanelRig::zoo("resnet18"));
    r.opts.setLogScale(true);
    r.panel->flush();
    QCOMPARE(r.panel->activationChart()->plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(r.panel->fieldChart()->plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    // The memory timeline too (issue 14): its bands are a guide there, its outline reads true.
    QCOMPARE(r.panel->timelineChart()->plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(r.panel->findChild<QCheckBox*>()->isChecked(), true);
}

void TestChartInteraction::moveRedrawsNothing() {
    PanelRig r(PanelRig::zoo("resnet18"));
    QTest::qWait(20); // let the first queued replots land
    QSignalSpy spy(r.panel->activationChart()->plot(), &QCustomPlot::afterReplot);
    const core::Node& n = r.doc.network().nodes()[3];
    core::History h(r.doc);
    h.execute(std::make_unique<core::MoveNodesCommand>(
        std::vector<core::MoveNodesCommand::Move>{{n.id, n.x, n.y, n.x + 40, n.y + 10}}));
    QTest::qWait(20);
    QCOMPARE(spy.count(), 0);
}

void TestChartInteraction::burstOfEditsRedrawsOnce() {
    PanelRig r(PanelRig::zoo("resnet18"));
    QTest::qWait(20);
    QSignalSpy spy(r.panel->activationChart()->plot(), &QCustomPlot::afterReplot);
    core::History h(r.doc);
    const LayerResult conv1 = r.analysis().layers[1];
    for (int bias : {0, 1, 0}) {
        core::LayerParams p = r.doc.network().node(conv1.id)->params;
        p.bias = bias;
        h.execute(std::make_unique<core::SetNodeCommand>(r.doc.network(), conv1.id, p, "conv1"));
    }
    QTest::qWait(20);
    QCOMPARE(spy.count(), 1);
}

void TestChartInteraction::latencyHookShowsAndGoesStale() {
    PanelRig r(PanelRig::zoo("mcu_cnn"));
    std::vector<double> us(r.analysis().layers.size(), 5.0);
    us[1] = 120.0;
    us[2] = std::numeric_limits<double>::quiet_NaN(); // a layer the run did not time
    r.panel->setLatency(us, false);
    r.panel->flush();
    QVERIFY(r.panel->latencyChart());
    QCOMPARE(r.panel->latencyChart()->largestStep(), 1);
    QCOMPARE(r.panel->latencyChart()->isStale(), false);
    QVERIFY(r.panel->latencyChart()->hoverText(2, 0).endsWith(QStringLiteral("not measured")));

    core::History h(r.doc);
    h.execute(std::make_unique<core::SetSettingsCommand>(r.doc.network(), 2, r.doc.network().bits));
    r.panel->flush();
    QCOMPARE(r.panel->latencyChart()->isStale(), true);
    QCOMPARE(r.panel->table()->layerModel()->extraColumnStale(QStringLiteral("latency_us")), true);
}

void TestChartInteraction::emptyNetworkDrawsNothing() {
    PanelRig r{core::Network{}};
    QCOMPARE(r.panel->activationChart()->largestStep(), -1);
    QCOMPARE(r.panel->timelineChart()->peakStep(), -1);
    QCOMPARE(r.panel->activationChart()->stepAt(r.panel->activationChart()->rect().center()), -1);
}

void TestChartInteraction::brokenLayerShowsCoreMessage() {
    // An Add of 8- and 16-channel tensors: the core reports the error, the charts draw a zero bar
    // for it, show the core's message on hover, and keep drawing every other layer.
    core::ModelBuilder b("broken");
    NodeId x = b.input({4, 8, 8});
    NodeId a = b.conv(x, 8, 1, 1, 0, 1, true, "a");
    NodeId c = b.conv(x, 16, 1, 1, 0, 1, true, "c");
    NodeId add = b.add({a, c}, "add");
    PanelRig r(b.finish());
    const LayerResult* l = r.analysis().layer(add, r.doc.network());
    QCOMPARE(l->status, core::LayerStatus::Error);
    QCOMPARE(bars(r.panel->activationChart())[l->step], 0.0);
    QVERIFY(r.panel->activationChart()->hoverText(l->step, 0).endsWith(QString::fromStdString(l->message)));
    QCOMPARE(bars(r.panel->activationChart())[1], double(r.analysis().layers[1].activationBytes));
}

QTEST_MAIN(TestChartInteraction)
#include "tst_chartinteraction.moc"
