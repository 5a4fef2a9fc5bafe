// Tests the kernel runner: every layer kind of a design is executed on both backends, figures are
// derived from the measured time by the documented formulas, and cancel and the memory guard work.
#include "core/Analysis.h"
#include "core/ModelBuilder.h"
#include "core/runner/KernelRunner.h"

#include <QTest>

#include <map>

using namespace nc::core;

Q_DECLARE_METATYPE(nc::core::BackendKind)

class TestRunner : public QObject {
    Q_OBJECT
private slots:
    void everyLayerRuns_data();
    void everyLayerRuns();
    void derivedFiguresFollowTheFormulas();
    void bytesMovedCountsStoredState();
    void cancelStopsPromptly();
    void memoryGuardSkipsWithAReason();
    void opaqueLayersAreSkippedNotFaked();
    void batchSweepReportsThroughput();
    void sequenceKindsRunOrSayWhyNot_data() { everyLayerRuns_data(); }
    void sequenceKindsRunOrSayWhyNot();
    void spatialKindsRun_data();
    void spatialKindsRun();

private:
    static Network mixed();
    static RunOptions quick(BackendKind b);
};

Network TestRunner::mixed()
{
    // One of nearly every kind: convolutions of all forms, pools, norms, activations, merges,
    // a transformer block on tokens.
    ModelBuilder b("mixed");
    NodeId x = b.input({8, 16, 16});
    NodeId c = b.relu(b.batchNorm(b.conv(x, 16, 3, 1, 1, 1, false)));
    NodeId g = b.conv(c, 16, 3, 2, 1, 4);
    LayerParams refl = b.defaults(LayerType::Conv2d);
    refl.padMode = 1;
    refl.features = 16;
    NodeId r = b.layer(LayerType::Conv2d, refl, {c});
    NodeId d = b.act(LayerType::HardSwish, b.depthwise(r, 3, 2, 1, 2));
    NodeId s = b.act(LayerType::SiLU, b.add({g, b.conv(d, 16, 1, 1, 0)}));
    NodeId gate = b.act(LayerType::Sigmoid, b.globalAvgPool(s));
    NodeId m = b.mul({s, gate});
    NodeId cat = b.concat({m, b.maxPool(c, 2, 2)});
    LayerParams gn = b.defaults(LayerType::GroupNorm);
    gn.numGroups = 4;
    NodeId n = b.layer(LayerType::GroupNorm, gn, {cat});
    NodeId p = b.avgPool(b.act(LayerType::GELU, n), 2, 2);
    LayerParams pe = b.defaults(LayerType::PatchEmbed);
    pe.features = 32;
    pe.patch = 4;
    NodeId tok = b.layer(LayerType::PatchEmbed, pe, {p}); // 4×4 map? no: 32×4×4 → patch 4 → 1 token + cls
    LayerParams at = b.defaults(LayerType::MultiHeadAttention);
    at.heads = 2;
    NodeId y = b.add({tok, b.layer(LayerType::MultiHeadAttention, at, {b.layerNorm(tok)})});
    LayerParams mlp = b.defaults(LayerType::Mlp);
    mlp.hidden = 64;
    y = b.add({y, b.layer(LayerType::Mlp, mlp, {b.layerNorm(y)})});
    y = b.layer(LayerType::ClassTokenSelect, b.defaults(LayerType::ClassTokenSelect), {y});
    b.act(LayerType::Softmax, b.linear(y, 10));
    return b.finish();
}

