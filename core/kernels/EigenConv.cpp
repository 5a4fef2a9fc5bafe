// Convolution kernels of the Eigen backend: packed im2col + GEMM, direct 1×1 GEMM, direct depthwise.
#include "EigenKernels.h"

#include "Simd.h"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cstring>

namespace nc::core::kernels::eigen {

namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapRow = Eigen::Map<RowMat, Eigen::Unaligned, Eigen::OuterStride<>>;
using CMapRow = Eigen::Map<const RowMat, Eigen::Unaligned, Eigen::OuterStride<>>;

// Floats of one packed im2col tile. 96 Ki floats = 384 KiB: the tile plus Eigen's packed copy of
// it stay in a 1 MiB L2 while the GEMM sweeps it once per block of output channels. Measured on
// the benchmark layers (Zen 4): 64–256 Ki floats are within 3 % of each other; 16 Ki is 15 %
// slower (GEMMs too narrow), whole-image im2col is 10–25 % slower (the tile leaves L2).
constexpr int64_t kTileFloats = 96 * 1024;
// Direct 1×1: no tile buffer, the tile only bounds the GEMM's column count for cache and threads.
constexpr int64_t kTile1x1Columns = 1024;
// Largest kernel whose tap pointers live on the stack in the depthwise kernel.
constexpr int kMaxTaps = 128;

int64_t ceilDiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}
int64_t roundUp(int64_t a, int64_t b)
{
    return ceilDiv(a, b) * b;
}

// One block of NV·16 outputs of a depthwise row: acc = bias + Σ_t w[t]·src_t[ox …].
// Every tap pointer already points at the right row/phase/shift of the padded plane, so the inner
// loop is a broadcast weight times a contiguous vector load: NV independent FMA chains.
template <int NV>
inline void depthwiseBlock(const float* const* taps, int ntaps, const float* w, float bias, int64_t ox, float* out)
{
    simd::V16 acc[NV];
    for (int v = 0; v < NV; ++v)
        acc[v] = simd::splat(bias);
    for (int t = 0; t < ntaps; ++t) {
        const simd::V16 wv = simd::splat(w[t]);
        const float* s = taps[t] + ox;
        for (int v = 0; v < NV; ++v)
            acc[v] += wv * simd::load(s + v * simd::kWidth);
    }
    for (int v = 0; v < NV; ++v)
        simd::store(out + v * simd::kWidth, acc[v]);
}

} // namespace

ConvGeometry ConvGeometry::from(const KernelOp& op, const Shape& in, const Shape& out)
{
    ConvGeometry g;
    g.n = in[0];
    g.c = in[1];
    g.h = in[2];
    g.w = in[3];
    g.o = out[1];
    g.oh = out[2];
    g.ow = out[3];
    g.kh = op.kh;
    g.kw = op.kw;
    g.sh = op.sh;
    g.sw = op.sw;
    g.dh = op.dh;
    g.dw = op.dw;
    g.pt = op.padTop;
    g.pb = op.padBottom;
    g.pl = op.padLeft;
    g.pr = op.padRight;
    g.groups = op.groups;
    g.mode = op.padMode;
    return g;
}

void padImage(const ConvGeometry& g, const float* x, float* padded, const Parallel& par)
{
    const int64_t hp = g.hp(), wp = g.wp();
    par.pool->parallelFor(g.n * g.c, par.threads, [&](int64_t p0, int64_t p1, int) {
        for (int64_t p = p0; p < p1; ++p) {
            const float* src = x + p * g.h * g.w;
            float* dst = padded + p * hp * wp;
            for (int64_t yy = 0; yy < hp; ++yy) {
                float* row = dst + yy * wp;
                const int64_t sy = padSource(yy - g.pt, g.h, g.mode);
                if (sy < 0) {
                    std::fill(row, row + wp, 0.0f);
                    continue;
                }
                const float* srow = src + sy * g.w;
                for (int64_t xx = 0; xx < g.pl; ++xx) {
                    const int64_t sx = padSource(xx - g.pl, g.w, g.mode);
                    row[xx] = sx < 0 ? 0.0f : srow[sx];
                }
                std::memcpy(row + g.pl, srow, static_cast<std::size_t>(g.w) * sizeof(float));
                for (int64_t xx = g.pl + g.w; xx < wp; ++xx) {
                    const int64_t sx = padSource(xx - g.pl, g.w, g.mode);
                    row[xx] = sx < 0 ? 0.0f : srow[sx];
                }
            }
        }
    });
}

