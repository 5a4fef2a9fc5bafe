// Walks every registered layer kind: each facet is given or declared not applicable, each kind has a
// file key, label, palette entry, a hand-computed shape-and-cost row and, if spatial, a
// receptive-field row. Adding a kind without them fails here.
#include "core/Analysis.h"
#include "core/Catalogue.h"
#include "core/ModelBuilder.h"
#include "core/NetworkFile.h"
#include "core/LayerRules.h"
#include "core/layers/KindSupport.h"
#include "core/layers/LayerKind.h"

#include <QTest>

#include <map>

using namespace nc::core;

namespace {

// A hand-computed case: the computation is written beside each row.
struct CostRow {
    std::vector<Shape> in;
    LayerParams params;
    Shape out;
    int64_t params_ = 0, state = 0, macs = 0, ops = 0;
    int64_t paddingMacs = 0; // of macs, the products with zero padding
};

// A receptive-field case on a fresh input (field 1, jump 1, start 0): size, jump and start along H
// (along W, axis 1, for 1-D kinds: a C×L map carries its field on W); `valid` false where the kind
// reports the field unknown.
struct RfRow {
    Shape in;
    LayerParams params;
    int64_t size, jump;
    double start;
    int axis = 0;
    bool valid = true;
};

LayerParams d(LayerType t) { return Catalogue::instance().spec(t).defaults; }

LayerParams with(LayerType t, void (*f)(LayerParams&))
{
    LayerParams p = d(t);
    f(p);
    return p;
}

const std::map<std::string_view, CostRow>& costRows()
{
    using T = LayerType;
    static const std::map<std::string_view, CostRow> rows{
        {"input", {{}, with(T::Input, [](LayerParams& p) { p.dims = Shape{3, 32, 32}; }), Shape{3, 32, 32}}},
        // 512·10 + 10 params; 512·10 MACs; 10 bias adds
        {"linear", {{Shape{512}}, with(T::Linear, [](LayerParams& p) { p.features = 10; }), Shape{10}, 5130, 0, 5120, 10}},
        // 16·3·3·3 + 16 = 448; 432·32·32 = 442,368 MACs; 16·32·32 bias adds. Padding 1: per axis the
        // first and last outputs each have one tap outside, 3·32 − 2 = 94 inside: 16·3·(96·96 − 94·94)
        // = 18,240 MACs on zero padding.
        {"conv2d",
         {{Shape{3, 32, 32}}, with(T::Conv2d, [](LayerParams& p) { p.features = 16; }), Shape{16, 32, 32}, 448, 0,
          442368, 16384, 18240}},
        // ho = ⌊(16 + 2 − 3)/2⌋ + 1 = 8; 8·9 + 8 = 80; 72·8·8 = 4,608 MACs. Taps of output o read 2o − 1,
        // 2o, 2o + 1: only o = 0's first is padding (o = 7 reads 13..15): 8·(24·24 − 23·23) = 376.
        {"depthwise_conv2d",
         {{Shape{8, 16, 16}}, with(T::DepthwiseConv2d, [](LayerParams& p) { p.sh = p.sw = 2; }), Shape{8, 8, 8}, 80, 0,
          4608, 512, 376}},
        // 4×4×4 outputs · 2·2
        {"max_pool2d", {{Shape{4, 8, 8}}, d(T::MaxPool2d), Shape{4, 4, 4}, 0, 0, 0, 256}},
        // ho = ⌊(7 + 2 − 3)/2⌋ + 1 = 4; 64 outputs · 9
        {"avg_pool2d",
         {{Shape{4, 7, 7}},
          with(T::AvgPool2d,
               [](LayerParams& p) {
                   p.kh = p.kw = 3;
                   p.pt = p.pb = p.pl = p.pr = 1;
               }),
          Shape{4, 4, 4}, 0, 0, 0, 576}},
        // one add per input element: 4·7·7
        {"global_avg_pool", {{Shape{4, 7, 7}}, d(T::GlobalAvgPool), Shape{4, 1, 1}, 0, 0, 0, 196}},
        // windows of 6 → 3 have length 2 each: 2·(2+2+2)·(2+2+2) = 72
        {"adaptive_avg_pool2d",
         {{Shape{2, 6, 6}}, with(T::AdaptiveAvgPool2d, [](LayerParams& p) { p.outH = p.outW = 3; }), Shape{2, 3, 3}, 0, 0,
          0, 72}},
        // γ, β: 2·8; running statistics 2·8; 128 elements · (2 + 2)
        {"batch_norm", {{Shape{8, 4, 4}}, d(T::BatchNorm), Shape{8, 4, 4}, 16, 16, 0, 512}},
        // γ, β over 64: 128; 640 elements · (5 + 2)
        {"layer_norm", {{Shape{10, 64}}, d(T::LayerNorm), Shape{10, 64}, 128, 0, 0, 4480}},
        // no affine; 48 elements · 5
        {"instance_norm", {{Shape{3, 4, 4}}, d(T::InstanceNorm), Shape{3, 4, 4}, 0, 0, 0, 240}},
        // γ, β: 2·8; 32 elements · (5 + 2)
        {"group_norm",
         {{Shape{8, 2, 2}}, with(T::GroupNorm, [](LayerParams& p) { p.numGroups = 4; }), Shape{8, 2, 2}, 16, 0, 0, 224}},
        // 48 elements · ops per element (README): ReLU 1, ReLU6 2, LeakyReLU 2, Sigmoid 3, Tanh 5, SiLU 4,
        // HardSwish 5, GELU 5
        {"relu", {{Shape{3, 4, 4}}, d(T::ReLU), Shape{3, 4, 4}, 0, 0, 0, 48}},
        {"relu6", {{Shape{3, 4, 4}}, d(T::ReLU6), Shape{3, 4, 4}, 0, 0, 0, 96}},
        {"leaky_relu", {{Shape{3, 4, 4}}, d(T::LeakyReLU), Shape{3, 4, 4}, 0, 0, 0, 96}},
        {"sigmoid", {{Shape{3, 4, 4}}, d(T::Sigmoid), Shape{3, 4, 4}, 0, 0, 0, 144}},
        {"tanh", {{Shape{3, 4, 4}}, d(T::Tanh), Shape{3, 4, 4}, 0, 0, 0, 240}},
        {"silu", {{Shape{3, 4, 4}}, d(T::SiLU), Shape{3, 4, 4}, 0, 0, 0, 192}},
        {"hard_swish", {{Shape{3, 4, 4}}, d(T::HardSwish), Shape{3, 4, 4}, 0, 0, 0, 240}},
        {"gelu", {{Shape{3, 4, 4}}, d(T::GELU), Shape{3, 4, 4}, 0, 0, 0, 240}},
        // 10 elements · 5 (max, sub, exp, sum, div)
        {"softmax", {{Shape{10}}, d(T::Softmax), Shape{10}, 0, 0, 0, 50}},
        // 18 outputs · (2 − 1)
        {"add", {{Shape{2, 3, 3}, Shape{2, 3, 3}}, d(T::Add), Shape{2, 3, 3}, 0, 0, 0, 18}},
        // a C×1×1 gate broadcast over 4×5×5: 100 products
        {"multiply", {{Shape{4, 5, 5}, Shape{4, 1, 1}}, d(T::Multiply), Shape{4, 5, 5}, 0, 0, 0, 100}},
        // 3 + 5 channels
        {"concat", {{Shape{3, 4, 4}, Shape{5, 4, 4}}, d(T::Concat), Shape{8, 4, 4}}},
        // 2·3·4
        {"flatten", {{Shape{2, 3, 4}}, d(T::Flatten), Shape{24}}},
        {"dropout", {{Shape{10}}, d(T::Dropout), Shape{10}}},
        // grid (32/16)·(32/16) = 4, + class token = 5 tokens; params 8·3·16·16 + 8 (bias) + 8 (class
        // token) + 5·8 (position) = 6,200; MACs 6,144·4; ops 4·8 bias adds + 5·8 position adds
        {"patch_embed",
         {{Shape{3, 32, 32}}, with(T::PatchEmbed, [](LayerParams& p) { p.features = 8; }), Shape{5, 8}, 6200, 0, 24576,
          72}},
        {"class_token_select", {{Shape{5, 8}}, d(T::ClassTokenSelect), Shape{8}}},
        // T = 4, D = 8, 2 heads: params 4·8² + 4·8 = 288; MACs 4·4·8² + 2·4²·8 = 1,280;
        // ops 6·(2·4·4) + 4·4·8 bias adds = 320
        {"multi_head_attention",
         {{Shape{4, 8}}, with(T::MultiHeadAttention, [](LayerParams& p) { p.heads = 2; }), Shape{4, 8}, 288, 0, 1280,
          320}},
        // 4 rows of 8, hidden 16: params 8·16 + 16·8 + 16 + 8 = 280; MACs 4·(128 + 128) = 1,024;
        // ops GELU 5·4·16 + bias adds 4·16 + 4·8 = 416
        {"mlp", {{Shape{4, 8}}, with(T::Mlp, [](LayerParams& p) { p.hidden = 16; }), Shape{4, 8}, 280, 0, 1024, 416}},
        // 24 elements as 6 × (−1 → 4)
        {"reshape", {{Shape{2, 3, 4}}, with(T::Reshape, [](LayerParams& p) { p.dims = Shape{6, -1}; }), Shape{6, 4}}},
        {"opaque", {{Shape{3}}, with(T::Opaque, [](LayerParams& p) { p.dims = Shape{7}; }), Shape{7}}},
        // axes (0, 2, 1) of 2×3×4
        {"transpose", {{Shape{2, 3, 4}}, d(T::Transpose), Shape{2, 4, 3}}},
        // channels 2, 4 of 8: ⌈(6 − 2)/2⌉ = 2
        {"slice",
         {{Shape{8, 4, 4}},
          with(T::Slice,
               [](LayerParams& p) {
                   p.sliceStart = 2;
                   p.sliceEnd = 6;
                   p.sliceStep = 2;
               }),
          Shape{2, 4, 4}}},
        // 6 channels as 2 + 4: port 0 is 2×4×4
        {"split", {{Shape{6, 4, 4}}, with(T::Split, [](LayerParams& p) { p.dims = Shape{2, 4}; }), Shape{2, 4, 4}}},
        // mean over H and W of 3×4×5: 60 adds + 3 divides
        {"reduce", {{Shape{3, 4, 5}}, d(T::Reduce), Shape{3, 1, 1}, 0, 0, 0, 63}},
        {"squeeze", {{Shape{3, 1, 1}}, d(T::Squeeze), Shape{3}}},
        {"unsqueeze", {{Shape{5}}, d(T::Unsqueeze), Shape{1, 5}}},
        // 6 tokens, vocabulary 10, dim 4, 8 positions, 2 segments: params 10·4 + 8·4 + 2·4 = 80;
        // a lookup (0 MACs); position and segment adds 2·6·4 = 48
        {"embedding",
         {{Shape{6}}, with(T::Embedding,
                           [](LayerParams& p) {
                               p.vocab = 10;
                               p.features = 4;
                               p.positions = 8;
                               p.tokenTypes = 2;
                           }),
          Shape{6, 4}, 80, 0, 0, 48}},
        // γ over 8; 40 elements · (3 + 1)
        {"rms_norm", {{Shape{5, 8}}, d(T::RMSNorm), Shape{5, 8}, 8, 0, 0, 160}},
        // 48 elements · 13 (x³ 2, ·c, +x, ·k, tanh 5, +1, ·x, ·0.5)
        {"gelu_tanh", {{Shape{3, 4, 4}}, d(T::GeluTanh), Shape{3, 4, 4}, 0, 0, 0, 624}},
        // 48 elements · 4 (mul, add, min, max)
        {"hard_sigmoid", {{Shape{3, 4, 4}}, d(T::HardSigmoid), Shape{3, 4, 4}, 0, 0, 0, 192}},
        // 4 rows of 8, hidden 16, no bias: params 3·8·16 = 384; MACs 4·384 = 1,536;
        // ops (SiLU 4 + gate 1)·4·16 = 320
        {"swiglu", {{Shape{4, 8}}, with(T::SwiGlu, [](LayerParams& p) { p.hidden = 16; }), Shape{4, 8}, 384, 0, 1536, 320}},
        // queries 4×8, memory 6×12, 2 heads (head dim 4), 1 kv head (kv = 4): params 2·8·8 + 2·12·4 = 224
        // + biases 2·8 + 2·4 = 248; MACs 2·4·8·8 + 2·6·12·4 + 2·4·6·8 = 512 + 576 + 384 = 1,472;
        // ops 6·2·4·6 (map) + 2·4·8 + 2·6·4 (biases) = 288 + 112 = 400
        {"cross_attention",
         {{Shape{4, 8}, Shape{6, 12}}, with(T::CrossAttention,
                                            [](LayerParams& p) {
                                                p.heads = 2;
                                                p.kvHeads = 1;
                                            }),
          Shape{4, 8}, 248, 0, 1472, 400}},
        // 2×3×4 · 4×5 → 2×3×5; MACs 2·3·5·4 = 120
        {"matmul", {{Shape{2, 3, 4}, Shape{4, 5}}, d(T::MatMul), Shape{2, 3, 5}, 0, 0, 120, 0}},
        // T 5, I 3, H 4, 2 layers, bidirectional. Params: layer 0 4·(4·(3 + 4) + 2·4)·2 = 288, layer 1
        // (I = 8) 4·(4·(8 + 4) + 8)·2 = 448: 736. MACs 5·4·4·7·2 + 5·4·4·12·2 = 1,120 + 1,920 = 3,040.
        // Ops 5·4·2·2·(27 + 2·4) = 2,800
        {"lstm",
         {{Shape{5, 3}}, with(T::LSTM,
                              [](LayerParams& p) {
                                  p.hidden = 4;
                                  p.layers = 2;
                                  p.bidirectional = 1;
                              }),
          Shape{5, 8}, 736, 0, 3040, 2800}},
        // T 5, I 3, H 4: params 3·(4·7 + 8) = 108; MACs 5·3·4·7 = 420; ops 5·4·(18 + 2·3) = 480
        {"gru", {{Shape{5, 3}}, with(T::GRU, [](LayerParams& p) { p.hidden = 4; }), Shape{5, 4}, 108, 0, 420, 480}},
        // lo = ⌊(50 + 1 + 1 − 3)/2⌋ + 1 = 25; params 8·4·3 + 8 = 104; MACs 8·4·3·25 = 2,400; 8·25 bias adds.
        // Output o reads 2o − 1 .. 2o + 1: one tap of 75 on padding (o = 24 reads 47..49): 8·4·1 = 32.
        {"conv1d",
         {{Shape{4, 50}},
          with(T::Conv1d,
               [](LayerParams& p) {
                   p.features = 8;
                   p.sw = 2;
               }),
          Shape{8, 25}, 104, 0, 2400, 200, 32}},
        // 3×3×3, padding 1: 4×6×6 kept; params 4·2·27 + 4 = 220; MACs 216·(4·6·6) = 31,104; 4·144 bias adds.
        // Taps inside: D 3·4 − 2 = 10, H and W 3·6 − 2 = 16: 4·2·(12·18·18 − 10·16·16) = 10,624 on padding.
        {"conv3d",
         {{Shape{2, 4, 6, 6}}, with(T::Conv3d, [](LayerParams& p) { p.features = 4; }), Shape{4, 4, 6, 6}, 220, 0,
          31104, 576, 10624}},
        // lo = (10 − 1)·2 − 0 + (2 − 1) + 0 + 1 = 20; params 4·2·2 + 2 = 18; MACs 4·2·2·10 = 160 (per input
        // position); 2·20 bias adds; no padding, every product lands inside
        {"conv_transpose1d",
         {{Shape{4, 10}}, with(T::ConvTranspose1d, [](LayerParams& p) { p.features = 2; }), Shape{2, 20}, 18, 0, 160,
          40}},
        // 3×3 s2 p1 output padding 1: ho = (5 − 1)·2 − 2 + 2 + 1 + 1 = 10; params 8·4·9 + 4 = 292;
        // MACs 8·4·9·(5·5) = 7,200; 4·100 bias adds. Input i's taps write 2i − 1 .. 2i + 1: only i = 0's
        // first lands in the cropped padding (i = 4 writes 7..9 of 10): 8·4·(15·15 − 14·14) = 928.
        {"conv_transpose2d",
         {{Shape{8, 5, 5}},
          with(T::ConvTranspose2d,
               [](LayerParams& p) {
                   p.features = 4;
                   p.kh = p.kw = 3;
                   p.pt = p.pl = 1;
                   p.outPadH = p.outPadW = 1;
               }),
          Shape{4, 10, 10}, 292, 0, 7200, 400, 928}},
        // 40 / 4 = 10 per channel; 3·10 outputs · 4 compares
        {"max_pool1d", {{Shape{3, 40}}, d(T::MaxPool1d), Shape{3, 10}, 0, 0, 0, 120}},
        // ⌊(9 − 2)/2⌋ + 1 = 4; 3·4 outputs · 2 adds
        {"avg_pool1d", {{Shape{3, 9}}, d(T::AvgPool1d), Shape{3, 4}, 0, 0, 0, 24}},
        // 2×2×2 s2: 2×3×3; 2·18 outputs · 8
        {"max_pool3d", {{Shape{2, 4, 6, 6}}, d(T::MaxPool3d), Shape{2, 2, 3, 3}, 0, 0, 0, 288}},
        {"avg_pool3d", {{Shape{2, 4, 6, 6}}, d(T::AvgPool3d), Shape{2, 2, 3, 3}, 0, 0, 0, 288}},
        // one compare per input element: 3·50
        {"global_max_pool", {{Shape{3, 50}}, d(T::GlobalMaxPool), Shape{3, 1}, 0, 0, 0, 150}},
        // bilinear ×2: 3×8×10 outputs · 7 (4 multiplies + 3 adds) = 1,680
        {"upsample",
         {{Shape{3, 4, 5}}, with(T::Upsample, [](LayerParams& p) { p.resizeMode = 1; }), Shape{3, 8, 10}, 0, 0, 0,
          1680}},
        // 1 on every side: 4 + 2, 5 + 2; a copy, 0 ops
        {"pad", {{Shape{3, 4, 5}}, d(T::Pad), Shape{3, 6, 7}}},
    };
    return rows;
}

const std::map<std::string_view, RfRow>& rfRows()
{
    using T = LayerType;
    // start' = start + ((k_eff − 1)/2 − pad)·j; size' = size + (k_eff − 1)·j; jump' = j·s
    static const std::map<std::string_view, RfRow> rows{
        {"conv2d", {Shape{3, 32, 32}, d(T::Conv2d), 3, 1, 0.0}},
        {"depthwise_conv2d", {Shape{8, 16, 16}, with(T::DepthwiseConv2d, [](LayerParams& p) { p.sh = p.sw = 2; }), 3, 2, 0.0}},
        {"max_pool2d", {Shape{4, 8, 8}, d(T::MaxPool2d), 2, 2, 0.5}},
        {"avg_pool2d",
         {Shape{4, 7, 7},
          with(T::AvgPool2d,
               [](LayerParams& p) {
                   p.kh = p.kw = 3;
                   p.pt = p.pb = p.pl = p.pr = 1;
               }),
          3, 2, 0.0}},
        // the whole 7-pixel axis: 1 + (7 − 1)·1, jump 7, centre 3
        {"global_avg_pool", {Shape{4, 7, 7}, d(T::GlobalAvgPool), 7, 7, 3.0}},
        // 6 → 3: windows of 2, stride 2
        {"adaptive_avg_pool2d", {Shape{2, 6, 6}, with(T::AdaptiveAvgPool2d, [](LayerParams& p) { p.outH = p.outW = 3; }), 2, 2, 0.5}},
        // 16×16 patches: size 16, jump 16, centre 7.5
        {"patch_embed", {Shape{3, 32, 32}, with(T::PatchEmbed, [](LayerParams& p) { p.features = 8; }), 16, 16, 7.5}},
        // 1-D kinds along W: 3 taps stride 2 pad 1: size 3, jump 2, start (1 − 1)·1 = 0
        {"conv1d", {Shape{4, 50}, with(T::Conv1d, [](LayerParams& p) { p.sw = 2; }), 3, 2, 0.0, 1}},
        {"conv3d", {Shape{2, 4, 6, 6}, d(T::Conv3d), 3, 1, 0.0}},
        // stride 1, k3, p1: output o receives inputs o + 1, o, o − 1: size 3, jump 1, centred on o (as Conv1d)
        {"conv_transpose1d",
         {Shape{4, 10},
          with(T::ConvTranspose1d,
               [](LayerParams& p) {
                   p.kw = 3;
                   p.sw = 1;
                   p.pl = 1;
               }),
          3, 1, 0.0, 1}},
        // stride 2 on a fresh field: the units fall between input pixels (jump 1/2): reported unknown
        {"conv_transpose2d", {Shape{4, 6, 6}, d(T::ConvTranspose2d), 1, 1, 0.0, 0, false}},
        // 4-wide windows stride 4: size 4, jump 4, centre 1.5
        {"max_pool1d", {Shape{3, 40}, d(T::MaxPool1d), 4, 4, 1.5, 1}},
        {"avg_pool1d", {Shape{3, 9}, d(T::AvgPool1d), 2, 2, 0.5, 1}},
        {"max_pool3d", {Shape{2, 4, 6, 6}, d(T::MaxPool3d), 2, 2, 0.5}},
        {"avg_pool3d", {Shape{2, 4, 6, 6}, d(T::AvgPool3d), 2, 2, 0.5}},
        // the whole 50-long axis: 1 + 49, jump 50, centre 24.5
        {"global_max_pool", {Shape{3, 50}, d(T::GlobalMaxPool), 50, 50, 24.5, 1}},
        // ×2 on a fresh field: sub-pixel units, unknown (see upsampleAfterStrideHalvesTheJump)
        {"upsample", {Shape{3, 4, 5}, d(T::Upsample), 1, 1, 0.0, 0, false}},
        // a shift by the top padding: size 1, jump 1, the first unit 1 pixel before the input
        {"pad", {Shape{3, 4, 5}, d(T::Pad), 1, 1, -1.0}},
    };
    return rows;
}

ReceptiveField freshField(const Shape& in)
{
    LayerParams p = d(LayerType::Input);
    p.dims = in;
    return *receptiveField(LayerType::Input, p, {}, {}, in);
}

} // namespace

