// Internal: the register-blocked float GEMM of the Eigen backend (packing + micro-kernel).
#include "GemmKernel.h"

#include <Eigen/Core>

#include <algorithm>

namespace nc::core::kernels::eigen::gemm {

namespace {

using Packet = Eigen::internal::packet_traits<float>::type;
// sizeof rather than unpacket_traits<Packet>: the latter drops the vector attributes of __m512 and
// GCC warns about it.
constexpr int L = static_cast<int>(sizeof(Packet) / sizeof(float));
constexpr int NV = 3;
constexpr int NR = NV * L;
// MR·NV accumulators + NV packets of B + one broadcast must fit the register file.
constexpr int MR = EIGEN_ARCH_DEFAULT_NUMBER_OF_REGISTERS >= 32 ? 8 : 4;
static_assert(MR * NV + NV + 1 <= EIGEN_ARCH_DEFAULT_NUMBER_OF_REGISTERS);

// Largest depth block. A B micro-panel is depth·NR floats: 256·48·4 B = 48 KiB with AVX-512,
// the L1 data cache of the machine this was tuned on, while the A micro-panel (256·8·4 B = 8 KiB)
// streams from L2. Measured on the bench rows, 128–512 are within the noise (±3 %).
constexpr int64_t kMaxDepth = 256;

int64_t ceilDiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

// Where depth step d of a B micro-panel starts: in a packed panel (rows W·L floats apart) or,
// for the implicit im2col, anywhere (one pointer per depth step, plus the panel's column).
template <int W>
struct PackedRows {
    const float* b;
    const float* operator()(int64_t d) const { return b + d * W * L; }
};
struct PointerRows {
    const float* const* rows;
    int64_t col;
    const float* operator()(int64_t d) const { return rows[d] + col; }
};

// One H × W·L tile (H ≤ MR rows of an MR-row A panel): C[rows × cols] += A panel · B panel over
// `depth`. H < MR only for the last panel, which then skips its zero rows instead of computing them
// (49 pixels in panels of 8: the seventh panel has one row).
// With init set, C starts from init[r] on row r instead of its contents: the first depth block
// then writes C without reading it (a convolution's bias, which otherwise costs a fill pass over
// the whole output before the GEMM reads it back).
template <int H, int W, typename BRows>
void tile(int64_t depth, const float* __restrict a, BRows bRows, float* c, int64_t rsc, int64_t csc, int64_t rows,
          int64_t cols, const float* init)
{
    using namespace Eigen::internal;
    Packet acc[H][W];
    for (int r = 0; r < H; ++r)
        for (int v = 0; v < W; ++v)
            acc[r][v] = pzero(Packet());
    for (int64_t d = 0; d < depth; ++d) {
        const float* b = bRows(d);
        Packet bv[W];
        for (int v = 0; v < W; ++v)
            bv[v] = ploadu<Packet>(b + v * L);
        for (int r = 0; r < H; ++r) {
            const Packet av = pset1<Packet>(a[r]);
            for (int v = 0; v < W; ++v)
                acc[r][v] = pmadd(av, bv[v], acc[r][v]);
        }
        a += MR;
    }
    if (rows == H && cols == W * L && csc == 1) {
        for (int r = 0; r < H; ++r) {
            const Packet start = init ? pset1<Packet>(init[r]) : pzero(Packet());
            for (int v = 0; v < W; ++v) {
                float* p = c + r * rsc + v * L;
                pstoreu(p, padd(init ? start : ploadu<Packet>(p), acc[r][v]));
            }
        }
        return;
    }
    // Edge tiles and transposed C: through a buffer, only the valid part is added.
    alignas(64) float buf[H][W * L];
    for (int r = 0; r < H; ++r)
        for (int v = 0; v < W; ++v)
            pstoreu(&buf[r][v * L], acc[r][v]);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j) {
            float& out = c[r * rsc + j * csc];
            out = (init ? init[r] : out) + buf[r][j];
        }
}

// tile<h, W> for the runtime row count h ≤ H.
template <int H, int W, typename BRows>
void tileRows(int64_t h, int64_t depth, const float* a, BRows bRows, float* c, int64_t rsc, int64_t csc, int64_t cols,
              const float* init)
{
    if constexpr (H > 1) {
        if (h < H) {
            tileRows<H - 1, W>(h, depth, a, bRows, c, rsc, csc, cols, init);
            return;
        }
    }
    tile<H, W>(depth, a, bRows, c, rsc, csc, h, cols, init);
}

// Loop order of one block. Column panels outside and row panels inside keeps one B micro-panel in
// L1 while the A panels of the block (L2) pass it, when A is the smaller operand; when A is the
// larger one (512 channels × 256 depth against 49 pixels) rows go outside so A streams through
// once and the small B stays in cache.
template <typename Tile>
void forEachTile(int64_t rows, int64_t cols, int64_t depth, Tile tileAt)
{
    const bool rowsOutside = packedAFloats(rows, depth) > 2 * packedBFloats(depth, cols);
    if (rowsOutside) {
        for (int64_t i0 = 0; i0 < rows; i0 += MR)
            for (int64_t j0 = 0; j0 < cols; j0 += NR)
                tileAt(i0, j0);
        return;
    }
    for (int64_t j0 = 0; j0 < cols; j0 += NR)
        for (int64_t i0 = 0; i0 < rows; i0 += MR)
            tileAt(i0, j0);
}

} // namespace

