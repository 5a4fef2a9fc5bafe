// Tests every layer kind's shape and cost rules on hand-computed cases, and its refusals.
#include "core/Catalogue.h"
#include "core/LayerRules.h"

#include <QTest>

using namespace nc::core;

Q_DECLARE_METATYPE(nc::core::LayerType)
Q_DECLARE_METATYPE(nc::core::LayerParams)
Q_DECLARE_METATYPE(nc::core::Shape)

namespace {

LayerParams defaults(LayerType t) { return Catalogue::instance().spec(t).defaults; }

LayerParams conv(int64_t out, int64_t k, int64_t s, int64_t p, int64_t g = 1, bool bias = true)
{
    LayerParams c = defaults(LayerType::Conv2d);
    c.features = out;
    c.kh = c.kw = k;
    c.sh = c.sw = s;
    c.pt = c.pb = c.pl = c.pr = p;
    c.groups = g;
    c.bias = bias;
    return c;
}

LayerParams pool(int64_t k, int64_t s, int64_t p, bool ceil = false)
{
    LayerParams c = defaults(LayerType::MaxPool2d);
    c.kh = c.kw = k;
    c.sh = c.sw = s;
    c.pt = c.pb = c.pl = c.pr = p;
    c.ceilMode = ceil;
    return c;
}

QString shapeText(const Shape& s) { return QString::fromStdString(s.toString()); }

} // namespace

class TestLayerRules : public QObject {
    Q_OBJECT
private slots:
    void validLayers_data();
    void validLayers();
    void invalidLayers_data();
    void invalidLayers();
    void samePaddingResolvesOddTotalToTheEnd();
    void catalogueDefaultsAreValid();
    void fixedOperandIsStateNotParameters();
};

