// Tests the whole-graph analysis: receptive fields of known stacks, live memory of a residual block
// computed by hand, aliasing, bit width and batch scaling, and errors that leave the rest analysed.
#include "core/Analysis.h"
#include "core/Catalogue.h"
#include "core/ModelBuilder.h"

#include <QTest>

using namespace nc::core;

class TestAnalysis : public QObject {
    Q_OBJECT
private slots:
    void stackedConvReceptiveField_data();
    void stackedConvReceptiveField();
    void stridedAndDilatedReceptiveField();
    void receptiveFieldStartOffset();
    void joinTakesTheLargerField();
    void globalPoolCoversTheInput();
    void repeatedGlobalOpsStayBounded();
    void residualBlockLiveMemory();
    void plainChainFreesEarlier();
    void inPlaceNeedsSoleConsumer();
    void bitWidthScalesBytes();
    void perLayerBitOverride();
    void batchScalesActivationsNotParams();
    void mismatchedAddBlocksOnlyDownstream();
    void unconnectedInputIsAnError();
    void cycleIsAnError();
    void splitPortsCarryTheirOwnShapes();
    void overflowIsAnError();
    void attributeOutOfRangeIsAnError();
    void bytesForRoundsUp();
};

namespace {
const LayerResult& at(const AnalysisResult& a, const Network& n, NodeId id) { return *a.layer(id, n); }
} // namespace

void TestAnalysis::stackedConvReceptiveField_data()
{
    QTest::addColumn<int>("layers");
    QTest::addColumn<int>("kernel");
    for (int k : {3, 5, 7})
        for (int L = 1; L <= 6; ++L)
            QTest::addRow("L=%d k=%d", L, k) << L << k;
}

void TestAnalysis::stackedConvReceptiveField()
{
    // The lecture: L stacked k×k stride-1 convolutions see L·(k−1)+1 pixels.
    QFETCH(int, layers);
    QFETCH(int, kernel);
    ModelBuilder b("stack");
    NodeId x = b.input({1, 64, 64});
    for (int i = 0; i < layers; ++i)
        x = b.conv(x, 1, kernel, 1, (kernel - 1) / 2);
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    const LayerResult& last = at(a, n, x);
    QCOMPARE(last.rf.size[0], int64_t(layers * (kernel - 1) + 1));
    QCOMPARE(last.rf.size[1], int64_t(layers * (kernel - 1) + 1));
    QCOMPARE(last.rf.jump[0], int64_t(1));
}

void TestAnalysis::stridedAndDilatedReceptiveField()
{
    ModelBuilder b("mixed");
    NodeId x = b.input({1, 64, 64});
    NodeId c1 = b.conv(x, 1, 3, 2, 1);    // r 3, j 2
    NodeId c2 = b.conv(c1, 1, 3, 1, 1);   // r 3 + 2·2 = 7
    NodeId p = b.maxPool(c2, 2, 2);       // r 7 + 1·2 = 9, j 4
    LayerParams d = b.defaults(LayerType::Conv2d);
    d.dh = d.dw = 2;
    d.pt = d.pb = d.pl = d.pr = 2;
    NodeId c3 = b.layer(LayerType::Conv2d, d, {p}); // k_eff 5: r 9 + 4·4 = 25
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, c1).rf.size[0], int64_t(3));
    QCOMPARE(at(a, n, c1).rf.jump[0], int64_t(2));
    QCOMPARE(at(a, n, c2).rf.size[0], int64_t(7));
    QCOMPARE(at(a, n, p).rf.size[0], int64_t(9));
    QCOMPARE(at(a, n, p).rf.jump[0], int64_t(4));
    QCOMPARE(at(a, n, c3).rf.size[0], int64_t(25));
    QCOMPARE(at(a, n, c3).rf.jump[0], int64_t(4));
}

void TestAnalysis::receptiveFieldStartOffset()
{
    // start' = start + ((k−1)/2 − pad)·jump: a 3×3 pad-1 conv keeps the centre at pixel 0; an unpadded
    // one moves it to pixel 1; then a stride-2 unpadded 2×2 pool moves it by 0.5·1.
    ModelBuilder b("start");
    NodeId x = b.input({1, 16, 16});
    NodeId c1 = b.conv(x, 1, 3, 1, 1);
    NodeId c2 = b.conv(c1, 1, 3, 1, 0);
    NodeId p = b.maxPool(c2, 2, 2);
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, c1).rf.start[0], 0.0);
    QCOMPARE(at(a, n, c2).rf.start[0], 1.0);
    QCOMPARE(at(a, n, p).rf.start[0], 1.5);
}

