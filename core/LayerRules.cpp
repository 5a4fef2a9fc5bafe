// LayerRules: shape, cost and receptive-field rules of every layer kind.
#include "LayerRules.h"

#include <algorithm>
#include <string>

namespace nc::core {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

Error overflow(const char* what) { return Error{std::string(what) + " overflows 64 bits; reduce the sizes"}; }

// Multiplies a list of factors, reporting overflow instead of wrapping.
std::optional<int64_t> mulAll(std::initializer_list<int64_t> f)
{
    int64_t r = 1;
    for (int64_t x : f) {
        auto m = checkedMul(r, x);
        if (!m)
            return std::nullopt;
        r = *m;
    }
    return r;
}

Status expectRank(const Shape& s, int rank, const char* what)
{
    if (s.rank() != rank)
        return Error{std::string("expects a ") + what + " input, got " + s.toString()};
    return {};
}

// Output length of a sliding window along one axis; error text names the axis.
Result<int64_t> windowOut(int64_t in, int64_t k, int64_t s, int64_t d, int64_t padA, int64_t padB, bool ceilMode,
                          const char* axis)
{
    auto keffM = checkedMul(d, k - 1);
    if (!keffM)
        return overflow("dilated kernel size");
    int64_t keff = *keffM + 1;
    auto padded = checkedAdd(in, padA + padB);
    if (!padded || padA + padB < 0)
        return overflow("padded input size");
    if (keff > *padded) {
        std::string k1 = d > 1 ? "dilated kernel " + str(keff) + " (" + str(k) + " with dilation " + str(d) + ")"
                               : "kernel " + str(k);
        return Error{k1 + " exceeds padded input " + str(*padded) + " on axis " + axis +
                     "; use a smaller kernel or more padding"};
    }
    int64_t span = *padded - keff;
    int64_t out = (ceilMode ? (span + s - 1) / s : span / s) + 1;
    // PyTorch's ceil-mode rule: the last window must start inside the input or left padding.
    if (ceilMode && (out - 1) * s >= in + padA)
        --out;
    return out;
}

bool isActivation(LayerType t)
{
    switch (t) {
    case LayerType::ReLU:
    case LayerType::ReLU6:
    case LayerType::LeakyReLU:
    case LayerType::Sigmoid:
    case LayerType::Tanh:
    case LayerType::SiLU:
    case LayerType::HardSwish:
    case LayerType::GELU:
        return true;
    default:
        return false;
    }
}

Result<Shape> convShape(const LayerParams& p, const Shape& x, int64_t outC, int64_t groups, bool depthwise)
{
    if (auto s = expectRank(x, 3, "C×H×W"); !s)
        return Error{s.error()};
    int64_t c = x[0];
    if (!depthwise) {
        if (c % groups != 0)
            return Error{"input channels " + str(c) + " are not divisible by groups " + str(groups) +
                         "; choose groups that divide " + str(c)};
        if (outC % groups != 0)
            return Error{"out_channels " + str(outC) + " are not divisible by groups " + str(groups) +
                         "; choose a multiple of " + str(groups)};
    }
    Padding pad = resolvePadding(p, x[1], x[2]);
    if (p.padMode == static_cast<int64_t>(PadMode::Reflect)) {
        if (std::max(pad.top, pad.bottom) >= x[1] || std::max(pad.left, pad.right) >= x[2])
            return Error{"reflect padding must be smaller than the input (" + str(x[1]) + "×" + str(x[2]) +
                         "); use less padding or replicate mode"};
    }
    auto ho = windowOut(x[1], p.kh, p.sh, p.dh, pad.top, pad.bottom, false, "H");
    if (!ho)
        return Error{ho.error()};
    auto wo = windowOut(x[2], p.kw, p.sw, p.dw, pad.left, pad.right, false, "W");
    if (!wo)
        return Error{wo.error()};
    return Shape{outC, *ho, *wo};
}

Result<Shape> poolShape(const LayerParams& p, const Shape& x)
{
    if (auto s = expectRank(x, 3, "C×H×W"); !s)
        return Error{s.error()};
    if (2 * std::max(p.pt, p.pb) > p.kh || 2 * std::max(p.pl, p.pr) > p.kw)
        return Error{"padding must be at most half the kernel (" + str(p.kh) + "×" + str(p.kw) +
                     "); reduce the padding"};
    auto ho = windowOut(x[1], p.kh, p.sh, 1, p.pt, p.pb, p.ceilMode != 0, "H");
    if (!ho)
        return Error{ho.error()};
    auto wo = windowOut(x[2], p.kw, p.sw, 1, p.pl, p.pr, p.ceilMode != 0, "W");
    if (!wo)
        return Error{wo.error()};
    return Shape{x[0], *ho, *wo};
}

Result<Shape> broadcast(std::span<const Shape> in)
{
    Shape out = in[0];
    for (size_t k = 1; k < in.size(); ++k) {
        const Shape& b = in[k];
        Shape r;
        int rank = std::max(out.rank(), b.rank());
        for (int i = 0; i < rank; ++i) {
            int ia = out.rank() - rank + i, ib = b.rank() - rank + i;
            int64_t da = ia >= 0 ? out[ia] : 1, db = ib >= 0 ? b[ib] : 1;
            if (da != db && da != 1 && db != 1)
                return Error{"input " + str(static_cast<int64_t>(k)) + " has shape " + b.toString() +
                             ", which does not broadcast with " + out.toString() +
                             "; each axis must match or be 1"};
            r.push(std::max(da, db));
        }
        out = r;
    }
    return out;
}

int64_t normAxesElements(const Shape& x, int64_t axes)
{
    int64_t n = 1;
    for (int i = x.rank() - static_cast<int>(axes); i < x.rank(); ++i)
        n *= x[i];
    return n;
}

} // namespace

