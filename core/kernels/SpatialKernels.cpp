// The spatial ops of issue 9: shapes, parameters and CPU loops (see SpatialKernels.h).
#include "SpatialKernels.h"

#include "EigenConv.h"
#include "OpShapes.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>

namespace nc::core::kernels::spatial {

namespace {

KernelStatus fail(const KernelOp& op, const std::string& what)
{
    return KernelStatus::failure(layerLabel(op) + what);
}

int spatialRank(const Shape& s) { return static_cast<int>(s.size()) - 2; }

// Per-axis window of the op on the 3-axis view; axis a of 3, nd spatial axes present.
void axisWindow(const KernelOp& op, int a, int nd, int64_t& k, int64_t& s, int64_t& d, int64_t& pa, int64_t& pb,
                int64_t& opad)
{
    k = s = d = 1;
    pa = pb = opad = 0;
    if (a == 2)
        k = op.kw, s = op.sw, d = op.dw, pa = op.padLeft, pb = op.padRight, opad = op.outPadW;
    else if (a == 1 && nd >= 2)
        k = op.kh, s = op.sh, d = op.dh, pa = op.padTop, pb = op.padBottom, opad = op.outPadH;
    else if (a == 0 && nd == 3)
        k = op.kd, s = op.sd, d = op.dd, pa = op.padFront, pb = op.padBack;
}

const char* kAxisName[3] = {"D", "H", "W"};

int64_t padSource(int64_t i, int64_t n, PadMode mode) { return eigen::padSource(i, n, mode); }

using Par = eigen::Parallel;

void forPlanes(int64_t planes, const Par* par, const std::function<void(int64_t)>& f)
{
    if (!par || !par->pool) {
        for (int64_t p = 0; p < planes; ++p)
            f(p);
        return;
    }
    par->pool->parallelFor(planes, par->threads, [&](int64_t p0, int64_t p1, int) {
        for (int64_t p = p0; p < p1; ++p)
            f(p);
    });
}

// ---- plane loops shared by the reference and the Eigen backend (pools over 3 axes, global max,
// resize, pad) ----

void poolPlane(const KernelOp& op, const Geo3& g, const float* x, float* y)
{
    const bool avg = op.kind == OpKind::AvgPoolNd;
    for (int64_t od = 0; od < g.out[0]; ++od)
        for (int64_t oh = 0; oh < g.out[1]; ++oh)
            for (int64_t ow = 0; ow < g.out[2]; ++ow) {
                double best = -std::numeric_limits<double>::infinity(), sum = 0;
                int64_t inside = 0, padded = 0;
                const int64_t o[3] = {od, oh, ow};
                for (int64_t kd = 0; kd < g.k[0]; ++kd)
                    for (int64_t kh = 0; kh < g.k[1]; ++kh)
                        for (int64_t kw = 0; kw < g.k[2]; ++kw) {
                            const int64_t t[3] = {kd, kh, kw};
                            int64_t i[3];
                            bool in = true, inPad = true;
                            for (int a = 0; a < 3; ++a) {
                                i[a] = o[a] * g.s[a] - g.pa[a] + t[a];
                                in &= i[a] >= 0 && i[a] < g.in[a];
                                inPad &= i[a] >= -g.pa[a] && i[a] < g.in[a] + g.pb[a];
                            }
                            padded += inPad;
                            if (!in)
                                continue;
                            const double v = x[(i[0] * g.in[1] + i[1]) * g.in[2] + i[2]];
                            best = std::max(best, v);
                            sum += v;
                            ++inside;
                        }
                double v = best;
                if (avg) {
                    const int64_t div = op.countIncludePad ? padded : inside;
                    v = div > 0 ? sum / static_cast<double>(div) : 0.0;
                }
                y[(od * g.out[1] + oh) * g.out[2] + ow] = static_cast<float>(v);
            }
}

void globalMaxPlane(const Geo3& g, const float* x, float* y)
{
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < g.inPlane(); ++i)
        m = std::max(m, x[i]);
    *y = m;
}

// PyTorch's source coordinate of output index `dst` (upsample kernels, area_pixel_compute_source_index).
float linearSource(int64_t dst, int64_t in, int64_t out, float scale, bool align)
{
    if (align)
        return out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) * static_cast<float>(dst) : 0.f;
    const float r = scale > 0 ? 1.f / scale : static_cast<float>(in) / static_cast<float>(out);
    return std::max(r * (static_cast<float>(dst) + 0.5f) - 0.5f, 0.f);
}