class TestLayerKinds : public QObject {
    Q_OBJECT
private slots:
    void registryIsComplete();
    void everyKind_data();
    void everyKind();
    void missingFacetIsReported();
    void multiOutputKindsGiveEveryPort();
    void broadcastGateKeepsTheMapsGrid();
    void receptiveFieldOverflowIsAnError();
    void attentionOptions();
    void tiedHeadNeedsItsEmbedding();
    void kvCacheFollowsTheContext();
    void transposedConvolutionUndoesAStride();
    void upsampleAfterStrideHalvesTheJump_data();
    void upsampleAfterStrideHalvesTheJump();
    void oneDimensionalInputCarriesItsFieldOnW();
    void tapsInsideCountsEveryPair();
};

void TestLayerKinds::registryIsComplete()
{
    const auto kinds = layerKinds();
    QCOMPARE(static_cast<int>(kinds.size()), kLayerTypeCount);
    for (int t = 0; t < kLayerTypeCount; ++t)
        QCOMPARE(static_cast<int>(kinds[static_cast<size_t>(t)].spec.type), t);
    const std::vector<std::string> problems = kindRegistryProblems(kinds);
    for (const std::string& p : problems)
        qWarning("%s", p.c_str());
    QVERIFY(problems.empty());
}

void TestLayerKinds::everyKind_data()
{
    QTest::addColumn<int>("type");
    for (const LayerKind& k : layerKinds())
        QTest::newRow(std::string(k.spec.key).c_str()) << static_cast<int>(k.spec.type);
}

