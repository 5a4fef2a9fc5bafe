// Convolution kernels of the Eigen backend: packed im2col + GEMM, direct 1×1 GEMM, direct depthwise.
#include "EigenConv.h"
#include "GemmKernel.h"

#include "Simd.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace nc::core::kernels::eigen {

namespace {

// Floats of one im2col tile: 256 Ki floats = 1 MiB, about the L2 of one core. The GEMM packs the
// tile block by block (Eigen's kc × mc panels stay in L2), so a tile only has to stay in cache
// between im2col writing it and the packing reading it; it bounds the tile count from below
// more than it tunes speed (GEMM speed is flat within ±3 % from 64 to 512 pixels per tile).
constexpr int64_t kTileFloats = 256 * 1024;
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

// Copies one im2col run. Runs are output-row segments, often short (7 floats at 7×7): a call to
// memcpy per run costs more than the copy there, so short runs are an inline loop.
inline void copyRun(float* dst, const float* src, int64_t n)
{
    if (n >= 64) {
        std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
        return;
    }
    for (int64_t i = 0; i < n; ++i)
        dst[i] = src[i];
}

// Copies a run into a GEMM panel: runs there are at most one panel (48 floats) long, and an
// unknown-length loop the compiler vectorises with peeling costs more than whole-vector copies.
inline void copyPanelRun(float* dst, const float* src, int64_t n)
{
    int64_t i = 0;
    for (; i + simd::kWidth <= n; i += simd::kWidth)
        simd::store(dst + i, simd::load(src + i));
    for (; i < n; ++i)
        dst[i] = src[i];
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

// Padded column x = j·phases + ph of padded row yy goes to phase plane ph, row yy, column j; a
// source column x − pl outside [0, W) comes from the padding mode. The interior of each row is
// one contiguous copy (one phase) or one strided loop the compiler vectorises; only the few
// border cells go through padSource. Columns [ceil((Wp−ph)/phases), rs) are zeroed.
// Only padded rows [y0, y1) are written, row yy at dst + (yy − y0)·rs of each phase plane.
void fillPhaseRows(const ConvGeometry& g, int64_t phases, const float* xPlane, int64_t rs, float* dst, int64_t y0,
                   int64_t y1)
{
    const int64_t wp = g.wp(), planeSize = (y1 - y0) * rs;
    for (int64_t yy = y0; yy < y1; ++yy) {
        const int64_t sy = padSource(yy - g.pt, g.h, g.mode);
        const float* srow = sy < 0 ? nullptr : xPlane + sy * g.w;
        for (int64_t ph = 0; ph < phases; ++ph) {
            float* row = dst + ph * planeSize + (yy - y0) * rs;
            if (!srow) {
                std::fill(row, row + rs, 0.0f);
                continue;
            }
            const int64_t off = ph - g.pl; // source column of j = 0
            const int64_t jEnd = std::min(ceilDiv(wp - ph, phases), rs);
            const int64_t jLo = std::min(off >= 0 ? 0 : ceilDiv(-off, phases), jEnd);
            const int64_t jHi = std::clamp(ceilDiv(g.w - off, phases), jLo, jEnd);
            auto border = [&](int64_t j) {
                const int64_t sx = padSource(j * phases + off, g.w, g.mode);
                return sx < 0 ? 0.0f : srow[sx];
            };
            for (int64_t j = 0; j < jLo; ++j)
                row[j] = border(j);
            if (phases == 1) {
                std::memcpy(row + jLo, srow + jLo + off, static_cast<std::size_t>(jHi - jLo) * sizeof(float));
            } else {
                const float* s = srow + off;
                for (int64_t j = jLo; j < jHi; ++j)
                    row[j] = s[j * phases];
            }
            for (int64_t j = jHi; j < jEnd; ++j)
                row[j] = border(j);
            std::fill(row + jEnd, row + rs, 0.0f);
        }
    }
}

void fillPhasePlanes(const ConvGeometry& g, int64_t phases, const float* xPlane, int64_t rs, float* dst)
{
    fillPhaseRows(g, phases, xPlane, rs, dst, 0, g.hp());
}

void padImage(const ConvGeometry& g, const float* x, float* padded, const Parallel& par)
{
    const int64_t planeIn = g.h * g.w, planeOut = g.hp() * g.wp();
    par.pool->parallelFor(g.n * g.c, par.threads, [&](int64_t p0, int64_t p1, int) {
        for (int64_t p = p0; p < p1; ++p)
            fillPhasePlanes(g, 1, x + p * planeIn, g.wp(), padded + p * planeOut);
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
    m_work.clear();
    m_localPadded.clear();
    m_partial = Tensor();
    m_zeros.clear();
    m_padded = Tensor();
    if (m_algorithm == Algorithm::Depthwise) {
        const int64_t ntaps = g.kh * g.kw;
        // Channel-blocked when rows are short or strided and each output channel has its own
        // input channel (multiplier 1): 16 channels are interleaved so one vector holds one
        // pixel of 16 channels. Short rows then waste no lanes and strides need no phase split;
        // the pack/unpack transposes cost about as much as oneDNN's nChw16c reorders.
        m_blocked = g.o == g.c && (g.sw > 1 || g.sh > 1 || g.ow < 32);
        if (m_blocked) {
            const int64_t blocks = ceilDiv(g.c, simd::kWidth);
            std::vector<float> packed(static_cast<std::size_t>(blocks * ntaps * simd::kWidth), 0.0f);
            std::vector<float> bias(static_cast<std::size_t>(blocks * simd::kWidth), 0.0f);
            for (int64_t c = 0; c < g.c; ++c) {
                const int64_t b = c / simd::kWidth, lane = c % simd::kWidth;
                for (int64_t t = 0; t < ntaps; ++t)
                    packed[static_cast<std::size_t>((b * ntaps + t) * simd::kWidth + lane)] = m_weight[static_cast<std::size_t>(c * ntaps + t)];
                bias[static_cast<std::size_t>(c)] = m_bias[static_cast<std::size_t>(c)];
            }
            m_weight = std::move(packed);
            m_bias = std::move(bias);
            m_rowSource.resize(static_cast<std::size_t>(g.hp()));
            m_colSource.resize(static_cast<std::size_t>(g.wp()));
            for (int64_t yy = 0; yy < g.hp(); ++yy)
                m_rowSource[static_cast<std::size_t>(yy)] = padSource(yy - g.pt, g.h, g.mode);
            for (int64_t xx = 0; xx < g.wp(); ++xx)
                m_colSource[static_cast<std::size_t>(xx)] = padSource(xx - g.pl, g.w, g.mode);
            for (int t = 0; t < threads; ++t)
                m_scratch.emplace_back(Shape{(g.hp() * g.wp() + g.oh * g.ow) * simd::kWidth});
            return;
        }
        m_phaseWidth = ceilDiv(g.wp(), g.sw);
        m_planeRows = g.hp();
        m_flat = g.sh == 1 && g.sw == 1;
        if (m_flat) {
            // Flat: the padded plane as one array with rows Wp apart. Output (oy, ox) is then
            // the 1-D convolution of that array at q = oy·Wp + ox, so whole-plane vector blocks
            // cover several short rows at once (a 7×7 plane is 4 vectors, not 7 row tails). The
            // Wp − OW extra columns per row are computed and dropped. Slack after the plane: the
            // last block reads up to 15 + (kw−1)·dw values past it.
            m_planeStride = g.wp();
            m_wideOffset = roundUp(g.hp() * g.wp() + g.wp() + 64, 16);
            for (int t = 0; t < threads; ++t)
                m_scratch.emplace_back(Shape{m_wideOffset + roundUp(g.oh * g.wp(), 16)});
        } else {
            // Phase planes: for stride sw, plane p holds padded columns p, p+sw, p+2sw, … so
            // that a strided output row reads contiguous memory. Each row gets 64 floats of
            // slack: the last vector block of a row may read (never use) up to 15 values past it.
            m_planeStride = roundUp(m_phaseWidth + 64, 16);
            for (int t = 0; t < threads; ++t)
                m_scratch.emplace_back(Shape{g.sw * m_planeRows * m_planeStride + 64});
        }
        return;
    }
    // Implicit im2col for stride 1 (see runImplicit) while its Wp − OW dropped columns per output
    // row cost at most a fifth extra (14²: 16/14; not 7², 9/7, where the explicit im2col with the
    // channels vectorised measured 5–10 % faster).
    m_implicit = m_algorithm == Algorithm::Im2colGemm && g.sh == 1 && g.sw == 1 && 5 * g.wp() <= 6 * g.ow;
    chooseTiles(threads);
    // One pre-packed weight slice per (group, output-channel block).
    const int64_t k = g.cg() * g.kh * g.kw, obs = ceilDiv(g.og(), m_oBlocks);
    m_gemm.clear();
    m_gemm.resize(static_cast<std::size_t>(g.groups * m_oBlocks));
    int64_t work = 0, colFloats = k * m_tile;
    for (int64_t grp = 0; grp < g.groups; ++grp)
        for (int64_t ob = 0; ob < m_oBlocks; ++ob) {
            const int64_t o0 = grp * g.og() + ob * obs, on = std::min(obs, g.og() - ob * obs);
            if (on <= 0)
                continue;
            PrepackedGemm& gemm = m_gemm[static_cast<std::size_t>(grp * m_oBlocks + ob)];
            gemm.prepare(PrepackedGemm::Mode::Right, m_weight.data() + o0 * k, k, on, k, m_tile,
                         m_implicit ? PrepackedGemm::WeightSide::Broadcast : PrepackedGemm::WeightSide::Auto);
            work = std::max(work, gemm.workspaceFloats());
            if (gemm.takesPackedPixels())
                colFloats = std::max(colFloats, gemm.packedPixelFloats(m_tile));
        }
    m_weight.clear(); // the packed copies are all run() reads
    m_rowPointers.clear();
    if (m_implicit) {
        // Per thread: the wide output tile (obs rows of m_tile flat positions), the k row
        // pointers and the padded rows of its own tile (see runImplicit). Those rows are planes
        // of m_localRows rows back to back, with slack after the last: a tile's last packets read
        // up to 15 flat positions past the tile, plus the taps' column offset (kw−1)·dw.
        m_phaseWidth = g.wp();
        m_localRows = std::min((m_tile - 1) / g.wp() + 2, g.oh) + (g.kh - 1) * g.dh;
        for (int t = 0; t < threads; ++t) {
            m_scratch.emplace_back(Shape{obs * m_tile});
            m_rowPointers.emplace_back(static_cast<std::size_t>(k));
            m_localPadded.emplace_back(Shape{g.cg() * m_localRows * g.wp() + 64 + (g.kw - 1) * g.dw});
        }
        return;
    }
    for (int t = 0; t < threads; ++t) {
        m_work.emplace_back(Shape{work});
        if (m_algorithm == Algorithm::Im2colGemm)
            m_scratch.emplace_back(Shape{colFloats});
    }
    if (m_kSplits > 1) {
        m_partial = Tensor(Shape{g.n * g.groups * m_tiles * (m_kSplits - 1), g.og() * m_tile});
        m_zeros.assign(static_cast<std::size_t>(g.og()), 0.0f);
    }
    // Padded (and, for sw > 1, phase-split) copy of the input, so every im2col run is a memcpy.
    if (m_algorithm == Algorithm::Im2colGemm && (g.padded() || g.sw > 1)) {
        m_phaseWidth = ceilDiv(g.wp(), g.sw);
        m_padded = Tensor(Shape{g.n * g.c, g.sw, g.hp(), m_phaseWidth});
    }
}

// Pixel tiles: as wide as fits kTileFloats of im2col (K·tile floats), cut into a multiple of the
// thread count when there is more than one tile, each a multiple of 16 pixels but the last.
// Images no larger than one tile stay whole and, with several threads, split the output
// channels instead (512 channels at 7×7: two blocks of 256).
// Implicit im2col tiles count flat positions (OH·Wp) and are capped by the wide output tile only.
void EigenConv::chooseTiles(int threads)
{
    const int64_t p = m_implicit ? m_g.oh * m_g.wp() : m_g.oh * m_g.ow;
    const int64_t k = m_g.cg() * m_g.kh * m_g.kw;
    const int64_t cap = m_algorithm == Algorithm::Gemm1x1 || m_implicit
                            ? kTile1x1Columns
                            : std::max<int64_t>(kTileFloats / k / 16 * 16, 64);
    int64_t tiles = ceilDiv(p, cap);
    if (tiles > 1 && threads > 1)
        tiles = roundUp(tiles, threads);
    m_tile = tiles > 1 ? roundUp(ceilDiv(p, tiles), 16) : p;
    m_tiles = ceilDiv(p, m_tile);

    const int64_t tasks = m_g.n * m_g.groups * m_tiles;
    m_oBlocks = 1;
    m_kSplits = 1;
    if (threads > 1 && tasks % threads != 0 && tasks < 4 * threads) {
        // Explicit im2col deep enough for every thread to take two depth blocks: split K (see
        // runIm2colSplitK); otherwise split the output channels.
        const int64_t blocks = ceilDiv(k, gemm::depthBlock(k));
        if (m_algorithm == Algorithm::Im2colGemm && !m_implicit && blocks >= 2 * threads)
            m_kSplits = threads;
        else
            m_oBlocks = std::min<int64_t>(threads, std::max<int64_t>(m_g.og() / 16, 1));
    }
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
        if (m_implicit)
            runImplicit(x, y, par);
        else
            runIm2col(x, y, par);
        break;
    }
}

// Both GEMM paths compute, per image n, group g and tile of output pixels [p0, p0+pn):
//     Y[o0:o0+on, p0:p0+pn] = W[o0:o0+on, :] · Col[:, p0:p0+pn] + b
// with W [Og × K] (OIHW, pre-packed at prepare), Col [K × pn] row-major and Y a row-major view of
// NCHW (outer stride OH·OW), so the output needs no transposition. K = C/g·kh·kw.
void EigenConv::runGemm1x1(const float* x, float* y, const Parallel& par)
{
    const ConvGeometry& g = m_g;
    const int64_t p = g.oh * g.ow, k = g.cg(), og = g.og();
    const int64_t obs = ceilDiv(og, m_oBlocks);
    const int64_t tasks = g.n * g.groups * m_tiles * m_oBlocks;
    par.pool->parallelTasks(tasks, par.threads, [&](int64_t t0, int64_t t1, int worker) {
        for (int64_t t = t0; t < t1; ++t) {
            const auto [img, grp, tile, ob] = taskOf(t);
            const int64_t p0 = tile * m_tile, pn = std::min(m_tile, p - p0);
            const int64_t o0 = grp * og + ob * obs, on = std::min(obs, og - ob * obs);
            if (on <= 0)
                continue;
            float* out = y + (img * g.o + o0) * p + p0;
            m_gemm[static_cast<std::size_t>(grp * m_oBlocks + ob)].run(
                pn, x + (img * g.c + grp * k) * p + p0, p, out, p, m_work[static_cast<std::size_t>(worker)].data(),
                m_bias.data() + o0);
        }
    });
}

void EigenConv::runIm2col(const float* x, float* y, const Parallel& par)
{
    const ConvGeometry& g = m_g;
    // Source planes: the input itself, or its padded phase planes (sw planes of Hp × ceil(Wp/sw)).
    const bool phased = !m_padded.empty();
    const int64_t phases = phased ? g.sw : 1;
    const int64_t rows = phased ? g.hp() : g.h;
    const int64_t rs = phased ? m_phaseWidth : g.w;
    const int64_t planeSize = phases * rows * rs;
    const float* src = x;
    if (phased) {
        float* padded = m_padded.data();
        par.pool->parallelFor(g.n * g.c, par.threads, [&](int64_t p0, int64_t p1, int) {
            for (int64_t q = p0; q < p1; ++q)
                fillPhasePlanes(g, phases, x + q * g.h * g.w, rs, padded + q * planeSize);
        });
        src = padded;
    }
    if (m_kSplits > 1) {
        runIm2colSplitK({src, planeSize, phases, rows, rs}, y, par);
        return;
    }
    const int64_t p = g.oh * g.ow, cg = g.cg(), og = g.og(), k = cg * g.kh * g.kw;
    const int64_t obs = ceilDiv(og, m_oBlocks);
    const int64_t tasks = g.n * g.groups * m_tiles * m_oBlocks;
    par.pool->parallelTasks(tasks, par.threads, [&](int64_t t0, int64_t t1, int worker) {
        float* col = m_scratch[static_cast<std::size_t>(worker)].data();
        for (int64_t t = t0; t < t1; ++t) {
            const auto [img, grp, tile, ob] = taskOf(t);
            const int64_t p0 = tile * m_tile, pn = std::min(m_tile, p - p0);
            const int64_t o0 = grp * og + ob * obs, on = std::min(obs, og - ob * obs);
            if (on <= 0)
                continue;

            // Packed im2col of this tile: row (c, ky, kx) holds, for each output pixel (oy, ox)
            // of the tile, padded[c][oy·sh + ky·dh][ox·sw + kx·dw], which is phase plane
            // (kx·dw mod sw), row oy·sh + ky·dh, column ox + ⌊kx·dw / sw⌋: each run of one
            // output row is a contiguous memcpy. When the GEMM vectorises the pixels, the runs
            // go straight into its panel layout (cut where a panel ends), saving a second copy.
            const float* base = src + (img * g.c + grp * cg) * planeSize;
            const PrepackedGemm& gemm = m_gemm[static_cast<std::size_t>(grp * m_oBlocks + ob)];
            float* out = y + (img * g.o + o0) * p + p0;
            if (gemm.takesPackedPixels()) {
                // Panel by panel, so the writes are sequential: the panel's pixels are cut into
                // output-row runs once, then every row (c, ky, kx) copies those runs.
                const int64_t nr = gemm.packedPixelRun(0);
                std::vector<std::array<int64_t, 3>> runs(static_cast<std::size_t>(nr)); // source offset, panel column, length
                for (int64_t i0 = 0; i0 < pn; i0 += nr) {
                    const int64_t w = std::min(nr, pn - i0);
                    int64_t nruns = 0;
                    for (int64_t i = i0, oy = (p0 + i) / g.ow, ox = (p0 + i) % g.ow; i < i0 + w;) {
                        const int64_t run = std::min(g.ow - ox, i0 + w - i);
                        runs[static_cast<std::size_t>(nruns++)] = {oy * g.sh * rs + ox, i - i0, run};
                        i += run;
                        ++oy;
                        ox = 0;
                    }
                    // Rows of one depth block follow each other at the panel's width.
                    const int64_t wq = gemm.packedPixelPanelWidth(i0, pn);
                    int64_t kk = 0, blockEnd = 0;
                    float* d = col;
                    for (int64_t c = 0; c < cg; ++c) {
                        for (int64_t ky = 0; ky < g.kh; ++ky) {
                            for (int64_t kx = 0; kx < g.kw; ++kx, ++kk, d += wq) {
                                if (kk == blockEnd) {
                                    d = col + gemm.packedPixelOffset(kk, i0, pn);
                                    blockEnd = std::min(kk + gemm.depthBlock(), k);
                                }
                                const int64_t colOff = kx * g.dw;
                                const float* plane = base + c * planeSize + (colOff % phases) * rows * rs +
                                                     ky * g.dh * rs + colOff / phases;
                                for (int64_t r = 0; r < nruns; ++r) {
                                    const auto& [from, at, len] = runs[static_cast<std::size_t>(r)];
                                    copyPanelRun(d + at, plane + from, len);
                                }
                            }
                        }
                    }
                }
                gemm.runPackedPixels(pn, col, out, p, m_bias.data() + o0);
                continue;
            }
            im2colRows({base, planeSize, phases, rows, rs}, p0, pn, 0, k, col);
            gemm.run(pn, col, pn, out, p, m_work[static_cast<std::size_t>(worker)].data(), m_bias.data() + o0);
        }
    });
}

// Rows [k0, k1) of the row-major im2col of pixels [p0, p0 + pn): row kk = (c, ky, kx) at
// col + kk·pn holds src[c][oy·sh + ky·dh][ox·sw + kx·dw] for each pixel (oy, ox), read from the
// phase planes so that each output row's run is one contiguous copy.
void EigenConv::im2colRows(const Planes& src, int64_t p0, int64_t pn, int64_t k0, int64_t k1, float* col) const
{
    const ConvGeometry& g = m_g;
    for (int64_t kk = k0; kk < k1; ++kk) {
        const int64_t c = kk / (g.kh * g.kw), ky = kk / g.kw % g.kh, kx = kk % g.kw;
        const int64_t colOff = kx * g.dw;
        const float* plane = src.base + c * src.planeSize + (colOff % src.phases) * src.rows * src.rs +
                             ky * g.dh * src.rs + colOff / src.phases;
        float* dst = col + kk * pn;
        for (int64_t q = p0, oy = p0 / g.ow, ox = p0 % g.ow; q < p0 + pn; ++oy, ox = 0) {
            const int64_t run = std::min(g.ow - ox, p0 + pn - q);
            copyRun(dst, plane + oy * g.sh * src.rs + ox, run);
            dst += run;
            q += run;
        }
    }
}

// Depth split (few pixels, deep K: 512@7² has one tile of 49 pixels and K = 4608). Splitting the
// output channels instead made every thread build and pack the whole im2col, and 512@7² gained
// only 1.7× from a second thread. Here split s builds only its rows of the im2col and multiplies
// them by its depth blocks of the weights; split 0 writes Y (from the bias), the others a partial
// sum that a second pass adds in.
void EigenConv::runIm2colSplitK(const Planes& src, float* y, const Parallel& par)
{
    const ConvGeometry& g = m_g;
    const int64_t p = g.oh * g.ow, cg = g.cg(), og = g.og(), k = cg * g.kh * g.kw;
    const int64_t planes = g.n * g.groups * m_tiles, splits = m_kSplits;
    auto partial = [&](int64_t plane, int64_t split) {
        return m_partial.data() + (plane * (splits - 1) + split - 1) * og * m_tile;
    };
    par.pool->parallelTasks(planes * splits, par.threads, [&](int64_t t0, int64_t t1, int worker) {
        float* col = m_scratch[static_cast<std::size_t>(worker)].data();
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t plane = t / splits, split = t % splits;
            const auto [img, grp, tile, unused] = planeOf(plane);
            const int64_t p0 = tile * m_tile, pn = std::min(m_tile, p - p0);
            const PrepackedGemm& gemm = m_gemm[static_cast<std::size_t>(grp)];
            const int64_t blocks = gemm.depthBlocks(), b0 = blocks * split / splits, b1 = blocks * (split + 1) / splits;
            const int64_t kc = gemm.depthBlock();
            im2colRows({src.base + (img * g.c + grp * cg) * src.planeSize, src.planeSize, src.phases, src.rows, src.rs},
                       p0, pn, b0 * kc, std::min(b1 * kc, k), col);
            float* out = split == 0 ? y + (img * g.o + grp * og) * p + p0 : partial(plane, split);
            gemm.run(pn, col, pn, out, split == 0 ? p : pn, m_work[static_cast<std::size_t>(worker)].data(),
                     split == 0 ? m_bias.data() + grp * og : m_zeros.data(), b0, b1);
        }
    });
    par.pool->parallelFor(planes * og, par.threads, [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t plane = r / og, o = r % og;
            const auto [img, grp, tile, unused] = planeOf(plane);
            const int64_t p0 = tile * m_tile, pn = std::min(m_tile, p - p0);
            float* out = y + (img * g.o + grp * og + o) * p + p0;
            for (int64_t split = 1; split < splits; ++split) {
                const float* add = partial(plane, split) + o * pn;
                for (int64_t i = 0; i < pn; ++i)
                    out[i] += add[i];
            }
        }
    });
}

// Stride 1, implicit im2col (no im2col buffer at all). On the padded plane taken as one flat
// array with rows Wp apart, output (oy, ox) sits at q = oy·Wp + ox and im2col row (c, ky, kx) is
// the plane itself shifted by ky·dh·Wp + kx·dw: B[(c, ky, kx)][q] = plane_c[q + ky·dh·Wp + kx·dw].
// The GEMM reads its B rows straight from the planes through k row pointers, computes all Wp
// positions of each output row into a wide tile and the Wp − OW extra ones are dropped when the
// tile is copied into Y (3.6 % extra work at 56², 7 % at 28², 14 % at 14²) — cheaper than writing
// and re-reading a K × pixels im2col matrix.
// Each task pads only the rows its tile reads (its output rows plus (kh−1)·dh below), into its
// worker's own buffer: padding the whole image in a parallel pass first left half of the planes
// in the other core's cache, and with two threads every task then read across cores (64@56²
// gained only 1.2× from a second thread; the rows a tile shares with the next, (kh−1)·dh of
// about 16, are padded twice).
void EigenConv::runImplicit(const float* x, float* y, const Parallel& par)
{
    const ConvGeometry& g = m_g;
    const int64_t wp = g.wp(), flat = g.oh * wp, localPlane = m_localRows * wp;
    const int64_t p = g.oh * g.ow, cg = g.cg(), og = g.og();
    const int64_t obs = ceilDiv(og, m_oBlocks);
    const int64_t tasks = g.n * g.groups * m_tiles * m_oBlocks;
    // Per worker, the (image, group, tile) whose rows its buffer holds: the tasks of one tile's
    // channel blocks are adjacent, so a worker that takes two of them pads once.
    std::vector<int64_t> held(m_localPadded.size(), -1);
    par.pool->parallelTasks(tasks, par.threads, [&](int64_t t0, int64_t t1, int worker) {
        float* wide = m_scratch[static_cast<std::size_t>(worker)].data();
        float* local = m_localPadded[static_cast<std::size_t>(worker)].data();
        std::vector<const float*>& rowPtr = m_rowPointers[static_cast<std::size_t>(worker)];
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t plane = t / m_oBlocks; // (image, group, tile)
            const auto [img, grp, tile, ob] = taskOf(t);
            const int64_t q0 = tile * m_tile, qn = std::min(m_tile, flat - q0);
            const int64_t o0 = grp * og + ob * obs, on = std::min(obs, og - ob * obs);
            if (on <= 0)
                continue;
            const int64_t y0 = q0 / wp, y1 = std::min((q0 + qn - 1) / wp + 1 + (g.kh - 1) * g.dh, g.hp());
            if (held[static_cast<std::size_t>(worker)] != plane) {
                const float* xg = x + (img * g.c + grp * cg) * g.h * g.w;
                for (int64_t c = 0; c < cg; ++c)
                    fillPhaseRows(g, 1, xg + c * g.h * g.w, wp, local + c * localPlane, y0, y1);
                held[static_cast<std::size_t>(worker)] = plane;
            }
            const float* base = local + (q0 - y0 * wp);
            std::size_t kk = 0;
            for (int64_t c = 0; c < cg; ++c)
                for (int64_t ky = 0; ky < g.kh; ++ky)
                    for (int64_t kx = 0; kx < g.kw; ++kx)
                        rowPtr[kk++] = base + c * localPlane + ky * g.dh * wp + kx * g.dw;
            m_gemm[static_cast<std::size_t>(grp * m_oBlocks + ob)].runPixelRows(qn, rowPtr.data(), wide, m_tile,
                                                                                m_bias.data() + o0);
            // Keep columns ox < OW of every output row the tile touches.
            float* out = y + (img * g.o + o0) * p;
            for (int64_t q = q0; q < q0 + qn;) {
                const int64_t oy = q / wp, ox = q % wp;
                const int64_t end = std::min(oy * wp + wp, q0 + qn);
                const int64_t keep = std::min(end, oy * wp + g.ow) - q;
                if (keep > 0)
                    for (int64_t i = 0; i < on; ++i)
                        std::memcpy(out + i * p + oy * g.ow + ox, wide + i * m_tile + (q - q0),
                                    static_cast<std::size_t>(keep) * sizeof(float));
                q = end;
            }
        }
    });
}