int64_t nearestSource(int64_t dst, int64_t in, int64_t out, float scale)
{
    if (in == out)
        return dst;
    const float r = scale > 0 ? 1.f / scale : static_cast<float>(in) / static_cast<float>(out);
    return std::min(static_cast<int64_t>(std::floor(static_cast<float>(dst) * r)), in - 1);
}

void resizePlane(const KernelOp& op, const Geo3& g, const float* x, float* y)
{
    const int64_t ih = g.in[1], iw = g.in[2], oh = g.out[1], ow = g.out[2];
    for (int64_t r = 0; r < oh; ++r) {
        int64_t y0 = 0, y1 = 0;
        float hy = 0;
        if (op.interpLinear) {
            const float sy = linearSource(r, ih, oh, op.scaleH, op.alignCorners);
            y0 = std::min(static_cast<int64_t>(sy), ih - 1);
            y1 = y0 + (y0 < ih - 1 ? 1 : 0);
            hy = sy - static_cast<float>(y0);
        } else {
            y0 = y1 = nearestSource(r, ih, oh, op.scaleH);
        }
        for (int64_t c = 0; c < ow; ++c) {
            float v;
            if (op.interpLinear) {
                const float sx = linearSource(c, iw, ow, op.scaleW, op.alignCorners);
                const int64_t x0 = std::min(static_cast<int64_t>(sx), iw - 1), x1 = x0 + (x0 < iw - 1 ? 1 : 0);
                const float wx = sx - static_cast<float>(x0);
                v = (1 - hy) * ((1 - wx) * x[y0 * iw + x0] + wx * x[y0 * iw + x1]) +
                    hy * ((1 - wx) * x[y1 * iw + x0] + wx * x[y1 * iw + x1]);
            } else {
                v = x[y0 * iw + nearestSource(c, iw, ow, op.scaleW)];
            }
            y[r * ow + c] = v;
        }
    }
}

void padPlane(const KernelOp& op, const Geo3& g, const float* x, float* y)
{
    for (int64_t r = 0; r < g.out[1]; ++r)
        for (int64_t c = 0; c < g.out[2]; ++c) {
            const int64_t iy = padSource(r - g.pa[1], g.in[1], op.padMode);
            const int64_t ix = padSource(c - g.pa[2], g.in[2], op.padMode);
            y[r * g.out[2] + c] = iy < 0 || ix < 0 ? op.padValue : x[iy * g.in[2] + ix];
        }
}

void runPlanes(const KernelOp& op, const Geo3& g, const float* x, float* y, const Par* par)
{
    const int64_t inPlane = g.inPlane(), outPlane = g.outPlane();
    forPlanes(g.n * g.c, par, [&](int64_t p) {
        const float* xp = x + p * inPlane;
        float* yp = y + p * outPlane;
        switch (op.kind) {
        case OpKind::MaxPoolNd:
        case OpKind::AvgPoolNd:
            poolPlane(op, g, xp, yp);
            break;
        case OpKind::GlobalMaxPool:
            globalMaxPlane(g, xp, yp);
            break;
        case OpKind::Resize:
            resizePlane(op, g, xp, yp);
            break;
        case OpKind::Conv2d:
        case OpKind::Linear:
        case OpKind::MaxPool:
        case OpKind::AvgPool:
        case OpKind::GlobalAvgPool:
        case OpKind::AdaptiveAvgPool:
        case OpKind::BatchNorm:
        case OpKind::LayerNorm:
        case OpKind::InstanceNorm:
        case OpKind::GroupNorm:
        case OpKind::ReLU:
        case OpKind::ReLU6:
        case OpKind::LeakyReLU:
        case OpKind::Sigmoid:
        case OpKind::Tanh:
        case OpKind::SiLU:
        case OpKind::HardSwish:
        case OpKind::GELU:
        case OpKind::Softmax:
        case OpKind::Add:
        case OpKind::Mul:
        case OpKind::Concat:
        case OpKind::Attention:
        case OpKind::Flatten:
        case OpKind::Identity:
        case OpKind::Transpose:
        case OpKind::Reduce:
        case OpKind::Embedding:
        case OpKind::RMSNorm:
        case OpKind::MatMul:
        case OpKind::LSTM:
        case OpKind::GRU:
        case OpKind::ScaledDotProduct:
        case OpKind::GeluTanh:
        case OpKind::HardSigmoid:
        case OpKind::ConvNd:
        case OpKind::ConvTranspose:
        case OpKind::Pad:
            padPlane(op, g, xp, yp);
            break;
        }
    });
}

