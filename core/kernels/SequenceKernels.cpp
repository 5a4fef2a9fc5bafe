// The sequence ops: shapes, parameters, work counts, reference loops and Eigen kernels.
#include "SequenceKernels.h"

#include "OpShapes.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <string>

namespace nc::core::kernels::sequence {

namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstRowMap = Eigen::Map<const RowMat>;
using RowMap = Eigen::Map<RowMat>;

KernelStatus fail(const KernelOp& op, const std::string& what)
{
    return KernelStatus::failure(layerLabel(op) + what);
}

int64_t gates(OpKind k) { return k == OpKind::LSTM ? 4 : 3; }
int64_t directions(const KernelOp& op) { return op.bidirectional ? 2 : 1; }

// Where output batch index `b` of a broadcast MatMul reads its two operands: the batch axes of each
// operand are aligned right against the output's, and an axis of size 1 repeats.
struct MatMulGeometry {
    int64_t m = 0, k = 0, n = 0, batch = 1;
    Shape outBatch, aBatch, bBatch; // aBatch/bBatch padded with leading 1s to outBatch's rank

    static MatMulGeometry from(const Shape& a, const Shape& b)
    {
        MatMulGeometry g;
        g.m = a[a.size() - 2];
        g.k = a.back();
        g.n = b.back();
        const std::size_t ra = a.size() - 2, rb = b.size() - 2, r = std::max(ra, rb);
        g.aBatch.assign(r - ra, 1);
        g.aBatch.insert(g.aBatch.end(), a.begin(), a.begin() + static_cast<std::ptrdiff_t>(ra));
        g.bBatch.assign(r - rb, 1);
        g.bBatch.insert(g.bBatch.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(rb));
        for (std::size_t i = 0; i < r; ++i)
            g.outBatch.push_back(std::max(g.aBatch[i], g.bBatch[i]));
        for (int64_t d : g.outBatch)
            g.batch *= d;
        return g;
    }
    // Matrix index of operand `s` (aBatch or bBatch) for output matrix `b`.
    int64_t source(const Shape& s, int64_t b) const
    {
        int64_t flat = 0, stride = 1;
        for (std::size_t i = outBatch.size(); i-- > 0;) {
            const int64_t idx = b % outBatch[i];
            b /= outBatch[i];
            if (s[i] != 1)
                flat += idx * stride;
            stride *= s[i];
        }
        return flat;
    }
};

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// Index of layer l, direction d's first parameter tensor.
std::size_t rnnParam(const KernelOp& op, int64_t l, int64_t d)
{
    return static_cast<std::size_t>((l * directions(op) + d) * (op.bias ? 4 : 2));
}

// One step of the cell for one sample, from the two projections pre-summed per gate:
//   xg = W_ih·x + b_ih (all gates), hg = W_hh·h + b_hh (all gates).
// LSTM (i, f, g, o): c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c').
// GRU (r, z, n): n = tanh(xg_n + σ(r)·hg_n), h' = (1 − σ(z))·n + σ(z)·h — PyTorch's form, where r
// scales W_hn·h + b_hn (ONNX's linear_before_reset = 1).
template <typename Real>
void cellStep(OpKind kind, int64_t h, const Real* xg, const Real* hg, Real* hState, Real* cState)
{
    if (kind == OpKind::LSTM) {
        for (int64_t j = 0; j < h; ++j) {
            const Real i = Real(sigmoid(double(xg[j] + hg[j])));
            const Real f = Real(sigmoid(double(xg[h + j] + hg[h + j])));
            const Real g = std::tanh(xg[2 * h + j] + hg[2 * h + j]);
            const Real o = Real(sigmoid(double(xg[3 * h + j] + hg[3 * h + j])));
            cState[j] = f * cState[j] + i * g;
            hState[j] = o * std::tanh(cState[j]);
        }
        return;
    }
    for (int64_t j = 0; j < h; ++j) {
        const Real r = Real(sigmoid(double(xg[j] + hg[j])));
        const Real z = Real(sigmoid(double(xg[h + j] + hg[h + j])));
        const Real n = std::tanh(xg[2 * h + j] + r * hg[2 * h + j]);
        hState[j] = (Real(1) - z) * n + z * hState[j];
    }
}

int64_t kvHeadsOf(const KernelOp& op) { return op.kvHeads > 0 ? op.kvHeads : op.heads; }

// Rotary embedding of one head's rows in place (Llama's "rotate half" form, as the PyTorch export
// writes it): the pair (i, i + hd/2) at position p turns by p·10000^(−2i/hd).
template <typename Real>
void rotate(Real* rows, int64_t count, int64_t stride, int64_t hd)
{
    const int64_t half = hd / 2;
    for (int64_t p = 0; p < count; ++p) {
        Real* r = rows + p * stride;
        for (int64_t i = 0; i < half; ++i) {
            const double theta = static_cast<double>(p) * std::pow(10000.0, -2.0 * static_cast<double>(i) / static_cast<double>(hd));
            const Real c = static_cast<Real>(std::cos(theta)), sn = static_cast<Real>(std::sin(theta));
            const Real a = r[i], b = r[i + half];
            r[i] = a * c - b * sn;
            r[i + half] = b * c + a * sn;
        }
    }
}

} // namespace

