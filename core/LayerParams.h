// LayerParams: the hyper-parameters of one layer, a flat value type shared by every layer kind.
#pragma once

#include "LayerType.h"
#include "Shape.h"

#include <cstdint>

namespace nc::core {

// One flat struct instead of a per-kind hierarchy: it copies cheaply (undo commands swap whole
// values), compares with ==, and analysis reads it without virtual calls. Which fields a kind uses,
// their ranges and defaults are declared in the Catalogue, not here. All integral and boolean
// attributes are int64_t so the catalogue can address them uniformly.
struct LayerParams {
    Shape dims;                 // Input: per-sample shape; Reshape/Opaque: output shape
    int64_t features = 64;      // Linear out, Conv out channels, PatchEmbed/Attention embed dim
    int64_t kh = 3, kw = 3;     // kernel
    int64_t sh = 1, sw = 1;     // stride
    int64_t pt = 0, pb = 0, pl = 0, pr = 0; // padding per side: top, bottom, left, right
    int64_t padSame = 0;        // 1: choose padding so that out = ceil(in / stride)
    int64_t padMode = 0;        // PadMode
    int64_t dh = 1, dw = 1;     // dilation
    int64_t groups = 1;
    int64_t multiplier = 1;     // depthwise channel multiplier
    int64_t bias = 1;
    int64_t ceilMode = 0;
    int64_t countIncludePad = 1;
    int64_t outH = 1, outW = 1; // adaptive pooling target
    int64_t numGroups = 32;     // GroupNorm
    int64_t normAxes = 1;       // LayerNorm: how many trailing axes are normalised
    int64_t affine = 1;         // norms: learnable gamma/beta
    int64_t trackStats = 1;     // BatchNorm: running mean/var (state, not parameters)
    int64_t heads = 1;
    int64_t hidden = 256;       // Mlp hidden width
    int64_t patch = 16;
    int64_t classToken = 1;
    int64_t posEmbed = 1;
    int64_t axis = -1;          // Softmax axis (per-sample, negative counts from the end)
    int64_t inputs = 2;         // Add / Multiply / Concat input count
    int64_t fixedOperand = 0;   // Add / Multiply: the operand (`dims`) is a fixed constant, not learned
    int64_t inplace = 1;        // activations: write into the input (stores nothing new when possible)
    int64_t bits = 0;           // per-layer bit width override; 0 = the network's setting
    // Shape plumbing (Transpose, Slice, Split, Reduce, Squeeze, Unsqueeze): `dims` holds the
    // permutation, split sizes or axes; `axis` the sliced or split axis.
    int64_t sliceStart = 0, sliceEnd = 1, sliceStep = 1;
    int64_t reduceOp = 0; // ReduceOp
    int64_t keepDims = 1;
    double slope = 0.01;        // LeakyReLU
    double eps = 1e-5;          // norms
    double dropP = 0.5;         // Dropout

    // Sequence and language-model kinds (core/layers/Sequence.cpp) and the attention options.
    int64_t vocab = 32000;      // Embedding: table rows (token ids 0 … vocab − 1)
    int64_t positions = 0;      // Embedding: rows of a learned position table added to it (0 = none)
    int64_t tokenTypes = 0;     // Embedding: rows of a segment table added to it (0 = none; BERT: 2)
    int64_t tied = 0;           // Linear: the weight is an upstream Embedding's table (counted there)
    int64_t causal = 0;         // attention: each position sees only itself and earlier ones
    int64_t kvHeads = 0;        // attention: key/value heads (0 = heads; 1 = multi-query)
    int64_t rope = 0;           // attention: rotary position embedding on Q and K
    int64_t flash = 0;          // attention: fused kernel, the heads×T×T map never stored
    int64_t layers = 1;         // LSTM / GRU: stacked layers
    int64_t bidirectional = 0;  // LSTM / GRU
    // Spatial families (Conv1d/3d, ConvTranspose, 1-D/3-D pooling, Upsample, Pad). 1-D kinds use the W
    // fields above (kw, sw, pl, pr, dw); the depth axis of 3-D kinds has its own fields here.
    int64_t kd = 3, sd = 1, dd = 1;   // depth kernel, stride, dilation
    int64_t pf = 0, pk = 0;           // depth padding: front, back
    int64_t outPadH = 0, outPadW = 0; // ConvTranspose output padding
    int64_t resizeMode = 0;           // Upsample: 0 nearest, 1 (bi)linear
    int64_t resizeToSize = 0;         // Upsample: 0 by scale (scaleH, scaleW), 1 to a size (outH, outW)
    int64_t alignCorners = 0;         // Upsample, linear mode
    double scaleH = 2.0, scaleW = 2.0; // Upsample scale factors
    double padValue = 0.0;            // Pad, constant mode
    // Opaque (imported operators NetCanvas does not model): multiply-accumulates the importer counted
    // from the operator's shapes (a MatMul, Conv, LSTM ... kept opaque still counts its products).
    int64_t opaqueMacs = 0;
    // Opaque: the weight values (initializers, constants) the operator consumes, counted as parameters.
    int64_t opaqueParams = 0;

    bool operator==(const LayerParams&) const = default;
};

} // namespace nc::core