// ---- reference convolutions ----

void referenceConv(const KernelOp& op, const Geo3& g, const Tensor& x, const std::vector<Tensor>& p, Tensor& y)
{
    // y[n,o,z] = b[o] + Σ_{c<C/g, t} w[o,c,t] · x[n, grp·C/g + c, z·s − pa + t·d] (per axis, padded by mode)
    const int64_t cg = g.c / op.groups, og = g.o / op.groups;
    for (int64_t n = 0; n < g.n; ++n)
        for (int64_t o = 0; o < g.o; ++o) {
            const int64_t grp = o / og;
            for (int64_t od = 0; od < g.out[0]; ++od)
                for (int64_t oh = 0; oh < g.out[1]; ++oh)
                    for (int64_t ow = 0; ow < g.out[2]; ++ow) {
                        double s = op.bias ? p[1][o] : 0.0;
                        for (int64_t c = 0; c < cg; ++c)
                            for (int64_t kd = 0; kd < g.k[0]; ++kd)
                                for (int64_t kh = 0; kh < g.k[1]; ++kh)
                                    for (int64_t kw = 0; kw < g.k[2]; ++kw) {
                                        const int64_t id =
                                            padSource(od * g.s[0] - g.pa[0] + kd * g.d[0], g.in[0], op.padMode);
                                        const int64_t ih =
                                            padSource(oh * g.s[1] - g.pa[1] + kh * g.d[1], g.in[1], op.padMode);
                                        const int64_t iw =
                                            padSource(ow * g.s[2] - g.pa[2] + kw * g.d[2], g.in[2], op.padMode);
                                        if (id < 0 || ih < 0 || iw < 0)
                                            continue;
                                        const double wv = p[0][(((o * cg + c) * g.k[0] + kd) * g.k[1] + kh) * g.k[2] + kw];
                                        s += wv * x[(((n * g.c + grp * cg + c) * g.in[0] + id) * g.in[1] + ih) * g.in[2] +
                                                    iw];
                                    }
                        y[(((n * g.o + o) * g.out[0] + od) * g.out[1] + oh) * g.out[2] + ow] = static_cast<float>(s);
                    }
        }
}

void referenceConvTranspose(const KernelOp& op, const Geo3& g, const Tensor& x, const std::vector<Tensor>& p,
                            Tensor& y)
{
    // Gather form: y[n,o,z] = b[o] + Σ_{c in o's group, t : (z + pa − t·d) = i·s, 0 ≤ i < in}
    //                                   w[c, o mod O/g, t] · x[n, c, i]   (weight [C, O/g, k...])
    const int64_t cg = g.c / op.groups, og = g.o / op.groups;
    auto src = [&](int a, int64_t z, int64_t t) -> int64_t {
        const int64_t num = z + g.pa[a] - t * g.d[a];
        if (num < 0 || num % g.s[a] != 0 || num / g.s[a] >= g.in[a])
            return -1;
        return num / g.s[a];
    };
    for (int64_t n = 0; n < g.n; ++n)
        for (int64_t o = 0; o < g.o; ++o) {
            const int64_t grp = o / og;
            for (int64_t oh = 0; oh < g.out[1]; ++oh)
                for (int64_t ow = 0; ow < g.out[2]; ++ow) {
                    double s = op.bias ? p[1][o] : 0.0;
                    for (int64_t c = grp * cg; c < (grp + 1) * cg; ++c)
                        for (int64_t kh = 0; kh < g.k[1]; ++kh) {
                            const int64_t ih = src(1, oh, kh);
                            if (ih < 0)
                                continue;
                            for (int64_t kw = 0; kw < g.k[2]; ++kw) {
                                const int64_t iw = src(2, ow, kw);
                                if (iw < 0)
                                    continue;
                                s += static_cast<double>(p[0][((c * og + o % og) * g.k[1] + kh) * g.k[2] + kw]) *
                                     x[((n * g.c + c) * g.in[1] + ih) * g.in[2] + iw];
                            }
                        }
                    y[((n * g.o + o) * g.out[1] + oh) * g.out[2] + ow] = static_cast<float>(s);
                }
        }
}

