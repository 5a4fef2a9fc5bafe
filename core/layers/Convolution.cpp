// Convolution: Conv2d (plain, grouped, pointwise, dilated) and DepthwiseConv2d.
#include "ExplainWriter.h"
#include "KindSupport.h"

#include <algorithm>

namespace nc::core::kinds {

namespace {

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

Result<Shape> conv2dShape(const LayerParams& p, std::span<const Shape> in)
{
    return convShape(p, in[0], p.features, p.groups, false);
}

Result<Shape> depthwiseShape(const LayerParams& p, std::span<const Shape> in)
{
    if (in[0].rank() != 3)
        return Error{"expects a C×H×W input, got " + in[0].toString()};
    auto oc = checkedMul(in[0][0], p.multiplier);
    if (!oc)
        return overflow("output channels");
    return convShape(p, in[0], *oc, in[0][0], true);
}

// H and W as {taps, output positions, pairs of them that read the input} (tapsInside).
std::vector<TapCount> tapCounts(const LayerParams& p, const Shape& x, const Shape& out)
{
    const Padding pad = resolvePadding(p, x[1], x[2]);
    return {{p.kh, out[1], tapsInside(out[1], p.kh, p.sh, p.dh, pad.top, x[1])},
            {p.kw, out[2], tapsInside(out[2], p.kw, p.sw, p.dw, pad.left, x[2])}};
}

bool readsZeroPadding(const LayerParams& p)
{
    return p.padMode == static_cast<int64_t>(PadMode::Zeros);
}

// Params = co·(ci/g)·kh·kw + co; MACs = co·(ci/g)·kh·kw·ho·wo (depthwise: ci/g = 1), of which those
// whose tap falls on zero padding are paddingMacs = co·(ci/g)·(kh·ho·kw·wo − insideH·insideW).
Result<LayerCosts> convCostsWith(const LayerParams& p, int64_t cinPerGroup, const Shape& x, const Shape& out)
{
    LayerCosts c;
    int64_t co = out[0];
    auto w = mulAll({co, cinPerGroup, p.kh, p.kw});
    if (!w)
        return overflow("parameter count");
    auto m = mulAll({*w, out[1], out[2]});
    if (!m)
        return overflow("MAC count");
    c.params = *w + (p.bias ? co : 0);
    c.macs = *m;
    c.otherOps = p.bias ? *out.elements() : 0;
    if (readsZeroPadding(p))
        c.paddingMacs = paddingMacsOf(c.macs, co * cinPerGroup, tapCounts(p, x, out));
    return c;
}

Result<LayerCosts> conv2dCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return convCostsWith(p, in[0][0] / p.groups, in[0], out);
}

Result<LayerCosts> depthwiseCosts(const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    return convCostsWith(p, 1, in[0], out);
}

void convRf(const LayerParams& p, RfBuilder& b)
{
    Padding pad = resolvePadding(p, b.inShapes[0][1], b.inShapes[0][2]);
    b.window(0, p.kh, p.sh, p.dh, pad.top, b.out[1]);
    b.window(1, p.kw, p.sw, p.dw, pad.left, b.out[2]);
}

void convExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const Shape& x = L.in[0];
    const Shape& o = L.o;
    using W = ExplainWriter;
    const Padding pad = resolvePadding(p, x[1], x[2]);
    if (p.padSame)
        L.text("padding", "padding \"same\" = " + W::n(pad.top) + " + " + W::n(pad.bottom) + " on H, " +
                              W::n(pad.left) + " + " + W::n(pad.right) + " on W");
    L.eq("ho", "ho", W::windowExpr(x[1], pad.top, pad.bottom, p.kh, p.dh, p.sh, false), o[1]);
    L.eq("wo", "wo", W::windowExpr(x[2], pad.left, pad.right, p.kw, p.dw, p.sw, false), o[2]);
    std::string channels; // co·(ci/g), the MACs of one tap at one output position
    if (L.node.type == LayerType::Conv2d) {
        channels = W::n(o[0]) + "·(" + W::n(x[0]) + "/" + W::n(p.groups) + ")";
    } else {
        L.eq("co", "co", W::factors({x[0], p.multiplier}), o[0]);
        channels = W::n(o[0]);
    }
    const std::string w = channels + "·" + W::n(p.kh) + "·" + W::n(p.kw);
    L.eq("params", "params", w + (p.bias ? " + " + W::n(o[0]) : ""), L.r.params);
    L.eq("MACs", L.batchLabel("MACs"), L.timesBatch(w + "·" + W::n(o[1]) + "·" + W::n(o[2])), L.r.macs);
    if (readsZeroPadding(p))
        L.paddingMacs(channels, tapCounts(p, x, o));
    if (p.bias)
        L.eq("ops", L.batchLabel("bias adds"), L.timesBatch(W::dimsProduct(o)), L.r.otherOps);
    L.fieldWindow(p.kh, p.kw, p.dh, p.dw, p.sh, p.sw);
}

