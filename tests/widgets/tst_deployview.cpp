// Tests that the whole designer follows the deployment view (issue 11): a user opens the
// "Deployment memory" dock, picks a preset, and the memory timeline, the activation memory chart, the
// layer table, the canvas and the kernel runner all show the deployment graph. MobileNetV2 at 8 bits,
// window 1600×1000, offscreen.
#include "DesignerFixture.h"

#include "widgets/charts/ChartsPanel.h"
#include "widgets/charts/LayerAxis.h"
#include "widgets/charts/LayerBarChart.h"
#include "widgets/charts/LayerTable.h"
#include "widgets/charts/MemoryPanel.h"
#include "widgets/charts/MemoryTimelineChart.h"
#include "widgets/runner/RunnerPanel.h"

#include "core/Zoo.h"

#include <QCheckBox>
#include <QSignalSpy>
#include <QDockWidget>

using namespace nc;
using test::Designer;
using widgets::LayerTableModel;
using widgets::MemoryPanel;

class TestDeployView : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::isolateApplication(); }
    void everyFigureFollowsTheView();
    void optimalOrderReordersTheTimeline();
    void parametersFollowTheFolding();
};

namespace {

struct Rig {
    Designer d;
    MemoryPanel* panel = nullptr;
    widgets::ChartsPanel* charts = nullptr;
    QCheckBox* runnerDeploy = nullptr;

    explicit Rig(core::Network net)
    {
        d.w().resize(1600, 1000);
        d.load(std::move(net));
        // As a user: show the Deployment memory dock (View menu) and bring it to the front.
        auto* dock = d.w().findChild<QDockWidget*>("memoryDock");
        dock->show();
        dock->raise();
        // The panel sits in a scroll area inside the dock (wide panels scroll instead of squeezing the canvas).
        panel = dock->findChild<MemoryPanel*>();
        charts = d.w().charts();
        if (auto* runner = d.w().findChild<widgets::RunnerPanel*>())
            for (QCheckBox* c : runner->findChildren<QCheckBox*>())
                if (c->text() == "Deployment graph")
                    runnerDeploy = c;
        QApplication::processEvents();
        charts->flush();
    }
    // Up or down in the preset box with the keyboard, as a user does (emits `activated`).
    void pressPreset(Qt::Key key, int times)
    {
        panel->presetBox()->setFocus();
        for (int i = 0; i < times; ++i)
            QTest::keyClick(panel->presetBox(), key);
        QApplication::processEvents();
        charts->flush();
    }
    QString status(const char* layer)
    {
        LayerTableModel* m = charts->table()->layerModel();
        return m->data(m->index(m->rowOf(d.id(layer)), LayerTableModel::Status)).toString();
    }
    double activationBytes(const char* layer) { return charts->activationChart()->values()[static_cast<size_t>(d.result(layer)->step)]; }
    bool onTimeline(const QString& layer)
    {
        const auto& names = charts->timelineChart()->layerAxis()->names;
        return std::find(names.begin(), names.end(), layer) != names.end();
    }
};

core::Network mobilenetInt8()
{
    core::Network net = core::loadZoo("mobilenet_v2").value();
    net.bits = 8;
    return net;
}

} // namespace