void TestLayerRules::validLayers_data()
{
    QTest::addColumn<LayerType>("type");
    QTest::addColumn<LayerParams>("params");
    QTest::addColumn<QList<Shape>>("inputs");
    QTest::addColumn<Shape>("output");
    QTest::addColumn<qint64>("params_");
    QTest::addColumn<qint64>("macs");
    QTest::addColumn<qint64>("otherOps");

    // Conv: params = co·(ci/g)·kh·kw (+co), MACs = params_w·ho·wo, bias adds one op per output.
    QTest::newRow("conv 7x7 s2 p3 stem") << LayerType::Conv2d << conv(64, 7, 2, 3, 1, false)
                                         << QList<Shape>{{3, 224, 224}} << Shape{64, 112, 112} << qint64(9408)
                                         << qint64(118013952) << qint64(0);
    QTest::newRow("conv 3x3 s2 p1 bias") << LayerType::Conv2d << conv(128, 3, 2, 1) << QList<Shape>{{64, 56, 56}}
                                         << Shape{128, 28, 28} << qint64(73856) << qint64(57802752)
                                         << qint64(100352);
    QTest::newRow("conv groups 4") << LayerType::Conv2d << conv(128, 3, 1, 1, 4) << QList<Shape>{{64, 28, 28}}
                                   << Shape{128, 28, 28} << qint64(18560) << qint64(14450688) << qint64(100352);
    {
        LayerParams d = conv(16, 3, 1, 2);
        d.dh = d.dw = 2; // effective kernel 5: (32 + 4 − 5)/1 + 1 = 32
        QTest::newRow("conv dilation 2") << LayerType::Conv2d << d << QList<Shape>{{16, 32, 32}} << Shape{16, 32, 32}
                                         << qint64(2320) << qint64(2359296) << qint64(16384);
    }
    {
        LayerParams a = conv(1, 3, 1, 0, 1, false);
        a.pt = 1, a.pb = 0, a.pl = 0, a.pr = 2; // H: (5+1−3)+1 = 4, W: (5+2−3)+1 = 5
        QTest::newRow("conv asymmetric padding") << LayerType::Conv2d << a << QList<Shape>{{1, 5, 5}}
                                                 << Shape{1, 4, 5} << qint64(9) << qint64(180) << qint64(0);
    }
    {
        LayerParams r = conv(8, 3, 1, 3, 1, false);
        r.padMode = static_cast<int64_t>(PadMode::Reflect); // pad 3 < input 4: allowed
        QTest::newRow("conv reflect padding") << LayerType::Conv2d << r << QList<Shape>{{2, 4, 4}} << Shape{8, 8, 8}
                                              << qint64(144) << qint64(9216) << qint64(0);
    }
    {
        LayerParams s = conv(16, 3, 2, 0, 1, false);
        s.padSame = 1; // out = ceil(225/2) = 113
        QTest::newRow("conv same stride 2 odd") << LayerType::Conv2d << s << QList<Shape>{{3, 225, 225}}
                                                << Shape{16, 113, 113} << qint64(432) << qint64(432 * 113 * 113)
                                                << qint64(0);
        QTest::newRow("conv same stride 2 even") << LayerType::Conv2d << s << QList<Shape>{{3, 224, 224}}
                                                 << Shape{16, 112, 112} << qint64(432) << qint64(432 * 112 * 112)
                                                 << qint64(0);
        LayerParams s1 = conv(4, 5, 1, 0, 1, false);
        s1.padSame = 1;
        QTest::newRow("conv same stride 1") << LayerType::Conv2d << s1 << QList<Shape>{{2, 7, 9}} << Shape{4, 7, 9}
                                            << qint64(200) << qint64(200 * 63) << qint64(0);
    }
    {
        LayerParams d = defaults(LayerType::DepthwiseConv2d); // 3×3 s1 p1, no multiplier, bias on
        d.bias = 0;
        QTest::newRow("depthwise 3x3") << LayerType::DepthwiseConv2d << d << QList<Shape>{{32, 112, 112}}
                                       << Shape{32, 112, 112} << qint64(288) << qint64(3612672) << qint64(0);
        d.multiplier = 2;
        d.sh = d.sw = 2;
        QTest::newRow("depthwise multiplier 2 stride 2") << LayerType::DepthwiseConv2d << d
                                                         << QList<Shape>{{32, 112, 112}} << Shape{64, 56, 56}
                                                         << qint64(576) << qint64(576 * 56 * 56) << qint64(0);
    }
    QTest::newRow("maxpool 3 s2 p1") << LayerType::MaxPool2d << pool(3, 2, 1) << QList<Shape>{{64, 112, 112}}
                                     << Shape{64, 56, 56} << qint64(0) << qint64(0) << qint64(200704 * 9);
    QTest::newRow("maxpool floor") << LayerType::MaxPool2d << pool(3, 2, 0) << QList<Shape>{{1, 6, 6}}
                                   << Shape{1, 2, 2} << qint64(0) << qint64(0) << qint64(36);
    QTest::newRow("maxpool ceil") << LayerType::MaxPool2d << pool(3, 2, 0, true) << QList<Shape>{{1, 6, 6}}
                                  << Shape{1, 3, 3} << qint64(0) << qint64(0) << qint64(81);
    // ceil((5 + 2 − 2)/2) + 1 = 4, but window 4 would start in the bottom padding: 3.
    QTest::newRow("maxpool ceil drops padding-only window") << LayerType::MaxPool2d << pool(2, 2, 1, true)
                                                            << QList<Shape>{{1, 5, 5}} << Shape{1, 3, 3}
                                                            << qint64(0) << qint64(0) << qint64(36);
    QTest::newRow("avgpool 2 s2") << LayerType::AvgPool2d << pool(2, 2, 0) << QList<Shape>{{8, 7, 7}}
                                  << Shape{8, 3, 3} << qint64(0) << qint64(0) << qint64(288);
    QTest::newRow("global avg pool") << LayerType::GlobalAvgPool << defaults(LayerType::GlobalAvgPool)
                                     << QList<Shape>{{512, 7, 7}} << Shape{512, 1, 1} << qint64(0) << qint64(0)
                                     << qint64(25088);
    {
        LayerParams a = defaults(LayerType::AdaptiveAvgPool2d); // 7×7
        QTest::newRow("adaptive 14->7") << LayerType::AdaptiveAvgPool2d << a << QList<Shape>{{512, 14, 14}}
                                        << Shape{512, 7, 7} << qint64(0) << qint64(0) << qint64(512 * 14 * 14);
        // 5 → 3: windows [0,2) [1,4) [3,5): sizes 2+3+2 = 7 per axis.
        a.outH = a.outW = 3;
        QTest::newRow("adaptive 5->3 overlapping") << LayerType::AdaptiveAvgPool2d << a << QList<Shape>{{2, 5, 5}}
                                                   << Shape{2, 3, 3} << qint64(0) << qint64(0) << qint64(2 * 7 * 7);
    }
    {
        LayerParams l = defaults(LayerType::Linear);
        l.features = 4096;
        QTest::newRow("linear 9216->4096") << LayerType::Linear << l << QList<Shape>{{9216}} << Shape{4096}
                                           << qint64(37752832) << qint64(37748736) << qint64(4096);
        l.features = 768;
        QTest::newRow("linear on tokens") << LayerType::Linear << l << QList<Shape>{{197, 192}} << Shape{197, 768}
                                          << qint64(148224) << qint64(29048832) << qint64(197 * 768);
        l.bias = 0;
        l.features = 10;
        QTest::newRow("linear no bias") << LayerType::Linear << l << QList<Shape>{{20}} << Shape{10} << qint64(200)
                                        << qint64(200) << qint64(0);
    }
    QTest::newRow("batchnorm") << LayerType::BatchNorm << defaults(LayerType::BatchNorm)
                               << QList<Shape>{{64, 56, 56}} << Shape{64, 56, 56} << qint64(128) << qint64(0)
                               << qint64(4 * 200704);
    QTest::newRow("layernorm tokens") << LayerType::LayerNorm << defaults(LayerType::LayerNorm)
                                      << QList<Shape>{{197, 192}} << Shape{197, 192} << qint64(384) << qint64(0)
                                      << qint64(7 * 37824);
    {
        LayerParams ln = defaults(LayerType::LayerNorm);
        ln.normAxes = 3;
        QTest::newRow("layernorm over C,H,W") << LayerType::LayerNorm << ln << QList<Shape>{{4, 3, 3}}
                                              << Shape{4, 3, 3} << qint64(72) << qint64(0) << qint64(7 * 36);
    }
    QTest::newRow("instancenorm (no affine)") << LayerType::InstanceNorm << defaults(LayerType::InstanceNorm)
                                              << QList<Shape>{{8, 4, 4}} << Shape{8, 4, 4} << qint64(0) << qint64(0)
                                              << qint64(5 * 128);
    QTest::newRow("groupnorm 32") << LayerType::GroupNorm << defaults(LayerType::GroupNorm)
                                  << QList<Shape>{{64, 8, 8}} << Shape{64, 8, 8} << qint64(128) << qint64(0)
                                  << qint64(7 * 4096);
    QTest::newRow("relu") << LayerType::ReLU << defaults(LayerType::ReLU) << QList<Shape>{{64, 8, 8}}
                          << Shape{64, 8, 8} << qint64(0) << qint64(0) << qint64(4096);
    QTest::newRow("hardswish") << LayerType::HardSwish << defaults(LayerType::HardSwish) << QList<Shape>{{10}}
                               << Shape{10} << qint64(0) << qint64(0) << qint64(50);
    QTest::newRow("softmax") << LayerType::Softmax << defaults(LayerType::Softmax) << QList<Shape>{{1000}}
                             << Shape{1000} << qint64(0) << qint64(0) << qint64(5000);
    QTest::newRow("add 2") << LayerType::Add << defaults(LayerType::Add)
                           << QList<Shape>{{64, 56, 56}, {64, 56, 56}} << Shape{64, 56, 56} << qint64(0) << qint64(0)
                           << qint64(200704);
    {
        LayerParams m = defaults(LayerType::Multiply);
        QTest::newRow("multiply SE gate broadcast") << LayerType::Multiply << m
                                                    << QList<Shape>{{64, 28, 28}, {64, 1, 1}} << Shape{64, 28, 28}
                                                    << qint64(0) << qint64(0) << qint64(50176);
        QTest::newRow("multiply broadcast lower rank") << LayerType::Multiply << m
                                                       << QList<Shape>{{1, 8}, {5, 1, 1}} << Shape{5, 1, 8}
                                                       << qint64(0) << qint64(0) << qint64(40);
    }
    {
        // A learned operand joins like one more input: ConvNeXt's layer scale γ (96×1×1) has 96 values and
        // one product per output element, 96·56·56 = 301,056.
        LayerParams m = defaults(LayerType::Multiply);
        m.inputs = 1;
        m.dims = Shape{96, 1, 1};
        QTest::newRow("multiply learned layer scale") << LayerType::Multiply << m << QList<Shape>{{96, 56, 56}}
                                                      << Shape{96, 56, 56} << qint64(96) << qint64(0) << qint64(301056);
        // A learned 16×16 table added to a 4×16×16 map: 256 values, 4·16·16 = 1,024 adds.
        LayerParams a = defaults(LayerType::Add);
        a.inputs = 1;
        a.dims = Shape{16, 16};
        QTest::newRow("add learned table") << LayerType::Add << a << QList<Shape>{{4, 16, 16}} << Shape{4, 16, 16}
                                           << qint64(256) << qint64(0) << qint64(1024);
        // Two inputs and a 4×4 operand: 16 values; 8·4·4 = 128 outputs · (3 − 1) = 256 products.
        LayerParams g = defaults(LayerType::Multiply);
        g.dims = Shape{4, 4};
        QTest::newRow("multiply gate and operand") << LayerType::Multiply << g << QList<Shape>{{8, 4, 4}, {8, 1, 1}}
                                                   << Shape{8, 4, 4} << qint64(16) << qint64(0) << qint64(256);
    }
    QTest::newRow("concat channels") << LayerType::Concat << defaults(LayerType::Concat)
                                     << QList<Shape>{{64, 28, 28}, {32, 28, 28}} << Shape{96, 28, 28} << qint64(0)
                                     << qint64(0) << qint64(0);
    QTest::newRow("flatten") << LayerType::Flatten << defaults(LayerType::Flatten) << QList<Shape>{{256, 6, 6}}
                             << Shape{9216} << qint64(0) << qint64(0) << qint64(0);
    {
        LayerParams r = defaults(LayerType::Reshape);
        r.dims = Shape{-1, 768};
        QTest::newRow("reshape infer") << LayerType::Reshape << r << QList<Shape>{{768, 14, 14}} << Shape{196, 768}
                                       << qint64(0) << qint64(0) << qint64(0);
    }
    {
        LayerParams p = defaults(LayerType::PatchEmbed); // D 192, p 16, class token, position embedding
        // params = 192·3·16·16 + 192 (bias) + 192 (class token) + 197·192 (position) = 185,664
        QTest::newRow("patch embed ViT-Ti") << LayerType::PatchEmbed << p << QList<Shape>{{3, 224, 224}}
                                            << Shape{197, 192} << qint64(185664) << qint64(28901376)
                                            << qint64(196 * 192 + 197 * 192);
    }
    {
        LayerParams a = defaults(LayerType::MultiHeadAttention); // 3 heads
        // params 4·192² + 4·192; MACs 4·197·192² + 2·197²·192
        QTest::newRow("attention ViT-Ti") << LayerType::MultiHeadAttention << a << QList<Shape>{{197, 192}}
                                          << Shape{197, 192} << qint64(148224) << qint64(43951488)
                                          << qint64(6 * 3 * 197 * 197 + 4 * 197 * 192);
    }
    {
        LayerParams m = defaults(LayerType::Mlp); // hidden 768, out = D
        QTest::newRow("mlp ViT-Ti") << LayerType::Mlp << m << QList<Shape>{{197, 192}} << Shape{197, 192}
                                    << qint64(295872) << qint64(58097664)
                                    << qint64(5 * 197 * 768 + 197 * 768 + 197 * 192);
    }
    QTest::newRow("class token select") << LayerType::ClassTokenSelect << defaults(LayerType::ClassTokenSelect)
                                        << QList<Shape>{{197, 192}} << Shape{192} << qint64(0) << qint64(0)
                                        << qint64(0);
}