std::string windowSummary(const LayerParams& p, bool conv)
{
    auto n = ExplainWriter::n;
    auto pair = [&](int64_t a, int64_t b) { return a == b ? n(a) : n(a) + "×" + n(b); };
    std::string s = n(p.kh) + "×" + n(p.kw);
    if (p.sh != 1 || p.sw != 1)
        s += " s" + pair(p.sh, p.sw);
    if (conv && p.padSame)
        s += " same";
    else if (p.pt == p.pb && p.pb == p.pl && p.pl == p.pr && p.pt != 0)
        s += " p" + n(p.pt);
    else if (p.pt || p.pb || p.pl || p.pr)
        s += " p" + n(p.pt) + "," + n(p.pb) + "," + n(p.pl) + "," + n(p.pr);
    if (conv && (p.dh != 1 || p.dw != 1))
        s += " d" + pair(p.dh, p.dw);
    return s;
}

std::string conv2dSummary(const LayerParams& p)
{
    std::string s = windowSummary(p, true);
    if (p.groups != 1)
        s += " g" + ExplainWriter::n(p.groups);
    return s;
}

std::string depthwiseSummary(const LayerParams& p)
{
    std::string s = "dw " + windowSummary(p, true);
    if (p.multiplier != 1)
        s += " ×" + ExplainWriter::n(p.multiplier);
    return s;
}

// Hyper-parameters are the analysed ones ("same" padding resolved), so the kernels compute exactly the
// shapes the analysis reports.
KernelPlan convKernel(const LayerParams& q, std::span<const Shape> in, const Shape& out)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::Conv2d;
    op.kh = q.kh, op.kw = q.kw, op.sh = q.sh, op.sw = q.sw;
    Padding pad = resolvePadding(q, in[0][1], in[0][2]);
    op.padTop = pad.top, op.padBottom = pad.bottom, op.padLeft = pad.left, op.padRight = pad.right;
    op.dh = q.dh, op.dw = q.dw, op.padMode = kernelPadMode(q.padMode);
    op.outChannels = out[0];
    op.bias = q.bias != 0;
    return singleKernel(op);
}

KernelPlan conv2dKernel(const LayerParams& q, std::span<const Shape> in, const Shape& out)
{
    KernelPlan p = convKernel(q, in, out);
    p.subs[0].op.groups = q.groups;
    return p;
}

KernelPlan depthwiseKernel(const LayerParams& q, std::span<const Shape> in, const Shape& out)
{
    KernelPlan p = convKernel(q, in, out);
    p.subs[0].op.groups = in[0][0];
    return p;
}

