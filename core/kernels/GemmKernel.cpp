// Internal: the register-blocked float GEMM of the Eigen backend (packing + micro-kernel).
#include "GemmKernel.h"

#include <Eigen/Core>

#include <algorithm>
#include <cstdlib>

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
// about the L1 data cache, while the A micro-panel (256·8·4 B = 8 KiB) streams from L2.
// Deeper blocks read and write C less often; measured on the bench rows 192–384 are within 2 %.
int64_t maxDepth()
{
    static const int64_t value = [] {
        if (const char* e = std::getenv("NC_GEMM_KC"))
            return std::max<int64_t>(std::atoll(e), 16);
        return int64_t{256};
    }();
    return value;
}

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

// One MR × W·L tile: C[rows × cols] += A panel · B panel over `depth`.
template <int W, typename BRows>
void tile(int64_t depth, const float* __restrict a, BRows bRows, float* c, int64_t rsc, int64_t csc, int64_t rows,
          int64_t cols)
{
    using namespace Eigen::internal;
    Packet acc[MR][W];
    for (int r = 0; r < MR; ++r)
        for (int v = 0; v < W; ++v)
            acc[r][v] = pzero(Packet());
    for (int64_t d = 0; d < depth; ++d) {
        const float* b = bRows(d);
        Packet bv[W];
        for (int v = 0; v < W; ++v)
            bv[v] = ploadu<Packet>(b + v * L);
        for (int r = 0; r < MR; ++r) {
            const Packet av = pset1<Packet>(a[r]);
            for (int v = 0; v < W; ++v)
                acc[r][v] = pmadd(av, bv[v], acc[r][v]);
        }
        a += MR;
    }
    if (rows == MR && cols == W * L && csc == 1) {
        for (int r = 0; r < MR; ++r)
            for (int v = 0; v < W; ++v) {
                float* p = c + r * rsc + v * L;
                pstoreu(p, padd(ploadu<Packet>(p), acc[r][v]));
            }
        return;
    }
    // Edge tiles and transposed C: through a buffer, only the valid part is added.
    alignas(64) float buf[MR][W * L];
    for (int r = 0; r < MR; ++r)
        for (int v = 0; v < W; ++v)
            pstoreu(&buf[r][v * L], acc[r][v]);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j)
            c[r * rsc + j * csc] += buf[r][j];
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
    const int64_t blocks = std::max<int64_t>(ceilDiv(depth, maxDepth()), 1);
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

// Column panels outside, row panels inside: one B micro-panel stays in L1 while every A
// micro-panel of the block (L2) passes it.
void multiplyPacked(int64_t rows, int64_t cols, int64_t depth, const float* a, const float* b, float* c, int64_t rsc,
                    int64_t csc)
{
    for (int64_t j0 = 0; j0 < cols; j0 += NR) {
        const int64_t w = std::min<int64_t>(NR, cols - j0);
        const int64_t nv = ceilDiv(w, L);
        const float* bp = b + j0 * depth;
        for (int64_t i0 = 0; i0 < rows; i0 += MR) {
            const int64_t h = std::min<int64_t>(MR, rows - i0);
            const float* ap = a + i0 * depth;
            float* cp = c + i0 * rsc + j0 * csc;
            if (nv == 3)
                tile<3>(depth, ap, PackedRows<3>{bp}, cp, rsc, csc, h, w);
            else if (nv == 2)
                tile<2>(depth, ap, PackedRows<2>{bp}, cp, rsc, csc, h, w);
            else
                tile<1>(depth, ap, PackedRows<1>{bp}, cp, rsc, csc, h, w);
        }
    }
}

void multiplyRows(int64_t rows, int64_t cols, int64_t depth, const float* a, const float* const* bRows, float* c,
                  int64_t ldc)
{
    for (int64_t j0 = 0; j0 < cols; j0 += NR) {
        const int64_t w = std::min<int64_t>(NR, cols - j0);
        const int64_t nv = ceilDiv(w, L);
        for (int64_t i0 = 0; i0 < rows; i0 += MR) {
            const int64_t h = std::min<int64_t>(MR, rows - i0);
            const float* ap = a + i0 * depth;
            float* cp = c + i0 * ldc + j0;
            if (nv == 3)
                tile<3>(depth, ap, PointerRows{bRows, j0}, cp, ldc, 1, h, w);
            else if (nv == 2)
                tile<2>(depth, ap, PointerRows{bRows, j0}, cp, ldc, 1, h, w);
            else
                tile<1>(depth, ap, PointerRows{bRows, j0}, cp, ldc, 1, h, w);
        }
    }
}

} // namespace nc::core::kernels::eigen::gemm