void EigenConv::prepare(const ConvGeometry& g, const Tensor& weight, const Tensor* bias, int threads)
{
    m_g = g;
    threads = std::max(threads, 1);
    if (g.groups == g.c && g.groups > 1)
        m_algorithm = Algorithm::Depthwise;
    else if (g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && !g.padded())
        m_algorithm = Algorithm::Gemm1x1;
    else
        m_algorithm = Algorithm::Im2colGemm;

    // OIHW is already the layout both paths want: row o of the GEMM's W is o's [C/g·kh·kw]
    // weights in (c, ky, kx) order, matching im2col's row order; depthwise reads [o][ky·kw+kx].
    m_weight.assign(weight.data(), weight.data() + weight.size());
    m_bias.assign(static_cast<std::size_t>(g.o), 0.0f);
    if (bias)
        std::copy(bias->data(), bias->data() + bias->size(), m_bias.begin());

    m_scratch.clear();
    m_padded = Tensor();
    if (m_algorithm == Algorithm::Depthwise) {
        // Phase planes: for stride sw, plane p holds padded columns p, p+sw, p+2sw, … so that a
        // strided output row reads contiguous memory. Each row gets 64 floats of slack: the last
        // vector block of a row may read (never use) up to 15 values past the row.
        m_phaseWidth = ceilDiv(g.wp(), g.sw);
        m_planeStride = roundUp(m_phaseWidth + 64, 16);
        m_planeRows = g.hp();
        for (int t = 0; t < threads; ++t)
            m_scratch.emplace_back(Shape{g.sw * m_planeRows * m_planeStride + 64});
        return;
    }
    chooseTiles(threads);
    if (m_algorithm == Algorithm::Im2colGemm) {
        const int64_t k = g.cg() * g.kh * g.kw;
        for (int t = 0; t < threads; ++t)
            m_scratch.emplace_back(Shape{k * m_tile});
        if (g.padded())
            m_padded = Tensor(Shape{g.n, g.c, g.hp(), g.wp()});
    }
}

void EigenConv::chooseTiles(int threads)
{
    const int64_t p = m_g.oh * m_g.ow;
    const int64_t k = m_g.cg() * m_g.kh * m_g.kw;
    int64_t tile = m_algorithm == Algorithm::Gemm1x1 ? kTile1x1Columns : std::max<int64_t>(kTileFloats / k, 64);
    tile = std::min(tile, p);
    int64_t tiles = ceilDiv(p, tile);
    // Equal shares: make the tile count a multiple of the thread count when the image is large
    // enough that tiles stay wide (≥ 128 columns); small images split output channels instead.
    if (threads > 1 && tiles % threads != 0 && p >= 128 * threads)
        tiles = roundUp(tiles, threads);
    tile = ceilDiv(p, tiles);
    if (tile > 16 && roundUp(tile, 16) * (tiles - 1) < p)
        tile = roundUp(tile, 16); // whole vectors per tile row when it keeps the tile count
    m_tile = tile;
    m_tiles = ceilDiv(p, tile);

    const int64_t tasks = m_g.n * m_g.groups * m_tiles;
    m_oBlocks = 1;
    if (threads > 1 && tasks % threads != 0 && tasks < 8 * threads)
        m_oBlocks = std::min<int64_t>(threads, std::max<int64_t>(m_g.og() / 16, 1));
}

