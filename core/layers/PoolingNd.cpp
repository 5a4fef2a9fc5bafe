// PoolingNd: max and average pooling over 1 and 3 spatial axes (MaxPool1d, AvgPool1d, MaxPool3d,
// AvgPool3d) and global max pooling over any spatial rank.
//
// 1-D kinds read C×L with the W hyper-parameters; 3-D kinds read C×D×H×W and add the depth fields.
// As with Conv1d/Conv3d, a 1-D field runs along W and a 3-D field is reported on H and W.
#include "ExplainWriter.h"
#include "KindSupport.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace nc::core::kinds {

namespace {

using W = ExplainWriter;

struct Axis {
    int64_t k, s, pa, pb;
    const char* name;
};

// Only this file's four kinds reach its facets; any other kind here is a registration bug, not a 3-D pool.
int spatialDims(LayerType t)
{
    if (t == LayerType::MaxPool1d || t == LayerType::AvgPool1d)
        return 1;
    if (t == LayerType::MaxPool3d || t == LayerType::AvgPool3d)
        return 3;
    std::fprintf(stderr, "PoolingNd facet called for layer kind %d\n", static_cast<int>(t));
    std::abort();
}
bool isAvg(LayerType t) { return t == LayerType::AvgPool1d || t == LayerType::AvgPool3d; }

std::vector<Axis> axesOf(const LayerParams& p, int nd)
{
    if (nd == 1)
        return {{p.kw, p.sw, p.pl, p.pr, "W"}};
    return {{p.kd, p.sd, p.pf, p.pk, "D"}, {p.kh, p.sh, p.pt, p.pb, "H"}, {p.kw, p.sw, p.pl, p.pr, "W"}};
}

Result<Shape> poolShape(const LayerParams& p, std::span<const Shape> in, int nd)
{
    const Shape& x = in[0];
    if (auto s = expectRank(x, nd + 1, nd == 1 ? "C×L" : "C×D×H×W"); !s)
        return Error{s.error()};
    Shape out{x[0]};
    const std::vector<Axis> axes = axesOf(p, nd);
    for (int i = 0; i < nd; ++i) {
        const Axis& a = axes[size_t(i)];
        if (2 * std::max(a.pa, a.pb) > a.k)
            return Error{"padding must be at most half the kernel (" + str(a.k) + ") on axis " + a.name +
                         "; reduce the padding"};
        auto o = windowOut(x[i + 1], a.k, a.s, 1, a.pa, a.pb, p.ceilMode != 0, a.name);
        if (!o)
            return Error{o.error()};
        out.push(*o);
    }
    return out;
}
Result<Shape> pool1dShape(const LayerParams& p, std::span<const Shape> in) { return poolShape(p, in, 1); }
Result<Shape> pool3dShape(const LayerParams& p, std::span<const Shape> in) { return poolShape(p, in, 3); }

// One compare or add per window element of every output (as the 2-D pools).
Result<LayerCosts> pool1dCosts(const LayerParams& p, std::span<const Shape>, const Shape& out)
{
    return elementwiseCosts(out, p.kw);
}
Result<LayerCosts> pool3dCosts(const LayerParams& p, std::span<const Shape>, const Shape& out)
{
    auto k = mulAll({p.kd, p.kh, p.kw});
    if (!k)
        return overflow("operation count");
    return elementwiseCosts(out, *k);
}

void pool1dRf(const LayerParams& p, RfBuilder& b) { b.window(1, p.kw, p.sw, 1, p.pl, b.out[1]); }
void pool3dRf(const LayerParams& p, RfBuilder& b)
{
    b.window(0, p.kh, p.sh, 1, p.pt, b.out[2]);
    b.window(1, p.kw, p.sw, 1, p.pl, b.out[3]);
}

void poolExplain(ExplainWriter& L)
{
    const LayerParams& p = L.p;
    const int nd = spatialDims(L.node.type);
    const Shape& x = L.in[0];
    const std::vector<Axis> axes = axesOf(p, nd);
    // Quantity keys: "ho"/"wo" belong to C×H×W outputs; 1-D and 3-D outputs have their own.
    static const char* labels[3] = {"do", "ho", "wo"};
    static const char* keys3[3] = {"out_d", "out_h", "out_w"};
    for (int i = 0; i < nd; ++i) {
        const Axis& a = axes[size_t(i)];
        const char* label = nd == 1 ? "lo" : labels[i];
        const char* key = nd == 1 ? "lo" : keys3[i];
        L.eq(key, label, W::windowExpr(x[i + 1], a.pa, a.pb, a.k, 1, a.s, p.ceilMode != 0), L.o[i + 1]);
    }
    L.text("params", "params = 0");
    const std::string window = nd == 1 ? W::n(p.kw) : W::factors({p.kd, p.kh, p.kw});
    L.eq("ops", L.batchLabel("ops"), L.timesBatch(W::dimsProduct(L.o) + "·" + window), L.r.otherOps);
    if (nd == 1)
        L.fieldWindow(1, p.kw, 1, 1, 1, p.sw);
    else
        L.fieldWindow(p.kh, p.kw, 1, 1, p.sh, p.sw);
}

std::string poolSummary(const LayerParams& p, int nd)
{
    std::string s;
    for (const Axis& a : axesOf(p, nd))
        s += (s.empty() ? "" : "×") + W::n(a.k);
    const std::vector<Axis> axes = axesOf(p, nd);
    std::string st, pa;
    bool strided = false, padded = false;
    for (const Axis& a : axes) {
        st += (st.empty() ? "" : "×") + W::n(a.s);
        pa += (pa.empty() ? "" : ",") + W::n(a.pa) + (a.pa == a.pb ? "" : "+" + W::n(a.pb));
        strided |= a.s != a.k;
        padded |= a.pa || a.pb;
    }
    if (strided)
        s += " s" + st;
    if (padded)
        s += " p" + pa;
    if (p.ceilMode)
        s += " ceil";
    return s;
}
std::string pool1dSummary(const LayerParams& p) { return poolSummary(p, 1); }
std::string pool3dSummary(const LayerParams& p) { return poolSummary(p, 3); }

KernelPlan poolKernel(const LayerParams& q, std::span<const Shape>, const Shape&, LayerType t)
{
    kernels::KernelOp op;
    op.kind = isAvg(t) ? kernels::OpKind::AvgPoolNd : kernels::OpKind::MaxPoolNd;
    op.kw = q.kw, op.sw = q.sw, op.padLeft = q.pl, op.padRight = q.pr;
    if (spatialDims(t) == 3) {
        op.kh = q.kh, op.sh = q.sh, op.padTop = q.pt, op.padBottom = q.pb;
        op.kd = q.kd, op.sd = q.sd, op.padFront = q.pf, op.padBack = q.pk;
    }
    op.ceilMode = q.ceilMode != 0;
    op.countIncludePad = q.countIncludePad != 0;
    return singleKernel(op);
}
KernelPlan maxPool1dKernel(const LayerParams& q, std::span<const Shape> in, const Shape& o)
{
    return poolKernel(q, in, o, LayerType::MaxPool1d);
}
KernelPlan avgPool1dKernel(const LayerParams& q, std::span<const Shape> in, const Shape& o)
{
    return poolKernel(q, in, o, LayerType::AvgPool1d);
}
KernelPlan maxPool3dKernel(const LayerParams& q, std::span<const Shape> in, const Shape& o)
{
    return poolKernel(q, in, o, LayerType::MaxPool3d);
}
KernelPlan avgPool3dKernel(const LayerParams& q, std::span<const Shape> in, const Shape& o)
{
    return poolKernel(q, in, o, LayerType::AvgPool3d);
}

std::string pyAxes(const std::vector<int64_t>& v)
{
    if (std::all_of(v.begin(), v.end(), [&](int64_t x) { return x == v[0]; }))
        return pyInt(v[0]);
    std::vector<std::string> s;
    for (int64_t x : v)
        s.push_back(pyInt(x));
    return "(" + pyJoin(s) + ")";
}

Result<PyCode> poolPy(const PyCtx& c)
{
    const LayerParams& p = c.node.params;
    const int nd = spatialDims(c.node.type);
    const bool avg = isAvg(c.node.type);
    std::vector<int64_t> k, s, pa, pb;
    for (const Axis& a : axesOf(p, nd))
        k.push_back(a.k), s.push_back(a.s), pa.push_back(a.pa), pb.push_back(a.pb);
    const std::string dim = std::to_string(nd) + "d";
    std::vector<std::string> a{"kernel_size=" + pyAxes(k)};
    if (s != k)
        a.push_back("stride=" + pyAxes(s));
    std::string pre;
    if (pa == pb) {
        if (std::any_of(pa.begin(), pa.end(), [](int64_t v) { return v != 0; }))
            a.push_back("padding=" + pyAxes(pa));
    } else {
        std::vector<std::string> t;
        for (int i = nd - 1; i >= 0; --i)
            t.push_back(pyInt(pa[size_t(i)])), t.push_back(pyInt(pb[size_t(i)]));
        pre = "nn.ConstantPad" + dim + "((" + pyJoin(t) + "), " + (avg ? "0.0" : "float(\"-inf\")") + ")";
    }
    if (p.ceilMode)
        a.push_back("ceil_mode=True");
    if (avg && !p.countIncludePad)
        a.push_back("count_include_pad=False");
    std::string pool = std::string(avg ? "nn.AvgPool" : "nn.MaxPool") + dim + "(" + pyJoin(a) + ")";
    return PyCode{pre.empty() ? pool : "nn.Sequential(" + pre + ", " + pool + ")", {}, {}};
}

Status poolOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    const LayerParams& p = c.node.params;
    const int nd = spatialDims(c.node.type);
    const bool avg = isAvg(c.node.type);
    std::vector<int64_t> k, s, pads(size_t(2 * nd));
    const std::vector<Axis> axes = axesOf(p, nd);
    for (int i = 0; i < nd; ++i) {
        k.push_back(axes[size_t(i)].k), s.push_back(axes[size_t(i)].s);
        pads[size_t(i)] = axes[size_t(i)].pa, pads[size_t(nd + i)] = axes[size_t(i)].pb;
    }
    int n = b.node(avg ? "AveragePool" : "MaxPool", {c.ins[0]}, c.y, c.node.name);
    b.attr(n, "kernel_shape", k);
    b.attr(n, "strides", s);
    b.attr(n, "pads", pads);
    b.attr(n, "ceil_mode", p.ceilMode);
    if (avg)
        b.attr(n, "count_include_pad", p.countIncludePad);
    return {};
}