KernelResult<int64_t> windowOut(const KernelOp& op, int a, int64_t in, int64_t k, int64_t s, int64_t d, int64_t pa,
                                int64_t pb, bool ceilMode)
{
    if (k < 1 || s < 1 || d < 1 || pa < 0 || pb < 0)
        return fail(op, std::string("window, stride and dilation must be at least 1 and padding not negative on axis ") +
                            kAxisName[a]);
    const int64_t eff = (k - 1) * d + 1, padded = in + pa + pb;
    if (eff > padded)
        return fail(op, "kernel " + std::to_string(eff) + " exceeds padded input " + std::to_string(padded) +
                            " on axis " + kAxisName[a]);
    const int64_t span = padded - eff;
    int64_t out = (ceilMode ? (span + s - 1) / s : span / s) + 1;
    if (ceilMode && (out - 1) * s >= in + pa)
        --out;
    return out;
}

} // namespace

bool isSpatialOp(OpKind k)
{
    switch (k) {
    case OpKind::ConvNd:
    case OpKind::ConvTranspose:
    case OpKind::MaxPoolNd:
    case OpKind::AvgPoolNd:
    case OpKind::GlobalMaxPool:
    case OpKind::Resize:
    case OpKind::Pad:
        return true;
    case OpKind::Conv2d:
    case OpKind::Linear:
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::GlobalAvgPool:
    case OpKind::AdaptiveAvgPool:
    case OpKind::BatchNorm:
    case OpKind::LayerNorm:
    case OpKind::InstanceNorm:
    case OpKind::GroupNorm:
    case OpKind::ReLU:
    case OpKind::ReLU6:
    case OpKind::LeakyReLU:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::SiLU:
    case OpKind::HardSwish:
    case OpKind::GELU:
    case OpKind::Softmax:
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Concat:
    case OpKind::Attention:
    case OpKind::Flatten:
    case OpKind::Identity:
    case OpKind::Transpose:
    case OpKind::Reduce:
    case OpKind::Embedding:
    case OpKind::RMSNorm:
    case OpKind::MatMul:
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::ScaledDotProduct:
    case OpKind::GeluTanh:
    case OpKind::HardSigmoid:
        return false;
    }
    return false; // a value outside OpKind; every kind is listed above
}

Geo3 Geo3::from(const KernelOp& op, const Shape& in, const Shape& out)
{
    Geo3 g;
    const int nd = spatialRank(in);
    g.n = in[0], g.c = in[1], g.o = out[1];
    for (int a = 0; a < 3; ++a) {
        const int j = a - (3 - nd); // index among the op's spatial axes
        if (j >= 0) {
            g.in[a] = in[static_cast<std::size_t>(2 + j)];
            g.out[a] = out.size() == in.size() ? out[static_cast<std::size_t>(2 + j)] : 1;
        }
        axisWindow(op, a, nd, g.k[a], g.s[a], g.d[a], g.pa[a], g.pb[a], g.op[a]);
    }
    return g;
}