void TestLayerKinds::everyKind()
{
    QFETCH(int, type);
    const LayerKind& k = layerKind(static_cast<LayerType>(type));
    QVERIFY(!k.spec.key.empty());
    QVERIFY(!k.spec.label.empty());
    QCOMPARE(layerTypeFromKey(k.spec.key), std::optional<LayerType>(k.spec.type));
    // Only imports create opaque layers; every other kind can be dragged from the palette.
    QVERIFY(!k.palette.empty() || k.spec.type == LayerType::Opaque);
    for (const PaletteEntry& e : k.palette)
        QCOMPARE(e.type, k.spec.type);
    QVERIFY(k.shape && k.costs && k.receptiveField && k.explain && k.summary);
    QVERIFY2(k.kernel.declared(), "kernel facet");
    QVERIFY2(k.pytorch.declared(), "PyTorch export facet");
    QVERIFY2(k.onnxExport.declared(), "ONNX export facet");
    QVERIFY2(k.onnxImport.declared(), "ONNX import facet");
    for (const AttrSpec& a : k.spec.attrs)
        QVERIFY2((a.kind == AttrKind::Float) == (a.floatField != nullptr) &&
                     (a.kind == AttrKind::Dims || a.floatField || a.intField),
                 std::string(a.key).c_str());

    // A hand-computed row.
    auto row = costRows().find(k.spec.key);
    QVERIFY2(row != costRows().end(), "no hand-computed shape-and-cost row for this kind");
    const CostRow& c = row->second;
    auto out = inferShape(k.spec.type, c.params, c.in);
    QVERIFY2(out.ok(), out.ok() ? "" : out.error().c_str());
    QCOMPARE(*out, c.out);
    auto costs = layerCosts(k.spec.type, c.params, c.in, *out);
    QVERIFY(costs.ok());
    QCOMPARE(costs->params, c.params_);
    QCOMPARE(costs->state, c.state);
    QCOMPARE(costs->macs, c.macs);
    QCOMPARE(costs->otherOps, c.ops);
    QCOMPARE(costs->paddingMacs, c.paddingMacs);

    // Spatial kinds: a receptive-field row too.
    if (k.spatial) {
        auto rf = rfRows().find(k.spec.key);
        QVERIFY2(rf != rfRows().end(), "spatial kind without a receptive-field row");
        const RfRow& r = rf->second;
        ReceptiveField in = freshField(r.in);
        auto o = inferShape(k.spec.type, r.params, {&r.in, 1});
        QVERIFY(o.ok());
        auto f = receptiveField(k.spec.type, r.params, {&in, 1}, {&r.in, 1}, *o);
        QVERIFY(f.ok());
        QCOMPARE(f->valid, r.valid);
        QCOMPARE(f->size[r.axis], r.size);
        QCOMPARE(f->jump[r.axis], r.jump);
        QCOMPARE(f->start[r.axis], r.start);
    }
}

