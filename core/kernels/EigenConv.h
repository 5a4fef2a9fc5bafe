// Internal: convolution geometry, padding helpers and the prepared Eigen-backend convolution.
#pragma once

#include "EigenKernels.h"
#include "PrepackedGemm.h"

#include <string>
#include <vector>

namespace nc::core::kernels::eigen {

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
    case PadMode::Zeros:
        return -1;
    }
    return -1;
}

// Writes one channel plane, padded by the geometry's pads and mode, as `phases` phase planes:
// plane ph holds padded columns ph, ph+phases, … (rows `rs` floats apart, planes Hp·rs apart).
// With phases = 1 it is just the padded plane.
void fillPhasePlanes(const ConvGeometry& g, int64_t phases, const float* xPlane, int64_t rs, float* dst);

// Writes the padded image [N, C, H+pt+pb, W+pl+pr] of x [N, C, H, W]. Used by OneDnnBackend for
// reflect/replicate padding, which oneDNN 2.6 does not have.
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
    // Source planes of an im2col: the input or its padded phase planes (see runIm2col).
    struct Planes {
        const float* base;
        int64_t planeSize, phases, rows, rs;
    };
    void im2colRows(const Planes& src, int64_t p0, int64_t pn, int64_t k0, int64_t k1, float* col) const;
    void runIm2colSplitK(const Planes& src, float* y, const Parallel& par);
    void runImplicit(const float* x, float* y, const Parallel& par);
    void runDepthwise(const float* x, float* y, const Parallel& par);
    void depthwisePlane(const float* xPlane, int64_t ci, int64_t n, float* y, float* scratch) const;
    void depthwiseChannelBlock(const float* x, float* y, int64_t img, int64_t cb, float* scratch) const;
    void chooseTiles(int threads);
    // The GEMM paths split the work into tasks (image, group, tile, channel block), the channel
    // block fastest so the tasks of one tile are adjacent; a plane is a task without its block.
    struct Task {
        int64_t img, grp, tile, ob;
    };
    Task planeOf(int64_t plane) const
    {
        return {plane / m_tiles / m_g.groups, plane / m_tiles % m_g.groups, plane % m_tiles, 0};
    }
    Task taskOf(int64_t t) const
    {
        Task k = planeOf(t / m_oBlocks);
        k.ob = t % m_oBlocks;
        return k;
    }

    ConvGeometry m_g;
    Algorithm m_algorithm = Algorithm::Im2colGemm;
    std::vector<float> m_weight; // depthwise: [O][kh·kw] (OIHW bytes); GEMM paths pack it into m_gemm
    std::vector<float> m_bias;   // zeros when the layer has none
    int64_t m_tile = 0;          // output pixels per GEMM tile
    int64_t m_tiles = 0;
    int64_t m_oBlocks = 1;       // output-channel blocks per tile (parallelism for small images)
    int64_t m_kSplits = 1;       // or: depth splits per tile (few pixels, deep K)
    int64_t m_planeStride = 0;   // depthwise: row stride of one phase plane
    int64_t m_planeRows = 0;
    int64_t m_phaseWidth = 0;    // columns of one phase plane: ceil(Wp / sw)
    bool m_flat = false;         // depthwise with stride 1: whole-plane 1-D convolution
    bool m_blocked = false;      // depthwise, 16 channels interleaved (short or strided rows)
    std::vector<int64_t> m_rowSource, m_colSource; // blocked: source row/column of each padded one
    int64_t m_wideOffset = 0;    // flat depthwise: where the wide output starts in the scratch
    Tensor m_padded;                 // im2col: [N·C, sw, Hp, ceil(Wp/sw)] padded phase planes
    std::vector<Tensor> m_scratch;   // one per thread: im2col tile or depthwise phase planes
    std::vector<PrepackedGemm> m_gemm; // per (group, output-channel block)
    std::vector<Tensor> m_work;        // one per thread: the GEMM's activation panel
    bool m_implicit = false;           // stride 1: GEMM on shifted views of the padded planes
    std::vector<std::vector<const float*>> m_rowPointers; // implicit: per thread, one per im2col row
    std::vector<Tensor> m_localPadded; // implicit: per thread, the padded rows of its current tile
    int64_t m_localRows = 0;           // implicit: padded rows one tile reads
    Tensor m_partial;                  // K split: partial sums of splits 1… per tile [tiles·(splits−1), Og·tile]
    std::vector<float> m_zeros;        // K split: the bias of a partial sum
};

} // namespace nc::core::kernels::eigen
