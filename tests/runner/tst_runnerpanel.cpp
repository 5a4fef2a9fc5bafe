// Tests the kernel runner panel as a user drives it: run in the background with progress, results
// per layer, cancel, stale marking after an edit, and clicking a roofline point selects the layer.
#include "core/Commands.h"
#include "core/Document.h"
#include "core/ModelBuilder.h"
#include "core/Zoo.h"
#include "widgets/Selection.h"
#include "widgets/runner/RunnerPanel.h"

#include <QCheckBox>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>
#include <QTest>
#include <qcustomplot.h>

#include <algorithm>

using namespace nc::core;
using nc::widgets::RunnerPanel;
using nc::widgets::Selection;

class TestRunnerPanel : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void runShowsEveryMeasuredLayer();
    void bothBackendsSideBySide();
    void editMakesResultsStale();
    void cancelKeepsTheWindowResponsive();
    void clickingARooflinePointSelectsTheLayer();
    void tableShowsTheSpreadOfEveryLayer();
    void rooflineLabelsARoofPerMemoryLevel();
    void deploymentGraphFusesTheRelu();

private:
    Document* m_doc = nullptr;
    Selection* m_sel = nullptr;
    RunnerPanel* m_panel = nullptr;
    NodeId m_conv;
};

void TestRunnerPanel::init()
{
    m_doc = new Document;
    m_sel = new Selection;
    ModelBuilder b("small");
    NodeId x = b.input({8, 32, 32});
    m_conv = b.conv(x, 16, 3, 1, 1, 1, true, "conv");
    b.linear(b.flatten(b.globalAvgPool(b.relu(m_conv))), 10, true, "fc");
    m_doc->setNetwork(b.finish());
    m_panel = new RunnerPanel(*m_doc, *m_sel);
    m_panel->setSecondsPerLayer(0.005);
    m_panel->resize(600, 700);
    m_panel->show();
}

void TestRunnerPanel::cleanup()
{
    delete m_panel;
    delete m_sel;
    delete m_doc;
}

void TestRunnerPanel::runShowsEveryMeasuredLayer()
{
    QSignalSpy spy(m_panel, &RunnerPanel::resultsChanged);
    QPushButton* run = nullptr;
    for (QPushButton* b : m_panel->findChildren<QPushButton*>())
        if (b->text() == "Run")
            run = b;
    QVERIFY(run);
    QTest::mouseClick(run, Qt::LeftButton);
    QVERIFY(m_panel->running());
    QVERIFY(!run->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->running(), 30000);
    QCOMPARE(spy.count(), 1);
    const auto& r = m_panel->report(BackendKind::Eigen);
    QVERIFY(r.has_value());
    int measured = 0;
    for (const LayerTiming& t : r->layers)
        measured += t.status == TimingStatus::Measured;
    QCOMPARE(measured, 4); // conv, relu, global pool, fc; the input and the flatten view run no kernel
    auto* bars = qobject_cast<QCPBars*>(m_panel->latencyPlot()->plottable(0));
    QVERIFY(bars);
    QCOMPARE(bars->data()->size(), measured);
    QCOMPARE(m_panel->progressBar()->value(), m_panel->progressBar()->maximum());
    QVERIFY(!m_panel->stale());
}

void TestRunnerPanel::bothBackendsSideBySide()
{
    m_panel->setBackendChoice(2);
    m_panel->startRun();
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->running(), 30000);
    QVERIFY(m_panel->report(BackendKind::Eigen).has_value());
    QVERIFY(m_panel->report(BackendKind::OneDnn).has_value());
    int bars = 0;
    for (int i = 0; i < m_panel->latencyPlot()->plottableCount(); ++i) {
        auto* b = qobject_cast<QCPBars*>(m_panel->latencyPlot()->plottable(i));
        bars += b && !b->property("ncNoisy").toBool();
    }
    QCOMPARE(bars, 2);
    // Each backend's bars carry a p90 whisker.
    int whiskers = 0;
    for (int i = 0; i < m_panel->latencyPlot()->plottableCount(); ++i)
        whiskers += qobject_cast<QCPErrorBars*>(m_panel->latencyPlot()->plottable(i)) != nullptr;
    QCOMPARE(whiskers, 2);
}

void TestRunnerPanel::editMakesResultsStale()
{
    m_panel->startRun();
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->running(), 30000);
    QSignalSpy spy(m_panel, &RunnerPanel::resultsChanged);
    LayerParams p = m_doc->network().node(m_conv)->params;
    p.features = 32;
    SetNodeCommand(m_doc->network(), m_conv, p, "").redo(*m_doc);
    QVERIFY(m_panel->stale());
    QCOMPARE(spy.count(), 1);
    bool staleShown = false;
    for (QLabel* l : m_panel->findChildren<QLabel*>())
        staleShown |= l->text().startsWith("Stale");
    QVERIFY(staleShown);
    auto* bars = qobject_cast<QCPBars*>(m_panel->latencyPlot()->plottable(0));
    QVERIFY(bars->name().contains("stale"));
}

void TestRunnerPanel::cancelKeepsTheWindowResponsive()
{
    // A long run (ResNet-50, up to a second per layer, minutes in all): the event loop keeps turning
    // while it runs, and a cancel ends it, keeping no partial results. No fixed wait: on a loaded
    // machine the timer may fire late, but it must fire while the run is still going.
    m_doc->setNetwork(loadZoo("resnet50").value());
    m_panel->setSecondsPerLayer(1.0);
    m_panel->startRun();
    QVERIFY(m_panel->running());
    int ticks = 0;
    QTimer timer;
    connect(&timer, &QTimer::timeout, this, [&] { ++ticks; });
    timer.start(10);
    QTRY_VERIFY_WITH_TIMEOUT(ticks >= 5, 30000);
    QVERIFY(m_panel->running());
    m_panel->cancel();
    // A hang guard, not a speed claim: cancelling waits for at most the layer in flight.
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->running(), 60000);
    QVERIFY(!m_panel->report(BackendKind::Eigen).has_value());
}

