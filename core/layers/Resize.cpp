// Resize: Upsample (nearest or (bi)linear; by a scale factor or to a size) and Pad (constant, reflect,
// replicate; an amount per side), over C×L or C×H×W. A C×L input uses the W hyper-parameters.
//
// Other ops per output element (README "Counting conventions"): nearest 0 (a copy, like Concat);
// linear 3 (2 multiplies + 1 add: w0·a + w1·b); bilinear 7 (4 multiplies + 3 adds: the weighted sum of
// the 4 neighbours). The weights depend only on the output coordinate, so they are computed once per
// row or column and not charged per element. Pad moves values and counts 0 ops.
#include "ExplainWriter.h"
#include "KindSupport.h"

#include <algorithm>
#include <cmath>

namespace nc::core::kinds {

namespace {

using W = ExplainWriter;

enum ResizeMode : int64_t { Nearest = 0, Linear = 1 };

Status expect2or3(const Shape& x)
{
    if (x.rank() != 2 && x.rank() != 3)
        return Error{"expects a C×L or C×H×W input, got " + x.toString()};
    return {};
}

// ---- Upsample ----

Result<int64_t> scaled(int64_t in, double scale, const char* axis)
{
    const double o = std::floor(static_cast<double>(in) * scale);
    if (o < 1)
        return Error{std::string("scale ") + pyNum(scale) + " makes axis " + axis + " empty (" + str(in) +
                     " × scale < 1); use a larger scale"};
    if (o > 1e15)
        return overflow("output size");
    return static_cast<int64_t>(o);
}

Result<Shape> upsampleShape(const LayerParams& p, std::span<const Shape> in)
{
    const Shape& x = in[0];
    if (auto s = expect2or3(x); !s)
        return Error{s.error()};
    Shape o{x[0]};
    if (x.rank() == 3) {
        auto h = p.resizeToSize ? Result<int64_t>(p.outH) : scaled(x[1], p.scaleH, "H");
        if (!h)
            return Error{h.error()};
        o.push(*h);
    }
    auto w = p.resizeToSize ? Result<int64_t>(p.outW) : scaled(x[x.rank() - 1], p.scaleW, "W");
    if (!w)
        return Error{w.error()};
    o.push(*w);
    return o;
}

int64_t upsampleOpsPerElement(const LayerParams& p, const Shape& in)
{
    if (p.resizeMode == Nearest)
        return 0;
    return in.rank() == 3 ? 7 : 3;
}

Result<LayerCosts> upsampleCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return elementwiseCosts(out, upsampleOpsPerElement(p, in[0]));
}

// An integer up-scaling s (out = s·in, the same sampling PyTorch uses for a scale factor or a size):
// each output reads 1 input (nearest) or 2 neighbours (linear), the jump divides by s. Other factors,
// and align_corners (a factor of (in − 1)/(out − 1)), put the units between input pixels: the field
// is reported unknown rather than rounded.
void upsampleRf(const LayerParams& p, RfBuilder& b)
{
    const Shape& x = b.inShapes[0];
    for (int i = 1; i < x.rank(); ++i) {
        const int a = x.rank() == 2 ? 1 : i - 1;
        const int64_t in = x[i], out = b.out[i];
        if (out % in != 0 || (p.resizeMode == Linear && p.alignCorners && out != in) ||
            b.r.jump[a] % (out / in) != 0) {
            b.lose();
            return;
        }
        const int64_t s = out / in;
        if (p.resizeMode == Linear && s > 1) {
            auto size = checkedAdd(b.r.size[a], b.r.jump[a]);
            if (!size) {
                b.overflow = true;
                return;
            }
            b.r.size[a] = std::min(*size, b.r.reach[a]);
        }
        b.r.jump[a] /= s;
        b.r.extent[a] = out;
    }
}

void upsampleExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const Shape& x = L.in[0];
    // out = ⌊in·scale⌋, the scale written as a fraction when it is one (1.5 → 3/2) so the line evaluates.
    auto axisLine = [&](const char* key, int64_t in, double scale, int64_t out) {
        for (int64_t q = 1; q <= 1000; ++q) {
            const double num = scale * static_cast<double>(q);
            if (std::abs(num - std::round(num)) < 1e-9) {
                const int64_t n = static_cast<int64_t>(std::round(num));
                L.eq(key, key, q == 1 ? W::factors({in, n}) : "⌊" + W::factors({in, n}) + "/" + W::n(q) + "⌋", out);
                return;
            }
        }
        L.text(key, std::string(key) + " = " + W::n(out) + ", ⌊" + W::n(in) + " × " + pyNum(scale) + "⌋");
    };
    if (!p.resizeToSize) {
        if (x.rank() == 3)
            axisLine("ho", x[1], p.scaleH, L.o[1]);
        axisLine(x.rank() == 3 ? "wo" : "lo", x.back(), p.scaleW, L.o.back());
    }
    L.text("params", "params = 0");
    const int64_t k = upsampleOpsPerElement(p, x);
    if (k == 0) {
        L.text("ops", "ops = 0");
        L.text("note", "nearest copies a value: no arithmetic");
    } else {
        L.eq("ops", L.batchLabel("ops"), L.timesBatch(W::dimsProduct(L.o) + "·" + W::n(k)), L.r.otherOps);
    }
}

