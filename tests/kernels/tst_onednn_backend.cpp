// Every layer of the oneDNN backend against the reference loops, on 1 and 3 threads, and its fallbacks.
#include "KernelCases.h"

#include <QtTest>

#include <omp.h>

using namespace nc::core::kernels;
using namespace nc::core::kernels::testing;

class TestOneDnnBackend : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void matchesReference_data();
    void matchesReference();
    void reportsMapping_data();
    void reportsMapping();
    void usesOpenMpRuntime();
    void threadCountReachesOpenMp_data();
    void threadCountReachesOpenMp();
    void layoutInputsMatchThePlainRun_data();
    void layoutInputsMatchThePlainRun();
    void learnedOperandByHand_data();
    void learnedOperandByHand();
};

void TestOneDnnBackend::initTestCase()
{
    qInfo("%s", OneDnnBackend::runtimeDescription().c_str());
}

void TestOneDnnBackend::matchesReference_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<int>("threads");
    const auto& cases = kernelCases();
    for (int threads : {1, 3})
        for (std::size_t i = 0; i < cases.size(); ++i)
            QTest::newRow((cases[i].name + "/t" + std::to_string(threads)).c_str()) << static_cast<int>(i) << threads;
}

void TestOneDnnBackend::matchesReference()
{
    QFETCH(int, index);
    QFETCH(int, threads);
    OneDnnBackend backend(threads);
    std::string note;
    const Comparison cmp = checkAgainstReference(backend, kernelCases()[static_cast<std::size_t>(index)], &note);
    QVERIFY2(cmp.ok, (cmp.message + " [" + note + "]").c_str());
}

// What each layer maps to, and that every fallback says so in the note.
void TestOneDnnBackend::reportsMapping_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<QString>("fragment");
    const auto& cases = kernelCases();
    auto row = [&](const char* name, const char* fragment) {
        for (std::size_t i = 0; i < cases.size(); ++i)
            if (cases[i].name == name)
                QTest::newRow(name) << static_cast<int>(i) << QString(fragment);
    };
    row("conv3x3_pad1", "onednn: convolution");
    row("conv_reflect_pad1", "pad kernel (fallback)");
    row("conv_replicate_pad2_stride2", "pad kernel (fallback)");
    row("depthwise3x3", "onednn: convolution");
    row("linear_batch", "inner_product");
    row("maxpool_ceil", "pooling_v2");
    row("avgpool_ceil_exclude_pad", "pooling_v2");
    row("avgpool_ceil_include_pad_overhang", "fallback to our kernels");
    row("adaptive_avgpool_dividing", "pooling_v2");
    row("adaptive_avgpool_non_dividing", "fallback to our kernels");
    row("batchnorm", "global stats");
    row("instancenorm", "(instance norm)");
    row("groupnorm_4_groups", "(group norm)");
    row("layernorm_tokens", "layer_normalization");
    row("gelu", "eltwise");
    row("softmax_axis1_nchw", "softmax");
    row("add_first_input_broadcast", "sources swapped");
    row("add_both_broadcast", "fallback to our kernels");
    row("concat_channels", "concat");
    row("attention_3_heads", "matmul");
    row("conv1d_k80_s4", "onednn: convolution");
    row("conv1d_reflect_dilated_asymmetric", "fallback to our kernels");
    row("conv3d_k3_pad1", "onednn: convolution");
    row("convT2d_k3_s2_p1_outpad1_groups2", "onednn: deconvolution");
    row("convT1d_k4_s2_p1", "onednn: deconvolution");
    row("maxpool3d_2", "pooling_v2");
    row("global_maxpool_2d", "pooling_v2");
    row("resize_bilinear_x2", "resampling");
    row("resize_nearest_x2", "resampling");
    row("resize_bilinear_align_corners", "fallback to our kernels");
    row("resize_nearest_x1_5", "fallback to our kernels");
    row("pad_reflect", "fallback to our kernels");
    row("conv_fused_relu", "ReLU fused as a post-op");
    row("linear_fused_gelu", "GELU fused as a post-op");
    row("conv_fused_hard_sigmoid", "fallback to our kernels"); // no hard sigmoid in oneDNN 2.6
    // Recurrent layers: oneDNN's own RNN primitives, grouped as buildRnn explains.
    row("lstm_1layer", "lstm_forward");
    row("lstm_2layer", "2 primitive(s) of 1 + 1 layer(s)");
    row("lstm_2layer_bidirectional", "2 primitive(s) of 1 + 1 layer(s)");
    row("lstm_3layer_same_width", "1 primitive(s) of 3 layer(s)");
    row("lstm_bidirectional_nobias", "lstm_forward");
    row("lstm_2layer_nobias", "2 primitive(s) of 1 + 1 layer(s)");
    row("gru_1layer", "lbr_gru_forward");
    row("add_learned_layer_scale", "learned operand as a constant source");
    row("mul_learned_table", "learned operand as a constant source");
    row("mul_learned_wider_than_input", "fallback to our kernels");
    row("gru_2layer_bidirectional", "lbr_gru_forward");
    row("gru_3layer_same_width_nobias", "1 primitive(s) of 3 layer(s)");
}

