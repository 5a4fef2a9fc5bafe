// ConvolutionNd: convolution over 1 and 3 spatial axes (Conv1d, Conv3d) and transposed convolution
// (ConvTranspose1d, ConvTranspose2d).
//
// Axes: a 1-D kind reads C×L and uses the W hyper-parameters (kernel_w → "kernel", pad_left/right,
// ...); a 3-D kind reads C×D×H×W and adds the depth fields. The receptive field of a 1-D map is
// carried on the W axis (a C×L map is a C×1×L image); of a 3-D map on H and W (depth is not charted).
#include "ExplainWriter.h"
#include "KindSupport.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace nc::core::kinds {

namespace {

using W = ExplainWriter;

// One spatial axis of a window: kernel, stride, dilation, padding before/after, output padding.
struct Axis {
    int64_t k, s, d, pa, pb, op;
    const char* name;
};

// Spatial axes of the four kinds this file registers. Its facets are installed on those kinds only, so
// any other kind here is a registration bug: stop loudly rather than treat it as 2-D.
int spatialDims(LayerType t)
{
    if (t == LayerType::Conv1d || t == LayerType::ConvTranspose1d)
        return 1;
    if (t == LayerType::ConvTranspose2d)
        return 2;
    if (t == LayerType::Conv3d)
        return 3;
    std::fprintf(stderr, "ConvolutionNd facet called for layer kind %d\n", static_cast<int>(t));
    std::abort();
}


// "same" padding along one axis (ONNX SAME_UPPER, as resolvePadding does for H and W).
void samePad(int64_t in, int64_t k, int64_t s, int64_t d, int64_t& a, int64_t& b)
{
    int64_t out = (in + s - 1) / s;
    int64_t total = std::max<int64_t>((out - 1) * s + d * (k - 1) + 1 - in, 0);
    a = total / 2;
    b = total - a;
}

// The window of every spatial axis, padding resolved for the input `x` (C×spatial...).
std::vector<Axis> axesOf(const LayerParams& p, int nd, const Shape& x)
{
    std::vector<Axis> v;
    if (nd == 3)
        v.push_back({p.kd, p.sd, p.dd, p.pf, p.pk, 0, "D"});
    if (nd >= 2)
        v.push_back({p.kh, p.sh, p.dh, p.pt, p.pb, p.outPadH, "H"});
    v.push_back({p.kw, p.sw, p.dw, p.pl, p.pr, p.outPadW, "W"});
    if (p.padSame && x.rank() == nd + 1)
        for (int i = 0; i < nd; ++i)
            samePad(x[i + 1], v[size_t(i)].k, v[size_t(i)].s, v[size_t(i)].d, v[size_t(i)].pa, v[size_t(i)].pb);
    return v;
}

const char* layoutOf(int nd) { return nd == 1 ? "C×L" : nd == 2 ? "C×H×W" : "C×D×H×W"; }

Status checkGroups(int64_t c, int64_t outC, int64_t groups)
{
    if (c % groups != 0)
        return Error{"input channels " + str(c) + " are not divisible by groups " + str(groups) +
                     "; choose groups that divide " + str(c)};
    if (outC % groups != 0)
        return Error{"out_channels " + str(outC) + " are not divisible by groups " + str(groups) +
                     "; choose a multiple of " + str(groups)};
    return {};
}

// ---- convolution (1-D, 3-D) ----

Result<Shape> convShape(const LayerParams& p, std::span<const Shape> in, int nd)
{
    const Shape& x = in[0];
    if (auto s = expectRank(x, nd + 1, layoutOf(nd)); !s)
        return Error{s.error()};
    if (auto s = checkGroups(x[0], p.features, p.groups); !s)
        return Error{s.error()};
    Shape out{p.features};
    const std::vector<Axis> axes = axesOf(p, nd, x);
    for (int i = 0; i < nd; ++i) {
        const Axis& a = axes[size_t(i)];
        if (p.padMode == static_cast<int64_t>(PadMode::Reflect) && std::max(a.pa, a.pb) >= x[i + 1])
            return Error{std::string("reflect padding must be smaller than the input (") + str(x[i + 1]) +
                         " on axis " + a.name + "); use less padding or replicate mode"};
        auto o = windowOut(x[i + 1], a.k, a.s, a.d, a.pa, a.pb, false, a.name);
        if (!o)
            return Error{o.error()};
        out.push(*o);
    }
    return out;
}

Result<Shape> conv1dShape(const LayerParams& p, std::span<const Shape> in) { return convShape(p, in, 1); }
Result<Shape> conv3dShape(const LayerParams& p, std::span<const Shape> in) { return convShape(p, in, 3); }

int64_t kernelVolume(const LayerParams& p, int nd)
{
    return nd == 1 ? p.kw : nd == 2 ? p.kh * p.kw : p.kd * p.kh * p.kw;
}

// Per axis {taps, positions, taps inside} (tapsInside): a convolution's positions are its outputs
// and the extent its input; a transposed convolution's positions are its inputs and the extent its
// (cropped) output.
std::vector<TapCount> tapCounts(const std::vector<Axis>& axes, const Shape& positions,
                                               const Shape& extent)
{
    std::vector<TapCount> v;
    for (size_t i = 0; i < axes.size(); ++i) {
        const Axis& a = axes[i];
        v.push_back({a.k, positions[i + 1], tapsInside(positions[i + 1], a.k, a.s, a.d, a.pa, extent[i + 1])});
    }
    return v;
}

// Params = co·(ci/g)·Πk + co; MACs = co·(ci/g)·Πk·Πout (as Conv2d), of which paddingMacs multiply
// zero padding (only with zero padding: reflected or replicated taps read real values).
Result<LayerCosts> convCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out, int nd)
{
    const int64_t co = out[0];
    auto w = mulAll({co, in[0][0] / p.groups, nd == 3 ? p.kd : 1, nd >= 2 ? p.kh : 1, p.kw});
    if (!w)
        return overflow("parameter count");
    auto m = checkedMul(*w, *out.elements() / co);
    if (!m)
        return overflow("MAC count");
    LayerCosts c;
    c.params = *w + (p.bias ? co : 0);
    c.macs = *m;
    c.otherOps = p.bias ? *out.elements() : 0;
    if (p.padMode == static_cast<int64_t>(PadMode::Zeros))
        c.paddingMacs = paddingMacsOf(c.macs, co * (in[0][0] / p.groups), tapCounts(axesOf(p, nd, in[0]), out, in[0]));
    return c;
}
Result<LayerCosts> conv1dCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return convCosts(p, in, out, 1);
}
Result<LayerCosts> conv3dCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return convCosts(p, in, out, 3);
}

