// Elementwise kernels of the Eigen backend: activations, softmax, broadcast add/mul, concat, copy.
#include "EigenKernels.h"

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace nc::core::kernels::eigen {

namespace {

using ArrayRM = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Elementwise loops are split into chunks of this many floats (64 KiB): large enough to amortise
// a task, small enough that the tail imbalance is negligible.
constexpr int64_t kChunk = 16 * 1024;

template <typename Fn>
void forChunks(int64_t size, const Parallel& par, Fn&& fn)
{
    const int64_t chunks = (size + kChunk - 1) / kChunk;
    par.pool->parallelFor(chunks, par.threads, [&](int64_t c0, int64_t c1, int) {
        const int64_t begin = c0 * kChunk, end = std::min(size, c1 * kChunk);
        fn(begin, end - begin);
    });
}

} // namespace

// Definitions (all vectorised by Eigen):
//   ReLU max(x,0); ReLU6 min(max(x,0),6); LeakyReLU max(x,0) + slope·min(x,0);
//   Sigmoid 1/(1+e^−x); Tanh; SiLU x·σ(x); HardSwish x·min(max(x+3,0),6)/6;
//   GELU ½x(1 + erf(x/√2)); GeluTanh ½x(1 + tanh(√(2/π)(x + 0.044715x³))); HardSigmoid
//   min(max(x/6 + ½, 0), 1).
void activation(OpKind kind, float slope, const float* x, int64_t size, float* y, const Parallel& par)
{
    forChunks(size, par, [&](int64_t off, int64_t n) {
        Eigen::Map<const Eigen::ArrayXf> a(x + off, n);
        Eigen::Map<Eigen::ArrayXf> b(y + off, n);
        switch (kind) {
        case OpKind::ReLU:
            b = a.max(0.0f);
            break;
        case OpKind::ReLU6:
            b = a.max(0.0f).min(6.0f);
            break;
        case OpKind::LeakyReLU:
            b = a.max(0.0f) + slope * a.min(0.0f);
            break;
        case OpKind::Sigmoid:
            b = a.logistic();
            break;
        case OpKind::Tanh:
            b = a.tanh();
            break;
        case OpKind::SiLU:
            b = a * a.logistic();
            break;
        case OpKind::HardSwish:
            b = a * (a + 3.0f).max(0.0f).min(6.0f) * (1.0f / 6.0f);
            break;
        case OpKind::GELU:
            b = 0.5f * a * (1.0f + (a * static_cast<float>(M_SQRT1_2)).erf());
            break;
        case OpKind::GeluTanh:
            b = 0.5f * a * (1.0f + (0.7978845608f * (a + 0.044715f * a * a * a)).tanh());
            break;
        case OpKind::HardSigmoid:
            b = (a * (1.0f / 6.0f) + 0.5f).max(0.0f).min(1.0f);
            break;
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
            if (x != y)
                std::memcpy(y + off, x + off, static_cast<std::size_t>(n) * sizeof(float));
            break;
        }
    });
}

// softmax(x)_i = e^(x_i − m) / Σ_j e^(x_j − m), m = max_j x_j, along the middle axis of
// [outer, len, inner]. With inner = 1 each softmax is one contiguous row; otherwise the len × inner
// block is processed with the reductions running down columns, still contiguous per row.
void softmax(const float* x, int64_t outer, int64_t len, int64_t inner, float* y, const Parallel& par)
{
    par.pool->parallelFor(outer, par.threads, [&](int64_t o0, int64_t o1, int) {
        for (int64_t o = o0; o < o1; ++o) {
            if (inner == 1) {
                Eigen::Map<const Eigen::ArrayXf> a(x + o * len, len);
                Eigen::Map<Eigen::ArrayXf> b(y + o * len, len);
                b = (a - a.maxCoeff()).exp();
                b /= b.sum();
                continue;
            }
            Eigen::Map<const ArrayRM> a(x + o * len * inner, len, inner);
            Eigen::Map<ArrayRM> b(y + o * len * inner, len, inner);
            const Eigen::Array<float, 1, Eigen::Dynamic> m = a.colwise().maxCoeff();
            b = (a.rowwise() - m).exp();
            const Eigen::Array<float, 1, Eigen::Dynamic> s = b.colwise().sum();
            b.rowwise() /= s;
        }
    });
}

// Numpy broadcasting. Both inputs are aligned to the output rank (leading 1s), a dimension of
// size 1 against a larger output dimension gets stride 0. Neighbouring dimensions in which both
// inputs have the same broadcast pattern are merged ([1,64,56,56] + [1,64,1,1] becomes
// [64, 3136] with strides a (3136, 1), b (1, 0)), so the innermost loop is as long as possible
// and one of four vector forms: a∘b, a∘scalar, scalar∘b, scalar∘scalar.
void binary(OpKind kind, const Tensor& a, const Tensor& b, Tensor& y, const Parallel& par)
{
    const Shape& out = y.shape();
    const std::size_t rank = out.size();
    auto aligned = [&](const Shape& s) {
        Shape r(rank, 1);
        std::copy(s.begin(), s.end(), r.begin() + static_cast<std::ptrdiff_t>(rank - s.size()));
        return r;
    };
    const Shape sa = aligned(a.shape()), sb = aligned(b.shape());

    // Merged dims: size, and whether a / b are broadcast along it.
    std::vector<int64_t> dims;
    std::vector<bool> bcA, bcB;
    for (std::size_t i = 0; i < rank; ++i) {
        if (out[i] == 1)
            continue;
        const bool ba = sa[i] == 1, bb = sb[i] == 1;
        if (!dims.empty() && bcA.back() == ba && bcB.back() == bb) {
            dims.back() *= out[i];
        } else {
            dims.push_back(out[i]);
            bcA.push_back(ba);
            bcB.push_back(bb);
        }
    }
    if (dims.empty()) {
        dims.push_back(1);
        bcA.push_back(false);
        bcB.push_back(false);
    }
    const std::size_t r = dims.size();
    std::vector<int64_t> strideA(r), strideB(r);
    int64_t accA = 1, accB = 1;
    for (std::size_t i = r; i-- > 0;) {
        strideA[i] = bcA[i] ? 0 : accA;
        strideB[i] = bcB[i] ? 0 : accB;
        if (!bcA[i])
            accA *= dims[i];
        if (!bcB[i])
            accB *= dims[i];
    }
    const int64_t len = dims.back();
    const int64_t rows = y.size() / len;
    const bool isAdd = kind == OpKind::Add;
    const float* pa = a.data();
    const float* pb = b.data();
    float* py = y.data();

    par.pool->parallelFor(rows, par.threads, [&](int64_t r0, int64_t r1, int) {
        for (int64_t row = r0; row < r1; ++row) {
            int64_t offA = 0, offB = 0, rem = row;
            for (std::size_t i = r - 1; i-- > 0;) {
                const int64_t idx = rem % dims[i];
                rem /= dims[i];
                offA += idx * strideA[i];
                offB += idx * strideB[i];
            }
            Eigen::Map<Eigen::ArrayXf> yo(py + row * len, len);
            const bool va = strideA[r - 1] != 0, vb = strideB[r - 1] != 0;
            if (va && vb) {
                Eigen::Map<const Eigen::ArrayXf> xa(pa + offA, len), xb(pb + offB, len);
                yo = isAdd ? (xa + xb).eval() : (xa * xb).eval();
            } else if (va) {
                Eigen::Map<const Eigen::ArrayXf> xa(pa + offA, len);
                yo = isAdd ? (xa + pb[offB]).eval() : (xa * pb[offB]).eval();
            } else if (vb) {
                Eigen::Map<const Eigen::ArrayXf> xb(pb + offB, len);
                yo = isAdd ? (pa[offA] + xb).eval() : (pa[offA] * xb).eval();
            } else {
                yo.setConstant(isAdd ? pa[offA] + pb[offB] : pa[offA] * pb[offB]);
            }
        }
    });
}

// The output is, for each index of the dimensions before `axis`, the inputs' slabs one after the
// other. All slabs form one list of (destination, source, length) copies whose total length is
// split evenly across threads, so a batch-1 channel concat (a handful of large slabs) still uses
// every core.
void concat(std::span<const Tensor> inputs, int64_t axis, Tensor& y, const Parallel& par)
{
    const Shape& s0 = inputs[0].shape();
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i)
        outer *= s0[static_cast<std::size_t>(i)];
    struct Slab {
        float* dst;
        const float* src;
        int64_t len;
    };
    std::vector<Slab> slabs;
    slabs.reserve(static_cast<std::size_t>(outer) * inputs.size());
    float* dst = y.data();
    for (int64_t o = 0; o < outer; ++o) {
        for (const Tensor& t : inputs) {
            const int64_t len = t.size() / outer;
            slabs.push_back({dst, t.data() + o * len, len});
            dst += len;
        }
    }
    const int64_t total = y.size();
    par.pool->parallelFor(total, par.threads, [&](int64_t b0, int64_t b1, int) {
        int64_t pos = 0;
        for (const Slab& s : slabs) {
            const int64_t lo = std::max(b0, pos), hi = std::min(b1, pos + s.len);
            if (lo < hi)
                std::memcpy(s.dst + (lo - pos), s.src + (lo - pos), static_cast<std::size_t>(hi - lo) * sizeof(float));
            pos += s.len;
            if (pos >= b1)
                break;
        }
    });
}

void copy(const float* x, int64_t size, float* y, const Parallel& par)
{
    forChunks(size, par, [&](int64_t off, int64_t n) {
        std::memcpy(y + off, x + off, static_cast<std::size_t>(n) * sizeof(float));
    });
}

} // namespace nc::core::kernels::eigen
