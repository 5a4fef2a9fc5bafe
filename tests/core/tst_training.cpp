// Tests the training-memory and parallelism figures: every term of a small MLP and a small CNN
// counted by hand, the ZeRO paper's Figure 1, Korthikanti et al.'s activation forms at GPT-3 175B's
// shape, and Llama-2-7B's weights, KV cache, decode and prefill, tensor parallel and selective
// recomputation.
#include "core/ModelBuilder.h"
#include "core/Zoo.h"
#include "core/train/TrainingMemory.h"

#include <QTest>

#include <cmath>

using namespace nc::core;
using namespace nc::core::train;

class TestTraining : public QObject {
    Q_OBJECT
private slots:
    void mlpEveryTermFp32Adam();
    void mlpMixedPrecisionAndOptimizers();
    void mlpComputeFirstLayerHasNoInputGradient();
    void mlpPipelineStagesAndBubble();
    void mlpDataParallelCommunication();
    void cnnEveryTerm();
    void cnnFullRecomputation();
    void zeroFigure1ClosedForm();
    void zeroFigure1OnANetwork();
    void korthikantiGpt3();
    void llamaInference();
    void llamaTensorParallel();
    void llamaSelectiveRecomputation();
    void badSettingsAreRefused();
};

namespace {

// input [4] → fc1 Linear 4→3 → ReLU (in place) → Dropout → fc2 Linear 3→2.
Network mlp(int64_t batch)
{
    ModelBuilder b("mlp");
    NodeId x = b.input({4});
    x = b.linear(x, 3, true, "fc1");
    x = b.relu(x);
    x = b.dropout(x, 0.5);
    b.linear(x, 2, true, "fc2");
    Network n = b.finish();
    n.batch = batch;
    return n;
}

// input 1×4×4 → conv 1→2 3×3 pad 1 → BatchNorm → ReLU (in place) → MaxPool 2 → Flatten → Linear 8→3.
Network cnn()
{
    ModelBuilder b("cnn");
    NodeId x = b.input({1, 4, 4});
    x = b.conv(x, 2, 3, 1, 1);
    x = b.batchNorm(x);
    x = b.relu(x);
    x = b.maxPool(x, 2, 2);
    x = b.flatten(x);
    b.linear(x, 3);
    return b.finish();
}

TrainSettings fp32Adam()
{
    TrainSettings s;
    s.precision = Precision::Fp32;
    s.optimizer = Optimizer::Adam;
    return s;
}

} // namespace

void TestTraining::mlpEveryTermFp32Adam()
{
    // Parameters: fc1 4·3 + 3 = 15, fc2 3·2 + 2 = 8; P = 23. Batch 2, fp32.
    auto p = planTraining(mlp(2), fp32Adam());
    QVERIFY2(p, p ? "" : p.error().c_str());
    QCOMPARE(p->perDevice.weights, int64_t(23 * 4));
    QCOMPARE(p->perDevice.gradients, int64_t(23 * 4));
    QCOMPARE(p->perDevice.optimizer, int64_t(23 * 8)); // Adam's m and v, no master copy in fp32
    // Kept for backward: input 4·2·4 B = 32, fc1 3·2·4 = 24, fc2 2·2·4 = 16 (ReLU in place, Dropout a
    // view) = 72, plus the dropout mask, 1 B × 6 elements.
    QCOMPARE(p->perDevice.dropoutMasks, int64_t(6));
    QCOMPARE(p->perDevice.activations, int64_t(72 + 6));
    // Workspace: the largest output + input gradients of one layer: fc1, (6 + 8)·4 B.
    QCOMPARE(p->perDevice.workspace, int64_t(56));
    QCOMPARE(p->perDevice.total, int64_t(92 + 92 + 184 + 78 + 56));
    QCOMPARE(p->stages.size(), size_t(1));
    QCOMPARE(p->bubble, 0.0);
    QCOMPARE(p->commTotal, int64_t(0));
}

void TestTraining::mlpMixedPrecisionAndOptimizers()
{
    TrainSettings s; // mixed, Adam
    auto p = planTraining(mlp(2), s);
    QVERIFY(p);
    QCOMPARE(p->perDevice.weights, int64_t(23 * 2));
    QCOMPARE(p->perDevice.gradients, int64_t(23 * 2));
    QCOMPARE(p->perDevice.optimizer, int64_t(23 * 12)); // fp32 master 4 + m 4 + v 4: ZeRO's K = 12
    QCOMPARE(p->perDevice.activations, int64_t(16 + 12 + 8 + 6)); // 16-bit activations, 1-byte masks
    QCOMPARE(p->perDevice.workspace, int64_t(28));
    QCOMPARE(p->perDevice.total, int64_t(46 + 46 + 276 + 42 + 28));

    s.optimizer = Optimizer::Momentum;
    QCOMPARE(planTraining(mlp(2), s)->perDevice.optimizer, int64_t(23 * 8)); // master + momentum
    s.optimizer = Optimizer::Sgd;
    QCOMPARE(planTraining(mlp(2), s)->perDevice.optimizer, int64_t(23 * 4)); // master only
    s.precision = Precision::Fp32;
    QCOMPARE(planTraining(mlp(2), s)->perDevice.optimizer, int64_t(0));
    s.optimizer = Optimizer::Momentum;
    QCOMPARE(planTraining(mlp(2), s)->perDevice.optimizer, int64_t(23 * 4));
}

