// KindSupport: shared builders and checked arithmetic for the layer kinds.
#include "KindSupport.h"

#include "core/BitWidth.h"
#include "core/RfSteps.h"

#include <algorithm>
#include <charconv>

namespace nc::core {

void RfBuilder::window(int a, int64_t k, int64_t s, int64_t d, int64_t padBefore, int64_t outLen)
{
    if (trace)
        trace->push_back({RfStep::Kind::Window, a, k, s, d, padBefore, r.extent[a], outLen});
    int64_t keff = d * (k - 1) + 1;
    r.start[a] += (static_cast<double>(keff - 1) / 2.0 - static_cast<double>(padBefore)) *
                  static_cast<double>(r.jump[a]);
    auto grow = checkedMul(keff - 1, r.jump[a]);
    auto size = grow ? checkedAdd(r.size[a], *grow) : std::nullopt;
    auto jump = checkedMul(r.jump[a], s);
    // The units together see at most what the input's units saw, plus the padding on both sides.
    const int64_t padAfter = std::max<int64_t>((outLen - 1) * s + keff - padBefore - inExtent(a), 0);
    auto padded = checkedMul(padBefore + padAfter, r.jump[a]);
    auto reachIn = padded ? checkedAdd(r.reach[a], *padded) : std::nullopt;
    auto spread = jump ? checkedMul(outLen - 1, *jump) : std::nullopt;
    auto reachOut = size && spread ? checkedAdd(*size, *spread) : std::nullopt;
    if (!size || !jump || !reachIn || !reachOut) {
        overflow = true;
        return;
    }
    r.reach[a] = std::min(*reachIn, *reachOut);
    r.size[a] = std::min(*size, r.reach[a]);
    r.jump[a] = *jump;
    r.extent[a] = outLen;
}

void RfBuilder::global(int a)
{
    if (trace)
        trace->push_back({RfStep::Kind::Global, a, 1, 1, 1, 0, r.extent[a], 1});
    auto grow = checkedMul(r.extent[a] - 1, r.jump[a]);
    auto size = grow ? checkedAdd(r.size[a], *grow) : std::nullopt;
    auto jump = checkedMul(r.jump[a], r.extent[a]);
    if (!size || !jump) {
        overflow = true;
        return;
    }
    r.start[a] += static_cast<double>(r.extent[a] - 1) * static_cast<double>(r.jump[a]) / 2.0;
    // Every unit sees all the input's units see together, and no more: after a residual join with
    // a global path the size already is the whole reach, and a second global operation adds nothing.
    r.size[a] = std::min(*size, r.reach[a]);
    r.jump[a] = *jump;
    r.extent[a] = 1;
}

namespace kinds {

AttrSpec intAttr(std::string_view key, std::string_view label, int64_t P::*f, double lo, double hi,
                 std::string_view help)
{
    AttrSpec a;
    a.key = key;
    a.label = label;
    a.kind = AttrKind::Int;
    a.intField = f;
    a.min = lo;
    a.max = hi;
    a.help = help;
    return a;
}

AttrSpec boolAttr(std::string_view key, std::string_view label, int64_t P::*f, std::string_view help)
{
    AttrSpec a = intAttr(key, label, f, 0, 1, help);
    a.kind = AttrKind::Bool;
    return a;
}

AttrSpec enumAttr(std::string_view key, std::string_view label, int64_t P::*f, std::vector<std::string_view> labels,
                  std::string_view help)
{
    AttrSpec a = intAttr(key, label, f, 0, static_cast<double>(labels.size() - 1), help);
    a.kind = AttrKind::Enum;
    a.enumLabels = std::move(labels);
    return a;
}

AttrSpec floatAttr(std::string_view key, std::string_view label, double P::*f, double lo, double hi,
                   std::string_view help)
{
    AttrSpec a;
    a.key = key;
    a.label = label;
    a.kind = AttrKind::Float;
    a.floatField = f;
    a.min = lo;
    a.max = hi;
    a.help = help;
    return a;
}

AttrSpec dimsAttr(std::string_view key, std::string_view label, std::string_view help, bool allowInferred)
{
    AttrSpec a;
    a.key = key;
    a.label = label;
    a.kind = AttrKind::Dims;
    a.help = help;
    a.allowInferred = allowInferred;
    return a;
}

AttrSpec bitsAttr()
{
    AttrSpec a = intAttr("bits", "Bit width override", &P::bits, 0, 32,
                         "0 follows the network's bit width; 32, 16, 8 or 4 overrides it for this layer");
    a.choices = {{0, "Network setting"}};
    for (const BitWidth& b : kBitWidths)
        a.choices.emplace_back(b.bits, b.label);
    return a;
}

AttrSpec inplaceAttr()
{
    return boolAttr("inplace", "In place", &P::inplace,
                    "overwrite the input: stores no new tensor when it is the input's only consumer");
}

std::vector<AttrSpec> kernelAttrs(bool withDilation)
{
    std::vector<AttrSpec> v{
        intAttr("kernel_h", "Kernel height", &P::kh, 1, 1e6),
        intAttr("kernel_w", "Kernel width", &P::kw, 1, 1e6),
        intAttr("stride_h", "Stride H", &P::sh, 1, 1e6),
        intAttr("stride_w", "Stride W", &P::sw, 1, 1e6),
        intAttr("pad_top", "Padding top", &P::pt, 0, 1e6),
        intAttr("pad_bottom", "Padding bottom", &P::pb, 0, 1e6),
        intAttr("pad_left", "Padding left", &P::pl, 0, 1e6),
        intAttr("pad_right", "Padding right", &P::pr, 0, 1e6),
    };
    if (withDilation) {
        for (AttrSpec& a : v)
            if (a.key.substr(0, 4) == "pad_")
                a.ignoredWhen = "pad_same";
        v.push_back(boolAttr("pad_same", "Padding \"same\"", &P::padSame,
                             "choose padding so that out = ceil(in / stride); extra padding goes to the bottom/right"));
        v.push_back(enumAttr("pad_mode", "Padding mode", &P::padMode, {"zeros", "reflect", "replicate"}));
        v.push_back(intAttr("dilation_h", "Dilation H", &P::dh, 1, 1e6));
        v.push_back(intAttr("dilation_w", "Dilation W", &P::dw, 1, 1e6));
    }
    return v;
}

std::vector<AttrSpec> concat(std::vector<AttrSpec> a, const std::vector<AttrSpec>& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

LayerSpec makeSpec(LayerType t, std::string_view key, std::string_view label, Category c, std::string_view doc,
                   std::vector<AttrSpec> attrs, LayerParams defaults, int fixedInputs)
{
    LayerSpec s;
    s.type = t;
    s.key = key;
    s.label = label;
    s.category = c;
    s.doc = doc;
    s.attrs = std::move(attrs);
    s.defaults = defaults;
    s.fixedInputs = fixedInputs;
    return s;
}

PaletteEntry paletteEntry(const LayerSpec& s, std::string_view label, std::string_view help)
{
    return paletteEntry(s, label, s.defaults, help);
}

PaletteEntry paletteEntry(const LayerSpec& s, std::string_view label, LayerParams params, std::string_view help)
{
    return {label, s.category, s.type, params, help};
}

std::string str(int64_t v) { return std::to_string(v); }

Error overflow(const char* what) { return Error{std::string(what) + " overflows 64 bits; reduce the sizes"}; }

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

Result<int64_t> windowOut(int64_t in, int64_t k, int64_t s, int64_t d, int64_t padA, int64_t padB, bool ceilMode,
                          const char* axis)
{
    auto keffM = checkedMul(d, k - 1);
    if (!keffM)
        return overflow("dilated kernel size");
    int64_t keff = *keffM + 1;
    auto pads = checkedAdd(padA, padB);
    auto padded = pads ? checkedAdd(in, *pads) : std::nullopt;
    if (!padded || padA < 0 || padB < 0)
        return overflow("padded input size");
    if (keff > *padded) {
        std::string k1 = d > 1 ? "dilated kernel " + str(keff) + " (" + str(k) + " with dilation " + str(d) + ")"
                               : "kernel " + str(k);
        return Error{k1 + " exceeds padded input " + str(*padded) + " on axis " + axis +
                     "; use a smaller kernel or more padding"};
    }
    int64_t span = *padded - keff;
    int64_t out = (ceilMode ? span / s + (span % s != 0) : span / s) + 1;
    // PyTorch's ceil-mode rule: the last window must start inside the input or left padding.
    if (ceilMode && (out - 1) * s >= in + padA)
        --out;
    return out;
}

namespace {

// GCC and Clang on every target we build; 128 bits hold the products of two 64-bit sizes.
__extension__ typedef __int128 Wide;

// Σ_{i=0}^{n−1} ⌊(a·i + b)/m⌋ for n, a, b ≥ 0 and m ≥ 1. Each round takes the whole multiples of m out
// of a and b, then counts the same lattice points under the line with the axes swapped, which
// shrinks (m, a) as Euclid's algorithm does.
Wide floorSum(Wide n, Wide m, Wide a, Wide b)
{
    Wide sum = 0;
    while (n > 0) {
        if (a >= m) {
            sum += (a / m) * (n * (n - 1) / 2);
            a %= m;
        }
        if (b >= m) {
            sum += (b / m) * n;
            b %= m;
        }
        const Wide top = a * n + b;
        if (top < m)
            break;
        n = top / m;
        b = top % m;
        std::swap(m, a);
    }
    return sum;
}

Wide ceilDiv(Wide x, Wide y) { return x > 0 ? (x + y - 1) / y : -((-x) / y); }

// #{(p, t) ∈ [0, P) × [0, k): p·s + t·d < x}. Tap t reaches ⌈(x − t·d)/s⌉ positions, capped at P:
// taps below t0 reach all P, taps from T on none, and the ones between sum as a floor sum (indexed
// from the last so that its slope d is positive).
Wide pairsBelow(Wide P, Wide k, Wide s, Wide d, Wide x)
{
    if (x <= 0 || P <= 0 || k <= 0)
        return 0;
    const Wide T = std::min(k, ceilDiv(x, d));
    const Wide t0 = std::clamp(ceilDiv(x - P * s, d), Wide(0), T);
    return P * t0 + floorSum(T - t0, s, d, x - (T - 1) * d + s - 1);
}

} // namespace

int64_t tapsInside(int64_t positions, int64_t k, int64_t s, int64_t d, int64_t padBefore, int64_t extent)
{
    if (positions <= 0 || k <= 0 || s <= 0 || d <= 0)
        return 0;
    const Wide P = positions, K = k;
    // Pairs past the end, counted from the last index (P − 1)·s + (k − 1)·d − padBefore backwards.
    const Wide last = (P - 1) * s + (K - 1) * d - padBefore;
    const Wide inside = P * K - pairsBelow(P, K, s, d, padBefore) - pairsBelow(P, K, s, d, last - extent + 1);
    return static_cast<int64_t>(std::clamp(inside, Wide(0), P * K));
}

int64_t paddingMacsOf(int64_t macs, int64_t channels, const std::vector<TapCount>& axes)
{
    int64_t inside = channels;
    for (const TapCount& a : axes)
        inside *= a.inside;
    return macs - inside;
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

Result<LayerCosts> elementwiseCosts(const Shape& out, int64_t perElement)
{
    LayerCosts c;
    auto n = out.elements();
    auto o = n ? checkedMul(*n, perElement) : std::nullopt;
    if (!o)
        return overflow("operation count");
    c.otherOps = *o;
    return c;
}

Result<Shape> sameShape(const LayerParams&, std::span<const Shape> in) { return in[0]; }

void rfPassThrough(const LayerParams&, RfBuilder&) {}

void rfGlobal(const LayerParams&, RfBuilder& b) { b.globalBoth(); }

Result<Shape> globalPoolShape(const LayerParams&, std::span<const Shape> in)
{
    const Shape& x = in[0];
    if (x.rank() < 2 || x.rank() > 4)
        return Error{"expects a C×L, C×H×W or C×D×H×W input, got " + x.toString()};
    Shape o{x[0]};
    for (int i = 1; i < x.rank(); ++i)
        o.push(1);
    return o;
}

Result<LayerCosts> globalPoolCosts(const LayerParams&, std::span<const Shape> in, const Shape&)
{
    LayerCosts c;
    c.otherOps = *in[0].elements();
    return c;
}

void rfGlobalPool(const LayerParams&, RfBuilder& b)
{
    if (b.inShapes[0].rank() == 2)
        b.global(1); // a 1-D field runs along W
    else
        b.globalBoth();
}

void rfLastAxis(const LayerParams&, RfBuilder& b)
{
    if (b.inShapes[0].rank() == 1)
        b.globalBoth();
    else if (b.inShapes[0].rank() == 3)
        b.global(1);
}

std::string pyNum(double v)
{
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, r.ptr);
    if (s.find_first_of(".einf") == std::string::npos)
        s += ".0";
    return s;
}

std::string pyInt(int64_t v) { return std::to_string(v); }

std::string pyPair(int64_t a, int64_t b) { return a == b ? pyInt(a) : "(" + pyInt(a) + ", " + pyInt(b) + ")"; }

std::string pyJoin(const std::vector<std::string>& parts, const std::string& sep)
{
    std::string s;
    for (size_t k = 0; k < parts.size(); ++k)
        s += (k ? sep : "") + parts[k];
    return s;
}

KernelSub kernelSub(kernels::OpKind kind, std::vector<int> sources)
{
    KernelSub s;
    s.op.kind = kind;
    s.sources = std::move(sources);
    return s;
}

KernelPlan singleKernel(kernels::KernelOp op)
{
    KernelPlan p;
    KernelSub s;
    s.op = std::move(op);
    s.sources = {-1};
    p.subs.push_back(std::move(s));
    return p;
}

kernels::PadMode kernelPadMode(int64_t m)
{
    return m == 1 ? kernels::PadMode::Reflect : m == 2 ? kernels::PadMode::Replicate : kernels::PadMode::Zeros;
}

std::string onnxLinear(OnnxBuilder& b, const std::string& prefix, const std::string& x, int64_t in, int64_t out,
                       bool bias, int inRank, const std::string& y)
{
    using F = OnnxBuilder::Fill;
    if (inRank == 1) {
        std::vector<std::string> ins{x, b.weight(prefix + ".weight", {out, in}, F::Random, in)};
        if (bias)
            ins.push_back(b.weight(prefix + ".bias", {out}, F::Random, in));
        b.attr(b.node("Gemm", ins, y, prefix), "transB", int64_t{1});
        return y;
    }
    std::string w = b.weight(prefix + ".weight", {in, out}, F::Random, in);
    if (!bias) {
        b.node("MatMul", {x, w}, y, prefix); // one node: it carries the layer's name
        return y;
    }
    std::string mm = b.fresh(prefix + "/MatMul_output");
    b.node("MatMul", {x, w}, mm, prefix + "/MatMul");
    b.node("Add", {mm, b.weight(prefix + ".bias", {out}, F::Random, in)}, y, prefix + "/Add");
    return y;
}

std::string onnxGelu(OnnxBuilder& b, const std::string& prefix, const std::string& x, const std::string& y)
{
    std::string d = b.fresh(prefix + "/Div_output"), e = b.fresh(prefix + "/Erf_output"),
                a = b.fresh(prefix + "/Add_output"), m = b.fresh(prefix + "/Mul_output");
    b.node("Div", {x, b.scalar(prefix + "/sqrt2", 1.4142135381698608f)}, d, prefix + "/Div");
    b.node("Erf", {d}, e, prefix + "/Erf");
    b.node("Add", {e, b.scalar(prefix + "/one", 1.0f)}, a, prefix + "/Add");
    b.node("Mul", {x, a}, m, prefix + "/Mul");
    b.node("Mul", {m, b.scalar(prefix + "/half", 0.5f)}, y, prefix + "/Mul_1");
    return y;
}

} // namespace kinds

} // namespace nc::core