bool isSequenceOp(OpKind k)
{
    return k == OpKind::Embedding || k == OpKind::RMSNorm || k == OpKind::MatMul || k == OpKind::LSTM ||
           k == OpKind::GRU || k == OpKind::ScaledDotProduct;
}

int64_t tokenId(float v, int64_t vocab)
{
    const int64_t r = static_cast<int64_t>(std::llround(static_cast<double>(v))) % vocab;
    return r < 0 ? r + vocab : r;
}

// The functions below branch with `if` over the five sequence kinds and fail loudly on any other:
// callers reach them only through isSequenceOp, and OpKind's exhaustive switches live in OpShapes.
KernelResult<Shape> outputShape(const KernelOp& op, std::span<const Shape> inputs)
{
    const Shape& x = inputs[0];
    if (op.kind == OpKind::Embedding) {
        if (x.size() != 2)
            return fail(op, "expects [N, T] token ids, got " + shapeToString(x));
        if (op.vocab < 1 || op.outChannels < 1)
            return fail(op, "vocabulary and dimension must be at least 1");
        if (op.positions > 0 && x[1] > op.positions)
            return fail(op, "sequence of " + std::to_string(x[1]) + " tokens is longer than the position table (" +
                                std::to_string(op.positions) + ")");
        return Shape{x[0], x[1], op.outChannels};
    }
    if (op.kind == OpKind::RMSNorm) {
        if (x.size() < 2)
            return fail(op, "expects an input of rank at least 2, got " + shapeToString(x));
        return x;
    }
    if (op.kind == OpKind::MatMul) {
        if (inputs.size() != 2)
            return fail(op, "takes two inputs, got " + std::to_string(inputs.size()));
        const Shape& b = inputs[1];
        if (x.size() < 2 || b.size() < 2)
            return fail(op, "expects two inputs of rank at least 2, got " + shapeToString(x) + " and " +
                                shapeToString(b));
        if (x.back() != b[b.size() - 2])
            return fail(op, "inner sizes differ: " + shapeToString(x) + " · " + shapeToString(b));
        const MatMulGeometry g = MatMulGeometry::from(x, b);
        for (std::size_t i = 0; i < g.outBatch.size(); ++i)
            if (g.aBatch[i] != g.bBatch[i] && g.aBatch[i] != 1 && g.bBatch[i] != 1)
                return fail(op, "cannot broadcast the batch axes of " + shapeToString(x) + " and " + shapeToString(b));
        Shape out = g.outBatch;
        out.push_back(g.m);
        out.push_back(g.n);
        return out;
    }
    if (op.kind == OpKind::LSTM || op.kind == OpKind::GRU) {
        if (x.size() != 3)
            return fail(op, "expects a batch-first [N, T, I] sequence, got " + shapeToString(x));
        if (op.outChannels < 1 || op.rnnLayers < 1)
            return fail(op, "hidden size and layers must be at least 1");
        return Shape{x[0], x[1], op.outChannels * directions(op)};
    }
    if (op.kind == OpKind::ScaledDotProduct) {
        const Shape &k = inputs[1], &v = inputs[2];
        if (x.size() != 3 || k.size() != 3 || v.size() != 3)
            return fail(op, "expects Q [N, Tq, D], K and V [N, S, kv]");
        const int64_t g = kvHeadsOf(op);
        if (op.heads < 1 || x[2] % op.heads != 0 || g < 1 || op.heads % g != 0)
            return fail(op, "heads " + std::to_string(op.heads) + " must divide D " + std::to_string(x[2]) +
                                " and be a multiple of the key/value heads " + std::to_string(g));
        const int64_t hd = x[2] / op.heads;
        if (k != v || k[0] != x[0] || k[2] != g * hd)
            return fail(op, "K " + shapeToString(k) + " and V " + shapeToString(v) + " must both be [" +
                                std::to_string(x[0]) + ", S, " + std::to_string(g * hd) + "]");
        if (op.rope && hd % 2 != 0)
            return fail(op, "rotary embedding needs an even head dim, got " + std::to_string(hd));
        return x;
    }
    return fail(op, "is not a sequence op");
}

