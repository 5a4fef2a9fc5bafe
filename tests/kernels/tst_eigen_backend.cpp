// Every layer of the Eigen backend against the reference loops, on 1 and 3 threads, and its algorithm choices.
#include "KernelCases.h"

#include <QtTest>

using namespace nc::core::kernels;
using namespace nc::core::kernels::testing;

class TestEigenBackend : public QObject {
    Q_OBJECT

private slots:
    void matchesReference_data();
    void matchesReference();
    void choosesAlgorithm_data();
    void choosesAlgorithm();
    void refusesForeignPreparedOp();
    void refusesWrongInputShape();
    void refusesInvalidLayer();
    void refusesWrongParameterCount();
    void usesGivenParameters();
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
    row("conv3x3_pad1", "packed im2col");
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

QTEST_GUILESS_MAIN(TestEigenBackend)
#include "tst_eigen_backend.moc"