void conv1dRf(const LayerParams& p, RfBuilder& b)
{
    const Axis a = axesOf(p, 1, b.inShapes[0])[0];
    b.window(1, a.k, a.s, a.d, a.pa, b.out[1]);
}

void conv3dRf(const LayerParams& p, RfBuilder& b)
{
    const std::vector<Axis> a = axesOf(p, 3, b.inShapes[0]);
    b.window(0, a[1].k, a[1].s, a[1].d, a[1].pa, b.out[2]);
    b.window(1, a[2].k, a[2].s, a[2].d, a[2].pa, b.out[3]);
}

std::string kernelFactors(const LayerParams& p, int nd)
{
    return nd == 1 ? W::n(p.kw) : nd == 2 ? W::factors({p.kh, p.kw}) : W::factors({p.kd, p.kh, p.kw});
}

std::string outFactors(const Shape& o)
{
    std::string s;
    for (int i = 1; i < o.rank(); ++i)
        s += (i > 1 ? "·" : "") + W::n(o[i]);
    return s;
}

void convExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const int nd = spatialDims(L.node.type);
    const Shape& x = L.in[0];
    const Shape& o = L.o;
    const std::vector<Axis> axes = axesOf(p, nd, x);
    // Quantity keys: "ho"/"wo" are the H and W of a C×H×W output; 1-D and 3-D outputs have their own.
    static const char* labels[3] = {"do", "ho", "wo"};
    static const char* keys3[3] = {"out_d", "out_h", "out_w"};
    for (int i = 0; i < nd; ++i) {
        const Axis& a = axes[size_t(i)];
        const char* label = nd == 1 ? "lo" : labels[3 - nd + i];
        const char* key = nd == 1 ? "lo" : nd == 3 ? keys3[i] : label;
        L.eq(key, label, W::windowExpr(x[i + 1], a.pa, a.pb, a.k, a.d, a.s, false), o[i + 1]);
    }
    std::string w = W::n(o[0]) + "·(" + W::n(x[0]) + "/" + W::n(p.groups) + ")·" + kernelFactors(p, nd);
    L.eq("params", "params", w + (p.bias ? " + " + W::n(o[0]) : ""), L.r.params);
    L.eq("MACs", L.batchLabel("MACs"), L.timesBatch(w + "·" + outFactors(o)), L.r.macs);
    L.paddingMacs(W::n(o[0]) + "·(" + W::n(x[0]) + "/" + W::n(p.groups) + ")", tapCounts(axes, o, x));
    if (p.bias)
        L.eq("ops", L.batchLabel("bias adds"), L.timesBatch(W::dimsProduct(o)), L.r.otherOps);
    if (nd == 1)
        L.fieldWindow(1, p.kw, 1, p.dw, 1, p.sw);
    else
        L.fieldWindow(p.kh, p.kw, p.dh, p.dw, p.sh, p.sw);
}

std::string joinAxes(const std::vector<int64_t>& v)
{
    bool same = std::all_of(v.begin(), v.end(), [&](int64_t x) { return x == v[0]; });
    if (same)
        return W::n(v[0]);
    std::string s;
    for (size_t i = 0; i < v.size(); ++i)
        s += (i ? "×" : "") + W::n(v[i]);
    return s;
}