void TestLayerRules::validLayers()
{
    QFETCH(LayerType, type);
    QFETCH(LayerParams, params);
    QFETCH(QList<Shape>, inputs);
    QFETCH(Shape, output);
    QFETCH(qint64, params_);
    QFETCH(qint64, macs);
    QFETCH(qint64, otherOps);
    std::vector<Shape> in(inputs.begin(), inputs.end());
    Result<Shape> out = inferShape(type, params, in);
    QVERIFY2(out.ok(), out.ok() ? "" : out.error().c_str());
    QCOMPARE(shapeText(*out), shapeText(output));
    Result<LayerCosts> c = layerCosts(type, params, in, *out);
    QVERIFY(c.ok());
    QCOMPARE(c->params, params_);
    QCOMPARE(c->macs, macs);
    QCOMPARE(c->otherOps, otherOps);
}

void TestLayerRules::invalidLayers_data()
{
    QTest::addColumn<LayerType>("type");
    QTest::addColumn<LayerParams>("params");
    QTest::addColumn<QList<Shape>>("inputs");
    QTest::addColumn<QString>("message");

    QTest::newRow("kernel exceeds padded input") << LayerType::Conv2d << conv(8, 7, 1, 0) << QList<Shape>{{3, 5, 5}}
                                                 << "kernel 7 exceeds padded input 5 on axis H";
    {
        LayerParams d = conv(8, 3, 1, 0);
        d.dw = 3; // effective 7 on W
        QTest::newRow("dilated kernel exceeds") << LayerType::Conv2d << d << QList<Shape>{{3, 9, 6}}
                                                << "dilated kernel 7 (3 with dilation 3) exceeds padded input 6 on axis W";
    }
    QTest::newRow("channels not divisible by groups") << LayerType::Conv2d << conv(8, 3, 1, 1, 2)
                                                      << QList<Shape>{{3, 8, 8}}
                                                      << "input channels 3 are not divisible by groups 2";
    QTest::newRow("out channels not divisible by groups") << LayerType::Conv2d << conv(6, 3, 1, 1, 4)
                                                          << QList<Shape>{{8, 8, 8}}
                                                          << "out_channels 6 are not divisible by groups 4";
    {
        LayerParams r = conv(8, 3, 1, 4);
        r.padMode = static_cast<int64_t>(PadMode::Reflect);
        QTest::newRow("reflect padding too large") << LayerType::Conv2d << r << QList<Shape>{{3, 4, 4}}
                                                   << "reflect padding must be smaller than the input";
    }
    QTest::newRow("conv on a vector") << LayerType::Conv2d << conv(8, 3, 1, 1) << QList<Shape>{{4096}}
                                      << "expects a C×H×W input, got 4096";
    QTest::newRow("pool padding over half kernel") << LayerType::MaxPool2d << pool(2, 2, 2) << QList<Shape>{{3, 8, 8}}
                                                   << "padding must be at most half the kernel";
    QTest::newRow("add mismatch") << LayerType::Add << defaults(LayerType::Add)
                                  << QList<Shape>{{64, 56, 56}, {64, 28, 28}}
                                  << "input 1 has shape 64×28×28, which does not broadcast with 64×56×56; each axis "
                                     "must match or be 1 (a residual Add needs matching channels and stride on both "
                                     "paths)";
    QTest::newRow("multiply not broadcastable") << LayerType::Multiply << defaults(LayerType::Multiply)
                                                << QList<Shape>{{64, 28, 28}, {32, 1, 1}} << "does not broadcast";
    {
        LayerParams one = defaults(LayerType::Add);
        one.inputs = 1;
        QTest::newRow("add one input, no operand") << LayerType::Add << one << QList<Shape>{{8, 4, 4}}
                                                   << "a single input needs a learned operand";
        LayerParams m = defaults(LayerType::Multiply);
        m.inputs = 1;
        m.dims = Shape{32, 1, 1};
        LayerParams f = defaults(LayerType::Add);
        f.fixedOperand = 1;
        QTest::newRow("fixed without operand") << LayerType::Add << f << QList<Shape>{{8, 4, 4}, {8, 4, 4}}
                                               << "\"operand_fixed\" is set but there is no operand";
        QTest::newRow("operand not broadcastable") << LayerType::Multiply << m << QList<Shape>{{64, 28, 28}}
                                                   << "does not broadcast";
    }
    QTest::newRow("concat mismatch") << LayerType::Concat << defaults(LayerType::Concat)
                                     << QList<Shape>{{64, 28, 28}, {32, 14, 14}} << "cannot be concatenated";
    QTest::newRow("groupnorm groups") << LayerType::GroupNorm << defaults(LayerType::GroupNorm)
                                      << QList<Shape>{{48, 8, 8}} << "channels 48 are not divisible by num_groups 32";
    QTest::newRow("attention heads") << LayerType::MultiHeadAttention << defaults(LayerType::MultiHeadAttention)
                                     << QList<Shape>{{197, 100}} << "embedding dim 100 is not divisible by heads 3";
    QTest::newRow("patch not dividing") << LayerType::PatchEmbed << defaults(LayerType::PatchEmbed)
                                        << QList<Shape>{{3, 225, 224}} << "not a multiple of patch 16";
    {
        LayerParams r = defaults(LayerType::Reshape);
        r.dims = Shape{7, -1};
        QTest::newRow("reshape indivisible") << LayerType::Reshape << r << QList<Shape>{{10}} << "cannot reshape";
    }
    {
        LayerParams in = defaults(LayerType::Input);
        in.dims = Shape{3, 0, 224};
        QTest::newRow("input zero size") << LayerType::Input << in << QList<Shape>{} << "has a size ≤ 0";
        in.dims = Shape{int64_t(1) << 40, int64_t(1) << 40};
        QTest::newRow("input overflow") << LayerType::Input << in << QList<Shape>{} << "overflows 64 bits";
    }
    {
        LayerParams l = defaults(LayerType::Linear);
        l.features = int64_t(1) << 40;
        QTest::newRow("linear output overflow") << LayerType::Linear << l << QList<Shape>{{int64_t(1) << 30, 4}}
                                                << "overflows 64 bits";
    }
    {
        LayerParams sm = defaults(LayerType::Softmax);
        sm.axis = 1; // a vector has only axis 0
        QTest::newRow("softmax axis") << LayerType::Softmax << sm << QList<Shape>{{10}} << "axis 1 is out of range";
    }
    // Sequence and language-model kinds.
    QTest::newRow("embedding on a map") << LayerType::Embedding << defaults(LayerType::Embedding)
                                        << QList<Shape>{{3, 8, 8}} << "expects a T (token ids) input, got 3×8×8";
    {
        LayerParams e = defaults(LayerType::Embedding);
        e.positions = 512;
        QTest::newRow("embedding past its positions") << LayerType::Embedding << e << QList<Shape>{{1024}}
                                                      << "1024 tokens is longer than the position table (512)";
    }
    {
        LayerParams a = defaults(LayerType::MultiHeadAttention);
        a.heads = 12;
        a.kvHeads = 5;
        QTest::newRow("kv heads not dividing heads") << LayerType::MultiHeadAttention << a << QList<Shape>{{16, 768}}
                                                     << "heads 12 are not a multiple of kv_heads 5";
        a.kvHeads = 0;
        a.heads = 4;
        a.rope = 1;
        QTest::newRow("rotary odd head dim") << LayerType::MultiHeadAttention << a << QList<Shape>{{16, 12}}
                                             << "rotary embedding needs an even head dim, got 3";
    }
    QTest::newRow("cross-attention memory on a map")
        << LayerType::CrossAttention << defaults(LayerType::CrossAttention) << QList<Shape>{{4, 6}, {3, 8, 8}}
        << "(keys and values, input 1) input, got 3×8×8";
    QTest::newRow("matmul inner sizes") << LayerType::MatMul << defaults(LayerType::MatMul)
                                        << QList<Shape>{{4, 5}, {6, 7}}
                                        << "inner sizes differ: input 0 4×5 has K = 5, input 1 6×7 has K = 6";
    QTest::newRow("matmul batch axes") << LayerType::MatMul << defaults(LayerType::MatMul)
                                       << QList<Shape>{{2, 4, 5}, {3, 5, 7}} << "batch axes: input 1 has shape 3";
    QTest::newRow("matmul vector") << LayerType::MatMul << defaults(LayerType::MatMul) << QList<Shape>{{5}, {5, 7}}
                                   << "expects two inputs of at least 2 axes";
    QTest::newRow("lstm on a map") << LayerType::LSTM << defaults(LayerType::LSTM) << QList<Shape>{{3, 8, 8}}
                                   << "expects a T×features sequence input, got 3×8×8";
    // Spatial kinds of issue 9.
    QTest::newRow("conv1d on an image") << LayerType::Conv1d << defaults(LayerType::Conv1d)
                                        << QList<Shape>{{3, 32, 32}} << "expects a C×L input, got 3×32×32";
    {
        LayerParams c = defaults(LayerType::Conv1d);
        c.kw = 80;
        c.pl = c.pr = 0;
        QTest::newRow("conv1d kernel exceeds") << LayerType::Conv1d << c << QList<Shape>{{1, 64}}
                                               << "kernel 80 exceeds padded input 64 on axis W";
        c = defaults(LayerType::Conv1d);
        c.groups = 3;
        QTest::newRow("conv1d groups") << LayerType::Conv1d << c << QList<Shape>{{4, 64}}
                                       << "input channels 4 are not divisible by groups 3";
        c = defaults(LayerType::Conv1d);
        c.padMode = static_cast<int64_t>(PadMode::Reflect);
        c.pl = 4;
        QTest::newRow("conv1d reflect too large") << LayerType::Conv1d << c << QList<Shape>{{4, 4}}
                                                  << "reflect padding must be smaller than the input (4 on axis W)";
    }
    {
        LayerParams c = defaults(LayerType::Conv3d);
        c.kd = 5;
        c.pf = c.pk = 0;
        QTest::newRow("conv3d depth kernel exceeds") << LayerType::Conv3d << c << QList<Shape>{{3, 4, 16, 16}}
                                                     << "kernel 5 exceeds padded input 4 on axis D";
        QTest::newRow("conv3d on an image") << LayerType::Conv3d << defaults(LayerType::Conv3d)
                                            << QList<Shape>{{3, 16, 16}} << "expects a C×D×H×W input";
    }
    {
        LayerParams t = defaults(LayerType::ConvTranspose2d);
        t.outPadH = 2; // stride 2: output padding must be 0 or 1
        QTest::newRow("transposed output padding") << LayerType::ConvTranspose2d << t << QList<Shape>{{8, 4, 4}}
                                                   << "output padding 2 on axis H must be smaller than the stride";
        t = defaults(LayerType::ConvTranspose2d);
        t.kh = t.kw = 1, t.sh = t.sw = 1, t.pt = t.pl = 1;
        QTest::newRow("transposed padding crops everything") << LayerType::ConvTranspose2d << t
                                                             << QList<Shape>{{8, 2, 2}} << "crops the whole output";
        t = defaults(LayerType::ConvTranspose1d);
        t.features = 6, t.groups = 4;
        QTest::newRow("transposed groups") << LayerType::ConvTranspose1d << t << QList<Shape>{{8, 10}}
                                           << "out_channels 6 are not divisible by groups 4";
    }
    {
        LayerParams m = defaults(LayerType::MaxPool1d);
        m.pl = 3; // kernel 4
        QTest::newRow("pool1d padding over half") << LayerType::MaxPool1d << m << QList<Shape>{{2, 16}}
                                                  << "padding must be at most half the kernel (4) on axis W";
        QTest::newRow("pool3d on a sequence") << LayerType::MaxPool3d << defaults(LayerType::MaxPool3d)
                                              << QList<Shape>{{2, 16}} << "expects a C×D×H×W input";
        QTest::newRow("global max pool on a vector") << LayerType::GlobalMaxPool
                                                     << defaults(LayerType::GlobalMaxPool) << QList<Shape>{{16}}
                                                     << "expects a C×L, C×H×W or C×D×H×W input";
    }
    {
        LayerParams u = defaults(LayerType::Upsample);
        u.scaleH = 0.1;
        QTest::newRow("upsample scale empties the map") << LayerType::Upsample << u << QList<Shape>{{3, 4, 4}}
                                                        << "scale 0.1 makes axis H empty";
        LayerParams p = defaults(LayerType::Pad);
        p.padMode = static_cast<int64_t>(PadMode::Reflect);
        p.pl = 5;
        QTest::newRow("pad reflect too large") << LayerType::Pad << p << QList<Shape>{{3, 4, 5}}
                                               << "reflect padding must be smaller than the input (5 on axis W)";
    }
}

