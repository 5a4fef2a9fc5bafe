// Internal: the register-blocked float GEMM of the Eigen backend (packing + micro-kernel).
#pragma once

#include <cstdint>

// C += A · B over one depth block, Goto/BLIS style, written once on Eigen's portable packet API
// (pload / pset1 / pmadd on whatever packet the target has: 16 floats with AVX-512, 8 with AVX,
// 4 with SSE or NEON), so the same source is the fast path on every SIMD width.
//
//   A, the "broadcast" operand, is packed in panels of MR rows: panel p holds rows
//      [p·MR, p·MR + MR) as [depth][MR], rows past the end zero.
//   B, the "vector" operand, is packed in panels of NR = 3 packets of columns: panel q holds
//      columns [q·NR, …) as [depth][width], width NR, the last one rounded up to a packet, the
//      columns past the end zero.
//   The micro-kernel keeps an MR × NR tile of C in MR·3 vector registers; each depth step loads
//   3 packets of B and multiplies them by MR broadcasts of A (memory-operand broadcasts on
//   AVX-512): MR·3 independent FMA chains, enough to cover the FMA latency of two pipes.
//   MR = 8 with 32 vector registers (24 accumulators + 3 B packets), 4 with 16.
//
// Any operand may be strided in both directions (View), so transposed inputs pack directly.
// Example: C[m×n] (row-major, ldc) += A[m×k] (row-major, lda) · B[k×n] (row-major, ldb), one block:
//     std::vector<float> pa(packedAFloats(m, k)), pb(packedBFloats(k, n));
//     packA({a, lda, 1}, m, k, pa.data());
//     packB({b, ldb, 1}, k, n, pb.data());
//     multiplyPacked(m, n, k, pa.data(), pb.data(), c, ldc, 1);
namespace nc::core::kernels::eigen::gemm {

// Element (i, j) of a strided matrix is data[i·rs + j·cs].
struct View {
    const float* data;
    int64_t rs;
    int64_t cs;
};

int packetFloats(); // L
int tileRows();     // MR
int tileCols();     // NR = 3·L

// Floats of the packed A (rows × depth) and B (depth × cols) blocks.
int64_t packedAFloats(int64_t rows, int64_t depth);
int64_t packedBFloats(int64_t depth, int64_t cols);

// a: rows × depth. b: depth × cols.
void packA(View a, int64_t rows, int64_t depth, float* dst);
void packB(View b, int64_t depth, int64_t cols, float* dst);

// C (rows × cols, element (i, j) at c[i·rsc + j·csc]) += A · B for packed A and B of this depth.
// The fast path stores whole packets to C: csc = 1. Other strides go through a tile buffer.
// With rowInit, C = rowInit[i] + A · B on row i instead: C is written without being read.
void multiplyPacked(int64_t rows, int64_t cols, int64_t depth, const float* a, const float* b, float* c, int64_t rsc,
                    int64_t csc, const float* rowInit = nullptr);

// The same with B unpacked: depth row d is the cols floats at bRows[d] (an implicit im2col: the
// rows are shifted views of the padded input). Reads up to a packet past cols on every row.
void multiplyRows(int64_t rows, int64_t cols, int64_t depth, const float* a, const float* const* bRows, float* c,
                  int64_t ldc, const float* rowInit = nullptr);

// Depth of one block: a B micro-panel (depth × NR) stays within the L1 cache while the MR-row
// A panels stream past it. Splits depth into equal blocks of at most that size.
int64_t depthBlock(int64_t depth);

} // namespace nc::core::kernels::eigen::gemm
