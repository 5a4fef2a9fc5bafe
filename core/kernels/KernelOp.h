// Plain-data description of one layer for the kernel runner, independent of the rest of core.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nc::core::kernels {

// Layer kinds the kernels implement. Values are pinned because run results (and benchmark tables)
// are saved with them; append new kinds at the end.
enum class OpKind : int32_t {
    Conv2d = 0,          // input [N,C,H,W], weight [O, C/groups, kh, kw], bias [O]
    Linear = 1,          // over the last axis: [..., I] -> [..., O]; weight [O, I], bias [O]
    MaxPool = 2,         // [N,C,H,W]
    AvgPool = 3,         // [N,C,H,W]
    GlobalAvgPool = 4,   // [N,C,spatial...] -> [N,C,1,...]
    AdaptiveAvgPool = 5, // [N,C,H,W] -> [N,C,outH,outW], PyTorch bin rule
    BatchNorm = 6,       // inference form with running statistics; channel axis 1
    LayerNorm = 7,       // normalises axes [normAxis, rank); gamma/beta have that trailing shape
    InstanceNorm = 8,    // per (n, c) over the spatial axes; gamma/beta [C]
    GroupNorm = 9,       // per (n, group) over C/numGroups channels and spatial axes; gamma/beta [C]
    ReLU = 10,
    ReLU6 = 11,
    LeakyReLU = 12, // uses `slope`
    Sigmoid = 13,
    Tanh = 14,
    SiLU = 15,      // x·σ(x)
    HardSwish = 16, // x·relu6(x+3)/6
    GELU = 17,      // erf form: x·Φ(x)
    Softmax = 18,   // along `softmaxAxis`
    Add = 19,       // two inputs, numpy broadcasting
    Mul = 20,       // two inputs, numpy broadcasting
    Concat = 21,    // any number of inputs along `axis` (default 1, channels)
    Attention = 22, // multi-head self-attention over [N,T,D], `heads` heads
    Flatten = 23,   // [d0..d(axis-1), d(axis)..] -> [prod(before axis), prod(from axis)]
    Identity = 24,
    Transpose = 25,   // axes permuted by `perm` (batch axis included)
    Reduce = 26,      // mean, sum or max over `axes` (batch axis included)
    GeluTanh = 27,    // ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
    HardSigmoid = 28, // min(max(x/6 + ½, 0), 1)
    // Spatial families of issue 9. Inputs are [N,C,W] (1-D), [N,C,H,W] (2-D) or [N,C,D,H,W] (3-D); a 1-D
    // op uses the W fields (kw, sw, padLeft/padRight, dw), a 3-D op also the depth fields.
    ConvNd = 29,          // 1-D or 3-D convolution; weight [O, C/groups, k...], bias [O]
    ConvTranspose = 30,   // 1-D or 2-D; weight [C, O/groups, k...], bias [O]; output padding outPadH/outPadW
    MaxPoolNd = 31,       // 1-D or 3-D max pooling
    AvgPoolNd = 32,       // 1-D or 3-D average pooling
    GlobalMaxPool = 33,   // [N,C,spatial...] -> [N,C,1,...]
    Resize = 34,          // [N,C,W] or [N,C,H,W] -> outH×outW (1-D: outW); nearest or (bi)linear
    Pad = 35,             // [N,C,W] or [N,C,H,W]; padMode, padValue for zeros mode
    // Sequence kinds of issue 9 (SequenceKernels.h has their layouts).
    Embedding = 36, // [N,T] token ids -> [N,T,outChannels]; vocab, positions, tokenTypes
    RMSNorm = 37,   // over the last axis; affine, eps
    MatMul = 38,    // two activations, [...,M,K]·[...,K,N], batch axes broadcast
    LSTM = 39,      // [N,T,I] -> [N,T,outChannels·directions]; rnnLayers, bidirectional, bias
    GRU = 40,       // as LSTM, PyTorch's GRU (reset gate after the hidden projection)
    // Attention after its projections: Q [N,Tq,D], K and V [N,S,kvHeads·D/heads] -> the merged heads
    // [N,Tq,D]; heads, kvHeads (grouped/multi-query), causal, rope. Between Linear kernels it forms
    // the attention variants the fused Attention kernel does not cover.
    ScaledDotProduct = 41,
};

// How Conv2d fills the border. Pooling always pads with "absent" values (−∞ for max, excluded or
// zero for average), as every framework does.
enum class PadMode : int32_t {
    Zeros = 0,
    Reflect = 1,   // mirror without repeating the edge: [a b c] -> b | a b c | b  (needs pad < size)
    Replicate = 2, // repeat the edge: a | a b c | c
};

// One layer's hyper-parameters. Fields a kind does not use are ignored. Input shapes come
// separately (Backend::prepare), so one KernelOp can be measured at several resolutions.
//
//     KernelOp conv = KernelOp::conv2d(64, 3, 1, 1); // 3×3, stride 1, pad 1 → 64 channels
//     conv.name = "layer1.0.conv1";
// Memory order of a 4-D activation tensor [N, C, H, W] between oneDNN convolutions.
enum class Layout : int32_t {
    Plain = 0,        // NCHW
    ChannelsLast = 1, // NHWC (oneDNN acdb)
    Blocked16 = 2,    // oneDNN nChw16c: C in blocks of 16
};

struct KernelOp {
    OpKind kind = OpKind::Identity;
    std::string name; // used in error messages only