void TestTraining::mlpComputeFirstLayerHasNoInputGradient()
{
    TrainSettings s = fp32Adam();
    s.deviceFlops = 168;
    auto p = planTraining(mlp(2), s);
    QVERIFY(p);
    // Forward at batch 2: fc1 2·4·3 = 24, fc2 2·3·2 = 12.
    QCOMPARE(p->forwardMacs, int64_t(36));
    // Backward: fc1 only its weight gradient (its input is the data) 24; fc2 weight + input 2·12.
    QCOMPARE(p->backwardMacs, int64_t(24 + 24));
    QCOMPARE(p->recomputeMacs, int64_t(0));
    QCOMPARE(p->trainMacs, int64_t(84)); // below the 3 × 36 = 108 of the rule of thumb
    // 2·84 FLOPs at 168 FLOP/s: one second per step of 2 samples.
    QCOMPARE(p->stepSeconds, 1.0);
    QCOMPARE(p->itemsPerSecond, 2.0);
    QCOMPARE(p->tokensPerSample, int64_t(4)); // a rank-1 input counts as a sequence of its length
}

void TestTraining::mlpPipelineStagesAndBubble()
{
    // Batch 8 in 4 micro-batches of 2; stages {input, fc1} and {relu, dropout, fc2}.
    TrainSettings s = fp32Adam();
    s.batch = 8;
    s.pp = 2;
    s.microbatches = 4;
    s.stageLayers = {2, 3};
    auto p = planTraining(mlp(1), s);
    QVERIFY2(p, p ? "" : p.error().c_str());
    QCOMPARE(p->microBatch, int64_t(2));
    QCOMPARE(p->bubble, 1.0 / 5.0); // (p − 1)/(m + p − 1)
    QCOMPARE(p->stages.size(), size_t(2));
    const PipelineStage& a = p->stages[0];
    const PipelineStage& b = p->stages[1];
    QCOMPARE(a.params, int64_t(15));
    QCOMPARE(a.inFlight, int64_t(2)); // 1F1B: stage 0 holds min(m, p) micro-batches
    // 60 + 60 + 120 + (32 + 24)·2 + 56.
    QCOMPARE(a.memory.total, int64_t(60 + 60 + 120 + 112 + 56));
    QCOMPARE(b.params, int64_t(8));
    QCOMPARE(b.inFlight, int64_t(1));
    // 32 + 32 + 64 + (mask 6 + fc2 16)·1 + workspace (ReLU: 6 + 6 elements)·4.
    QCOMPARE(b.memory.total, int64_t(32 + 32 + 64 + 22 + 48));
    QCOMPARE(p->perDevice.total, a.memory.total);
    // fc1's output (24 B) crosses forward, its gradient back, per micro-batch: 24 × 4 per device.
    QCOMPARE(p->commPipeline, int64_t(96));
    // The balanced split (by forward MACs, 24 | 12) gives the same stages.
    s.stageLayers.clear();
    auto q = planTraining(mlp(1), s);
    QVERIFY(q);
    QCOMPARE(q->stages[0].layers, 2);
    QCOMPARE(q->stages[1].layers, 3);
}

void TestTraining::mlpDataParallelCommunication()
{
    TrainSettings s = fp32Adam();
    s.batch = 4;
    s.dp = 2;
    auto p = planTraining(mlp(1), s);
    QVERIFY(p);
    QCOMPARE(p->microBatch, int64_t(2));
    // Ring all-reduce of 23·4 B gradients over 2 devices: 2·(1/2)·92.
    QCOMPARE(p->commDataParallel, int64_t(92));
    s.zero = 3; // + all-gathers of the weights: 3·(1/2)·92
    p = planTraining(mlp(1), s);
    QCOMPARE(p->commDataParallel, int64_t(138));
    QCOMPARE(p->perDevice.weights, int64_t(46));
    QCOMPARE(p->perDevice.gradients, int64_t(46));
    QCOMPARE(p->perDevice.optimizer, int64_t(92));
}