Result<PyCode> convPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const Shape& in = c.in[0];
    const bool dw = c.node.type == LayerType::DepthwiseConv2d;
    const int64_t ci = in[0], co = c.out[0], g = dw ? ci : p.groups;
    std::vector<std::string> a{pyInt(ci), pyInt(co), "kernel_size=" + pyPair(p.kh, p.kw)};
    if (p.sh != 1 || p.sw != 1)
        a.push_back("stride=" + pyPair(p.sh, p.sw));
    std::string pre;
    const Padding pad = resolvePadding(p, in[1], in[2]);
    const bool stride1 = p.sh == 1 && p.sw == 1;
    if (p.padSame && stride1 && p.padMode == 0) {
        a.push_back("padding=\"same\"");
    } else if (pad.top == pad.bottom && pad.left == pad.right) {
        if (pad.top || pad.left)
            a.push_back("padding=" + pyPair(pad.top, pad.left));
        if (p.padMode == static_cast<int64_t>(PadMode::Reflect))
            a.push_back("padding_mode=\"reflect\"");
        else if (p.padMode == static_cast<int64_t>(PadMode::Replicate))
            a.push_back("padding_mode=\"replicate\"");
    } else {
        // Uneven padding: an explicit padding module in front (PyTorch pads both sides equally).
        const char* cls = p.padMode == static_cast<int64_t>(PadMode::Reflect)     ? "nn.ReflectionPad2d"
                          : p.padMode == static_cast<int64_t>(PadMode::Replicate) ? "nn.ReplicationPad2d"
                                                                                  : "nn.ZeroPad2d";
        pre = std::string(cls) + "((" + pyInt(pad.left) + ", " + pyInt(pad.right) + ", " + pyInt(pad.top) +
              ", " + pyInt(pad.bottom) + "))";
    }
    if (p.dh != 1 || p.dw != 1)
        a.push_back("dilation=" + pyPair(p.dh, p.dw));
    if (g != 1)
        a.push_back("groups=" + pyInt(g));
    if (!p.bias)
        a.push_back("bias=False");
    std::string conv = "nn.Conv2d(" + pyJoin(a) + ")";
    return PyCode{pre.empty() ? conv : "nn.Sequential(" + pre + ", " + conv + ")", {}, {}};
}

Status convOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const std::string& L = c.node.name;
    const Shape& in = c.in[0];
    const bool dw = c.node.type == LayerType::DepthwiseConv2d;
    const int64_t ci = in[0], co = c.out[0], g = dw ? ci : p.groups;
    std::string input = c.ins[0];
    Padding pad = resolvePadding(p, in[1], in[2]);
    bool same = p.padSame && p.padMode == static_cast<int64_t>(PadMode::Zeros);
    if (p.padMode != static_cast<int64_t>(PadMode::Zeros)) {
        input = b.fresh(L + "/Pad_output");
        int pn = b.node(
            "Pad", {c.ins[0], b.ints(L + "/pads", {0, 0, pad.top, pad.left, 0, 0, pad.bottom, pad.right})},
            input, L + "/Pad");
        b.attrS(pn, "mode", p.padMode == static_cast<int64_t>(PadMode::Reflect) ? "reflect" : "edge");
        pad = {};
    }
    const int64_t fanIn = (ci / g) * p.kh * p.kw;
    std::vector<std::string> cin{
        input, b.weight(L + ".weight", {co, ci / g, p.kh, p.kw}, OnnxBuilder::Fill::Random, fanIn)};
    if (p.bias)
        cin.push_back(b.weight(L + ".bias", {co}, OnnxBuilder::Fill::Random, fanIn));
    int k = b.node("Conv", cin, c.y, L);
    b.attr(k, "kernel_shape", std::vector<int64_t>{p.kh, p.kw});
    b.attr(k, "strides", std::vector<int64_t>{p.sh, p.sw});
    b.attr(k, "dilations", std::vector<int64_t>{p.dh, p.dw});
    b.attr(k, "group", g);
    if (same)
        b.attrS(k, "auto_pad", "SAME_UPPER");
    else
        b.attr(k, "pads", std::vector<int64_t>{pad.top, pad.left, pad.bottom, pad.right});
    return {};
}