Padding resolvePadding(const LayerParams& p, int64_t h, int64_t w)
{
    if (!p.padSame)
        return {p.pt, p.pb, p.pl, p.pr};
    // "same" (ONNX SAME_UPPER): out = ceil(in / s); the odd pixel of padding goes to the end.
    auto axis = [](int64_t in, int64_t k, int64_t s, int64_t d, int64_t& a, int64_t& b) {
        int64_t out = (in + s - 1) / s;
        int64_t keff = d * (k - 1) + 1;
        int64_t total = std::max<int64_t>((out - 1) * s + keff - in, 0);
        a = total / 2;
        b = total - a;
    };
    Padding r;
    axis(h, p.kh, p.sh, p.dh, r.top, r.bottom);
    axis(w, p.kw, p.sw, p.dw, r.left, r.right);
    return r;
}

bool isView(LayerType t)
{
    return t == LayerType::Flatten || t == LayerType::Dropout || t == LayerType::Reshape ||
           t == LayerType::ClassTokenSelect;
}

bool canRunInPlace(LayerType t, const LayerParams& p) { return isActivation(t) && p.inplace != 0; }

int64_t activationOpsPerElement(LayerType t)
{
    switch (t) {
    case LayerType::ReLU: return 1;      // max
    case LayerType::ReLU6: return 2;     // max, min
    case LayerType::LeakyReLU: return 2; // mul, max
    case LayerType::Sigmoid: return 3;   // exp, add, div
    case LayerType::Tanh: return 5;      // 2·sigmoid(2x) − 1
    case LayerType::SiLU: return 4;      // sigmoid, mul
    case LayerType::HardSwish: return 5; // add, max, min, mul, div
    case LayerType::GELU: return 5;      // div, erf, add, mul, mul
    case LayerType::Softmax: return 5;   // max, sub, exp, sum, div
    default: return 0;
    }
}

int64_t normOpsPerElement(LayerType t, bool affine)
{
    return (t == LayerType::BatchNorm ? 2 : 5) + (affine ? 2 : 0);
}

