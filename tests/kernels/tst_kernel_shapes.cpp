// Output shapes, validation messages, parameter shapes and FLOP counts of KernelOp layers.
#include "kernels/Kernels.h"

#include <QtTest>

using namespace nc::core::kernels;

Q_DECLARE_METATYPE(nc::core::kernels::KernelOp)
Q_DECLARE_METATYPE(std::vector<nc::core::kernels::Shape>)
Q_DECLARE_METATYPE(nc::core::kernels::Shape)

class TestKernelShapes : public QObject {
    Q_OBJECT

private slots:
    void outputShape_data();
    void outputShape();
    void invalidLayer_data();
    void invalidLayer();
    void parameterShapes_data();
    void parameterShapes();
    void flops_data();
    void flops();
    void kindNamesRoundTrip();
    void parametersAreDeterministic();
};

namespace {
KernelOp named(KernelOp op, const char* name)
{
    op.name = name;
    return op;
}
KernelOp ceilPool(OpKind k, int64_t kernel, int64_t stride, int64_t pad)
{
    KernelOp op = KernelOp::pool(k, kernel, stride, pad);
    op.ceilMode = true;
    return op;
}
} // namespace

void TestKernelShapes::outputShape_data()
{
    QTest::addColumn<KernelOp>("op");
    QTest::addColumn<std::vector<Shape>>("inputs");
    QTest::addColumn<Shape>("expected");

    QTest::newRow("conv 3x3 same") << KernelOp::conv2d(64, 3, 1, 1) << std::vector<Shape>{{1, 64, 56, 56}}
                                   << Shape{1, 64, 56, 56};
    QTest::newRow("conv stem 7x7 s2") << KernelOp::conv2d(64, 7, 2, 3) << std::vector<Shape>{{1, 3, 224, 224}}
                                      << Shape{1, 64, 112, 112};
    {
        KernelOp op = KernelOp::conv2d(8, 3, 1, 2);
        op.dh = op.dw = 2; // effective kernel 5
        QTest::newRow("conv dilation 2") << op << std::vector<Shape>{{1, 4, 10, 10}} << Shape{1, 8, 10, 10};
    }
    QTest::newRow("depthwise stride 2") << KernelOp::conv2d(144, 3, 2, 1, 144) << std::vector<Shape>{{1, 144, 56, 56}}
                                        << Shape{1, 144, 28, 28};
    QTest::newRow("maxpool floor") << KernelOp::pool(OpKind::MaxPool, 3, 2) << std::vector<Shape>{{1, 3, 10, 10}}
                                   << Shape{1, 3, 4, 4};
    QTest::newRow("maxpool ceil") << ceilPool(OpKind::MaxPool, 3, 2, 0) << std::vector<Shape>{{1, 3, 10, 10}}
                                  << Shape{1, 3, 5, 5};
    // ceil gives 3, but window 2 would start at 4 ≥ in + pad = 4: dropped (PyTorch rule).
    QTest::newRow("ceil last window dropped") << ceilPool(OpKind::MaxPool, 2, 2, 0) << std::vector<Shape>{{1, 1, 5, 5}}
                                              << Shape{1, 1, 3, 3};
    QTest::newRow("ceil rule with padding") << ceilPool(OpKind::AvgPool, 3, 2, 1) << std::vector<Shape>{{1, 1, 10, 10}}
                                            << Shape{1, 1, 6, 6};
    QTest::newRow("global avgpool 3d") << KernelOp::make(OpKind::GlobalAvgPool) << std::vector<Shape>{{2, 5, 9}}
                                       << Shape{2, 5, 1};
    {
        KernelOp op = KernelOp::make(OpKind::AdaptiveAvgPool);
        op.outH = 7;
        op.outW = 5;
        QTest::newRow("adaptive") << op << std::vector<Shape>{{1, 3, 10, 10}} << Shape{1, 3, 7, 5};
    }
    QTest::newRow("linear tokens") << KernelOp::linear(10) << std::vector<Shape>{{2, 7, 24}} << Shape{2, 7, 10};
    QTest::newRow("attention") << KernelOp::attention(3) << std::vector<Shape>{{1, 197, 192}} << Shape{1, 197, 192};
    QTest::newRow("add broadcast") << KernelOp::make(OpKind::Add) << std::vector<Shape>{{3, 1, 5}, {4, 1}}
                                   << Shape{3, 4, 5};
    QTest::newRow("concat channels") << KernelOp::make(OpKind::Concat)
                                     << std::vector<Shape>{{1, 2, 4, 4}, {1, 5, 4, 4}} << Shape{1, 7, 4, 4};
    {
        KernelOp op = KernelOp::make(OpKind::Flatten);
        QTest::newRow("flatten axis 1") << op << std::vector<Shape>{{2, 3, 4}} << Shape{2, 12};
        op.axis = 0;
        QTest::newRow("flatten axis 0") << op << std::vector<Shape>{{2, 3, 4}} << Shape{1, 24};
        op.axis = 3;
        QTest::newRow("flatten axis rank") << op << std::vector<Shape>{{2, 3, 4}} << Shape{24, 1};
    }
    QTest::newRow("softmax keeps shape") << KernelOp::make(OpKind::Softmax) << std::vector<Shape>{{2, 10}}
                                         << Shape{2, 10};
    {
        KernelOp op = KernelOp::make(OpKind::Embedding);
        op.vocab = 50257, op.outChannels = 768, op.positions = 1024;
        QTest::newRow("embedding gpt-2") << op << std::vector<Shape>{{1, 1024}} << Shape{1, 1024, 768};
    }
    // Batch axes broadcast: [2,1,5,7]·[3,7,6] → [2,3,5,6].
    QTest::newRow("matmul broadcast") << KernelOp::make(OpKind::MatMul) << std::vector<Shape>{{2, 1, 5, 7}, {3, 7, 6}}
                                      << Shape{2, 3, 5, 6};
    {
        KernelOp op = KernelOp::make(OpKind::LSTM);
        op.outChannels = 20, op.bidirectional = true;
        QTest::newRow("lstm bidirectional") << op << std::vector<Shape>{{4, 9, 3}} << Shape{4, 9, 40};
    }
}