// Every spatial kind of issue 9, small: the runner prepares each with the analysis' shapes (it refuses a
// layer whose kernel shape differs) and measures it.
static Network spatial()
{
    ModelBuilder b("spatial");
    auto p = [&](LayerType t, void (*f)(LayerParams&)) {
        LayerParams q = b.defaults(t);
        f(q);
        return q;
    };
    NodeId s = b.input({1, 400}, "audio");
    s = b.layer(LayerType::Conv1d, p(LayerType::Conv1d, [](LayerParams& q) { q.features = 8, q.kw = 20, q.sw = 4; }),
                {s});
    s = b.layer(LayerType::MaxPool1d, b.defaults(LayerType::MaxPool1d), {s});
    s = b.layer(LayerType::AvgPool1d, b.defaults(LayerType::AvgPool1d), {s});
    s = b.layer(LayerType::ConvTranspose1d, p(LayerType::ConvTranspose1d, [](LayerParams& q) { q.features = 4; }), {s});
    s = b.layer(LayerType::Upsample, p(LayerType::Upsample, [](LayerParams& q) { q.resizeMode = 1; }), {s});
    s = b.layer(LayerType::Pad, p(LayerType::Pad, [](LayerParams& q) { q.padMode = 1; }), {s});
    b.globalAvgPool(s);
    NodeId v = b.input({3, 4, 12, 12}, "clip");
    v = b.layer(LayerType::Conv3d, p(LayerType::Conv3d, [](LayerParams& q) { q.features = 8; }), {v});
    v = b.layer(LayerType::MaxPool3d, b.defaults(LayerType::MaxPool3d), {v});
    v = b.layer(LayerType::AvgPool3d, p(LayerType::AvgPool3d, [](LayerParams& q) { q.kd = q.sd = 1; }), {v});
    b.layer(LayerType::GlobalMaxPool, b.defaults(LayerType::GlobalMaxPool), {v});
    NodeId x = b.input({4, 8, 8}, "image");
    x = b.layer(LayerType::ConvTranspose2d, p(LayerType::ConvTranspose2d, [](LayerParams& q) { q.features = 6; }), {x});
    x = b.layer(LayerType::Upsample, b.defaults(LayerType::Upsample), {x});
    b.layer(LayerType::Pad, b.defaults(LayerType::Pad), {x});
    return b.finish();
}

RunOptions TestRunner::quick(BackendKind b)
{
    RunOptions o;
    o.backend = b;
    o.threads = 2;
    o.secondsPerLayer = 0.002;
    o.minRepeats = 2;
    o.maxRepeats = 5;
    o.warmup = 1;
    o.endToEndRepeats = 2;
    return o;
}

void TestRunner::everyLayerRuns_data()
{
    QTest::addColumn<BackendKind>("backend");
    QTest::newRow("eigen") << BackendKind::Eigen;
    QTest::newRow("onednn") << BackendKind::OneDnn;
}

void TestRunner::everyLayerRuns()
{
    QFETCH(BackendKind, backend);
    Network net = mixed();
    AnalysisResult a = analyze(net);
    QCOMPARE(a.totals.errors, 0);
    RunReport r = runKernels(net, quick(backend));
    QVERIFY(!r.cancelled);
    QCOMPARE(r.layers.size(), a.layers.size());
    int measured = 0;
    for (size_t i = 0; i < r.layers.size(); ++i) {
        const LayerTiming& t = r.layers[i];
        QCOMPARE(t.id, a.layers[i].id);
        const std::string& name = net.node(t.id)->name;
        QVERIFY2(t.status == TimingStatus::Measured || t.status == TimingStatus::View, (name + ": " + t.note).c_str());
        if (t.status == TimingStatus::Measured) {
            ++measured;
            QVERIFY2(t.medianUs > 0, name.c_str());
            QVERIFY(t.p90Us >= t.medianUs);
        }
    }
    QCOMPARE(measured, static_cast<int>(a.layers.size()) - 2); // the input and the class-token view
    QVERIFY(r.endToEndUs > 0);
    QVERIFY(r.sumUs > 0);
}

void TestRunner::spatialKindsRun_data() { everyLayerRuns_data(); }

void TestRunner::spatialKindsRun()
{
    QFETCH(BackendKind, backend);
    Network net = spatial();
    AnalysisResult a = analyze(net);
    QCOMPARE(a.totals.errors, 0);
    RunReport r = runKernels(net, quick(backend));
    QCOMPARE(r.layers.size(), a.layers.size());
    int measured = 0;
    for (const LayerTiming& t : r.layers) {
        const std::string& name = net.node(t.id)->name;
        if (net.node(t.id)->type == LayerType::Input)
            continue;
        QVERIFY2(t.status == TimingStatus::Measured, (name + ": " + t.note).c_str());
        ++measured;
    }
    QCOMPARE(measured, static_cast<int>(a.layers.size()) - 3); // three inputs
}