void TestOneDnnBackend::reportsMapping()
{
    QFETCH(int, index);
    QFETCH(QString, fragment);
    const KernelCase& c = kernelCases()[static_cast<std::size_t>(index)];
    OneDnnBackend backend;
    auto prepared = backend.prepare(c.op, c.inputs);
    QVERIFY2(prepared.ok(), prepared.message().c_str());
    QVERIFY2(QString::fromStdString(prepared.value().note()).contains(fragment), prepared.value().note().c_str());
}

void TestOneDnnBackend::usesOpenMpRuntime()
{
    // Thread control (omp_set_num_threads) relies on this; a TBB build would need another path.
    QVERIFY2(OneDnnBackend::runtimeDescription().find("CPU runtime OpenMP") != std::string::npos,
             OneDnnBackend::runtimeDescription().c_str());
}

void TestOneDnnBackend::threadCountReachesOpenMp_data()
{
    QTest::addColumn<int>("threads");
    QTest::newRow("1 thread") << 1;
    QTest::newRow("2 threads") << 2;
    QTest::newRow("3 threads") << 3;
}

// oneDNN sizes its OpenMP team from omp_get_max_threads() of the calling thread; after a run the
// backend's setting must be what that function reports.
void TestOneDnnBackend::threadCountReachesOpenMp()
{
    QFETCH(int, threads);
    OneDnnBackend backend(threads);
    const std::vector<Shape> in{{1, 8, 6, 6}};
    auto prepared = backend.prepare(KernelOp::conv2d(8, 3, 1, 1), in);
    QVERIFY(prepared.ok());
    omp_set_num_threads(7);
    Tensor x = Tensor::random(in[0], 3), y;
    QVERIFY(backend.run(prepared.value(), x, y).ok);
    QCOMPARE(omp_get_max_threads(), threads);
}

namespace {

// NCHW → the layout's order (channels-last; 16-channel blocks nChw16c), and back: the same
// permutations oneDNN's nhwc and nChw16c describe, written out by hand.
int64_t layoutOffset(const Shape& s, Layout l, int64_t n, int64_t c, int64_t h, int64_t w)
{
    const int64_t C = s[1], H = s[2], W = s[3];
    if (l == Layout::ChannelsLast)
        return ((n * H + h) * W + w) * C + c;
    if (l == Layout::Blocked16)
        return (((n * (C / 16) + c / 16) * H + h) * W + w) * 16 + c % 16;
    return ((n * C + c) * H + h) * W + w;
}
Tensor convert(const Tensor& x, Layout from, Layout to)
{
    Tensor y(x.shape());
    const Shape& s = x.shape();
    for (int64_t n = 0; n < s[0]; ++n)
        for (int64_t c = 0; c < s[1]; ++c)
            for (int64_t h = 0; h < s[2]; ++h)
                for (int64_t w = 0; w < s[3]; ++w)
                    y[layoutOffset(s, to, n, c, h, w)] = x[layoutOffset(s, from, n, c, h, w)];
    return y;
}

} // namespace

void TestOneDnnBackend::layoutInputsMatchThePlainRun_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("layout");
    QTest::addColumn<bool>("keep");
    const std::pair<OpKind, const char*> kinds[] = {
        {OpKind::MaxPool, "maxpool"}, {OpKind::AvgPool, "avgpool"}, {OpKind::GlobalAvgPool, "gap"},
        {OpKind::BatchNorm, "bn"},    {OpKind::ReLU, "relu"},       {OpKind::Add, "add"},
        {OpKind::Concat, "concat"},   {OpKind::AdaptiveAvgPool, "adaptive"}};
    for (const auto& [k, name] : kinds)
        for (Layout l : {Layout::ChannelsLast, Layout::Blocked16})
            for (bool keep : {false, true})
                QTest::newRow((std::string(name) + (l == Layout::ChannelsLast ? " nhwc" : " nChw16c") +
                               (keep ? " kept" : " to plain"))
                                  .c_str())
                    << static_cast<int>(k) << static_cast<int>(l) << keep;
}