void TestLayerKinds::missingFacetIsReported()
{
    std::vector<LayerKind> kinds(layerKinds().begin(), layerKinds().end());
    kinds[static_cast<size_t>(LayerType::Conv2d)].onnxExport = {};
    kinds[static_cast<size_t>(LayerType::ReLU)].receptiveField = nullptr;
    kinds.erase(kinds.begin() + static_cast<std::ptrdiff_t>(LayerType::Tanh));
    const auto problems = kindRegistryProblems(kinds);
    QCOMPARE(static_cast<int>(problems.size()), 3);
    QVERIFY(QString::fromStdString(problems[0]).startsWith("conv2d: ONNX export"));
    QVERIFY(QString::fromStdString(problems[1]).startsWith("relu: a rule"));
    QVERIFY(QString::fromStdString(problems[2]).contains("LayerType value 16 has no registered kind"));
}

void TestLayerKinds::multiOutputKindsGiveEveryPort()
{
    for (const LayerKind& k : layerKinds()) {
        const LayerParams& p = k.spec.defaults;
        if (k.spec.outputCount(p) == 1) {
            QVERIFY2(!k.extraOutputs, std::string(k.spec.key).c_str());
            continue;
        }
        QVERIFY2(k.extraOutputs, std::string(k.spec.key).c_str());
        auto row = costRows().find(k.spec.key);
        QVERIFY(row != costRows().end());
        const CostRow& c = row->second;
        auto out = inferShape(k.spec.type, c.params, c.in);
        QVERIFY(out.ok());
        QCOMPARE(static_cast<int>(k.extraOutputs(c.params, c.in, *out).size()) + 1, k.spec.outputCount(c.params));
    }
    // Split of 6 channels into 2 + 4: port 1 is the 4-channel piece.
    const Shape x{6, 4, 4};
    LayerParams s = d(LayerType::Split);
    s.dims = Shape{2, 4};
    const auto extra = layerKind(LayerType::Split).extraOutputs(s, {&x, 1}, Shape{2, 4, 4});
    QCOMPARE(static_cast<int>(extra.size()), 1);
    QCOMPARE(extra[0], (Shape{4, 4, 4}));
}

