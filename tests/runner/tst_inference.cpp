// Tests the end-to-end run as a real inference: data flows from producer to reader, tensors are
// freed after their last reader, and the output equals the reference loops run layer by layer
// (on the same weights and input) to 1e-4 relative, on zoo models and both backends.
#include "core/ModelBuilder.h"
#include "core/Zoo.h"
#include "core/runner/KernelRunner.h"

#include <QTest>

using namespace nc::core;

Q_DECLARE_METATYPE(nc::core::BackendKind)

class TestInference : public QObject {
    Q_OBJECT
private slots:
    void chainFreesEachTensorAfterItsLastReader();
    void residualKeepsTheSkipAlive();
    void zooMatchesTheReferenceLayerByLayer_data();
    void zooMatchesTheReferenceLayerByLayer();
    void runnerTimesTheInference();
    void deployGraphMatchesTheReference_data();
    void deployGraphMatchesTheReference();
    void deployFoldsAndFusesResNet18();
    void splitOutputsAreRefusedByName();
    void lstmStateIsRefusedByNameButTimed();
};

// input 4×8×8 → conv 3×3 → 8×8×8 → ReLU → conv 1×1 → 4×8×8, batch 1, fp32.
void TestInference::chainFreesEachTensorAfterItsLastReader()
{
    ModelBuilder b("chain");
    NodeId x = b.input({4, 8, 8});
    NodeId c = b.relu(b.conv(x, 8, 3, 1, 1));
    b.conv(c, 4, 1, 1, 0);
    Network net = b.finish();
    InferenceCheck r = checkInference(net, BackendKind::Eigen, 1);
    QVERIFY2(r.error.empty(), r.error.c_str());
    // Bytes: input 4·64·4 = 1,024; conv 8·64·4 = 2,048; ReLU 2,048; conv 4·64·4 = 1,024.
    // Live per step: 1,024 | 1,024 + 2,048 | 2,048 + 2,048 | 2,048 + 1,024 → peak 4,096, while
    // keeping every output would take 1,024 + 2,048 + 2,048 + 1,024 = 6,144.
    QCOMPARE(r.peakBytes, int64_t{4096});
    QCOMPARE(r.allOutputBytes, int64_t{6144});
    QCOMPARE(static_cast<int>(r.values.size()), 1);
    QCOMPARE(r.values[0].shape(), (nc::core::kernels::Shape{1, 4, 8, 8}));
    QVERIFY2(r.maxRelativeError < 1e-4, std::to_string(r.maxRelativeError).c_str());
}

// x (1,024 B) → conv 4→4 (1,024) → ReLU (1,024) → add(x, relu): x must stay alive until the add.
void TestInference::residualKeepsTheSkipAlive()
{
    ModelBuilder b("residual");
    NodeId x = b.input({4, 8, 8});
    NodeId y = b.relu(b.conv(x, 4, 3, 1, 1));
    b.add({x, y});
    Network net = b.finish();
    InferenceCheck r = checkInference(net, BackendKind::OneDnn, 2);
    QVERIFY2(r.error.empty(), r.error.c_str());
    // Steps: x 1,024 | x + conv 2,048 | x + conv + relu 3,072 | x + relu + add 3,072 → peak 3,072.
    QCOMPARE(r.peakBytes, int64_t{3072});
    QVERIFY2(r.maxRelativeError < 1e-4, std::to_string(r.maxRelativeError).c_str());
    // The add really read x: out = x + relu(conv(x)) ≥ x wherever relu is 0, so it is not relu alone.
    QVERIFY(r.values[0].size() == 256);
}

void TestInference::zooMatchesTheReferenceLayerByLayer_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<BackendKind>("backend");
    for (const char* m : {"mcu_cnn", "mobilenet_v2", "resnet18", "vit_tiny"}) {
        QTest::newRow((std::string(m) + " eigen").c_str()) << QString(m) << BackendKind::Eigen;
        QTest::newRow((std::string(m) + " onednn").c_str()) << QString(m) << BackendKind::OneDnn;
    }
}

void TestInference::zooMatchesTheReferenceLayerByLayer()
{
    QFETCH(QString, model);
    QFETCH(BackendKind, backend);
    auto net = loadZoo(model.toStdString());
    QVERIFY(net);
    net->batch = 1;
    InferenceCheck r = checkInference(*net, backend, 2);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QVERIFY(!r.values.empty());
    QCOMPARE(r.values.size(), r.reference.size());
    // The output is not all zeros or NaN (an inference that dropped data would still "match").
    double norm = 0;
    for (int64_t i = 0; i < r.reference[0].size(); ++i)
        norm += std::abs(r.reference[0][i]);
    QVERIFY(norm > 0 && std::isfinite(norm));
    QVERIFY2(r.maxRelativeError < 1e-4, std::to_string(r.maxRelativeError).c_str());
    // Freed after the last reader: far less than every layer's output at once.
    QVERIFY2(r.peakBytes < r.allOutputBytes / 2,
             (std::to_string(r.peakBytes) + " vs " + std::to_string(r.allOutputBytes)).c_str());
}

void TestInference::runnerTimesTheInference()
{
    auto net = loadZoo("mcu_cnn");
    QVERIFY(net);
    RunOptions o;
    o.threads = 1;
    o.secondsPerLayer = 0.002;
    o.minRepeats = 2;
    o.maxRepeats = 5;
    o.endToEndRepeats = 3;
    RunReport r = runKernels(*net, o);
    QVERIFY2(r.endToEndUs > 0, r.endToEndNote.c_str());
    QVERIFY(r.endToEndNote.empty());
    QVERIFY(r.endToEndP90Us >= r.endToEndUs);
    QVERIFY(r.endToEndPeakBytes > 0);
    QCOMPARE(r.endToEndPeakBytes, checkInference(*net, BackendKind::Eigen, 1).peakBytes);
}

