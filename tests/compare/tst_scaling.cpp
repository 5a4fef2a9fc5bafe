// Tests the scaling knobs on ResNet-18 against hand-computed figures, MobileNet's rounding rule, and
// the refusals of designs a knob cannot scale.
//
// ResNet-18 by hand, with stem/stage-1 width c and stage widths w2, w3, w4 (BatchNorm 2·C each, convs
// without bias):
//   stem       147·c + 2c                                    (3·7·7·c)
//   stage 1    blocks × (18·c² + 4c)                         (two 3×3 convs and two BNs)
//   stage k    first block 9·w₋·w + 2w + 9·w² + 2w + w₋·w + 2w  (stride-2 conv, conv, 1×1 downsample)
//              each further block 18·w² + 4w
//   fc         w4·1000 + 1000
// At c = 64, 128, 256, 512: 9,536 + 147,968 + 525,568 + 2,099,712 + 8,393,728 + 513,000 = 11,689,512.
#include "core/Analysis.h"
#include "core/Zoo.h"
#include "core/compare/Scaling.h"

#include <QTest>

#include <set>

using namespace nc::core;
using namespace nc::core::compare;

namespace {

// Output channels of a named layer; -1 when the design has no such layer.
int64_t featuresOf(const Network& net, const char* name)
{
    const Node* n = net.node(net.findByName(name));
    return n ? n->params.features : -1;
}

} // namespace

class TestScaling : public QObject {
    Q_OBJECT
private slots:
    void makeDivisibleRule_data();
    void makeDivisibleRule();
    void widthHalf();
    void widthKeepsClassifier();
    void depthUp();
    void depthDown();
    void depthCopiesAreNamedByBlock();
    void depthOnMobileNet();
    void resolution();
    void compound();
    void originalUntouched();
    void refusals_data();
    void refusals();
};

void TestScaling::makeDivisibleRule_data()
{
    QTest::addColumn<double>("v");
    QTest::addColumn<qint64>("divisor");
    QTest::addColumn<qint64>("expected");
    // max(d, ⌊v + d/2⌋ // d · d), + d when below 0.9·v
    QTest::newRow("70.4/8") << 70.4 << qint64(8) << qint64(72);      // ⌊74.4⌋ = 74 → 72 ≥ 63.4
    QTest::newRow("140.8/8") << 140.8 << qint64(8) << qint64(144);   // ⌊144.8⌋ = 144 → 144
    QTest::newRow("281.6/8") << 281.6 << qint64(8) << qint64(280);   // ⌊285.6⌋ = 285 → 280 ≥ 253.4
    QTest::newRow("563.2/8") << 563.2 << qint64(8) << qint64(560);   // ⌊567.2⌋ = 567 → 560 ≥ 506.9
    QTest::newRow("3.2/8 floor d") << 3.2 << qint64(8) << qint64(8); // ⌊7.2⌋ = 7 → 0 → max(8, 0) = 8
    QTest::newRow("11/8 90% rule") << 11.0 << qint64(8) << qint64(16);   // ⌊15⌋ → 8 < 9.9 → 16
    QTest::newRow("36/16 90% rule") << 36.0 << qint64(16) << qint64(48); // ⌊44⌋ → 32 < 32.4 → 48
    QTest::newRow("32/8 exact") << 32.0 << qint64(8) << qint64(32);
    QTest::newRow("divisor 1") << 70.4 << qint64(1) << qint64(70); // ⌊70.9⌋ = 70
}

void TestScaling::makeDivisibleRule()
{
    QFETCH(double, v);
    QFETCH(qint64, divisor);
    QFETCH(qint64, expected);
    QCOMPARE(makeDivisible(v, divisor), expected);
}

void TestScaling::widthHalf()
{
    Network r18 = loadZoo("resnet18").value();
    auto half = scaleWidth(r18, 0.5, 8);
    QVERIFY2(half.ok(), half.ok() ? "" : half.error().c_str());
    AnalysisResult a = analyze(*half);
    QCOMPARE(a.totals.errors, 0);
    // c = 32, 64, 128, 256:
    //   stem 147·32 + 64 = 4,768
    //   stage 1: 2 × (18·1,024 + 128) = 37,120
    //   stage 2: 18,432 + 128 + 36,864 + 128 + 2,048 + 128 = 57,728; + 18·4,096 + 256 = 73,984 → 131,712
    //   stage 3: 73,728 + 256 + 147,456 + 256 + 8,192 + 256 = 230,144; + 294,912 + 512 → 525,568
    //   stage 4: 294,912 + 512 + 589,824 + 512 + 32,768 + 512 = 919,040; + 1,179,648 + 1,024 → 2,099,712
    //   fc 256·1000 + 1000 = 257,000
    //   total 4,768 + 37,120 + 131,712 + 525,568 + 2,099,712 + 257,000 = 3,055,880
    QCOMPARE(a.totals.params, int64_t(3'055'880));
    // MACs = weights × output pixels: stem 4,704·112² = 59,006,976; stage 1 4 × 9,216·56² = 115,605,504;
    // stages 2–4 each (first conv + 3 convs + downsample) = 28,901,376·3 + 14,450,688 + 1,605,632
    // = 102,760,448 (the weights grow 4× as the pixels shrink 4×); fc 256,000.
    // 59,006,976 + 115,605,504 + 3 × 102,760,448 + 256,000 = 483,149,824.
    QCOMPARE(a.totals.macs, int64_t(483'149'824));
    QCOMPARE(featuresOf(*half, "layer4.1.conv2"), int64_t(256));
}