std::vector<Shape> parameterShapes(const KernelOp& op, const Shape& x)
{
    if (op.kind == OpKind::Embedding) {
        std::vector<Shape> p{{op.vocab, op.outChannels}};
        if (op.positions > 0)
            p.push_back({op.positions, op.outChannels});
        if (op.tokenTypes > 0)
            p.push_back({op.tokenTypes, op.outChannels});
        return p;
    }
    if (op.kind == OpKind::RMSNorm)
        return op.affine ? std::vector<Shape>{{x.back()}} : std::vector<Shape>{};
    if (op.kind == OpKind::LSTM || op.kind == OpKind::GRU) {
        const int64_t h = op.outChannels, gh = gates(op.kind) * h;
        std::vector<Shape> p;
        for (int64_t l = 0; l < op.rnnLayers; ++l)
            for (int64_t d = 0; d < directions(op); ++d) {
                p.push_back({gh, l == 0 ? x[2] : h * directions(op)});
                p.push_back({gh, h});
                if (op.bias) {
                    p.push_back({gh});
                    p.push_back({gh});
                }
            }
        return p;
    }
    return {}; // MatMul: both operands are activations
}

double flops(const KernelOp& op, std::span<const Shape> inputs, const Shape& out)
{
    const Shape& x = inputs[0];
    const double outElems = static_cast<double>(shapeElements(out));
    if (op.kind == OpKind::Embedding)
        return outElems * static_cast<double>((op.positions > 0 ? 1 : 0) + (op.tokenTypes > 0 ? 1 : 0));
    if (op.kind == OpKind::RMSNorm)
        return 4.0 * outElems;
    if (op.kind == OpKind::MatMul)
        return 2.0 * outElems * static_cast<double>(x.back());
    if (op.kind == OpKind::LSTM || op.kind == OpKind::GRU) {
        const double nt = static_cast<double>(x[0] * x[1]), h = static_cast<double>(op.outChannels);
        double f = 0;
        for (int64_t l = 0; l < op.rnnLayers; ++l) {
            const double i = l == 0 ? static_cast<double>(x[2]) : h * static_cast<double>(directions(op));
            f += 2.0 * nt * static_cast<double>(gates(op.kind)) * h * (i + h) * static_cast<double>(directions(op));
        }
        return f;
    }
    if (op.kind == OpKind::ScaledDotProduct) // Q·Kᵀ and A·V: 2·2·N·Tq·S·D
        return 4.0 * outElems * static_cast<double>(inputs[1][1]);
    return 0.0;
}

// ---- reference loops: straight from the definitions, double accumulation ----