KernelResult<Shape> outputShape(const KernelOp& op, const Shape& x)
{
    const int nd = spatialRank(x);
    auto needRanks = [&](std::initializer_list<int> ok, const char* what) -> KernelStatus {
        for (int r : ok)
            if (nd == r)
                return KernelStatus::success();
        return fail(op, std::string("expects ") + what + " input, got " + shapeToString(x));
    };
    Shape out{x[0], x[1]};
    switch (op.kind) {
    case OpKind::ConvNd:
    case OpKind::MaxPoolNd:
    case OpKind::AvgPoolNd: {
        if (auto st = needRanks({1, 3}, "an [N,C,W] or [N,C,D,H,W]"); !st)
            return st;
        const bool conv = op.kind == OpKind::ConvNd;
        if (conv) {
            if (op.groups < 1 || x[1] % op.groups != 0)
                return fail(op, "groups " + std::to_string(op.groups) + " must divide input channels " +
                                    std::to_string(x[1]));
            if (op.outChannels < 1 || op.outChannels % op.groups != 0)
                return fail(op, "output channels " + std::to_string(op.outChannels) +
                                    " must be a positive multiple of groups " + std::to_string(op.groups));
            out[1] = op.outChannels;
        }
        for (int a = 3 - nd; a < 3; ++a) {
            int64_t k, s, d, pa, pb, opad;
            axisWindow(op, a, nd, k, s, d, pa, pb, opad);
            const int64_t in = x[static_cast<std::size_t>(2 + a - (3 - nd))];
            if (conv && op.padMode == PadMode::Reflect && (pa >= in || pb >= in))
                return fail(op, "reflect padding must be smaller than the input on every axis");
            auto o = windowOut(op, a, in, k, s, conv ? d : 1, pa, pb, !conv && op.ceilMode);
            if (!o)
                return o.status();
            out.push_back(o.value());
        }
        return out;
    }
    case OpKind::ConvTranspose: {
        if (auto st = needRanks({1, 2}, "an [N,C,W] or [N,C,H,W]"); !st)
            return st;
        if (op.groups < 1 || x[1] % op.groups != 0 || op.outChannels < 1 || op.outChannels % op.groups != 0)
            return fail(op, "groups " + std::to_string(op.groups) + " must divide input channels " +
                                std::to_string(x[1]) + " and output channels " + std::to_string(op.outChannels));
        out[1] = op.outChannels;
        for (int a = 3 - nd; a < 3; ++a) {
            int64_t k, s, d, pa, pb, opad;
            axisWindow(op, a, nd, k, s, d, pa, pb, opad);
            if (k < 1 || s < 1 || d < 1 || pa < 0 || pb < 0 || opad < 0 || opad >= std::max(s, d))
                return fail(op, std::string("invalid window on axis ") + kAxisName[a] +
                                    " (output padding must be smaller than the stride or the dilation)");
            const int64_t o = (x[static_cast<std::size_t>(2 + a - (3 - nd))] - 1) * s - pa - pb + d * (k - 1) + opad + 1;
            if (o < 1)
                return fail(op, std::string("padding crops the whole output on axis ") + kAxisName[a]);
            out.push_back(o);
        }
        return out;
    }
    case OpKind::GlobalMaxPool:
        if (x.size() < 3 || x.size() > 5)
            return fail(op, "expects an input of rank 3 to 5, got " + shapeToString(x));
        out.resize(x.size(), 1);
        return out;
    case OpKind::Resize:
        if (auto st = needRanks({1, 2}, "an [N,C,W] or [N,C,H,W]"); !st)
            return st;
        if (op.outH < 1 || op.outW < 1)
            return fail(op, "resize output size must be at least 1");
        if (nd == 2)
            out.push_back(op.outH);
        out.push_back(op.outW);
        return out;
    case OpKind::Pad: {
        if (auto st = needRanks({1, 2}, "an [N,C,W] or [N,C,H,W]"); !st)
            return st;
        const int64_t h = nd == 2 ? x[2] : 1, w = x.back();
        if (op.padTop < 0 || op.padBottom < 0 || op.padLeft < 0 || op.padRight < 0)
            return fail(op, "padding must not be negative");
        if (op.padMode == PadMode::Reflect &&
            (op.padTop >= h || op.padBottom >= h || op.padLeft >= w || op.padRight >= w))
            return fail(op, "reflect padding must be smaller than the input on every axis");
        if (nd == 2)
            out.push_back(h + op.padTop + op.padBottom);
        out.push_back(w + op.padLeft + op.padRight);
        return out;
    }
    case OpKind::Conv2d:
    case OpKind::Linear:
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::GlobalAvgPool:
    case OpKind::AdaptiveAvgPool:
    case OpKind::BatchNorm:
    case OpKind::LayerNorm:
    case OpKind::InstanceNorm:
    case OpKind::GroupNorm:
    case OpKind::ReLU:
    case OpKind::ReLU6:
    case OpKind::LeakyReLU:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::SiLU:
    case OpKind::HardSwish:
    case OpKind::GELU:
    case OpKind::Softmax:
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Concat:
    case OpKind::Attention:
    case OpKind::Flatten:
    case OpKind::Identity:
    case OpKind::Transpose:
    case OpKind::Reduce:
    case OpKind::Embedding:
    case OpKind::RMSNorm:
    case OpKind::MatMul:
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::ScaledDotProduct:
    case OpKind::GeluTanh:
    case OpKind::HardSigmoid:
        return fail(op, "not a spatial op");
    }
    return fail(op, "not a spatial op");
}