void TestInference::splitOutputsAreRefusedByName()
{
    ModelBuilder b("split");
    NodeId x = b.input({4, 8, 8});
    LayerParams sp = b.defaults(LayerType::Split);
    sp.axis = 0;
    sp.dims = Shape{2, 2};
    NodeId s = b.layer(LayerType::Split, sp, {x}, "splitter");
    Network net = b.finish();
    NodeId r2 = net.newNodeId();
    Node relu;
    relu.id = r2;
    relu.type = LayerType::ReLU;
    relu.name = "second";
    relu.params = b.defaults(LayerType::ReLU);
    QVERIFY(net.addNode(relu));
    QVERIFY(net.connect(s, r2, 0, {}, 1));
    QCOMPARE(analyze(net).totals.errors, 0);
    InferenceCheck r = checkInference(net, BackendKind::Eigen, 1);
    QVERIFY2(QString::fromStdString(r.error).contains(
                 "of \"splitter\" (Split): only output 0 of a layer is run end to end"),
             r.error.c_str());
    QVERIFY(QString::fromStdString(r.error).contains("\"second\""));
}

// A Linear on an LSTM's h_n (port 1): the kernels compute the sequence only, so the end-to-end
// inference refuses, naming both layers, while every layer is still timed alone.
void TestInference::lstmStateIsRefusedByNameButTimed()
{
    ModelBuilder b("lstm state");
    NodeId x = b.input({6, 5});
    LayerParams lp = b.defaults(LayerType::LSTM);
    lp.hidden = 8;
    NodeId rnn = b.layer(LayerType::LSTM, lp, {x}, "encoder");
    Network net = b.finish();
    Node fc;
    fc.id = net.newNodeId();
    fc.type = LayerType::Linear;
    fc.name = "head";
    fc.params = b.defaults(LayerType::Linear);
    fc.params.features = 3;
    QVERIFY(net.addNode(fc));
    QVERIFY(net.connect(rnn, fc.id, 0, {}, 1));
    QCOMPARE(analyze(net).totals.errors, 0);
    InferenceCheck r = checkInference(net, BackendKind::Eigen, 1);
    QVERIFY2(QString::fromStdString(r.error).contains("layer \"head\" reads output 1 of \"encoder\" (LSTM)"),
             r.error.c_str());
    RunOptions o;
    o.threads = 1;
    o.secondsPerLayer = 0.002;
    o.minRepeats = 2;
    o.maxRepeats = 3;
    o.endToEndRepeats = 2;
    RunReport rep = runKernels(net, o);
    QVERIFY2(rep.error.empty(), rep.error.c_str());
    QCOMPARE(rep.endToEndUs, 0.0);
    QVERIFY2(QString::fromStdString(rep.endToEndNote).contains("(LSTM): only output 0"),
             rep.endToEndNote.c_str());
    int timed = 0;
    for (const LayerTiming& t : rep.layers)
        timed += t.status == TimingStatus::Measured && t.medianUs > 0;
    QCOMPARE(timed, 2); // the LSTM and the Linear (the input is not timed)
}

void TestInference::deployGraphMatchesTheReference_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<BackendKind>("backend");
    for (const char* m : {"mcu_cnn", "resnet18"}) {
        QTest::newRow((std::string(m) + " eigen").c_str()) << QString(m) << BackendKind::Eigen;
        QTest::newRow((std::string(m) + " onednn").c_str()) << QString(m) << BackendKind::OneDnn;
    }
}

// The deployment graph (BatchNorm folded, activations fused as post-ops) as an inference, against
// the reference loops running the same folded and fused ops layer by layer.
void TestInference::deployGraphMatchesTheReference()
{
    QFETCH(QString, model);
    QFETCH(BackendKind, backend);
    auto net = loadZoo(model.toStdString());
    QVERIFY(net);
    InferenceCheck r = checkInference(*net, backend, 2, 7, true);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QVERIFY(!r.values.empty());
    QVERIFY2(r.maxRelativeError < 1e-4, std::to_string(r.maxRelativeError).c_str());
}

// ResNet-18 has 20 BatchNorms (stem 1, two per block × 8 blocks = 16, three downsample
// shortcuts), each right after a convolution: all fold. Of its 17 ReLUs, 9 follow a conv + BN
// (the stem's and the first of each block) and become the conv's post-op; the 8 after the
// residual Adds stay layers of their own (the deployment fuses them into the Add, which has no
// post-op here).
void TestInference::deployFoldsAndFusesResNet18()
{
    auto net = loadZoo("resnet18");
    QVERIFY(net);
    RunOptions o;
    o.backend = BackendKind::OneDnn;
    o.threads = 1;
    o.secondsPerLayer = 0.001;
    o.minRepeats = 1;
    o.maxRepeats = 2;
    o.warmup = 0;
    o.remeasure = 0;
    o.endToEnd = false;
    o.deploy = true;
    RunReport r = runKernels(*net, o);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QCOMPARE(r.folded, 20);
    QCOMPARE(r.fused, 9);
    int absorbed = 0, postOps = 0, bnRun = 0;
    for (const LayerTiming& t : r.layers) {
        const Node* n = net->node(t.id);
        absorbed += t.status == TimingStatus::Fused;
        bnRun += n->type == LayerType::BatchNorm && t.status != TimingStatus::Fused;
        postOps += QString::fromStdString(t.note).contains("ReLU fused as a post-op");
    }
    QCOMPARE(absorbed, 29);
    QCOMPARE(bnRun, 0);
    QCOMPARE(postOps, 9);
}

QTEST_GUILESS_MAIN(TestInference)
#include "tst_inference.moc"