void EigenConv::run(const float* x, float* y, const Parallel& par)
{
    switch (m_algorithm) {
    case Algorithm::Depthwise:
        runDepthwise(x, y, par);
        break;
    case Algorithm::Gemm1x1:
        runGemm1x1(x, y, par);
        break;
    case Algorithm::Im2colGemm:
        runIm2col(x, y, par);
        break;
    }
}

// Both GEMM paths compute, per image n, group g and tile of output pixels [p0, p0+pn):
//     Y[o0:o0+on, p0:p0+pn] = W[o0:o0+on, :] · Col[:, p0:p0+pn] + b
// with W [Og × K] row-major (OIHW), Col [K × pn] row-major and Y a row-major view of NCHW
// (outer stride OH·OW). All three row-major keeps NCHW as is; Eigen computes the transposed
// column-major product internally at no cost. K = C/g·kh·kw.
void EigenConv::runGemm1x1(const float* x, float* y, const Parallel& par)
{
    const ConvGeometry& g = m_g;
    const int64_t p = g.oh * g.ow, k = g.cg(), og = g.og();
    const int64_t obs = ceilDiv(og, m_oBlocks);
    const int64_t tasks = g.n * g.groups * m_tiles * m_oBlocks;
    par.pool->parallelTasks(tasks, par.threads, [&](int64_t t0, int64_t t1, int) {
        for (int64_t t = t0; t < t1; ++t) {
            int64_t r = t;
            const int64_t ob = r % m_oBlocks;
            r /= m_oBlocks;
            const int64_t tile = r % m_tiles;
            r /= m_tiles;
            const int64_t grp = r % g.groups;
            const int64_t img = r / g.groups;
            const int64_t p0 = tile * m_tile, pn = std::min(m_tile, p - p0);
            const int64_t o0 = grp * og + ob * obs, on = std::min(obs, og - ob * obs);
            if (on <= 0)
                continue;
            CMapRow w(m_weight.data() + o0 * k, on, k, Eigen::OuterStride<>(k));
            CMapRow col(x + (img * g.c + grp * k) * p + p0, k, pn, Eigen::OuterStride<>(p));
            MapRow out(y + (img * g.o + o0) * p + p0, on, pn, Eigen::OuterStride<>(p));
            for (int64_t i = 0; i < on; ++i)
                out.row(i).setConstant(m_bias[static_cast<std::size_t>(o0 + i)]);
            out.noalias() += w * col;
        }
    });
}