std::vector<Shape> parameterShapes(const KernelOp& op, const Shape& x)
{
    const int nd = spatialRank(x);
    Shape k;
    for (int a = 3 - nd; a < 3; ++a) {
        int64_t kk, s, d, pa, pb, opad;
        axisWindow(op, a, nd, kk, s, d, pa, pb, opad);
        k.push_back(kk);
    }
    std::vector<Shape> p;
    if (op.kind == OpKind::ConvNd)
        p.push_back({op.outChannels, x[1] / op.groups});
    else if (op.kind == OpKind::ConvTranspose)
        p.push_back({x[1], op.outChannels / op.groups});
    else
        return p;
    p[0].insert(p[0].end(), k.begin(), k.end());
    if (op.bias)
        p.push_back({op.outChannels});
    return p;
}

double flops(const KernelOp& op, const Shape& x, const Shape& out)
{
    const double outElems = static_cast<double>(shapeElements(out)), inElems = static_cast<double>(shapeElements(x));
    const Geo3 g = Geo3::from(op, x, out);
    switch (op.kind) {
    case OpKind::ConvNd:
        return 2.0 * outElems * static_cast<double>(x[1] / op.groups * g.window());
    case OpKind::ConvTranspose:
        return 2.0 * inElems * static_cast<double>(op.outChannels / op.groups * g.window());
    case OpKind::MaxPoolNd:
    case OpKind::AvgPoolNd:
        return outElems * static_cast<double>(g.window());
    case OpKind::GlobalMaxPool:
        return inElems;
    case OpKind::Resize:
        return op.interpLinear ? outElems * (out.size() == 4 ? 7.0 : 3.0) : 0.0;
    case OpKind::Conv2d:
    case OpKind::Linear:
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::GlobalAvgPool:
    case OpKind::AdaptiveAvgPool:
    case OpKind::BatchNorm:
    case OpKind::LayerNorm:
    case OpKind::InstanceNorm:
    case OpKind::GroupNorm:
    case OpKind::ReLU:
    case OpKind::ReLU6:
    case OpKind::LeakyReLU:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::SiLU:
    case OpKind::HardSwish:
    case OpKind::GELU:
    case OpKind::Softmax:
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Concat:
    case OpKind::Attention:
    case OpKind::Flatten:
    case OpKind::Identity:
    case OpKind::Transpose:
    case OpKind::Reduce:
    case OpKind::Embedding:
    case OpKind::RMSNorm:
    case OpKind::MatMul:
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::ScaledDotProduct:
    case OpKind::GeluTanh:
    case OpKind::HardSigmoid:
    case OpKind::Pad:
        return 0.0;
    }
    return 0.0; // a value outside OpKind; every kind is listed above
}

KernelOp as2d(const KernelOp& op)
{
    KernelOp r = op;
    r.kind = op.kind == OpKind::ConvNd      ? OpKind::Conv2d
             : op.kind == OpKind::MaxPoolNd ? OpKind::MaxPool
             : op.kind == OpKind::AvgPoolNd ? OpKind::AvgPool
                                            : op.kind;
    r.kh = r.sh = r.dh = 1;
    r.padTop = r.padBottom = 0;
    r.outPadH = 0;
    return r;
}

Shape with1(const Shape& s) { return Shape{s[0], s[1], 1, s[2]}; }

void referenceRun(const KernelOp& op, const Tensor& x, const std::vector<Tensor>& p, Tensor& y)
{
    const Geo3 g = Geo3::from(op, x.shape(), y.shape());
    if (op.kind == OpKind::ConvNd)
        referenceConv(op, g, x, p, y);
    else if (op.kind == OpKind::ConvTranspose)
        referenceConvTranspose(op, g, x, p, y);
    else
        runPlanes(op, g, x.data(), y.data(), nullptr);
}

void directRun(const KernelOp& op, const Shape& in, const Shape& out, const float* x, float* y, const Par& par)
{
    runPlanes(op, Geo3::from(op, in, out), x, y, &par);
}