// conv (k3 s2 p1) → global pool → multiply(conv, gate) → conv (k3 s1 p1), on 3×16×16.
// conv: RF 3, jump 2; gate: RF 3 + (8 − 1)·2 = 17, jump 16; the product keeps the conv's grid
// (jump 2) and the larger field 17; the last conv: 17 + (3 − 1)·2 = 21, jump 2.
void TestLayerKinds::broadcastGateKeepsTheMapsGrid()
{
    const Shape x{3, 16, 16};
    ReceptiveField in = freshField(x);
    LayerParams c1 = d(LayerType::Conv2d);
    c1.features = 4;
    c1.sh = c1.sw = 2;
    Shape s1 = *inferShape(LayerType::Conv2d, c1, {&x, 1});
    ReceptiveField f1 = *receptiveField(LayerType::Conv2d, c1, {&in, 1}, {&x, 1}, s1);
    QCOMPARE(f1.jump[0], int64_t(2));
    LayerParams g = d(LayerType::GlobalAvgPool);
    Shape s2 = *inferShape(LayerType::GlobalAvgPool, g, {&s1, 1});
    ReceptiveField f2 = *receptiveField(LayerType::GlobalAvgPool, g, {&f1, 1}, {&s1, 1}, s2);
    QCOMPARE(f2.size[0], int64_t(17));
    QCOMPARE(f2.jump[0], int64_t(16));
    const std::vector<Shape> mi{s1, s2};
    const std::vector<ReceptiveField> mf{f1, f2};
    LayerParams m = d(LayerType::Multiply);
    Shape s3 = *inferShape(LayerType::Multiply, m, mi);
    ReceptiveField f3 = *receptiveField(LayerType::Multiply, m, mf, mi, s3);
    QCOMPARE(f3.size[0], int64_t(17));
    QCOMPARE(f3.jump[0], int64_t(2));
    QCOMPARE(f3.extent[0], int64_t(8));
    LayerParams c2 = d(LayerType::Conv2d);
    Shape s4 = *inferShape(LayerType::Conv2d, c2, {&s3, 1});
    ReceptiveField f4 = *receptiveField(LayerType::Conv2d, c2, {&f3, 1}, {&s3, 1}, s4);
    QCOMPARE(f4.size[0], int64_t(21));
    QCOMPARE(f4.jump[0], int64_t(2));
}

