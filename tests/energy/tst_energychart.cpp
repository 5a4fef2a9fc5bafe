// Tests the energy chart in the charts panel: its bars are the core's estimate (checked against hand
// figures for AlexNet), data movement dominates the fully connected layers on screen, the budget
// sends activations to DRAM, and a loaded table reaches the chart.
#include "tests/charts/ChartTestUtil.h"

#include "widgets/charts/EnergyChart.h"

#include <QComboBox>
#include <QTemporaryDir>

using namespace nc;
using namespace nc::test;

class TestEnergyChart : public QObject {
    Q_OBJECT
private slots:
    void alexNetBarsAreTheHandFigures();
    void dataMovementDominatesFullyConnectedOnScreen();
    void budgetSendsActivationsToDram();
    void loadedTableReachesTheChart();
    void stepsFollowTheSchedule();
    void tableRowDoesNotWidenTheDock();
};

namespace {

int stepOf(const PanelRig& rig, const std::string& name)
{
    const core::Network& n = rig.doc.network();
    return rig.analysis().layer(n.findByName(name), n)->step;
}

std::unique_ptr<PanelRig> alexNet()
{
    auto rig = std::make_unique<PanelRig>(PanelRig::zoo("alexnet"));
    rig->panel->resize(1600, 560);
    rig->panel->showView(rig->panel->energyView());
    rig->panel->flush();
    QApplication::processEvents();
    rig->panel->energyView()->chart()->replotNow(true);
    return rig;
}

void saveShot(QWidget* w, const char* name)
{
    const QByteArray dir = qgetenv("NC_SHOT_DIR");
    if (!dir.isEmpty())
        w->grab().save(QString::fromUtf8(dir) + QLatin1Char('/') + QLatin1String(name));
}

} // namespace

// FP32, Horowitz 45 nm, batch 1, no budget.
// fc6 (9,216 → 4,096): 37,748,736 MACs · (3.7 + 0.9) pJ + 4,096 bias adds · 0.9 pJ
//   = 173,644,185.6 + 3,686.4 = 173,647,872 pJ; weights 37,752,832 · 640 pJ = 24,161,812,480 pJ off chip.
// conv2 (grouped, 96 → 256, 5×5, 27×27): 223,948,800 MACs · 4.6 + 186,624 bias adds · 0.9
//   = 1,030,164,480 + 167,961.6 = 1,030,332,441.6 pJ; weights 307,456 · 640 = 196,771,840 pJ;
//   on chip (69,984 inputs + 307,456 weights + 186,624 outputs) · 5 = 564,064 · 5 = 2,820,320 pJ.
void TestEnergyChart::alexNetBarsAreTheHandFigures()
{
    auto rig = alexNet();
    const widgets::EnergySeries& s = rig->panel->energyView()->chart()->series();
    QVERIFY(s.ok);
    const auto fc6 = static_cast<size_t>(stepOf(*rig, "fc6"));
    QVERIFY(qFuzzyCompare(s.compute[fc6], 173647872.0));
    QVERIFY(qFuzzyCompare(s.offChip[fc6], 24161812480.0));
    const auto conv2 = static_cast<size_t>(stepOf(*rig, "conv2"));
    QVERIFY(qFuzzyCompare(s.compute[conv2], 1030332441.6));
    QVERIFY(qFuzzyCompare(s.offChip[conv2], 196771840.0));
    QVERIFY(qFuzzyCompare(s.onChip[conv2], 2820320.0));
    // The bars drawn are these numbers.
    auto* chart = rig->panel->energyView()->chart();
    QCOMPARE(valuesOf(chart->offChipBars()->data())[static_cast<qsizetype>(fc6)], s.offChip[fc6]);
    QCOMPARE(valuesOf(chart->computeBars()->data())[static_cast<qsizetype>(conv2)], s.compute[conv2]);
}