void TestDeployView::everyFigureFollowsTheView()
{
    Rig r(mobilenetInt8());
    QVERIFY(r.panel && r.runnerDeploy);
    widgets::MemoryTimelineChart* tl = r.charts->timelineChart();

    // Training view: features.2's expansion output and its BatchNorm's, 2 × 96×112×112 B = 2,408,448 B.
    QCOMPARE(r.panel->presetBox()->currentIndex(), int(MemoryPanel::Training));
    QCOMPARE(tl->peakBytes(), int64_t(2408448));
    QCOMPARE(tl->peakText(), QString("peak 2.41 MB at features.2.expand_bn"));
    QVERIFY(r.onTimeline("features.2.expand_bn"));
    QCOMPARE(r.status("features.2.expand_bn"), QString("ok"));
    QVERIFY(!r.runnerDeploy->isChecked());

    // TinyEngine (two down from "Training graph"): 16×112×112 in + 96×112×112 out = 200,704 +
    // 1,204,224 = 1,404,928 B at the expansion; BatchNorm folded and ReLU6 fused are not steps.
    r.pressPreset(Qt::Key_Down, 2);
    QCOMPARE(r.panel->presetBox()->currentIndex(), int(MemoryPanel::TinyEngine));
    QCOMPARE(tl->peakBytes(), int64_t(1404928));
    QCOMPARE(tl->peakText(), QString("peak 1.40 MB at features.2.expand"));
    QVERIFY(tl->hoverText(tl->peakStep(), 0).contains("live: 1.40 MB (1,404,928 B)  — the peak"));
    QVERIFY(tl->deployment());
    QVERIFY(!r.onTimeline("features.2.expand_bn"));
    QVERIFY(!r.onTimeline("features.2.expand_relu6"));
    QVERIFY(r.onTimeline("features.2.expand"));

    // The table says where each folded or fused layer went; ops still read "ok".
    QCOMPARE(r.status("features.2.expand_bn"), QString("folded into features.2.expand"));
    QCOMPARE(r.status("features.2.expand_relu6"), QString("fused into features.2.expand"));
    QCOMPARE(r.status("features.2.expand"), QString("ok"));

    // The canvas node of the folded BatchNorm says the same, in its figure and its tooltip.
    QCOMPARE(r.d.item("features.2.expand_bn")->look().costText, QString("folded into features.2.expand"));
    QVERIFY(r.d.scene().toolTipFor(r.d.id("features.2.expand_relu6")).contains("Deployment view: fused into features.2.expand"));
    QVERIFY(r.d.item("features.2.expand")->look().costText != "folded into features.2.expand");

    // Activation memory: the expansion allocates its 96×112×112 int8 output; the BatchNorm nothing
    // (in training it stored its own 1,204,224 B).
    QCOMPARE(r.activationBytes("features.2.expand"), 1204224.0);
    QCOMPARE(r.activationBytes("features.2.expand_bn"), 0.0);

    // The kernel runner runs the deployment graph.
    QVERIFY(r.runnerDeploy->isChecked());

    // TFLite Micro (one up): no in-place depthwise, so features.2.dw holds 96×112×112 in and
    // 96×56×56 out: 1,204,224 + 301,056 = 1,505,280 B.
    r.pressPreset(Qt::Key_Up, 1);
    QCOMPARE(tl->peakBytes(), int64_t(1505280));
    QCOMPARE(tl->peakText(), QString("peak 1.51 MB at features.2.dw"));

    // Back to the training graph: everything as before.
    r.pressPreset(Qt::Key_Up, 1);
    QCOMPARE(tl->peakBytes(), int64_t(2408448));
    QCOMPARE(r.status("features.2.expand_bn"), QString("ok"));
    QVERIFY(r.d.item("features.2.expand_bn")->look().costText != "folded into features.2.expand");
    QCOMPARE(r.activationBytes("features.2.expand_bn"), 1204224.0);
    QVERIFY(!r.runnerDeploy->isChecked());
}