void EigenConv::runIm2col(const float* x, float* y, const Parallel& par)
{
    const ConvGeometry& g = m_g;
    const float* src = x;
    if (g.padded()) {
        padImage(g, x, m_padded.data(), par);
        src = m_padded.data();
    }
    const int64_t hp = g.hp(), wp = g.wp();
    const int64_t p = g.oh * g.ow, cg = g.cg(), og = g.og();
    const int64_t k = cg * g.kh * g.kw;
    const int64_t obs = ceilDiv(og, m_oBlocks);
    const int64_t tasks = g.n * g.groups * m_tiles * m_oBlocks;
    par.pool->parallelTasks(tasks, par.threads, [&](int64_t t0, int64_t t1, int worker) {
        float* col = m_scratch[static_cast<std::size_t>(worker)].data();
        for (int64_t t = t0; t < t1; ++t) {
            int64_t r = t;
            const int64_t ob = r % m_oBlocks;
            r /= m_oBlocks;
            const int64_t tile = r % m_tiles;
            r /= m_tiles;
            const int64_t grp = r % g.groups;
            const int64_t img = r / g.groups;
            const int64_t p0 = tile * m_tile, pn = std::min(m_tile, p - p0);
            const int64_t o0 = grp * og + ob * obs, on = std::min(obs, og - ob * obs);
            if (on <= 0)
                continue;

            // Packed im2col of this tile: row (c, ky, kx) holds, for each output pixel (oy, ox)
            // of the tile, padded[c][oy·sh + ky·dh][ox·sw + kx·dw]. Runs of one output row are
            // contiguous in the source when sw = 1 (memcpy), strided otherwise.
            const float* base = src + (img * g.c + grp * cg) * hp * wp;
            float* dst = col;
            for (int64_t c = 0; c < cg; ++c) {
                for (int64_t ky = 0; ky < g.kh; ++ky) {
                    for (int64_t kx = 0; kx < g.kw; ++kx) {
                        const float* plane = base + c * hp * wp + ky * g.dh * wp + kx * g.dw;
                        int64_t q = p0, oy = p0 / g.ow, ox = p0 % g.ow;
                        while (q < p0 + pn) {
                            const int64_t run = std::min(g.ow - ox, p0 + pn - q);
                            const float* s = plane + oy * g.sh * wp + ox * g.sw;
                            if (g.sw == 1) {
                                std::memcpy(dst, s, static_cast<std::size_t>(run) * sizeof(float));
                            } else {
                                for (int64_t i = 0; i < run; ++i)
                                    dst[i] = s[i * g.sw];
                            }
                            dst += run;
                            q += run;
                            ++oy;
                            ox = 0;
                        }
                    }
                }
            }
            CMapRow w(m_weight.data() + o0 * k, on, k, Eigen::OuterStride<>(k));
            CMapRow cm(col, k, pn, Eigen::OuterStride<>(pn));
            MapRow out(y + (img * g.o + o0) * p + p0, on, pn, Eigen::OuterStride<>(p));
            for (int64_t i = 0; i < on; ++i)
                out.row(i).setConstant(m_bias[static_cast<std::size_t>(o0 + i)]);
            out.noalias() += w * cm;
        }
    });
}

void EigenConv::runDepthwise(const float* x, float* y, const Parallel& par)
{
    const ConvGeometry& g = m_g;
    par.pool->parallelTasks(g.n * g.c, par.threads, [&](int64_t t0, int64_t t1, int worker) {
        float* scratch = m_scratch[static_cast<std::size_t>(worker)].data();
        for (int64_t t = t0; t < t1; ++t)
            depthwisePlane(x + t * g.h * g.w, t % g.c, t / g.c, y, scratch);
    });
}