std::string ndSummary(const LayerParams& p, int nd, bool transpose)
{
    const std::vector<Axis> axes = axesOf(p, nd, Shape{});
    std::vector<int64_t> k, s, pa, pb, d, op;
    for (const Axis& a : axes) {
        k.push_back(a.k), s.push_back(a.s), pa.push_back(a.pa), pb.push_back(a.pb), d.push_back(a.d),
            op.push_back(a.op);
    }
    std::string r;
    for (size_t i = 0; i < k.size(); ++i)
        r += (i ? "×" : "") + W::n(k[i]);
    if (std::any_of(s.begin(), s.end(), [](int64_t v) { return v != 1; }))
        r += " s" + joinAxes(s);
    if (!transpose && p.padSame)
        r += " same";
    else if (pa == pb && std::any_of(pa.begin(), pa.end(), [](int64_t v) { return v != 0; }))
        r += " p" + joinAxes(pa);
    else if (pa != pb)
        r += " p" + joinAxes(pa) + "," + joinAxes(pb);
    if (std::any_of(d.begin(), d.end(), [](int64_t v) { return v != 1; }))
        r += " d" + joinAxes(d);
    if (transpose && std::any_of(op.begin(), op.end(), [](int64_t v) { return v != 0; }))
        r += " op" + joinAxes(op);
    if (p.groups != 1)
        r += " g" + W::n(p.groups);
    return r;
}

std::string conv1dSummary(const LayerParams& p) { return ndSummary(p, 1, false); }
std::string conv3dSummary(const LayerParams& p) { return ndSummary(p, 3, false); }

void fillWindow(kernels::KernelOp& op, const std::vector<Axis>& a, int nd)
{
    const Axis& w = a.back();
    op.kw = w.k, op.sw = w.s, op.dw = w.d, op.padLeft = w.pa, op.padRight = w.pb, op.outPadW = w.op;
    if (nd >= 2) {
        const Axis& h = a[a.size() - 2];
        op.kh = h.k, op.sh = h.s, op.dh = h.d, op.padTop = h.pa, op.padBottom = h.pb, op.outPadH = h.op;
    }
    if (nd == 3) {
        const Axis& d = a[0];
        op.kd = d.k, op.sd = d.s, op.dd = d.d, op.padFront = d.pa, op.padBack = d.pb;
    }
}

KernelPlan convNdKernel(const LayerParams& q, std::span<const Shape> in, const Shape& out, int nd)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::ConvNd;
    fillWindow(op, axesOf(q, nd, in[0]), nd);
    op.padMode = kernelPadMode(q.padMode);
    op.outChannels = out[0];
    op.groups = q.groups;
    op.bias = q.bias != 0;
    return singleKernel(op);
}
KernelPlan conv1dKernel(const LayerParams& q, std::span<const Shape> in, const Shape& out)
{
    return convNdKernel(q, in, out, 1);
}
KernelPlan conv3dKernel(const LayerParams& q, std::span<const Shape> in, const Shape& out)
{
    return convNdKernel(q, in, out, 3);
}

// Python tuple of the per-axis values, or one number when all are equal.
std::string pyAxes(const std::vector<int64_t>& v)
{
    if (std::all_of(v.begin(), v.end(), [&](int64_t x) { return x == v[0]; }))
        return pyInt(v[0]);
    std::vector<std::string> s;
    for (int64_t x : v)
        s.push_back(pyInt(x));
    return "(" + pyJoin(s) + ")";
}

Result<PyCode> convNdPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const int nd = spatialDims(c.node.type);
    const Shape& in = c.in[0];
    const std::vector<Axis> axes = axesOf(p, nd, in);
    std::vector<int64_t> k, s, pa, pb, d;
    for (const Axis& a : axes)
        k.push_back(a.k), s.push_back(a.s), pa.push_back(a.pa), pb.push_back(a.pb), d.push_back(a.d);
    const std::string dim = std::to_string(nd) + "d";
    std::vector<std::string> a{pyInt(in[0]), pyInt(c.out[0]), "kernel_size=" + pyAxes(k)};
    if (std::any_of(s.begin(), s.end(), [](int64_t v) { return v != 1; }))
        a.push_back("stride=" + pyAxes(s));
    std::string pre;
    if (pa == pb) {
        if (std::any_of(pa.begin(), pa.end(), [](int64_t v) { return v != 0; }))
            a.push_back("padding=" + pyAxes(pa));
        if (p.padMode == static_cast<int64_t>(PadMode::Reflect))
            a.push_back("padding_mode=\"reflect\"");
        else if (p.padMode == static_cast<int64_t>(PadMode::Replicate))
            a.push_back("padding_mode=\"replicate\"");
    } else {
        // Uneven padding: a padding module in front; its tuple runs from the last axis backwards.
        std::vector<std::string> t;
        for (int i = nd - 1; i >= 0; --i)
            t.push_back(pyInt(pa[size_t(i)])), t.push_back(pyInt(pb[size_t(i)]));
        const std::string tuple = "(" + pyJoin(t) + ")";
        if (p.padMode == static_cast<int64_t>(PadMode::Reflect))
            pre = "nn.ReflectionPad" + dim + "(" + tuple + ")";
        else if (p.padMode == static_cast<int64_t>(PadMode::Replicate))
            pre = "nn.ReplicationPad" + dim + "(" + tuple + ")";
        else
            pre = "nn.ConstantPad" + dim + "(" + tuple + ", 0.0)";
    }
    if (std::any_of(d.begin(), d.end(), [](int64_t v) { return v != 1; }))
        a.push_back("dilation=" + pyAxes(d));
    if (p.groups != 1)
        a.push_back("groups=" + pyInt(p.groups));
    if (!p.bias)
        a.push_back("bias=False");
    std::string conv = "nn.Conv" + dim + "(" + pyJoin(a) + ")";
    return PyCode{pre.empty() ? conv : "nn.Sequential(" + pre + ", " + conv + ")", {}, {}};
}

