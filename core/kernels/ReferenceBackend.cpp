// Naive loops written straight from each layer's definition: the ground truth the tests compare to.
#include "ReferenceBackend.h"

#include "OpShapes.h"
#include "SequenceKernels.h"
#include "SpatialKernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace nc::core::kernels {

namespace {

// Source index of a padded coordinate: −1 for a zero cell (see PadMode).
int64_t source(int64_t i, int64_t n, PadMode mode)
{
    if (i >= 0 && i < n)
        return i;
    if (mode == PadMode::Reflect)
        return i < 0 ? -i : 2 * (n - 1) - i;
    if (mode == PadMode::Replicate)
        return i < 0 ? 0 : n - 1;
    return -1;
}

void conv2d(const KernelOp& op, const Tensor& x, const std::vector<Tensor>& p, Tensor& y)
{
    // y[n,o,oy,ox] = b[o] + Σ_{c<C/g, ky, kx} w[o,c,ky,kx] · x[n, g·C/g + c, oy·sh − pt + ky·dh,
    //                                                        ox·sw − pl + kx·dw], g = o / (O/g)
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
    const int64_t o = y.dim(1), oh = y.dim(2), ow = y.dim(3);
    const int64_t cg = c / op.groups, og = o / op.groups;
    const Tensor& wt = p[0];
    for (int64_t in = 0; in < n; ++in)
        for (int64_t oc = 0; oc < o; ++oc)
            for (int64_t oy = 0; oy < oh; ++oy)
                for (int64_t ox = 0; ox < ow; ++ox) {
                    double s = op.bias ? p[1][oc] : 0.0;
                    const int64_t g = oc / og;
                    for (int64_t ic = 0; ic < cg; ++ic)
                        for (int64_t ky = 0; ky < op.kh; ++ky)
                            for (int64_t kx = 0; kx < op.kw; ++kx) {
                                const int64_t iy = source(oy * op.sh - op.padTop + ky * op.dh, h, op.padMode);
                                const int64_t ix = source(ox * op.sw - op.padLeft + kx * op.dw, w, op.padMode);
                                if (iy < 0 || ix < 0)
                                    continue;
                                s += static_cast<double>(wt[((oc * cg + ic) * op.kh + ky) * op.kw + kx]) *
                                     x[((in * c + g * cg + ic) * h + iy) * w + ix];
                            }
                    y[((in * o + oc) * oh + oy) * ow + ox] = static_cast<float>(s);
                }
}

void linear(const KernelOp& op, const Tensor& x, const std::vector<Tensor>& p, Tensor& y)
{
    // y[r, o] = b[o] + Σ_i W[o, i] · x[r, i]
    const int64_t in = x.shape().back(), out = op.outChannels, rows = x.size() / in;
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < out; ++o) {
            double s = op.bias ? p[1][o] : 0.0;
            for (int64_t i = 0; i < in; ++i)
                s += static_cast<double>(p[0][o * in + i]) * x[r * in + i];
            y[r * out + o] = static_cast<float>(s);
        }
}

void pool(const KernelOp& op, const Tensor& x, Tensor& y)
{
    // Window cells (oy·sh − pt + ky·dh, ox·sw − pl + kx·dw). Max over cells inside the input.
    // Average: sum over cells inside the input, divided by the count of cells inside the padded
    // input [−pt, H+pb) × [−pl, W+pr) when countIncludePad, else inside the input.
    const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), oh = y.dim(2), ow = y.dim(3);
    for (int64_t p = 0; p < planes; ++p)
        for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t ox = 0; ox < ow; ++ox) {
                double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
                int64_t inside = 0, padded = 0;
                for (int64_t ky = 0; ky < op.kh; ++ky)
                    for (int64_t kx = 0; kx < op.kw; ++kx) {
                        const int64_t iy = oy * op.sh - op.padTop + ky * op.dh;
                        const int64_t ix = ox * op.sw - op.padLeft + kx * op.dw;
                        if (iy >= -op.padTop && iy < h + op.padBottom && ix >= -op.padLeft && ix < w + op.padRight)
                            ++padded;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                            continue;
                        const double v = x[(p * h + iy) * w + ix];
                        best = std::max(best, v);
                        sum += v;
                        ++inside;
                    }
                double v = best;
                if (op.kind == OpKind::AvgPool) {
                    const int64_t div = op.countIncludePad ? padded : inside;
                    v = div > 0 ? sum / static_cast<double>(div) : 0.0;
                }
                y[(p * oh + oy) * ow + ox] = static_cast<float>(v);
            }
}

