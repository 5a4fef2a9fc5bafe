// Drives the Compare window as a user: two zoo models side by side (table text, charts stacked and
// aligned, linked selection and panning), a variant made by a knob, a live document edited, a refused
// knob, the experiment measured in a worker thread, and a cancelled measurement.
// NC_COMPARE_SCREENSHOT_DIR=DIR saves the window at 1600×1000 as DIR/compare-resnet.png (ResNet-18
// against ResNet-50, a row selected) and DIR/compare-experiment.png (after the experiment).
#include "core/Commands.h"
#include "core/Document.h"
#include "core/Zoo.h"
#include "widgets/compare/CompareChart.h"
#include "widgets/compare/CompareWindow.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>

using namespace nc;
using nc::widgets::CompareChart;
using nc::widgets::CompareWindow;

class TestCompareWindow : public QObject {
    Q_OBJECT
private slots:
    void twoZooModels();
    void chartsStackedAndAligned();
    void linkedSelection();
    void linkedPanning();
    void variantFromKnob();
    void liveDocumentEdit();
    void refusedKnobSaysWhy();
    void experimentMeasuresInWorker();
    void cancelMeasurement();

private:
    static QString cell(const CompareWindow& w, const QString& figure, int column);
    static int rowOfLayer(const CompareWindow& w, bool sideA, const std::string& name);
};

QString TestCompareWindow::cell(const CompareWindow& w, const QString& figure, int column)
{
    QTableWidget* t = w.totalsTable();
    for (int r = 0; r < t->rowCount(); ++r)
        if (t->item(r, 0)->text() == figure)
            return t->item(r, column)->text();
    return "(no row " + figure + ")";
}

int TestCompareWindow::rowOfLayer(const CompareWindow& w, bool sideA, const std::string& name)
{
    auto& win = const_cast<CompareWindow&>(w);
    const core::Document& doc = sideA ? win.documentA() : win.documentB();
    const auto& rows = w.comparison().alignment;
    for (size_t r = 0; r < rows.size(); ++r) {
        const int i = sideA ? rows[r].a : rows[r].b;
        if (i >= 0 && doc.network().nodes()[size_t(doc.analysis().layers[size_t(i)].nodeIndex)].name == name)
            return int(r);
    }
    return -1;
}

void TestCompareWindow::twoZooModels()
{
    CompareWindow w;
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.setDesignA(core::loadZoo("resnet18").value());
    QVERIFY(w.openB("zoo:resnet50").ok());
    QCOMPARE(w.totalsTable()->horizontalHeaderItem(1)->text(), QString("A"));
    QCOMPARE(w.totalsTable()->horizontalHeaderItem(2)->toolTip(), QString("ResNet-50"));
    QCOMPARE(w.findChild<QLabel*>("nameA")->text(), QString("ResNet-18"));
    QCOMPARE(w.findChild<QLabel*>("nameB")->text(), QString("ResNet-50"));
    // Published: 11,689,512 and 25,557,032 parameters, 1.81 and 4.09 GMACs.
    QCOMPARE(cell(w, "Parameters", 1), QString("11,689,512"));
    QCOMPARE(cell(w, "Parameters", 2), QString("25,557,032"));
    QCOMPARE(cell(w, "Parameters", 3), QString("+13,867,520"));
    QCOMPARE(cell(w, "Parameters", 4), QString("2.186×")); // 25,557,032 / 11,689,512
    QCOMPARE(cell(w, "MACs", 1), QString("1.81 G"));
    QCOMPARE(cell(w, "MACs", 2), QString("4.09 G"));
    QCOMPARE(cell(w, "Kernel launches (deployment)", 1), QString("31")); // tst_compare counts them by hand
    QCOMPARE(cell(w, "Kernel launches (deployment)", 2), QString("72"));
    QCOMPARE(cell(w, "Measured latency", 1), QString("—"));
    // Every cell is readable: no column narrower than its text, and every column inside the table's
    // viewport (no horizontal scrolling).
    QTableWidget* t = w.totalsTable();
    QVERIFY(t->horizontalHeader()->length() <= t->viewport()->width());
    for (int c = 1; c < 5; ++c) {
        const QFontMetrics fm(t->font());
        for (int r = 0; r < t->rowCount(); ++r)
            QVERIFY2(fm.horizontalAdvance(t->item(r, c)->text()) <= t->columnWidth(c),
                     qPrintable(t->item(r, c)->text()));
    }
}

