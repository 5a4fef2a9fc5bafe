// Tests the end-to-end run as a real inference: data flows from producer to reader, tensors are
// freed after their last reader, and the output equals the reference loops run layer by layer
// (on the same weights and input) to 1e-4 relative, on zoo models and both backends.
#include "core/ModelBuilder.h"
#include "core/Zoo.h"
#include "core/runner/KernelRunner.h"

#include <QTest>

#include <algorithm>
#include <cmath>

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
    void splitPiecesFlowToTheirReaders_data();
    void splitPiecesFlowToTheirReaders();
    void recurrentStatesFlowToTheirReaders_data();
    void recurrentStatesFlowToTheirReaders();
    void lstmStateRunsEndToEnd();
    void blockedLayoutsKeptBetweenConvolutions();
    void blockedLayoutsOnZooModels_data();
    void blockedLayoutsOnZooModels();
    void layoutsKeptThroughPoolsAndResidualAdds();
    void learnedOperandRunsEndToEnd_data();
    void learnedOperandRunsEndToEnd();
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

// x 4×8×8 → Split(axis 0: 1, 3) → port 0 → ReLU "a", port 1 → ReLU "b". The pieces are checked
// against the input itself (regenerated from its seed: input seed 7 + schedule index 0), so the
// Split copy is tested by hand, not only against the reference run that shares it.
void TestInference::splitPiecesFlowToTheirReaders_data()
{
    QTest::addColumn<BackendKind>("backend");
    QTest::newRow("eigen") << BackendKind::Eigen;
    QTest::newRow("onednn") << BackendKind::OneDnn;
}

void TestInference::splitPiecesFlowToTheirReaders()
{
    QFETCH(BackendKind, backend);
    ModelBuilder b("split");
    NodeId x = b.input({4, 8, 8});
    LayerParams sp = b.defaults(LayerType::Split);
    sp.axis = 0;
    sp.dims = Shape{1, 3};
    NodeId s = b.layer(LayerType::Split, sp, {x}, "splitter");
    b.relu(s);
    Network net = b.finish();
    Node relu;
    relu.id = net.newNodeId();
    relu.type = LayerType::ReLU;
    relu.name = "second";
    relu.params = b.defaults(LayerType::ReLU);
    QVERIFY(net.addNode(relu));
    QVERIFY(net.connect(s, relu.id, 0, {}, 1));
    QCOMPARE(analyze(net).totals.errors, 0);
    InferenceCheck r = checkInference(net, backend, 2);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QCOMPARE(static_cast<int>(r.values.size()), 2);
    QVERIFY2(r.maxRelativeError < 1e-4, std::to_string(r.maxRelativeError).c_str());
    const auto in = nc::core::kernels::Tensor::random({1, 4, 8, 8}, 7);
    // Outputs in schedule order: one is relu(x[0:1]) (64 values), the other relu(x[1:4]) (192).
    for (const auto& v : r.values) {
        QVERIFY(v.size() == 64 || v.size() == 192);
        const int64_t offset = v.size() == 64 ? 0 : 64; // channel 1 starts at 1·8·8
        for (int64_t e = 0; e < v.size(); ++e)
            QCOMPARE(v[e], std::max(0.0f, in[offset + e]));
    }
}

// LSTM or GRU (2 layers, H = 8) on x 6×5: the sequence output (port 0) goes to a ReLU, h_n
// (port 1, (2·dirs)×8, layer-major, forward before reverse) to another; h_n + c_n (GRU: h_n + h_n)
// is sliced to its last layer's rows and fed to a Linear — PyTorch's fc(h_n[-1]) classifier.
// PyTorch semantics checked by hand: the last layer's forward h_n row is its output at the last
// step, seq[T−1, 0:8]; its reverse row (bidirectional) is its output at the first step, seq[0, 8:16].
void TestInference::recurrentStatesFlowToTheirReaders_data()
{
    QTest::addColumn<BackendKind>("backend");
    QTest::addColumn<bool>("gru");
    QTest::addColumn<bool>("bidirectional");
    for (BackendKind be : {BackendKind::Eigen, BackendKind::OneDnn})
        for (bool gru : {false, true})
            for (bool bi : {false, true})
                QTest::newRow((std::string(be == BackendKind::Eigen ? "eigen" : "onednn") + (gru ? " gru" : " lstm") +
                               (bi ? " bidirectional" : ""))
                                  .c_str())
                    << be << gru << bi;
}