// Direct depthwise convolution of one input channel (and its `multiplier` output channels).
// out[oy][ox] = b + Σ_{ky,kx} w[ky][kx] · padded[oy·sh + ky·dh][ox·sw + kx·dw]
// Padded column ox·sw + kx·dw lives in phase plane (kx·dw mod sw) at column ox + ⌊kx·dw / sw⌋,
// so every tap is a contiguous run in ox and the row vectorises over 16 outputs at a time.
void EigenConv::depthwisePlane(const float* xPlane, int64_t ci, int64_t img, float* y, float* scratch) const
{
    const ConvGeometry& g = m_g;
    const int64_t rs = m_planeStride, planeSize = m_planeRows * rs, wp = g.wp();

    for (int64_t yy = 0; yy < m_planeRows; ++yy) {
        const int64_t sy = padSource(yy - g.pt, g.h, g.mode);
        const float* srow = sy < 0 ? nullptr : xPlane + sy * g.w;
        for (int64_t ph = 0; ph < g.sw; ++ph) {
            float* row = scratch + ph * planeSize + yy * rs;
            if (!srow) {
                std::fill(row, row + rs, 0.0f);
                continue;
            }
            if (g.sw == 1) {
                for (int64_t xx = 0; xx < g.pl; ++xx) {
                    const int64_t sx = padSource(xx - g.pl, g.w, g.mode);
                    row[xx] = sx < 0 ? 0.0f : srow[sx];
                }
                std::memcpy(row + g.pl, srow, static_cast<std::size_t>(g.w) * sizeof(float));
                for (int64_t xx = g.pl + g.w; xx < wp; ++xx) {
                    const int64_t sx = padSource(xx - g.pl, g.w, g.mode);
                    row[xx] = sx < 0 ? 0.0f : srow[sx];
                }
            } else {
                for (int64_t j = 0; j < m_phaseWidth; ++j) {
                    const int64_t xx = j * g.sw + ph;
                    float v = 0.0f;
                    if (xx < wp) {
                        const int64_t sx = padSource(xx - g.pl, g.w, g.mode);
                        v = sx < 0 ? 0.0f : srow[sx];
                    }
                    row[j] = v;
                }
            }
            const int64_t used = g.sw == 1 ? wp : m_phaseWidth;
            std::fill(row + used, row + rs, 0.0f);
        }
    }

    const int ntaps = static_cast<int>(g.kh * g.kw);
    std::array<int64_t, kMaxTaps> tapOffset{};
    std::array<const float*, kMaxTaps> taps{};
    std::vector<int64_t> bigOffset;
    std::vector<const float*> bigTaps;
    int64_t* offset = tapOffset.data();
    const float** tap = taps.data();
    if (ntaps > kMaxTaps) {
        bigOffset.resize(static_cast<std::size_t>(ntaps));
        bigTaps.resize(static_cast<std::size_t>(ntaps));
        offset = bigOffset.data();
        tap = bigTaps.data();
    }
    for (int64_t ky = 0; ky < g.kh; ++ky) {
        for (int64_t kx = 0; kx < g.kw; ++kx) {
            const int64_t col = kx * g.dw;
            offset[ky * g.kw + kx] = (col % g.sw) * planeSize + ky * g.dh * rs + col / g.sw;
        }
    }

    const int64_t mult = g.o / g.c;
    alignas(64) float tail[simd::kWidth];
    for (int64_t m = 0; m < mult; ++m) {
        const int64_t oc = ci * mult + m;
        const float* w = m_weight.data() + oc * ntaps;
        const float bias = m_bias[static_cast<std::size_t>(oc)];
        float* out = y + (img * g.o + oc) * g.oh * g.ow;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
            const float* rowBase = scratch + oy * g.sh * rs;
            for (int t = 0; t < ntaps; ++t)
                tap[t] = rowBase + offset[t];
            float* orow = out + oy * g.ow;
            int64_t ox = 0;
            for (; ox + 4 * simd::kWidth <= g.ow; ox += 4 * simd::kWidth)
                depthwiseBlock<4>(tap, ntaps, w, bias, ox, orow + ox);
            for (; ox + simd::kWidth <= g.ow; ox += simd::kWidth)
                depthwiseBlock<1>(tap, ntaps, w, bias, ox, orow + ox);
            if (ox < g.ow) {
                depthwiseBlock<1>(tap, ntaps, w, bias, ox, tail);
                std::memcpy(orow + ox, tail, static_cast<std::size_t>(g.ow - ox) * sizeof(float));
            }
        }
    }
}

std::string EigenConv::describe() const
{
    const int64_t k = m_g.cg() * m_g.kh * m_g.kw;
    switch (m_algorithm) {
    case Algorithm::Depthwise:
        return "direct depthwise kernel (multiplier " + std::to_string(m_g.o / m_g.c) +
               ", 16-float vectors over output columns, stride phases " + std::to_string(m_g.sw) + ")";
    case Algorithm::Gemm1x1:
        return "1x1 direct GEMM (K=" + std::to_string(k) + ", " + std::to_string(m_tiles) + " column tiles of " +
               std::to_string(m_tile) + ", " + std::to_string(m_oBlocks) + " channel blocks)";
    case Algorithm::Im2colGemm:
        return "packed im2col + GEMM (K=" + std::to_string(k) + ", " + std::to_string(m_tiles) + " tiles of " +
               std::to_string(m_tile) + " pixels, " + std::to_string(m_oBlocks) + " channel blocks" +
               (m_g.groups > 1 ? ", " + std::to_string(m_g.groups) + " groups" : "") + ")";
    }
    return {};
}

} // namespace nc::core::kernels::eigen
