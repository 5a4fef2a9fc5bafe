// Every layer of the Eigen backend against the reference loops, on 1 and 3 threads, and its algorithm choices.
#include "KernelCases.h"

#include <QtTest>

#include <cmath>

using namespace nc::core::kernels;
using namespace nc::core::kernels::testing;

class TestEigenBackend : public QObject {
    Q_OBJECT

private slots:
    void matchesReference_data();
    void matchesReference();
    void choosesAlgorithm_data();
    void choosesAlgorithm();
    void fewPixelsSplitTheDepth();
    void refusesForeignPreparedOp();
    void refusesWrongInputShape();
    void refusesInvalidLayer();
    void refusesWrongParameterCount();
    void usesGivenParameters();
    void spatialOpsByHand_data();
    void spatialOpsByHand();
};

void TestEigenBackend::matchesReference_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<int>("threads");
    const auto& cases = kernelCases();
    // 3 threads on a 2-core machine also exercises uneven splits and oversubscription.
    for (int threads : {1, 3})
        for (std::size_t i = 0; i < cases.size(); ++i)
            QTest::newRow((cases[i].name + "/t" + std::to_string(threads)).c_str()) << static_cast<int>(i) << threads;
}

void TestEigenBackend::matchesReference()
{
    QFETCH(int, index);
    QFETCH(int, threads);
    EigenBackend backend(threads);
    std::string note;
    const Comparison cmp = checkAgainstReference(backend, kernelCases()[static_cast<std::size_t>(index)], &note);
    QVERIFY2(cmp.ok, (cmp.message + " [" + note + "]").c_str());
}

void TestEigenBackend::choosesAlgorithm_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<QString>("fragment");
    const auto& cases = kernelCases();
    auto row = [&](const char* name, const char* fragment) {
        for (std::size_t i = 0; i < cases.size(); ++i)
            if (cases[i].name == name)
                QTest::newRow(name) << static_cast<int>(i) << QString(fragment);
    };
    row("conv1x1_direct_gemm", "1x1 direct GEMM");
    row("conv1x1_stride2_im2col", "packed im2col");
    row("conv3x3_pad1", "implicit im2col");
    row("conv_small_image_wide", "packed im2col"); // 4×4 output: rows of 6 would waste half
    row("conv_groups2", "2 groups");
    row("depthwise3x3", "direct depthwise");
    row("depthwise_multiplier2", "multiplier 2");
    row("linear_single_row_gemv", "GEMV");
    row("linear_batch", "GEMM");
}

void TestEigenBackend::choosesAlgorithm()
{
    QFETCH(int, index);
    QFETCH(QString, fragment);
    const KernelCase& c = kernelCases()[static_cast<std::size_t>(index)];
    EigenBackend backend;
    auto prepared = backend.prepare(c.op, c.inputs);
    QVERIFY2(prepared.ok(), prepared.message().c_str());
    QVERIFY2(QString::fromStdString(prepared.value().note()).contains(fragment), prepared.value().note().c_str());
}

// One 7×7 tile with K = 1440 (6 depth blocks): two threads split the depth, not the channels
// (the reference comparison above checks the summed result on 3 threads); one thread does not.
void TestEigenBackend::fewPixelsSplitTheDepth()
{
    for (const KernelCase& c : kernelCases()) {
        if (c.name != "conv_split_k_7x7")
            continue;
        EigenBackend two(2), one(1);
        auto p2 = two.prepare(c.op, c.inputs), p1 = one.prepare(c.op, c.inputs);
        QVERIFY(p2.ok() && p1.ok());
        QVERIFY2(p2.value().note().find("K split in 2") != std::string::npos, p2.value().note().c_str());
        QVERIFY2(p1.value().note().find("1 channel blocks") != std::string::npos, p1.value().note().c_str());
        return;
    }
    QFAIL("case conv_split_k_7x7 missing");
}

void TestEigenBackend::refusesForeignPreparedOp()
{
    EigenBackend a, b;
    const std::vector<Shape> in{{1, 4}};
    auto prepared = a.prepare(KernelOp::make(OpKind::ReLU), in);
    QVERIFY(prepared.ok());
    Tensor x(in[0]), y;
    const KernelStatus st = b.run(prepared.value(), x, y);
    QVERIFY2(!st.ok && st.message.find("not prepared by") != std::string::npos, st.message.c_str());
}

void TestEigenBackend::refusesWrongInputShape()
{
    EigenBackend backend;
    const std::vector<Shape> in{{1, 4, 8, 8}};
    KernelOp op = KernelOp::conv2d(4, 3, 1, 1);
    op.name = "conv_a";
    auto prepared = backend.prepare(op, in);
    QVERIFY(prepared.ok());
    Tensor x(Shape{1, 4, 9, 8}), y;
    const KernelStatus st = backend.run(prepared.value(), x, y);
    QCOMPARE(QString::fromStdString(st.message),
             QString("layer \"conv_a\": input 0 has shape [1, 4, 9, 8], prepared for [1, 4, 8, 8]"));
}

