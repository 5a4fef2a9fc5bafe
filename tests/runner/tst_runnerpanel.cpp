// Tests the kernel runner panel as a user drives it: run in the background with progress, results
// per layer, cancel, stale marking after an edit, and clicking a roofline point selects the layer;
// the batch sweep drawn point by point, with its progress, its cancel and a series per backend.
#include "core/Commands.h"
#include "core/Document.h"
#include "core/ModelBuilder.h"
#include "core/Zoo.h"
#include "widgets/Selection.h"
#include "widgets/runner/RunnerPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
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
    void latencyAxisNamesTheLayers();
    void sweepDrawsEachPointAsItArrives();
    void cancelledSweepSaysWhereItStopped();
    void summaryWrapsInsideANarrowDock();

private:
    QPushButton* button(const QString& text) const
    {
        for (QPushButton* b : m_panel->findChildren<QPushButton*>())
            if (b->text() == text)
                return b;
        return nullptr;
    }
    QStringList labelTexts() const
    {
        QStringList texts;
        for (QLabel* l : m_panel->findChildren<QLabel*>())
            texts << l->text();
        return texts;
    }

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
    // The legend names each series by its backend.
    QStringList names;
    for (int i = 0; i < m_panel->latencyPlot()->legend->itemCount(); ++i)
        if (auto* item = qobject_cast<QCPPlottableLegendItem*>(m_panel->latencyPlot()->legend->item(i)))
            names << item->plottable()->name();
    QVERIFY2(names.contains("Eigen") && names.contains("oneDNN"), qPrintable(names.join(" | ")));
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
    // The roofs' labels do not overlap one another (L1 and L2 run a few pixels apart) and stay inside
    // the plot, at the plot's size in the dock and at twice it.
    for (const QSize size : {plot->size(), plot->size() * 2}) {
        plot->resize(size);
        plot->replot(QCustomPlot::rpImmediateRefresh);
        std::vector<QRectF> boxes;
        for (int i = 0; i < plot->itemCount(); ++i)
            if (auto* text = qobject_cast<QCPItemText*>(plot->item(i)); text && text->text().endsWith("GB/s"))
                boxes.push_back(QRectF(text->topLeft->pixelPosition(), text->bottomRight->pixelPosition()));
        QCOMPARE(boxes.size(), size_t(4));
        for (size_t a = 0; a < boxes.size(); ++a) {
            QVERIFY(plot->axisRect()->rect().contains(boxes[a].toRect()));
            for (size_t b = a + 1; b < boxes.size(); ++b)
                QVERIFY2(!boxes[a].intersects(boxes[b]), qPrintable(QString("labels %1 and %2 overlap").arg(a).arg(b)));
        }
    }
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