void adaptive(const Tensor& x, Tensor& y)
{
    // Bin i of n over length L: [floor(i·L/n), ceil((i+1)·L/n)).
    const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), oh = y.dim(2), ow = y.dim(3);
    for (int64_t p = 0; p < planes; ++p)
        for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t ox = 0; ox < ow; ++ox) {
                const int64_t y0 = static_cast<int64_t>(std::floor(static_cast<double>(oy * h) / static_cast<double>(oh)));
                const int64_t y1 = static_cast<int64_t>(std::ceil(static_cast<double>((oy + 1) * h) / static_cast<double>(oh)));
                const int64_t x0 = static_cast<int64_t>(std::floor(static_cast<double>(ox * w) / static_cast<double>(ow)));
                const int64_t x1 = static_cast<int64_t>(std::ceil(static_cast<double>((ox + 1) * w) / static_cast<double>(ow)));
                double s = 0.0;
                for (int64_t iy = y0; iy < y1; ++iy)
                    for (int64_t ix = x0; ix < x1; ++ix)
                        s += x[(p * h + iy) * w + ix];
                y[(p * oh + oy) * ow + ox] = static_cast<float>(s / static_cast<double>((y1 - y0) * (x1 - x0)));
            }
}

// Normalises `len` values starting at x[base] with stride 1: returns mean and 1/√(var + eps),
// var the biased (population) variance.
void moments(const Tensor& x, int64_t base, int64_t len, double eps, double& mean, double& rstd)
{
    double s = 0.0;
    for (int64_t i = 0; i < len; ++i)
        s += x[base + i];
    mean = s / static_cast<double>(len);
    double v = 0.0;
    for (int64_t i = 0; i < len; ++i)
        v += (x[base + i] - mean) * (x[base + i] - mean);
    rstd = 1.0 / std::sqrt(v / static_cast<double>(len) + eps);
}

double activate(OpKind kind, double v, double slope)
{
    switch (kind) {
    case OpKind::ReLU:
        return std::max(v, 0.0);
    case OpKind::ReLU6:
        return std::min(std::max(v, 0.0), 6.0);
    case OpKind::LeakyReLU:
        return v >= 0.0 ? v : slope * v;
    case OpKind::Sigmoid:
        return 1.0 / (1.0 + std::exp(-v));
    case OpKind::Tanh:
        return std::tanh(v);
    case OpKind::SiLU:
        return v / (1.0 + std::exp(-v));
    case OpKind::HardSwish:
        return v * std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0;
    case OpKind::GELU:
        return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    case OpKind::GeluTanh:
        return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    case OpKind::HardSigmoid:
        return std::min(std::max(v / 6.0 + 0.5, 0.0), 1.0);
    case OpKind::Conv2d:
    case OpKind::ConvNd:
    case OpKind::ConvTranspose:
    case OpKind::MaxPoolNd:
    case OpKind::AvgPoolNd:
    case OpKind::GlobalMaxPool:
    case OpKind::Resize:
    case OpKind::Pad:
    case OpKind::Embedding:
    case OpKind::RMSNorm:
    case OpKind::MatMul:
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::ScaledDotProduct:
    case OpKind::Linear:
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::GlobalAvgPool:
    case OpKind::AdaptiveAvgPool:
    case OpKind::BatchNorm:
    case OpKind::LayerNorm:
    case OpKind::InstanceNorm:
    case OpKind::GroupNorm:
    case OpKind::Softmax:
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Concat:
    case OpKind::Attention:
    case OpKind::Flatten:
    case OpKind::Identity:
    case OpKind::Transpose:
    case OpKind::Reduce:
        return v;
    }
    return v; // a value outside OpKind; every kind is listed above
}

// Flat index into an input of shape `s` (aligned right against the output rank) for the output
// multi-index `idx`, broadcasting dimensions of size 1.
int64_t broadcastIndex(const Shape& s, const Shape& out, const std::vector<int64_t>& idx)
{
    int64_t flat = 0;
    const std::size_t lead = out.size() - s.size();
    for (std::size_t i = 0; i < s.size(); ++i)
        flat = flat * s[i] + (s[i] == 1 ? 0 : idx[lead + i]);
    return flat;
}