void TestLayerKinds::receptiveFieldOverflowIsAnError()
{
    // A field whose jump is already near 2⁶² cannot grow by a 3×3 window without leaving 64 bits.
    const Shape x{1, 8, 8};
    ReceptiveField in = freshField(x);
    in.jump[0] = in.jump[1] = int64_t(1) << 62;
    LayerParams c = d(LayerType::Conv2d);
    c.sh = c.sw = 2;
    Shape o = *inferShape(LayerType::Conv2d, c, {&x, 1});
    auto f = receptiveField(LayerType::Conv2d, c, {&in, 1}, {&x, 1}, o);
    QVERIFY(!f.ok());
    QVERIFY(QString::fromStdString(f.error()).contains("overflows 64 bits"));
}

// T = 4, D = 8, 4 heads (head dim 2), 2 kv heads (K, V width 4), no bias.
void TestLayerKinds::attentionOptions()
{
    const Shape x{4, 8};
    LayerParams p = d(LayerType::MultiHeadAttention);
    p.heads = 4;
    p.kvHeads = 2;
    p.bias = 0;
    auto c = layerCosts(LayerType::MultiHeadAttention, p, {&x, 1}, x);
    QVERIFY(c.ok());
    // Q, O 2·8·8 = 128; K, V 2·8·4 = 64
    QCOMPARE(c->params, int64_t(192));
    // 2·4·8·8 + 2·4·8·4 + 2·4·4·8 = 512 + 256 + 256
    QCOMPARE(c->macs, int64_t(1024));
    // map 6·4·4·4 = 384
    QCOMPARE(c->otherOps, int64_t(384));
    // Q and heads 2·4·8 = 64, K and V 2·4·4 = 32, map 4·4·4 = 64
    QCOMPARE(c->workspace, int64_t(160));
    p.causal = 1; // + 1 per map element: 64
    p.rope = 1;   // + 3·(4·8 + 4·4) = 144
    p.flash = 1;  // − the map: 64
    c = layerCosts(LayerType::MultiHeadAttention, p, {&x, 1}, x);
    QCOMPARE(c->params, int64_t(192));
    QCOMPARE(c->macs, int64_t(1024));
    QCOMPARE(c->otherOps, int64_t(384 + 64 + 144));
    QCOMPARE(c->workspace, int64_t(96));
    // Multi-query: one K/V head of 2: K, V 2·8·2 = 32 parameters.
    p.kvHeads = 1;
    QCOMPARE(layerCosts(LayerType::MultiHeadAttention, p, {&x, 1}, x)->params, int64_t(128 + 32));
}