void TestCompareWindow::chartsStackedAndAligned()
{
    CompareWindow w;
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.setDesignA(core::loadZoo("resnet18").value());
    QVERIFY(w.openB("zoo:resnet50").ok());
    QApplication::processEvents();
    CompareChart* a = w.chartA();
    CompareChart* b = w.chartB();
    QVERIFY(a->isVisible() && b->isVisible());
    const QRect ga(a->mapTo(&w, QPoint(0, 0)), a->size()), gb(b->mapTo(&w, QPoint(0, 0)), b->size());
    // One above the other, same columns: the plots' x axes cover the same pixels.
    QVERIFY2(ga.bottom() < gb.top(), qPrintable(QString("%1 vs %2").arg(ga.bottom()).arg(gb.top())));
    QCOMPARE(ga.left(), gb.left());
    QCOMPARE(ga.width(), gb.width());
    // The table's column and the charts do not overlap: the charts and their controls start right of it.
    const QRect table(w.totalsTable()->mapTo(&w, QPoint(0, 0)), w.totalsTable()->size());
    QVERIFY2(table.right() < ga.left(),
             qPrintable(QString("table ends at %1, chart starts at %2").arg(table.right()).arg(ga.left())));
    QVERIFY(table.right() < w.metricCombo()->mapTo(&w, QPoint(0, 0)).x());
    QVERIFY(ga.height() >= 200);
    QVERIFY(gb.height() >= 200);
    a->replotNow();
    b->replotNow();
    QCOMPARE(a->plot()->axisRect()->left(), b->plot()->axisRect()->left());
    QCOMPARE(a->plot()->axisRect()->width(), b->plot()->axisRect()->width());
    // One bar slot per aligned row in both; the rows hold both designs whole.
    const int rows = int(w.comparison().alignment.size());
    QCOMPARE(a->rowCount(), rows);
    QCOMPARE(b->rowCount(), rows);
    int barsA = 0, barsB = 0;
    for (double v : a->values())
        barsA += std::isfinite(v);
    for (double v : b->values())
        barsB += std::isfinite(v);
    QCOMPARE(barsA, 70);  // ResNet-18's 69 layers and its input
    QCOMPARE(barsB, 176); // ResNet-50's 175 and its input
    // The title names the design and the sum: ResNet-18's MACs, 1.81 G.
    QVERIFY2(a->title().contains("A: ResNet-18") && a->title().contains("1.81 G"), qPrintable(a->title()));
    // "fc" sits in the same row of both charts, so its bars are at the same x pixel.
    const int fc = rowOfLayer(w, true, "fc");
    QVERIFY(fc >= 0);
    QCOMPARE(rowOfLayer(w, false, "fc"), fc);
    QCOMPARE(a->pixelForRow(fc).x(), b->pixelForRow(fc).x());
}

void TestCompareWindow::linkedSelection()
{
    CompareWindow w;
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.setDesignA(core::loadZoo("resnet18").value());
    QVERIFY(w.openB("zoo:resnet50").ok());
    w.chartA()->replotNow();
    w.chartB()->replotNow();
    const int row = rowOfLayer(w, true, "layer1.0.conv1");
    QVERIFY(row >= 0);
    // A user clicks the bar of layer1.0.conv1 in A's chart.
    QTest::mouseClick(w.chartA()->plot(), Qt::LeftButton, {},
                      w.chartA()->plot()->mapFrom(w.chartA(), w.chartA()->pixelForRow(row)));
    QCOMPARE(w.chartA()->selectedRow(), row);
    QCOMPARE(w.chartB()->selectedRow(), row);
    QVERIFY2(w.selectionLabel()->text().contains("A layer1.0.conv1 (Conv2d)"),
             qPrintable(w.selectionLabel()->text()));
    QVERIFY2(w.selectionLabel()->text().contains("B layer1.0.conv1 (Conv2d)"),
             qPrintable(w.selectionLabel()->text()));
    // ResNet-18's layer1.0.conv1: 64·64·9·56² = 115,605,504 MACs.
    QVERIFY(w.selectionLabel()->text().contains("115,605,504"));
    if (qEnvironmentVariableIsSet("NC_COMPARE_SCREENSHOT_DIR")) {
        w.chartA()->replotNow();
        w.chartB()->replotNow();
        QVERIFY(w.grab().save(qEnvironmentVariable("NC_COMPARE_SCREENSHOT_DIR") + "/compare-resnet.png"));
    }
}

void TestCompareWindow::linkedPanning()
{
    CompareWindow w;
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.chartA()->plot()->xAxis->setRange(10, 40);
    QCOMPARE(w.chartB()->plot()->xAxis->range().lower, 10.0);
    QCOMPARE(w.chartB()->plot()->xAxis->range().upper, 40.0);
}

void TestCompareWindow::variantFromKnob()
{
    CompareWindow w;
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.setDesignA(core::loadZoo("resnet18").value());
    auto* knob = w.findChild<QComboBox*>("knob");
    auto* factor = w.findChild<QDoubleSpinBox*>("factor");
    auto* make = w.findChild<QPushButton*>("makeVariantButton");
    QVERIFY(knob && factor && make);
    knob->setCurrentIndex(0);
    factor->setValue(0.5);
    QTest::mouseClick(make, Qt::LeftButton);
    // ResNet-18 at half width, rounded to 8: 3,055,880 parameters (tst_scaling has the arithmetic).
    QCOMPARE(cell(w, "Parameters", 2), QString("3,055,880"));
    QCOMPARE(cell(w, "Parameters", 4), QString("0.261×")); // 3,055,880 / 11,689,512
    QCOMPARE(w.findChild<QLabel*>("nameB")->text(), QString("ResNet-18 (width ×0.5)"));
    // Variants keep the names: every aligned row pairs both designs.
    for (const auto& r : w.comparison().alignment)
        QVERIFY(r.a >= 0 && r.b >= 0);
}