const OnnxImportDecl kConvImport{{"Conv"}};

int64_t kernelArea(const LayerParams& p)
{
    return p.kh * p.kw;
}

} // namespace

void registerConvolution(std::vector<LayerKind>& k)
{
    {
        LayerParams d;
        d.pt = d.pb = d.pl = d.pr = 1;
        LayerKind c;
        c.spec = makeSpec(LayerType::Conv2d, "conv2d", "Conv2d", Category::Convolution,
                          "2-D convolution over C×H×W. ho = ⌊(hi + pt + pb − d·(kh−1) − 1)/s⌋ + 1. "
                          "Params = co·(ci/g)·kh·kw + co; MACs = co·(ci/g)·kh·kw·ho·wo.",
                          concat({intAttr("out_channels", "Out channels", &P::features, 1, kBig)},
                                 concat(kernelAttrs(true), {intAttr("groups", "Groups", &P::groups, 1, kBig),
                                                            boolAttr("bias", "Bias", &P::bias), bitsAttr()})),
                          d);
        LayerParams g = d;
        g.groups = 2;
        LayerParams pw = d;
        pw.kh = pw.kw = 1;
        pw.pt = pw.pb = pw.pl = pw.pr = 0;
        LayerParams dil = d;
        dil.dh = dil.dw = 2;
        dil.pt = dil.pb = dil.pl = dil.pr = 2;
        c.palette = {paletteEntry(c.spec, "Conv2d", "3×3 convolution, padding 1"),
                     paletteEntry(c.spec, "Grouped Conv2d", g, "convolution in 2 groups (AlexNet style)"),
                     paletteEntry(c.spec, "Pointwise Conv2d (1×1)", pw, "1×1 convolution mixing channels"),
                     paletteEntry(c.spec, "Dilated Conv2d", dil, "3×3 convolution with dilation 2")};
        c.spatial = true;
        c.nameStem = "conv";
        c.windowArea = kernelArea;
        c.shape = conv2dShape;
        c.costs = conv2dCosts;
        c.receptiveField = convRf;
        c.explain = convExplain;
        c.summary = conv2dSummary;
        c.kernel = conv2dKernel;
        c.pytorch = convPy;
        c.onnxExport = convOnnx;
        c.onnxImport = &kConvImport;
        c.fusesActivation = true;
        c.absorbsBatchNorm = true;
        k.push_back(std::move(c));
    }
    {
        LayerParams d;
        d.pt = d.pb = d.pl = d.pr = 1;
        LayerKind c;
        c.spec = makeSpec(
            LayerType::DepthwiseConv2d, "depthwise_conv2d", "DepthwiseConv2d", Category::Convolution,
            "Depthwise convolution: groups = input channels, each channel convolved with its own "
            "`multiplier` filters; co = ci·multiplier. Params = co·kh·kw + co; MACs = co·kh·kw·ho·wo.",
            concat({intAttr("multiplier", "Channel multiplier", &P::multiplier, 1, kBig)},
                   concat(kernelAttrs(true), {boolAttr("bias", "Bias", &P::bias), bitsAttr()})),
            d);
        c.palette = {paletteEntry(c.spec, "Depthwise Conv2d", "one 3×3 filter per channel (MobileNet)")};
        c.spatial = true;
        c.nameStem = "dwconv";
        c.windowArea = kernelArea;
        c.shape = depthwiseShape;
        c.costs = depthwiseCosts;
        c.receptiveField = convRf;
        c.explain = convExplain;
        c.summary = depthwiseSummary;
        c.kernel = depthwiseKernel;
        c.pytorch = convPy;
        c.onnxExport = convOnnx;
        c.onnxImport = &kConvImport;
        c.fusesActivation = true;
        c.absorbsBatchNorm = true;
        k.push_back(std::move(c));
    }
}

} // namespace nc::core::kinds
