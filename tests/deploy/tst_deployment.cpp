// Tests the deployment view: folding, fusion, in-place rules and the peaks they give on the zoo's
// MobileNetV2 (MCUNet's published 1,372 KiB), ResNet-18 and the MCU CNN, all computed by hand below.
#include "core/Analysis.h"
#include "core/Format.h"
#include "core/ModelBuilder.h"
#include "core/Zoo.h"
#include "core/deploy/ArenaPlan.h"
#include "core/deploy/Deployment.h"
#include "core/deploy/Schedule.h"

#include <QTest>

using namespace nc::core;
using namespace nc::core::deploy;

class TestDeployment : public QObject {
    Q_OBJECT
private slots:
    void mobileNetV2Int8Peak();
    void mobileNetV2WithoutInPlaceDepthwise();
    void resNet18Int8Peak();
    void resNet18ParametersMove();
    void mcuCnnInt8Peak();
    void foldedAndFusedLayersNameTheirHost();
    void batchNormAfterAddStays();
    void sharedConvOutputDoesNotFold();
    void addInPlaceNeedsADyingOperand();
    void dropoutIsDroppedAndViewsAlias();
    void trainingViewMatchesAnalysis_data();
    void trainingViewMatchesAnalysis();
    void errorsNameTheLayer();
    void hugeTensorsAreRefused();
    void flashAttentionDropsTheMap();
    void lstmPortsAreBuffersOfTheirOwn();
    void splitPiecesAliasTheInput();
    void kvCacheLivesOverTheWholeRun();
    void binaryUnits_data();
    void binaryUnits();
    void verdicts_data();
    void verdicts();
};

namespace {

struct Deployed {
    Network net;
    AnalysisResult a;
    MemoryGraph g;
    Timeline t;
    std::string peakLayer() const { return net.nodes()[static_cast<size_t>(g.ops[static_cast<size_t>(t.order[static_cast<size_t>(t.peakStep)])].node)].name; }
};

Deployed deployZoo(const std::string& key, int bits, DeployOptions o = {})
{
    Deployed d;
    d.net = loadZoo(key).value();
    d.net.bits = bits;
    d.a = analyze(d.net);
    auto g = buildMemoryGraph(d.net, d.a, o);
    if (!g)
        qFatal("%s", g.error().c_str());
    d.g = *g;
    d.t = evaluateOrder(d.g, defaultOrder(d.g));
    return d;
}

const LayerDeploy& role(const Deployed& d, const char* name)
{
    return d.g.layers[static_cast<size_t>(d.net.nodeIndex(d.net.findByName(name)))];
}

} // namespace

void TestDeployment::mobileNetV2Int8Peak()
{
    // features.2's expansion reads 16×112×112 and writes 96×112×112 (BatchNorm folded, ReLU6 fused):
    // 200,704 + 1,204,224 = 1,404,928 B, MCUNet's 1,372 KiB. Nothing else is live then.
    Deployed d = deployZoo("mobilenet_v2", 8);
    QCOMPARE(d.t.peakBytes, int64_t(16 * 112 * 112 + 96 * 112 * 112));
    QCOMPARE(d.t.peakBytes, int64_t(1404928));
    QCOMPARE(d.peakLayer(), std::string("features.2.expand"));
}

void TestDeployment::mobileNetV2WithoutInPlaceDepthwise()
{
    // features.2's depthwise layer then needs its 96×112×112 input and its 96×56×56 output:
    // 1,204,224 + 301,056 = 1,505,280 B.
    Deployed d = deployZoo("mobilenet_v2", 8, {true, false});
    QCOMPARE(d.t.peakBytes, int64_t(96 * 112 * 112 + 96 * 56 * 56));
    QCOMPARE(d.t.peakBytes, int64_t(1505280));
    QCOMPARE(d.peakLayer(), std::string("features.2.dw"));
}