void TestInference::recurrentStatesFlowToTheirReaders()
{
    QFETCH(BackendKind, backend);
    QFETCH(bool, gru);
    QFETCH(bool, bidirectional);
    const LayerType kind = gru ? LayerType::GRU : LayerType::LSTM;
    const int dirs = bidirectional ? 2 : 1;
    ModelBuilder b("recurrent states");
    NodeId x = b.input({6, 5});
    LayerParams lp = b.defaults(kind);
    lp.hidden = 8;
    lp.layers = 2;
    lp.bidirectional = bidirectional ? 1 : 0;
    NodeId rnn = b.layer(kind, lp, {x}, "encoder");
    b.relu(rnn); // output 0: relu(seq), 6×(8·dirs)
    Network net = b.finish();
    auto add = [&](LayerType t, const std::string& name, LayerParams p) {
        Node n;
        n.id = net.newNodeId();
        n.type = t;
        n.name = name;
        n.params = std::move(p);
        return net.addNode(n) ? n.id : NodeId{};
    };
    NodeId hRelu = add(LayerType::ReLU, "h_relu", b.defaults(LayerType::ReLU));
    QVERIFY(net.connect(rnn, hRelu, 0, {}, 1)); // output 1: relu(h_n)
    NodeId sum = add(LayerType::Add, "h_plus_c", b.defaults(LayerType::Add));
    QVERIFY(net.connect(rnn, sum, 0, {}, 1));
    QVERIFY(net.connect(rnn, sum, 1, {}, gru ? 1 : 2));
    LayerParams sl = b.defaults(LayerType::Slice);
    sl.axis = 0;
    sl.sliceStart = -dirs; // the last layer's rows
    sl.sliceEnd = 2 * dirs;
    sl.sliceStep = 1;
    NodeId last = add(LayerType::Slice, "last_layer", sl);
    QVERIFY(net.connect(sum, last, 0));
    LayerParams fp = b.defaults(LayerType::Linear);
    fp.features = 3;
    NodeId fc = add(LayerType::Linear, "head", fp);
    QVERIFY(net.connect(last, fc, 0));
    QCOMPARE(analyze(net).totals.errors, 0);
    InferenceCheck r = checkInference(net, backend, 2);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QCOMPARE(static_cast<int>(r.values.size()), 3); // relu(seq), relu(h_n), head
    QVERIFY2(r.maxRelativeError < 1e-4, std::to_string(r.maxRelativeError).c_str());
    const int64_t w = 8 * dirs;
    const nc::core::kernels::Tensor *seq = nullptr, *h = nullptr, *head = nullptr;
    for (const auto& v : r.values)
        (v.size() == 6 * w ? seq : v.size() == 2 * w ? h : head) = &v;
    QVERIFY(seq && h && head);
    QCOMPARE(head->shape(), (nc::core::kernels::Shape{1, dirs, 3}));
    for (int j = 0; j < 8; ++j) {
        QCOMPARE((*h)[dirs * 8 + j], (*seq)[5 * w + j]); // last layer forward = seq[T−1, j]
        if (bidirectional)
            QCOMPARE((*h)[3 * 8 + j], (*seq)[0 * w + 8 + j]); // last layer reverse = seq[0, 8 + j]
    }
    double norm = 0;
    for (int64_t e = 0; e < head->size(); ++e)
        norm += std::abs((*head)[e]);
    QVERIFY(norm > 0);
}

// The runner times every layer and the whole inference of a design reading h_n.
void TestInference::lstmStateRunsEndToEnd()
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
    RunOptions o;
    o.threads = 1;
    o.secondsPerLayer = 0.002;
    o.minRepeats = 2;
    o.maxRepeats = 3;
    o.endToEndRepeats = 2;
    RunReport rep = runKernels(net, o);
    QVERIFY2(rep.error.empty(), rep.error.c_str());
    QVERIFY2(rep.endToEndUs > 0, rep.endToEndNote.c_str());
    int timed = 0;
    for (const LayerTiming& t : rep.layers)
        timed += t.status == TimingStatus::Measured && t.medianUs > 0;
    QCOMPARE(timed, 2); // the LSTM and the Linear (the input is not timed)
}

