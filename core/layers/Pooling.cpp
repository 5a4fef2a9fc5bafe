// Pooling: MaxPool2d, AvgPool2d, global average pooling and adaptive average pooling.
#include "ExplainWriter.h"
#include "KindSupport.h"

#include <algorithm>

namespace nc::core::kinds {

namespace {

using W = ExplainWriter;

Result<Shape> poolShape(const LayerParams& p, std::span<const Shape> in)
{
    const Shape& x = in[0];
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

// One compare or add per window element of every output.
Result<LayerCosts> poolCosts(const LayerParams& p, std::span<const Shape>, const Shape& out)
{
    auto k = checkedMul(p.kh, p.kw);
    if (!k)
        return overflow("operation count");
    return elementwiseCosts(out, *k);
}

void poolRf(const LayerParams& p, RfBuilder& b)
{
    b.window(0, p.kh, p.sh, 1, p.pt, b.out[1]);
    b.window(1, p.kw, p.sw, 1, p.pl, b.out[2]);
}

void poolExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const Shape& x = L.in[0];
    L.eq("ho", "ho", W::windowExpr(x[1], p.pt, p.pb, p.kh, 1, p.sh, p.ceilMode != 0), L.o[1]);
    L.eq("wo", "wo", W::windowExpr(x[2], p.pl, p.pr, p.kw, 1, p.sw, p.ceilMode != 0), L.o[2]);
    L.text("params", "params = 0");
    L.eq("ops", L.batchLabel("ops"), L.timesBatch(W::dimsProduct(L.o) + "·" + W::factors({p.kh, p.kw})),
         L.r.otherOps);
    L.fieldWindow(p.kh, p.kw, 1, 1, p.sh, p.sw);
}

std::string poolSummary(const LayerParams& p)
{
    auto pair = [](int64_t a, int64_t b) { return a == b ? W::n(a) : W::n(a) + "×" + W::n(b); };
    std::string s = W::n(p.kh) + "×" + W::n(p.kw);
    if (p.sh != 1 || p.sw != 1)
        s += " s" + pair(p.sh, p.sw);
    if (p.pt == p.pb && p.pb == p.pl && p.pl == p.pr && p.pt != 0)
        s += " p" + W::n(p.pt);
    else if (p.pt || p.pb || p.pl || p.pr)
        s += " p" + W::n(p.pt) + "," + W::n(p.pb) + "," + W::n(p.pl) + "," + W::n(p.pr);
    if (p.ceilMode)
        s += " ceil";
    return s;
}

KernelPlan poolKernel(const LayerParams& q, std::span<const Shape>, const Shape&, kernels::OpKind kind)
{
    kernels::KernelOp op;
    op.kind = kind;
    op.kh = q.kh, op.kw = q.kw, op.sh = q.sh, op.sw = q.sw;
    op.padTop = q.pt, op.padBottom = q.pb, op.padLeft = q.pl, op.padRight = q.pr;
    op.ceilMode = q.ceilMode != 0;
    op.countIncludePad = q.countIncludePad != 0;
    return singleKernel(op);
}
KernelPlan maxPoolKernel(const LayerParams& q, std::span<const Shape> in, const Shape& out)
{
    return poolKernel(q, in, out, kernels::OpKind::MaxPool);
}
KernelPlan avgPoolKernel(const LayerParams& q, std::span<const Shape> in, const Shape& out)
{
    return poolKernel(q, in, out, kernels::OpKind::AvgPool);
}

Result<PyCode> poolPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const bool avg = c.node.type == LayerType::AvgPool2d;
    std::vector<std::string> a{"kernel_size=" + pyPair(p.kh, p.kw)};
    if (p.sh != p.kh || p.sw != p.kw)
        a.push_back("stride=" + pyPair(p.sh, p.sw));
    std::string pre;
    if (p.pt == p.pb && p.pl == p.pr) {
        if (p.pt || p.pl)
            a.push_back("padding=" + pyPair(p.pt, p.pl));
    } else {
        pre = std::string(avg ? "nn.ZeroPad2d((" : "nn.ConstantPad2d((") + pyInt(p.pl) + ", " + pyInt(p.pr) +
              ", " + pyInt(p.pt) + ", " + pyInt(p.pb) + ")" + (avg ? ")" : "), float(\"-inf\"))");
    }
    if (p.ceilMode)
        a.push_back("ceil_mode=True");
    if (avg && !p.countIncludePad)
        a.push_back("count_include_pad=False");
    std::string pool = std::string(avg ? "nn.AvgPool2d(" : "nn.MaxPool2d(") + pyJoin(a) + ")";
    return PyCode{pre.empty() ? pool : "nn.Sequential(" + pre + ", " + pool + ")", {}, {}};
}

Status poolOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const bool avg = c.node.type == LayerType::AvgPool2d;
    int k = b.node(avg ? "AveragePool" : "MaxPool", {c.ins[0]}, c.y, c.node.name);
    b.attr(k, "kernel_shape", std::vector<int64_t>{p.kh, p.kw});
    b.attr(k, "strides", std::vector<int64_t>{p.sh, p.sw});
    b.attr(k, "pads", std::vector<int64_t>{p.pt, p.pl, p.pb, p.pr});
    b.attr(k, "ceil_mode", p.ceilMode);
    if (avg)
        b.attr(k, "count_include_pad", p.countIncludePad);
    return {};
}