void referenceRun(const KernelOp& op, std::span<const Tensor> inputs, const std::vector<Tensor>& p, Tensor& y,
                  std::span<Tensor> states)
{
    const Tensor& x = inputs[0];
    if (op.kind == OpKind::Embedding) {
        // y[n, t, :] = table[id(x[n, t]), :] + positions[t, :] + segments[0, :]
        const int64_t rows = x.size(), t = x.dim(1), d = op.outChannels;
        for (int64_t r = 0; r < rows; ++r) {
            const int64_t id = tokenId(x[r], op.vocab);
            for (int64_t j = 0; j < d; ++j) {
                double v = p[0][id * d + j];
                std::size_t next = 1;
                if (op.positions > 0)
                    v += p[next++][(r % t) * d + j];
                if (op.tokenTypes > 0)
                    v += p[next][j];
                y[r * d + j] = static_cast<float>(v);
            }
        }
        return;
    }
    if (op.kind == OpKind::RMSNorm) {
        // y = x / √(mean(x²) + ε) · γ over the last axis
        const int64_t d = x.shape().back();
        for (int64_t r = 0; r < x.size() / d; ++r) {
            double ss = 0;
            for (int64_t j = 0; j < d; ++j)
                ss += static_cast<double>(x[r * d + j]) * x[r * d + j];
            const double inv = 1.0 / std::sqrt(ss / static_cast<double>(d) + op.eps);
            for (int64_t j = 0; j < d; ++j)
                y[r * d + j] = static_cast<float>(x[r * d + j] * inv * (op.affine ? p[0][j] : 1.0f));
        }
        return;
    }
    if (op.kind == OpKind::MatMul) {
        // y[b, i, j] = Σ_k a[src_a(b), i, k] · b[src_b(b), k, j]
        const MatMulGeometry g = MatMulGeometry::from(x.shape(), inputs[1].shape());
        const Tensor& b = inputs[1];
        for (int64_t bi = 0; bi < g.batch; ++bi) {
            const int64_t ao = g.source(g.aBatch, bi) * g.m * g.k, bo = g.source(g.bBatch, bi) * g.k * g.n;
            for (int64_t i = 0; i < g.m; ++i)
                for (int64_t j = 0; j < g.n; ++j) {
                    double s = 0;
                    for (int64_t k = 0; k < g.k; ++k)
                        s += static_cast<double>(x[ao + i * g.k + k]) * b[bo + k * g.n + j];
                    y[(bi * g.m + i) * g.n + j] = static_cast<float>(s);
                }
        }
        return;
    }
    if (op.kind == OpKind::LSTM || op.kind == OpKind::GRU) {
        const int64_t n = x.dim(0), t = x.dim(1), h = op.outChannels, gh = gates(op.kind) * h, dirs = directions(op);
        std::vector<double> seq(x.data(), x.data() + x.size()); // this layer's input [N, T, I_l]
        int64_t width = x.dim(2);
        for (int64_t l = 0; l < op.rnnLayers; ++l) {
            std::vector<double> next(static_cast<std::size_t>(n * t * h * dirs));
            for (int64_t d = 0; d < dirs; ++d) {
                const std::size_t pi = rnnParam(op, l, d);
                const Tensor &wih = p[pi], &whh = p[pi + 1];
                for (int64_t s = 0; s < n; ++s) {
                    std::vector<double> hs(static_cast<std::size_t>(h)), cs(static_cast<std::size_t>(h));
                    std::vector<double> xg(static_cast<std::size_t>(gh)), hg(static_cast<std::size_t>(gh));
                    for (int64_t step = 0; step < t; ++step) {
                        const int64_t tt = d == 0 ? step : t - 1 - step; // the reverse direction reads backwards
                        for (int64_t r = 0; r < gh; ++r) {
                            double a = op.bias ? p[pi + 2][r] : 0.0, b = op.bias ? p[pi + 3][r] : 0.0;
                            for (int64_t c = 0; c < width; ++c)
                                a += wih[r * width + c] * seq[static_cast<std::size_t>((s * t + tt) * width + c)];
                            for (int64_t c = 0; c < h; ++c)
                                b += whh[r * h + c] * hs[static_cast<std::size_t>(c)];
                            xg[static_cast<std::size_t>(r)] = a;
                            hg[static_cast<std::size_t>(r)] = b;
                        }
                        cellStep<double>(op.kind, h, xg.data(), hg.data(), hs.data(), cs.data());
                        for (int64_t j = 0; j < h; ++j)
                            next[static_cast<std::size_t>((s * t + tt) * h * dirs + d * h + j)] = hs[static_cast<std::size_t>(j)];
                    }
                    // h_n / c_n row (l·dirs + d) of sample s: the state after this direction's last step.
                    for (std::size_t k = 0; k < states.size(); ++k)
                        for (int64_t j = 0; j < h; ++j)
                            states[k][(s * op.rnnLayers * dirs + l * dirs + d) * h + j] =
                                static_cast<float>((k == 0 ? hs : cs)[static_cast<std::size_t>(j)]);
                }
            }
            seq = std::move(next);
            width = h * dirs;
        }
        for (int64_t i = 0; i < y.size(); ++i)
            y[i] = static_cast<float>(seq[static_cast<std::size_t>(i)]);
        return;
    }
    if (op.kind == OpKind::ScaledDotProduct) {
        // Per sample and query head h (key/value head h / (heads/kv)): softmax(Q_h K_gᵀ/√hd, masked)·V_g.
        const int64_t n = x.dim(0), tq = x.dim(1), d = x.dim(2), s = inputs[1].dim(1);
        const int64_t hd = d / op.heads, g = kvHeadsOf(op), kvw = g * hd;
        for (int64_t b = 0; b < n; ++b)
            for (int64_t h = 0; h < op.heads; ++h) {
                const int64_t kh = h / (op.heads / g);
                std::vector<double> q(static_cast<std::size_t>(tq * hd)), k(static_cast<std::size_t>(s * hd)),
                    v(static_cast<std::size_t>(s * hd));
                for (int64_t i = 0; i < tq; ++i)
                    for (int64_t j = 0; j < hd; ++j)
                        q[static_cast<std::size_t>(i * hd + j)] = x[(b * tq + i) * d + h * hd + j];
                for (int64_t i = 0; i < s; ++i)
                    for (int64_t j = 0; j < hd; ++j) {
                        k[static_cast<std::size_t>(i * hd + j)] = inputs[1][(b * s + i) * kvw + kh * hd + j];
                        v[static_cast<std::size_t>(i * hd + j)] = inputs[2][(b * s + i) * kvw + kh * hd + j];
                    }
                if (op.rope) {
                    rotate(q.data(), tq, hd, hd);
                    rotate(k.data(), s, hd, hd);
                }
                for (int64_t i = 0; i < tq; ++i) {
                    std::vector<double> a(static_cast<std::size_t>(s));
                    double mx = -1e300;
                    for (int64_t j = 0; j < s; ++j) {
                        double dot = 0;
                        for (int64_t c = 0; c < hd; ++c)
                            dot += q[static_cast<std::size_t>(i * hd + c)] * k[static_cast<std::size_t>(j * hd + c)];
                        a[static_cast<std::size_t>(j)] = op.causal && j > i ? -1e300 : dot / std::sqrt(double(hd));
                        mx = std::max(mx, a[static_cast<std::size_t>(j)]);
                    }
                    double sum = 0;
                    for (double& e : a)
                        sum += (e = e <= -1e299 ? 0.0 : std::exp(e - mx));
                    for (int64_t c = 0; c < hd; ++c) {
                        double o = 0;
                        for (int64_t j = 0; j < s; ++j)
                            o += a[static_cast<std::size_t>(j)] / sum * v[static_cast<std::size_t>(j * hd + c)];
                        y[(b * tq + i) * d + h * hd + c] = static_cast<float>(o);
                    }
                }
            }
        return;
    }
}