std::string upsampleSummary(const LayerParams& p)
{
    std::string s = p.resizeMode == Nearest ? "nearest" : "linear";
    if (p.resizeToSize)
        s += " →" + W::n(p.outH) + "×" + W::n(p.outW);
    else
        s += " ×" + (p.scaleH == p.scaleW ? pyNum(p.scaleW) : pyNum(p.scaleH) + "×" + pyNum(p.scaleW));
    if (p.resizeMode == Linear && p.alignCorners)
        s += " ac";
    return s;
}

KernelPlan upsampleKernel(const LayerParams& q, std::span<const Shape> in, const Shape& out)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::Resize;
    op.outW = out.back();
    op.outH = in[0].rank() == 3 ? out[1] : 1;
    op.interpLinear = q.resizeMode == Linear;
    op.alignCorners = q.alignCorners != 0;
    if (!q.resizeToSize) {
        op.scaleH = static_cast<float>(q.scaleH);
        op.scaleW = static_cast<float>(q.scaleW);
    }
    return singleKernel(op);
}

Result<PyCode> upsamplePy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const bool twoD = c.in[0].rank() == 3;
    std::vector<std::string> a;
    if (p.resizeToSize)
        a.push_back("size=" + (twoD ? "(" + pyInt(p.outH) + ", " + pyInt(p.outW) + ")" : pyInt(p.outW)));
    else
        a.push_back("scale_factor=" + (twoD ? "(" + pyNum(p.scaleH) + ", " + pyNum(p.scaleW) + ")" : pyNum(p.scaleW)));
    a.push_back(std::string("mode=\"") + (p.resizeMode == Nearest ? "nearest" : twoD ? "bilinear" : "linear") + "\"");
    if (p.resizeMode == Linear)
        a.push_back(std::string("align_corners=") + (p.alignCorners ? "True" : "False"));
    return PyCode{"nn.Upsample(" + pyJoin(a) + ")", {}, {}};
}

Status upsampleOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    const bool twoD = c.in[0].rank() == 3;
    std::vector<std::string> ins{c.ins[0], "", ""};
    if (p.resizeToSize) {
        std::vector<int64_t> sizes{b.batch(), c.out[0]};
        for (int i = 1; i < c.out.rank(); ++i)
            sizes.push_back(c.out[i]);
        ins.push_back(b.ints(L + "/sizes", sizes));
    } else {
        std::vector<float> scales{1.f, 1.f};
        if (twoD)
            scales.push_back(static_cast<float>(p.scaleH));
        scales.push_back(static_cast<float>(p.scaleW));
        ins[2] = b.floats(L + "/scales", scales);
    }
    int n = b.node("Resize", ins, c.y, L);
    if (p.resizeMode == Nearest) {
        b.attrS(n, "mode", "nearest");
        b.attrS(n, "coordinate_transformation_mode", "asymmetric");
        b.attrS(n, "nearest_mode", "floor");
    } else {
        b.attrS(n, "mode", "linear");
        b.attrS(n, "coordinate_transformation_mode", p.alignCorners ? "align_corners" : "pytorch_half_pixel");
    }
    return {};
}

// ---- Pad ----