void TestAnalysis::joinTakesTheLargerField()
{
    ModelBuilder b("join");
    NodeId x = b.input({4, 32, 32});
    NodeId deep = b.conv(b.conv(x, 4, 3, 1, 1), 4, 3, 1, 1); // 5
    NodeId shallow = b.conv(x, 4, 1, 1, 0);                   // 1
    NodeId sum = b.add({shallow, deep});
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, sum).rf.size[0], int64_t(5));
}

void TestAnalysis::repeatedGlobalOpsStayBounded()
{
    // Two residual global operations in a row: the join must not mix one path's jump with the
    // other's extent (that made the field grow ×14 per transformer block).
    ModelBuilder b("global twice");
    NodeId x = b.input({4, 16, 16});
    NodeId c = b.conv(x, 4, 4, 4, 0); // 4×4 map, r 4, j 4
    NodeId g1 = b.add({c, b.layer(LayerType::InstanceNorm, b.defaults(LayerType::InstanceNorm), {c})});
    NodeId g2 = b.add({g1, b.layer(LayerType::InstanceNorm, b.defaults(LayerType::InstanceNorm), {g1})});
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, g1).rf.size[0], int64_t(16)); // 4 + 3·4
    QCOMPARE(at(a, n, g2).rf.size[0], int64_t(16));
}

void TestAnalysis::globalPoolCoversTheInput()
{
    ModelBuilder b("gap");
    NodeId x = b.input({4, 32, 32});
    NodeId c = b.conv(x, 4, 3, 2, 1); // 16×16 map, r 3, j 2
    NodeId g = b.globalAvgPool(c);    // r 3 + 15·2 = 33 (≥ the 32-pixel input, padding included)
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, g).rf.size[0], int64_t(33));
    QCOMPARE(a.totals.rf.size[1], int64_t(33));
}

void TestAnalysis::residualBlockLiveMemory()
{
    // input → conv a → relu (in place) → conv b → add(b, input) → relu (in place); every tensor is
    // 64×56×56 fp32 = 802,816 B. At conv b the input (held by the skip), a and b are live: 3 tensors.
    ModelBuilder b("residual");
    NodeId x = b.input({64, 56, 56});
    NodeId ca = b.conv(x, 64, 3, 1, 1, 1, false, "a");
    NodeId ra = b.relu(ca, "relu_a");
    NodeId cb = b.conv(ra, 64, 3, 1, 1, 1, false, "b");
    NodeId sum = b.add({cb, x}, "add");
    NodeId out = b.relu(sum, "relu_out");
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    const int64_t T = 802816;
    QCOMPARE(at(a, n, x).liveBytes, T);
    QCOMPARE(at(a, n, ca).liveBytes, 2 * T);
    QCOMPARE(at(a, n, ra).liveBytes, 2 * T);
    QCOMPARE(at(a, n, cb).liveBytes, 3 * T);
    QCOMPARE(at(a, n, sum).liveBytes, 3 * T);
    QCOMPARE(at(a, n, out).liveBytes, T);
    QCOMPARE(a.totals.peakLiveBytes, 3 * T);
    QCOMPARE(a.totals.peakLiveLayer, cb);
    QVERIFY(!at(a, n, ra).stored);
    QVERIFY(!at(a, n, out).stored);
    // Lecture convention: input + output per layer; the add reads two tensors.
    QCOMPARE(a.totals.peakActivations, int64_t(3 * 200704));
    QCOMPARE(a.totals.peakActivationsLayer, sum);
    QCOMPARE(a.totals.activations, int64_t(4 * 200704)); // input, a, b, add
    QCOMPARE(static_cast<int>(a.buffers.size()), 4);
}

void TestAnalysis::plainChainFreesEarlier()
{
    ModelBuilder b("chain");
    NodeId x = b.input({64, 56, 56});
    NodeId ca = b.relu(b.conv(x, 64, 3, 1, 1, 1, false));
    NodeId cb = b.conv(ca, 64, 3, 1, 1, 1, false);
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, cb).liveBytes, int64_t(2 * 802816));
    QCOMPARE(a.totals.peakLiveBytes, int64_t(2 * 802816));
}

void TestAnalysis::inPlaceNeedsSoleConsumer()
{
    // A ReLU whose input is also read by another layer must not overwrite it.
    ModelBuilder b("fork");
    NodeId x = b.input({8, 4, 4});
    NodeId c = b.conv(x, 8, 1, 1, 0);
    NodeId r = b.relu(c);
    NodeId other = b.conv(c, 8, 1, 1, 0);
    b.add({r, other});
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    QVERIFY(at(a, n, r).stored);
    QCOMPARE(at(a, n, r).activations, int64_t(128));
}

