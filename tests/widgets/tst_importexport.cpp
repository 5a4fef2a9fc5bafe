// Tests the designer's File → Import ONNX / Export PyTorch / Export ONNX as a user reaches them: the
// figures survive a round trip through the window, a damaged model leaves the open design untouched,
// and measured latency from the kernel runner reaches the charts and the canvas colouring.
#include "DesignerFixture.h"

#include "core/NetworkFile.h"
#include "core/Zoo.h"
#include "widgets/charts/ChartsPanel.h"
#include "widgets/charts/LayerBarChart.h"
#include "widgets/runner/RunnerPanel.h"

#include <QAction>
#include <QFile>
#include <QMenuBar>

using namespace nc;

class TestImportExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::isolateApplication(); }
    void menuHasImportAndExport();
    void onnxRoundTripThroughTheWindow();
    void damagedOnnxLeavesTheDesignUntouched();
    void pytorchExportWritesTheModule();
    void latencyReachesChartsAndCanvas();
};

void TestImportExport::menuHasImportAndExport()
{
    test::Designer d;
    for (const char* name : {"importOnnx", "exportPyTorch", "exportOnnx"})
        QVERIFY2(d.w().findChild<QAction*>(name), name);
}

void TestImportExport::onnxRoundTripThroughTheWindow()
{
    test::Designer d;
    QVERIFY(d.w().openExample());
    const core::AnalysisTotals before = d.doc().analysis().totals;
    const size_t layers = d.net().nodes().size();
    QString path = d.dir.filePath("resnet18.onnx");
    QVERIFY(d.w().exportOnnxFile(path));
    QVERIFY(QFile(path).size() > 40'000'000); // 11.7 M float weights

    test::Designer e;
    QVERIFY(e.w().importOnnxFile(path));
    const core::AnalysisTotals after = e.doc().analysis().totals;
    QCOMPARE(e.net().nodes().size(), layers);
    QCOMPARE(after.params, before.params);
    QCOMPARE(after.macs, before.macs);
    QCOMPARE(after.peakLiveBytes, before.peakLiveBytes);
    QCOMPARE(after.activations, before.activations);
    QVERIFY(e.w().isModified()); // an import is a new design to be saved
    QVERIFY(e.w().windowTitle().contains("resnet18"));
}

void TestImportExport::damagedOnnxLeavesTheDesignUntouched()
{
    test::Designer d;
    QVERIFY(d.w().openExample());
    QByteArray before = core::serializeNetwork(d.net());
    QString path = d.dir.filePath("broken.onnx");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("\x08\x07\x12\x04this is not a model", 24);
    f.close();
    QVERIFY(!d.w().importOnnxFile(path));
    QCOMPARE(core::serializeNetwork(d.net()), before);
    QVERIFY(d.w().statusBar()->currentMessage().startsWith("Cannot import ONNX model"));
}

void TestImportExport::pytorchExportWritesTheModule()
{
    test::Designer d;
    QVERIFY(d.w().openExample());
    QString path = d.dir.filePath("resnet18.py");
    QVERIFY(d.w().exportPyTorchFile(path));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray py = f.readAll();
    QVERIFY(py.contains("class "));
    QVERIFY(py.contains("nn.Conv2d(3, 64, kernel_size=7"));
    QVERIFY(py.contains("def forward(self"));
    QVERIFY(py.contains("__main__"));
}

void TestImportExport::latencyReachesChartsAndCanvas()
{
    test::Designer d;
    auto net = core::loadZoo("mcu_cnn");
    QVERIFY(d.w().adoptNetwork(*net, QString(), "mcu"));
    auto* runner = d.w().findChild<widgets::RunnerPanel*>();
    auto* charts = d.w().findChild<widgets::ChartsPanel*>();
    QVERIFY(runner && charts);
    QAction* colour = d.w().findChild<QAction*>("colourLatency");
    QVERIFY(colour && !colour->isEnabled());
    runner->setSecondsPerLayer(0.002);
    runner->startRun();
    QTRY_VERIFY_WITH_TIMEOUT(!runner->running(), 60000);
    QVERIFY(charts->latencyChart() != nullptr);
    QVERIFY(colour->isEnabled());
    // An edit makes the latency stale everywhere: the colour mode is switched off until a new run.
    QVERIFY(d.w().exportPyTorchFile(d.dir.filePath("x.py"))); // not an edit: still current
    QVERIFY(colour->isEnabled());
    core::LayerParams p = d.net().nodes()[1].params;
    p.features = 8;
    d.w().editor().setNode(d.net().nodes()[1].id, p, d.net().nodes()[1].name);
    QVERIFY(runner->stale());
    QVERIFY(!colour->isEnabled());
}

QTEST_MAIN(TestImportExport)
#include "tst_importexport.moc"