// A pool, BatchNorm, activation, Add, Concat whose input arrives in a oneDNN layout computes the
// same values as the reference on the plain tensor; its output is in that layout when kept (and
// the prepared op says so), plain otherwise (and always for a 1×1 output: the same bytes). Add and
// Concat get their second input plain, so it is reordered to the first's layout.
void TestOneDnnBackend::layoutInputsMatchThePlainRun()
{
    QFETCH(int, kind);
    QFETCH(int, layout);
    QFETCH(bool, keep);
    const auto k = static_cast<OpKind>(kind);
    const auto l = static_cast<Layout>(layout);
    KernelOp op = KernelOp::make(k);
    std::vector<Shape> shapes{{2, 32, 9, 9}};
    if (k == OpKind::MaxPool || k == OpKind::AvgPool)
        op = KernelOp::pool(k, 3, 2, 1);
    if (k == OpKind::AdaptiveAvgPool)
        op.outH = op.outW = 3;
    if (k == OpKind::Add)
        shapes.push_back(shapes[0]);
    if (k == OpKind::Concat)
        shapes.push_back({2, 16, 9, 9});
    op.inputLayouts = {l};
    op.keepOutputLayout = keep;
    OneDnnBackend onednn(2);
    ReferenceBackend reference;
    auto p = onednn.prepare(op, shapes);
    QVERIFY2(p.ok(), p.message().c_str());
    PrepareOptions same;
    same.parameters = p.value().parameters();
    KernelOp plainOp = op;
    plainOp.inputLayouts.clear();
    plainOp.keepOutputLayout = false;
    auto q = reference.prepare(plainOp, shapes, same);
    QVERIFY2(q.ok(), q.message().c_str());
    std::vector<Tensor> plain, arranged;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        plain.push_back(Tensor::random(shapes[i], 11 + i));
        arranged.push_back(i == 0 ? convert(plain[i], Layout::Plain, l) : plain[i]);
    }
    Tensor got, want;
    QVERIFY(onednn.run(p.value(), arranged, got).ok);
    QVERIFY(reference.run(q.value(), plain, want).ok);
    const Shape& out = p.value().outputShape();
    const bool pointwise = out[2] * out[3] == 1;
    QCOMPARE(p.value().outputLayout(), keep && !pointwise ? l : Layout::Plain);
    if (p.value().outputLayout() != Layout::Plain)
        got = convert(got, l, Layout::Plain);
    const Comparison cmp = compareTensors(got, want);
    QVERIFY2(cmp.ok, (cmp.message + " [" + p.value().note() + "]").c_str());
    QVERIFY2(p.value().note().find("fallback") == std::string::npos, p.value().note().c_str());
}

void TestOneDnnBackend::learnedOperandByHand_data()
{
    QTest::addColumn<QString>("backend");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QVector<float>>("expected");
    // x = [1 2; 3 4] as [1, 2 channels, 1, 2], γ = (2, 3) per channel as [1, 2, 1, 1]:
    //   x·γ = [1·2 2·2; 3·3 4·3] = [2 4; 9 12],  x + γ = [1+2 2+2; 3+3 4+3] = [3 4; 6 7].
    for (const char* b : {"reference", "eigen", "onednn"}) {
        QTest::newRow((std::string(b) + " mul").c_str())
            << QString(b) << static_cast<int>(OpKind::Mul) << QVector<float>{2, 4, 9, 12};
        QTest::newRow((std::string(b) + " add").c_str())
            << QString(b) << static_cast<int>(OpKind::Add) << QVector<float>{3, 4, 6, 7};
    }
}

void TestOneDnnBackend::learnedOperandByHand()
{
    QFETCH(QString, backend);
    QFETCH(int, kind);
    QFETCH(QVector<float>, expected);
    ReferenceBackend reference;
    EigenBackend eigen;
    OneDnnBackend onednn;
    Backend& be = backend == "reference" ? static_cast<Backend&>(reference)
                  : backend == "eigen"   ? static_cast<Backend&>(eigen)
                                         : static_cast<Backend&>(onednn);
    KernelOp op = KernelOp::make(static_cast<OpKind>(kind));
    op.operand = {1, 2, 1, 1};
    PrepareOptions o;
    Tensor gamma(Shape{1, 2, 1, 1});
    gamma[0] = 2;
    gamma[1] = 3;
    o.parameters = {gamma};
    const std::vector<Shape> shapes{{1, 2, 1, 2}};
    auto p = be.prepare(op, shapes, o);
    QVERIFY2(p.ok(), p.message().c_str());
    Tensor x(shapes[0]), y;
    for (int i = 0; i < 4; ++i)
        x[i] = static_cast<float>(i + 1);
    QVERIFY(be.run(p.value(), x, y).ok);
    QCOMPARE(y.shape(), shapes[0]);
    for (int i = 0; i < 4; ++i)
        QCOMPARE(y[i], expected[i]);
    // The operand is a parameter like a weight: one tensor of its shape; a second input is refused.
    QCOMPARE(p.value().parameters().size(), std::size_t(1));
    const std::vector<Shape> two{{1, 2, 1, 2}, {1, 2, 1, 2}};
    QVERIFY(!be.prepare(op, two, o).ok());
}

QTEST_GUILESS_MAIN(TestOneDnnBackend)
#include "tst_onednn_backend.moc"