Result<Shape> padShape(const LayerParams& p, std::span<const Shape> in)
{
    const Shape& x = in[0];
    if (auto s = expect2or3(x); !s)
        return Error{s.error()};
    Shape o{x[0]};
    struct A {
        int64_t in, a, b;
        const char* name;
    };
    std::vector<A> axes;
    if (x.rank() == 3)
        axes.push_back({x[1], p.pt, p.pb, "H"});
    axes.push_back({x.back(), p.pl, p.pr, "W"});
    for (const A& a : axes) {
        if (p.padMode == static_cast<int64_t>(PadMode::Reflect) && std::max(a.a, a.b) >= a.in)
            return Error{std::string("reflect padding must be smaller than the input (") + str(a.in) + " on axis " +
                         a.name + "); use less padding or replicate mode"};
        auto s = checkedAdd(a.a, a.b);
        auto t = s ? checkedAdd(a.in, *s) : std::nullopt;
        if (!t)
            return overflow("padded size");
        o.push(*t);
    }
    return o;
}

Result<LayerCosts> padCosts(const LayerParams&, std::span<const Shape>, const Shape&) { return LayerCosts{}; }

// A window of 1 shifted by the padding: sizes and jumps stay, the first unit moves pad·jump back.
void padRf(const LayerParams& p, RfBuilder& b)
{
    if (b.inShapes[0].rank() == 3)
        b.window(0, 1, 1, 1, p.pt, b.out[1]);
    b.window(1, 1, 1, 1, p.pl, b.out.back());
}

void padExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const Shape& x = L.in[0];
    if (x.rank() == 3)
        L.eq("ho", "ho", W::n(x[1]) + " + " + W::n(p.pt) + " + " + W::n(p.pb), L.o[1]);
    const char* w = x.rank() == 3 ? "wo" : "lo";
    L.eq(w, w, W::n(x.back()) + " + " + W::n(p.pl) + " + " + W::n(p.pr), L.o.back());
    L.text("params", "params = 0");
    L.text("ops", "ops = 0");
    L.text("note", "padding copies values: no arithmetic");
}

std::string padSummary(const LayerParams& p)
{
    static const char* modes[3] = {"constant", "reflect", "replicate"};
    std::string s = modes[std::clamp<int64_t>(p.padMode, 0, 2)];
    if (p.pt == p.pb && p.pb == p.pl && p.pl == p.pr)
        return s + " " + W::n(p.pt);
    return s + " " + W::n(p.pt) + "," + W::n(p.pb) + "," + W::n(p.pl) + "," + W::n(p.pr);
}

KernelPlan padKernel(const LayerParams& q, std::span<const Shape> in, const Shape&)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::Pad;
    if (in[0].rank() == 3)
        op.padTop = q.pt, op.padBottom = q.pb;
    op.padLeft = q.pl, op.padRight = q.pr;
    op.padMode = kernelPadMode(q.padMode);
    op.padValue = static_cast<float>(q.padValue);
    return singleKernel(op);
}

Result<PyCode> padPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const bool twoD = c.in[0].rank() == 3;
    std::string t = "(" + pyInt(p.pl) + ", " + pyInt(p.pr) + (twoD ? ", " + pyInt(p.pt) + ", " + pyInt(p.pb) : "") + ")";
    const std::string dim = twoD ? "2d" : "1d";
    if (p.padMode == static_cast<int64_t>(PadMode::Reflect))
        return PyCode{"nn.ReflectionPad" + dim + "(" + t + ")", {}, {}};
    if (p.padMode == static_cast<int64_t>(PadMode::Replicate))
        return PyCode{"nn.ReplicationPad" + dim + "(" + t + ")", {}, {}};
    return PyCode{"nn.ConstantPad" + dim + "(" + t + ", " + pyNum(p.padValue) + ")", {}, {}};
}

Status padOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    const bool twoD = c.in[0].rank() == 3;
    std::vector<int64_t> pads = twoD ? std::vector<int64_t>{0, 0, p.pt, p.pl, 0, 0, p.pb, p.pr}
                                     : std::vector<int64_t>{0, 0, p.pl, 0, 0, p.pr};
    std::vector<std::string> ins{c.ins[0], b.ints(L + "/pads", pads)};
    if (p.padMode == static_cast<int64_t>(PadMode::Zeros))
        ins.push_back(b.scalar(L + "/value", static_cast<float>(p.padValue)));
    int n = b.node("Pad", ins, c.y, L);
    b.attrS(n, "mode", p.padMode == static_cast<int64_t>(PadMode::Reflect)     ? "reflect"
                       : p.padMode == static_cast<int64_t>(PadMode::Replicate) ? "edge"
                                                                               : "constant");
    return {};
}