// ---- global max pooling ----

void globalExplain(ExplainWriter& L)
{
    L.text("out", "out = " + L.o.toString() + " (one maximum per channel)");
    L.text("params", "params = 0");
    L.eq("ops", L.batchLabel("ops"), L.timesBatch(W::dimsProduct(L.in[0])), L.r.otherOps);
    L.fieldGlobal();
}

std::string noSummary(const LayerParams&) { return {}; }

KernelPlan globalKernel(const LayerParams&, std::span<const Shape>, const Shape&)
{
    kernels::KernelOp op;
    op.kind = kernels::OpKind::GlobalMaxPool;
    return singleKernel(op);
}

Result<PyCode> globalPy(const PyCtx& c)
{
    return PyCode{"nn.AdaptiveMaxPool" + std::to_string(c.in[0].rank() - 1) + "d(1)", {}, {}};
}

Status globalOnnx(OnnxBuilder& b, const OnnxCtx& c)
{
    b.node("GlobalMaxPool", {c.ins[0]}, c.y, c.node.name);
    return {};
}

int64_t area1d(const LayerParams& p) { return p.kw; }
int64_t area3d(const LayerParams& p) { return p.kh * p.kw; }

const OnnxImportDecl kMaxPoolImport{{"MaxPool"}};
const OnnxImportDecl kAvgPoolImport{{"AveragePool"}};
const OnnxImportDecl kGlobalMaxImport{{"GlobalMaxPool", "ReduceMax"}};

