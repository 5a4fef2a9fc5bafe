// Tests patch-based inference: halos and recomputed MACs of a three-layer strided stack computed by
// hand, the patch-stage memory, and the automatic (k, n) search against every plan it enumerates.
#include "core/ModelBuilder.h"
#include "core/Zoo.h"
#include "core/deploy/DeployView.h"
#include "core/deploy/Patches.h"

#include <QTest>

using namespace nc::core;
using namespace nc::core::deploy;

class TestPatches : public QObject {
    Q_OBJECT
private slots:
    void stridedStackHalos();
    void stridedStackRecomputedMacs();
    void stridedStackMemory();
    void searchNeverExceedsAFittingBudget_data();
    void searchNeverExceedsAFittingBudget();
    void chainAndGridErrors();
    void peakLayerFollowsTheLargerPart();
};

namespace {

struct Fixture {
    Network net;
    AnalysisResult a;
    MemoryGraph g;
    Timeline t;
};

Fixture make(Network net)
{
    Fixture f;
    f.net = std::move(net);
    f.a = analyze(f.net);
    f.g = buildMemoryGraph(f.net, f.a, {}).value();
    f.t = evaluateOrder(f.g, defaultOrder(f.g));
    return f;
}

// 3×16×16 → conv1 3×3 stride 2 pad 1 → 8×8×8 → conv2 3×3 stride 1 pad 1 → 8×8×8 → conv3 3×3
// stride 2 pad 1 → 8×4×4, at 8 bits.
Fixture stack()
{
    ModelBuilder b("stack");
    NodeId x = b.input({3, 16, 16});
    x = b.conv(x, 8, 3, 2, 1, 1, false, "conv1");
    x = b.conv(x, 8, 3, 1, 1, 1, false, "conv2");
    b.conv(x, 8, 3, 2, 1, 1, false, "conv3");
    Network n = b.finish();
    n.bits = 8;
    return make(n);
}

Fixture zooFixture(const char* key)
{
    Network n = loadZoo(key).value();
    n.bits = 8;
    return make(n);
}

} // namespace

void TestPatches::stridedStackHalos()
{
    // 2×2 patches of conv3's 4×4 output: rows [0,2) and [2,4). Rows needed, axis by axis (columns
    // alike), by input rows [a·s − p, b·s − p + k − 1] clipped:
    //   conv3 out [0,2) ← conv2 out [0,4)  (−1..3);   [2,4) ← [3,8)  (3..7)
    //   conv2 out [0,4) ← conv1 out [0,5)  (−1..4);   [3,8) ← [2,8)  (2..8)
    //   conv1 out [0,5) ← input   [0,10)   (−1..9);   [2,8) ← [3,16) (3..15)
    Fixture f = stack();
    PatchPlan p = planPatches(f.net, f.a, f.g, f.t, 3, 2).value();
    QCOMPARE(p.regions.size(), size_t(4));
    const auto& last = p.regions[3]; // patch (1, 1)
    QCOMPARE(last[2].row0, int64_t(2));
    QCOMPARE(last[2].row1, int64_t(4));
    QCOMPARE(last[1].row0, int64_t(3));
    QCOMPARE(last[1].row1, int64_t(8));
    QCOMPARE(last[0].row0, int64_t(2));
    QCOMPARE(last[0].row1, int64_t(8));
    const auto& first = p.regions[0]; // patch (0, 0)
    QCOMPARE(first[1].rows(), int64_t(4));
    QCOMPARE(first[0].rows(), int64_t(5));
    QCOMPARE(first[0].cols(), int64_t(5));
    // The largest input each layer reads: conv1 13×13 of the image, conv2 6×6, conv3 5×5.
    QCOMPARE(p.stage[0].largestInput.rows(), int64_t(13));
    QCOMPARE(p.stage[0].largestInput.row0, int64_t(3));
    QCOMPARE(p.stage[1].largestInput.rows(), int64_t(6));
    QCOMPARE(p.stage[2].largestInput.cols(), int64_t(5));
}