void TestLayerRules::invalidLayers()
{
    QFETCH(LayerType, type);
    QFETCH(LayerParams, params);
    QFETCH(QList<Shape>, inputs);
    QFETCH(QString, message);
    std::vector<Shape> in(inputs.begin(), inputs.end());
    Result<Shape> out = inferShape(type, params, in);
    QVERIFY(!out.ok());
    QVERIFY2(QString::fromStdString(out.error()).contains(message), out.error().c_str());
}

void TestLayerRules::samePaddingResolvesOddTotalToTheEnd()
{
    LayerParams s = conv(1, 3, 2, 0);
    s.padSame = 1;
    Padding p = resolvePadding(s, 224, 225); // H: total 1 → 0 + 1; W: total 2 → 1 + 1
    QCOMPARE(p.top, 0);
    QCOMPARE(p.bottom, 1);
    QCOMPARE(p.left, 1);
    QCOMPARE(p.right, 1);
}

void TestLayerRules::catalogueDefaultsAreValid()
{
    // Every palette entry must be droppable onto a typical input without an error.
    for (const PaletteEntry& e : Catalogue::instance().palette()) {
        const LayerSpec& spec = Catalogue::instance().spec(e.type);
        Shape img{64, 56, 56}, tokens{197, 192};
        bool tokenLayer = e.type == LayerType::MultiHeadAttention || e.type == LayerType::ClassTokenSelect ||
                          e.type == LayerType::Mlp || e.type == LayerType::LayerNorm ||
                          e.type == LayerType::CrossAttention || e.type == LayerType::LSTM ||
                          e.type == LayerType::GRU;
        std::vector<Shape> in(static_cast<size_t>(spec.inputCount(e.params)), tokenLayer ? tokens : img);
        if (e.type == LayerType::PatchEmbed)
            in = {Shape{3, 224, 224}};
        if (e.type == LayerType::Squeeze) // after a global pool
            in = {Shape{64, 1, 1}};
        if (e.type == LayerType::Embedding)
            in = {Shape{197}}; // token ids
        // 1-D kinds take a sequence, 3-D kinds a clip of frames.
        const std::string_view key = spec.key;
        if (key.ends_with("1d"))
            in = {Shape{64, 1000}};
        if (key.ends_with("3d"))
            in = {Shape{3, 8, 56, 56}};
        Result<Shape> out = inferShape(e.type, e.params, in);
        QVERIFY2(out.ok(), (std::string(e.label) + ": " + (out.ok() ? "" : out.error())).c_str());
    }
}