Result<Shape> inferShape(LayerType t, const LayerParams& p, std::span<const Shape> in)
{
    for (size_t i = 0; i < in.size(); ++i)
        for (int64_t d : in[i])
            if (d <= 0)
                return Error{"input " + str(static_cast<int64_t>(i)) + " has a non-positive size " +
                             in[i].toString()};
    switch (t) {
    case LayerType::Input: {
        if (p.dims.empty())
            return Error{"shape is empty; give at least one dimension, e.g. 3,224,224"};
        for (int64_t d : p.dims)
            if (d <= 0)
                return Error{"shape " + p.dims.toString() + " has a size ≤ 0; every dimension must be positive"};
        if (!p.dims.elements())
            return overflow("input size");
        return p.dims;
    }
    case LayerType::Linear: {
        const Shape& x = in[0];
        if (x.empty())
            return Error{"expects an input with at least one axis"};
        Shape o = x;
        o[o.rank() - 1] = p.features;
        if (!o.elements())
            return overflow("output size");
        return o;
    }
    case LayerType::Conv2d:
        return convShape(p, in[0], p.features, p.groups, false);
    case LayerType::DepthwiseConv2d: {
        if (in[0].rank() != 3)
            return Error{"expects a C×H×W input, got " + in[0].toString()};
        auto oc = checkedMul(in[0][0], p.multiplier);
        if (!oc)
            return overflow("output channels");
        return convShape(p, in[0], *oc, in[0][0], true);
    }
    case LayerType::MaxPool2d:
    case LayerType::AvgPool2d:
        return poolShape(p, in[0]);
    case LayerType::GlobalAvgPool:
        if (auto s = expectRank(in[0], 3, "C×H×W"); !s)
            return Error{s.error()};
        return Shape{in[0][0], 1, 1};
    case LayerType::AdaptiveAvgPool2d:
        if (auto s = expectRank(in[0], 3, "C×H×W"); !s)
            return Error{s.error()};
        return Shape{in[0][0], p.outH, p.outW};
    case LayerType::BatchNorm:
        if (in[0].empty())
            return Error{"expects an input with a channel axis"};
        return in[0];
    case LayerType::LayerNorm:
        if (p.normAxes > in[0].rank())
            return Error{"normalises " + str(p.normAxes) + " trailing axes but the input " + in[0].toString() +
                         " has only " + str(in[0].rank())};
        return in[0];
    case LayerType::InstanceNorm:
        if (in[0].rank() < 2)
            return Error{"expects a C×H×W (or C×L) input, got " + in[0].toString()};
        return in[0];
    case LayerType::GroupNorm:
        if (in[0].empty())
            return Error{"expects an input with a channel axis"};
        if (in[0][0] % p.numGroups != 0)
            return Error{"channels " + str(in[0][0]) + " are not divisible by num_groups " + str(p.numGroups) +
                         "; choose groups that divide " + str(in[0][0])};
        return in[0];
    case LayerType::ReLU:
    case LayerType::ReLU6:
    case LayerType::LeakyReLU:
    case LayerType::Sigmoid:
    case LayerType::Tanh:
    case LayerType::SiLU:
    case LayerType::HardSwish:
    case LayerType::GELU:
    case LayerType::Dropout:
        return in[0];
    case LayerType::Softmax: {
        int64_t r = in[0].rank();
        if (p.axis < -r || p.axis >= r)
            return Error{"axis " + str(p.axis) + " is out of range for input " + in[0].toString()};
        return in[0];
    }
    case LayerType::Add:
        for (size_t i = 1; i < in.size(); ++i)
            if (!(in[i] == in[0]))
                return Error{"input " + str(static_cast<int64_t>(i)) + " has shape " + in[i].toString() +
                             " but input 0 has " + in[0].toString() +
                             "; an Add needs identical shapes (match channels and stride on both paths)"};
        return in[0];
    case LayerType::Multiply:
        return broadcast(in);
    case LayerType::Concat: {
        Shape o = in[0];
        for (size_t i = 1; i < in.size(); ++i) {
            bool same = in[i].rank() == o.rank();
            for (int a = 1; same && a < o.rank(); ++a)
                same = in[i][a] == o[a];
            if (!same || o.empty())
                return Error{"input " + str(static_cast<int64_t>(i)) + " has shape " + in[i].toString() +
                             ", which cannot be concatenated with " + in[0].toString() +
                             " along channels; all axes but the first must match"};
            auto c = checkedAdd(o[0], in[i][0]);
            if (!c)
                return overflow("channel count");
            o[0] = *c;
        }
        return o;
    }
    case LayerType::Flatten: {
        auto n = in[0].elements();
        if (!n)
            return overflow("flattened size");
        return Shape{*n};
    }
    case LayerType::Reshape: {
        auto n = in[0].elements();
        if (!n)
            return overflow("input size");
        int inferred = -1;
        int64_t known = 1;
        for (int i = 0; i < p.dims.rank(); ++i) {
            if (p.dims[i] == -1) {
                if (inferred >= 0)
                    return Error{"shape " + p.dims.toString() + " has more than one −1"};
                inferred = i;
            } else if (p.dims[i] <= 0) {
                return Error{"shape " + p.dims.toString() + " has a size ≤ 0 other than −1"};
            } else {
                auto m = checkedMul(known, p.dims[i]);
                if (!m)
                    return overflow("target shape");
                known = *m;
            }
        }
        Shape o = p.dims;
        if (inferred >= 0) {
            if (*n % known != 0)
                return Error{"cannot reshape " + in[0].toString() + " (" + str(*n) + " elements) to " +
                             p.dims.toString()};
            o[inferred] = *n / known;
        } else if (known != *n) {
            return Error{"cannot reshape " + in[0].toString() + " (" + str(*n) + " elements) to " +
                         p.dims.toString() + " (" + str(known) + " elements)"};
        }
        if (o.empty())
            return Error{"shape is empty"};
        return o;
    }
    case LayerType::Opaque:
        for (int64_t d : p.dims)
            if (d <= 0)
                return Error{"output shape " + p.dims.toString() + " is unknown or not positive"};
        if (p.dims.empty() || !p.dims.elements())
            return Error{"output shape is empty or too large"};
        return p.dims;
    case LayerType::PatchEmbed: {
        const Shape& x = in[0];
        if (auto s = expectRank(x, 3, "C×H×W"); !s)
            return Error{s.error()};
        if (x[1] % p.patch != 0 || x[2] % p.patch != 0)
            return Error{"input " + str(x[1]) + "×" + str(x[2]) + " is not a multiple of patch " + str(p.patch) +
                         "; resize the input or change the patch size"};
        auto tokens = checkedMul(x[1] / p.patch, x[2] / p.patch);
        if (!tokens)
            return overflow("token count");
        return Shape{*tokens + (p.classToken ? 1 : 0), p.features};
    }
    case LayerType::ClassTokenSelect:
        if (auto s = expectRank(in[0], 2, "T×D token"); !s)
            return Error{s.error()};
        return Shape{in[0][1]};
    case LayerType::MultiHeadAttention: {
        if (auto s = expectRank(in[0], 2, "T×D token"); !s)
            return Error{s.error()};
        if (in[0][1] % p.heads != 0)
            return Error{"embedding dim " + str(in[0][1]) + " is not divisible by heads " + str(p.heads) +
                         "; choose heads that divide it"};
        return in[0];
    }
    case LayerType::Mlp: {
        if (in[0].empty())
            return Error{"expects an input with at least one axis"};
        Shape o = in[0];
        if (p.features > 0)
            o[o.rank() - 1] = p.features;
        return o;
    }
    }
    return Error{"unknown layer type"};
}