void TestEigenBackend::refusesInvalidLayer()
{
    EigenBackend backend;
    KernelOp op = KernelOp::conv2d(8, 3, 1, 1, 3);
    op.name = "conv_g3";
    const std::vector<Shape> in{{1, 8, 5, 5}};
    const auto prepared = backend.prepare(op, in);
    QCOMPARE(QString::fromStdString(prepared.message()),
             QString("layer \"conv_g3\": groups 3 must divide input channels 8"));
}

void TestEigenBackend::refusesWrongParameterCount()
{
    EigenBackend backend;
    KernelOp op = KernelOp::linear(4);
    op.name = "fc";
    PrepareOptions options;
    options.parameters = {Tensor(Shape{4, 3})}; // bias missing
    const std::vector<Shape> in{{2, 3}};
    const auto prepared = backend.prepare(op, in, options);
    QCOMPARE(QString::fromStdString(prepared.message()), QString("layer \"fc\": expects 2 parameter tensors, got 1"));
}

// y = W x + b with W = [[1, 2], [3, 4]], b = [10, 20], x = [1, 1] is [13, 27].
void TestEigenBackend::usesGivenParameters()
{
    EigenBackend backend;
    PrepareOptions options;
    Tensor w(Shape{2, 2}), b(Shape{2});
    w[0] = 1;
    w[1] = 2;
    w[2] = 3;
    w[3] = 4;
    b[0] = 10;
    b[1] = 20;
    options.parameters = {w, b};
    const std::vector<Shape> in{{1, 2}};
    auto prepared = backend.prepare(KernelOp::linear(2), in, options);
    QVERIFY(prepared.ok());
    Tensor x(in[0]), y;
    x.fill(1.0f);
    QVERIFY(backend.run(prepared.value(), x, y).ok);
    QCOMPARE(y[0], 13.0f);
    QCOMPARE(y[1], 27.0f);
}