void attention(const KernelOp& op, const Tensor& x, const std::vector<Tensor>& p, Tensor& y)
{
    // Q = X·Wqᵀ + bq (rows 0..D−1 of W_in), K rows D..2D−1, V rows 2D..3D−1.
    // head h: A = softmax_rows(Q_h K_hᵀ / √dh), O_h = A V_h; Y = [O_1 … O_H]·W_outᵀ + b_out.
    const int64_t n = x.dim(0), t = x.dim(1), d = x.dim(2), heads = op.heads, dh = d / heads;
    std::vector<double> qkv(static_cast<std::size_t>(t * 3 * d)), ctx(static_cast<std::size_t>(t * d)),
        sc(static_cast<std::size_t>(t));
    for (int64_t in = 0; in < n; ++in) {
        const int64_t xb = in * t * d;
        for (int64_t r = 0; r < t; ++r)
            for (int64_t j = 0; j < 3 * d; ++j) {
                double s = p[1][j];
                for (int64_t i = 0; i < d; ++i)
                    s += static_cast<double>(p[0][j * d + i]) * x[xb + r * d + i];
                qkv[static_cast<std::size_t>(r * 3 * d + j)] = s;
            }
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t r = 0; r < t; ++r) {
                double m = -std::numeric_limits<double>::infinity();
                for (int64_t c = 0; c < t; ++c) {
                    double s = 0.0;
                    for (int64_t i = 0; i < dh; ++i)
                        s += qkv[static_cast<std::size_t>(r * 3 * d + h * dh + i)] *
                             qkv[static_cast<std::size_t>(c * 3 * d + d + h * dh + i)];
                    sc[static_cast<std::size_t>(c)] = s / std::sqrt(static_cast<double>(dh));
                    m = std::max(m, sc[static_cast<std::size_t>(c)]);
                }
                double z = 0.0;
                for (int64_t c = 0; c < t; ++c)
                    z += (sc[static_cast<std::size_t>(c)] = std::exp(sc[static_cast<std::size_t>(c)] - m));
                for (int64_t i = 0; i < dh; ++i) {
                    double s = 0.0;
                    for (int64_t c = 0; c < t; ++c)
                        s += sc[static_cast<std::size_t>(c)] * qkv[static_cast<std::size_t>(c * 3 * d + 2 * d + h * dh + i)];
                    ctx[static_cast<std::size_t>(r * d + h * dh + i)] = s / z;
                }
            }
        for (int64_t r = 0; r < t; ++r)
            for (int64_t j = 0; j < d; ++j) {
                double s = p[3][j];
                for (int64_t i = 0; i < d; ++i)
                    s += static_cast<double>(p[2][j * d + i]) * ctx[static_cast<std::size_t>(r * d + i)];
                y[xb + r * d + j] = static_cast<float>(s);
            }
    }
}

} // namespace

KernelStatus ReferenceBackend::doPrepare(PreparedOp& prepared)
{
    prepared.appendNote("reference: naive loops, double accumulation");
    return KernelStatus::success();
}