// ---- global average pooling ----

void globalExplain(ExplainWriter& L)
{
    L.text("out", "out = " + L.o.toString() + " (one average per channel)");
    L.text("params", "params = 0");
    L.eq("ops", L.batchLabel("ops"), L.timesBatch(W::dimsProduct(L.in[0])), L.r.otherOps);
    L.fieldGlobal();
}

std::string noSummary(const LayerParams&)
{
    return {};
}

KernelPlan globalKernel(const LayerParams&, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::GlobalAvgPool;
    return singleKernel(op);
}

Result<PyCode> globalPy(const PyCtx& c)
{
    return PyCode{"nn.AdaptiveAvgPool" + std::to_string(c.in[0].rank() - 1) + "d(1)", {}, {}};
}

Status globalOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    b.node("GlobalAveragePool", {c.ins[0]}, c.y, c.node.name);
    return {};
}

// ---- adaptive average pooling ----

// Window i spans [⌊i·in/out⌋, ⌈(i+1)·in/out⌉); the sum of the window lengths along one axis.
int64_t windowLengths(int64_t inLen, int64_t outLen)
{
    int64_t sum = 0;
    for (int64_t i = 0; i < outLen; ++i)
        sum += ((i + 1) * inLen + outLen - 1) / outLen - (i * inLen) / outLen;
    return sum;
}

Result<Shape> adaptiveShape(const LayerParams& p, std::span<const Shape> in)
{
    if (auto s = expectRank(in[0], 3, "C×H×W"); !s)
        return Error{s.error()};
    return Shape{in[0][0], p.outH, p.outW};
}

Result<LayerCosts> adaptiveCosts(const LayerParams& p, std::span<const Shape> in, const Shape&)
{
    if (p.outH > (int64_t(1) << 24) || p.outW > (int64_t(1) << 24))
        return Error{"adaptive output size is too large"};
    auto o = mulAll({in[0][0], windowLengths(in[0][1], p.outH), windowLengths(in[0][2], p.outW)});
    if (!o)
        return overflow("operation count");
    LayerCosts c;
    c.otherOps = *o;
    return c;
}

// Exact when the input divides evenly (then it is a plain pooling); otherwise the largest window.
void adaptiveRf(const LayerParams& p, RfBuilder& b)
{
    for (int a = 0; a < 2; ++a) {
        int64_t inLen = b.inShapes[0][a + 1], outLen = a == 0 ? p.outH : p.outW;
        int64_t k = (inLen + outLen - 1) / outLen + (inLen % outLen ? 1 : 0);
        int64_t s = std::max<int64_t>(inLen / outLen, 1);
        b.window(a, std::min(k, inLen), s, 1, 0, outLen);
    }
}

void adaptiveExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    L.text("out", "out = " + L.o.toString());
    L.text("params", "params = 0");
    L.eq("ops", L.batchLabel("ops"),
         L.timesBatch(
             W::factors({L.in[0][0], windowLengths(L.in[0][1], p.outH), windowLengths(L.in[0][2], p.outW)})),
         L.r.otherOps);
}

std::string adaptiveSummary(const LayerParams& p)
{
    return "→" + W::n(p.outH) + "×" + W::n(p.outW);
}

KernelPlan adaptiveKernel(const LayerParams& q, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::AdaptiveAvgPool;
    op.outH = q.outH, op.outW = q.outW;
    return singleKernel(op);
}

Result<PyCode> adaptivePy(const PyCtx& c)
{
    return PyCode{"nn.AdaptiveAvgPool2d(" + pyPair(c.node.params.outH, c.node.params.outW) + ")", {}, {}};
}

Status adaptiveOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const Shape& in = c.in[0];
    if (p.outH == 1 && p.outW == 1) {
        b.node("GlobalAveragePool", {c.ins[0]}, c.y, c.node.name);
        return {};
    }
    if (in[1] % p.outH || in[2] % p.outW)
        return Error{"layer \"" + c.node.name + "\": adaptive pooling from " + str(in[1]) + "×" + str(in[2]) +
                     " to " + str(p.outH) + "×" + str(p.outW) +
                     " has windows of different sizes, which ONNX cannot express"};
    int k = b.node("AveragePool", {c.ins[0]}, c.y, c.node.name);
    b.attr(k, "kernel_shape", std::vector<int64_t>{in[1] / p.outH, in[2] / p.outW});
    b.attr(k, "strides", std::vector<int64_t>{in[1] / p.outH, in[2] / p.outW});
    return {};
}