void TestDeployment::resNet18Int8Peak()
{
    // conv1 (BatchNorm folded, ReLU fused) writes 64×112×112 = 802,816 B; the max pool reads it and
    // writes 64×56×56 = 200,704 B: 1,003,520 B. Before it, conv1 holds the 3×224×224 input and its
    // output: 150,528 + 802,816 = 953,344 B. Every later step is smaller: layer1 holds at most the
    // skip, the branch and its next tensor, 3 × 200,704 = 602,112 B.
    Deployed d = deployZoo("resnet18", 8);
    QCOMPARE(d.t.peakBytes, int64_t(64 * 112 * 112 + 64 * 56 * 56));
    QCOMPARE(d.peakLayer(), std::string("maxpool"));
    QCOMPARE(d.t.liveBytes[1], int64_t(3 * 224 * 224 + 64 * 112 * 112));
    const LayerDeploy& add = role(d, "layer1.0.add");
    QVERIFY(add.inPlace); // into conv2's output, which dies there; the skip lives on in layer1.1
    QCOMPARE(d.t.liveBytes[static_cast<size_t>(d.g.layers[static_cast<size_t>(d.net.nodeIndex(d.net.findByName("layer1.0.conv2")))].op)],
             int64_t(3 * 200704));
}

void TestDeployment::resNet18ParametersMove()
{
    // 20 BatchNorms over 4,800 channels (64 + 4·64 + 4·128 + 128 + 4·256 + 256 + 4·512 + 512) fold
    // into bias-free convolutions: γ and β (2 per channel) leave, a bias (1 per channel) arrives and
    // the 9,600 running statistics disappear.
    Deployed d = deployZoo("resnet18", 8);
    QCOMPARE(d.g.folded, 20);
    QCOMPARE(d.g.fused, 17); // the stem's ReLU and two per basic block
    QCOMPARE(d.a.totals.params, int64_t(11689512));
    QCOMPARE(d.g.params, int64_t(11689512 - 2 * 4800 + 4800));
    QCOMPARE(d.a.totals.state, int64_t(9600));
    QCOMPARE(d.g.state, int64_t(0));
}

void TestDeployment::mcuCnnInt8Peak()
{
    // conv0 reads the 3×96×96 input (27,648 B) and writes 16×48×48 (36,864 B): 64,512 B. The first
    // depthwise layer then runs in place in conv0's buffer with one padded 50×50 channel of scratch
    // (36,864 + 2,500), and block1.pw adds 32×24×24 = 18,432 B to that buffer: 55,296 B.
    Deployed d = deployZoo("mcu_cnn", 8);
    QCOMPARE(d.t.peakBytes, int64_t(27648 + 36864));
    QCOMPARE(d.peakLayer(), std::string("conv0"));
    QCOMPARE(d.t.liveBytes[2], int64_t(36864 + 50 * 50));
    QCOMPARE(d.t.liveBytes[3], int64_t(36864 + 18432));
    QVERIFY(role(d, "block1.dw").inPlace);
    // Without in-place depthwise: 36,864 + 16×24×24 = 46,080 B at block1.dw, still below conv0.
    Deployed off = deployZoo("mcu_cnn", 8, {true, false});
    QCOMPARE(off.t.liveBytes[2], int64_t(36864 + 9216));
    QCOMPARE(off.t.peakBytes, int64_t(64512));
}

void TestDeployment::foldedAndFusedLayersNameTheirHost()
{
    Deployed d = deployZoo("mobilenet_v2", 8);
    const int host = d.net.nodeIndex(d.net.findByName("features.2.expand"));
    QCOMPARE(role(d, "features.2.expand_bn").role, Role::FoldedBatchNorm);
    QCOMPARE(role(d, "features.2.expand_bn").into, host);
    QCOMPARE(role(d, "features.2.expand_relu6").role, Role::FusedActivation);
    QCOMPARE(role(d, "features.2.expand_relu6").into, host);
    QCOMPARE(role(d, "features.2.expand").role, Role::Op);
    QCOMPARE(role(d, "features.2.dw_bn").into, d.net.nodeIndex(d.net.findByName("features.2.dw")));
    QVERIFY(role(d, "features.2.dw").inPlace);
    QCOMPARE(std::string(roleKey(Role::FusedActivation)), std::string("fused"));
}