void TestAnalysis::bitWidthScalesBytes()
{
    ModelBuilder b("bits");
    NodeId x = b.input({3, 32, 32});
    NodeId c = b.conv(x, 16, 3, 1, 1);
    Network n = b.finish();
    AnalysisResult a32 = analyze(n);
    n.bits = 8;
    AnalysisResult a8 = analyze(n);
    n.bits = 4;
    AnalysisResult a4 = analyze(n);
    QCOMPARE(at(a32, n, c).modelBytes, int64_t(448 * 4));
    QCOMPARE(at(a8, n, c).modelBytes, int64_t(448));
    QCOMPARE(at(a4, n, c).modelBytes, int64_t(224));
    QCOMPARE(at(a32, n, c).activationBytes, int64_t(16 * 1024 * 4));
    QCOMPARE(at(a8, n, c).activationBytes, int64_t(16 * 1024));
    QCOMPARE(a32.totals.peakLiveBytes, 4 * a8.totals.peakLiveBytes);
    QCOMPARE(a8.totals.modelBytesAt[0], int64_t(448 * 4)); // the 32-bit column does not follow the setting
}

void TestAnalysis::perLayerBitOverride()
{
    ModelBuilder b("mixed precision");
    NodeId x = b.input({3, 32, 32});
    NodeId c1 = b.conv(x, 16, 3, 1, 1);
    LayerParams p = b.network().node(c1)->params;
    NodeId c2 = b.conv(c1, 16, 3, 1, 1);
    Network n = b.finish();
    p.bits = 8;
    n.node(c1)->params = p;
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, c1).bits, 8);
    QCOMPARE(at(a, n, c2).bits, 32);
    QCOMPARE(a.totals.modelBytes, int64_t(448 + 2320 * 4));
}

void TestAnalysis::batchScalesActivationsNotParams()
{
    ModelBuilder b("batch");
    NodeId x = b.input({3, 32, 32});
    NodeId c = b.conv(x, 16, 3, 1, 1);
    Network n = b.finish();
    AnalysisResult a1 = analyze(n);
    n.batch = 8;
    AnalysisResult a8 = analyze(n);
    QCOMPARE(at(a8, n, c).params, at(a1, n, c).params);
    QCOMPARE(at(a8, n, c).macs, 8 * at(a1, n, c).macs);
    QCOMPARE(at(a8, n, c).activations, 8 * at(a1, n, c).activations);
    QCOMPARE(a8.totals.peakLiveBytes, 8 * a1.totals.peakLiveBytes);
    QCOMPARE(a8.totals.trainingBytes, 8 * a1.totals.trainingBytes);
}

void TestAnalysis::mismatchedAddBlocksOnlyDownstream()
{
    ModelBuilder b("mismatch");
    NodeId x = b.input({64, 56, 56});
    NodeId down = b.conv(x, 64, 3, 2, 1, 1, true, "down");
    NodeId sum = b.add({down, x}, "sum");
    NodeId after = b.relu(sum, "after");
    NodeId side = b.conv(x, 8, 1, 1, 0, 1, true, "side");
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, sum).status, LayerStatus::Error);
    QVERIFY(QString::fromStdString(at(a, n, sum).message).startsWith("layer \"sum\": input 1 has shape 64×56×56"));
    QCOMPARE(at(a, n, after).status, LayerStatus::Blocked);
    QCOMPARE(at(a, n, side).status, LayerStatus::Ok);
    QCOMPARE(at(a, n, side).params, int64_t(520));
    QCOMPARE(a.totals.errors, 1);
    QCOMPARE(a.totals.blocked, 1);
    QCOMPARE(a.totals.params, int64_t(36928 + 520));
}

void TestAnalysis::unconnectedInputIsAnError()
{
    ModelBuilder b("loose");
    NodeId x = b.input({8, 8, 8});
    NodeId sum = b.layer(LayerType::Add, b.defaults(LayerType::Add), {x}, "sum"); // inputs = 1 → set to 2 below
    Network n = b.finish();
    n.node(sum)->params.inputs = 2;
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, sum).status, LayerStatus::Error);
    QVERIFY(QString::fromStdString(at(a, n, sum).message).contains("input port 1 is not connected"));
}