Status convNdOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const int nd = spatialDims(c.node.type);
    const std::string& L = c.node.name;
    const Shape& in = c.in[0];
    const int64_t ci = in[0], co = c.out[0], g = p.groups;
    std::vector<Axis> axes = axesOf(p, nd, in);
    std::string input = c.ins[0];
    if (p.padMode != static_cast<int64_t>(PadMode::Zeros)) {
        std::vector<int64_t> pads(size_t(2 * (nd + 2)), 0);
        for (int i = 0; i < nd; ++i) {
            pads[size_t(2 + i)] = axes[size_t(i)].pa;
            pads[size_t(nd + 4 + i)] = axes[size_t(i)].pb;
            axes[size_t(i)].pa = axes[size_t(i)].pb = 0;
        }
        input = b.fresh(L + "/Pad_output");
        int pn = b.node("Pad", {c.ins[0], b.ints(L + "/pads", pads)}, input, L + "/Pad");
        b.attrS(pn, "mode", p.padMode == static_cast<int64_t>(PadMode::Reflect) ? "reflect" : "edge");
    }
    std::vector<int64_t> k, s, d, pads(size_t(2 * nd));
    for (int i = 0; i < nd; ++i) {
        const Axis& a = axes[size_t(i)];
        k.push_back(a.k), s.push_back(a.s), d.push_back(a.d);
        pads[size_t(i)] = a.pa, pads[size_t(nd + i)] = a.pb;
    }
    const int64_t fanIn = (ci / g) * kernelVolume(p, nd);
    std::vector<int64_t> wdims{co, ci / g};
    wdims.insert(wdims.end(), k.begin(), k.end());
    std::vector<std::string> cin{input, b.weight(L + ".weight", wdims, OnnxBuilder::Fill::Random, fanIn)};
    if (p.bias)
        cin.push_back(b.weight(L + ".bias", {co}, OnnxBuilder::Fill::Random, fanIn));
    int n = b.node("Conv", cin, c.y, L);
    b.attr(n, "kernel_shape", k);
    b.attr(n, "strides", s);
    b.attr(n, "dilations", d);
    b.attr(n, "group", g);
    b.attr(n, "pads", pads);
    return {};
}

// ---- transposed convolution (1-D, 2-D) ----
//
// out = (in − 1)·s − pa − pb + d·(k − 1) + output_padding + 1 (PyTorch pads both sides equally: pa = pb).
// MACs = ci·(co/g)·Πk·Πin: every input pixel scatters a whole kernel (the count PyTorch-side counters use,
// and the work a direct implementation does; fewer of those products land inside the output when the
// padding crops them).

Result<Shape> convTShapeNd(const LayerParams& p, std::span<const Shape> in, int nd)
{
    const Shape& x = in[0];
    if (auto s = expectRank(x, nd + 1, layoutOf(nd)); !s)
        return Error{s.error()};
    if (auto s = checkGroups(x[0], p.features, p.groups); !s)
        return Error{s.error()};
    Shape out{p.features};
    const std::vector<Axis> axes = axesOf(p, nd, Shape{});
    for (int i = 0; i < nd; ++i) {
        const Axis& a = axes[size_t(i)];
        if (a.op >= std::max(a.s, a.d))
            return Error{std::string("output padding ") + str(a.op) + " on axis " + a.name +
                         " must be smaller than the stride or the dilation (" + str(std::max(a.s, a.d)) + ")"};
        auto span = checkedMul(x[i + 1] - 1, a.s);
        auto keff = checkedMul(a.d, a.k - 1);
        if (!span || !keff || *span > (int64_t(1) << 60) || *keff > (int64_t(1) << 60))
            return overflow("output size");
        const int64_t o = *span - 2 * a.pa + *keff + a.op + 1;
        if (o < 1)
            return Error{std::string("padding ") + str(a.pa) + " on axis " + a.name +
                         " crops the whole output; (in − 1)·s + d·(k − 1) + output_padding + 1 = " +
                         str(o + 2 * a.pa) + " must exceed 2·padding"};
        out.push(o);
    }
    return out;
}
Result<Shape> convT1dShape(const LayerParams& p, std::span<const Shape> in) { return convTShapeNd(p, in, 1); }
Result<Shape> convT2dShape(const LayerParams& p, std::span<const Shape> in) { return convTShapeNd(p, in, 2); }