std::vector<AttrSpec> pool1dAttrs(bool avg)
{
    std::vector<AttrSpec> v{
        intAttr("kernel", "Kernel", &P::kw, 1, 1e6),         intAttr("stride", "Stride", &P::sw, 1, 1e6),
        intAttr("pad_left", "Padding left", &P::pl, 0, 1e6), intAttr("pad_right", "Padding right", &P::pr, 0, 1e6),
        boolAttr("ceil_mode", "Ceil mode", &P::ceilMode),
    };
    if (avg)
        v.push_back(boolAttr("count_include_pad", "Count padding in the average", &P::countIncludePad));
    return v;
}

std::vector<AttrSpec> pool3dAttrs(bool avg)
{
    std::vector<AttrSpec> v{
        intAttr("kernel_d", "Kernel depth", &P::kd, 1, 1e6),
        intAttr("stride_d", "Stride D", &P::sd, 1, 1e6),
        intAttr("pad_front", "Padding front", &P::pf, 0, 1e6),
        intAttr("pad_back", "Padding back", &P::pk, 0, 1e6),
    };
    v = concat(v, concat(kernelAttrs(false), {boolAttr("ceil_mode", "Ceil mode", &P::ceilMode)}));
    if (avg)
        v.push_back(boolAttr("count_include_pad", "Count padding in the average", &P::countIncludePad));
    return v;
}