void TestDeployment::batchNormAfterAddStays()
{
    // BatchNorm after an Add has no weights to fold into: it stays an op and runs in place.
    ModelBuilder b("bn-after-add");
    NodeId x = b.input({8, 10, 10});
    NodeId c1 = b.conv(x, 8, 3, 1, 1, 1, true, "c1");
    NodeId c2 = b.conv(x, 8, 3, 1, 1, 1, true, "c2");
    NodeId s = b.add({c1, c2}, "sum");
    NodeId bn = b.batchNorm(s, "bn");
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    MemoryGraph g = buildMemoryGraph(n, a, {}).value();
    const LayerDeploy& B = g.layers[static_cast<size_t>(n.nodeIndex(bn))];
    QCOMPARE(B.role, Role::Op);
    QVERIFY(B.inPlace);
    QVERIFY(g.layers[static_cast<size_t>(n.nodeIndex(s))].inPlace);
    QCOMPARE(g.folded, 0);
    QCOMPARE(B.params, int64_t(16)); // γ and β stay: nothing took them
}

void TestDeployment::sharedConvOutputDoesNotFold()
{
    // The conv's raw output is read by a second layer, so its BatchNorm cannot fold into it, and the
    // ReLU after the BatchNorm then fuses into nothing.
    ModelBuilder b("shared");
    NodeId x = b.input({4, 8, 8});
    NodeId c = b.conv(x, 4, 3, 1, 1, 1, false, "c");
    NodeId bn = b.batchNorm(c, "bn");
    NodeId r = b.relu(bn, "r");
    b.add({r, c}, "sum");
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    MemoryGraph g = buildMemoryGraph(n, a, {}).value();
    QCOMPARE(g.layers[static_cast<size_t>(n.nodeIndex(bn))].role, Role::Op);
    QCOMPARE(g.layers[static_cast<size_t>(n.nodeIndex(r))].role, Role::Op);
    QVERIFY(g.layers[static_cast<size_t>(n.nodeIndex(r))].inPlace); // bn's output dies at r
    QVERIFY(!g.layers[static_cast<size_t>(n.nodeIndex(bn))].inPlace); // c is read by the add too
}

void TestDeployment::addInPlaceNeedsADyingOperand()
{
    // Both operands of add1 are read again later, so it allocates; add2's first operand dies there.
    ModelBuilder b("adds");
    NodeId x = b.input({4, 8, 8});
    NodeId c1 = b.conv(x, 4, 1, 1, 0, 1, true, "c1");
    NodeId c2 = b.conv(x, 4, 1, 1, 0, 1, true, "c2");
    NodeId a1 = b.add({c1, c2}, "add1");
    NodeId a2 = b.add({a1, c1}, "add2");
    b.add({a2, c2}, "add3");
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    MemoryGraph g = buildMemoryGraph(n, a, {}).value();
    QVERIFY(!g.layers[static_cast<size_t>(n.nodeIndex(a1))].inPlace);
    QVERIFY(g.layers[static_cast<size_t>(n.nodeIndex(a2))].inPlace);
    // 4×8×8 fp32 = 1,024 B per tensor: at add1, c1, c2 and add1's output are live; the network input
    // died at c2 (its last reader). Then add2 and add3 overwrite, so nothing more is allocated.
    Timeline t = evaluateOrder(g, defaultOrder(g));
    QCOMPARE(t.peakBytes, int64_t(3 * 1024));
    QCOMPARE(g.buffers.size(), size_t(4));
}

void TestDeployment::dropoutIsDroppedAndViewsAlias()
{
    ModelBuilder b("head");
    NodeId x = b.input({16, 4, 4});
    NodeId f = b.flatten(x, "flat");
    NodeId d = b.dropout(f, 0.2, "drop");
    NodeId l = b.linear(d, 10, true, "fc");
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    MemoryGraph g = buildMemoryGraph(n, a, {}).value();
    QCOMPARE(g.layers[static_cast<size_t>(n.nodeIndex(f))].role, Role::View);
    QCOMPARE(g.layers[static_cast<size_t>(n.nodeIndex(d))].role, Role::Dropped);
    QCOMPARE(g.layers[static_cast<size_t>(n.nodeIndex(d))].into, n.nodeIndex(x));
    QCOMPARE(g.ops.size(), size_t(2)); // the input and the linear layer
    QCOMPARE(g.ops[1].node, n.nodeIndex(l));
    QCOMPARE(g.ops[1].reads, std::vector<int>{0});
}

