// Tests the receptive-field cells of one output position (core/ReceptiveFieldMap.h) on strided,
// dilated and joined stacks, every set computed by hand below.
#include "core/ModelBuilder.h"
#include "core/ReceptiveFieldMap.h"

#include <QTest>

using namespace nc::core;

class TestReceptiveFieldMap : public QObject {
    Q_OBJECT
private slots:
    void stridedDilatedStackByHand();
    void lastPositionReachesRightPadding();
    void stackedLayersGrowAsLkMinus1Plus1();
    void residualJoinIsTheUnion();
    void globalPoolSeesTheWholeImage();
    void transposedConvolutionIsRefusedByName();
    void positionOutsideTheGridIsRefused();
};

namespace {

using Cells = std::vector<int64_t>;

NodeId conv(ModelBuilder& b, NodeId x, int64_t k, int64_t s, int64_t d, int64_t p, const std::string& name)
{
    LayerParams q = b.defaults(LayerType::Conv2d);
    q.features = 1;
    q.kh = q.kw = k;
    q.sh = q.sw = s;
    q.dh = q.dw = d;
    q.pt = q.pb = q.pl = q.pr = p;
    return b.layer(LayerType::Conv2d, q, {x}, name);
}

// Input 1×16×16 → c1: 3×3, stride 2, padding 1 (16 → ⌊(16 + 2 − 3)/2⌋ + 1 = 8)
//               → c2: 3×3, dilation 2, padding 2 (k_eff 5: 8 + 4 − 5 + 1 = 8).
Network stack()
{
    ModelBuilder b("stack");
    NodeId x = b.input({1, 16, 16});
    x = conv(b, x, 3, 2, 1, 1, "c1");
    conv(b, x, 3, 1, 2, 2, "c2");
    return b.finish();
}

RfCells cellsOf(const Network& n, const std::string& layer, int64_t h, int64_t w)
{
    auto c = receptiveFieldCells(n, analyze(n), n.findByName(layer), h, w);
    if (!c)
        qFatal("%s", c.error().c_str());
    return *c;
}

} // namespace

// c2 output w = 1 reads c1 outputs 1·1 − 2 + {0, 2, 4} = {−1, 1, 3} (dilation 2: gaps of one);
// c1 output o reads inputs 2·o − 1 + {0, 1, 2}: −1 → {−3, −2, −1}, 1 → {1, 2, 3}, 3 → {5, 6, 7}.
// So W cells {−3, −2, −1, 1, 2, 3, 5, 6, 7}: holes at 0 and 4 (dilation × stride = 4 apart), three
// padding cells left of the image, span 11 = the figure 3 + (5 − 1)·2.
// H at h = 0: c2 reads 0 − 2 + {0, 2, 4} = {−2, 0, 2}; c1: −2 → {−5, −4, −3}, 0 → {−1, 0, 1},
// 2 → {3, 4, 5}: {−5, −4, −3, −1, 0, 1, 3, 4, 5}.
// Centres: start 0 (c1: 0 + (1 − 1)·1; c2: 0 + (2 − 2)·2), jump 2, so w = 1 is centred on 2, h = 0 on 0.
void TestReceptiveFieldMap::stridedDilatedStackByHand()
{
    const Network n = stack();
    const RfCells c = cellsOf(n, "c2", 0, 1);
    QCOMPARE(c.cells[1], (Cells{-3, -2, -1, 1, 2, 3, 5, 6, 7}));
    QCOMPARE(c.cells[0], (Cells{-5, -4, -3, -1, 0, 1, 3, 4, 5}));
    QCOMPARE(c.span(1), int64_t(11));
    QCOMPARE(c.rf.size[1], int64_t(11));
    QCOMPARE(c.rf.jump[1], int64_t(2));
    QCOMPARE(c.centre[1], 2.0);
    QCOMPARE(c.centre[0], 0.0);
    QCOMPARE(c.inExtent[1], int64_t(16));
    QCOMPARE(c.outExtent[1], int64_t(8));
    QVERIFY(c.contains(0, 2));
    QVERIFY(!c.contains(0, 0)); // a dilation hole
    QCOMPARE(c.windows[1], 2);
}