void TestKernelShapes::outputShape()
{
    QFETCH(KernelOp, op);
    QFETCH(std::vector<Shape>, inputs);
    QFETCH(Shape, expected);
    const auto out = inferOutputShape(op, inputs);
    QVERIFY2(out.ok(), out.message().c_str());
    QCOMPARE(out.value(), expected);
}

void TestKernelShapes::invalidLayer_data()
{
    QTest::addColumn<KernelOp>("op");
    QTest::addColumn<std::vector<Shape>>("inputs");
    QTest::addColumn<QString>("message");

    QTest::newRow("kernel exceeds input") << named(KernelOp::conv2d(8, 7), "conv3") << std::vector<Shape>{{1, 3, 5, 9}}
                                          << "layer \"conv3\": kernel 7 exceeds padded input 5 on axis H";
    QTest::newRow("groups do not divide") << named(KernelOp::conv2d(8, 3, 1, 1, 3), "g") << std::vector<Shape>{{1, 8, 5, 5}}
                                          << "layer \"g\": groups 3 must divide input channels 8";
    QTest::newRow("outputs not multiple of groups")
        << named(KernelOp::conv2d(6, 3, 1, 1, 4), "g4") << std::vector<Shape>{{1, 8, 5, 5}}
        << "layer \"g4\": output channels 6 must be a positive multiple of groups 4";
    {
        KernelOp op = named(KernelOp::conv2d(4, 3, 1, 3), "r");
        op.padMode = PadMode::Reflect;
        QTest::newRow("reflect pad too large") << op << std::vector<Shape>{{1, 2, 3, 8}}
                                               << "layer \"r\": reflect padding must be smaller than the input on every axis";
    }
    QTest::newRow("conv needs NCHW") << named(KernelOp::conv2d(4, 1), "c") << std::vector<Shape>{{4, 8}}
                                     << "layer \"c\": expects a rank-4 NCHW input, got [4, 8]";
    QTest::newRow("zero stride") << named(KernelOp::pool(OpKind::MaxPool, 2, 0), "p") << std::vector<Shape>{{1, 1, 4, 4}}
                                 << "layer \"p\": stride must be at least 1 on axis H";
    QTest::newRow("heads do not divide") << named(KernelOp::attention(5), "attn") << std::vector<Shape>{{1, 4, 12}}
                                         << "layer \"attn\": heads 5 must divide model dimension 12";
    QTest::newRow("not broadcastable") << named(KernelOp::make(OpKind::Add), "add") << std::vector<Shape>{{2, 3}, {4}}
                                       << "layer \"add\": cannot broadcast [2, 3] with [4] on axis 1";
    QTest::newRow("concat mismatch") << named(KernelOp::make(OpKind::Concat), "cat")
                                     << std::vector<Shape>{{1, 2, 4, 4}, {1, 2, 5, 4}}
                                     << "layer \"cat\": input 1 [1, 2, 5, 4] differs from [1, 2, 4, 4] on axis 2";
    QTest::newRow("add needs two inputs") << named(KernelOp::make(OpKind::Add), "a1") << std::vector<Shape>{{2}}
                                          << "layer \"a1\": expects 2 input(s), got 1";
    QTest::newRow("empty dimension") << named(KernelOp::make(OpKind::ReLU), "z") << std::vector<Shape>{{2, 0}}
                                     << "layer \"z\": input shape [2, 0] has a dimension below 1";
    {
        KernelOp op = named(KernelOp::make(OpKind::GroupNorm), "gn");
        op.numGroups = 3;
        QTest::newRow("group norm groups") << op << std::vector<Shape>{{1, 8, 2, 2}}
                                           << "layer \"gn\": groups 3 must divide channels 8";
    }
    {
        KernelOp op = named(KernelOp::make(OpKind::Softmax), "sm");
        op.softmaxAxis = 2;
        QTest::newRow("softmax axis") << op << std::vector<Shape>{{2, 3}}
                                      << "layer \"sm\": softmax axis 2 is out of range for [2, 3]";
    }
    QTest::newRow("linear without features") << named(KernelOp::linear(0), "fc") << std::vector<Shape>{{1, 8}}
                                             << "layer \"fc\": output features must be at least 1";
    QTest::newRow("unnamed layer uses kind") << KernelOp::conv2d(8, 9) << std::vector<Shape>{{1, 3, 5, 20}}
                                             << "layer \"Conv2d\": kernel 9 exceeds padded input 5 on axis H";
}