void TestScaling::widthKeepsClassifier()
{
    Network r18 = loadZoo("resnet18").value();
    auto wide = scaleWidth(r18, 1.1, 8);
    QVERIFY(wide.ok());
    QCOMPARE(featuresOf(*wide, "fc"), int64_t(1000));
    QCOMPARE(featuresOf(*wide, "conv1"), int64_t(72)); // 70.4 → 72
    QCOMPARE(featuresOf(*wide, "layer3.0.downsample"), int64_t(280));
}

void TestScaling::depthUp()
{
    Network r18 = loadZoo("resnet18").value();
    auto deeper = scaleDepth(r18, 1.5);
    QVERIFY2(deeper.ok(), deeper.ok() ? "" : deeper.error().c_str());
    AnalysisResult a = analyze(*deeper);
    QCOMPARE(a.totals.errors, 0);
    // ⌈2 · 1.5⌉ = 3 blocks per stage: one more basic block of 18·c² + 4c per stage:
    // 73,984 + 295,424 + 1,180,672 + 4,720,640 = 6,270,720; 11,689,512 + 6,270,720 = 17,960,232.
    QCOMPARE(a.totals.params, int64_t(17'960'232));
    // Each extra block's convs: 2 × 9·c²·(pixels) = 2 × 36,864·3,136 = 231,211,008 per stage (equal in
    // every stage): 1,814,073,344 + 4 × 231,211,008 = 2,738,917,376.
    QCOMPARE(a.totals.macs, int64_t(2'738'917'376));
    // 7 layers per basic block, 4 more blocks: 69 + 28 layers (+ the input).
    QCOMPARE(int(deeper->nodes().size()), 70 + 28);
}

void TestScaling::depthDown()
{
    Network r18 = loadZoo("resnet18").value();
    auto shallow = scaleDepth(r18, 0.5);
    QVERIFY(shallow.ok());
    AnalysisResult a = analyze(*shallow);
    QCOMPARE(a.totals.errors, 0);
    // ⌈2 · 0.5⌉ = 1 block per stage: 11,689,512 − 6,270,720 = 5,418,792.
    QCOMPARE(a.totals.params, int64_t(5'418'792));
    QVERIFY(!shallow->findByName("layer1.1.conv1").valid());
    QVERIFY(shallow->findByName("layer2.0.downsample").valid());
    // The second stage now reads the first block's output: layer2.0.conv1 still gets 64×56×56.
    const LayerResult* l = a.layer(shallow->findByName("layer2.0.conv1"), *shallow);
    QVERIFY(l);
    QCOMPARE(a.inputsOf(*l)[0], (Shape{64, 56, 56}));
}

void TestScaling::depthCopiesAreNamedByBlock()
{
    Network r18 = loadZoo("resnet18").value();
    auto deeper = scaleDepth(r18, 2.0);
    QVERIFY(deeper.ok());
    // ⌈2·2⌉ = 4 blocks: layer1.2 and layer1.3 are copies of layer1.1, chained in order.
    QVERIFY(deeper->findByName("layer1.3.conv2").valid());
    QVERIFY(!deeper->findByName("layer1.4.conv1").valid());
    AnalysisResult a = analyze(*deeper);
    const LayerResult* c2 = a.layer(deeper->findByName("layer1.2.conv1"), *deeper);
    const LayerResult* c3 = a.layer(deeper->findByName("layer1.3.conv1"), *deeper);
    const LayerResult* next = a.layer(deeper->findByName("layer2.0.conv1"), *deeper);
    QVERIFY(c2 && c3 && next);
    QVERIFY(c2->step < c3->step && c3->step < next->step);
    // Names stay unique.
    std::set<std::string> names;
    for (const Node& n : deeper->nodes())
        QVERIFY2(names.insert(n.name).second, n.name.c_str());
}

void TestScaling::depthOnMobileNet()
{
    // MobileNetV2 numbers its blocks features.1 … features.18 under one prefix: stages are runs of
    // shape-keeping blocks, and copies take fresh numbers (features.19, …), never an existing one.
    Network m = loadZoo("mobilenet_v2").value();
    auto deeper = scaleDepth(m, 2.0);
    QVERIFY2(deeper.ok(), deeper.ok() ? "" : deeper.error().c_str());
    AnalysisResult a = analyze(*deeper);
    QCOMPARE(a.totals.errors, 0);
    QVERIFY(a.totals.params > analyze(m).totals.params);
    QCOMPARE(a.layers.back().output, analyze(m).layers.back().output);
    std::set<std::string> names;
    for (const Node& n : deeper->nodes())
        QVERIFY2(names.insert(n.name).second, n.name.c_str());
}

void TestScaling::resolution()
{
    Network r18 = loadZoo("resnet18").value();
    auto big = scaleResolution(r18, 1.15);
    QVERIFY(big.ok());
    // 224 · 1.15 = 257.6 → 258. Maps: conv1 ⌊(258 + 6 − 7)/2⌋ + 1 = 129, maxpool ⌊(129 + 2 − 3)/2⌋ + 1 = 65,
    // then 33, 17, 9. MACs = Σ weights × pixels:
    //   stem 9,408 · 129² = 156,558,528
    //   stage 1 147,456 · 65² = 623,001,600
    //   stage 2 (73,728 + 3·147,456 + 8,192) · 33² = 524,288 · 1,089 = 570,949,632
    //   stage 3 2,097,152 · 17² = 606,076,928
    //   stage 4 8,388,608 · 9² = 679,477,248
    //   fc 512,000
    //   total 2,636,575,936 (at 224 the same sum gives the published 1,814,073,344)
    AnalysisResult a = analyze(*big);
    QCOMPARE(a.totals.macs, int64_t(2'636'575'936));
    QCOMPARE(a.totals.params, int64_t(11'689'512)); // resolution adds no parameters
    QVERIFY(big->findByName("input").valid());
    QCOMPARE(big->node(big->findByName("input"))->params.dims, (Shape{3, 258, 258}));
}

void TestScaling::compound()
{
    Network r18 = loadZoo("resnet18").value();
    auto b1 = compoundScale(r18, 1.0);
    QVERIFY2(b1.ok(), b1.ok() ? "" : b1.error().c_str());
    // φ = 1: width 1.1 → 72, 144, 280, 560 (makeDivisible rows above); depth 1.2 → ⌈2.4⌉ = 3 blocks per
    // stage; resolution 1.15 → 258 px.
    //   stem 147·72 + 144 = 10,728
    //   stage 1: 3 × (18·5,184 + 288) = 280,800
    //   stage 2: 93,312 + 288 + 186,624 + 288 + 10,368 + 288 = 291,168; + 2 × (373,248 + 576) → 1,038,816
    //   stage 3: 362,880 + 560 + 705,600 + 560 + 40,320 + 560 = 1,110,480; + 2 × 1,412,320 → 3,935,120
    //   stage 4: 1,411,200 + 1,120 + 2,822,400 + 1,120 + 156,800 + 1,120 = 4,393,760; + 2 × 5,647,040
    //            → 15,687,840
    //   fc 560·1000 + 1000 = 561,000
    //   total 21,514,304
    AnalysisResult a = analyze(*b1);
    QCOMPARE(a.totals.errors, 0);
    QCOMPARE(a.totals.params, int64_t(21'514'304));
    QVERIFY(b1->findByName("input").valid());
    QCOMPARE(b1->node(b1->findByName("input"))->params.dims, (Shape{3, 258, 258}));
    QVERIFY(b1->findByName("layer4.2.conv2").valid());
    // φ = 0 is the design itself.
    auto b0 = compoundScale(r18, 0.0);
    QVERIFY(b0.ok());
    QCOMPARE(analyze(*b0).totals.params, int64_t(11'689'512));
}

void TestScaling::originalUntouched()
{
    Network r18 = loadZoo("resnet18").value();
    const Network copy = r18;
    QVERIFY(scaleWidth(r18, 0.5).ok());
    QVERIFY(scaleDepth(r18, 2).ok());
    QVERIFY(compoundScale(r18, 2).ok());
    QVERIFY(r18 == copy);
}

void TestScaling::refusals_data()
{
    QTest::addColumn<QString>("zoo");
    QTest::addColumn<QString>("knob");
    QTest::addColumn<double>("factor");
    QTest::addColumn<QString>("message");
    QTest::newRow("width on ViT") << "vit_tiny"
                                  << "width" << 2.0 << "layer \"patch_embed\"";
    QTest::newRow("width zero") << "resnet18"
                                << "width" << 0.0 << "width multiplier 0 is outside";
    QTest::newRow("depth negative") << "resnet18"
                                    << "depth" << -1.0 << "depth multiplier -1 is outside";
    QTest::newRow("depth without blocks") << "wide_shallow"
                                          << "depth" << 2.0 << "has no blocks to repeat";
    QTest::newRow("resolution of tokens") << "gpt2"
                                          << "resolution" << 2.0 << "has no image input";
    QTest::newRow("resolution too small") << "alexnet"
                                          << "resolution" << 0.1 << "layer \"";
}

void TestScaling::refusals()
{
    QFETCH(QString, zoo);
    QFETCH(QString, knob);
    QFETCH(double, factor);
    QFETCH(QString, message);
    Network net = loadZoo(zoo.toStdString()).value();
    Result<Network> r = knob == "width"   ? scaleWidth(net, factor)
                        : knob == "depth" ? scaleDepth(net, factor)
                                          : scaleResolution(net, factor);
    QVERIFY(!r.ok());
    QVERIFY2(QString::fromStdString(r.error()).contains(message), r.error().c_str());
}

QTEST_GUILESS_MAIN(TestScaling)
#include "tst_scaling.moc"