// 6×8×8 split into 2 + 4 channels; a 1×1 conv to 3 channels on each piece: on port 0 it has
// 3·2 + 3 = 9 parameters, on port 1 3·4 + 3 = 15. An edge from a port Split does not have is an error.
void TestAnalysis::splitPortsCarryTheirOwnShapes()
{
    ModelBuilder b("split");
    NodeId x = b.input({6, 8, 8});
    LayerParams sp = b.defaults(LayerType::Split);
    sp.dims = Shape{2, 4};
    NodeId s = b.layer(LayerType::Split, sp, {x}, "split");
    NodeId c0 = b.conv(s, 3, 1, 1, 0, 1, true, "c0");
    LayerParams cp = b.defaults(LayerType::Conv2d);
    cp.features = 3;
    cp.kh = cp.kw = 1;
    cp.pt = cp.pb = cp.pl = cp.pr = 0;
    NodeId c1 = b.layer(LayerType::Conv2d, cp, {}, "c1");
    Network n = b.finish();
    QVERIFY(n.connect(s, c1, 0, {}, 1).ok());
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, s).output, (Shape{2, 8, 8}));
    QCOMPARE(static_cast<int>(at(a, n, s).extraOutputs.size()), 1);
    QCOMPARE(at(a, n, c0).params, int64_t(9));
    QCOMPARE(at(a, n, c1).params, int64_t(15));
    QVERIFY(!at(a, n, s).stored); // a view of the input

    QVERIFY(!n.connectionPossible(s, c1, 0, 2).ok());
    n.removeEdge(n.edgeInto(c1, 0)->id);
    QVERIFY(n.addEdgeUnchecked(Edge{{}, s, c1, 0, 2}).ok());
    AnalysisResult bad = analyze(n);
    QCOMPARE(at(bad, n, c1).status, LayerStatus::Error);
    QVERIFY(QString::fromStdString(at(bad, n, c1).message).contains("reads output 2 of \"split\", which has 2 output(s)"));
}

void TestAnalysis::cycleIsAnError()
{
    ModelBuilder b("cycle");
    NodeId x = b.input({8, 8, 8});
    NodeId s = b.add({x, x}, "s");
    NodeId r = b.relu(s, "r");
    Network n = b.finish();
    // Rewire port 1 of s from the input to r: s → r → s.
    n.removeEdge(n.edgeInto(s, 1)->id);
    QVERIFY(n.addEdgeUnchecked(Edge{{}, r, s, 1}).ok());
    QVERIFY(!n.connectionPossible(r, x, 0).ok());
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, s).status, LayerStatus::Error);
    QVERIFY(QString::fromStdString(at(a, n, s).message).contains("cycle"));
    QCOMPARE(at(a, n, r).status, LayerStatus::Error);
    QCOMPARE(at(a, n, x).status, LayerStatus::Ok);
}

void TestAnalysis::overflowIsAnError()
{
    ModelBuilder b("huge");
    NodeId x = b.input({int64_t(1) << 20, int64_t(1) << 20});
    NodeId l = b.linear(x, int64_t(1) << 39, true, "wide"); // MACs 2^20·2^20·2^39
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, x).status, LayerStatus::Ok);
    QCOMPARE(at(a, n, l).status, LayerStatus::Error);
    QVERIFY(QString::fromStdString(at(a, n, l).message).contains("overflows 64 bits"));
    n.batch = int64_t(1) << 40; // input elements 2^40 × batch 2^40 overflows
    AnalysisResult ab = analyze(n);
    QCOMPARE(at(ab, n, x).status, LayerStatus::Error);
}

void TestAnalysis::attributeOutOfRangeIsAnError()
{
    ModelBuilder b("range");
    NodeId x = b.input({8, 8, 8});
    NodeId c = b.conv(x, 8, 3, 1, 1, 1, true, "c");
    Network n = b.finish();
    n.node(c)->params.sh = 0;
    AnalysisResult a = analyze(n);
    QCOMPARE(at(a, n, c).status, LayerStatus::Error);
    QVERIFY(QString::fromStdString(at(a, n, c).message).contains("stride_h = 0 is out of range"));
    n.node(c)->params.sh = 1;
    n.node(c)->params.bits = 7;
    QVERIFY(QString::fromStdString(at(analyze(n), n, c).message).contains("bit width 7 is not supported"));
}

void TestAnalysis::bytesForRoundsUp()
{
    QCOMPARE(bytesFor(3, 4), int64_t(2));
    QCOMPARE(bytesFor(1000, 32), int64_t(4000));
    // 2^60 elements × 32 bits would overflow if multiplied first; the result, 2^62 bytes, fits.
    QCOMPARE(bytesFor(int64_t(1) << 60, 32), int64_t(1) << 62);
}

QTEST_GUILESS_MAIN(TestAnalysis)
#include "tst_analysis.moc"