void TestCompareWindow::liveDocumentEdit()
{
    core::Document doc;
    doc.setNetwork(core::loadZoo("resnet50").value());
    CompareWindow w(&doc);
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.findChild<QLabel*>("nameA")->text().contains("live"));
    QCOMPARE(cell(w, "Parameters", 1), QString("25,557,032"));
    // The main window's document changes: fc from 1000 to 10 classes removes 2048·990 weights and
    // 990 biases: 25,557,032 − 2,028,510 = 23,528,522.
    const core::NodeId fc = doc.network().findByName("fc");
    core::LayerParams p = doc.network().node(fc)->params;
    p.features = 10;
    doc.execute(std::make_unique<core::SetNodeCommand>(doc.network(), fc, p, "fc"));
    QCOMPARE(cell(w, "Parameters", 1), QString("23,528,522"));
}

void TestCompareWindow::refusedKnobSaysWhy()
{
    CompareWindow w;
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.setDesignA(core::loadZoo("wide_shallow").value());
    const QString before = cell(w, "Parameters", 2);
    auto* knob = w.findChild<QComboBox*>("knob");
    knob->setCurrentIndex(1); // depth
    w.findChild<QDoubleSpinBox*>("factor")->setValue(2);
    QTest::mouseClick(w.findChild<QPushButton*>("makeVariantButton"), Qt::LeftButton);
    auto* message = w.findChild<QLabel*>("compareMessage");
    QVERIFY(message->isVisible());
    QVERIFY2(message->text().contains("has no blocks to repeat"), qPrintable(message->text()));
    QCOMPARE(cell(w, "Parameters", 2), before); // B untouched
}

void TestCompareWindow::experimentMeasuresInWorker()
{
    CompareWindow w;
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.measureOptions().secondsPerLayer = 0.002;
    QSignalSpy finished(&w, &CompareWindow::measureFinished);
    QTest::mouseClick(w.findChild<QPushButton*>("experimentButton"), Qt::LeftButton);
    // The pair is in place at once (the static figures need no kernels): 460,330 against 459,082.
    QCOMPARE(cell(w, "Parameters", 1), QString("460,330"));
    QCOMPARE(cell(w, "Parameters", 2), QString("459,082"));
    QCOMPARE(cell(w, "Kernel launches (deployment)", 1), QString("5"));
    QCOMPARE(cell(w, "Kernel launches (deployment)", 2), QString("28"));
    // The window stays responsive while the worker measures: the progress bar and Cancel are up.
    QVERIFY(w.measuring());
    QVERIFY(w.progressBar()->isVisible());
    QVERIFY(w.findChild<QPushButton*>("cancelButton")->isVisible());
    QVERIFY(finished.wait(120000));
    QVERIFY(!w.measuring());
    QVERIFY(!w.progressBar()->isVisible());
    for (const char* row : {"Latency, Eigen, 1 thread", "Latency, Eigen, 2 threads",
                            "Latency, oneDNN, 1 thread", "Latency, oneDNN, 2 threads"}) {
        QVERIFY2(cell(w, row, 1) != "—" && !cell(w, row, 1).startsWith("(no row"), row);
        QVERIFY2(cell(w, row, 2) != "—", row);
        QVERIFY2(cell(w, row, 4).endsWith("×"), row);
    }
    if (qEnvironmentVariableIsSet("NC_COMPARE_SCREENSHOT_DIR"))
        QVERIFY(w.grab().save(qEnvironmentVariable("NC_COMPARE_SCREENSHOT_DIR") + "/compare-experiment.png"));
    // An edit of either design drops the measurement: it described the designs before the edit.
    core::NodeId fc = w.documentB().network().findByName("fc");
    core::LayerParams p = w.documentB().network().node(fc)->params;
    p.features = 20;
    w.documentB().execute(std::make_unique<core::SetNodeCommand>(w.documentB().network(), fc, p, "fc"));
    QVERIFY(cell(w, "Latency, Eigen, 1 thread", 1).startsWith("(no row"));
    QCOMPARE(cell(w, "Measured latency", 1), QString("—"));
}

void TestCompareWindow::cancelMeasurement()
{
    CompareWindow w;
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QSignalSpy finished(&w, &CompareWindow::measureFinished);
    w.measureOptions().secondsPerLayer = 0.5; // long enough that Cancel comes first
    QTest::mouseClick(w.findChild<QPushButton*>("measureButton"), Qt::LeftButton);
    QVERIFY(w.measuring());
    QTest::mouseClick(w.findChild<QPushButton*>("cancelButton"), Qt::LeftButton);
    QVERIFY(finished.wait(60000));
    QVERIFY(w.findChild<QLabel*>("compareMessage")->text().contains("cancelled"));
    QCOMPARE(cell(w, "Measured latency", 1), QString("—"));
}

QTEST_MAIN(TestCompareWindow)
#include "tst_comparewindow.moc"