void TestDeployment::trainingViewMatchesAnalysis_data()
{
    QTest::addColumn<QString>("key");
    for (const auto& e : zooEntries())
        QTest::newRow(e.key.c_str()) << QString::fromStdString(e.key);
}

void TestDeployment::trainingViewMatchesAnalysis()
{
    // With deploy off the memory graph is the training view: the same peak, at the same layer, as
    // analyze() reports (which tst_analysis checks by hand).
    QFETCH(QString, key);
    Deployed d = deployZoo(key.toStdString(), 8, {false, true});
    QCOMPARE(d.t.peakBytes, d.a.totals.peakLiveBytes);
    QCOMPARE(d.g.ops[static_cast<size_t>(d.t.order[static_cast<size_t>(d.t.peakStep)])].node,
             d.net.nodeIndex(d.a.totals.peakLiveLayer));
}

void TestDeployment::errorsNameTheLayer()
{
    ModelBuilder b("bad");
    NodeId x = b.input({3, 4, 4});
    b.conv(x, 8, 7, 1, 0, 1, true, "big");
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    auto g = buildMemoryGraph(n, a, {});
    QVERIFY(!g);
    QVERIFY(g.error().find("layer \"big\"") != std::string::npos);
}

void TestDeployment::hugeTensorsAreRefused()
{
    // Two 2^31 × 2^31 fp32 tensors: each 2^64 B already overflows the analysis; at a batch that keeps
    // each one just under 2^63 B, the two together do not fit, and nothing wraps around.
    ModelBuilder b("huge");
    NodeId x = b.input({1, 1 << 20, 1 << 20});
    b.relu(b.conv(x, 1, 1, 1, 0, 1, false, "c"), "r");
    Network n = b.finish();
    n.batch = int64_t(1) << 20; // 2^60 elements × 4 B = 2^62 B per tensor; input + conv = 2^63
    n.bits = 32;
    AnalysisResult a = analyze(n);
    QCOMPARE(a.totals.errors, 0);
    auto g = buildMemoryGraph(n, a, {});
    QVERIFY(!g);
    QVERIFY(g.error().find("more than 2^63 bytes") != std::string::npos);
}

void TestDeployment::flashAttentionDropsTheMap()
{
    // 100 tokens of width 8, 2 heads, fp32. The training view's workspace: Q, K, V and merged heads
    // 4·100·8 = 3,200 plus the map 2·100·100 = 20,000 elements. Flash attention keeps the 3,200, the
    // running max and sum 2·2·100 = 400 and one 100×64 block of scores: 10,000 elements.
    ModelBuilder b("attn");
    NodeId x = b.input({100, 8});
    LayerParams p = b.defaults(LayerType::MultiHeadAttention);
    p.features = 8;
    p.heads = 2;
    NodeId m = b.layer(LayerType::MultiHeadAttention, p, {x}, "mha");
    Network n = b.finish();
    AnalysisResult a = analyze(n);
    QCOMPARE(a.layer(m, n)->workspaceBytes, int64_t(4 * 23200));
    MemoryGraph flash = buildMemoryGraph(n, a, {}).value();
    QCOMPARE(flash.ops[1].scratchBytes, int64_t(4 * 10000));
    DeployOptions off;
    off.flashAttention = false;
    QCOMPARE(buildMemoryGraph(n, a, off).value().ops[1].scratchBytes, int64_t(4 * 23200));
    QCOMPARE(buildMemoryGraph(n, a, {false, true}).value().ops[1].scratchBytes, int64_t(4 * 23200));
    // The peak follows: input and output (3,200 B each) plus the scratch.
    QCOMPARE(evaluateOrder(flash, defaultOrder(flash)).peakBytes, int64_t(2 * 3200 + 40000));
}