Result<LayerCosts> convTCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out, int nd)
{
    const int64_t ci = in[0][0], co = out[0];
    auto w = mulAll({ci, co / p.groups, nd >= 2 ? p.kh : 1, p.kw});
    if (!w)
        return overflow("parameter count");
    auto m = checkedMul(*w, *in[0].elements() / ci);
    if (!m)
        return overflow("MAC count");
    LayerCosts c;
    c.params = *w + (p.bias ? co : 0);
    c.macs = *m;
    c.otherOps = p.bias ? *out.elements() : 0;
    c.paddingMacs = paddingMacsOf(c.macs, ci * (co / p.groups), tapCounts(axesOf(p, nd, Shape{}), in[0], out));
    return c;
}
Result<LayerCosts> convT1dCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return convTCosts(p, in, out, 1);
}
Result<LayerCosts> convT2dCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return convTCosts(p, in, out, 2);
}

// Output o receives input i when o + pad − i·s = t·d for a tap t in [0, k). Along one axis the field
// grows by the widest spread of inputs any output receives, times the input jump; the jump divides by
// the stride. When the jump is not a multiple of the stride the units sit between input pixels and
// the field is reported unknown rather than rounded.
void transposedWindow(RfBuilder& b, int a, const Axis& ax, int64_t outLen)
{
    if (b.r.jump[a] % ax.s != 0 || ax.s * ax.k > (int64_t(1) << 22)) {
        b.lose();
        return;
    }
    int64_t spread = 0;
    for (int64_t res = 0; res < ax.s; ++res) {
        int64_t lo = -1, hi = -1;
        for (int64_t t = 0; t < ax.k; ++t)
            if (((res - t * ax.d) % ax.s + ax.s) % ax.s == 0) {
                if (lo < 0)
                    lo = t;
                hi = t;
            }
        if (lo >= 0)
            spread = std::max(spread, (hi - lo) * ax.d / ax.s);
    }
    // The centre of output 0's field: the positions i = (pad − t·d)/s that reach it, padding positions
    // included (as for a convolution, whose first window is centred on ((k_eff − 1)/2 − pad)·j).
    int64_t imin = 0, imax = 0;
    bool any = false;
    for (int64_t t = 0; t < ax.k; ++t) {
        const int64_t num = ax.pa - t * ax.d;
        if (num % ax.s != 0)
            continue;
        imin = any ? std::min(imin, num / ax.s) : num / ax.s;
        imax = any ? std::max(imax, num / ax.s) : num / ax.s;
        any = true;
    }
    const double centre = any ? static_cast<double>(imin + imax) / 2.0
                              : (static_cast<double>(ax.pa) - static_cast<double>(ax.d * (ax.k - 1)) / 2.0) /
                                    static_cast<double>(ax.s);
    b.r.start[a] += centre * static_cast<double>(b.r.jump[a]);
    auto grow = checkedMul(spread, b.r.jump[a]);
    auto size = grow ? checkedAdd(b.r.size[a], *grow) : std::nullopt;
    if (!size) {
        b.overflow = true;
        return;
    }
    b.r.size[a] = std::min(*size, b.r.reach[a]);
    b.r.jump[a] /= ax.s;
    b.r.extent[a] = outLen;
}

void convT1dRf(const LayerParams& p, RfBuilder& b)
{
    transposedWindow(b, 1, axesOf(p, 1, Shape{})[0], b.out[1]);
}

void convT2dRf(const LayerParams& p, RfBuilder& b)
{
    const std::vector<Axis> a = axesOf(p, 2, Shape{});
    transposedWindow(b, 0, a[0], b.out[1]);
    if (b.r.valid)
        transposedWindow(b, 1, a[1], b.out[2]);
}

void convTExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const int nd = spatialDims(L.node.type);
    const Shape& x = L.in[0];
    const Shape& o = L.o;
    const std::vector<Axis> axes = axesOf(p, nd, Shape{});
    for (int i = 0; i < nd; ++i) {
        const Axis& a = axes[size_t(i)];
        const char* q = nd == 1 ? "lo" : i == 0 ? "ho" : "wo";
        std::string e = "(" + W::n(x[i + 1]) + W::kMinus + "1)·" + W::n(a.s) + W::kMinus + "2·" + W::n(a.pa) + " + " +
                        (a.d == 1 ? "" : W::n(a.d) + "·") + "(" + W::n(a.k) + W::kMinus + "1)" +
                        (a.op ? " + " + W::n(a.op) : "") + " + 1";
        L.eq(q, q, e, o[i + 1]);
    }
    std::string w = W::n(x[0]) + "·(" + W::n(o[0]) + "/" + W::n(p.groups) + ")·" + kernelFactors(p, nd);
    L.eq("params", "params", w + (p.bias ? " + " + W::n(o[0]) : ""), L.r.params);
    L.eq("MACs", L.batchLabel("MACs"), L.timesBatch(w + "·" + outFactors(x)), L.r.macs);
    L.paddingMacs(W::n(x[0]) + "·(" + W::n(o[0]) + "/" + W::n(p.groups) + ")", tapCounts(axes, x, o),
                  "MACs the padding crops");
    if (p.bias)
        L.eq("ops", L.batchLabel("bias adds"), L.timesBatch(W::dimsProduct(o)), L.r.otherOps);
}

std::string convT1dSummary(const LayerParams& p) { return "T " + ndSummary(p, 1, true); }
std::string convT2dSummary(const LayerParams& p) { return "T " + ndSummary(p, 2, true); }

KernelPlan convTKernel(const LayerParams& q, std::span<const Shape>, const Shape& out, int nd)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::ConvTranspose;
    std::vector<Axis> a = axesOf(q, nd, Shape{});
    fillWindow(op, a, nd);
    op.padBottom = op.padTop, op.padRight = op.padLeft;
    op.outChannels = out[0];
    op.groups = q.groups;
    op.bias = q.bias != 0;
    return singleKernel(op);
}
KernelPlan convT1dKernel(const LayerParams& q, std::span<const Shape> in, const Shape& out)
{
    return convTKernel(q, in, out, 1);
}
KernelPlan convT2dKernel(const LayerParams& q, std::span<const Shape> in, const Shape& out)
{
    return convTKernel(q, in, out, 2);
}

Result<PyCode> convTPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const int nd = spatialDims(c.node.type);
    std::vector<int64_t> k, s, pa, d, op;
    for (const Axis& a : axesOf(p, nd, Shape{}))
        k.push_back(a.k), s.push_back(a.s), pa.push_back(a.pa), d.push_back(a.d), op.push_back(a.op);
    auto nonTrivial = [](const std::vector<int64_t>& v, int64_t dflt) {
        return std::any_of(v.begin(), v.end(), [&](int64_t x) { return x != dflt; });
    };
    std::vector<std::string> a{pyInt(c.in[0][0]), pyInt(c.out[0]), "kernel_size=" + pyAxes(k)};
    if (nonTrivial(s, 1))
        a.push_back("stride=" + pyAxes(s));
    if (nonTrivial(pa, 0))
        a.push_back("padding=" + pyAxes(pa));
    if (nonTrivial(op, 0))
        a.push_back("output_padding=" + pyAxes(op));
    if (p.groups != 1)
        a.push_back("groups=" + pyInt(p.groups));
    if (!p.bias)
        a.push_back("bias=False");
    if (nonTrivial(d, 1))
        a.push_back("dilation=" + pyAxes(d));
    return PyCode{"nn.ConvTranspose" + std::to_string(nd) + "d(" + pyJoin(a) + ")", {}, {}};
}

Status convTOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const int nd = spatialDims(c.node.type);
    const std::string& L = c.node.name;
    const int64_t ci = c.in[0][0], co = c.out[0], g = p.groups;
    std::vector<int64_t> k, s, d, op, pads(size_t(2 * nd));
    const std::vector<Axis> axes = axesOf(p, nd, Shape{});
    for (int i = 0; i < nd; ++i) {
        const Axis& a = axes[size_t(i)];
        k.push_back(a.k), s.push_back(a.s), d.push_back(a.d), op.push_back(a.op);
        pads[size_t(i)] = pads[size_t(nd + i)] = a.pa;
    }
    // PyTorch's weight layout and initialisation fan-in: [ci, co/g, k...], fan-in (co/g)·Πk.
    const int64_t fanIn = (co / g) * kernelVolume(p, nd);
    std::vector<int64_t> wdims{ci, co / g};
    wdims.insert(wdims.end(), k.begin(), k.end());
    std::vector<std::string> cin{c.ins[0], b.weight(L + ".weight", wdims, OnnxBuilder::Fill::Random, fanIn)};
    if (p.bias)
        cin.push_back(b.weight(L + ".bias", {co}, OnnxBuilder::Fill::Random, fanIn));
    int n = b.node("ConvTranspose", cin, c.y, L);
    b.attr(n, "kernel_shape", k);
    b.attr(n, "strides", s);
    b.attr(n, "dilations", d);
    b.attr(n, "group", g);
    b.attr(n, "pads", pads);
    if (std::any_of(op.begin(), op.end(), [](int64_t v) { return v != 0; }))
        b.attr(n, "output_padding", op);
    return {};
}

int64_t area1d(const LayerParams& p) { return p.kw; }
int64_t area3d(const LayerParams& p) { return p.kh * p.kw; }