void TestRunner::derivedFiguresFollowTheFormulas()
{
    ModelBuilder b("one conv");
    NodeId x = b.input({16, 32, 32});
    NodeId c = b.conv(x, 32, 3, 1, 1);
    Network net = b.finish();
    AnalysisResult a = analyze(net);
    RunReport r = runKernels(net, quick(BackendKind::Eigen));
    const LayerTiming& t = r.layers[1];
    const LayerResult& L = *a.layer(c, net);
    QCOMPARE(t.bytesMoved, int64_t(4 * (16 * 32 * 32 + L.params + 32 * 32 * 32)));
    QVERIFY(qFuzzyCompare(t.gflops, 2.0 * static_cast<double>(L.macs) / (t.medianUs * 1e3)));
    // The roofline's work leaves out the taps on zero padding: per axis 3·32 − 2 = 94 of 96 read the
    // input, so 32·16·94·94 MACs and 32·32·32 bias adds remain.
    const double work = 2.0 * 32 * 16 * 94 * 94 + 32 * 32 * 32;
    QCOMPARE(L.paddingMacs, int64_t(32 * 16 * (96 * 96 - 94 * 94)));
    QVERIFY(qFuzzyCompare(t.gops, work / (t.medianUs * 1e3)));
    QVERIFY(qFuzzyCompare(t.intensity, work / static_cast<double>(t.bytesMoved)));
    QVERIFY(qFuzzyCompare(r.sumUs, t.medianUs)); // the input layer costs nothing
}

// A BatchNorm reads its running statistics as it reads γ and β: 16 channels on 8×8, input and
// output 1,024 values each, γ, β 32 parameters, mean and variance 32 state: 4·2,112 bytes.
void TestRunner::bytesMovedCountsStoredState()
{
    ModelBuilder b("one batchnorm");
    NodeId x = b.input({16, 8, 8});
    NodeId n = b.batchNorm(x);
    Network net = b.finish();
    RunReport r = runKernels(net, quick(BackendKind::Eigen));
    const LayerTiming& t = r.layers[1];
    QCOMPARE(t.id, n);
    QCOMPARE(t.status, TimingStatus::Measured);
    QCOMPARE(t.bytesMoved, int64_t(4 * (1024 + 32 + 32 + 1024)));
}

void TestRunner::cancelStopsPromptly()
{
    Network net = mixed();
    RunControl control;
    int calls = 0;
    control.progress = [&](int done, int, const std::string&) {
        ++calls;
        if (done == 3)
            control.cancel = true;
    };
    RunReport r = runKernels(net, quick(BackendKind::Eigen), &control);
    QVERIFY(r.cancelled);
    QCOMPARE(r.endToEndUs, 0.0);
    QCOMPARE(r.layers.back().status, TimingStatus::NotRun);
    QVERIFY(calls <= 4);
}

void TestRunner::memoryGuardSkipsWithAReason()
{
    ModelBuilder b("big");
    NodeId x = b.input({64, 56, 56});
    b.conv(x, 64, 3, 1, 1);
    Network net = b.finish();
    RunOptions o = quick(BackendKind::Eigen);
    o.memoryLimitBytes = 1 << 20; // 1 MiB: the conv needs ~9 MiB with its im2col buffer
    RunReport r = runKernels(net, o);
    QCOMPARE(r.layers[1].status, TimingStatus::Skipped);
    QVERIFY(QString::fromStdString(r.layers[1].note).contains("more than half of the free memory"));
    QVERIFY(r.layers[1].estimatedBytes > o.memoryLimitBytes);
    QCOMPARE(r.endToEndUs, 0.0);
}

void TestRunner::opaqueLayersAreSkippedNotFaked()
{
    ModelBuilder b("opaque");
    NodeId x = b.input({4});
    LayerParams op = b.defaults(LayerType::Opaque);
    op.dims = Shape{4};
    b.layer(LayerType::Opaque, op, {x});
    RunReport r = runKernels(b.finish(), quick(BackendKind::Eigen));
    QCOMPARE(r.layers[1].status, TimingStatus::Skipped);
    QCOMPARE(r.layers[1].medianUs, 0.0);
}

void TestRunner::batchSweepReportsThroughput()
{
    ModelBuilder b("sweep");
    NodeId x = b.input({8, 16, 16});
    b.relu(b.conv(x, 8, 3, 1, 1));
    Network net = b.finish();
    std::string stopped;
    std::vector<SweepPoint> pts = batchSweep(net, quick(BackendKind::Eigen), 4, nullptr, &stopped);
    QCOMPARE(static_cast<int>(pts.size()), 3);
    QVERIFY(stopped.empty());
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(pts[static_cast<size_t>(i)].batch, int64_t(1) << i);
        QVERIFY(qFuzzyCompare(pts[static_cast<size_t>(i)].samplesPerSecond,
                              static_cast<double>(pts[static_cast<size_t>(i)].batch) * 1e6 /
                                  pts[static_cast<size_t>(i)].latencyUs));
    }
    RunOptions tight = quick(BackendKind::Eigen);
    tight.memoryLimitBytes = 120000; // batch 1 fits (~80 KB); batch 2 does not
    pts = batchSweep(net, tight, 64, nullptr, &stopped);
    QCOMPARE(static_cast<int>(pts.size()), 1);
    QVERIFY(QString::fromStdString(stopped).startsWith("batch 2:"));
}