void TestDeployment::binaryUnits_data()
{
    QTest::addColumn<qint64>("bytes");
    QTest::addColumn<QString>("text");
    QTest::newRow("bytes") << qint64(512) << "512 B";
    QTest::newRow("1023") << qint64(1023) << "1023 B";
    QTest::newRow("256 KiB") << qint64(262144) << "256 KiB";
    QTest::newRow("64.51 KiB") << qint64(66058) << "64.51 KiB"; // 66,058 / 1,024 = 64.509…
    QTest::newRow("1.5 KiB") << qint64(1536) << "1.5 KiB";
    QTest::newRow("MobileNetV2 peak") << qint64(1404928) << "1.34 MiB"; // 1,372 KiB / 1,024
    QTest::newRow("2 MiB") << qint64(2097152) << "2 MiB";
}

void TestDeployment::binaryUnits()
{
    QFETCH(qint64, bytes);
    QFETCH(QString, text);
    QCOMPARE(QString::fromStdString(humanBinaryBytes(bytes)), text);
}

void TestDeployment::verdicts_data()
{
    QTest::addColumn<qint64>("peak");
    QTest::addColumn<qint64>("budget");
    QTest::addColumn<QString>("text");
    // 188,744 / 262,144 = 0.71999…
    QTest::newRow("fits") << qint64(188744) << qint64(262144) << "fits in 256 KiB (72% used)";
    QTest::newRow("exactly") << qint64(262144) << qint64(262144) << "fits in 256 KiB (100% used)";
    // 1,404,928 / 262,144 = 5.359…
    QTest::newRow("needs") << qint64(1404928) << qint64(262144) << "needs 1.34 MiB, 5.4× the budget of 256 KiB";
    // 262,145 B is 256.001 KiB: written in bytes, not as the budget's own "256 KiB".
    QTest::newRow("one byte over") << qint64(262145) << qint64(262144) << "needs 262,145 B, 1.0× the budget of 256 KiB";
    QTest::newRow("no budget") << qint64(1000) << qint64(0) << "";
}

void TestDeployment::verdicts()
{
    QFETCH(qint64, peak);
    QFETCH(qint64, budget);
    QFETCH(QString, text);
    QCOMPARE(QString::fromStdString(budgetVerdict(peak, budget)), text);
}