void TestTraining::cnnEveryTerm()
{
    // conv 2·1·9 + 2 = 20, BatchNorm 2·2 = 4 (+ 4 running statistics), Linear 8·3 + 3 = 27: P = 51.
    auto p = planTraining(cnn(), fp32Adam());
    QVERIFY2(p, p ? "" : p.error().c_str());
    QCOMPARE(p->perDevice.weights, int64_t(51 * 4 + 4 * 4));
    QCOMPARE(p->perDevice.gradients, int64_t(51 * 4));
    QCOMPARE(p->perDevice.optimizer, int64_t(51 * 8));
    // input 16 + conv 32 + BN 32 + pool 8 + linear 3 elements (ReLU in place, Flatten a view), 4 B.
    QCOMPARE(p->perDevice.activations, int64_t((16 + 32 + 32 + 8 + 3) * 4));
    QCOMPARE(p->perDevice.dropoutMasks, int64_t(0));
    // Workspace: BN's output and input gradients, (32 + 32)·4.
    QCOMPARE(p->perDevice.workspace, int64_t(256));
    QCOMPARE(p->perDevice.total, int64_t(220 + 204 + 408 + 364 + 256));
    // Forward: conv 2·9·16 = 288, linear 8·3 = 24. Backward: conv weight gradient only 288, linear 2·24.
    QCOMPARE(p->forwardMacs, int64_t(312));
    QCOMPARE(p->backwardMacs, int64_t(288 + 48));
    QCOMPARE(p->tokensPerSample, int64_t(0));
}

void TestTraining::cnnFullRecomputation()
{
    // Blocks start at the tensor entering each layer with MACs: the input (before conv) and the pool
    // output (before the linear layer). Kept: 16·4 + 8·4 = 96; the largest block recomputed in the
    // backward pass is conv + BN (32 + 32)·4 = 256; recomputed: conv 288 + linear 24.
    TrainSettings s = fp32Adam();
    s.recompute = Recompute::Full;
    auto p = planTraining(cnn(), s);
    QVERIFY(p);
    QCOMPARE(p->perDevice.activations, int64_t(96 + 256));
    QCOMPARE(p->recomputeSavedBytes, int64_t(364 - 352));
    QCOMPARE(p->recomputeMacs, int64_t(312));
    QCOMPARE(p->trainMacs, int64_t(312 + 336 + 312));
    // every:2 keeps only the first checkpoint: 64 kept + everything else (128 + 128 + 32 + 12) once.
    s.recompute = Recompute::EveryK;
    s.every = 2;
    p = planTraining(cnn(), s);
    QCOMPARE(p->perDevice.activations, int64_t(64 + 300));
    QCOMPARE(p->recomputeSavedBytes, int64_t(0));
}

void TestTraining::zeroFigure1ClosedForm()
{
    // Ψ = 7.5 B, K = 12, Nd = 64; the paper prints GB = 10⁹ B to one decimal.
    auto gb = [](int stage) { return std::round(zeroBytesPerDevice(7.5e9, 12, 64, stage) / 1e8) / 10; };
    QCOMPARE(gb(0), 120.0);
    QCOMPARE(gb(1), 31.4);
    QCOMPARE(gb(2), 16.6);
    QCOMPARE(gb(3), 1.9);
}

void TestTraining::zeroFigure1OnANetwork()
{
    // A Linear 74,999 → 100,000 has 100,000·(74,999 + 1) = 7.5·10⁹ parameters.
    ModelBuilder b("psi");
    b.linear(b.input({74999}), 100000);
    Network n = b.finish();
    TrainSettings s; // mixed precision Adam
    s.batch = 64;
    s.dp = 64;
    const int64_t expect[4] = {120'000'000'000, 31'406'250'000, 16'640'625'000, 1'875'000'000};
    for (int stage = 0; stage <= 3; ++stage) {
        s.zero = stage;
        auto p = planTraining(n, s);
        QVERIFY2(p, p ? "" : p.error().c_str());
        QCOMPARE(p->perDevice.weights + p->perDevice.gradients + p->perDevice.optimizer, expect[stage]);
    }
}