void TestLayerKinds::tiedHeadNeedsItsEmbedding()
{
    ModelBuilder b("tied");
    NodeId x = b.input({6}, "ids");
    LayerParams e = d(LayerType::Embedding);
    e.vocab = 10;
    e.features = 4;
    x = b.layer(LayerType::Embedding, e, {x}, "tok");
    LayerParams h = d(LayerType::Linear);
    h.features = 10;
    h.tied = 1;
    NodeId head = b.layer(LayerType::Linear, h, {x}, "head");
    Network net = b.finish();
    AnalysisResult a = analyze(net);
    // The head's 10×4 weight is tok's table: params = its bias, 10; total 40 + 10.
    QCOMPARE(a.layer(head, net)->params, int64_t(10));
    QCOMPARE(a.layer(head, net)->tiedTo, net.findByName("tok"));
    QCOMPARE(a.totals.params, int64_t(50));
    // A head of another size has no table to share: an error naming both sizes.
    net.node(head)->params.features = 11;
    a = analyze(net);
    QCOMPARE(int(a.layer(head, net)->status), int(LayerStatus::Error));
    QVERIFY2(QString::fromStdString(a.layer(head, net)->message)
                 .contains("layer \"head\": tied weights need an upstream Embedding with a 11×4 table"),
             a.layer(head, net)->message.c_str());
}

void TestLayerKinds::kvCacheFollowsTheContext()
{
    ModelBuilder b("decoder");
    NodeId x = b.input({16, 32});
    LayerParams p = d(LayerType::MultiHeadAttention);
    p.heads = 4;
    p.kvHeads = 2;
    p.causal = 1;
    NodeId at = b.layer(LayerType::MultiHeadAttention, p, {x}, "attn");
    p.causal = 0;
    b.layer(LayerType::MultiHeadAttention, p, {at}, "encoder_attn");
    Network net = b.finish();
    // Only the causal layer keeps K and V: 2·16 tokens·2 kv heads·8 head dim·4 bytes = 2,048 B.
    AnalysisResult a = analyze(net);
    QCOMPARE(a.layer(at, net)->kvContext, int64_t(16));
    QCOMPARE(a.totals.kvCacheBytes, int64_t(2048));
    // Context 100, batch 2, 16 bits: 2·100·2·2·8·2 = 12,800 B.
    net.context = 100;
    net.batch = 2;
    net.bits = 16;
    QCOMPARE(analyze(net).totals.kvCacheBytes, int64_t(12800));
    // The setting is saved with the design and read back.
    auto back = parseNetwork(serializeNetwork(net));
    QVERIFY(back.ok());
    QCOMPARE(back->context, int64_t(100));
}

namespace {
struct Step {
    Shape out;
    ReceptiveField f;
};
Step apply(LayerType t, const LayerParams& p, const Shape& x, const ReceptiveField& in)
{
    Shape o = *inferShape(t, p, {&x, 1});
    return {o, *receptiveField(t, p, {&in, 1}, {&x, 1}, o)};
}
} // namespace

// 1×8×8 → conv 2×2 s2 (size 2, jump 2, centre 0.5) → transposed 2×2 s2: output 2i and 2i + 1 both come
// from conv unit i alone (one tap each), so the size stays 2, the jump halves to 1 and the first unit's
// centre stays 0.5.
void TestLayerKinds::transposedConvolutionUndoesAStride()
{
    const Shape x{1, 8, 8};
    LayerParams c = d(LayerType::Conv2d);
    c.kh = c.kw = c.sh = c.sw = 2;
    c.pt = c.pb = c.pl = c.pr = 0;
    Step s1 = apply(LayerType::Conv2d, c, x, freshField(x));
    QCOMPARE(s1.f.jump[0], int64_t(2));
    Step s2 = apply(LayerType::ConvTranspose2d, d(LayerType::ConvTranspose2d), s1.out, s1.f);
    QCOMPARE(s2.out, (Shape{64, 8, 8}));
    QVERIFY(s2.f.valid);
    QCOMPARE(s2.f.size[0], int64_t(2));
    QCOMPARE(s2.f.jump[0], int64_t(1));
    QCOMPARE(s2.f.start[0], 0.5);
    // 3×3 s2 p1: an even output receives 1 tap (t = 1), an odd one 2 (t = 0 and t = 2, inputs i and
    // i + 1): the widest spread is 1 input, so the size grows by 1·2 = 2 to 4.
    LayerParams k3 = d(LayerType::ConvTranspose2d);
    k3.kh = k3.kw = 3, k3.pt = k3.pl = 1, k3.outPadH = k3.outPadW = 1;
    Step s3 = apply(LayerType::ConvTranspose2d, k3, s1.out, s1.f);
    QCOMPARE(s3.out, (Shape{64, 8, 8}));
    QCOMPARE(s3.f.size[1], int64_t(4));
    QCOMPARE(s3.f.jump[1], int64_t(1));
}