// Values worked out by hand, on the Eigen and the reference backend: the plane loops of pad, resize
// and 3-D pooling are shared by both, so the table comparison alone would not catch a wrong rule.
void TestEigenBackend::spatialOpsByHand_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QVector<float>>("weights");
    QTest::addColumn<QVector<float>>("expected");
    QTest::addColumn<int>("variant");
    // x = [1, 2, 3] (or [0, 4] for resize, [1, 2] for the transposed convolution), one channel.
    // Pad left 2, right 1: reflect mirrors without the edge, replicate repeats it, constant writes 0.5.
    QTest::newRow("pad reflect") << int(OpKind::Pad) << QVector<float>{} << QVector<float>{3, 2, 1, 2, 3, 2} << 1;
    QTest::newRow("pad replicate") << int(OpKind::Pad) << QVector<float>{} << QVector<float>{1, 1, 1, 2, 3, 3} << 2;
    QTest::newRow("pad constant 0.5") << int(OpKind::Pad) << QVector<float>{} << QVector<float>{0.5f, 0.5f, 1, 2, 3, 0.5f}
                                      << 0;
    // [0, 4] ×2 nearest: [0, 0, 4, 4]. Linear, half-pixel: sources 0 (clamped), 0.25, 0.75, 1.25 → clamped to
    // the last pixel: [0, 1, 3, 4]. Align corners to 3: sources 0, 0.5, 1: [0, 2, 4].
    QTest::newRow("resize nearest x2") << int(OpKind::Resize) << QVector<float>{} << QVector<float>{0, 0, 4, 4} << 0;
    QTest::newRow("resize linear x2") << int(OpKind::Resize) << QVector<float>{} << QVector<float>{0, 1, 3, 4} << 1;
    QTest::newRow("resize linear align corners") << int(OpKind::Resize) << QVector<float>{} << QVector<float>{0, 2, 4}
                                                 << 2;
    // [1, 2] scattered through w = [1, 10] with stride 2: 1·[1, 10] then 2·[1, 10] → [1, 10, 2, 20]; padding 1
    // crops one from each end: [10, 2].
    QTest::newRow("conv transpose k2 s2") << int(OpKind::ConvTranspose) << QVector<float>{1, 10}
                                          << QVector<float>{1, 10, 2, 20} << 0;
    QTest::newRow("conv transpose k2 s2 p1") << int(OpKind::ConvTranspose) << QVector<float>{1, 10}
                                             << QVector<float>{10, 2} << 1;
    // max over 2×2×2 blocks of 0..7 (D, H, W = 2): 7; average with count_include_pad and padding 1 of a 1×1×1
    // cube with value 8, kernel 2, stride 2: one window, the cell and 7 padding cells: 8/8 = 1.
    QTest::newRow("maxpool3d") << int(OpKind::MaxPoolNd) << QVector<float>{} << QVector<float>{7} << 0;
    QTest::newRow("avgpool3d include pad") << int(OpKind::AvgPoolNd) << QVector<float>{}
                                           << QVector<float>{1} << 1;
    // Sequence kinds, by hand.
    // Embedding: table rows r = [10r, 10r + 1] (V = 3), ids [2, 0, 4 → 4 mod 3 = 1, −1 → 2]:
    // [20, 21, 0, 1, 10, 11, 20, 21].
    QTest::newRow("embedding lookup, wrapped ids") << int(OpKind::Embedding) << QVector<float>{0, 1, 10, 11, 20, 21}
                                                   << QVector<float>{20, 21, 0, 1, 10, 11, 20, 21} << 0;
    // RMSNorm of [3, 4]: mean(x²) = 12.5, √12.5 = 3.5355339; γ = [1, 2]: [0.8485281, 2.2627417].
    QTest::newRow("rmsnorm") << int(OpKind::RMSNorm) << QVector<float>{1, 2}
                             << QVector<float>{0.8485281f, 2.2627417f} << 0;
    // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[19, 22], [43, 50]].
    QTest::newRow("matmul 2x2") << int(OpKind::MatMul) << QVector<float>{5, 6, 7, 8}
                                << QVector<float>{19, 22, 43, 50} << 0;
    // LSTM, H = I = 1, no bias, every W_ih gate 1, every W_hh gate 0.5 (gate order i, f, g, o); x = [1, 2].
    // t=0: pre-activations all 1 → i = f = o = σ(1) = 0.7310586, g = tanh(1) = 0.7615942;
    //      c = 0.7310586·0.7615942 = 0.5567699, h = 0.7310586·tanh(0.5567699) = 0.7310586·0.5055769 = 0.3696064.
    // t=1: pre-activations 2 + 0.5·0.3696064 = 2.1848032 → σ = 0.8988765, tanh = 0.9750039;
    //      c = 0.8988765·0.5567699 + 0.8988765·0.9750039 = 1.3768755,
    //      h = 0.8988765·tanh(1.3768755) = 0.8988765·0.8802497 = 0.7912358.
    QTest::newRow("lstm by hand") << int(OpKind::LSTM) << QVector<float>{1, 0.5f}
                                  << QVector<float>{0.3696064f, 0.7912358f} << 0;
    // GRU, H = I = 1, no bias, W_ih gates (r, z, n) = 1, W_hh gates = 0.5; x = [1, 2], h0 = 0.
    // t=0: r = z = σ(1) = 0.7310586, n = tanh(1 + r·0) = 0.7615942, h = (1 − z)·n = 0.2689414·0.7615942 = 0.2048242.
    // t=1: hidden projections 0.5·0.2048242 = 0.1024121; r = z = σ(2.1024121) = 0.8911374;
    //      n = tanh(2 + 0.8911374·0.1024121) = tanh(2.0912633) = 0.9699389;
    //      h = (1 − 0.8911374)·0.9699389 + 0.8911374·0.2048242 = 0.1055901 + 0.1825265 = 0.2881166.
    QTest::newRow("gru by hand") << int(OpKind::GRU) << QVector<float>{1, 0.5f}
                                 << QVector<float>{0.2048242f, 0.2881166f} << 0;
    // Causal attention, one head of dim 1: q = [1, 1], k = [0, ln 3], v = [4, 8]. Row 0 sees key 0 only:
    // 4. Row 1: scores [0, ln 3] → softmax [1/4, 3/4] → 0.25·4 + 0.75·8 = 7.
    QTest::newRow("causal attention") << int(OpKind::ScaledDotProduct) << QVector<float>{} << QVector<float>{4, 7}
                                      << 0;
    // Rotary embedding, one head of dim 2, q_i = k_j = [1, 0], v_0 = [1, 0], v_1 = [0, 1]. Position p turns
    // the pair by p radians, so q_i·k_j = cos(i − j): row 0 scores [1, cos 1]/√2 = [0.7071068, 0.3820514],
    // softmax [0.5805558, 0.4194442]; row 1 is its mirror.
    QTest::newRow("rotary attention") << int(OpKind::ScaledDotProduct) << QVector<float>{}
                                      << QVector<float>{0.5805558f, 0.4194442f, 0.4194442f, 0.5805558f} << 1;
}

