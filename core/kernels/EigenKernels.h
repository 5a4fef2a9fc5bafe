// Internal: the CPU kernels behind EigenBackend (and OneDnnBackend's fallbacks), as free functions.
#pragma once

#include "KernelOp.h"
#include "Tensor.h"
#include "ThreadPool.h"

#include <span>
#include <string>
#include <vector>

namespace nc::core::kernels::eigen {

// Where a kernel may spread its work: the pool and how many of its threads to use.
struct Parallel {
    ThreadPool* pool = nullptr;
    int threads = 1;
};

// All sizes of one 2-D convolution.
struct ConvGeometry {
    int64_t n = 1, c = 1, h = 1, w = 1;
    int64_t o = 1, oh = 1, ow = 1;
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
    int64_t pt = 0, pb = 0, pl = 0, pr = 0;
    int64_t groups = 1;
    PadMode mode = PadMode::Zeros;

    static ConvGeometry from(const KernelOp& op, const Shape& in, const Shape& out);
    int64_t cg() const { return c / groups; }
    int64_t og() const { return o / groups; }
    int64_t hp() const { return h + pt + pb; }
    int64_t wp() const { return w + pl + pr; }
    bool padded() const { return pt || pb || pl || pr; }
};

// Source index of padded coordinate `i` (0-based in the unpadded input, may be out of range) under
// a padding mode; −1 means "zero". Reflect: −1 → 1, n → n−2; replicate clamps.
inline int64_t padSource(int64_t i, int64_t n, PadMode mode)
{
    if (i >= 0 && i < n)
        return i;
    switch (mode) {
    case PadMode::Reflect:
        return i < 0 ? -i : 2 * (n - 1) - i;
    case PadMode::Replicate:
        return i < 0 ? 0 : n - 1;
    default:
        return -1;
    }
}

// Writes the padded image [N, C, H+pt+pb, W+pl+pr] of x [N, C, H, W]. Used by the im2col path and
// by OneDnnBackend for reflect/replicate padding, which oneDNN 2.6 does not have.
void padImage(const ConvGeometry& g, const float* x, float* padded, const Parallel& par);

// A prepared convolution: algorithm choice, weights in the layout that algorithm wants, scratch.
class EigenConv {
public:
    enum class Algorithm { Gemm1x1, Im2colGemm, Depthwise };

    void prepare(const ConvGeometry& g, const Tensor& weight, const Tensor* bias, int threads);
    void run(const float* x, float* y, const Parallel& par);
    Algorithm algorithm() const { return m_algorithm; }
    std::string describe() const;

private:
    void runGemm1x1(const float* x, float* y, const Parallel& par);
    void runIm2col(const float* x, float* y, const Parallel& par);
    void runDepthwise(const float* x, float* y, const Parallel& par);
    void depthwisePlane(const float* xPlane, int64_t ci, int64_t n, float* y, float* scratch) const;
    void chooseTiles(int threads);

    ConvGeometry m_g;
    Algorithm m_algorithm = Algorithm::Im2colGemm;
    std::vector<float> m_weight; // OIHW (GEMM paths) or [O][kh·kw] (depthwise): same bytes
    std::vector<float> m_bias;   // zeros when the layer has none
    int64_t m_tile = 0;          // output pixels per GEMM tile
    int64_t m_tiles = 0;
    int64_t m_oBlocks = 1;       // output-channel blocks per tile (parallelism for small images)
    int64_t m_planeStride = 0;   // depthwise: row stride of one phase plane
    int64_t m_planeRows = 0;
    int64_t m_phaseWidth = 0;
    Tensor m_padded;                 // [N, C, Hp, Wp] for im2col
    std::vector<Tensor> m_scratch;   // one per thread: im2col tile or depthwise phase planes
};

// Linear over the last axis: y[r, :] = W x[r, :] + b; W [O, I] row-major.
void linear(const float* x, int64_t rows, int64_t in, const float* w, const float* b, int64_t out, float* y,
            const Parallel& par);

// Multi-head self-attention over x [N, T, D]; parameters as in parameterShapes. `scratch` holds
// per-thread buffers and is sized on first use (prepare calls this once with a dummy run).
struct AttentionScratch {
    Tensor qkv;                  // [T, 3D]
    Tensor context;              // [T, D]
    std::vector<Tensor> scores;  // per thread [rows, T]
};
void attention(const float* x, int64_t n, int64_t t, int64_t d, int64_t heads, const float* wIn, const float* bIn,
               const float* wOut, const float* bOut, float* y, AttentionScratch& scratch, const Parallel& par);
void prepareAttentionScratch(AttentionScratch& scratch, int64_t t, int64_t d, int threads);

// Pooling over [N, C, H, W] planes (window, padding, ceil rule and divisor: see OpShapes.h and
// ReferenceBackend). Average divisor: cells inside the padded input when countIncludePad,
// otherwise cells inside the input.
void pool2d(const KernelOp& op, const Shape& in, const Shape& out, const float* x, float* y, const Parallel& par);
void globalAvgPool(int64_t planes, int64_t size, const float* x, float* y, const Parallel& par);
void adaptiveAvgPool(const Shape& in, const Shape& out, const float* x, float* y, const Parallel& par);

// y = scale[c]·x + shift[c] over [N, C, S] (batch norm after folding its statistics).
void channelAffine(const float* x, int64_t n, int64_t c, int64_t s, const float* scale, const float* shift, float* y,
                   const Parallel& par);
// Normalise each of `rows` rows of `len` values: (x − mean)/√(var + eps) with the biased
// variance, then y = gamma[k]·x̂ + beta[k] where for value j of row r
//     k = (r mod rowCycle)·affinePeriod + j / affineLen.
// Layer norm: rowCycle 1, affineLen 1 (k = j). Instance norm over [N·C, S]: rowCycle C,
// affinePeriod 1, affineLen S (k = c). Group norm over [N·G, (C/G)·S]: rowCycle G,
// affinePeriod C/G, affineLen S (k = g·C/G + channel within the group).
struct NormLayout {
    int64_t rows = 1, len = 1;
    int64_t rowCycle = 1;
    int64_t affinePeriod = 1;
    int64_t affineLen = 1;
};
void normalize(const float* x, const NormLayout& layout, float eps, const float* gamma, const float* beta, float* y,
               const Parallel& par);

// Elementwise activation of the listed kinds (ReLU … GELU, Identity).
void activation(OpKind kind, float slope, const float* x, int64_t size, float* y, const Parallel& par);
// Softmax along one axis of [outer, len, inner].
void softmax(const float* x, int64_t outer, int64_t len, int64_t inner, float* y, const Parallel& par);
// Numpy-broadcast Add or Mul.
void binary(OpKind kind, const Tensor& a, const Tensor& b, Tensor& y, const Parallel& par);
// Concatenation along `axis` (already normalised).
void concat(std::span<const Tensor> inputs, int64_t axis, Tensor& y, const Parallel& par);
// Parallel memcpy (Identity, Flatten).
void copy(const float* x, int64_t size, float* y, const Parallel& par);

} // namespace nc::core::kernels::eigen