void TestLayerKinds::upsampleAfterStrideHalvesTheJump_data()
{
    QTest::addColumn<int>("mode");
    QTest::addColumn<int>("alignCorners");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<qint64>("size");
    // nearest: each output reads one conv unit: size 2; linear: two neighbours, 2 + 1·2 = 4;
    // align_corners samples at (in − 1)/(out − 1) steps: not a whole fraction of the grid, unknown.
    QTest::newRow("nearest") << 0 << 0 << true << qint64(2);
    QTest::newRow("bilinear") << 1 << 0 << true << qint64(4);
    QTest::newRow("bilinear, align corners") << 1 << 1 << false << qint64(1);
}

void TestLayerKinds::upsampleAfterStrideHalvesTheJump()
{
    QFETCH(int, mode);
    QFETCH(int, alignCorners);
    QFETCH(bool, valid);
    QFETCH(qint64, size);
    const Shape x{1, 8, 8};
    LayerParams c = d(LayerType::Conv2d);
    c.kh = c.kw = c.sh = c.sw = 2;
    c.pt = c.pb = c.pl = c.pr = 0;
    Step s1 = apply(LayerType::Conv2d, c, x, freshField(x));
    LayerParams u = d(LayerType::Upsample);
    u.resizeMode = mode;
    u.alignCorners = alignCorners;
    Step s2 = apply(LayerType::Upsample, u, s1.out, s1.f);
    QCOMPARE(s2.out, (Shape{64, 8, 8}));
    QCOMPARE(s2.f.valid, valid);
    QCOMPARE(s2.f.size[0], size);
    if (valid)
        QCOMPARE(s2.f.jump[0], int64_t(1));
}

// A C×L input is a C×1×L image: H has extent 1 and its field never grows; W carries the field.
void TestLayerKinds::oneDimensionalInputCarriesItsFieldOnW()
{
    const Shape x{1, 100};
    ReceptiveField in = freshField(x);
    QVERIFY(in.valid);
    QCOMPARE(in.extent[0], int64_t(1));
    QCOMPARE(in.extent[1], int64_t(100));
    // 80 taps stride 4, then a max pool of 4: 80 + (4 − 1)·4 = 92, jump 16
    LayerParams c = d(LayerType::Conv1d);
    c.kw = 80, c.sw = 4, c.pl = c.pr = 0;
    Step s1 = apply(LayerType::Conv1d, c, x, in);
    Step s2 = apply(LayerType::MaxPool1d, d(LayerType::MaxPool1d), s1.out, s1.f);
    QCOMPARE(s2.f.size[1], int64_t(92));
    QCOMPARE(s2.f.jump[1], int64_t(16));
    QCOMPARE(s2.f.size[0], int64_t(1));
}

QTEST_APPLESS_MAIN(TestLayerKinds)
#include "tst_layerkinds.moc"

// tapsInside against the definition, pair by pair, over every small window (strides and dilations
// past the kernel, padding wider than the input, windows that overhang the end), and at sizes no
// loop could count.
void TestLayerKinds::tapsInsideCountsEveryPair()
{
    int cases = 0;
    for (int64_t positions = 1; positions <= 7; ++positions)
        for (int64_t k = 1; k <= 5; ++k)
            for (int64_t s = 1; s <= 3; ++s)
                for (int64_t d = 1; d <= 3; ++d)
                    for (int64_t pad = 0; pad <= 6; ++pad)
                        for (int64_t extent = 1; extent <= 9; ++extent) {
                            int64_t inside = 0;
                            for (int64_t p = 0; p < positions; ++p)
                                for (int64_t t = 0; t < k; ++t) {
                                    const int64_t i = p * s + t * d - pad;
                                    inside += i >= 0 && i < extent;
                                }
                            QCOMPARE(kinds::tapsInside(positions, k, s, d, pad, extent), inside);
                            ++cases;
                        }
    QCOMPARE(cases, 7 * 5 * 3 * 3 * 7 * 9);
    // 10^12 outputs of a 3-tap window padded by 1: only the first and the last output lose a tap.
    const int64_t T = 1000000000000;
    QCOMPARE(kinds::tapsInside(T, 3, 1, 1, 1, T), 3 * T - 2);
    // One output of a 2·10^12 + 1-tap window over a 1-pixel input padded by 10^12 on each side: the
    // middle tap alone reads the pixel.
    QCOMPARE(kinds::tapsInside(1, 2 * T + 1, 1, 1, T, 1), int64_t(1));
    // Stride and dilation 10^6, 10^6 outputs, 1,000 taps, padding 5·10^8: pair (p, t) reads
    // 10^6·(p + t − 500), inside [0, 10^12) when 500 ≤ p + t < 10^6 + 500. Outside: p + t = n < 500 in
    // n + 1 ways (1 + … + 500), and p + t = n ≥ 10^6 + 500 in 10^6 + 999 − n ways (499 + … + 1).
    QCOMPARE(kinds::tapsInside(1000000, 1000, 1000000, 1000000, 500000000, T),
             int64_t(1000000) * 1000 - 500 * 501 / 2 - 499 * 500 / 2);
}
