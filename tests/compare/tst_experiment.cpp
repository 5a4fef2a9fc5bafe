// Tests the lecture's experiment: the equal-parameter generator (within 1%, against hand counts and the
// zoo's wide/deep pair), its refusals, and one measured run on both backends at 1 and 2 threads
// (values present, never timed), and cancellation.
#include "core/Analysis.h"
#include "core/Zoo.h"
#include "core/compare/Experiment.h"

#include <QTest>

#include <cmath>

using namespace nc::core;
using namespace nc::core::compare;

class TestExperiment : public QObject {
    Q_OBJECT
private slots:
    void defaultPairIsTheZooPair();
    void withinOnePercent_data();
    void withinOnePercent();
    void closedFormMatchesAnalysis();
    void refusals_data();
    void refusals();
    void staticRows();
    void measuredRun();
    void cancelledBeforeStart();
};

void TestExperiment::defaultPairIsTheZooPair()
{
    auto p = equalParameterPair({});
    QVERIFY2(p.ok(), p.ok() ? "" : p.error().c_str());
    // Deep: 23 convs of 48 channels on 3×32×32, 10 classes:
    //   (3·9·48 + 48) + 22 · (9·48² + 48) + (48·10 + 10) = 1,344 + 457,248 + 490 = 459,082.
    QCOMPARE(p->deepParams, int64_t(459'082));
    // Wide, two convs of w: 9w² + 39w + 10. w = 224: 451,584 + 8,736 + 10 = 460,330 (+0.27%);
    // w = 223: 447,561 + 8,697 + 10 = 456,268 (−0.61%): 224 is nearer.
    QCOMPARE(p->wideWidth, int64_t(224));
    QCOMPARE(p->wideParams, int64_t(460'330));
    QVERIFY(p->gap < 0.01);
    // The zoo's pair (README table) is the same two networks.
    QCOMPARE(analyze(loadZoo("wide_shallow").value()).totals.params, p->wideParams);
    QCOMPARE(analyze(loadZoo("deep_narrow").value()).totals.params, p->deepParams);
    QCOMPARE(analyze(loadZoo("deep_narrow").value()).totals.macs, analyze(p->deep).totals.macs);
}

void TestExperiment::withinOnePercent_data()
{
    QTest::addColumn<int>("wideDepth");
    QTest::addColumn<int>("deepDepth");
    QTest::addColumn<qint64>("deepWidth");
    QTest::addColumn<qint64>("classes");
    QTest::newRow("2 vs 23×48") << 2 << 23 << qint64(48) << qint64(10);
    QTest::newRow("1 vs 8×64") << 1 << 8 << qint64(64) << qint64(10);
    QTest::newRow("3 vs 40×32") << 3 << 40 << qint64(32) << qint64(100);
    QTest::newRow("4 vs 16×128") << 4 << 16 << qint64(128) << qint64(1000);
    QTest::newRow("2 vs 12×24") << 2 << 12 << qint64(24) << qint64(10);
}

void TestExperiment::withinOnePercent()
{
    QFETCH(int, wideDepth);
    QFETCH(int, deepDepth);
    QFETCH(qint64, deepWidth);
    QFETCH(qint64, classes);
    EqualPairOptions o;
    o.wideDepth = wideDepth;
    o.deepDepth = deepDepth;
    o.deepWidth = deepWidth;
    o.classes = classes;
    auto p = equalParameterPair(o);
    QVERIFY2(p.ok(), p.ok() ? "" : p.error().c_str());
    // The claim, checked on the analysis' own counts of the two generated networks.
    const int64_t w = analyze(p->wide).totals.params, d = analyze(p->deep).totals.params;
    QVERIFY2(std::abs(double(w - d)) / double(d) < 0.01, qPrintable(QString("%1 vs %2").arg(w).arg(d)));
    // Depth as asked: convolutions counted in the networks.
    int wideConvs = 0, deepConvs = 0;
    for (const Node& n : p->wide.nodes())
        wideConvs += n.type == LayerType::Conv2d;
    for (const Node& n : p->deep.nodes())
        deepConvs += n.type == LayerType::Conv2d;
    QCOMPARE(wideConvs, wideDepth);
    QCOMPARE(deepConvs, deepDepth);
    // No whole width is nearer: one channel more or less moves the count further from the target.
    const int64_t in = 3;
    const int64_t here = std::llabs(plainCnnParams(in, wideDepth, p->wideWidth, classes) - d);
    QVERIFY(here <= std::llabs(plainCnnParams(in, wideDepth, p->wideWidth + 1, classes) - d));
    QVERIFY(here <= std::llabs(plainCnnParams(in, wideDepth, p->wideWidth - 1, classes) - d));
}

void TestExperiment::closedFormMatchesAnalysis()
{
    // One hand row: depth 3, width 16, 3 input channels, 10 classes:
    //   (27·16 + 16) + 2·(9·256 + 16) + (160 + 10) = 448 + 4,640 + 170 = 5,258.
    QCOMPARE(plainCnnParams(3, 3, 16, 10), int64_t(5'258));
    QCOMPARE(analyze(plainCnn("t", Shape{3, 32, 32}, 3, 16, 10)).totals.params, int64_t(5'258));
}

void TestExperiment::refusals_data()
{
    QTest::addColumn<int>("deepDepth");
    QTest::addColumn<qint64>("deepWidth");
    QTest::addColumn<QString>("message");
    // Deep 3 × 1 channel: 28 + 2·10 + 20 = 68 parameters; wide w = 1 gives 58 (−15%), w = 2 gives 124:
    // nothing within 1%.
    QTest::newRow("tiny budget") << 3 << qint64(1) << "within 1%";
    QTest::newRow("deep not deeper") << 2 << qint64(48) << "more convolutions";
    QTest::newRow("zero width") << 23 << qint64(0) << "deep width";
}

void TestExperiment::refusals()
{
    QFETCH(int, deepDepth);
    QFETCH(qint64, deepWidth);
    QFETCH(QString, message);
    EqualPairOptions o;
    o.deepDepth = deepDepth;
    o.deepWidth = deepWidth;
    auto p = equalParameterPair(o);
    QVERIFY(!p.ok());
    QVERIFY2(QString::fromStdString(p.error()).contains(message), p.error().c_str());
}

void TestExperiment::staticRows()
{
    auto p = equalParameterPair({});
    QVERIFY(p.ok());
    ExperimentResult r = staticExperiment(*p);
    // Kernel launches in deployment (ReLU fused, flatten a view): wide conv, pool, conv, global pool,
    // fc = 5; deep 23 convs + 3 pools + global pool + fc = 28.
    QCOMPARE(r.comparison.a.kernelLaunches.value(), 5);
    QCOMPARE(r.comparison.b.kernelLaunches.value(), 28);
    // MACs: wide 3·9·224·32² + 224·9·224·16² + 2,240 = 6,193,152 + 115,605,504 + 2,240 = 121,800,896.
    QCOMPARE(r.comparison.a.macs, int64_t(121'800'896));
    // Receptive field: wide 3 → pool 4 (jump 2) → 3×3 at jump 2: 8, then the 16×16 global pool at jump
    // 2 adds 15·2: 38.
    QCOMPARE(r.comparison.a.rf[0], int64_t(38));
    QVERIFY(r.latency.empty());
    QCOMPARE(r.rows.size(), r.comparison.rows.size());
}

void TestExperiment::measuredRun()
{
    // A small pair so the run takes a second: 3×8×8 input, deep 4 × 16 channels (7,578 parameters:
    // 448 + 3·2,320 + 170), wide 2 × 27 (9·729 + 39·27 + 10 = 7,624, +0.6%).
    EqualPairOptions o;
    o.input = Shape{3, 8, 8};
    o.deepDepth = 4;
    o.deepWidth = 16;
    auto p = equalParameterPair(o);
    QVERIFY2(p.ok(), p.ok() ? "" : p.error().c_str());
    QCOMPARE(p->wideWidth, int64_t(27));
    ExperimentOptions eo;
    eo.secondsPerLayer = 0.001;
    ExperimentControl control;
    int calls = 0, lastDone = -1, lastTotal = 0;
    control.progress = [&](int done, int total, const std::string&) {
        ++calls;
        lastDone = done;
        lastTotal = total;
    };
    ExperimentResult r = runExperiment(*p, eo, &control);
    QVERIFY(!r.cancelled);
    QCOMPARE(int(r.latency.size()), 4); // {Eigen, oneDNN} × {1, 2} threads
    QCOMPARE(r.latency[0].backend, BackendKind::Eigen);
    QCOMPARE(r.latency[1].threads, 2);
    QCOMPARE(r.latency[2].backend, BackendKind::OneDnn);
    for (const LatencyCell& c : r.latency) {
        QVERIFY2(c.aError.empty(), c.aError.c_str());
        QVERIFY2(c.bError.empty(), c.bError.c_str());
        QVERIFY(c.aUs > 0);
        QVERIFY(c.bUs > 0);
    }
    // The generic "Measured latency" row gives way to the four measured ones.
    QCOMPARE(r.rows.size(), r.comparison.rows.size() - 1 + 4);
    QCOMPARE(r.rows.back().key, std::string("latency_onednn_2t_us"));
    QCOMPARE(r.rows.back().label, std::string("Latency, oneDNN, 2 threads"));
    QVERIFY(r.rows.back().ratio().has_value());
    QVERIFY(calls > 0);
    QCOMPARE(lastDone, lastTotal);
}

void TestExperiment::cancelledBeforeStart()
{
    auto p = equalParameterPair({});
    QVERIFY(p.ok());
    ExperimentControl control;
    control.cancel = true;
    ExperimentResult r = runExperiment(*p, {}, &control);
    QVERIFY(r.cancelled);
    QVERIFY(r.latency.empty());
    // The static figures are there all the same.
    QCOMPARE(r.comparison.a.params, int64_t(460'330));
}

QTEST_GUILESS_MAIN(TestExperiment)
#include "tst_experiment.moc"