KernelStatus ReferenceBackend::doRun(PreparedOp& prepared, std::span<const Tensor> inputs, Tensor& y)
{
    const KernelOp& op = prepared.op();
    const auto& p = prepared.parameters();
    const Tensor& x = inputs[0];
    const Shape& s = x.shape();
    const int64_t rank = static_cast<int64_t>(s.size());

    switch (op.kind) {
    case OpKind::Conv2d:
        conv2d(op, x, p, y);
        break;
    case OpKind::Linear:
        linear(op, x, p, y);
        break;
    case OpKind::MaxPool:
    case OpKind::AvgPool:
        pool(op, x, y);
        break;
    case OpKind::GlobalAvgPool: {
        const int64_t planes = s[0] * s[1], len = x.size() / planes;
        for (int64_t q = 0; q < planes; ++q) {
            double sum = 0.0;
            for (int64_t i = 0; i < len; ++i)
                sum += x[q * len + i];
            y[q] = static_cast<float>(sum / static_cast<double>(len));
        }
        break;
    }
    case OpKind::AdaptiveAvgPool:
        adaptive(x, y);
        break;
    case OpKind::BatchNorm: {
        // y = γ[c]·(x − μ[c]) / √(σ²[c] + ε) + β[c]
        const int64_t c = s[1], len = x.size() / (s[0] * c);
        for (int64_t i = 0; i < x.size(); ++i) {
            const int64_t ch = (i / len) % c;
            y[i] = static_cast<float>(p[0][ch] * (x[i] - static_cast<double>(p[2][ch])) /
                                          std::sqrt(static_cast<double>(p[3][ch]) + op.eps) +
                                      p[1][ch]);
        }
        break;
    }
    case OpKind::LayerNorm: {
        // Each row over axes [axis, rank): y = γ[j]·(x − mean)/√(var + ε) + β[j]
        const int64_t axis = normaliseAxis(op.normAxis, rank);
        int64_t len = 1;
        for (int64_t i = axis; i < rank; ++i)
            len *= s[static_cast<std::size_t>(i)];
        for (int64_t r = 0; r < x.size() / len; ++r) {
            double mean, rstd;
            moments(x, r * len, len, op.eps, mean, rstd);
            for (int64_t j = 0; j < len; ++j)
                y[r * len + j] = static_cast<float>((x[r * len + j] - mean) * rstd * p[0][j] + p[1][j]);
        }
        break;
    }
    case OpKind::InstanceNorm:
    case OpKind::GroupNorm: {
        // Instance: statistics per (n, c) over the spatial axes. Group: per (n, g) over the C/G
        // channels of group g and the spatial axes. Then γ[c], β[c] per channel.
        const int64_t c = s[1], spatial = x.size() / (s[0] * c);
        const int64_t groups = op.kind == OpKind::InstanceNorm ? c : op.numGroups;
        const int64_t len = c / groups * spatial;
        for (int64_t r = 0; r < s[0] * groups; ++r) {
            double mean, rstd;
            moments(x, r * len, len, op.eps, mean, rstd);
            for (int64_t j = 0; j < len; ++j) {
                const int64_t ch = (r % groups) * (c / groups) + j / spatial;
                y[r * len + j] = static_cast<float>((x[r * len + j] - mean) * rstd * p[0][ch] + p[1][ch]);
            }
        }
        break;
    }
    case OpKind::Softmax: {
        // softmax_i = exp(x_i − max) / Σ_j exp(x_j − max) along the axis.
        const int64_t axis = normaliseAxis(op.softmaxAxis, rank);
        int64_t outer = 1, inner = 1;
        for (int64_t i = 0; i < axis; ++i)
            outer *= s[static_cast<std::size_t>(i)];
        for (int64_t i = axis + 1; i < rank; ++i)
            inner *= s[static_cast<std::size_t>(i)];
        const int64_t len = s[static_cast<std::size_t>(axis)];
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t in = 0; in < inner; ++in) {
                auto at = [&](int64_t l) { return (o * len + l) * inner + in; };
                double m = -std::numeric_limits<double>::infinity(), z = 0.0;
                for (int64_t l = 0; l < len; ++l)
                    m = std::max(m, static_cast<double>(x[at(l)]));
                for (int64_t l = 0; l < len; ++l)
                    z += std::exp(x[at(l)] - m);
                for (int64_t l = 0; l < len; ++l)
                    y[at(l)] = static_cast<float>(std::exp(x[at(l)] - m) / z);
            }
        break;
    }
    case OpKind::Add:
    case OpKind::Mul: {
        const Shape& out = y.shape();
        std::vector<int64_t> idx(out.size(), 0);
        for (int64_t i = 0; i < y.size(); ++i) {
            int64_t rem = i;
            for (std::size_t d = out.size(); d-- > 0;) {
                idx[d] = rem % out[d];
                rem /= out[d];
            }
            const double a = inputs[0][broadcastIndex(inputs[0].shape(), out, idx)];
            const Tensor& second = op.operand.empty() ? inputs[1] : prepared.parameters()[0]; // learned operand
            const double b = second[broadcastIndex(second.shape(), out, idx)];
            y[i] = static_cast<float>(op.kind == OpKind::Add ? a + b : a * b);
        }
        break;
    }
    case OpKind::Concat: {
        // Output index (outer, position along axis, inner) takes the input whose axis range holds
        // the position.
        const int64_t axis = normaliseAxis(op.axis, rank);
        int64_t outer = 1;
        for (int64_t i = 0; i < axis; ++i)
            outer *= s[static_cast<std::size_t>(i)];
        int64_t pos = 0;
        const int64_t outSlab = y.size() / outer;
        for (const Tensor& t : inputs) {
            const int64_t slab = t.size() / outer;
            for (int64_t o = 0; o < outer; ++o)
                for (int64_t i = 0; i < slab; ++i)
                    y[o * outSlab + pos + i] = t[o * slab + i];
            pos += slab;
        }
        break;
    }
    case OpKind::Attention:
        attention(op, x, p, y);
        break;
    case OpKind::ConvNd:
    case OpKind::ConvTranspose:
    case OpKind::MaxPoolNd:
    case OpKind::AvgPoolNd:
    case OpKind::GlobalMaxPool:
    case OpKind::Resize:
    case OpKind::Pad:
        spatial::referenceRun(op, x, p, y);
        break;
    case OpKind::Embedding:
    case OpKind::RMSNorm:
    case OpKind::MatMul:
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::ScaledDotProduct:
        sequence::referenceRun(op, inputs, p, y, prepared.states());
        break;
    case OpKind::Transpose: {
        // Output index → input index: output axis i walks input axis perm[i].
        const Shape& o = y.shape();
        std::vector<int64_t> inStride(s.size(), 1);
        for (int64_t i = rank - 2; i >= 0; --i)
            inStride[static_cast<std::size_t>(i)] = inStride[static_cast<std::size_t>(i + 1)] * s[static_cast<std::size_t>(i + 1)];
        std::vector<int64_t> idx(o.size(), 0);
        for (int64_t i = 0; i < y.size(); ++i) {
            int64_t src = 0;
            for (std::size_t a = 0; a < o.size(); ++a)
                src += idx[a] * inStride[static_cast<std::size_t>(op.perm[a])];
            y[i] = x[src];
            for (int64_t a = static_cast<int64_t>(o.size()) - 1; a >= 0; --a) {
                if (++idx[static_cast<std::size_t>(a)] < o[static_cast<std::size_t>(a)])
                    break;
                idx[static_cast<std::size_t>(a)] = 0;
            }
        }
        break;
    }
    case OpKind::Reduce: {
        // Each input element joins the output element with its reduced axes set to 0.
        Shape o = s;
        for (int64_t a : op.axes)
            o[static_cast<std::size_t>(a)] = 1;
        std::vector<double> acc(static_cast<std::size_t>(y.size()),
                                op.reduceOp == 2 ? -std::numeric_limits<double>::infinity() : 0.0);
        std::vector<int64_t> idx(s.size(), 0);
        for (int64_t i = 0; i < x.size(); ++i) {
            int64_t dst = 0;
            for (std::size_t a = 0; a < s.size(); ++a)
                dst = dst * o[a] + (o[a] == 1 ? 0 : idx[a]);
            double& v = acc[static_cast<std::size_t>(dst)];
            v = op.reduceOp == 2 ? std::max(v, static_cast<double>(x[i])) : v + x[i];
            for (int64_t a = rank - 1; a >= 0; --a) {
                if (++idx[static_cast<std::size_t>(a)] < s[static_cast<std::size_t>(a)])
                    break;
                idx[static_cast<std::size_t>(a)] = 0;
            }
        }
        const double n = static_cast<double>(x.size()) / static_cast<double>(y.size());
        for (int64_t i = 0; i < y.size(); ++i)
            y[i] = static_cast<float>(op.reduceOp == 0 ? acc[static_cast<std::size_t>(i)] / n : acc[static_cast<std::size_t>(i)]);
        break;
    }
    case OpKind::ReLU:
    case OpKind::ReLU6:
    case OpKind::LeakyReLU:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::SiLU:
    case OpKind::HardSwish:
    case OpKind::GELU:
    case OpKind::GeluTanh:
    case OpKind::HardSigmoid:
    case OpKind::Flatten:
    case OpKind::Identity:
        for (int64_t i = 0; i < x.size(); ++i)
            y[i] = static_cast<float>(activate(op.kind, x[i], op.slope));
        break;
    }
    // A fused activation (Conv2d, Linear) by definition: the activation of the finished output.
    if (op.activation != OpKind::Identity)
        for (int64_t i = 0; i < y.size(); ++i)
            y[i] = static_cast<float>(activate(op.activation, y[i], op.slope));
    return KernelStatus::success();
}

} // namespace nc::core::kernels