void TestEigenBackend::spatialOpsByHand()
{
    QFETCH(int, kind);
    QFETCH(QVector<float>, weights);
    QFETCH(QVector<float>, expected);
    QFETCH(int, variant);
    KernelOp op = KernelOp::make(static_cast<OpKind>(kind));
    Tensor x;
    std::vector<Tensor> extra; // inputs after the first: MatMul's second operand, attention's K and V
    std::vector<Tensor> params;
    switch (op.kind) {
    case OpKind::Pad:
        op.padMode = static_cast<PadMode>(variant);
        op.padLeft = 2, op.padRight = 1, op.padValue = 0.5f;
        x = Tensor({1, 1, 3});
        x[0] = 1, x[1] = 2, x[2] = 3;
        break;
    case OpKind::Resize:
        op.interpLinear = variant > 0;
        op.alignCorners = variant == 2;
        op.outW = variant == 2 ? 3 : 4;
        op.scaleW = variant == 2 ? 0.f : 2.f;
        x = Tensor({1, 1, 2});
        x[0] = 0, x[1] = 4;
        break;
    case OpKind::Embedding: {
        op.vocab = 3, op.outChannels = 2;
        x = Tensor({1, 4});
        x[0] = 2, x[1] = 0, x[2] = 4, x[3] = -1;
        params.emplace_back(Shape{3, 2});
        std::copy(weights.begin(), weights.end(), params[0].data());
        break;
    }
    case OpKind::RMSNorm:
        x = Tensor({1, 2});
        x[0] = 3, x[1] = 4;
        params.emplace_back(Shape{2});
        std::copy(weights.begin(), weights.end(), params[0].data());
        break;
    case OpKind::MatMul:
        x = Tensor({2, 2});
        x[0] = 1, x[1] = 2, x[2] = 3, x[3] = 4;
        extra.emplace_back(Shape{2, 2});
        std::copy(weights.begin(), weights.end(), extra[0].data());
        break;
    case OpKind::ScaledDotProduct: {
        op.heads = 1;
        const int64_t hd = variant == 0 ? 1 : 2;
        x = Tensor({1, 2, hd});
        Tensor k({1, 2, hd}), v({1, 2, hd});
        if (variant == 0) {
            op.causal = true;
            x[0] = 1, x[1] = 1, k[0] = 0, k[1] = std::log(3.0f), v[0] = 4, v[1] = 8;
        } else {
            op.rope = true;
            x[0] = 1, x[2] = 1, k[0] = 1, k[2] = 1, v[0] = 1, v[3] = 1;
        }
        extra = {k, v};
        break;
    }
    case OpKind::LSTM:
    case OpKind::GRU: {
        op.outChannels = 1, op.bias = false;
        x = Tensor({1, 2, 1});
        x[0] = 1, x[1] = 2;
        const int64_t g = op.kind == OpKind::LSTM ? 4 : 3;
        params.emplace_back(Shape{g, 1});
        params.emplace_back(Shape{g, 1});
        std::fill(params[0].data(), params[0].data() + g, weights[0]);
        std::fill(params[1].data(), params[1].data() + g, weights[1]);
        break;
    }
    case OpKind::ConvTranspose: {
        op.outChannels = 1, op.kw = 2, op.sw = 2, op.bias = false;
        op.padLeft = op.padRight = variant;
        x = Tensor({1, 1, 2});
        x[0] = 1, x[1] = 2;
        Tensor w({1, 1, 2});
        w[0] = weights[0], w[1] = weights[1];
        params.push_back(w);
        break;
    }
    default:
        op.kd = op.kh = op.kw = op.sd = op.sh = op.sw = 2;
        if (variant == 1) {
            op.padFront = op.padBack = op.padTop = op.padBottom = op.padLeft = op.padRight = 1;
            op.countIncludePad = true;
            x = Tensor({1, 1, 1, 1, 1});
            x[0] = 8;
        } else {
            x = Tensor({1, 1, 2, 2, 2});
            for (int i = 0; i < 8; ++i)
                x[i] = static_cast<float>(i);
        }
        break;
    }
    EigenBackend eigen(1);
    ReferenceBackend reference;
    for (Backend* b : {static_cast<Backend*>(&eigen), static_cast<Backend*>(&reference)}) {
        PrepareOptions options;
        options.parameters = params;
        std::vector<Tensor> inputs{x};
        inputs.insert(inputs.end(), extra.begin(), extra.end());
        std::vector<Shape> shapes;
        for (const Tensor& t : inputs)
            shapes.push_back(t.shape());
        auto prepared = b->prepare(op, shapes, options);
        QVERIFY2(prepared.ok(), prepared.message().c_str());
        Tensor y;
        QVERIFY(b->run(prepared.value(), inputs, y));
        QCOMPARE(y.size(), int64_t(expected.size()));
        for (int i = 0; i < expected.size(); ++i)
            QCOMPARE(y[i], expected[i]);
    }
}

QTEST_GUILESS_MAIN(TestEigenBackend)
#include "tst_eigen_backend.moc"