QTEST_GUILESS_MAIN(TestDeployment)
// LSTM (input 4×8, hidden 16) at 8 bits: output 4×16 = 64 B, h_n 1×16 = 16 B, c_n 1×16 = 16 B, and
// its gate pre-activations as scratch, T·gates·H = 4·4·16 = 256 B. lin1 (16 → 128) reads the output:
// 4×128 = 512 B; lin2 (128 → 16): 64 B; lin3 (16 → 16) reads h_n from port 1: 16 B; c_n is read by
// nobody. Input 4×8 = 32 B. Order input, lstm, lin1, lin2, lin3. Deployment view, a buffer per port:
//   lstm: input 32 + out 64 + h_n 16 + c_n 16 (dies at once) + scratch 256 = 384
//   lin1: out 64 (last read) + h_n 16 + lin1 512                         = 592  (the peak, first reached)
//   lin2: h_n 16 + lin1 512 + lin2 64                                    = 592
//   lin3: h_n 16 + lin2 64 (network output) + lin3 16                    =  96
// Training view, the three ports stored together (96 B) until h_n's reader, lin3:
//   lstm 32 + 96 + 256 = 384; lin1 96 + 512 = 608; lin2 96 + 512 + 64 = 672; lin3 96 + 64 + 16 = 176.
void TestDeployment::lstmPortsAreBuffersOfTheirOwn()
{
    ModelBuilder b("rnn");
    const NodeId in = b.input({4, 8});
    LayerParams lp = b.defaults(LayerType::LSTM);
    lp.hidden = 16;
    lp.layers = 1;
    lp.bidirectional = false;
    const NodeId lstm = b.layer(LayerType::LSTM, lp, {in}, "lstm");
    const NodeId lin1 = b.linear(lstm, 128, true, "lin1");
    b.linear(lin1, 16, true, "lin2");
    LayerParams fp = b.defaults(LayerType::Linear);
    fp.features = 16;
    const NodeId lin3 = b.layer(LayerType::Linear, fp, {}, "lin3");
    b.connectPort(lstm, 1, lin3, 0);
    Network net = b.finish();
    net.bits = 8;
    const AnalysisResult a = analyze(net);
    QCOMPARE(a.totals.errors, 0);

    auto orderOf = [&](const MemoryGraph& g) {
        std::vector<int> order;
        for (const char* name : {"input", "lstm", "lin1", "lin2", "lin3"})
            order.push_back(g.layers[static_cast<size_t>(net.nodeIndex(net.findByName(name)))].op);
        return order;
    };
    const MemoryGraph dep = buildMemoryGraph(net, a, {}).value();
    const MemOp& op = dep.ops[static_cast<size_t>(dep.layers[static_cast<size_t>(net.nodeIndex(lstm))].op)];
    QCOMPARE(dep.buffers[static_cast<size_t>(op.buffer)].bytes, int64_t(64));
    QCOMPARE(op.extraBuffers.size(), size_t(2));
    QCOMPARE(dep.buffers[static_cast<size_t>(op.extraBuffers[0])].bytes, int64_t(16));
    QCOMPARE(dep.buffers[static_cast<size_t>(op.extraBuffers[1])].port, 2);
    const Timeline t = evaluateOrder(dep, orderOf(dep));
    QCOMPARE(t.liveBytes, (std::vector<int64_t>{32, 384, 592, 592, 96}));
    QCOMPARE(t.peakBytes, int64_t(592));
    QCOMPARE(t.peakStep, 2);
    // c_n dies at its producer's step; h_n lives until lin3 reads it.
    QCOMPARE(t.lastStep[static_cast<size_t>(op.extraBuffers[1])], 1);
    QCOMPARE(t.lastStep[static_cast<size_t>(op.extraBuffers[0])], 4);

    const MemoryGraph train = buildMemoryGraph(net, a, {false, false, false}).value();
    const Timeline tt = evaluateOrder(train, orderOf(train));
    QCOMPARE(tt.liveBytes, (std::vector<int64_t>{32, 384, 608, 672, 176}));
    // No order does better: lin1 needs the output 64 and its own 512 B, plus h_n 16 (lin3 not yet
    // run) or lin3's 16 B output (a network output, kept to the end): 592 B.
    const ScheduleResult best = optimalSchedule(dep);
    QVERIFY(best.optimal);
    QCOMPARE(best.timeline.peakBytes, int64_t(592));
    // Each port has its own block in the arena, named by port in the C header.
    const std::string header = arenaHeader(planArena(dep, t, Planner::Best), net);
    QVERIFY(header.find("NC_LSTM_OFFSET") != std::string::npos);
    QVERIFY(header.find("NC_LSTM_OUT1_OFFSET") != std::string::npos);
    QVERIFY(header.find("NC_LSTM_OUT2_BYTES 16") != std::string::npos);
}

// A Split's pieces are views: readers of any port read the one input buffer, which lives until the
// last of them. Input 6×8×8 at 8 bits = 384 B, split 2 + 4 channels; 1×1 convolutions to 3 channels
// on each piece: 192 B each. Step c0: input 384 + c0 192 = 576; step c1: 384 + 192 + 192 = 768.
void TestDeployment::splitPiecesAliasTheInput()
{
    ModelBuilder b("split");
    const NodeId x = b.input({6, 8, 8});
    LayerParams sp = b.defaults(LayerType::Split);
    sp.dims = Shape{2, 4};
    const NodeId s = b.layer(LayerType::Split, sp, {x}, "split");
    b.conv(s, 3, 1, 1, 0, 1, true, "c0");
    LayerParams cp = b.defaults(LayerType::Conv2d);
    cp.features = 3;
    cp.kh = cp.kw = 1;
    cp.pt = cp.pb = cp.pl = cp.pr = 0;
    const NodeId c1 = b.layer(LayerType::Conv2d, cp, {}, "c1");
    b.connectPort(s, 1, c1, 0);
    Network net = b.finish();
    net.bits = 8;
    const AnalysisResult a = analyze(net);
    QCOMPARE(a.totals.errors, 0);
    const MemoryGraph g = buildMemoryGraph(net, a, {}).value();
    QCOMPARE(g.buffers.size(), size_t(3)); // input, c0, c1
    const Timeline t = evaluateOrder(g, defaultOrder(g));
    QCOMPARE(t.peakBytes, int64_t(768));
    QCOMPARE(t.lastStep[0], 2); // the input, read through port 1 by the last step
}