// A fixed operand costs what a learned one does in operations, but its values are stored state, not
// parameters (PyTorch's buffer). By hand:
//   Add, input [4,8] (batch [1,4,8]), fixed operand [4,1]: out 4×8, 4·8·(2 − 1) = 32 adds; params 0,
//   state 4·1 = 4. The same operand learned: params 4, state 0, the same 32 adds.
//   Multiply by a fixed scalar [1] (1/√d) on a 3×49×32 input: 3·49·32 = 4,704 products, state 1.
void TestLayerRules::fixedOperandIsStateNotParameters()
{
    LayerParams p = defaults(LayerType::Add);
    p.inputs = 1;
    p.dims = Shape{4, 1};
    p.fixedOperand = 1;
    const std::vector<Shape> in{Shape{4, 8}};
    Result<Shape> out = inferShape(LayerType::Add, p, in);
    QVERIFY2(out.ok(), out.ok() ? "" : out.error().c_str());
    QCOMPARE(shapeText(*out), QString("4×8"));
    Result<LayerCosts> c = layerCosts(LayerType::Add, p, in, *out);
    QVERIFY(c.ok());
    QCOMPARE(c->params, int64_t(0));
    QCOMPARE(c->state, int64_t(4));
    QCOMPARE(c->otherOps, int64_t(32));
    QCOMPARE(c->macs, int64_t(0));

    p.fixedOperand = 0;
    c = layerCosts(LayerType::Add, p, in, *out);
    QVERIFY(c.ok());
    QCOMPARE(c->params, int64_t(4));
    QCOMPARE(c->state, int64_t(0));
    QCOMPARE(c->otherOps, int64_t(32));

    LayerParams m = defaults(LayerType::Multiply);
    m.inputs = 1;
    m.dims = Shape{1};
    m.fixedOperand = 1;
    const std::vector<Shape> q{Shape{3, 49, 32}};
    out = inferShape(LayerType::Multiply, m, q);
    QVERIFY(out.ok());
    c = layerCosts(LayerType::Multiply, m, q, *out);
    QVERIFY(c.ok());
    QCOMPARE(c->params, int64_t(0));
    QCOMPARE(c->state, int64_t(1));
    QCOMPARE(c->otherOps, int64_t(4704));
}

QTEST_GUILESS_MAIN(TestLayerRules)
#include "tst_layerrules.moc"