void EigenConv::runDepthwise(const float* x, float* y, const Parallel& par)
{
    const ConvGeometry& g = m_g;
    if (m_blocked) {
        const int64_t blocks = ceilDiv(g.c, simd::kWidth);
        par.pool->parallelTasks(g.n * blocks, par.threads, [&](int64_t t0, int64_t t1, int worker) {
            float* scratch = m_scratch[static_cast<std::size_t>(worker)].data();
            for (int64_t t = t0; t < t1; ++t)
                depthwiseChannelBlock(x, y, t / blocks, t % blocks, scratch);
        });
        return;
    }
    par.pool->parallelTasks(g.n * g.c, par.threads, [&](int64_t t0, int64_t t1, int worker) {
        float* scratch = m_scratch[static_cast<std::size_t>(worker)].data();
        for (int64_t t = t0; t < t1; ++t)
            depthwisePlane(x + t * g.h * g.w, t % g.c, t / g.c, y, scratch);
    });
}

// Depthwise convolution of 16 channels [c0, c0+16) of one image, channel-interleaved:
//   pack    buf[yy][xx][c] = padded input of channel c0+c at (yy, xx)   (Hp × Wp × 16)
//   compute acc[oy][ox] = b + Σ_t w[t] ⊙ buf[oy·sh + ky·dh][ox·sw + kx·dw]   (16-lane vectors)
//   unpack  y[c0+c][oy][ox] = acc[oy][ox][c]
// Four output pixels per step give four independent FMA chains. Lanes past C are zero and
// never stored.
void EigenConv::depthwiseChannelBlock(const float* x, float* y, int64_t img, int64_t cb, float* scratch) const
{
    constexpr int64_t L = simd::kWidth;
    const ConvGeometry& g = m_g;
    const int64_t hp = g.hp(), wp = g.wp(), plane = g.h * g.w, outPlane = g.oh * g.ow;
    const int64_t c0 = cb * L, lanes = std::min(L, g.c - c0);
    const float* src = x + (img * g.c + c0) * plane;
    float* buf = scratch;
    float* acc = scratch + hp * wp * L;

    for (int64_t yy = 0; yy < hp; ++yy) {
        const int64_t sy = m_rowSource[static_cast<std::size_t>(yy)];
        float* cell = buf + yy * wp * L;
        for (int64_t xx = 0; xx < wp; ++xx, cell += L) {
            const int64_t sx = m_colSource[static_cast<std::size_t>(xx)];
            if (sy < 0 || sx < 0) {
                simd::store(cell, simd::V16{});
                continue;
            }
            const float* s = src + sy * g.w + sx;
            if (lanes == L) {
                for (int64_t c = 0; c < L; ++c)
                    cell[c] = s[c * plane];
            } else {
                for (int64_t c = 0; c < L; ++c)
                    cell[c] = c < lanes ? s[c * plane] : 0.0f;
            }
        }
    }

    const int ntaps = static_cast<int>(g.kh * g.kw);
    std::array<int64_t, kMaxTaps> tapOffset{};
    std::vector<int64_t> bigOffset;
    int64_t* offset = tapOffset.data();
    if (ntaps > kMaxTaps) {
        bigOffset.resize(static_cast<std::size_t>(ntaps));
        offset = bigOffset.data();
    }
    for (int64_t ky = 0; ky < g.kh; ++ky)
        for (int64_t kx = 0; kx < g.kw; ++kx)
            offset[ky * g.kw + kx] = (ky * g.dh * wp + kx * g.dw) * L;
    const float* w = m_weight.data() + cb * ntaps * L;
    const simd::V16 bias = simd::load(m_bias.data() + c0);
    const int64_t step = g.sw * L;
    for (int64_t oy = 0; oy < g.oh; ++oy) {
        const float* rowBase = buf + oy * g.sh * wp * L;
        float* out = acc + oy * g.ow * L;
        int64_t ox = 0;
        for (; ox + 4 <= g.ow; ox += 4) {
            simd::V16 a0 = bias, a1 = bias, a2 = bias, a3 = bias;
            const float* p = rowBase + ox * step;
            for (int t = 0; t < ntaps; ++t) {
                const simd::V16 wv = simd::load(w + t * L);
                const float* q = p + offset[t];
                a0 += wv * simd::load(q);
                a1 += wv * simd::load(q + step);
                a2 += wv * simd::load(q + 2 * step);
                a3 += wv * simd::load(q + 3 * step);
            }
            simd::store(out + ox * L, a0);
            simd::store(out + (ox + 1) * L, a1);
            simd::store(out + (ox + 2) * L, a2);
            simd::store(out + (ox + 3) * L, a3);
        }
        for (; ox < g.ow; ++ox) {
            simd::V16 a = bias;
            const float* p = rowBase + ox * step;
            for (int t = 0; t < ntaps; ++t)
                a += simd::load(w + t * L) * simd::load(p + offset[t]);
            simd::store(out + ox * L, a);
        }
    }

    float* dst = y + (img * g.o + c0) * outPlane;
    for (int64_t c = 0; c < lanes; ++c) {
        float* o = dst + c * outPlane;
        for (int64_t q = 0; q < outPlane; ++q)
            o[q] = acc[q * L + c];
    }
}