// A GPT-like stack at 8 bits: 8 tokens of width 16, causal attention (2 heads), Linear 16 → 16,
// causal attention again. Every tensor is 8·16 = 128 B. Each attention layer's KV cache holds K and V
// for 8 tokens: 2·16·8 = 256 B; both live over the whole run: 512 B. Flash-attention scratch:
// 4·T·D + 2·heads·T + T·min(T, 64) = 512 + 32 + 64 = 608 B.
//   input: 128                                  + 512 = 640
//   mha1:  input 128 + out 128 + scratch 608    + 512 = 1,376  (the peak, first reached)
//   lin:   mha1 128 + lin 128                   + 512 = 768
//   mha2:  lin 128 + out 128 + scratch 608      + 512 = 1,376
void TestDeployment::kvCacheLivesOverTheWholeRun()
{
    ModelBuilder b("gpt");
    const NodeId x = b.input({8, 16});
    LayerParams p = b.defaults(LayerType::MultiHeadAttention);
    p.features = 16;
    p.heads = 2;
    p.causal = 1;
    const NodeId m1 = b.layer(LayerType::MultiHeadAttention, p, {x}, "mha1");
    const NodeId lin = b.linear(m1, 16, true, "lin");
    b.layer(LayerType::MultiHeadAttention, p, {lin}, "mha2");
    Network net = b.finish();
    net.bits = 8;
    const AnalysisResult a = analyze(net);
    QCOMPARE(a.totals.errors, 0);
    QCOMPARE(a.layer(m1, net)->kvCacheBytes, int64_t(256));

    const MemoryGraph g = buildMemoryGraph(net, a, {}).value();
    int persistent = 0;
    for (const MemBuffer& buf : g.buffers)
        if (buf.persistent) {
            ++persistent;
            QCOMPARE(buf.bytes, int64_t(256));
        }
    QCOMPARE(persistent, 2);
    const Timeline t = evaluateOrder(g, defaultOrder(g));
    QCOMPARE(t.liveBytes, (std::vector<int64_t>{640, 1376, 768, 1376}));
    QCOMPARE(t.peakStep, 1);
    // The search sees the same constant: no order beats 1,376 B, and its bound says so.
    const ScheduleResult best = optimalSchedule(g);
    QCOMPARE(best.timeline.peakBytes, int64_t(1376));
    QVERIFY(peakLowerBound(g) <= 1376);
    QVERIFY(peakLowerBound(g) >= 128 + 128 + 608 + 512);

    // In the arena each cache is a block over every step.
    const ArenaPlan plan = planArena(g, t, Planner::Best);
    QVERIFY(planIsValid(plan));
    int kvBlocks = 0;
    for (const ArenaBlock& blk : plan.blocks)
        if (blk.buffer >= 0 && g.buffers[static_cast<size_t>(blk.buffer)].persistent) {
            ++kvBlocks;
            QCOMPARE(blk.firstStep, 0);
            QCOMPARE(blk.lastStep, 3);
        }
    QCOMPARE(kvBlocks, 2);
    QVERIFY(plan.arenaBytes >= 1376);

    // The training view reports the cache apart (totals.kvCacheBytes), not in the live bytes: no
    // persistent buffer, and its peak is the analysis' (mha1's full workspace 4·8·16 + 2·8·8 = 640 B).
    const MemoryGraph train = buildMemoryGraph(net, a, {false, false, true}).value();
    QCOMPARE(evaluateOrder(train, defaultOrder(train)).peakBytes, a.totals.peakLiveBytes);
    QCOMPARE(a.totals.peakLiveBytes, int64_t(128 + 128 + 640));
}

#include "tst_deployment.moc"