void eigenConv3d(const Geo3& g, int64_t groups, PadMode mode, const float* w, const float* bias, const float* x,
                 float* y, const Par& par)
{
    using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const int64_t cg = g.c / groups, og = g.o / groups, K = cg * g.window(), P = g.outPlane();
    // One task per (sample, group): its im2col matrix [cg·window, P], then W_g [og, K] × cols.
    par.pool->parallelFor(g.n * groups, par.threads, [&](int64_t t0, int64_t t1, int) {
        Mat cols(K, P);
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t n = t / groups, grp = t % groups;
            for (int64_t c = 0; c < cg; ++c) {
                const float* xc = x + (n * g.c + grp * cg + c) * g.inPlane();
                for (int64_t kd = 0; kd < g.k[0]; ++kd)
                    for (int64_t kh = 0; kh < g.k[1]; ++kh)
                        for (int64_t kw = 0; kw < g.k[2]; ++kw) {
                            float* row = cols.data() + (((c * g.k[0] + kd) * g.k[1] + kh) * g.k[2] + kw) * P;
                            int64_t q = 0;
                            for (int64_t od = 0; od < g.out[0]; ++od) {
                                const int64_t id = padSource(od * g.s[0] - g.pa[0] + kd * g.d[0], g.in[0], mode);
                                for (int64_t oh = 0; oh < g.out[1]; ++oh) {
                                    const int64_t ih = padSource(oh * g.s[1] - g.pa[1] + kh * g.d[1], g.in[1], mode);
                                    for (int64_t ow = 0; ow < g.out[2]; ++ow, ++q) {
                                        const int64_t iw =
                                            padSource(ow * g.s[2] - g.pa[2] + kw * g.d[2], g.in[2], mode);
                                        row[q] = id < 0 || ih < 0 || iw < 0 ? 0.f
                                                                            : xc[(id * g.in[1] + ih) * g.in[2] + iw];
                                    }
                                }
                            }
                        }
            }
            Eigen::Map<const Mat> wg(w + grp * og * K, og, K);
            Eigen::Map<Mat> yg(y + (n * g.o + grp * og) * P, og, P);
            yg.noalias() = wg * cols;
            if (bias)
                for (int64_t o = 0; o < og; ++o)
                    yg.row(o).array() += bias[grp * og + o];
        }
    });
}

void eigenConvTranspose(const Geo3& g, int64_t groups, const float* w, const float* bias, const float* x, float* y,
                        const Par& par)
{
    using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const int64_t cg = g.c / groups, og = g.o / groups, KK = g.k[1] * g.k[2], P = g.inPlane(), Q = g.outPlane();
    // Per (sample, group): cols [og·kh·kw, P] = W_gᵀ × X_g, W_g [cg, og·kh·kw]; then each column
    // scatters its kernel into the output (col2im), which starts from the bias.
    par.pool->parallelFor(g.n * groups, par.threads, [&](int64_t t0, int64_t t1, int) {
        Mat cols(og * KK, P);
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t n = t / groups, grp = t % groups;
            Eigen::Map<const Mat> wg(w + grp * cg * og * KK, cg, og * KK);
            Eigen::Map<const Mat> xg(x + (n * g.c + grp * cg) * P, cg, P);
            cols.noalias() = wg.transpose() * xg;
            for (int64_t o = 0; o < og; ++o) {
                float* yo = y + (n * g.o + grp * og + o) * Q;
                std::fill(yo, yo + Q, bias ? bias[grp * og + o] : 0.f);
                for (int64_t kh = 0; kh < g.k[1]; ++kh)
                    for (int64_t kw = 0; kw < g.k[2]; ++kw) {
                        const float* row = cols.data() + ((o * g.k[1] + kh) * g.k[2] + kw) * P;
                        for (int64_t ih = 0; ih < g.in[1]; ++ih) {
                            const int64_t oh = ih * g.s[1] - g.pa[1] + kh * g.d[1];
                            if (oh < 0 || oh >= g.out[1])
                                continue;
                            for (int64_t iw = 0; iw < g.in[2]; ++iw) {
                                const int64_t ow = iw * g.s[2] - g.pa[2] + kw * g.d[2];
                                if (ow >= 0 && ow < g.out[2])
                                    yo[oh * g.out[2] + ow] += row[ih * g.in[2] + iw];
                            }
                        }
                    }
            }
        }
    });
}

} // namespace nc::core::kernels::spatial