const OnnxImportDecl kConvImport{{"Conv"}};
const OnnxImportDecl kConvTImport{{"ConvTranspose"}};

std::vector<AttrSpec> conv1dAttrs()
{
    std::vector<AttrSpec> v{
        intAttr("out_channels", "Out channels", &P::features, 1, kBig),
        intAttr("kernel", "Kernel", &P::kw, 1, 1e6),
        intAttr("stride", "Stride", &P::sw, 1, 1e6),
        intAttr("pad_left", "Padding left", &P::pl, 0, 1e6),
        intAttr("pad_right", "Padding right", &P::pr, 0, 1e6),
        boolAttr("pad_same", "Padding \"same\"", &P::padSame,
                 "choose padding so that out = ceil(in / stride); the extra pixel goes to the right"),
        enumAttr("pad_mode", "Padding mode", &P::padMode, {"zeros", "reflect", "replicate"}),
        intAttr("dilation", "Dilation", &P::dw, 1, 1e6),
        intAttr("groups", "Groups", &P::groups, 1, kBig),
        boolAttr("bias", "Bias", &P::bias),
        bitsAttr(),
    };
    v[3].ignoredWhen = v[4].ignoredWhen = "pad_same";
    return v;
}

std::vector<AttrSpec> conv3dAttrs()
{
    std::vector<AttrSpec> v{
        intAttr("out_channels", "Out channels", &P::features, 1, kBig),
        intAttr("kernel_d", "Kernel depth", &P::kd, 1, 1e6),
        intAttr("stride_d", "Stride D", &P::sd, 1, 1e6),
        intAttr("pad_front", "Padding front", &P::pf, 0, 1e6),
        intAttr("pad_back", "Padding back", &P::pk, 0, 1e6),
        intAttr("dilation_d", "Dilation D", &P::dd, 1, 1e6),
    };
    v[3].ignoredWhen = v[4].ignoredWhen = "pad_same";
    return concat(v, concat(kernelAttrs(true), {intAttr("groups", "Groups", &P::groups, 1, kBig),
                                                boolAttr("bias", "Bias", &P::bias), bitsAttr()}));
}

std::vector<AttrSpec> convTAttrs(int nd)
{
    std::vector<AttrSpec> v{intAttr("out_channels", "Out channels", &P::features, 1, kBig)};
    if (nd == 1) {
        v.push_back(intAttr("kernel", "Kernel", &P::kw, 1, 1e6));
        v.push_back(intAttr("stride", "Stride", &P::sw, 1, 1e6));
        v.push_back(intAttr("padding", "Padding (both sides)", &P::pl, 0, 1e6, "removed from both ends of the output"));
        v.push_back(intAttr("output_padding", "Output padding", &P::outPadW, 0, 1e6,
                            "added to one end of the output; smaller than the stride or the dilation"));
        v.push_back(intAttr("dilation", "Dilation", &P::dw, 1, 1e6));
    } else {
        v.push_back(intAttr("kernel_h", "Kernel height", &P::kh, 1, 1e6));
        v.push_back(intAttr("kernel_w", "Kernel width", &P::kw, 1, 1e6));
        v.push_back(intAttr("stride_h", "Stride H", &P::sh, 1, 1e6));
        v.push_back(intAttr("stride_w", "Stride W", &P::sw, 1, 1e6));
        v.push_back(intAttr("padding_h", "Padding H (both sides)", &P::pt, 0, 1e6,
                            "removed from the top and the bottom of the output"));
        v.push_back(intAttr("padding_w", "Padding W (both sides)", &P::pl, 0, 1e6,
                            "removed from the left and the right of the output"));
        v.push_back(intAttr("output_padding_h", "Output padding H", &P::outPadH, 0, 1e6,
                            "added to the bottom; smaller than the stride or the dilation"));
        v.push_back(intAttr("output_padding_w", "Output padding W", &P::outPadW, 0, 1e6,
                            "added to the right; smaller than the stride or the dilation"));
        v.push_back(intAttr("dilation_h", "Dilation H", &P::dh, 1, 1e6));
        v.push_back(intAttr("dilation_w", "Dilation W", &P::dw, 1, 1e6));
    }
    v.push_back(intAttr("groups", "Groups", &P::groups, 1, kBig));
    v.push_back(boolAttr("bias", "Bias", &P::bias));
    v.push_back(bitsAttr());
    return v;
}

} // namespace