int64_t poolArea(const LayerParams& p)
{
    return p.kh * p.kw;
}

const OnnxImportDecl kMaxPoolImport{{"MaxPool"}};
const OnnxImportDecl kAvgPoolImport{{"AveragePool"}};
const OnnxImportDecl kGlobalImport{{"GlobalAveragePool", "ReduceMean"}};

} // namespace

void registerPooling(std::vector<LayerKind>& k)
{
    LayerParams d;
    d.kh = d.kw = d.sh = d.sw = 2;
    auto poolAttrs = concat(kernelAttrs(false), {boolAttr("ceil_mode", "Ceil mode", &P::ceilMode)});
    {
        LayerKind c;
        c.spec =
            makeSpec(LayerType::MaxPool2d, "max_pool2d", "MaxPool2d", Category::Pooling,
                     "Max pooling. ho = ⌊(hi + pt + pb − kh)/s⌋ + 1 (⌈⌉ in ceil mode, where a window may not "
                     "start in the bottom padding). No parameters.",
                     poolAttrs, d);
        c.palette = {paletteEntry(c.spec, "MaxPool2d", "2×2 max pooling, stride 2")};
        c.spatial = true;
        c.windowArea = poolArea;
        c.shape = poolShape;
        c.costs = poolCosts;
        c.receptiveField = poolRf;
        c.explain = poolExplain;
        c.summary = poolSummary;
        c.kernel = maxPoolKernel;
        c.nameStem = "maxpool";
        c.pytorch = poolPy;
        c.onnxExport = poolOnnx;
        c.onnxImport = &kMaxPoolImport;
        c.fusesActivation = true;
        k.push_back(std::move(c));
    }
    {
        LayerKind c;
        c.spec = makeSpec(LayerType::AvgPool2d, "avg_pool2d", "AvgPool2d", Category::Pooling,
                          "Average pooling; same output size rule as max pooling. No parameters.",
                          concat(poolAttrs, {boolAttr("count_include_pad", "Count padding in the average",
                                                      &P::countIncludePad)}),
                          d);
        c.palette = {paletteEntry(c.spec, "AvgPool2d", "2×2 average pooling, stride 2")};
        c.spatial = true;
        c.windowArea = poolArea;
        c.shape = poolShape;
        c.costs = poolCosts;
        c.receptiveField = poolRf;
        c.explain = poolExplain;
        c.summary = poolSummary;
        c.kernel = avgPoolKernel;
        c.nameStem = "avgpool";
        c.pytorch = poolPy;
        c.onnxExport = poolOnnx;
        c.onnxImport = &kAvgPoolImport;
        c.fusesActivation = true;
        k.push_back(std::move(c));
    }
    {
        LayerKind c;
        c.spec = makeSpec(LayerType::GlobalAvgPool, "global_avg_pool", "GlobalAvgPool", Category::Pooling,
                          "Global average pooling: C×H×W → C×1×1 (C×L → C×1, C×D×H×W → C×1×1×1).", {});
        c.palette = {paletteEntry(c.spec, "Global AvgPool", "C×H×W → C×1×1")};
        c.spatial = true;
        c.shape = globalPoolShape;
        c.costs = globalPoolCosts;
        c.receptiveField = rfGlobalPool;
        c.explain = globalExplain;
        c.summary = noSummary;
        c.kernel = globalKernel;
        c.nameStem = "gap";
        c.pytorch = globalPy;
        c.onnxExport = globalOnnx;
        c.onnxImport = &kGlobalImport;
        k.push_back(std::move(c));
    }
    {
        LayerParams a;
        a.outH = a.outW = 7;
        LayerKind c;
        c.spec = makeSpec(LayerType::AdaptiveAvgPool2d, "adaptive_avg_pool2d", "AdaptiveAvgPool2d",
                          Category::Pooling,
                          "Adaptive average pooling to a fixed output size: window i spans "
                          "[⌊i·hi/ho⌋, ⌈(i+1)·hi/ho⌉).",
                          {intAttr("out_h", "Output height", &P::outH, 1, kBig),
                           intAttr("out_w", "Output width", &P::outW, 1, kBig)},
                          a);
        c.palette = {paletteEntry(c.spec, "Adaptive AvgPool2d", "to a fixed size")};
        c.spatial = true;
        c.shape = adaptiveShape;
        c.costs = adaptiveCosts;
        c.receptiveField = adaptiveRf;
        c.explain = adaptiveExplain;
        c.summary = adaptiveSummary;
        c.kernel = adaptiveKernel;
        c.nameStem = "pool";
        c.pytorch = adaptivePy;
        c.onnxExport = adaptiveOnnx;
        c.onnxImport = Facet<const OnnxImportDecl*>::na(
            "exporters write adaptive pooling as AveragePool or GlobalAveragePool, imported as those kinds");
        k.push_back(std::move(c));
    }
}

} // namespace nc::core::kinds