Result<LayerCosts> layerCosts(LayerType t, const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    LayerCosts c;
    auto outN = out.elements();
    if (!outN)
        return overflow("output size");
    int64_t on = *outN;
    auto fail = [](const char* what) { return Result<LayerCosts>(overflow(what)); };

    switch (t) {
    case LayerType::Input:
    case LayerType::Flatten:
    case LayerType::Dropout:
    case LayerType::Reshape:
    case LayerType::Opaque:
    case LayerType::ClassTokenSelect:
    case LayerType::Concat:
        return c;
    case LayerType::Linear: {
        int64_t inF = in[0].back();
        int64_t rows = on / p.features;
        auto w = checkedMul(inF, p.features);
        auto m = w ? checkedMul(*w, rows) : std::nullopt;
        if (!w || !m)
            return fail("parameter or MAC count");
        c.params = *w + (p.bias ? p.features : 0);
        c.macs = *m;
        c.otherOps = p.bias ? on : 0;
        return c;
    }
    case LayerType::Conv2d:
    case LayerType::DepthwiseConv2d: {
        int64_t cinPerGroup = t == LayerType::Conv2d ? in[0][0] / p.groups : 1;
        int64_t co = out[0];
        auto w = mulAll({co, cinPerGroup, p.kh, p.kw});
        if (!w)
            return fail("parameter count");
        auto m = checkedMul(*w, out[1] * out[2]);
        if (!m)
            return fail("MAC count");
        c.params = *w + (p.bias ? co : 0);
        c.macs = *m;
        c.otherOps = p.bias ? on : 0;
        return c;
    }
    case LayerType::MaxPool2d:
    case LayerType::AvgPool2d: {
        auto o = checkedMul(on, p.kh * p.kw);
        if (!o)
            return fail("operation count");
        c.otherOps = *o;
        return c;
    }
    case LayerType::GlobalAvgPool:
        c.otherOps = *in[0].elements();
        return c;
    case LayerType::AdaptiveAvgPool2d: {
        // Sum of window sizes: window i spans [floor(i·in/out), ceil((i+1)·in/out)).
        auto windows = [](int64_t inLen, int64_t outLen) {
            int64_t sum = 0;
            for (int64_t i = 0; i < outLen; ++i) {
                int64_t a = (i * inLen) / outLen;
                int64_t b = ((i + 1) * inLen + outLen - 1) / outLen;
                sum += b - a;
            }
            return sum;
        };
        if (p.outH > (int64_t(1) << 24) || p.outW > (int64_t(1) << 24))
            return Error{"adaptive output size is too large"};
        auto o = mulAll({in[0][0], windows(in[0][1], p.outH), windows(in[0][2], p.outW)});
        if (!o)
            return fail("operation count");
        c.otherOps = *o;
        return c;
    }
    case LayerType::BatchNorm:
    case LayerType::InstanceNorm:
    case LayerType::GroupNorm: {
        int64_t ch = in[0][0];
        c.params = p.affine ? 2 * ch : 0;
        if (t == LayerType::BatchNorm)
            c.state = p.trackStats ? 2 * ch : 0;
        int64_t per = normOpsPerElement(t, p.affine != 0);
        auto o = checkedMul(on, per);
        if (!o)
            return fail("operation count");
        c.otherOps = *o;
        return c;
    }
    case LayerType::LayerNorm: {
        int64_t n = normAxesElements(in[0], p.normAxes);
        c.params = p.affine ? 2 * n : 0;
        auto o = checkedMul(on, normOpsPerElement(t, p.affine != 0));
        if (!o)
            return fail("operation count");
        c.otherOps = *o;
        return c;
    }
    case LayerType::ReLU:
    case LayerType::ReLU6:
    case LayerType::LeakyReLU:
    case LayerType::Sigmoid:
    case LayerType::Tanh:
    case LayerType::SiLU:
    case LayerType::HardSwish:
    case LayerType::GELU:
    case LayerType::Softmax: {
        auto o = checkedMul(on, activationOpsPerElement(t));
        if (!o)
            return fail("operation count");
        c.otherOps = *o;
        return c;
    }
    case LayerType::Add:
    case LayerType::Multiply: {
        auto o = checkedMul(on, static_cast<int64_t>(in.size()) - 1);
        if (!o)
            return fail("operation count");
        c.otherOps = *o;
        return c;
    }
    case LayerType::PatchEmbed: {
        int64_t cin = in[0][0];
        int64_t grid = (in[0][1] / p.patch) * (in[0][2] / p.patch);
        int64_t tokens = out[0], d = out[1];
        auto w = mulAll({d, cin, p.patch, p.patch});
        if (!w)
            return fail("parameter count");
        auto m = checkedMul(*w, grid);
        auto pos = checkedMul(tokens, d);
        if (!m || !pos)
            return fail("MAC count");
        c.params = *w + (p.bias ? d : 0) + (p.classToken ? d : 0) + (p.posEmbed ? *pos : 0);
        c.macs = *m;
        c.otherOps = (p.bias ? grid * d : 0) + (p.posEmbed ? *pos : 0);
        return c;
    }
    case LayerType::MultiHeadAttention: {
        int64_t tok = in[0][0], d = in[0][1];
        auto dd = checkedMul(d, d);
        auto tt = checkedMul(tok, tok);
        if (!dd || !tt)
            return fail("attention size");
        auto proj = mulAll({4, tok, *dd});    // Q, K, V and output projections
        auto attn = mulAll({2, *tt, d});      // Q·Kᵀ and A·V over all heads (heads·T·T·(D/heads) each)
        auto map = checkedMul(p.heads, *tt);  // attention map elements
        if (!proj || !attn || !map)
            return fail("MAC count");
        auto macs = checkedAdd(*proj, *attn);
        auto p4 = checkedMul(4, *dd);
        if (!macs || !p4)
            return fail("MAC count");
        c.params = *p4 + (p.bias ? 4 * d : 0);
        c.macs = *macs;
        // scale + softmax on the map; bias adds on the four projections.
        c.otherOps = 6 * *map + (p.bias ? 4 * tok * d : 0);
        c.workspace = 4 * tok * d + *map; // Q, K, V, merged heads, and the attention map
        return c;
    }
    case LayerType::Mlp: {
        int64_t d = in[0].back();
        int64_t rows = *in[0].elements() / d;
        int64_t o = out.back();
        auto w1 = checkedMul(d, p.hidden);
        auto w2 = checkedMul(p.hidden, o);
        if (!w1 || !w2)
            return fail("parameter count");
        auto m = checkedMul(rows, *w1 + *w2);
        auto hid = checkedMul(rows, p.hidden);
        if (!m || !hid)
            return fail("MAC count");
        c.params = *w1 + *w2 + (p.bias ? p.hidden + o : 0);
        c.macs = *m;
        c.otherOps = activationOpsPerElement(LayerType::GELU) * *hid + (p.bias ? *hid + rows * o : 0);
        c.workspace = *hid;
        return c;
    }
    }
    return c;
}