void registerConvolutionNd(std::vector<LayerKind>& k)
{
    {
        LayerParams d;
        d.pl = d.pr = 1;
        LayerKind c;
        c.spec = makeSpec(LayerType::Conv1d, "conv1d", "Conv1d", Category::Convolution,
                          "1-D convolution over C×L (audio, sequences). lo = ⌊(li + pl + pr − d·(k−1) − 1)/s⌋ + 1. "
                          "Params = co·(ci/g)·k + co; MACs = co·(ci/g)·k·lo. The receptive field runs along L.",
                          conv1dAttrs(), d);
        LayerParams audio = d;
        audio.features = 128, audio.kw = 80, audio.sw = 4, audio.pl = audio.pr = 0;
        c.palette = {paletteEntry(c.spec, "Conv1d", "3-tap 1-D convolution, padding 1"),
                     paletteEntry(c.spec, "Conv1d (audio front end)", audio, "80-tap, stride 4 (M5 on raw audio)")};
        c.spatial = true;
        c.nameStem = "conv";
        c.windowArea = area1d;
        c.shape = conv1dShape;
        c.costs = conv1dCosts;
        c.receptiveField = conv1dRf;
        c.explain = convExplain;
        c.summary = conv1dSummary;
        c.kernel = conv1dKernel;
        c.fusesActivation = true;
        c.absorbsBatchNorm = true;
        c.pytorch = convNdPy;
        c.onnxExport = convNdOnnx;
        c.onnxImport = &kConvImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.pf = d.pk = d.pt = d.pb = d.pl = d.pr = 1;
        LayerKind c;
        c.spec = makeSpec(LayerType::Conv3d, "conv3d", "Conv3d", Category::Convolution,
                          "3-D convolution over C×D×H×W (video, volumes); each axis as Conv2d's. "
                          "Params = co·(ci/g)·kd·kh·kw + co; MACs = co·(ci/g)·kd·kh·kw·do·ho·wo. "
                          "The receptive field is reported on H and W.",
                          conv3dAttrs(), d);
        c.palette = {paletteEntry(c.spec, "Conv3d", "3×3×3 convolution, padding 1 (video)")};
        c.spatial = true;
        c.nameStem = "conv";
        c.windowArea = area3d;
        c.shape = conv3dShape;
        c.costs = conv3dCosts;
        c.receptiveField = conv3dRf;
        c.explain = convExplain;
        c.summary = conv3dSummary;
        c.kernel = conv3dKernel;
        c.fusesActivation = true;
        c.absorbsBatchNorm = true;
        c.pytorch = convNdPy;
        c.onnxExport = convNdOnnx;
        c.onnxImport = &kConvImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.kw = d.sw = 2;
        LayerKind c;
        c.spec = makeSpec(LayerType::ConvTranspose1d, "conv_transpose1d", "ConvTranspose1d", Category::Convolution,
                          "1-D transposed convolution over C×L. lo = (li − 1)·s − 2·p + d·(k − 1) + output_padding + 1. "
                          "Params = ci·(co/g)·k + co; MACs = ci·(co/g)·k·li (every input position scatters a kernel).",
                          convTAttrs(1), d);
        c.palette = {paletteEntry(c.spec, "ConvTranspose1d", "2-tap, stride 2: doubles the length")};
        c.spatial = true;
        c.nameStem = "upconv";
        // Not a sliding window: the chart's stacked-layers reference L·(k − 1) + 1 does not count it.
        c.shape = convT1dShape;
        c.costs = convT1dCosts;
        c.receptiveField = convT1dRf;
        c.explain = convTExplain;
        c.summary = convT1dSummary;
        c.kernel = convT1dKernel;
        c.fusesActivation = true;
        c.absorbsBatchNorm = true;
        c.pytorch = convTPy;
        c.onnxExport = convTOnnx;
        c.onnxImport = &kConvTImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.kh = d.kw = d.sh = d.sw = 2;
        LayerKind c;
        c.spec = makeSpec(LayerType::ConvTranspose2d, "conv_transpose2d", "ConvTranspose2d", Category::Convolution,
                          "2-D transposed convolution (UNet up-sampling). ho = (hi − 1)·s − 2·p + d·(k − 1) + "
                          "output_padding + 1. Params = ci·(co/g)·kh·kw + co; MACs = ci·(co/g)·kh·kw·hi·wi "
                          "(every input pixel scatters a kernel).",
                          convTAttrs(2), d);
        LayerParams k3 = d;
        k3.kh = k3.kw = 3, k3.pt = k3.pl = 1, k3.outPadH = k3.outPadW = 1;
        c.palette = {paletteEntry(c.spec, "ConvTranspose2d", "2×2, stride 2: doubles H and W (UNet)"),
                     paletteEntry(c.spec, "ConvTranspose2d 3×3", k3, "3×3, stride 2, padding 1, output padding 1")};
        c.spatial = true;
        c.nameStem = "upconv";
        // Not a sliding window: the chart's stacked-layers reference L·(k − 1) + 1 does not count it.
        c.shape = convT2dShape;
        c.costs = convT2dCosts;
        c.receptiveField = convT2dRf;
        c.explain = convTExplain;
        c.summary = convT2dSummary;
        c.kernel = convT2dKernel;
        c.fusesActivation = true;
        c.absorbsBatchNorm = true;
        c.pytorch = convTPy;
        c.onnxExport = convTOnnx;
        c.onnxImport = &kConvTImport;
        k.push_back(std::move(c));
    }
}

} // namespace nc::core::kinds