// Every sequence kind runs on both backends: embedding, RMSNorm, causal rotary attention with grouped
// key/value heads, cross-attention, a product of two activations, LSTM, GRU, SwiGLU (Linear, SiLU,
// Linear, Mul, Linear), tanh-GELU, hard sigmoid and a tied head. Where oneDNN has no primitive, the
// note names the fallback and why.
void TestRunner::sequenceKindsRunOrSayWhyNot()
{
    QFETCH(BackendKind, backend);
    ModelBuilder b("sequence");
    NodeId ids = b.input({8}, "ids");
    LayerParams e = b.defaults(LayerType::Embedding);
    e.vocab = 20;
    e.features = 16;
    NodeId emb = b.layer(LayerType::Embedding, e, {ids}, "embed");
    NodeId n = b.layer(LayerType::RMSNorm, b.defaults(LayerType::RMSNorm), {emb}, "rms_norm");
    LayerParams at = b.defaults(LayerType::MultiHeadAttention);
    at.heads = 4, at.kvHeads = 2, at.causal = 1, at.rope = 1;
    NodeId att = b.layer(LayerType::MultiHeadAttention, at, {n}, "attn");
    NodeId x = b.input({8, 16}, "x");
    LayerParams sw = b.defaults(LayerType::SwiGlu);
    sw.hidden = 32;
    NodeId y = b.layer(LayerType::SwiGlu, sw, {x}, "swiglu");
    y = b.act(LayerType::GeluTanh, y, "gelu_tanh");
    y = b.act(LayerType::HardSigmoid, y, "hard_sigmoid");
    LayerParams ca = b.defaults(LayerType::CrossAttention);
    ca.heads = 2;
    y = b.layer(LayerType::CrossAttention, ca, {y, att}, "cross");
    NodeId w = b.input({16, 16}, "w");
    y = b.layer(LayerType::MatMul, b.defaults(LayerType::MatMul), {y, w}, "matmul");
    LayerParams lstm = b.defaults(LayerType::LSTM);
    lstm.hidden = 8, lstm.bidirectional = 1;
    y = b.layer(LayerType::LSTM, lstm, {y}, "lstm");
    LayerParams gru = b.defaults(LayerType::GRU);
    gru.hidden = 16, gru.layers = 2;
    y = b.layer(LayerType::GRU, gru, {y}, "gru");
    y = b.add({y, emb}, "add");
    LayerParams head = b.defaults(LayerType::Linear);
    head.features = 20;
    head.tied = 1;
    b.layer(LayerType::Linear, head, {y}, "head");
    Network net = b.finish();
    const AnalysisResult a = analyze(net);
    QCOMPARE(a.totals.errors, 0);
    RunReport r = runKernels(net, quick(backend));
    std::map<std::string, const LayerTiming*> byName;
    for (const LayerTiming& t : r.layers)
        byName[net.node(t.id)->name] = &t;
    for (const char* name : {"embed", "rms_norm", "attn", "swiglu", "gelu_tanh", "hard_sigmoid", "cross", "matmul",
                             "lstm", "gru", "head"})
        QVERIFY2(byName[name]->status == TimingStatus::Measured, (std::string(name) + ": " + byName[name]->note).c_str());
    if (backend == BackendKind::OneDnn) {
        QVERIFY2(QString::fromStdString(byName["embed"]->note).contains("no gather primitive"), byName["embed"]->note.c_str());
        QVERIFY2(QString::fromStdString(byName["matmul"]->note).contains("matmul"), byName["matmul"]->note.c_str());
        // The recurrent layers run oneDNN's own RNN primitives, not our kernels.
        for (const auto& [name, primitive] : {std::pair{"lstm", "onednn: lstm_forward"}, std::pair{"gru", "onednn: lbr_gru_forward"}}) {
            const QString note = QString::fromStdString(byName[name]->note);
            QVERIFY2(note.contains(primitive) && !note.contains("fallback"), byName[name]->note.c_str());
        }
    }
}

QTEST_GUILESS_MAIN(TestRunner)
#include "tst_runner.moc"