const OnnxImportDecl kResizeImport{{"Resize", "Upsample"}};
const OnnxImportDecl kPadImport{{"Pad"}};

} // namespace

void registerResize(std::vector<LayerKind>& k)
{
    {
        LayerParams d;
        d.outH = d.outW = 64;
        LayerKind c;
        c.spec = makeSpec(
            LayerType::Upsample, "upsample", "Upsample", Category::Reshape,
            "Resize over C×L or C×H×W: by a scale (out = ⌊in·scale⌋) or to a size; nearest or (bi)linear, "
            "align_corners for linear. No parameters; ops per output element: nearest 0, linear 3, bilinear 7 "
            "(4 multiplies + 3 adds).",
            {enumAttr("mode", "Mode", &P::resizeMode, {"nearest", "linear"}, "linear is bilinear on a C×H×W input"),
             enumAttr("by", "Resize by", &P::resizeToSize, {"scale", "size"}),
             floatAttr("scale_h", "Scale H", &P::scaleH, 1e-3, 1e6, "ignored for a C×L input"),
             floatAttr("scale_w", "Scale W (or L)", &P::scaleW, 1e-3, 1e6),
             intAttr("out_h", "Output height", &P::outH, 1, kBig, "ignored for a C×L input"),
             intAttr("out_w", "Output width (or length)", &P::outW, 1, kBig),
             boolAttr("align_corners", "Align corners", &P::alignCorners,
                      "linear mode: the corner pixels of input and output coincide")},
            d);
        c.spec.attrs[2].ignoredWhen = c.spec.attrs[3].ignoredWhen = "by";
        LayerParams bil = d;
        bil.resizeMode = Linear;
        c.palette = {paletteEntry(c.spec, "Upsample (nearest)", "×2 nearest-neighbour up-sampling"),
                     paletteEntry(c.spec, "Upsample (bilinear)", bil, "×2 bilinear up-sampling")};
        c.spatial = true;
        c.nameStem = "up";
        c.shape = upsampleShape;
        c.costs = upsampleCosts;
        c.receptiveField = upsampleRf;
        c.explain = upsampleExplain;
        c.summary = upsampleSummary;
        c.kernel = upsampleKernel;
        c.pytorch = upsamplePy;
        c.onnxExport = upsampleOnnx;
        c.onnxImport = &kResizeImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.pt = d.pb = d.pl = d.pr = 1;
        LayerKind c;
        c.spec = makeSpec(LayerType::Pad, "pad", "Pad", Category::Reshape,
                          "Pads C×L or C×H×W: constant (a value), reflect (mirror without the edge) or replicate "
                          "(repeat the edge); an amount per side. No parameters, 0 ops (a copy).",
                          {enumAttr("pad_mode", "Mode", &P::padMode, {"constant", "reflect", "replicate"}),
                           floatAttr("value", "Value", &P::padValue, -1e30, 1e30, "constant mode only"),
                           intAttr("pad_top", "Padding top", &P::pt, 0, 1e6, "ignored for a C×L input"),
                           intAttr("pad_bottom", "Padding bottom", &P::pb, 0, 1e6, "ignored for a C×L input"),
                           intAttr("pad_left", "Padding left", &P::pl, 0, 1e6),
                           intAttr("pad_right", "Padding right", &P::pr, 0, 1e6)},
                          d);
        LayerParams refl = d;
        refl.padMode = static_cast<int64_t>(PadMode::Reflect);
        c.palette = {paletteEntry(c.spec, "Pad (constant)", "zero padding of 1 on every side"),
                     paletteEntry(c.spec, "Pad (reflect)", refl, "mirror padding of 1 on every side")};
        c.spatial = true;
        c.nameStem = "pad";
        c.shape = padShape;
        c.costs = padCosts;
        c.receptiveField = padRf;
        c.explain = padExplain;
        c.summary = padSummary;
        c.kernel = padKernel;
        c.pytorch = padPy;
        c.onnxExport = padOnnx;
        c.onnxImport = &kPadImport;
        k.push_back(std::move(c));
    }
}

} // namespace nc::core::kinds
