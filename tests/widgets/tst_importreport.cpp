// The import report dock driven as a user: a model exported by real PyTorch (/usr/bin/python3,
// torch 1.13) is imported through the window; the report opens in its dock, the filter box hides
// the lines without the typed text, a click on a line that names a layer selects it on the canvas
// (the inspector shows its full ONNX name, as does the node's tooltip), Ctrl+C copies the selected
// lines and Copy all the whole report.
#include "DesignerFixture.h"

#include "core/onnx/OnnxImport.h"
#include "widgets/ImportReportPanel.h"
#include "widgets/InspectorWidget.h"

#include <QClipboard>
#include <QDockWidget>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProcess>
#include <QPushButton>

using namespace nc;

namespace {

// A small CNN with a hyper-network branch: the kernel of F.conv2d is computed from the input, so
// that Conv cannot be a catalogue Conv2d and the report names it ("/Conv").
const char* kExport = R"PY(
import sys, torch, torch.nn as nn, torch.nn.functional as F
class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.stem = nn.Conv2d(3, 8, 3, padding=1); s.act = nn.ReLU()
        s.gen = nn.Linear(8, 64); s.head = nn.Linear(8, 10)
    def forward(s, x):
        x = s.act(s.stem(x))
        k = s.gen(x.mean((2, 3))).reshape(8, 8, 1, 1)
        x = F.conv2d(x, k)
        return s.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
torch.manual_seed(0)
torch.onnx.export(Net().eval(), torch.randn(1, 3, 16, 16), sys.argv[1], opset_version=17)
)PY";

QStringList lines(const std::string& text)
{
    QStringList l = QString::fromStdString(text).split('\n');
    if (!l.isEmpty() && l.back().isEmpty())
        l.removeLast();
    return l;
}

} // namespace

class TestImportReport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void reportDockAsAUser();
    void layerForLineFindsNamesAndSources();

private:
    QTemporaryDir m_dir;
    QString m_model;
};

void TestImportReport::initTestCase()
{
    test::isolateApplication();
    m_model = m_dir.filePath("hyper.onnx");
    QProcess py;
    py.start("/usr/bin/python3", {"-c", kExport, m_model});
    QVERIFY2(py.waitForFinished(300000), "torch export timed out");
    QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
}

void TestImportReport::reportDockAsAUser()
{
    auto direct = core::onnx::importOnnx(m_model);
    QVERIFY2(bool(direct), direct ? "" : direct.error().c_str());
    const QStringList expected = lines(direct->report.text(SIZE_MAX));

    test::Designer d;
    QVERIFY(d.w().openExample());
    QVERIFY(d.w().importOnnxFile(m_model));
    QApplication::processEvents();
    QDockWidget* dock = d.w().importReportDock();
    widgets::ImportReportPanel* panel = d.w().importReport();
    QVERIFY(dock && panel);
    QVERIFY(dock->isVisible());
    QVERIFY(!panel->visibleRegion().isEmpty()); // raised above the tab it shares, not behind it
    QVERIFY(panel->list()->height() >= 80);     // room for several lines

    // Every line of the report, in order, and nothing else (no message box, no cut lists).
    QListWidget* list = panel->list();
    QCOMPARE(list->count(), expected.size());
    for (int i = 0; i < list->count(); ++i)
        QCOMPARE(list->item(i)->text(), expected[i]);
    QVERIFY(list->item(0)->text().startsWith("imported "));

    // Filter: the user types a node name; only the lines that contain it stay.
    const QString typed = "/Conv\"";
    QTest::keyClicks(panel->filterEdit(), typed);
    const QStringList visible = panel->visibleLines();
    int want = 0;
    for (const QString& l : expected)
        want += l.contains(typed, Qt::CaseInsensitive);
    QVERIFY2(want >= 1, qPrintable(expected.join('\n'))); // the computed-kernel Conv is reported by name
    QCOMPARE(visible.size(), want);
    for (const QString& l : visible)
        QVERIFY2(l.contains(typed), qPrintable(l));
    QVERIFY(list->item(0)->isHidden()); // the summary line does not name "/Conv"

    // Click the first visible line: the layer it names is selected on the canvas.
    QListWidgetItem* row = nullptr;
    for (int i = 0; i < list->count() && !row; ++i)
        if (!list->item(i)->isHidden())
            row = list->item(i);
    QVERIFY(row);
    const QRect rect = list->visualItemRect(row);
    QVERIFY(list->viewport()->rect().contains(rect.center())); // on screen, where the user clicks
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, rect.center());
    QApplication::processEvents();
    const core::NodeId conv = d.id("conv"); // "/Conv" at the top level reads "conv"
    QVERIFY(conv.valid());
    QCOMPARE(d.net().node(conv)->source, std::string("/Conv"));
    QCOMPARE(d.w().selection().ids(), std::vector<core::NodeId>{conv});
    // The inspector and the node's tooltip show the full ONNX name.
    QLabel* source = d.w().inspector()->sourceLabel();
    QCOMPARE(source->text(), QString("/Conv"));
    QVERIFY(source->isVisibleTo(d.w().inspector()));
    QVERIFY(d.scene().toolTipFor(d.id("stem")).contains("<tt>/stem/Conv</tt>"));

    // Ctrl+C copies the selected line as text.
    QApplication::clipboard()->clear();
    list->setFocus();
    QTest::keyClick(list, Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QApplication::clipboard()->text(), row->text() + "\n");

    // Clearing the filter brings every line back; two lines picked with Ctrl copy in report order.
    panel->filterEdit()->clear();
    QCOMPARE(panel->visibleLines(), expected);
    QVERIFY(list->count() >= 2);
    list->clearSelection();
    QListWidgetItem* last = list->item(list->count() - 1);
    list->scrollToItem(last);
    QTest::mouseClick(list->viewport(), Qt::LeftButton, Qt::ControlModifier, list->visualItemRect(last).center());
    list->scrollToItem(list->item(0));
    QTest::mouseClick(list->viewport(), Qt::LeftButton, Qt::ControlModifier,
                      list->visualItemRect(list->item(0)).center());
    QTest::keyClick(list, Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QApplication::clipboard()->text(), expected.front() + "\n" + expected.back() + "\n");

    // Copy all: the whole report, exactly as the CLI's --report prints it.
    QApplication::clipboard()->clear();
    QTest::mouseClick(panel->copyAllButton(), Qt::LeftButton);
    QCOMPARE(QApplication::clipboard()->text().toStdString(), direct->report.text(SIZE_MAX));
}

void TestImportReport::layerForLineFindsNamesAndSources()
{
    core::Network net;
    core::Node a;
    a.type = core::LayerType::Input;
    a.name = "x";
    const core::NodeId x = net.addNode(a).value();
    core::Node b;
    b.type = core::LayerType::Opaque;
    b.name = "blocks.split:1";
    b.source = "/blocks/Split:1";
    const core::NodeId split = net.addNode(b).value();
    using P = widgets::ImportReportPanel;
    QCOMPARE(P::layerForLine("tensor \"t0\" (layer \"x\"): NetCanvas 1×3", net), x); // first quoted name that is a layer
    QCOMPARE(P::layerForLine("node \"/blocks/Split\" (Split): not modelled", net), split); // by source, output :1
    QCOMPARE(P::layerForLine("node \"/blocks/Spl\" (Split)", net), core::NodeId{}); // a prefix is not a name
    QCOMPARE(P::layerForLine("imported 3 ONNX nodes as 2 layers", net), core::NodeId{});
}

QTEST_MAIN(TestImportReport)
#include "tst_importreport.moc"