    // Window (Conv2d, pools): kernel, stride, padding, dilation.
    int64_t kh = 1, kw = 1;
    int64_t sh = 1, sw = 1;
    int64_t padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
    int64_t dh = 1, dw = 1;
    int64_t groups = 1;            // Conv2d; groups == C is depthwise (with multiplier O/C)
    bool bias = true;              // Conv2d, Linear
    PadMode padMode = PadMode::Zeros;
    bool ceilMode = false;         // pools: output size rounds up (PyTorch rule, see OpShapes)
    bool countIncludePad = false;  // AvgPool: divisor counts padding cells
    int64_t outH = 1, outW = 1;    // AdaptiveAvgPool
    float eps = 1e-5f;             // normalisations
    float slope = 0.01f;           // LeakyReLU
    int64_t numGroups = 1;         // GroupNorm
    int64_t heads = 1;             // Attention
    int64_t softmaxAxis = -1;      // Softmax; negative counts from the end
    int64_t axis = 1;              // Concat, Flatten
    int64_t normAxis = -1;         // LayerNorm: first normalised axis
    int64_t outChannels = 0;       // Conv2d output channels, Linear output features
    std::vector<int64_t> perm;     // Transpose: output axis i is input axis perm[i]
    std::vector<int64_t> axes;     // Reduce: the reduced axes (each kept with size 1 in the output)
    int reduceOp = 0;              // Reduce: 0 mean, 1 sum, 2 max
    bool keepDims = true;          // Reduce: reduced axes stay as 1 (else they are dropped)
    // Spatial families (ConvNd ... Pad).
    int64_t kd = 1, sd = 1, dd = 1;     // depth window of 3-D ops
    int64_t padFront = 0, padBack = 0;  // depth padding
    int64_t outPadH = 0, outPadW = 0;   // ConvTranspose output padding
    bool interpLinear = false;          // Resize: (bi)linear instead of nearest
    bool alignCorners = false;          // Resize, linear mode
    float scaleH = 0, scaleW = 0;       // Resize: the scale factor PyTorch maps coordinates with; 0: out/in
    float padValue = 0;                 // Pad with padMode Zeros: the constant
    // Sequence kinds.
    int64_t vocab = 0, positions = 0, tokenTypes = 0; // Embedding: table rows (0: no such table)
    bool affine = true;                               // RMSNorm: learnable γ
    int64_t rnnLayers = 1;                            // LSTM, GRU: stacked layers
    bool bidirectional = false;                       // LSTM, GRU
    // LSTM, GRU: run() also writes the final states h_n (and c_n for LSTM) into
    // PreparedOp::states(), per sample [N, rnnLayers·directions, H] (PyTorch's order, batch first).
    bool finalStates = false;
    // oneDNN backend, the kinds of takesOneDnnLayouts (the end-to-end run keeps oneDNN's own
    // layouts between its layers): the layout each 4-D input arrives in (missing entries: Plain),
    // and whether the output may be left in a oneDNN layout (PreparedOp::outputLayout() says which
    // it was). A convolution leaves it in the layout its primitive prefers; the other kinds compute
    // in their first non-plain input's layout and leave the output in it. Only layouts whose buffer
    // has exactly the plain one's size: channels-last, or 16-channel blocks of a multiple of 16
    // channels. Other backends refuse them.
    std::vector<Layout> inputLayouts;
    bool keepOutputLayout = false;
    int64_t kvHeads = 0;                              // ScaledDotProduct: key/value heads (0: heads)
    bool causal = false;                              // ScaledDotProduct: key j > query i masked
    bool rope = false;                                // ScaledDotProduct: rotary embedding of Q and K
    // Conv2d, Linear: an activation applied to the output within the same call, as a deployment
    // fuses it (oneDNN: an eltwise post-op; our kernels and the reference: over the finished
    // output). Identity for none; LeakyReLU uses `slope`.
    OpKind activation = OpKind::Identity;

    // Add, Mul: the shape of a learned operand joined as one more input (ConvNeXt's layer scale
    // γ, a learned table added to the tokens), numpy broadcasting, batch axis included; empty:
    // none. It is the op's only parameter (parameterShapes), random like other weights.
    std::vector<int64_t> operand;

    // Layout input i arrives in (Plain when inputLayouts does not say).
    Layout layoutOf(std::size_t i) const { return i < inputLayouts.size() ? inputLayouts[i] : Layout::Plain; }

    // Builders for the common cases; every field stays assignable afterwards.
    static KernelOp make(OpKind kind);
    static KernelOp conv2d(int64_t outChannels, int64_t kernel, int64_t stride = 1, int64_t pad = 0,
                           int64_t groups = 1);
    static KernelOp linear(int64_t outFeatures);
    static KernelOp pool(OpKind kind, int64_t kernel, int64_t stride, int64_t pad = 0);
    static KernelOp attention(int64_t heads);
};

// ReLU, ReLU6, LeakyReLU, Sigmoid, Tanh, SiLU, HardSwish, GELU, GeluTanh, HardSigmoid: the kinds a
// Conv2d or Linear can carry as its fused `activation`.
bool isActivation(OpKind kind);

// Kinds the oneDNN backend runs on 4-D inputs in its own layouts (KernelOp::inputLayouts):
// Conv2d, MaxPool, AvgPool, GlobalAvgPool, AdaptiveAvgPool, BatchNorm, the activations but hard
// sigmoid, Add, Mul, Concat.
bool takesOneDnnLayouts(OpKind kind);

// "Conv2d", "MaxPool", ...: stable names for tables and messages.
std::string_view opKindName(OpKind kind);
// Inverse of opKindName; returns false when unknown.
bool opKindFromName(std::string_view name, OpKind& kind);

} // namespace nc::core::kernels