// input 16×8×8 → conv 3×3 → 32×8×8 → conv 3×3 → 32×8×8 → conv 1×1 → 16×8×8 on oneDNN: conv 1 reads
// the plain input; conv 1's and conv 2's outputs are read only by convolutions, so they stay in
// oneDNN's layout (every oneDNN CPU implementation of a direct fp32 convolution prefers a
// channels-last or channel-blocked one to NCHW) and conv 2 and conv 3 read them so (2 links); conv
// 3's output is the network output, plain. The result still matches the plain reference to 1e-4.
void TestInference::blockedLayoutsKeptBetweenConvolutions()
{
    ModelBuilder b("blocked chain");
    NodeId x = b.input({16, 8, 8});
    b.conv(b.conv(b.conv(x, 32, 3, 1, 1), 32, 3, 1, 1), 16, 1, 1, 0);
    Network net = b.finish();
    InferenceCheck r = checkInference(net, BackendKind::OneDnn, 2);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QCOMPARE(r.blockedLinks, 2);
    QVERIFY2(r.maxRelativeError < 1e-4, std::to_string(r.maxRelativeError).c_str());
    InferenceCheck plain = checkInference(net, BackendKind::OneDnn, 2, 7, false, false);
    QCOMPARE(plain.blockedLinks, 0);
    QVERIFY2(plain.maxRelativeError < 1e-4, std::to_string(plain.maxRelativeError).c_str());
    // Eigen never uses the blocked layout.
    QCOMPARE(checkInference(net, BackendKind::Eigen, 1).blockedLinks, 0);
}

// Deployed ResNet-18 and MobileNetV2 on oneDNN keep blocked layouts on their conv→conv links (with
// BatchNorms folded and activations fused in between) and still match the reference to 1e-4.
// Links (layer inputs read in a oneDNN layout) counted by hand for ResNet-18 (-1: only "some").
// Deployed: the stem's maxpool 1; a basic block conv1 1, conv2 1, the residual add 2 (conv2 and the
// shortcut), its ReLU 1 = 5, plus 1 for a downsampling conv: 2·5 (layer1) + 3·(6 + 5) = 43; the
// global pool 1 — 1 + 43 + 1 = 45. As drawn the BatchNorms and ReLUs are layers too: stem BN, ReLU,
// maxpool 3; a block conv1, bn1, relu, conv2, bn2 1 each, add 2, relu 1 = 8, a downsampling one 10:
// 2·8 + 3·(10 + 8) = 70; the global pool 1 — 3 + 70 + 1 = 74. Only the stem convolution reads the
// plain image, and only the classifier (after the 1×1 pool and the flatten) reads plain.
void TestInference::blockedLayoutsOnZooModels_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<bool>("deploy");
    QTest::addColumn<int>("links");
    QTest::newRow("mobilenet_v2 deployed") << "mobilenet_v2" << true << -1;
    QTest::newRow("resnet18 deployed") << "resnet18" << true << 45;
    QTest::newRow("resnet18 as drawn") << "resnet18" << false << 74;
}

void TestInference::blockedLayoutsOnZooModels()
{
    QFETCH(QString, model);
    QFETCH(bool, deploy);
    QFETCH(int, links);
    auto net = loadZoo(model.toStdString());
    QVERIFY(net);
    net->batch = 1;
    InferenceCheck r = checkInference(*net, BackendKind::OneDnn, 2, 7, deploy);
    QVERIFY2(r.error.empty(), r.error.c_str());
    if (links < 0)
        QVERIFY2(r.blockedLinks > 0, std::to_string(r.blockedLinks).c_str());
    else
        QCOMPARE(r.blockedLinks, links);
    QVERIFY2(r.maxRelativeError < 1e-4, std::to_string(r.maxRelativeError).c_str());
    // The same inference with NCHW between layers: no link, same output to 1e-4.
    InferenceCheck plain = checkInference(*net, BackendKind::OneDnn, 2, 7, deploy, false);
    QVERIFY2(plain.error.empty(), plain.error.c_str());
    QCOMPARE(plain.blockedLinks, 0);
    double err = 0, scale = 0;
    for (size_t o = 0; o < r.values.size(); ++o)
        for (int64_t e = 0; e < r.values[o].size(); ++e) {
            err = std::max(err, std::abs(double(r.values[o][e]) - plain.values[o][e]));
            scale = std::max(scale, std::abs(double(plain.values[o][e])));
        }
    QVERIFY2(err <= 1e-4 * scale, (std::to_string(err) + " of " + std::to_string(scale)).c_str());
}