LayerKind poolKind(LayerType t, std::string_view key, std::string_view label, std::string_view doc,
                   std::string_view help)
{
    const int nd = spatialDims(t);
    const bool avg = isAvg(t);
    LayerParams d;
    if (nd == 1) {
        d.kw = d.sw = avg ? 2 : 4;
    } else {
        d.kd = d.kh = d.kw = d.sd = d.sh = d.sw = 2;
    }
    LayerKind c;
    c.spec = makeSpec(t, key, label, Category::Pooling, doc, nd == 1 ? pool1dAttrs(avg) : pool3dAttrs(avg), d);
    c.palette = {paletteEntry(c.spec, label, help)};
    c.spatial = true;
    c.windowArea = nd == 1 ? area1d : area3d;
    c.shape = nd == 1 ? pool1dShape : pool3dShape;
    c.costs = nd == 1 ? pool1dCosts : pool3dCosts;
    c.receptiveField = nd == 1 ? pool1dRf : pool3dRf;
    c.explain = poolExplain;
    c.summary = nd == 1 ? pool1dSummary : pool3dSummary;
    c.kernel = t == LayerType::MaxPool1d   ? maxPool1dKernel
               : t == LayerType::AvgPool1d ? avgPool1dKernel
               : t == LayerType::MaxPool3d ? maxPool3dKernel
                                           : avgPool3dKernel;
    c.nameStem = avg ? "avgpool" : "maxpool";
    c.pytorch = poolPy;
    c.onnxExport = poolOnnx;
    c.onnxImport = avg ? &kAvgPoolImport : &kMaxPoolImport;
    return c;
}

} // namespace

void registerPoolingNd(std::vector<LayerKind>& k)
{
    k.push_back(poolKind(LayerType::MaxPool1d, "max_pool1d", "MaxPool1d",
                         "1-D max pooling over C×L. lo = ⌊(li + pl + pr − k)/s⌋ + 1 (⌈⌉ in ceil mode). "
                         "Ops = lo·k per channel (one compare per window element). No parameters.",
                         "max pooling of 4 along the sequence (M5)"));
    k.push_back(poolKind(LayerType::AvgPool1d, "avg_pool1d", "AvgPool1d",
                         "1-D average pooling over C×L; the output size as MaxPool1d. No parameters.",
                         "average pooling of 2 along the sequence"));
    k.push_back(poolKind(LayerType::MaxPool3d, "max_pool3d", "MaxPool3d",
                         "3-D max pooling over C×D×H×W; each axis as MaxPool2d's. Ops = do·ho·wo·kd·kh·kw per channel.",
                         "2×2×2 max pooling, stride 2 (video)"));
    k.push_back(poolKind(LayerType::AvgPool3d, "avg_pool3d", "AvgPool3d",
                         "3-D average pooling over C×D×H×W; the output size as MaxPool3d. No parameters.",
                         "2×2×2 average pooling, stride 2 (video)"));
    {
        LayerKind c;
        c.spec = makeSpec(LayerType::GlobalMaxPool, "global_max_pool", "GlobalMaxPool", Category::Pooling,
                          "Global max pooling: C×L, C×H×W or C×D×H×W → C×1…; one compare per input element.", {});
        c.palette = {paletteEntry(c.spec, "Global MaxPool", "C×spatial → C×1…")};
        c.spatial = true;
        c.shape = globalPoolShape;
        c.costs = globalPoolCosts;
        c.receptiveField = rfGlobalPool;
        c.explain = globalExplain;
        c.summary = noSummary;
        c.kernel = globalKernel;
        c.nameStem = "gmp";
        c.pytorch = globalPy;
        c.onnxExport = globalOnnx;
        c.onnxImport = &kGlobalMaxImport;
        k.push_back(std::move(c));
    }
}

} // namespace nc::core::kinds