// w = 7 (the last): c2 reads 7 − 2 + {0, 2, 4} = {5, 7, 9} — 9 is c1's padding for c2, followed on
// the unbounded grid as the figures are; c1: 5 → {9, 10, 11}, 7 → {13, 14, 15}, 9 → {17, 18, 19}.
// Indices 16–19 lie right of the 16-pixel image: padding.
void TestReceptiveFieldMap::lastPositionReachesRightPadding()
{
    const RfCells c = cellsOf(stack(), "c2", 0, 7);
    QCOMPARE(c.cells[1], (Cells{9, 10, 11, 13, 14, 15, 17, 18, 19}));
    QCOMPARE(c.centre[1], 14.0);
}

// L stacked 3×3 stride-1 convolutions with padding 1 on 32×32: position 16 sees 16 − L … 16 + L,
// L·(3 − 1) + 1 = 2L + 1 cells with no gaps.
void TestReceptiveFieldMap::stackedLayersGrowAsLkMinus1Plus1()
{
    ModelBuilder b("deep");
    NodeId x = b.input({1, 32, 32});
    for (int L = 1; L <= 5; ++L) {
        x = conv(b, x, 3, 1, 1, 1, "c" + std::to_string(L));
        const Network n = b.network();
        const RfCells c = cellsOf(n, "c" + std::to_string(L), 16, 16);
        QCOMPARE(c.span(0), int64_t(2 * L + 1));
        QCOMPARE(static_cast<int64_t>(c.cells[0].size()), int64_t(2 * L + 1));
        QCOMPARE(c.first(1), int64_t(16 - L));
        QCOMPARE(c.windows[0], L);
    }
}

// x → c (3×3, padding 1) → add(x, c): the identity path gives {i}, the convolution {i − 1, i, i + 1}.
// Position 0: {−1, 0, 1}, where −1 is padding.
void TestReceptiveFieldMap::residualJoinIsTheUnion()
{
    ModelBuilder b("res");
    NodeId x = b.input({1, 8, 8});
    NodeId c = conv(b, x, 3, 1, 1, 1, "c");
    b.add({x, c}, "sum");
    const Network n = b.finish();
    const RfCells r = cellsOf(n, "sum", 0, 5);
    QCOMPARE(r.cells[0], (Cells{-1, 0, 1}));
    QCOMPARE(r.cells[1], (Cells{4, 5, 6}));
}

// A global average pool after a 3×3 convolution with padding 1 on 6×6: the conv's 6 positions
// 0…5 read −1…6, the whole image and one padding cell each side.
void TestReceptiveFieldMap::globalPoolSeesTheWholeImage()
{
    ModelBuilder b("gap");
    NodeId x = b.input({1, 6, 6});
    x = conv(b, x, 3, 1, 1, 1, "c");
    b.globalAvgPool(x, "gap");
    const RfCells r = cellsOf(b.finish(), "gap", 0, 0);
    QCOMPARE(r.cells[0], (Cells{-1, 0, 1, 2, 3, 4, 5, 6}));
    QCOMPARE(r.outExtent[0], int64_t(1));
}

void TestReceptiveFieldMap::transposedConvolutionIsRefusedByName()
{
    ModelBuilder b("up");
    NodeId x = b.input({1, 8, 8});
    // A stride-2 convolution first, so the transposed one has a field to refine (jump 2 → 1).
    x = conv(b, x, 3, 2, 1, 1, "c");
    LayerParams q = b.defaults(LayerType::ConvTranspose2d);
    q.features = 1;
    q.kh = q.kw = 2;
    q.sh = q.sw = 2;
    q.pt = q.pb = q.pl = q.pr = 0;
    x = b.layer(LayerType::ConvTranspose2d, q, {x}, "up");
    conv(b, x, 3, 1, 1, 1, "after");
    const Network n = b.finish();
    const AnalysisResult a = analyze(n);
    auto r = receptiveFieldCells(n, a, n.findByName("after"), 0, 0);
    QVERIFY(!r.ok());
    QVERIFY2(QString::fromStdString(r.error()).contains("\"up\""), r.error().c_str());
}

void TestReceptiveFieldMap::positionOutsideTheGridIsRefused()
{
    const Network n = stack();
    auto r = receptiveFieldCells(n, analyze(n), n.findByName("c2"), 0, 8);
    QVERIFY(!r.ok());
    QVERIFY2(QString::fromStdString(r.error()).contains("outside its 8 positions along W"), r.error().c_str());
}

QTEST_GUILESS_MAIN(TestReceptiveFieldMap)
#include "tst_receptivefieldmap.moc"