// Under the latency bars, the layers' names in schedule order (the small design's seven layers all
// fit in 600 px), not step numbers; rotated, a line apart at least.
void TestRunnerPanel::latencyAxisNamesTheLayers()
{
    QTest::mouseClick(button("Run"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->running(), 30000);
    QCustomPlot* plot = m_panel->latencyPlot();
    plot->replot();
    plot->replot(); // the second with the layout's axis length
    QStringList expected;
    for (const LayerResult& l : m_doc->analysis().layers)
        expected << QString::fromStdString(m_doc->network().node(l.id)->name);
    QVERIFY(expected.contains("conv") && expected.contains("fc"));
    QStringList shown;
    std::vector<double> px;
    const QVector<double> ticks = plot->xAxis->tickVector();
    const QVector<QString> labels = plot->xAxis->tickVectorLabels();
    for (int i = 0; i < ticks.size() && i < labels.size(); ++i)
        if (plot->xAxis->range().contains(ticks[i]) && !labels[i].isEmpty()) {
            shown << labels[i];
            px.push_back(plot->xAxis->coordToPixel(ticks[i]));
        }
    // Whole names; one too long for the label room keeps its end ("…conv1_bn"), never its start.
    QCOMPARE(shown.size(), expected.size());
    for (int i = 0; i < shown.size(); ++i)
        QVERIFY2(shown[i] == expected[i] || (shown[i].startsWith(QChar(0x2026)) && expected[i].endsWith(shown[i].mid(1))),
                 qPrintable(shown[i] + " for " + expected[i]));
    QVERIFY(shown.contains("conv") && shown.contains("fc"));
    const int line = QFontMetrics(plot->xAxis->tickLabelFont()).height();
    for (size_t i = 1; i < px.size(); ++i)
        QVERIFY(px[i] - px[i - 1] >= line);
}

// "Both" and Batch sweep: batch 1, 2, 4, … 64 on Eigen, then on oneDNN — 14 runs. Each point is
// drawn while the sweep still runs, in its backend's series, and the bar names the batch size and
// backend being measured.
void TestRunnerPanel::sweepDrawsEachPointAsItArrives()
{
    auto* backend = m_panel->findChild<QComboBox*>();
    QVERIFY(backend);
    backend->setCurrentIndex(backend->findText("Both, side by side"));
    struct Seen {
        bool running;
        BackendKind backend;
        qint64 batch;
        int drawn;
        QString progress;
    };
    std::vector<Seen> seen;
    connect(m_panel, &RunnerPanel::sweepPointAdded, this, [&](BackendKind b, qint64 batch) {
        int drawn = -1;
        const QString series = QString(b == BackendKind::Eigen ? "Eigen" : "oneDNN") + " latency (ms)";
        for (int i = 0; i < m_panel->sweepPlot()->graphCount(); ++i)
            if (m_panel->sweepPlot()->graph(i)->name() == series)
                drawn = m_panel->sweepPlot()->graph(i)->data()->size();
        seen.push_back({m_panel->running(), b, batch, drawn, m_panel->progressBar()->text()});
    });
    QTest::mouseClick(button("Batch sweep"), Qt::LeftButton);
    QVERIFY(m_panel->running());
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->running(), 300000);

    QCOMPARE(seen.size(), size_t(14));
    for (size_t k = 0; k < seen.size(); ++k) {
        const Seen& s = seen[k];
        const size_t i = k % 7; // index within its backend's sweep
        const QString name = s.backend == BackendKind::Eigen ? "Eigen" : "oneDNN";
        QCOMPARE(s.backend, k < 7 ? BackendKind::Eigen : BackendKind::OneDnn);
        QVERIFY(s.running);
        QCOMPARE(s.batch, qint64(1) << i);
        QCOMPARE(s.drawn, int(i) + 1);
        QVERIFY2(s.progress.startsWith(QString("batch %1 on %2").arg(s.batch).arg(name)), qPrintable(s.progress));
        if (k + 1 < seen.size())
            QVERIFY2(!s.progress.contains("100%"), qPrintable(s.progress));
    }
    QCOMPARE(m_panel->sweep(BackendKind::Eigen).size(), size_t(7));
    QCOMPARE(m_panel->sweep(BackendKind::OneDnn).size(), size_t(7));
    // A latency and a throughput series per backend, each named by it in the legend.
    QStringList names;
    for (int i = 0; i < m_panel->sweepPlot()->legend->itemCount(); ++i)
        if (auto* item = qobject_cast<QCPPlottableLegendItem*>(m_panel->sweepPlot()->legend->item(i)))
            names << item->plottable()->name();
    QCOMPARE(names, QStringList({"Eigen latency (ms)", "Eigen throughput (samples/s)", "oneDNN latency (ms)",
                                 "oneDNN throughput (samples/s)"}));
    QCOMPARE(m_panel->progressBar()->text(), QString("100%"));
    QVERIFY(labelTexts().contains("Batch sweep finished: 14 point(s)."));
    if (qEnvironmentVariableIsSet("NC_SCREENSHOT_DIR")) {
        m_panel->sweepPlot()->replot();
        m_panel->grab().save(qEnvironmentVariable("NC_SCREENSHOT_DIR") + "/runner-sweep.png");
    }
}