void TestKernelShapes::invalidLayer()
{
    QFETCH(KernelOp, op);
    QFETCH(std::vector<Shape>, inputs);
    QFETCH(QString, message);
    const auto out = inferOutputShape(op, inputs);
    QVERIFY(!out.ok());
    QCOMPARE(QString::fromStdString(out.message()), message);
}

void TestKernelShapes::parameterShapes_data()
{
    QTest::addColumn<KernelOp>("op");
    QTest::addColumn<std::vector<Shape>>("inputs");
    QTest::addColumn<std::vector<Shape>>("expected");
    QTest::newRow("grouped conv") << KernelOp::conv2d(12, 3, 1, 1, 2) << std::vector<Shape>{{1, 8, 5, 5}}
                                  << std::vector<Shape>{{12, 4, 3, 3}, {12}};
    QTest::newRow("depthwise") << KernelOp::conv2d(32, 3, 1, 1, 32) << std::vector<Shape>{{1, 32, 5, 5}}
                               << std::vector<Shape>{{32, 1, 3, 3}, {32}};
    {
        KernelOp op = KernelOp::linear(10);
        op.bias = false;
        QTest::newRow("linear no bias") << op << std::vector<Shape>{{4, 6}} << std::vector<Shape>{{10, 6}};
    }
    QTest::newRow("batch norm") << KernelOp::make(OpKind::BatchNorm) << std::vector<Shape>{{1, 3, 2, 2}}
                                << std::vector<Shape>{{3}, {3}, {3}, {3}};
    {
        KernelOp op = KernelOp::make(OpKind::LayerNorm);
        op.normAxis = -2;
        QTest::newRow("layer norm two axes") << op << std::vector<Shape>{{2, 3, 4}} << std::vector<Shape>{{3, 4}, {3, 4}};
    }
    QTest::newRow("attention") << KernelOp::attention(3) << std::vector<Shape>{{1, 5, 12}}
                               << std::vector<Shape>{{36, 12}, {36}, {12, 12}, {12}};
    QTest::newRow("relu has none") << KernelOp::make(OpKind::ReLU) << std::vector<Shape>{{3}} << std::vector<Shape>{};
    {
        // Layer 0 reads I = 3, layer 1 reads H·directions = 10; four tensors per layer and direction.
        KernelOp op = KernelOp::make(OpKind::GRU);
        op.outChannels = 5, op.rnnLayers = 2, op.bidirectional = true;
        const std::vector<Shape> l0{{15, 3}, {15, 5}, {15}, {15}}, l1{{15, 10}, {15, 5}, {15}, {15}};
        std::vector<Shape> all;
        for (const auto* l : {&l0, &l0, &l1, &l1})
            all.insert(all.end(), l->begin(), l->end());
        QTest::newRow("gru 2 layers bidirectional") << op << std::vector<Shape>{{2, 7, 3}} << all;
    }
    {
        KernelOp op = KernelOp::make(OpKind::Embedding);
        op.vocab = 30522, op.outChannels = 768, op.positions = 512, op.tokenTypes = 2;
        QTest::newRow("embedding bert") << op << std::vector<Shape>{{1, 128}}
                                        << std::vector<Shape>{{30522, 768}, {512, 768}, {2, 768}};
    }
}