// input 16×8×8 → conv 3×3 → 32×8×8 → BatchNorm → ReLU → maxpool 2×2 → 32×4×4 ─┬→ conv 3×3 → Add → ReLU
// → global pool → flatten → linear, the Add's second input the maxpool (a residual). As drawn on
// oneDNN: the convolution leaves its output in its own layout and everything after it reads it so:
// BN 1, ReLU 1, maxpool 1, conv 1, Add 2, ReLU 1, global pool 1 = 8 links; the 1×1 pooled output
// is the same bytes as NCHW, so the flatten and the linear layer read it plain.
void TestInference::layoutsKeptThroughPoolsAndResidualAdds()
{
    ModelBuilder b("residual");
    NodeId x = b.input({16, 8, 8});
    NodeId pooled = b.maxPool(b.relu(b.batchNorm(b.conv(x, 32, 3, 1, 1))), 2, 2);
    NodeId sum = b.add({b.conv(pooled, 32, 3, 1, 1), pooled});
    b.linear(b.flatten(b.globalAvgPool(b.relu(sum))), 10);
    Network net = b.finish();
    InferenceCheck r = checkInference(net, BackendKind::OneDnn, 2);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QCOMPARE(r.blockedLinks, 8);
    QVERIFY2(r.maxRelativeError < 1e-4, std::to_string(r.maxRelativeError).c_str());
    InferenceCheck plain = checkInference(net, BackendKind::OneDnn, 2, 7, false, false);
    QCOMPARE(plain.blockedLinks, 0);
    QVERIFY2(plain.maxRelativeError < 1e-4, std::to_string(plain.maxRelativeError).c_str());
    // The runner's timed layers carry the same links, and the inference runs.
    RunOptions o;
    o.backend = BackendKind::OneDnn;
    o.threads = 1;
    o.secondsPerLayer = 0.002;
    o.minRepeats = 2;
    o.maxRepeats = 3;
    o.endToEndRepeats = 2;
    RunReport rep = runKernels(net, o);
    QVERIFY2(rep.endToEndUs > 0, rep.endToEndNote.c_str());
    QCOMPARE(rep.blockedLinks, 8);
}

void TestInference::learnedOperandRunsEndToEnd_data()
{
    QTest::addColumn<BackendKind>("backend");
    QTest::newRow("eigen") << BackendKind::Eigen;
    QTest::newRow("onednn") << BackendKind::OneDnn;
}

// ConvNeXt's layer scale and a learned table: input 8×4×4 → conv 1×1 → Multiply by γ [8,1,1] → Add
// (residual with the input) → Add of a learned [4,4] table (broadcast over the channels). Both
// operand layers run (no "no kernel" skip) and the inference matches the reference loops.
void TestInference::learnedOperandRunsEndToEnd()
{
    QFETCH(BackendKind, backend);
    ModelBuilder b("layer scale");
    NodeId x = b.input({8, 4, 4});
    LayerParams scale = b.defaults(LayerType::Multiply);
    scale.dims = Shape{8, 1, 1};
    NodeId scaled = b.layer(LayerType::Multiply, scale, {b.conv(x, 8, 1)}, "gamma");
    LayerParams table = b.defaults(LayerType::Add);
    table.dims = Shape{4, 4};
    b.layer(LayerType::Add, table, {b.add({x, scaled})}, "table");
    Network net = b.finish();
    QCOMPARE(analyze(net).totals.errors, 0);
    InferenceCheck r = checkInference(net, backend, 1);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QVERIFY2(r.maxRelativeError < 1e-4, std::to_string(r.maxRelativeError).c_str());
    QCOMPARE(r.values.size(), std::size_t(1));
    QCOMPARE(r.values[0].size(), int64_t(8 * 4 * 4));
    RunOptions o;
    o.backend = backend;
    o.secondsPerLayer = 0.002;
    o.minRepeats = 2;
    o.maxRepeats = 3;
    o.endToEndRepeats = 2;
    RunReport rep = runKernels(net, o);
    QVERIFY2(rep.endToEndUs > 0, rep.endToEndNote.c_str());
    for (const LayerTiming& t : rep.layers)
        QVERIFY2(t.status != TimingStatus::Skipped, t.note.c_str());
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