void TestTraining::korthikantiGpt3()
{
    // s = 2,048, h = 12,288, a = 96, b = 1: s·b·h = 25,165,824 and 5·a·s/h = 80.
    const double s = 2048, h = 12288, a = 96;
    QCOMPARE(korthikantiBytes(Korthikanti::None, s, 1, h, a, 1), 25165824.0 * 114);      // 2,868,903,936
    // t = 8: 10 + 24/8 + 80/8 = 23.
    QCOMPARE(korthikantiBytes(Korthikanti::TensorParallel, s, 1, h, a, 8), 578813952.0);
    QCOMPARE(korthikantiBytes(Korthikanti::TensorSequence, s, 1, h, a, 8), 358612992.0);  // 114/8
    QCOMPARE(korthikantiBytes(Korthikanti::SelectiveTensor, s, 1, h, a, 8), 327155712.0); // 13
    QCOMPARE(korthikantiBytes(Korthikanti::SelectiveTensorSequence, s, 1, h, a, 8), 106954752.0); // 34/8
    QCOMPARE(korthikantiBytes(Korthikanti::Full, s, 1, h, a, 8), 50331648.0);
    // With t = 1 every form falls back to no parallelism.
    QCOMPARE(korthikantiBytes(Korthikanti::TensorParallel, s, 1, h, a, 1), 25165824.0 * 114);
}

void TestTraining::llamaInference()
{
    Network n = loadZoo("llama2_7b").value();
    auto one = planInference(n, 16, 1, 1);
    QVERIFY2(one, one ? "" : one.error().c_str());
    QCOMPARE(one->weightBytes, int64_t(13'476'831'232)); // 6,738,415,616 × 2
    QCOMPARE(one->kvCacheBytes, int64_t(524'288));       // 2·32 layers·32 heads·128·2 B per token
    auto p = planInference(n, 16, 4096, 1);
    QVERIFY(p);
    QCOMPARE(p->kvCacheBytes, int64_t(2'147'483'648));
    // Per decoded token: 32·(4·D² + 3·D·H + 2·4,096·D) + D·V with D = 4,096, H = 11,008, V = 32,000.
    QCOMPARE(p->decodeMacsPerToken, int64_t(7'680'819'200));
    QCOMPARE(p->decodeBytesPerToken, int64_t(13'476'831'232 + 2'147'483'648));
    // Prefill of 4,096 tokens: 32·(T·(4·D² + 3·D·H) + 2·T²·D) + T·D·V.
    QCOMPARE(p->prefillMacs, int64_t(31'460'635'443'200));
    QCOMPARE(p->prefillBytesRead, int64_t(13'476'831'232));
    // Not a decoder: no decode figures.
    QVERIFY(!planInference(cnn(), 16, 4, 1));
}

void TestTraining::llamaTensorParallel()
{
    Network n = loadZoo("llama2_7b").value();
    TrainSettings s;
    s.tp = 2;
    auto p = planTraining(n, s);
    QVERIFY2(p, p ? "" : p.error().c_str());
    // Split: 32·(4·D² + 3·D·H)/2 = 3,238,002,688; whole: norms 33·4,096, embedding and head 2·V·D.
    QCOMPARE(p->stages[0].params, int64_t(3'238'002'688 + 262'410'240));
    QCOMPARE(p->perDevice.weights, int64_t(7'000'825'856));
    // 64 split layers, each all-reducing a 4,096×4,096 16-bit output forward and a gradient backward:
    // 2·2·(1/2)·64·33,554,432.
    QCOMPARE(p->commTensorParallel, int64_t(4'294'967'296));
    s.tp = 3;
    auto bad = planTraining(n, s);
    QVERIFY(!bad);
    QVERIFY2(QString::fromStdString(bad.error()).contains("layers.0.self_attn"), bad.error().c_str());
}

void TestTraining::llamaSelectiveRecomputation()
{
    Network n = loadZoo("llama2_7b").value();
    TrainSettings s;
    s.recompute = Recompute::Selective;
    auto p = planTraining(n, s);
    QVERIFY(p);
    // The 32 heads × 4,096² attention maps of 32 layers at 2 B; recomputing Q·Kᵀ and A·V, 2·T²·D each.
    QCOMPARE(p->recomputeSavedBytes, int64_t(34'359'738'368));
    QCOMPARE(p->recomputeMacs, int64_t(4'398'046'511'104));
    QCOMPARE(p->kvCacheBytes, int64_t(2'147'483'648));
}

void TestTraining::badSettingsAreRefused()
{
    TrainSettings s;
    s.batch = 3;
    s.dp = 2;
    auto p = planTraining(mlp(1), s);
    QVERIFY(!p);
    QVERIFY2(QString::fromStdString(p.error()).contains("does not split"), p.error().c_str());
    s = {};
    s.zero = 4;
    QVERIFY(!planTraining(mlp(1), s));
    s = {};
    s.pp = 9;
    QVERIFY(!planTraining(mlp(1), s));
    s = {};
    s.pp = 2;
    s.stageLayers = {4, 2};
    QVERIFY(!planTraining(mlp(1), s));
}

QTEST_GUILESS_MAIN(TestTraining)
#include "tst_training.moc"