void TestPatches::stridedStackRecomputedMacs()
{
    // Positions computed over the four patches: conv1 (5 + 6)² = 121 of 64, conv2 (4 + 5)² = 81 of
    // 64, conv3 4·4 = 16 of 16. MACs per position: conv1 8·3·9 = 216, conv2 and conv3 8·8·9 = 576.
    // Extra: 57·216 + 17·576 = 12,312 + 9,792 = 22,104 of 64·216 + 64·576 + 16·576 = 59,904 (36.9%).
    Fixture f = stack();
    PatchPlan p = planPatches(f.net, f.a, f.g, f.t, 3, 2).value();
    QCOMPARE(p.stage[0].recomputedMacs, int64_t(57 * 216));
    QCOMPARE(p.stage[1].recomputedMacs, int64_t(17 * 576));
    QCOMPARE(p.stage[2].recomputedMacs, int64_t(0));
    QCOMPARE(p.extraMacs, int64_t(22104));
    QCOMPARE(p.totalMacs, int64_t(59904));
    QCOMPARE(qRound(p.extraPercent * 10), 369);
}

void TestPatches::stridedStackMemory()
{
    // Always live: the 768 B input and the 128 B stage output. Patch (1, 1) is the largest: conv1
    // writes 8×6×6 = 288 B, conv2 reads those and writes 8×5×5 = 200 B: 768 + 128 + 288 + 200.
    Fixture f = stack();
    PatchPlan p = planPatches(f.net, f.a, f.g, f.t, 3, 2).value();
    QCOMPARE(p.patchPeakBytes, int64_t(1384));
    QCOMPARE(f.net.nodes()[static_cast<size_t>(p.patchPeakNode)].name, std::string("conv2"));
    QCOMPARE(p.restPeakBytes, int64_t(0)); // nothing runs after the stage
    QCOMPARE(p.restPeakStep, -1);
    // Two layers, 2×2: conv2's 8×4×4 patches are the output: 768 + 8·8·8 (assembled) + conv1's
    // region for conv2 rows [4,8): rows [3,8), 5×5×8 = 200 B; the rest: conv3 reads 512 B, writes 128 B.
    PatchPlan q = planPatches(f.net, f.a, f.g, f.t, 2, 2).value();
    QCOMPARE(q.patchPeakBytes, int64_t(768 + 512 + 200));
    QCOMPARE(q.restPeakBytes, int64_t(512 + 128));
    QCOMPARE(q.restPeakStep, 3); // steps: input, conv1, conv2, conv3
    QCOMPARE(q.peakBytes, int64_t(1480));
}

void TestPatches::searchNeverExceedsAFittingBudget_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<qint64>("budget");
    QTest::addColumn<int>("objective");
    for (const char* key : {"mobilenet_v2", "mcu_cnn"})
        for (qint64 budget : {qint64(0), qint64(40000), qint64(64512), qint64(300000), qint64(700000)})
            for (int obj : {0, 1})
                QTest::addRow("%s %lld %d", key, static_cast<long long>(budget), obj) << QString(key) << budget << obj;
}

void TestPatches::searchNeverExceedsAFittingBudget()
{
    QFETCH(QString, key);
    QFETCH(qint64, budget);
    QFETCH(int, objective);
    Fixture f = zooFixture(key.toStdString().c_str());
    const int maxK = patchableLayers(f.net, f.a, f.g, f.t);
    QVERIFY(maxK >= 1);
    bool anyFits = false;
    int64_t lowestPeak = INT64_MAX, fewestExtra = INT64_MAX;
    for (int k = 1; k <= maxK; ++k)
        for (int n = 2; n <= 8; ++n) {
            Result<PatchPlan> p = planPatches(f.net, f.a, f.g, f.t, k, n);
            if (!p)
                continue;
            lowestPeak = std::min(lowestPeak, p->peakBytes);
            if (budget == 0 || p->peakBytes <= budget) {
                anyFits = true;
                fewestExtra = std::min(fewestExtra, p->extraMacs);
            }
        }
    PatchPlan best = searchPatches(f.net, f.a, f.g, f.t, budget, static_cast<PatchObjective>(objective)).value();
    if (anyFits && budget > 0)
        QVERIFY(best.peakBytes <= budget);
    if (!anyFits || (objective == 0 && budget == 0))
        QCOMPARE(best.peakBytes, lowestPeak);
    if (anyFits && objective == 1)
        QCOMPARE(best.extraMacs, fewestExtra);
}