int packetFloats()
{
    return L;
}
int tileRows()
{
    return MR;
}
int tileCols()
{
    return NR;
}

int64_t packedAFloats(int64_t rows, int64_t depth)
{
    return ceilDiv(rows, MR) * MR * depth;
}

int64_t packedBFloats(int64_t depth, int64_t cols)
{
    return depth * ceilDiv(cols, L) * L;
}

int64_t depthBlock(int64_t depth)
{
    const int64_t blocks = std::max<int64_t>(ceilDiv(depth, kMaxDepth), 1);
    return ceilDiv(depth, blocks);
}

void packA(View a, int64_t rows, int64_t depth, float* dst)
{
    for (int64_t i0 = 0; i0 < rows; i0 += MR) {
        const int64_t h = std::min<int64_t>(MR, rows - i0);
        float* d = dst + i0 * depth;
        const float* s = a.data + i0 * a.rs;
        if (a.rs == 1) {
            // Rows contiguous (a transposed operand): one short copy per depth step.
            for (int64_t k = 0; k < depth; ++k) {
                const float* sk = s + k * a.cs;
                for (int64_t r = 0; r < h; ++r)
                    d[k * MR + r] = sk[r];
                for (int64_t r = h; r < MR; ++r)
                    d[k * MR + r] = 0.0f;
            }
            continue;
        }
        for (int64_t r = 0; r < h; ++r) {
            const float* sr = s + r * a.rs;
            for (int64_t k = 0; k < depth; ++k)
                d[k * MR + r] = sr[k * a.cs];
        }
        for (int64_t r = h; r < MR; ++r)
            for (int64_t k = 0; k < depth; ++k)
                d[k * MR + r] = 0.0f;
    }
}

void packB(View b, int64_t depth, int64_t cols, float* dst)
{
    for (int64_t j0 = 0; j0 < cols; j0 += NR) {
        const int64_t w = std::min<int64_t>(NR, cols - j0), wp = ceilDiv(w, L) * L;
        float* d = dst + j0 * depth;
        const float* s = b.data + j0 * b.cs;
        if (b.cs == 1) {
            for (int64_t k = 0; k < depth; ++k, d += wp) {
                const float* sk = s + k * b.rs;
                if (w == NR) {
                    for (int v = 0; v < NV; ++v)
                        Eigen::internal::pstoreu(d + v * L, Eigen::internal::ploadu<Packet>(sk + v * L));
                    continue;
                }
                for (int64_t j = 0; j < w; ++j)
                    d[j] = sk[j];
                for (int64_t j = w; j < wp; ++j)
                    d[j] = 0.0f;
            }
            continue;
        }
        // Columns strided (a transposed operand, e.g. Wᵀ of a linear layer): column by column.
        for (int64_t j = 0; j < w; ++j) {
            const float* sj = s + j * b.cs;
            for (int64_t k = 0; k < depth; ++k)
                d[k * wp + j] = sj[k * b.rs];
        }
        for (int64_t k = 0; k < depth; ++k)
            for (int64_t j = w; j < wp; ++j)
                d[k * wp + j] = 0.0f;
    }
}

void multiplyPacked(int64_t rows, int64_t cols, int64_t depth, const float* a, const float* b, float* c, int64_t rsc,
                    int64_t csc, const float* rowInit)
{
    forEachTile(rows, cols, depth, [&](int64_t i0, int64_t j0) {
        const int64_t w = std::min<int64_t>(NR, cols - j0), h = std::min<int64_t>(MR, rows - i0);
        const float* ap = a + i0 * depth;
        const float* bp = b + j0 * depth;
        const float* init = rowInit ? rowInit + i0 : nullptr;
        float* cp = c + i0 * rsc + j0 * csc;
        const int64_t nv = ceilDiv(w, L);
        if (nv == 3)
            tileRows<MR, 3>(h, depth, ap, PackedRows<3>{bp}, cp, rsc, csc, w, init);
        else if (nv == 2)
            tileRows<MR, 2>(h, depth, ap, PackedRows<2>{bp}, cp, rsc, csc, w, init);
        else
            tileRows<MR, 1>(h, depth, ap, PackedRows<1>{bp}, cp, rsc, csc, w, init);
    });
}

void multiplyRows(int64_t rows, int64_t cols, int64_t depth, const float* a, const float* const* bRows, float* c,
                  int64_t ldc, const float* rowInit)
{
    forEachTile(rows, cols, depth, [&](int64_t i0, int64_t j0) {
        const int64_t w = std::min<int64_t>(NR, cols - j0), h = std::min<int64_t>(MR, rows - i0);
        const float* ap = a + i0 * depth;
        const float* init = rowInit ? rowInit + i0 : nullptr;
        float* cp = c + i0 * ldc + j0;
        const int64_t nv = ceilDiv(w, L);
        if (nv == 3)
            tileRows<MR, 3>(h, depth, ap, PointerRows{bRows, j0}, cp, ldc, 1, w, init);
        else if (nv == 2)
            tileRows<MR, 2>(h, depth, ap, PointerRows{bRows, j0}, cp, ldc, 1, w, init);
        else
            tileRows<MR, 1>(h, depth, ap, PointerRows{bRows, j0}, cp, ldc, 1, w, init);
    });
}

} // namespace nc::core::kernels::eigen::gemm