// Direct depthwise convolution of one input channel (and its `multiplier` output channels).
// out[oy][ox] = b + Σ_{ky,kx} w[ky][kx] · padded[oy·sh + ky·dh][ox·sw + kx·dw]
// Every tap is a contiguous run of the (phase-split) padded plane, so the kernel is a broadcast
// weight times vector loads, 16 outputs at a time, with 4 independent accumulators per block.
//   Flat (stride 1): outputs are computed on the padded plane's own row pitch Wp, i.e. as a
//     1-D convolution of the flattened plane with taps at ky·dh·Wp + kx·dw, then compacted.
//   Strided: padded column ox·sw + kx·dw lives in phase plane (kx·dw mod sw) at column
//     ox + ⌊kx·dw / sw⌋; rows are computed one at a time.
void EigenConv::depthwisePlane(const float* xPlane, int64_t ci, int64_t img, float* y, float* scratch) const
{
    const ConvGeometry& g = m_g;
    const int64_t rs = m_planeStride, planeSize = m_planeRows * rs;
    fillPhasePlanes(g, g.sw, xPlane, rs, scratch);

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
        if (m_flat) {
            float* wide = scratch + m_wideOffset;
            const int64_t total = g.oh * rs;
            for (int t = 0; t < ntaps; ++t)
                tap[t] = scratch + offset[t];
            int64_t q = 0;
            for (; q + 4 * simd::kWidth <= total; q += 4 * simd::kWidth)
                depthwiseBlock<4>(tap, ntaps, w, bias, q, wide + q);
            for (; q < total; q += simd::kWidth)
                depthwiseBlock<1>(tap, ntaps, w, bias, q, wide + q);
            if (rs == g.ow) {
                std::memcpy(out, wide, static_cast<std::size_t>(g.oh * g.ow) * sizeof(float));
            } else {
                for (int64_t oy = 0; oy < g.oh; ++oy)
                    std::memcpy(out + oy * g.ow, wide + oy * rs, static_cast<std::size_t>(g.ow) * sizeof(float));
            }
            continue;
        }
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
        if (m_blocked)
            return "direct depthwise kernel (multiplier 1, 16 channels interleaved per vector)";
        return "direct depthwise kernel (multiplier " + std::to_string(m_g.o / m_g.c) + ", 16-float vectors, " +
               (m_flat ? std::string("flat plane") : "row by row, " + std::to_string(m_g.sw) + " stride phases") + ")";
    case Algorithm::Gemm1x1:
        return "1x1 direct GEMM (K=" + std::to_string(k) + ", " + std::to_string(m_tiles) + " column tiles of " +
               std::to_string(m_tile) + ", " + std::to_string(m_oBlocks) + " channel blocks)";
    case Algorithm::Im2colGemm:
        if (m_implicit)
            return "implicit im2col + GEMM (K=" + std::to_string(k) + ", " + std::to_string(m_tiles) + " tiles of " +
                   std::to_string(m_tile) + " positions on rows of " + std::to_string(m_g.wp()) + ", " +
                   std::to_string(m_oBlocks) + " channel blocks" +
                   (m_g.groups > 1 ? ", " + std::to_string(m_g.groups) + " groups" : "") + ")";
        return "packed im2col + GEMM (K=" + std::to_string(k) + ", " + std::to_string(m_tiles) + " tiles of " +
               std::to_string(m_tile) + " pixels, " + m_gemm.front().orientation() + ", " +
               (m_kSplits > 1 ? "K split in " + std::to_string(m_kSplits) : std::to_string(m_oBlocks) + " channel blocks") +
               (m_g.groups > 1 ? ", " + std::to_string(m_g.groups) + " groups" : "") + ")";
    }
    return {};
}

} // namespace nc::core::kernels::eigen
