// Pooling kernels of the Eigen backend: max/average with padding, dilation and ceil mode; global; adaptive.
#include "EigenKernels.h"

#include <Eigen/Core>

#include <algorithm>
#include <limits>

namespace nc::core::kernels::eigen {

namespace {

// Taps i in [0, k) with lo ≤ start + i·d < hi, as the half-open range [first, last).
struct TapRange {
    int64_t first = 0, last = 0;
    int64_t count() const { return std::max<int64_t>(last - first, 0); }
};

int64_t floorDiv(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

TapRange taps(int64_t start, int64_t k, int64_t d, int64_t lo, int64_t hi)
{
    TapRange r;
    // smallest i with start + i·d ≥ lo, and first i with start + i·d ≥ hi
    r.first = std::clamp<int64_t>(floorDiv(lo - start + d - 1, d), 0, k);
    r.last = std::clamp<int64_t>(floorDiv(hi - start + d - 1, d), 0, k);
    return r;
}

} // namespace

// Window of output (oy, ox): rows oy·sh − pt + ky·dh, columns ox·sw − pl + kx·dw.
// Max ignores cells outside the input (−∞ padding). Average divides the sum of the cells inside
// the input by: with countIncludePad, the number of window cells inside the padded input
// [−pt, H + pb) × [−pl, W + pr) (PyTorch; the kh·kw of ONNX unless ceil mode overhangs the
// padding); otherwise the number of cells inside the input.
void pool2d(const KernelOp& op, const Shape& in, const Shape& out, const float* x, float* y, const Parallel& par)
{
    const int64_t h = in[2], w = in[3], oh = out[2], ow = out[3];
    const bool isMax = op.kind == OpKind::MaxPool;
    par.pool->parallelFor(in[0] * in[1], par.threads, [&](int64_t p0, int64_t p1, int) {
        std::vector<TapRange> colIn(static_cast<std::size_t>(ow)), colPad(static_cast<std::size_t>(ow));
        for (int64_t ox = 0; ox < ow; ++ox) {
            const int64_t ws = ox * op.sw - op.padLeft;
            colIn[static_cast<std::size_t>(ox)] = taps(ws, op.kw, op.dw, 0, w);
            colPad[static_cast<std::size_t>(ox)] = taps(ws, op.kw, op.dw, -op.padLeft, w + op.padRight);
        }
        for (int64_t p = p0; p < p1; ++p) {
            const float* src = x + p * h * w;
            float* dst = y + p * oh * ow;
            for (int64_t oy = 0; oy < oh; ++oy) {
                const int64_t hs = oy * op.sh - op.padTop;
                const TapRange ry = taps(hs, op.kh, op.dh, 0, h);
                const TapRange ryPad = taps(hs, op.kh, op.dh, -op.padTop, h + op.padBottom);
                for (int64_t ox = 0; ox < ow; ++ox) {
                    const TapRange& rx = colIn[static_cast<std::size_t>(ox)];
                    const int64_t ws = ox * op.sw - op.padLeft;
                    if (isMax) {
                        float m = -std::numeric_limits<float>::infinity();
                        for (int64_t ky = ry.first; ky < ry.last; ++ky) {
                            const float* row = src + (hs + ky * op.dh) * w + ws;
                            for (int64_t kx = rx.first; kx < rx.last; ++kx)
                                m = std::max(m, row[kx * op.dw]);
                        }
                        dst[oy * ow + ox] = m;
                    } else {
                        float s = 0.0f;
                        for (int64_t ky = ry.first; ky < ry.last; ++ky) {
                            const float* row = src + (hs + ky * op.dh) * w + ws;
                            for (int64_t kx = rx.first; kx < rx.last; ++kx)
                                s += row[kx * op.dw];
                        }
                        const int64_t cells = op.countIncludePad
                                                  ? ryPad.count() * colPad[static_cast<std::size_t>(ox)].count()
                                                  : ry.count() * rx.count();
                        dst[oy * ow + ox] = cells > 0 ? s / static_cast<float>(cells) : 0.0f;
                    }
                }
            }
        }
    });
}

void globalAvgPool(int64_t planes, int64_t size, const float* x, float* y, const Parallel& par)
{
    par.pool->parallelFor(planes, par.threads, [&](int64_t p0, int64_t p1, int) {
        for (int64_t p = p0; p < p1; ++p)
            y[p] = Eigen::Map<const Eigen::ArrayXf>(x + p * size, size).sum() / static_cast<float>(size);
    });
}

// Bin i of n over an axis of length L covers [⌊i·L/n⌋, ⌈(i+1)·L/n⌉) (PyTorch adaptive pooling).
void adaptiveAvgPool(const Shape& in, const Shape& out, const float* x, float* y, const Parallel& par)
{
    const int64_t h = in[2], w = in[3], oh = out[2], ow = out[3];
    par.pool->parallelFor(in[0] * in[1], par.threads, [&](int64_t p0, int64_t p1, int) {
        for (int64_t p = p0; p < p1; ++p) {
            const float* src = x + p * h * w;
            float* dst = y + p * oh * ow;
            for (int64_t oy = 0; oy < oh; ++oy) {
                const int64_t y0 = oy * h / oh, y1 = ((oy + 1) * h + oh - 1) / oh;
                for (int64_t ox = 0; ox < ow; ++ox) {
                    const int64_t x0 = ox * w / ow, x1 = ((ox + 1) * w + ow - 1) / ow;
                    float s = 0.0f;
                    for (int64_t yy = y0; yy < y1; ++yy)
                        for (int64_t xx = x0; xx < x1; ++xx)
                            s += src[yy * w + xx];
                    dst[oy * ow + ox] = s / static_cast<float>((y1 - y0) * (x1 - x0));
                }
            }
        }
    });
}

} // namespace nc::core::kernels::eigen