ReceptiveField receptiveField(LayerType t, const LayerParams& p, std::span<const ReceptiveField> in,
                              std::span<const Shape> inShapes, const Shape& out)
{
    if (t == LayerType::Input) {
        ReceptiveField r;
        if (p.dims.rank() == 3) {
            r.valid = true;
            r.extent[0] = p.dims[1];
            r.extent[1] = p.dims[2];
        }
        return r;
    }
    if (in.empty() || !in[0].valid)
        return {};

    // Joins: the output unit sees the union of its inputs' fields; report the largest, taking the
    // whole description (jump, start and extent too) from that path so later layers stay consistent.
    ReceptiveField r = in[0];
    for (size_t i = 1; i < in.size(); ++i) {
        if (!in[i].valid)
            continue;
        for (int a = 0; a < 2; ++a) {
            if (in[i].size[a] > r.size[a]) {
                r.size[a] = in[i].size[a];
                r.jump[a] = in[i].jump[a];
                r.start[a] = in[i].start[a];
                r.extent[a] = in[i].extent[a];
            }
        }
    }
    auto makeGlobal = [&](int a) {
        r.size[a] += (r.extent[a] - 1) * r.jump[a];
        r.start[a] += static_cast<double>(r.extent[a] - 1) * static_cast<double>(r.jump[a]) / 2.0;
        r.jump[a] *= r.extent[a];
        r.extent[a] = 1;
    };
    // Sliding window: r' = r + (k_eff − 1)·j, j' = j·s, start' = start + ((k_eff − 1)/2 − pad)·j.
    auto window = [&](int a, int64_t k, int64_t s, int64_t d, int64_t padBefore, int64_t outLen) {
        int64_t keff = d * (k - 1) + 1;
        r.start[a] += (static_cast<double>(keff - 1) / 2.0 - static_cast<double>(padBefore)) *
                      static_cast<double>(r.jump[a]);
        r.size[a] += (keff - 1) * r.jump[a];
        r.jump[a] *= s;
        r.extent[a] = outLen;
    };

    switch (t) {
    case LayerType::Conv2d:
    case LayerType::DepthwiseConv2d:
    case LayerType::MaxPool2d:
    case LayerType::AvgPool2d: {
        bool conv = t == LayerType::Conv2d || t == LayerType::DepthwiseConv2d;
        Padding pad = conv ? resolvePadding(p, inShapes[0][1], inShapes[0][2]) : Padding{p.pt, p.pb, p.pl, p.pr};
        window(0, p.kh, p.sh, conv ? p.dh : 1, pad.top, out[1]);
        window(1, p.kw, p.sw, conv ? p.dw : 1, pad.left, out[2]);
        return r;
    }
    case LayerType::PatchEmbed:
        window(0, p.patch, p.patch, 1, 0, inShapes[0][1] / p.patch);
        window(1, p.patch, p.patch, 1, 0, inShapes[0][2] / p.patch);
        return r;
    case LayerType::AdaptiveAvgPool2d: {
        // Exact when the input divides evenly (then it is a plain pooling); otherwise the largest window.
        for (int a = 0; a < 2; ++a) {
            int64_t inLen = inShapes[0][a + 1], outLen = a == 0 ? p.outH : p.outW;
            int64_t k = (inLen + outLen - 1) / outLen + (inLen % outLen ? 1 : 0);
            int64_t s = std::max<int64_t>(inLen / outLen, 1);
            window(a, std::min(k, inLen), s, 1, 0, outLen);
        }
        return r;
    }
    case LayerType::GlobalAvgPool:
    case LayerType::InstanceNorm:
    case LayerType::GroupNorm:
    case LayerType::MultiHeadAttention:
        makeGlobal(0);
        makeGlobal(1);
        return r;
    case LayerType::LayerNorm:
        // Normalising over spatial axes mixes every position.
        if (inShapes[0].rank() == 3 && p.normAxes >= 2) {
            makeGlobal(0);
            makeGlobal(1);
        } else if (inShapes[0].rank() == 3) {
            makeGlobal(1);
        }
        return r;
    case LayerType::Linear:
    case LayerType::Mlp:
        if (inShapes[0].rank() == 1) { // a flattened map: every output sees every position
            makeGlobal(0);
            makeGlobal(1);
        } else if (inShapes[0].rank() == 3) { // acts along W
            makeGlobal(1);
        }
        return r;
    case LayerType::Softmax: {
        int rank = inShapes[0].rank();
        int64_t ax = p.axis < 0 ? p.axis + rank : p.axis;
        if (rank == 3 && ax >= 1)
            makeGlobal(static_cast<int>(ax - 1));
        else if (rank == 1)
            makeGlobal(0), makeGlobal(1);
        return r;
    }
    case LayerType::Reshape:
    case LayerType::Opaque:
        // A reshape that keeps a C×H×W layout keeps the field; anything else loses spatial meaning.
        if (out.rank() == 3 && inShapes[0].rank() == 3 && out[1] == inShapes[0][1] && out[2] == inShapes[0][2])
            return r;
        if (out.rank() <= 2 && t == LayerType::Reshape)
            return r;
        return {};
    default:
        return r;
    }
}

} // namespace nc::core