void TestKernelShapes::parameterShapes()
{
    QFETCH(KernelOp, op);
    QFETCH(std::vector<Shape>, inputs);
    QFETCH(std::vector<Shape>, expected);
    QCOMPARE(nc::core::kernels::parameterShapes(op, inputs), expected);
}

void TestKernelShapes::flops_data()
{
    QTest::addColumn<KernelOp>("op");
    QTest::addColumn<std::vector<Shape>>("inputs");
    QTest::addColumn<double>("expected");
    // 2·N·O·OH·OW·(C/g)·kh·kw
    QTest::newRow("resnet 3x3 64") << KernelOp::conv2d(64, 3, 1, 1) << std::vector<Shape>{{1, 64, 56, 56}}
                                   << 2.0 * 64 * 56 * 56 * 64 * 9;
    QTest::newRow("depthwise") << KernelOp::conv2d(32, 3, 1, 1, 32) << std::vector<Shape>{{1, 32, 112, 112}}
                               << 2.0 * 32 * 112 * 112 * 9;
    QTest::newRow("linear 4096 batch 64") << KernelOp::linear(4096) << std::vector<Shape>{{64, 4096}}
                                          << 2.0 * 64 * 4096 * 4096;
    // QKV 2·T·D·3D + scores and weighted sum 4·T²·D + output 2·T·D².
    QTest::newRow("vit-ti attention") << KernelOp::attention(3) << std::vector<Shape>{{1, 197, 192}}
                                      << 2.0 * 197 * 192 * 576 + 4.0 * 197 * 197 * 192 + 2.0 * 197 * 192 * 192;
    // 2·batch·M·N·K, the scores of 12 heads over 197 tokens, batch 8: [8,12,197,64]·[8,12,64,197].
    QTest::newRow("attention scores matmul") << KernelOp::make(OpKind::MatMul)
                                             << std::vector<Shape>{{8, 12, 197, 64}, {8, 12, 64, 197}}
                                             << 2.0 * 8 * 12 * 197 * 197 * 64;
    {
        // Per step and sample: 2·4·H·(I + H); layer 0 I = 10, H = 20: 2·4·20·30 = 4800; × N·T = 2·5.
        KernelOp op = KernelOp::make(OpKind::LSTM);
        op.outChannels = 20;
        QTest::newRow("lstm") << op << std::vector<Shape>{{2, 5, 10}} << 2.0 * 2 * 5 * 4 * 20 * 30;
    }
}

void TestKernelShapes::flops()
{
    QFETCH(KernelOp, op);
    QFETCH(std::vector<Shape>, inputs);
    QFETCH(double, expected);
    const auto out = inferOutputShape(op, inputs);
    QVERIFY(out.ok());
    QCOMPARE(opFlops(op, inputs, out.value()), expected);
}

void TestKernelShapes::kindNamesRoundTrip()
{
    for (int i = 0; i <= static_cast<int>(OpKind::Identity); ++i) {
        OpKind parsed = OpKind::Identity;
        QVERIFY(opKindFromName(opKindName(static_cast<OpKind>(i)), parsed));
        QCOMPARE(static_cast<int>(parsed), i);
    }
}

void TestKernelShapes::parametersAreDeterministic()
{
    const std::vector<Shape> in{{1, 4, 6, 6}};
    const KernelOp op = KernelOp::conv2d(8, 3, 1, 1);
    const auto a = makeParameters(op, in, 9), b = makeParameters(op, in, 9);
    QCOMPARE(a.size(), std::size_t{2});
    QCOMPARE(std::memcmp(a[0].data(), b[0].data(), static_cast<std::size_t>(a[0].size()) * sizeof(float)), 0);
}

QTEST_GUILESS_MAIN(TestKernelShapes)
#include "tst_kernel_shapes.moc"