// ResNet-50's batch 1 alone takes seconds: a cancel as soon as the bar names it stops the sweep
// there. The bar then says where it stopped, not "100%", and the status not "stopped at cancelled".
void TestRunnerPanel::cancelledSweepSaysWhereItStopped()
{
    m_doc->setNetwork(loadZoo("resnet50").value());
    QTest::mouseClick(button("Batch sweep"), Qt::LeftButton);
    QVERIFY(m_panel->running());
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->progressBar()->text().startsWith("batch 1 on Eigen"), 60000);
    QTest::mouseClick(button("Cancel"), Qt::LeftButton);
    // A hang guard, not a speed claim: cancelling waits for at most the layer in flight.
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->running(), 120000);
    QCOMPARE(m_panel->progressBar()->text(), QString("cancelled at batch 1 on Eigen"));
    QVERIFY(m_panel->progressBar()->value() < m_panel->progressBar()->maximum());
    QVERIFY(m_panel->sweep(BackendKind::Eigen).empty());
    const QStringList texts = labelTexts();
    for (const QString& t : texts)
        QVERIFY2(!t.contains("stopped at cancelled") && !t.contains("100%"), qPrintable(t));
    QVERIFY2(texts.contains("Batch sweep cancelled at batch 1 on Eigen, before its first point."),
             qPrintable(texts.join(" | ")));
}

// The main window puts the panel in a scroll area inside a dock about 360 px wide at 1600×1000;
// the summary of a run on both backends ("Eigen, 2 thread(s), batch 1: sum of layers …, end to end
// …") and the explanation under it must wrap inside what is visible, not run on under the dock's
// right edge (where scrolling sideways was the only way to read them).
void TestRunnerPanel::summaryWrapsInsideANarrowDock()
{
    QScrollArea area;
    area.setWidgetResizable(true);
    area.setFrameShape(QFrame::NoFrame);
    auto* panel = new RunnerPanel(*m_doc, *m_sel);
    panel->setSecondsPerLayer(0.005);
    area.setWidget(panel);
    area.resize(360, 700);
    area.show();
    QVERIFY(QTest::qWaitForWindowExposed(&area));
    panel->setBackendChoice(2);
    panel->setThreads(1);
    panel->startRun();
    QTRY_VERIFY_WITH_TIMEOUT(!panel->running(), 30000);
    QCoreApplication::processEvents(); // the layout settles on the new text
    QWidget* viewport = area.viewport();
    QCOMPARE(area.horizontalScrollBar()->value(), 0);
    for (QLabel* label : {panel->statusLabel(), panel->explanation()}) {
        QVERIFY(label->isVisible());
        QVERIFY2(label->text().contains("end to end"), qPrintable(label->text()));
        const QRect onScreen(label->mapTo(viewport, QPoint(0, 0)), label->size());
        QVERIFY2(onScreen.left() >= 0 && onScreen.right() < viewport->width(),
                 qPrintable(QString("label spans x %1..%2, the dock shows 0..%3")
                                .arg(onScreen.left())
                                .arg(onScreen.right())
                                .arg(viewport->width() - 1)));
        // The wrapped text fits the label's width, and its height holds every line.
        const QRect text = label->fontMetrics().boundingRect(QRect(0, 0, label->width(), 100000),
                                                             Qt::TextWordWrap, label->text());
        QVERIFY2(text.width() <= label->width(), qPrintable(QString::number(text.width())));
        QVERIFY2(text.height() <= label->height(),
                 qPrintable(QString("%1 px of text in %2 px").arg(text.height()).arg(label->height())));
    }
}

QTEST_MAIN(TestRunnerPanel)
#include "tst_runnerpanel.moc"