// ---- Eigen kernels ----

void eigenRun(const KernelOp& op, std::span<const Tensor> inputs, const std::vector<Tensor>& p, Tensor& y,
              const eigen::Parallel& par, std::span<Tensor> states)
{
    const Tensor& x = inputs[0];
    if (op.kind == OpKind::Embedding) {
        const int64_t rows = x.size(), t = x.dim(1), d = op.outChannels;
        par.pool->parallelFor(rows, par.threads, [&](int64_t r0, int64_t r1, int) {
            for (int64_t r = r0; r < r1; ++r) {
                Eigen::Map<Eigen::ArrayXf> out(y.data() + r * d, d);
                out = Eigen::Map<const Eigen::ArrayXf>(p[0].data() + tokenId(x[r], op.vocab) * d, d);
                std::size_t next = 1;
                if (op.positions > 0)
                    out += Eigen::Map<const Eigen::ArrayXf>(p[next++].data() + (r % t) * d, d);
                if (op.tokenTypes > 0)
                    out += Eigen::Map<const Eigen::ArrayXf>(p[next].data(), d);
            }
        });
        return;
    }
    if (op.kind == OpKind::RMSNorm) {
        const int64_t d = x.shape().back();
        par.pool->parallelFor(x.size() / d, par.threads, [&](int64_t r0, int64_t r1, int) {
            for (int64_t r = r0; r < r1; ++r) {
                Eigen::Map<const Eigen::ArrayXf> in(x.data() + r * d, d);
                Eigen::Map<Eigen::ArrayXf> out(y.data() + r * d, d);
                // Sum of squares in double: a 4,096-wide row of O(1) values loses digits in float.
                const double ss = in.cast<double>().square().sum();
                const float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(d) + op.eps));
                if (op.affine)
                    out = in * inv * Eigen::Map<const Eigen::ArrayXf>(p[0].data(), d);
                else
                    out = in * inv;
            }
        });
        return;
    }
    if (op.kind == OpKind::MatMul) {
        const MatMulGeometry g = MatMulGeometry::from(x.shape(), inputs[1].shape());
        const float* a = x.data();
        const float* b = inputs[1].data();
        par.pool->parallelTasks(g.batch, par.threads, [&](int64_t b0, int64_t b1, int) {
            for (int64_t bi = b0; bi < b1; ++bi) {
                RowMap c(y.data() + bi * g.m * g.n, g.m, g.n);
                c.noalias() = ConstRowMap(a + g.source(g.aBatch, bi) * g.m * g.k, g.m, g.k) *
                              ConstRowMap(b + g.source(g.bBatch, bi) * g.k * g.n, g.k, g.n);
            }
        });
        return;
    }
    if (op.kind == OpKind::LSTM || op.kind == OpKind::GRU) {
        // Per layer and direction: the input projection of every step is one GEMM
        // [N·T, I_l]·W_ihᵀ; the recurrence is a [N, H]·W_hhᵀ GEMM per step, then the gates.
        const int64_t n = x.dim(0), t = x.dim(1), h = op.outChannels, gh = gates(op.kind) * h, dirs = directions(op);
        RowMat seq = ConstRowMap(x.data(), n * t, x.dim(2));
        RowMat xg(n * t, gh), hg(n, gh), hs(n, h), cs(n, h);
        for (int64_t l = 0; l < op.rnnLayers; ++l) {
            RowMat next(n * t, h * dirs);
            for (int64_t d = 0; d < dirs; ++d) {
                const std::size_t pi = rnnParam(op, l, d);
                xg.noalias() = seq * ConstRowMap(p[pi].data(), gh, seq.cols()).transpose();
                if (op.bias)
                    xg.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(p[pi + 2].data(), gh);
                const ConstRowMap whh(p[pi + 1].data(), gh, h);
                hs.setZero();
                cs.setZero();
                for (int64_t step = 0; step < t; ++step) {
                    const int64_t tt = d == 0 ? step : t - 1 - step;
                    hg.noalias() = hs * whh.transpose();
                    if (op.bias)
                        hg.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(p[pi + 3].data(), gh);
                    par.pool->parallelFor(n, par.threads, [&](int64_t s0, int64_t s1, int) {
                        for (int64_t s = s0; s < s1; ++s) {
                            cellStep<float>(op.kind, h, xg.data() + (s * t + tt) * gh, hg.data() + s * gh,
                                            hs.data() + s * h, cs.data() + s * h);
                            std::copy(hs.data() + s * h, hs.data() + (s + 1) * h,
                                      next.data() + (s * t + tt) * h * dirs + d * h);
                        }
                    });
                }
                for (std::size_t k = 0; k < states.size(); ++k) {
                    const RowMat& src = k == 0 ? hs : cs;
                    for (int64_t s = 0; s < n; ++s)
                        std::copy(src.data() + s * h, src.data() + (s + 1) * h,
                                  states[k].data() + (s * op.rnnLayers * dirs + l * dirs + d) * h);
                }
            }
            seq = std::move(next);
        }
        std::copy(seq.data(), seq.data() + seq.size(), y.data());
        return;
    }
    if (op.kind == OpKind::ScaledDotProduct) {
        const int64_t n = x.dim(0), tq = x.dim(1), d = x.dim(2), s = inputs[1].dim(1);
        const int64_t hd = d / op.heads, g = kvHeadsOf(op), kvw = g * hd;
        const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
        using Strided = Eigen::Map<const RowMat, 0, Eigen::OuterStride<>>;
        par.pool->parallelTasks(n * op.heads, par.threads, [&](int64_t t0, int64_t t1, int) {
            RowMat q, k, scores;
            for (int64_t task = t0; task < t1; ++task) {
                const int64_t b = task / op.heads, h = task % op.heads, kh = h / (op.heads / g);
                q = Strided(x.data() + b * tq * d + h * hd, tq, hd, Eigen::OuterStride<>(d));
                k = Strided(inputs[1].data() + b * s * kvw + kh * hd, s, hd, Eigen::OuterStride<>(kvw));
                if (op.rope) {
                    rotate(q.data(), tq, hd, hd);
                    rotate(k.data(), s, hd, hd);
                }
                scores.noalias() = (q * k.transpose()) * scale;
                for (int64_t i = 0; i < tq; ++i) {
                    auto row = scores.row(i).array();
                    const int64_t valid = op.causal ? std::min(i + 1, s) : s;
                    const float mx = row.head(valid).maxCoeff();
                    row.head(valid) = (row.head(valid) - mx).exp();
                    row.tail(s - valid).setZero();
                    row /= row.sum();
                }
                Eigen::Map<RowMat, 0, Eigen::OuterStride<>> out(y.data() + b * tq * d + h * hd, tq, hd,
                                                                  Eigen::OuterStride<>(d));
                out.noalias() = scores * Strided(inputs[2].data() + b * s * kvw + kh * hd, s, hd, Eigen::OuterStride<>(kvw));
            }
        });
        return;
    }
}

} // namespace nc::core::kernels::sequence