void TestPatches::chainAndGridErrors()
{
    Fixture r = zooFixture("resnet18");
    auto p = planPatches(r.net, r.a, r.g, r.t, 4, 2);
    QVERIFY(!p);
    QCOMPARE(QString::fromStdString(p.error()),
             QString("layer \"layer1.0.conv1\": its input is read by another layer too, so it cannot be computed "
                     "patch by patch"));
    Fixture s = stack();
    auto q = planPatches(s.net, s.a, s.g, s.t, 3, 5);
    QVERIFY(!q);
    QCOMPARE(QString::fromStdString(q.error()), QString("a 5×5 grid does not fit the 4×4 output of layer \"conv3\""));
    QVERIFY(!planPatches(s.net, s.a, s.g, s.t, 4, 2));
}


// The deployment's peak layer (CLI `peak_layer`, the panel's verdict) is the patch stage's peak op
// when the stage peaks higher, else the op at the rest's peak step. The stack plus conv4, 1×1 to
// 128 channels on conv3's 8×4×4: with k = 3, n = 2 the stage peaks at 1,384 B at conv2 (above);
// the rest at conv4 reads conv3's 128 B and writes 128·4·4 = 2,048 B: 2,176 B, the larger.
void TestPatches::peakLayerFollowsTheLargerPart()
{
    ModelBuilder b("stack4");
    NodeId x = b.input({3, 16, 16});
    x = b.conv(x, 8, 3, 2, 1, 1, false, "conv1");
    x = b.conv(x, 8, 3, 1, 1, 1, false, "conv2");
    x = b.conv(x, 8, 3, 2, 1, 1, false, "conv3");
    b.conv(x, 128, 1, 1, 0, 1, false, "conv4");
    Network net = b.finish();
    net.bits = 8;
    const AnalysisResult a = analyze(net);
    DeploySettings s;
    s.deploy = true;
    s.patchLayers = 3;
    s.patchGrid = 2;
    DeployFigures f = computeDeployFigures(net, a, s);
    QVERIFY2(f.patch.has_value(), f.patchError.c_str());
    QCOMPARE(f.patch->patchPeakBytes, int64_t(1384));
    QCOMPARE(f.patch->restPeakBytes, int64_t(128 + 2048));
    QCOMPARE(f.peakBytes(), int64_t(2176));
    QCOMPARE(net.nodes()[static_cast<size_t>(f.peakNode())].name, std::string("conv4"));
    // Two layers, 2×2: the stage (768 + 512 + 200 = 1,480 B at conv2) against the rest: conv3 640 B,
    // conv4 2,176 B: still conv4. One layer, 2×2 over conv1: 768 + 512 = 1,280 B; conv4 again.
    // Without patches the timeline's own peak: conv1 reads the 768 B input and writes 512 B = 1,280,
    // below conv4's 2,176 B.
    s.patchGrid = 0;
    f = computeDeployFigures(net, a, s);
    QVERIFY(!f.patch);
    QCOMPARE(f.peakBytes(), int64_t(2176));
    QCOMPARE(net.nodes()[static_cast<size_t>(f.peakNode())].name, std::string("conv4"));
}

QTEST_GUILESS_MAIN(TestPatches)
#include "tst_patches.moc"
