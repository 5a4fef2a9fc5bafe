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

QTEST_GUILESS_MAIN(TestOneDnnBackend)
#include "tst_onednn_backend.moc"