void TestRunnerPanel::clickingARooflinePointSelectsTheLayer()
{
    m_panel->startRun();
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->running(), 30000);
    QCustomPlot* plot = m_panel->rooflinePlot();
    plot->replot();
    auto* g = qobject_cast<QCPGraph*>(plot->plottable(0));
    QVERIFY(g);
    QVERIFY(g->data()->size() > 0);
    // The conv has the highest arithmetic intensity: the last point in key order.
    auto last = g->data()->constEnd() - 1;
    QPoint at(qRound(plot->xAxis->coordToPixel(last->key)), qRound(plot->yAxis->coordToPixel(last->value)));
    QTest::mouseClick(plot, Qt::LeftButton, Qt::NoModifier, at);
    QCOMPARE(m_sel->ids().size(), size_t(1));
    QCOMPARE(m_sel->ids()[0], m_conv);
}

void TestRunnerPanel::tableShowsTheSpreadOfEveryLayer()
{
    QVERIFY(!m_panel->explanation()->isVisible());
    m_panel->startRun();
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->running(), 30000);
    QTableWidget* t = m_panel->table();
    QCOMPARE(t->rowCount(), 4); // conv, relu, global pool, fc
    QStringList headers;
    for (int c = 0; c < t->columnCount(); ++c)
        headers << t->horizontalHeaderItem(c)->text();
    for (const char* h : {"p90/median", "CV", "foreign load", "flag"})
        QVERIFY2(headers.contains(h), h);
    const auto& r = m_panel->report(BackendKind::Eigen);
    const int flag = static_cast<int>(headers.indexOf("flag")), spread = static_cast<int>(headers.indexOf("p90/median"));
    int row = 0;
    for (const LayerTiming& l : r->layers) {
        if (l.status != TimingStatus::Measured)
            continue;
        QCOMPARE(t->item(row, flag)->text(), l.noisy ? QString("noisy") : QString());
        QCOMPARE(t->item(row, spread)->text(), QString::number(l.spread, 'f', 2));
        ++row;
    }
    QVERIFY(m_panel->explanation()->isVisible());
    QVERIFY(m_panel->explanation()->text().startsWith("Sum of layers vs end to end"));
}

void TestRunnerPanel::rooflineLabelsARoofPerMemoryLevel()
{
    m_panel->setThreads(1);
    m_panel->startProbe();
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->running(), 60000);
    QVERIFY(m_panel->machine().has_value());
    m_panel->startRun();
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->running(), 30000);
    QCustomPlot* plot = m_panel->rooflinePlot();
    QStringList labels;
    int drops = 0;
    for (int i = 0; i < plot->itemCount(); ++i) {
        if (auto* text = qobject_cast<QCPItemText*>(plot->item(i)))
            labels << text->text();
        drops += qobject_cast<QCPItemLine*>(plot->item(i)) != nullptr;
    }
    for (const char* level : {"L1 ", "L2 ", "L3 ", "DRAM "})
        QVERIFY2(std::any_of(labels.begin(), labels.end(), [&](const QString& l) { return l.startsWith(level) && l.endsWith("GB/s"); }),
                 qPrintable(labels.join(" | ")));
    QVERIFY(std::any_of(labels.begin(), labels.end(), [](const QString& l) { return l.startsWith("fp32 FMA peak"); }));
    // Every layer point is tied to its level's roof by a drop line.
    QCOMPARE(drops, 4);
    // For looking at it: NC_SCREENSHOT_DIR=/tmp saves the panel on each tab.
    if (qEnvironmentVariableIsSet("NC_SCREENSHOT_DIR")) {
        auto* tabs = m_panel->findChild<QTabWidget*>();
        for (int i = 0; i < tabs->count(); ++i) {
            tabs->setCurrentIndex(i);
            m_panel->rooflinePlot()->replot();
            m_panel->latencyPlot()->replot();
            m_panel->grab().save(qEnvironmentVariable("NC_SCREENSHOT_DIR") + QString("/runner-%1.png").arg(i));
        }
    }
}

// The small design's ReLU follows its convolution: deployed, it becomes the conv's post-op, is not
// measured on its own, and the status says 0 BatchNorm folded, 1 activation fused.
void TestRunnerPanel::deploymentGraphFusesTheRelu()
{
    QCheckBox* deploy = nullptr;
    for (QCheckBox* c : m_panel->findChildren<QCheckBox*>())
        if (c->text() == "Deployment graph")
            deploy = c;
    QVERIFY(deploy);
    deploy->click(); // (a mouse click at the widget centre lands right of the label, outside the hit area)
    QVERIFY(deploy->isChecked());
    m_panel->startRun();
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->running(), 30000);
    const auto& r = m_panel->report(BackendKind::Eigen);
    QVERIFY(r.has_value());
    QCOMPARE(r->fused, 1);
    QCOMPARE(m_panel->table()->rowCount(), 3); // conv (with the ReLU), global pool, fc
    bool said = false;
    for (QLabel* l : m_panel->findChildren<QLabel*>())
        said |= l->text().contains("deployed (0 BatchNorm folded, 1 activations fused)");
    QVERIFY(said);
}

QTEST_MAIN(TestRunnerPanel)
#include "tst_runnerpanel.moc"