// On screen at 1600 px wide: fc6's DRAM segment is over a hundred times taller than its arithmetic
// (24.16 mJ against 0.17 mJ), while conv2's arithmetic is taller than its weight traffic (1.03 mJ
// against 0.20 mJ); the subtitle says how much of the total is data movement.
void TestEnergyChart::dataMovementDominatesFullyConnectedOnScreen()
{
    auto rig = alexNet();
    auto* chart = rig->panel->energyView()->chart();
    saveShot(rig->panel.get(), "energy-alexnet.png");
    QCPAxis* y = chart->plot()->yAxis;
    const widgets::EnergySeries& s = chart->series();
    auto pixels = [&](double v) { return y->coordToPixel(0) - y->coordToPixel(v); };
    for (const char* name : {"fc6", "fc7"}) {
        const auto i = static_cast<size_t>(stepOf(*rig, name));
        QVERIFY2(pixels(s.offChip[i]) > 100 * pixels(s.compute[i]) || pixels(s.compute[i]) < 1, name);
        QVERIFY2(pixels(s.offChip[i]) > 40, name); // a bar a room can see
    }
    const auto conv2 = static_cast<size_t>(stepOf(*rig, "conv2"));
    QVERIFY(pixels(s.compute[conv2]) > pixels(s.offChip[conv2]));
    // Totals: the largest stack is fc6.
    double best = 0;
    size_t at = 0;
    for (size_t i = 0; i < s.compute.size(); ++i)
        if (s.compute[i] + s.onChip[i] + s.offChip[i] > best) {
            best = s.compute[i] + s.onChip[i] + s.offChip[i];
            at = i;
        }
    QCOMPARE(at, static_cast<size_t>(stepOf(*rig, "fc6")));
    QVERIFY2(chart->titleText().contains("data movement 9"), qPrintable(chart->titleText()));
}

// A 256 KiB budget: AlexNet FP32's conv1 step holds its 3×224×224 input and 96×55×55 output
// (the lecture's AlexNet: (150,528 + 290,400)·4 = 1,763,712 B), far over it, so conv1 reads and
// writes its activations in DRAM: (150,528 + 290,400) · 640 pJ = 282,193,920 pJ more off chip.
void TestEnergyChart::budgetSendsActivationsToDram()
{
    auto rig = alexNet();
    const auto conv1 = static_cast<size_t>(stepOf(*rig, "conv1"));
    const double before = rig->panel->energyView()->chart()->series().offChip[conv1];
    rig->opts.setBudgetBytes(256 * 1024);
    rig->panel->flush();
    const double after = rig->panel->energyView()->chart()->series().offChip[conv1];
    QVERIFY(qFuzzyCompare(after - before, 282193920.0));
}

void TestEnergyChart::loadedTableReachesTheChart()
{
    auto rig = alexNet();
    QTemporaryDir dir;
    core::energy::EnergyTable t = core::energy::horowitz45();
    t.name = "free DRAM";
    t.dramRead32 = 0;
    const QString path = dir.filePath("t.json");
    QVERIFY(core::energy::saveEnergyTable(t, path.toStdString()).ok());
    QVERIFY(rig->panel->energyView()->loadTable(path).ok());
    rig->panel->flush();
    const auto fc6 = static_cast<size_t>(stepOf(*rig, "fc6"));
    QCOMPARE(rig->panel->energyView()->chart()->series().offChip[fc6], 0.0);
    QVERIFY(rig->panel->energyView()->tableBox()->currentText().contains("free DRAM"));
    // Back to the 1 MB SRAM preset: conv2's on-chip traffic is ten times the 8 KB figure.
    rig->panel->energyView()->tableBox()->setCurrentIndex(1);
    emit rig->panel->energyView()->tableBox()->activated(1);
    rig->panel->flush();
    const auto conv2 = static_cast<size_t>(stepOf(*rig, "conv2"));
    QVERIFY(qFuzzyCompare(rig->panel->energyView()->chart()->series().onChip[conv2], 28203200.0));
}

void TestEnergyChart::stepsFollowTheSchedule()
{
    auto rig = alexNet();
    auto* chart = rig->panel->energyView()->chart();
    QCOMPARE(static_cast<qsizetype>(chart->series().compute.size()), static_cast<qsizetype>(rig->analysis().layers.size()));
    // A click on fc6's column selects fc6, as every chart does.
    const int fc6 = stepOf(*rig, "fc6");
    const QPoint p = chart->pixelFor(fc6, chart->series().offChip[static_cast<size_t>(fc6)] / 2);
    QTest::mouseClick(chart->plot(), Qt::LeftButton, {}, p);
    QCOMPARE(rig->sel.ids().size(), size_t(1));
    QCOMPARE(rig->sel.ids().front(), rig->doc.network().findByName("fc6"));
}

// A tab stack is as wide as its widest page: the table row must fit in a chart's minimum width, or
// it would squeeze the palette and the other tab stack (it once did, by its long note).
void TestEnergyChart::tableRowDoesNotWidenTheDock()
{
    auto rig = alexNet();
    rig->opts.setBudgetBytes(256 * 1024);
    rig->panel->flush();
    QVERIFY2(rig->panel->energyView()->minimumSizeHint().width() <= widgets::ChartBase::kMinWidth + 40,
             qPrintable(QString::number(rig->panel->energyView()->minimumSizeHint().width())));
}

QTEST_MAIN(TestEnergyChart)
#include "tst_energychart.moc"