void TestDeployView::optimalOrderReordersTheTimeline()
{
    // Two branches from a 1×8×8 input (bits 8: 64 B), each expanding to 64×8×8 (4,096 B) and
    // reducing to 1×8×8 (64 B), then a concat (128 B). The analysis' order runs both expansions
    // first (breadth-first), so both 4,096 B tensors are live together; running each branch to its
    // reduction first needs one at a time.
    core::ModelBuilder b("cell");
    const core::NodeId in = b.input({1, 8, 8});
    const core::NodeId e1 = b.conv(in, 64, 1, 1, 0, 1, true, "e1");
    const core::NodeId e2 = b.conv(in, 64, 1, 1, 0, 1, true, "e2");
    const core::NodeId r1 = b.conv(e1, 1, 1, 1, 0, 1, true, "r1");
    const core::NodeId r2 = b.conv(e2, 1, 1, 1, 0, 1, true, "r2");
    b.concat({r1, r2}, "cat");
    core::Network net = b.finish();
    net.bits = 8;
    Rig r(std::move(net));
    widgets::MemoryTimelineChart* tl = r.charts->timelineChart();
    r.pressPreset(Qt::Key_Down, 1); // TFLite Micro
    // Default order e1, e2, r1, r2, cat: at e2 the input 64 + e1 4,096 + e2 4,096 = 8,256 B.
    QCOMPARE(tl->peakBytes(), int64_t(8256));
    r.panel->scheduleBox()->setFocus();
    QTest::keyClick(r.panel->scheduleBox(), Qt::Key_Down); // memory-optimal order
    // The exact search runs off the GUI thread; its order arrives with a later change.
    core::Document& doc = r.d.w().document();
    QSignalSpy arrived(&doc, &core::Document::changed);
    while (doc.deployment().searching)
        QVERIFY(arrived.wait(60'000));
    QApplication::processEvents();
    r.charts->flush();
    // Optimal: input 64 + e1 4,096 + r1 64... at e2: input 64 + r1 64 + e2 4,096 = 4,224 B.
    QCOMPARE(tl->peakBytes(), int64_t(4224));
    const auto& names = tl->layerAxis()->names;
    const auto at = [&](const char* n) { return std::find(names.begin(), names.end(), QString(n)) - names.begin(); };
    QVERIFY(at("r1") < at("e2") || at("r2") < at("e1"));
}

void TestDeployView::parametersFollowTheFolding()
{
    // conv 3 → 16 channels, 3×3, no bias: 16·3·3·3 = 432 weights. Its BatchNorm: γ and β, 2·16 = 32
    // parameters (the running statistics are state, not parameters). Deployed, the BatchNorm folds
    // into the convolution, which gains a bias of 16: 432 + 16 = 448; the BatchNorm keeps 0.
    // Then a linear layer 16·8·8 = 1,024 → 10 with bias: 10,250, untouched by the view.
    core::ModelBuilder b("fold");
    const core::NodeId in = b.input({3, 8, 8});
    const core::NodeId conv = b.conv(in, 16, 3, 1, 1, 1, false, "conv");
    const core::NodeId bn = b.batchNorm(conv, "bn");
    b.linear(b.flatten(bn, "flat"), 10, true, "fc");
    core::Network net = b.finish();
    net.bits = 8;
    Rig r(std::move(net));
    widgets::LayerBarChart* chart = r.charts->paramsChart();
    LayerTableModel* m = r.charts->table()->layerModel();
    auto bar = [&](const char* layer) { return chart->values()[static_cast<size_t>(r.d.result(layer)->step)]; };
    auto cell = [&](const char* layer, int column) {
        return m->data(m->index(m->rowOf(r.d.id(layer)), column), LayerTableModel::SortRole).toDouble();
    };

    // Training view: as the analysis counts them.
    QCOMPARE(bar("conv"), 432.0);
    QCOMPARE(bar("bn"), 32.0);
    QCOMPARE(bar("fc"), 10250.0);
    QCOMPARE(cell("bn", LayerTableModel::Params), 32.0);

    r.pressPreset(Qt::Key_Down, 1); // TFLite Micro: the deployment view
    QCOMPARE(bar("conv"), 448.0);
    QCOMPARE(bar("bn"), 0.0);
    QCOMPARE(bar("fc"), 10250.0);
    QCOMPARE(cell("conv", LayerTableModel::Params), 448.0);
    QCOMPARE(cell("bn", LayerTableModel::Params), 0.0);
    // At 8 bits one byte per parameter.
    QCOMPARE(cell("conv", LayerTableModel::ModelBytes), 448.0);
    QCOMPARE(r.status("bn"), QString("folded into conv"));

    r.pressPreset(Qt::Key_Up, 1); // back to training
    QCOMPARE(bar("bn"), 32.0);
    QCOMPARE(cell("bn", LayerTableModel::Params), 32.0);
}

QTEST_MAIN(TestDeployView)
#include "tst_deployview.moc"
