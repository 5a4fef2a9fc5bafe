// The same layers through oneDNN 2.6 primitives, with our kernels where oneDNN lacks the operation.
#include "OneDnnBackend.h"

#include "EigenConv.h"
#include "OpShapes.h"
#include "SpatialKernels.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <unordered_map>

namespace nc::core::kernels {

using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

struct OneDnnBackend::Engine {
    dnnl::engine engine{dnnl::engine::kind::cpu, 0};
    dnnl::stream stream{engine};
};

namespace {

constexpr auto kInference = dnnl::prop_kind::forward_inference;

memory::dims denseStrides(const memory::dims& d)
{
    memory::dims s(d.size(), 1);
    for (std::size_t i = d.size(); i-- > 1;)
        s[i - 1] = s[i] * d[i];
    return s;
}

// Row-major (plain) descriptor of any rank: "abcd…". (memory::dims is the same type as Shape.)
memory::desc plainMd(const memory::dims& d)
{
    return memory::desc(d, Dt::f32, denseStrides(d));
}

// A 4-D tensor in one of the layouts kept between layers (same bytes as the plain tensor).
memory::desc layoutMd(const memory::dims& d, Layout l)
{
    return l == Layout::ChannelsLast ? memory::desc(d, Dt::f32, Tag::nhwc)
           : l == Layout::Blocked16  ? memory::desc(d, Dt::f32, Tag::nChw16c)
                                     : plainMd(d);
}

// The layout a layout-following layer (not a convolution) computes in: its first input's that is
// not plain. Inputs in another layout are reordered to it (a timed reorder in run()).
Layout followedLayout(const KernelOp& op)
{
    for (Layout l : op.inputLayouts)
        if (l != Layout::Plain)
            return l;
    return Layout::Plain;
}

// oneDNN-style tag of a blocked descriptor: outer dims by decreasing stride, upper-case when
// blocked, then the inner blocks ("aBcd16b" is nChw16c).
std::string layoutName(const memory::desc& md)
{
    const dnnl_memory_desc_t& d = md.data;
    if (d.format_kind != dnnl_blocked)
        return "non-blocked";
    const auto& b = d.format_desc.blocking;
    std::vector<int> order(static_cast<std::size_t>(d.ndims));
    for (int i = 0; i < d.ndims; ++i)
        order[static_cast<std::size_t>(i)] = i;
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return b.strides[x] > b.strides[y]; });
    std::string s;
    for (int i : order) {
        bool blocked = false;
        for (int k = 0; k < b.inner_nblks; ++k)
            blocked = blocked || b.inner_idxs[k] == i;
        s += static_cast<char>((blocked ? 'A' : 'a') + i);
    }
    for (int k = 0; k < b.inner_nblks; ++k)
        s += std::to_string(b.inner_blks[k]) + static_cast<char>('a' + b.inner_idxs[k]);
    return s;
}

struct Step {
    dnnl::primitive primitive;
    std::unordered_map<int, memory> args;
};

struct OneDnnState final : BackendState {
    std::vector<Step> steps;
    std::vector<memory> inputs; // views of the caller's input tensors; handles set by run()
    memory output;              // view of the caller's output tensor
    // Reflect/replicate convolution: our pad kernel fills `padded`, oneDNN convolves it.
    bool padFirst = false;
    eigen::ConvGeometry padGeometry;
    Tensor padded;
    // Operations oneDNN 2.6 lacks: run by our kernels. Inputs that arrive in a oneDNN layout are
    // first reordered into `plainInputs` (which then holds every input, plain ones copied).
    bool fallback = false;
    PreparedOp inner;
    struct ToPlain {
        std::size_t input;
        memory from, to;
        dnnl::reorder reorder;
    };
    std::vector<ToPlain> toPlain;
    std::vector<Tensor> plainInputs;
    // LSTM/GRU final states (op.finalStates): one primitive's dst_iter (which = 0) or dst_iter_c
    // (which = 1), ldnc for its layers first .. first + count − 1, scattered into
    // PreparedOp::states() after the run.
    struct StateOut {
        memory m;
        int which;
        int64_t first, count;
    };
    std::vector<StateOut> states;
    Layout outputLayout = Layout::Plain; // keepOutputLayout: the oneDNN layout the output was left in
};

// Reason a layer goes to the fallback, thrown inside the builder and caught in doPrepare.
struct Unsupported {
    std::string reason;
};

// Builds the primitive sequence of one layer into a OneDnnState.
class Builder {
public:
    Builder(const dnnl::engine& engine, dnnl::stream& stream, OneDnnState& state, const PreparedOp& prepared)
        : m_engine(engine), m_stream(stream), m_state(state)
    {
        m_state.inputs.resize(prepared.inputShapes().size());
    }

    // View of input i with the given descriptor (same bytes as the plain tensor).
    memory input(std::size_t i, const memory::desc& md)
    {
        m_state.inputs[i] = memory(md, m_engine, nullptr);
        return m_state.inputs[i];
    }
    memory output(const memory::desc& md)
    {
        m_state.output = memory(md, m_engine, nullptr);
        return m_state.output;
    }
    memory buffer(const memory::desc& md) { return memory(md, m_engine); }
    // oneDNN-owned copy of a parameter, reordered once into `wanted` from its plain layout `plain`.
    memory constant(const float* data, const memory::desc& plain, const memory::desc& wanted)
    {
        memory src(plain, m_engine, const_cast<float*>(data));
        memory dst(wanted, m_engine);
        dnnl::reorder(src, dst).execute(m_stream, src, dst);
        m_stream.wait();
        return dst;
    }
    memory constant(const std::vector<float>& data, const memory::desc& md)
    {
        return constant(data.data(), md, md);
    }
    // `m` in layout `wanted`, adding a reorder step when it differs (a run-time, timed reorder).
    memory toLayout(const memory& m, const memory::desc& wanted)
    {
        if (m.get_desc() == wanted)
            return m;
        memory r(wanted, m_engine);
        add(dnnl::reorder(m, r), {{DNNL_ARG_FROM, m}, {DNNL_ARG_TO, r}});
        ++m_runReorders;
        return r;
    }
    // Writes `result` to `target` if they are different memories (layout change at the end).
    void finishInto(const memory& result, const memory& target)
    {
        if (result.get() == target.get())
            return;
        add(dnnl::reorder(result, target), {{DNNL_ARG_FROM, result}, {DNNL_ARG_TO, target}});
        ++m_runReorders;
    }
    void add(dnnl::primitive p, std::unordered_map<int, memory> args)
    {
        m_state.steps.push_back({std::move(p), std::move(args)});
    }
    // Destination of a layer computed in layout `l`: written in place when `l` is plain or the
    // output may stay in it (keepOutputLayout; the state records it), else computed into a buffer
    // and reordered to plain by finish(). A 1×1-spatial output in a kept layout has the plain
    // bytes already (channels-last, and 16-channel blocks of a multiple of 16, order N, C alone).
    struct Dst {
        memory compute, user;
    };
    Dst dst(const memory::dims& d, Layout l, bool keep)
    {
        if (l == Layout::Plain) {
            memory m = output(plainMd(d));
            return {m, m};
        }
        const bool pointwise = d.size() == 4 && d[2] * d[3] == 1;
        if (keep || pointwise) {
            if (!pointwise)
                m_state.outputLayout = l;
            memory m = output(layoutMd(d, l));
            return {m, m};
        }
        return {buffer(layoutMd(d, l)), output(plainMd(d))};
    }
    void finish(const Dst& d) { finishInto(d.compute, d.user); }
    // Input i as described by its layout (KernelOp::inputLayouts), reordered to `l` when it differs.
    memory inputIn(std::size_t i, const memory::dims& d, Layout arrives, Layout l)
    {
        return toLayout(input(i, layoutMd(d, arrives)), layoutMd(d, l));
    }
    int runReorders() const { return m_runReorders; }
    const dnnl::engine& engine() const { return m_engine; }

private:
    const dnnl::engine& m_engine;
    dnnl::stream& m_stream;
    OneDnnState& m_state;
    int m_runReorders = 0;
};

std::string reorderNote(int n)
{
    return n ? ", " + std::to_string(n) + " layout reorder(s) in run" : "";
}

// oneDNN's eltwise algorithm and its α, β for an activation kind, shared by the eltwise primitive
// and the post-op of a fused activation; throws Unsupported for other kinds and hard sigmoid.
struct Eltwise {
    dnnl::algorithm alg = dnnl::algorithm::eltwise_relu;
    float alpha = 0.0f, beta = 0.0f;
};
Eltwise eltwiseFor(OpKind kind, float slope);

// A fused activation as an eltwise post-op: applied by the convolution or inner product to each
// block of output it writes, so the output is not read back. Empty attributes without one.
dnnl::primitive_attr fusedActivation(const KernelOp& op, std::string& note)
{
    dnnl::primitive_attr attr;
    if (op.activation == OpKind::Identity)
        return attr;
    const Eltwise e = eltwiseFor(op.activation, op.slope);
    dnnl::post_ops po;
    po.append_eltwise(1.0f, e.alg, e.alpha, e.beta);
    attr.set_post_ops(po);
    note = ", " + std::string(opKindName(op.activation)) + " fused as a post-op";
    return attr;
}

std::string buildConv(Builder& b, OneDnnState& st, const PreparedOp& p)
{
    const KernelOp& op = p.op();
    const Shape& in = p.inputShapes()[0];
    const Shape& out = p.outputShape();
    const auto g = eigen::ConvGeometry::from(op, in, out);
    Shape src = in;
    memory::dims padL{g.pt, g.pl}, padR{g.pb, g.pr};
    std::string extra;
    if (op.padMode != PadMode::Zeros && g.padded()) {
        // oneDNN 2.6 convolutions pad with zeros only.
        st.padFirst = true;
        st.padGeometry = g;
        src = {g.n, g.c, g.hp(), g.wp()};
        st.padded = Tensor(src);
        padL = padR = {0, 0};
        extra = ", reflect/replicate padding by our pad kernel (fallback), then zero-pad convolution";
    }
    const memory::dims wDims = g.groups > 1 ? memory::dims{g.groups, g.og(), g.cg(), g.kh, g.kw}
                                            : memory::dims{g.o, g.c, g.kh, g.kw};
    const memory::desc srcAny({src.begin(), src.end()}, Dt::f32, Tag::any);
    const memory::desc dstAny({out.begin(), out.end()}, Dt::f32, Tag::any);
    const memory::desc wAny(wDims, Dt::f32, Tag::any);
    const memory::desc biasMd({g.o}, Dt::f32, Tag::a);
    // oneDNN counts dilation from 0 (d − 1): 0 is a dense kernel.
    const memory::dims strides{g.sh, g.sw}, dil{g.dh - 1, g.dw - 1};
    auto desc = op.bias ? dnnl::convolution_forward::desc(kInference, dnnl::algorithm::convolution_direct, srcAny,
                                                          wAny, biasMd, dstAny, strides, dil, padL, padR)
                        : dnnl::convolution_forward::desc(kInference, dnnl::algorithm::convolution_direct, srcAny,
                                                          wAny, dstAny, strides, dil, padL, padR);
    std::string fused;
    const dnnl::primitive_attr attr = fusedActivation(op, fused);
    dnnl::convolution_forward::primitive_desc pd(desc, attr, b.engine());

    std::unordered_map<int, memory> args;
    args[DNNL_ARG_WEIGHTS] = b.constant(p.parameters()[0].data(), plainMd(wDims), pd.weights_desc());
    if (op.bias)
        args[DNNL_ARG_BIAS] = b.constant(p.parameters()[1].data(), biasMd, biasMd);
    if (op.layoutOf(0) != Layout::Plain && st.padFirst)
        throw Unsupported{"a oneDNN-layout input with reflect/replicate padding"};
    const memory::dims outDims(out.begin(), out.end()), srcDims(src.begin(), src.end());
    const memory user = st.padFirst ? memory(plainMd(src), b.engine(), st.padded.data())
                                    : b.input(0, layoutMd(srcDims, op.layoutOf(0)));
    args[DNNL_ARG_SRC] = b.toLayout(user, pd.src_desc());
    // Left in the primitive's layout only when it is one a reader can name (and of the plain size).
    Layout keep = Layout::Plain;
    if (op.keepOutputLayout && pd.dst_desc() == layoutMd(outDims, Layout::ChannelsLast))
        keep = Layout::ChannelsLast;
    else if (op.keepOutputLayout && out[1] % 16 == 0 && pd.dst_desc() == layoutMd(outDims, Layout::Blocked16))
        keep = Layout::Blocked16;
    st.outputLayout = keep;
    const memory userOut = b.output(layoutMd(outDims, keep));
    if (keep != Layout::Plain)
        extra += ", output left in " + layoutName(pd.dst_desc()) + " for the next layer";
    if (op.layoutOf(0) != Layout::Plain)
        extra += ", input read in " + layoutName(user.get_desc());
    const memory dst = pd.dst_desc() == userOut.get_desc() ? userOut : b.buffer(pd.dst_desc());
    args[DNNL_ARG_DST] = dst;
    b.add(dnnl::convolution_forward(pd), args);
    b.finishInto(dst, userOut);
    return std::string("convolution ") + pd.impl_info_str() + ", src " + layoutName(pd.src_desc()) + ", weights " +
           layoutName(pd.weights_desc()) + ", dst " + layoutName(pd.dst_desc()) + reorderNote(b.runReorders()) + extra +
           fused;
}

std::string buildLinear(Builder& b, const PreparedOp& p)
{
    const KernelOp& op = p.op();
    const Shape& in = p.inputShapes()[0];
    const int64_t inF = in.back(), rows = shapeElements(in) / inF, outF = op.outChannels;
    const memory::desc srcAny({rows, inF}, Dt::f32, Tag::any);
    const memory::desc wAny({outF, inF}, Dt::f32, Tag::any);
    const memory::desc dstAny({rows, outF}, Dt::f32, Tag::any);
    const memory::desc biasMd({outF}, Dt::f32, Tag::a);
    auto desc = op.bias ? dnnl::inner_product_forward::desc(kInference, srcAny, wAny, biasMd, dstAny)
                        : dnnl::inner_product_forward::desc(kInference, srcAny, wAny, dstAny);
    std::string fused;
    const dnnl::primitive_attr attr = fusedActivation(op, fused);
    dnnl::inner_product_forward::primitive_desc pd(desc, attr, b.engine());
    std::unordered_map<int, memory> args;
    args[DNNL_ARG_WEIGHTS] = b.constant(p.parameters()[0].data(), plainMd(memory::dims{outF, inF}), pd.weights_desc());
    if (op.bias)
        args[DNNL_ARG_BIAS] = b.constant(p.parameters()[1].data(), biasMd, biasMd);
    args[DNNL_ARG_SRC] = b.toLayout(b.input(0, plainMd(memory::dims{rows, inF})), pd.src_desc());
    const memory userOut = b.output(plainMd(memory::dims{rows, outF}));
    const memory dst = pd.dst_desc() == userOut.get_desc() ? userOut : b.buffer(pd.dst_desc());
    args[DNNL_ARG_DST] = dst;
    b.add(dnnl::inner_product_forward(pd), args);
    b.finishInto(dst, userOut);
    return std::string("inner_product ") + pd.impl_info_str() + ", weights " + layoutName(pd.weights_desc()) +
           reorderNote(b.runReorders()) + fused;
}

// Pooling in layout `l` (the input's; source and destination in the same layout, as oneDNN's
// optimised implementations want).
std::string addPooling(Builder& b, dnnl::algorithm alg, const memory::dims& src, const memory::dims& dst,
                       const memory::dims& strides, const memory::dims& kernel, const memory::dims& dil,
                       const memory::dims& padL, const memory::dims& padR, Layout l = Layout::Plain,
                       bool keep = false)
{
    dnnl::pooling_v2_forward::desc desc(kInference, alg, layoutMd(src, l), layoutMd(dst, l), strides, kernel, dil,
                                        padL, padR);
    dnnl::pooling_v2_forward::primitive_desc pd(desc, b.engine());
    const Builder::Dst d = b.dst(dst, l, keep);
    b.add(dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, b.input(0, layoutMd(src, l))}, {DNNL_ARG_DST, d.compute}});
    b.finish(d);
    return std::string("pooling_v2 ") + pd.impl_info_str() +
           (l != Layout::Plain ? " in " + layoutName(layoutMd(src, l)) : std::string()) + reorderNote(b.runReorders());
}

std::string buildPool(Builder& b, const PreparedOp& p)
{
    const KernelOp& op = p.op();
    const Shape& in = p.inputShapes()[0];
    const Shape& out = p.outputShape();
    // oneDNN has no ceil mode; it requires out = ⌊(in + pl + pr − eff)/s⌋ + 1 exactly. In ceil
    // mode the right/bottom padding becomes what the output size needs, (out − 1)·s + eff − in − pl;
    // in floor mode the layer's own padding already satisfies it.
    const int64_t effH = (op.kh - 1) * op.dh + 1, effW = (op.kw - 1) * op.dw + 1;
    int64_t pb = op.padBottom, pr = op.padRight;
    if (op.ceilMode) {
        pb = (out[2] - 1) * op.sh + effH - in[2] - op.padTop;
        pr = (out[3] - 1) * op.sw + effW - in[3] - op.padLeft;
    }
    if (pb < 0 || pr < 0)
        throw Unsupported{"ceil-mode window shape oneDNN cannot express"};
    const bool avg = op.kind == OpKind::AvgPool;
    if (avg && op.countIncludePad && (pb > op.padBottom || pr > op.padRight))
        throw Unsupported{"ceil-mode window overhangs the padding with count_include_pad (oneDNN divides by kh*kw)"};
    const auto alg = !avg ? dnnl::algorithm::pooling_max
                          : (op.countIncludePad ? dnnl::algorithm::pooling_avg_include_padding
                                                : dnnl::algorithm::pooling_avg_exclude_padding);
    return addPooling(b, alg, {in.begin(), in.end()}, {out.begin(), out.end()}, {op.sh, op.sw}, {op.kh, op.kw},
                      {op.dh - 1, op.dw - 1}, {op.padTop, op.padLeft}, {pb, pr}, op.layoutOf(0),
                      op.keepOutputLayout);
}

std::string buildNorm(Builder& b, OneDnnState&, const PreparedOp& p)
{
    const KernelOp& op = p.op();
    const Shape& in = p.inputShapes()[0];
    const auto& params = p.parameters();
    using Flags = dnnl::normalization_flags;
    const int64_t total = shapeElements(in);

    if (op.kind == OpKind::LayerNorm) {
        const int64_t axis = normaliseAxis(op.normAxis, static_cast<int64_t>(in.size()));
        int64_t len = 1;
        for (std::size_t i = static_cast<std::size_t>(axis); i < in.size(); ++i)
            len *= in[i];
        const memory::dims dims{total / len, len};
        dnnl::layer_normalization_forward::desc desc(kInference, plainMd(dims), op.eps, Flags::use_scale | Flags::use_shift);
        dnnl::layer_normalization_forward::primitive_desc pd(desc, b.engine());
        const memory::desc affine({len}, Dt::f32, Tag::a);
        b.add(dnnl::layer_normalization_forward(pd),
              {{DNNL_ARG_SRC, b.input(0, plainMd(dims))},
               {DNNL_ARG_DST, b.output(plainMd(dims))},
               {DNNL_ARG_SCALE, b.constant(params[0].data(), affine, affine)},
               {DNNL_ARG_SHIFT, b.constant(params[1].data(), affine, affine)},
               {DNNL_ARG_MEAN, b.buffer(pd.mean_desc())},
               {DNNL_ARG_VARIANCE, b.buffer(pd.variance_desc())}});
        return std::string("layer_normalization ") + pd.impl_info_str() + " over [" + std::to_string(dims[0]) + ", " +
               std::to_string(len) + "]";
    }

    const int64_t n = in[0], c = in[1], s = total / (n * c);
    if (op.kind == OpKind::BatchNorm && op.layoutOf(0) != Layout::Plain) {
        const Layout l = op.layoutOf(0);
        const memory::dims dims(in.begin(), in.end());
        dnnl::batch_normalization_forward::desc desc(kInference, layoutMd(dims, l), op.eps,
                                                     Flags::use_global_stats | Flags::use_scale | Flags::use_shift);
        dnnl::batch_normalization_forward::primitive_desc pd(desc, b.engine());
        const memory::desc vec({c}, Dt::f32, Tag::a);
        const Builder::Dst d = b.dst(dims, l, op.keepOutputLayout);
        b.add(dnnl::batch_normalization_forward(pd), {{DNNL_ARG_SRC, b.input(0, layoutMd(dims, l))},
                                                      {DNNL_ARG_DST, d.compute},
                                                      {DNNL_ARG_SCALE, b.constant(params[0].data(), vec, vec)},
                                                      {DNNL_ARG_SHIFT, b.constant(params[1].data(), vec, vec)},
                                                      {DNNL_ARG_MEAN, b.constant(params[2].data(), vec, vec)},
                                                      {DNNL_ARG_VARIANCE, b.constant(params[3].data(), vec, vec)}});
        b.finish(d);
        return std::string("batch_normalization ") + pd.impl_info_str() + " (global stats, scale, shift) in " +
               layoutName(layoutMd(dims, l)) + reorderNote(b.runReorders());
    }
    if (op.kind == OpKind::BatchNorm) {
        const memory::dims dims{n, c, s, 1};
        dnnl::batch_normalization_forward::desc desc(kInference, plainMd(dims), op.eps,
                                                     Flags::use_global_stats | Flags::use_scale | Flags::use_shift);
        dnnl::batch_normalization_forward::primitive_desc pd(desc, b.engine());
        const memory::desc vec({c}, Dt::f32, Tag::a);
        b.add(dnnl::batch_normalization_forward(pd), {{DNNL_ARG_SRC, b.input(0, plainMd(dims))},
                                                      {DNNL_ARG_DST, b.output(plainMd(dims))},
                                                      {DNNL_ARG_SCALE, b.constant(params[0].data(), vec, vec)},
                                                      {DNNL_ARG_SHIFT, b.constant(params[1].data(), vec, vec)},
                                                      {DNNL_ARG_MEAN, b.constant(params[2].data(), vec, vec)},
                                                      {DNNL_ARG_VARIANCE, b.constant(params[3].data(), vec, vec)}});
        return std::string("batch_normalization ") + pd.impl_info_str() + " (global stats, scale, shift)";
    }

    if (op.kind == OpKind::InstanceNorm) {
        // Instance norm is batch norm with computed statistics over a batch of one whose channels
        // are the N·C planes; γ, β are repeated for each image.
        const memory::dims dims{1, n * c, s, 1};
        dnnl::batch_normalization_forward::desc desc(kInference, plainMd(dims), op.eps, Flags::use_scale | Flags::use_shift);
        dnnl::batch_normalization_forward::primitive_desc pd(desc, b.engine());
        std::vector<float> gamma(static_cast<std::size_t>(n * c)), beta(gamma.size());
        for (int64_t i = 0; i < n * c; ++i) {
            gamma[static_cast<std::size_t>(i)] = params[0][i % c];
            beta[static_cast<std::size_t>(i)] = params[1][i % c];
        }
        const memory::desc vec({n * c}, Dt::f32, Tag::a);
        b.add(dnnl::batch_normalization_forward(pd), {{DNNL_ARG_SRC, b.input(0, plainMd(dims))},
                                                      {DNNL_ARG_DST, b.output(plainMd(dims))},
                                                      {DNNL_ARG_SCALE, b.constant(gamma, vec)},
                                                      {DNNL_ARG_SHIFT, b.constant(beta, vec)},
                                                      {DNNL_ARG_MEAN, b.buffer(pd.mean_desc())},
                                                      {DNNL_ARG_VARIANCE, b.buffer(pd.variance_desc())}});
        return std::string("batch_normalization ") + pd.impl_info_str() + " over [1, N*C, S] (instance norm)";
    }

    // Group norm: batch norm without affine over [1, N·G, C/G·S] normalises each (image, group);
    // then y = γ[c]·x̂ + β[c] as a binary multiply with a binary-add post-op, broadcasting γ, β
    // over [N, C, S].
    const int64_t groups = op.numGroups;
    const memory::dims normDims{1, n * groups, c / groups * s, 1};
    dnnl::batch_normalization_forward::desc desc(kInference, plainMd(normDims), op.eps, Flags::none);
    dnnl::batch_normalization_forward::primitive_desc pd(desc, b.engine());
    const memory normalised = b.buffer(plainMd(normDims));
    b.add(dnnl::batch_normalization_forward(pd), {{DNNL_ARG_SRC, b.input(0, plainMd(normDims))},
                                                  {DNNL_ARG_DST, normalised},
                                                  {DNNL_ARG_MEAN, b.buffer(pd.mean_desc())},
                                                  {DNNL_ARG_VARIANCE, b.buffer(pd.variance_desc())}});
    const memory::dims dims{n, c, s};
    const memory::desc vec = plainMd(memory::dims{1, c, 1});
    dnnl::post_ops po;
    po.append_binary(dnnl::algorithm::binary_add, vec);
    dnnl::primitive_attr attr;
    attr.set_post_ops(po);
    dnnl::binary::desc bdesc(dnnl::algorithm::binary_mul, plainMd(dims), vec, plainMd(dims));
    dnnl::binary::primitive_desc bpd(bdesc, attr, b.engine());
    b.add(dnnl::binary(bpd), {{DNNL_ARG_SRC_0, memory(plainMd(dims), b.engine(), normalised.get_data_handle())},
                              {DNNL_ARG_SRC_1, b.constant(params[0].data(), vec, vec)},
                              {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, b.constant(params[1].data(), vec, vec)},
                              {DNNL_ARG_DST, b.output(plainMd(dims))}});
    return std::string("batch_normalization ") + pd.impl_info_str() + " over [1, N*G, C/G*S] + binary " +
           bpd.impl_info_str() + " (group norm)";
}


Eltwise eltwiseFor(OpKind kind, float slope)
{
    using A = dnnl::algorithm;
    A alg = A::eltwise_relu;
    float alpha = 0.0f, beta = 0.0f;
    switch (kind) {
    case OpKind::ReLU:
        break;
    case OpKind::LeakyReLU:
        alpha = slope; // relu with a negative slope
        break;
    case OpKind::ReLU6:
        alg = A::eltwise_clip_v2; // clip_v2: min(max(x, α), β), α = 0, β = 6
        beta = 6.0f;
        break;
    case OpKind::Sigmoid:
        alg = A::eltwise_logistic;
        break;
    case OpKind::Tanh:
        alg = A::eltwise_tanh;
        break;
    case OpKind::SiLU:
        alg = A::eltwise_swish; // x·σ(α·x), α = 1
        alpha = 1.0f;
        break;
    case OpKind::HardSwish:
        alg = A::eltwise_hardswish; // x·relu6(x + 3)/6 in 2.6 (no parameters)
        break;
    case OpKind::GELU:
        alg = A::eltwise_gelu_erf;
        break;
    case OpKind::GeluTanh:
        alg = A::eltwise_gelu_tanh;
        break;
    case OpKind::HardSigmoid:
        // oneDNN 2.6 has no hard sigmoid, and its reference eltwise drops a clip post-op after
        // eltwise_linear (measured: the upper clamp came out 0), so our Eigen kernel runs it.
        throw Unsupported{"hard sigmoid (no oneDNN 2.6 primitive; the Eigen kernel runs it)"};
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
        throw Unsupported{"not an eltwise kind"};
    }
    return {alg, alpha, beta};
}

std::string buildEltwise(Builder& b, const PreparedOp& p)
{
    const auto [alg, alpha, beta] = eltwiseFor(p.op().kind, p.op().slope);
    const Layout l = p.op().layoutOf(0);
    if (l != Layout::Plain) {
        // Element by element, so the input's layout is kept as it is.
        const Shape& in = p.inputShapes()[0];
        const memory::dims dims(in.begin(), in.end());
        dnnl::eltwise_forward::desc desc(kInference, alg, layoutMd(dims, l), alpha, beta);
        dnnl::eltwise_forward::primitive_desc pd(desc, b.engine());
        const Builder::Dst d = b.dst(dims, l, p.op().keepOutputLayout);
        b.add(dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, b.input(0, layoutMd(dims, l))}, {DNNL_ARG_DST, d.compute}});
        b.finish(d);
        return std::string("eltwise ") + pd.impl_info_str() + " in " + layoutName(layoutMd(dims, l)) +
               reorderNote(b.runReorders());
    }
    const memory::desc md = plainMd(memory::dims{shapeElements(p.inputShapes()[0])});
    dnnl::eltwise_forward::desc desc(kInference, alg, md, alpha, beta);
    dnnl::eltwise_forward::primitive_desc pd(desc, b.engine());
    b.add(dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, b.input(0, md)}, {DNNL_ARG_DST, b.output(md)}});
    return std::string("eltwise ") + pd.impl_info_str();
}

std::string buildBinary(Builder& b, const PreparedOp& p)
{
    const KernelOp& op = p.op();
    const Shape& out = p.outputShape();
    const auto alg = op.kind == OpKind::Add ? dnnl::algorithm::binary_add : dnnl::algorithm::binary_mul;
    const memory::dims outDims(out.begin(), out.end());
    if (const Layout l = followedLayout(op); l != Layout::Plain) {
        // Both inputs of the output's shape (the only case given layouts): computed in `l`.
        if (!op.operand.empty() || p.inputShapes().size() != 2 || p.inputShapes()[0] != out ||
            p.inputShapes()[1] != out)
            throw Unsupported{"a broadcasting Add/Mul with an input in a oneDNN layout"};
        const memory::desc md = layoutMd(outDims, l);
        dnnl::binary::primitive_desc pd(dnnl::binary::desc(alg, md, md, md), b.engine());
        const memory s0 = b.inputIn(0, outDims, op.layoutOf(0), l), s1 = b.inputIn(1, outDims, op.layoutOf(1), l);
        const Builder::Dst d = b.dst(outDims, l, op.keepOutputLayout);
        b.add(dnnl::binary(pd), {{DNNL_ARG_SRC_0, s0}, {DNNL_ARG_SRC_1, s1}, {DNNL_ARG_DST, d.compute}});
        b.finish(d);
        return std::string("binary ") + pd.impl_info_str() + " in " + layoutName(md) + reorderNote(b.runReorders());
    }
    auto aligned = [&](const Shape& s) {
        Shape r(out.size(), 1);
        std::copy(s.begin(), s.end(), r.begin() + static_cast<std::ptrdiff_t>(out.size() - s.size()));
        return r;
    };
    // The second operand: input 1, or the learned operand (a constant, parameter 0).
    const bool learned = !op.operand.empty();
    const Shape a = aligned(p.inputShapes()[0]), c = aligned(learned ? Shape(op.operand) : p.inputShapes()[1]);
    // oneDNN 2.6 broadcasts only the second source; add and mul commute, so swap when the first
    // is the broadcast one. Both broadcast ([3,1] + [1,4]) has no oneDNN form.
    std::size_t first = 0;
    if (a != out) {
        if (c != out)
            throw Unsupported{"both inputs broadcast (oneDNN 2.6 binary broadcasts only src1)"};
        first = 1;
    }
    const memory ma = b.input(0, plainMd(a));
    const memory mc = learned ? b.constant(p.parameters()[0].data(), plainMd(c), plainMd(c)) : b.input(1, plainMd(c));
    dnnl::binary::desc desc(alg, first == 0 ? plainMd(a) : plainMd(c), first == 0 ? plainMd(c) : plainMd(a),
                            plainMd(out));
    dnnl::binary::primitive_desc pd(desc, b.engine());
    b.add(dnnl::binary(pd), {{DNNL_ARG_SRC_0, first == 0 ? ma : mc},
                             {DNNL_ARG_SRC_1, first == 0 ? mc : ma},
                             {DNNL_ARG_DST, b.output(plainMd(out))}});
    return std::string("binary ") + pd.impl_info_str() + (first ? " (sources swapped)" : "") +
           (learned ? ", learned operand as a constant source" : "");
}

// Concat in the first non-plain input's layout (others reordered to it); 16-channel blocks only
// when every input's channels are a multiple of 16, else plain.
std::string buildConcat(Builder& b, const PreparedOp& p)
{
    const KernelOp& op = p.op();
    const Shape& out = p.outputShape();
    const int axis = static_cast<int>(normaliseAxis(op.axis, static_cast<int64_t>(out.size())));
    Layout l = followedLayout(op);
    for (const Shape& s : p.inputShapes())
        if (l == Layout::Blocked16 && s[1] % 16 != 0)
            l = Layout::Plain;
    const memory::dims outDims(out.begin(), out.end());
    std::vector<memory::desc> srcs;
    std::unordered_map<int, memory> args;
    for (std::size_t i = 0; i < p.inputShapes().size(); ++i) {
        const memory::dims d(p.inputShapes()[i].begin(), p.inputShapes()[i].end());
        srcs.push_back(layoutMd(d, l));
        args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i)] = b.inputIn(i, d, op.layoutOf(i), l);
    }
    dnnl::concat::primitive_desc pd(layoutMd(outDims, l), axis, srcs, b.engine());
    const Builder::Dst d = b.dst(outDims, l, op.keepOutputLayout);
    args[DNNL_ARG_DST] = d.compute;
    b.add(dnnl::concat(pd), args);
    b.finish(d);
    return std::string("concat ") + pd.impl_info_str() +
           (l != Layout::Plain ? " in " + layoutName(layoutMd(outDims, l)) : std::string()) +
           reorderNote(b.runReorders());
}

// MatMul of two activations: oneDNN's matmul primitive broadcasts batch axes of size 1 on either
// operand once both have the output's rank.
std::string buildMatMul(Builder& b, const PreparedOp& p)
{
    const Shape& out = p.outputShape();
    auto aligned = [&](const Shape& s) {
        Shape r(out.size(), 1);
        std::copy(s.begin(), s.end(), r.begin() + static_cast<std::ptrdiff_t>(out.size() - s.size()));
        return r;
    };
    const Shape a = aligned(p.inputShapes()[0]), w = aligned(p.inputShapes()[1]);
    dnnl::matmul::desc desc(plainMd(a), plainMd(w), plainMd(out));
    dnnl::matmul::primitive_desc pd(desc, b.engine());
    b.add(dnnl::matmul(pd), {{DNNL_ARG_SRC, b.input(0, plainMd(a))},
                             {DNNL_ARG_WEIGHTS, b.input(1, plainMd(w))},
                             {DNNL_ARG_DST, b.output(plainMd(out))}});
    return std::string("matmul ") + pd.impl_info_str();
}

std::string buildAttention(Builder& b, const PreparedOp& p)
{
    const Shape& in = p.inputShapes()[0];
    const auto& params = p.parameters();
    const int64_t n = in[0], t = in[1], d = in[2], h = p.op().heads, dh = d / h;
    const auto& eng = b.engine();

    // 1. [Q|K|V] = X·W_inᵀ + b_in over [N·T, 3D]. W_in [3D, D] row-major is W_inᵀ with strides
    //    (1, D): no copy, no transpose.
    const memory::desc xMd = plainMd(memory::dims{n * t, d});
    const memory::desc wInMd({d, 3 * d}, Dt::f32, memory::dims{1, d});
    const memory::desc bInMd = plainMd(memory::dims{1, 3 * d});
    const memory::desc qkvMd = plainMd(memory::dims{n * t, 3 * d});
    dnnl::matmul::primitive_desc proj(dnnl::matmul::desc(xMd, wInMd, bInMd, qkvMd), eng);
    const memory qkv = b.buffer(qkvMd);
    b.add(dnnl::matmul(proj), {{DNNL_ARG_SRC, b.input(0, xMd)},
                               {DNNL_ARG_WEIGHTS, b.constant(params[0].data(), wInMd, wInMd)},
                               {DNNL_ARG_BIAS, b.constant(params[1].data(), bInMd, bInMd)},
                               {DNNL_ARG_DST, qkv}});

    // 2. S = Q·Kᵀ/√dh per (image, head), read in place from the QKV buffer through strides:
    //    Q [N, H, T, dh] strides (T·3D, dh, 3D, 1); Kᵀ [N, H, dh, T] strides (T·3D, dh, 1, 3D).
    float* base = static_cast<float*>(qkv.get_data_handle());
    const memory::desc qMd({n, h, t, dh}, Dt::f32, memory::dims{t * 3 * d, dh, 3 * d, 1});
    const memory::desc ktMd({n, h, dh, t}, Dt::f32, memory::dims{t * 3 * d, dh, 1, 3 * d});
    const memory::desc sMd = plainMd(memory::dims{n, h, t, t});
    dnnl::primitive_attr scaled;
    scaled.set_output_scales(0, {1.0f / std::sqrt(static_cast<float>(dh))});
    dnnl::matmul::primitive_desc scores(dnnl::matmul::desc(qMd, ktMd, sMd), scaled, eng);
    const memory s = b.buffer(sMd);
    b.add(dnnl::matmul(scores), {{DNNL_ARG_SRC, memory(qMd, eng, base)},
                                 {DNNL_ARG_WEIGHTS, memory(ktMd, eng, base + d)},
                                 {DNNL_ARG_DST, s}});

    // 3. Row softmax over the keys, in place.
    dnnl::softmax_forward::primitive_desc sm(dnnl::softmax_forward::desc(kInference, sMd, 3), eng);
    b.add(dnnl::softmax_forward(sm), {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, s}});

    // 4. O_h = P·V_h, written straight into the [N, T, H·dh] context layout.
    const memory::desc vMd({n, h, t, dh}, Dt::f32, memory::dims{t * 3 * d, dh, 3 * d, 1});
    const memory::desc ctxMd({n, h, t, dh}, Dt::f32, memory::dims{t * d, dh, d, 1});
    dnnl::matmul::primitive_desc pv(dnnl::matmul::desc(sMd, vMd, ctxMd), eng);
    const memory ctx = b.buffer(plainMd(memory::dims{n * t, d}));
    float* ctxBase = static_cast<float*>(ctx.get_data_handle());
    b.add(dnnl::matmul(pv), {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, memory(vMd, eng, base + 2 * d)},
                             {DNNL_ARG_DST, memory(ctxMd, eng, ctxBase)}});

    // 5. Y = O·W_outᵀ + b_out.
    const memory::desc wOutMd({d, d}, Dt::f32, memory::dims{1, d});
    const memory::desc bOutMd = plainMd(memory::dims{1, d});
    dnnl::matmul::primitive_desc outProj(dnnl::matmul::desc(xMd, wOutMd, bOutMd, xMd), eng);
    b.add(dnnl::matmul(outProj), {{DNNL_ARG_SRC, ctx},
                                  {DNNL_ARG_WEIGHTS, b.constant(params[2].data(), wOutMd, wOutMd)},
                                  {DNNL_ARG_BIAS, b.constant(params[3].data(), bOutMd, bOutMd)},
                                  {DNNL_ARG_DST, b.output(xMd)}});
    return std::string("matmul ") + proj.impl_info_str() + " (QKV), matmul " + scores.impl_info_str() +
           " (QK^T), softmax " + sm.impl_info_str() + ", matmul " + pv.impl_info_str() + " (PV), matmul " +
           outProj.impl_info_str() + " (out)";
}

// ---- spatial ops of issue 9: convolution over 1 and 3 axes, deconvolution, pooling over 1 and 3 axes,
// global max pooling, resampling ----

// Per-axis windows of the op's spatial axes (D, H, W that the input has).
void windows(const KernelOp& op, const Shape& in, memory::dims& k, memory::dims& s, memory::dims& dil,
             memory::dims& pl, memory::dims& pr)
{
    const spatial::Geo3 g = spatial::Geo3::from(op, in, in);
    for (int a = 5 - static_cast<int>(in.size()); a < 3; ++a) {
        k.push_back(g.k[a]), s.push_back(g.s[a]), dil.push_back(g.d[a] - 1);
        pl.push_back(g.pa[a]), pr.push_back(g.pb[a]);
    }
}

std::string buildConvNd(Builder& b, const PreparedOp& p)
{
    const KernelOp& op = p.op();
    const Shape& in = p.inputShapes()[0];
    const Shape& out = p.outputShape();
    if (op.padMode != PadMode::Zeros)
        throw Unsupported{"reflect/replicate padding on 1-D/3-D convolutions (oneDNN pads with zeros)"};
    const bool transposed = op.kind == OpKind::ConvTranspose;
    memory::dims k, s, dil, pl, pr;
    windows(op, in, k, s, dil, pl, pr);
    const int64_t g = op.groups, c = in[1], o = out[1];
    // oneDNN's weights are [g,] O/g, C/g, k...; PyTorch's transposed weight is [C, O/g, k...], the same
    // numbers with the O/g and C/g axes swapped: a strided view reorders them.
    memory::dims wDims = g > 1 ? memory::dims{g, o / g, c / g} : memory::dims{o, c};
    wDims.insert(wDims.end(), k.begin(), k.end());
    memory::desc wPlain = plainMd(wDims);
    if (transposed) {
        int64_t kvol = 1;
        for (int64_t v : k)
            kvol *= v;
        memory::dims strides = g > 1 ? memory::dims{c / g * (o / g) * kvol, kvol, (o / g) * kvol}
                                     : memory::dims{kvol, (o / g) * kvol};
        memory::dims ks(k.size(), 1);
        for (std::size_t i = k.size(); i-- > 1;)
            ks[i - 1] = ks[i] * k[i];
        strides.insert(strides.end(), ks.begin(), ks.end());
        wPlain = memory::desc(wDims, Dt::f32, strides);
    }
    const memory::desc srcAny({in.begin(), in.end()}, Dt::f32, Tag::any);
    const memory::desc dstAny({out.begin(), out.end()}, Dt::f32, Tag::any);
    const memory::desc wAny(wDims, Dt::f32, Tag::any);
    const memory::desc biasMd({o}, Dt::f32, Tag::a);
    std::unordered_map<int, memory> args;
    memory::desc srcD, wD, dstD;
    dnnl::primitive prim;
    std::string impl;
    if (transposed) {
        auto desc = op.bias ? dnnl::deconvolution_forward::desc(kInference, dnnl::algorithm::deconvolution_direct,
                                                                srcAny, wAny, biasMd, dstAny, s, dil, pl, pr)
                            : dnnl::deconvolution_forward::desc(kInference, dnnl::algorithm::deconvolution_direct,
                                                                srcAny, wAny, dstAny, s, dil, pl, pr);
        dnnl::deconvolution_forward::primitive_desc pd(desc, b.engine());
        srcD = pd.src_desc(), wD = pd.weights_desc(), dstD = pd.dst_desc();
        prim = dnnl::deconvolution_forward(pd);
        impl = std::string("deconvolution ") + pd.impl_info_str();
    } else {
        auto desc = op.bias ? dnnl::convolution_forward::desc(kInference, dnnl::algorithm::convolution_direct, srcAny,
                                                              wAny, biasMd, dstAny, s, dil, pl, pr)
                            : dnnl::convolution_forward::desc(kInference, dnnl::algorithm::convolution_direct, srcAny,
                                                              wAny, dstAny, s, dil, pl, pr);
        dnnl::convolution_forward::primitive_desc pd(desc, b.engine());
        srcD = pd.src_desc(), wD = pd.weights_desc(), dstD = pd.dst_desc();
        prim = dnnl::convolution_forward(pd);
        impl = std::string("convolution ") + pd.impl_info_str();
    }
    args[DNNL_ARG_WEIGHTS] = b.constant(p.parameters()[0].data(), wPlain, wD);
    if (op.bias)
        args[DNNL_ARG_BIAS] = b.constant(p.parameters()[1].data(), biasMd, biasMd);
    args[DNNL_ARG_SRC] = b.toLayout(b.input(0, plainMd(in)), srcD);
    const memory userOut = b.output(plainMd(out));
    const memory dst = dstD == userOut.get_desc() ? userOut : b.buffer(dstD);
    args[DNNL_ARG_DST] = dst;
    b.add(prim, args);
    b.finishInto(dst, userOut);
    return impl + ", src " + layoutName(srcD) + ", weights " + layoutName(wD) + reorderNote(b.runReorders());
}

std::string buildPoolNd(Builder& b, const PreparedOp& p)
{
    const KernelOp& op = p.op();
    const Shape& in = p.inputShapes()[0];
    const Shape& out = p.outputShape();
    memory::dims k, s, dil, pl, pr;
    windows(op, in, k, s, dil, pl, pr);
    // Ceil mode as in buildPool: the trailing padding becomes what the output size needs.
    bool grown = false;
    for (std::size_t i = 0; op.ceilMode && i < k.size(); ++i) {
        const int64_t need = (out[2 + i] - 1) * s[i] + k[i] - in[2 + i] - pl[i];
        if (need < 0)
            throw Unsupported{"ceil-mode window shape oneDNN cannot express"};
        grown |= need > pr[i];
        pr[i] = need;
    }
    const bool avg = op.kind == OpKind::AvgPoolNd;
    if (avg && op.countIncludePad && grown)
        throw Unsupported{"ceil-mode window overhangs the padding with count_include_pad (oneDNN divides by the window)"};
    const auto alg = !avg ? dnnl::algorithm::pooling_max
                          : (op.countIncludePad ? dnnl::algorithm::pooling_avg_include_padding
                                                : dnnl::algorithm::pooling_avg_exclude_padding);
    return addPooling(b, alg, {in.begin(), in.end()}, {out.begin(), out.end()}, s, k, dil, pl, pr);
}

std::string buildResize(Builder& b, const PreparedOp& p)
{
    const KernelOp& op = p.op();
    const Shape& in = p.inputShapes()[0];
    const Shape& out = p.outputShape();
    // oneDNN samples at half-pixel centres with the ratio out/in: PyTorch's rule for linear without
    // align_corners, and for nearest when every output pixel maps to floor(o·in/out) (integer factors).
    // A scale factor that is not exactly out/in maps coordinates differently.
    if (op.interpLinear && op.alignCorners)
        throw Unsupported{"align_corners (oneDNN resampling has half-pixel centres only)"};
    const float scales[2] = {op.scaleH, op.scaleW};
    for (std::size_t i = 2; i < in.size(); ++i) {
        const float sc = scales[in.size() == 3 ? 1 : i - 2];
        if (sc > 0 && static_cast<float>(out[i]) != static_cast<float>(in[i]) * sc)
            throw Unsupported{"a scale factor other than out/in"};
        if (!op.interpLinear && out[i] % in[i] != 0)
            throw Unsupported{"nearest resize by a non-integer factor (oneDNN rounds, PyTorch floors)"};
    }
    const auto alg = op.interpLinear ? dnnl::algorithm::resampling_linear : dnnl::algorithm::resampling_nearest;
    dnnl::resampling_forward::desc desc(kInference, alg, plainMd(in), plainMd(out));
    dnnl::resampling_forward::primitive_desc pd(desc, b.engine());
    b.add(dnnl::resampling_forward(pd), {{DNNL_ARG_SRC, b.input(0, plainMd(in))}, {DNNL_ARG_DST, b.output(plainMd(out))}});
    return std::string("resampling ") + pd.impl_info_str();
}

// LSTM and GRU through oneDNN's RNN primitives: lstm_forward (vanilla LSTM) and lbr_gru_forward
// (linear before reset, PyTorch's GRU). Layouts: the caller's batch-first [N, T, C] tensors are
// oneDNN's `ntc` (dims t, n, c), so the first primitive reads the input and the last one writes the
// output in place; between primitives the sequence goes through a `tnc` buffer.
//
// Layers per primitive: oneDNN runs a stack of layers in one call only when every layer's input has
// the same width (weights_layer is [L, D, SLC, G, H], one SLC) and, with bidirectional_concat, it
// runs the two directions' stacks independently and concatenates only the last layer's outputs
// (rnn.md: "process all the stacked layers from left2right and from right2left independently").
// PyTorch feeds layer l + 1 the concatenation of both directions of layer l, so:
//   unidirectional: layer 0 alone when I ≠ H, then layers 1..L−1 in one primitive (SLC = H);
//                   all L layers in one when I = H;
//   bidirectional:  one bidirectional_concat primitive per layer (its SLC is I, then 2·H).
//
// Gates and biases, ours (PyTorch's) → oneDNN's (rnn.md, "Cell Functions"):
//   LSTM  i, f, g, o → i, f, c̃, o (the same order); bias B = b_ih + b_hh per gate.
//   GRU   r, z, n → u, r, o with u = z: oneDNN's h_t = u·h_{t−1} + (1 − u)·o is PyTorch's
//         h' = (1 − z)·n + z·h. lbr_gru's bias has 4 gates u, r, o, u': B_u = b_iz + b_hz,
//         B_r = b_ir + b_hr, B_o = b_in (outside the reset product), B_u' = b_hn (inside it:
//         o = tanh(W_o·x + r·(U_o·h + B_u') + B_o), PyTorch's n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn))).
// No bias: a bias of zeros. (The API allows a zero bias descriptor, but oneDNN 2.6.3 finds no
// implementation for one: "could not create a primitive descriptor iterator".)
std::string buildRnn(Builder& b, OneDnnState& st, const PreparedOp& p)
{
    const KernelOp& op = p.op();
    const Shape& in = p.inputShapes()[0];
    const bool lstm = op.kind == OpKind::LSTM;
    const int64_t n = in[0], t = in[1], inF = in[2], h = op.outChannels, dirs = op.bidirectional ? 2 : 1;
    const int64_t gatesN = lstm ? 4 : 3, biasGates = lstm ? gatesN : gatesN + 1; // lbr_gru: u, r, o, u'
    // oneDNN gate g reads our gate ourGate[g].
    const std::array<int64_t, 4> ourGate = lstm ? std::array<int64_t, 4>{0, 1, 2, 3} : std::array<int64_t, 4>{1, 0, 2, 3};
    const std::vector<Tensor>& params = p.parameters();
    const auto param = [&](int64_t l, int64_t d, int64_t k) -> const Tensor& {
        return params[static_cast<std::size_t>((l * dirs + d) * (op.bias ? 4 : 2) + k)];
    };

    struct Group {
        int64_t first, count;
    };
    std::vector<Group> groups;
    if (op.bidirectional) {
        for (int64_t l = 0; l < op.rnnLayers; ++l)
            groups.push_back({l, 1});
    } else if (inF == h) {
        groups.push_back({0, op.rnnLayers});
    } else {
        groups.push_back({0, 1});
        if (op.rnnLayers > 1)
            groups.push_back({1, op.rnnLayers - 1});
    }

    const auto direction = op.bidirectional ? dnnl::rnn_direction::bidirectional_concat
                                            : dnnl::rnn_direction::unidirectional_left2right;
    const auto any = [](const memory::dims& d) { return memory::desc(d, Dt::f32, Tag::any); };
    std::string impl;
    memory src;
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
        const Group& g = groups[gi];
        const int64_t slc = g.first == 0 ? inF : h * dirs, dlc = h * dirs;
        const bool first = gi == 0, last = gi + 1 == groups.size();
        const memory::desc srcMd = first ? memory::desc({t, n, slc}, Dt::f32, Tag::ntc) : src.get_desc();
        const memory::desc dstMd = last ? memory::desc({t, n, dlc}, Dt::f32, Tag::ntc) : plainMd(memory::dims{t, n, dlc});
        const memory::dims wlDims{g.count, dirs, slc, gatesN, h}, wiDims{g.count, dirs, h, gatesN, h};
        const memory::dims biasDims{g.count, dirs, biasGates, h};
        const memory::desc biasMd = any(biasDims);

        // Our weights in oneDNN's gate order, laid out ldgoi (per layer and direction PyTorch's
        // [G·H, I] row-major, gate blocks permuted), then reordered once into the primitive's layout.
        std::vector<float> wl(static_cast<std::size_t>(g.count * dirs * gatesN * h * slc));
        std::vector<float> wi(static_cast<std::size_t>(g.count * dirs * gatesN * h * h));
        std::vector<float> bias(static_cast<std::size_t>(g.count * dirs * biasDims[2] * h), 0.0f);
        for (int64_t l = 0; l < g.count; ++l)
            for (int64_t d = 0; d < dirs; ++d) {
                const int64_t ld = l * dirs + d, layer = g.first + l;
                const Tensor &wih = param(layer, d, 0), &whh = param(layer, d, 1);
                for (int64_t gate = 0; gate < gatesN; ++gate) {
                    const int64_t from = ourGate[static_cast<std::size_t>(gate)];
                    std::copy(wih.data() + from * h * slc, wih.data() + (from + 1) * h * slc,
                              wl.begin() + (ld * gatesN + gate) * h * slc);
                    std::copy(whh.data() + from * h * h, whh.data() + (from + 1) * h * h,
                              wi.begin() + (ld * gatesN + gate) * h * h);
                }
                if (!op.bias)
                    continue;
                const Tensor &bih = param(layer, d, 2), &bhh = param(layer, d, 3);
                float* bo = bias.data() + ld * biasDims[2] * h;
                for (int64_t gate = 0; gate < gatesN; ++gate) {
                    const int64_t from = ourGate[static_cast<std::size_t>(gate)];
                    const bool candidate = !lstm && gate == 2; // GRU's b_hn goes to u', not o
                    for (int64_t j = 0; j < h; ++j)
                        bo[gate * h + j] = bih[from * h + j] + (candidate ? 0.0f : bhh[from * h + j]);
                }
                if (!lstm)
                    std::copy(bhh.data() + 2 * h, bhh.data() + 3 * h, bo + 3 * h);
            }

        // Final states: plain ldnc buffers, read back after the run (they are tiny: L·D·N·H).
        const memory::desc iterMd = op.finalStates ? memory::desc({g.count, dirs, n, h}, Dt::f32, Tag::ldnc)
                                                   : memory::desc();
        memory::desc wlD, wiD, bD, srcD, dstD;
        dnnl::primitive prim;
        if (lstm) {
            dnnl::lstm_forward::desc desc(kInference, direction, srcMd, memory::desc(), memory::desc(), any(wlDims),
                                          any(wiDims), biasMd, dstMd, iterMd, iterMd);
            dnnl::lstm_forward::primitive_desc pd(desc, b.engine());
            wlD = pd.weights_layer_desc(), wiD = pd.weights_iter_desc(), bD = pd.bias_desc();
            srcD = pd.src_layer_desc(), dstD = pd.dst_layer_desc();
            prim = dnnl::lstm_forward(pd);
            impl = std::string("lstm_forward ") + pd.impl_info_str();
        } else {
            dnnl::lbr_gru_forward::desc desc(kInference, direction, srcMd, memory::desc(), any(wlDims), any(wiDims),
                                             biasMd, dstMd, iterMd);
            dnnl::lbr_gru_forward::primitive_desc pd(desc, b.engine());
            wlD = pd.weights_layer_desc(), wiD = pd.weights_iter_desc(), bD = pd.bias_desc();
            srcD = pd.src_layer_desc(), dstD = pd.dst_layer_desc();
            prim = dnnl::lbr_gru_forward(pd);
            impl = std::string("lbr_gru_forward ") + pd.impl_info_str();
        }
        if (srcD != srcMd || dstD != dstMd)
            throw Unsupported{"the RNN primitive wants other src/dst layouts than ntc/tnc"};
        std::unordered_map<int, memory> args;
        args[DNNL_ARG_WEIGHTS_LAYER] = b.constant(wl.data(), memory::desc(wlDims, Dt::f32, Tag::ldgoi), wlD);
        args[DNNL_ARG_WEIGHTS_ITER] = b.constant(wi.data(), memory::desc(wiDims, Dt::f32, Tag::ldgoi), wiD);
        args[DNNL_ARG_BIAS] = b.constant(bias.data(), memory::desc(biasDims, Dt::f32, Tag::ldgo), bD);
        args[DNNL_ARG_SRC_LAYER] = first ? b.input(0, srcMd) : src;
        const memory dst = last ? b.output(dstMd) : b.buffer(dstMd);
        args[DNNL_ARG_DST_LAYER] = dst;
        if (op.finalStates) {
            st.states.push_back({b.buffer(iterMd), 0, g.first, g.count});
            args[DNNL_ARG_DST_ITER] = st.states.back().m;
            if (lstm) {
                st.states.push_back({b.buffer(iterMd), 1, g.first, g.count});
                args[DNNL_ARG_DST_ITER_C] = st.states.back().m;
            }
        }
        b.add(prim, args);
        src = dst;
    }
    std::string layout;
    for (const Group& g : groups)
        layout += (layout.empty() ? "" : " + ") + std::to_string(g.count);
    return impl + ", " + std::to_string(groups.size()) + " primitive(s) of " + layout +
           " layer(s), batch-first ntc in and out, weights reordered once from ldgoi";
}

std::string build(Builder& b, OneDnnState& st, const PreparedOp& p)
{
    const KernelOp& op = p.op();
    const Shape& in = p.inputShapes()[0];
    const Shape& out = p.outputShape();
    switch (op.kind) {
    case OpKind::Conv2d:
        return buildConv(b, st, p);
    case OpKind::Linear:
        return buildLinear(b, p);
    case OpKind::MaxPool:
    case OpKind::AvgPool:
        return buildPool(b, p);
    case OpKind::GlobalAvgPool: {
        if (op.layoutOf(0) != Layout::Plain) // 4-D in a oneDNN layout: one H×W window
            return addPooling(b, dnnl::algorithm::pooling_avg_exclude_padding, {in.begin(), in.end()},
                              {in[0], in[1], 1, 1}, {1, 1}, {in[2], in[3]}, {0, 0}, {0, 0}, {0, 0}, op.layoutOf(0));
        // Any spatial rank, seen as [N, C, 1, S] and pooled with a 1×S window.
        const int64_t s = shapeElements(in) / (in[0] * in[1]);
        return addPooling(b, dnnl::algorithm::pooling_avg_exclude_padding, {in[0], in[1], 1, s},
                          {in[0], in[1], 1, 1}, {1, 1}, {1, s}, {0, 0}, {0, 0}, {0, 0});
    }
    case OpKind::AdaptiveAvgPool: {
        if (in[2] % out[2] != 0 || in[3] % out[3] != 0)
            throw Unsupported{"adaptive pooling with non-dividing sizes (no oneDNN primitive)"};
        const int64_t kh = in[2] / out[2], kw = in[3] / out[3];
        return addPooling(b, dnnl::algorithm::pooling_avg_exclude_padding, {in.begin(), in.end()},
                          {out.begin(), out.end()}, {kh, kw}, {kh, kw}, {0, 0}, {0, 0}, {0, 0}, op.layoutOf(0),
                          op.keepOutputLayout);
    }
    case OpKind::BatchNorm:
    case OpKind::LayerNorm:
    case OpKind::InstanceNorm:
    case OpKind::GroupNorm:
        return buildNorm(b, st, p);
    case OpKind::Softmax: {
        const int axis = static_cast<int>(normaliseAxis(op.softmaxAxis, static_cast<int64_t>(in.size())));
        const memory::desc md = plainMd(in);
        dnnl::softmax_forward::primitive_desc pd(dnnl::softmax_forward::desc(kInference, md, axis), b.engine());
        b.add(dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, b.input(0, md)}, {DNNL_ARG_DST, b.output(md)}});
        return std::string("softmax ") + pd.impl_info_str();
    }
    case OpKind::Add:
    case OpKind::Mul:
        return buildBinary(b, p);
    case OpKind::Concat:
        return buildConcat(b, p);
    case OpKind::Attention:
        return buildAttention(b, p);
    case OpKind::Transpose: {
        // A reorder into the output buffer described with the input's logical axes: logical axis
        // perm[i] of the destination is physical axis i.
        std::vector<int> perm(op.perm.begin(), op.perm.end());
        const memory::desc src = plainMd(in), dst = plainMd(out).permute_axes(perm);
        const memory from = b.input(0, src), to = b.output(dst);
        b.add(dnnl::reorder(from, to), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
        return "reorder (permuted axes)";
    }
    case OpKind::Reduce: {
        const dnnl::algorithm alg = op.reduceOp == 0   ? dnnl::algorithm::reduction_mean
                                    : op.reduceOp == 1 ? dnnl::algorithm::reduction_sum
                                                       : dnnl::algorithm::reduction_max;
        memory::dims kept(in.begin(), in.end());
        for (int64_t a : op.axes)
            kept[static_cast<std::size_t>(a)] = 1; // same elements in the same order as `out`
        const memory::desc src = plainMd(in), dst = plainMd(kept);
        dnnl::reduction::primitive_desc pd(dnnl::reduction::desc(alg, src, dst, 0.0f, 0.0f), b.engine());
        b.add(dnnl::reduction(pd), {{DNNL_ARG_SRC, b.input(0, src)}, {DNNL_ARG_DST, b.output(dst)}});
        return std::string("reduction ") + pd.impl_info_str();
    }
    case OpKind::ConvNd:
    case OpKind::ConvTranspose:
        return buildConvNd(b, p);
    case OpKind::MaxPoolNd:
    case OpKind::AvgPoolNd:
        return buildPoolNd(b, p);
    case OpKind::GlobalMaxPool: {
        const int64_t s = shapeElements(in) / (in[0] * in[1]);
        return addPooling(b, dnnl::algorithm::pooling_max, {in[0], in[1], 1, s}, {in[0], in[1], 1, 1}, {1, 1}, {1, s},
                          {0, 0}, {0, 0}, {0, 0});
    }
    case OpKind::Resize:
        return buildResize(b, p);
    case OpKind::Pad:
        throw Unsupported{"padding as a layer (no oneDNN primitive)"};
    case OpKind::MatMul:
        return buildMatMul(b, p);
    case OpKind::Embedding:
        throw Unsupported{"embedding lookup (no gather primitive in oneDNN 2.6)"};
    case OpKind::RMSNorm:
        throw Unsupported{"RMSNorm (oneDNN 2.6's layer normalisation always subtracts the mean)"};
    case OpKind::ScaledDotProduct:
        throw Unsupported{"masked, rotary or grouped-head attention (no oneDNN 2.6 primitive)"};
    case OpKind::LSTM:
    case OpKind::GRU:
        return buildRnn(b, st, p);
    case OpKind::Flatten:
    case OpKind::Identity: {
        const memory::desc md = plainMd(memory::dims{shapeElements(in)});
        const memory src = b.input(0, md), dst = b.output(md);
        b.add(dnnl::reorder(src, dst), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
        return "reorder (plain copy)";
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
        return buildEltwise(b, p);
    }
    throw Unsupported{"an operation kind outside OpKind"}; // every kind is listed above
}

} // namespace

OneDnnBackend::OneDnnBackend(int threads) : m_engine(std::make_unique<Engine>())
{
    setThreadCount(threads);
}

OneDnnBackend::~OneDnnBackend() = default;

void OneDnnBackend::setThreadCount(int threads)
{
    m_threads = std::max(threads, 1);
    m_fallback.setThreadCount(m_threads);
}

std::string OneDnnBackend::runtimeDescription()
{
    const dnnl_version_t* v = dnnl_version();
    std::string runtime = "unknown";
    switch (v->cpu_runtime) {
    case DNNL_RUNTIME_OMP:
        runtime = "OpenMP";
        break;
    case DNNL_RUNTIME_TBB:
        runtime = "TBB";
        break;
    case DNNL_RUNTIME_SEQ:
        runtime = "sequential";
        break;
    case DNNL_RUNTIME_THREADPOOL:
        runtime = "threadpool";
        break;
    default:
        break;
    }
    std::string isa;
    switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41:
        isa = "sse41";
        break;
    case dnnl::cpu_isa::avx:
        isa = "avx";
        break;
    case dnnl::cpu_isa::avx2:
        isa = "avx2";
        break;
    case dnnl::cpu_isa::avx2_vnni:
        isa = "avx2_vnni";
        break;
    case dnnl::cpu_isa::avx512_core:
        isa = "avx512_core";
        break;
    case dnnl::cpu_isa::avx512_core_vnni:
        isa = "avx512_core_vnni";
        break;
    case dnnl::cpu_isa::avx512_core_bf16:
        isa = "avx512_core_bf16";
        break;
    case dnnl::cpu_isa::avx512_core_amx:
        isa = "avx512_core_amx";
        break;
    default:
        isa = "other";
        break;
    }
    return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
           ", CPU runtime " + runtime + ", ISA " + isa + ", " + std::to_string(omp_get_max_threads()) +
           " OpenMP threads by default";
}

KernelStatus OneDnnBackend::doPrepare(PreparedOp& prepared)
{
    const int threads = prepared.threadCount();
    omp_set_num_threads(threads);
    auto state = std::make_unique<OneDnnState>();
    std::string reason;
    try {
        Builder builder(m_engine->engine, m_engine->stream, *state, prepared);
        prepared.appendNote("onednn: " + build(builder, *state, prepared) + ", " + std::to_string(threads) +
                            " thread(s)");
        prepared.setOutputLayout(state->outputLayout);
    } catch (const Unsupported& u) {
        reason = u.reason;
    } catch (const dnnl::error& e) {
        // A shape or attribute combination the library rejects: still measurable with our kernels.
        reason = std::string("oneDNN refused the layer (") + e.what() + ")";
    }
    if (!reason.empty()) {
        prepared.setOutputLayout(Layout::Plain);
        *state = OneDnnState();
        state->fallback = true;
        m_fallback.setThreadCount(threads);
        PrepareOptions options;
        options.parameters = prepared.parameters();
        // Our kernels read plain tensors: inputs in a oneDNN layout are reordered first (timed).
        KernelOp plainOp = prepared.op();
        plainOp.inputLayouts.clear();
        plainOp.keepOutputLayout = false;
        const auto& shapes = prepared.inputShapes();
        for (std::size_t i = 0; i < shapes.size(); ++i) {
            const Layout l = prepared.op().layoutOf(i);
            if (l == Layout::Plain)
                continue;
            if (state->plainInputs.empty())
                for (const Shape& sh : shapes)
                    state->plainInputs.emplace_back(sh);
            const memory::dims d(shapes[i].begin(), shapes[i].end());
            memory from(layoutMd(d, l), m_engine->engine, nullptr);
            memory to(plainMd(d), m_engine->engine, state->plainInputs[i].data());
            state->toPlain.push_back({i, from, to, dnnl::reorder(from, to)});
        }
        auto inner = m_fallback.prepare(plainOp, shapes, options);
        if (!inner)
            return inner.status();
        state->inner = std::move(inner).value();
        prepared.appendNote("onednn: " + reason + "; fallback to our kernels: " + state->inner.note() +
                            (state->toPlain.empty() ? std::string()
                                                    : ", " + std::to_string(state->toPlain.size()) +
                                                          " input(s) reordered to plain first"));
    }
    prepared.setState(std::move(state));
    return KernelStatus::success();
}

KernelStatus OneDnnBackend::doRun(PreparedOp& prepared, std::span<const Tensor> inputs, Tensor& output)
{
    auto* state = static_cast<OneDnnState*>(prepared.state());
    if (state->fallback) {
        std::span<const Tensor> in = inputs;
        if (!state->toPlain.empty()) {
            omp_set_num_threads(prepared.threadCount());
            for (std::size_t i = 0; i < inputs.size(); ++i)
                if (prepared.op().layoutOf(i) == Layout::Plain)
                    std::memcpy(state->plainInputs[i].data(), inputs[i].data(),
                                static_cast<std::size_t>(inputs[i].size()) * sizeof(float));
            for (OneDnnState::ToPlain& t : state->toPlain) {
                t.from.set_data_handle(const_cast<float*>(inputs[t.input].data()));
                t.reorder.execute(m_engine->stream, t.from, t.to);
            }
            m_engine->stream.wait();
            in = state->plainInputs;
        }
        KernelStatus st = m_fallback.run(state->inner, in, output);
        for (std::size_t k = 0; k < prepared.states().size() && st; ++k)
            prepared.states()[k] = state->inner.states()[k];
        return st;
    }
    omp_set_num_threads(prepared.threadCount());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (state->inputs[i])
            state->inputs[i].set_data_handle(const_cast<float*>(inputs[i].data()));
    }
    state->output.set_data_handle(output.data());
    if (state->padFirst) {
        const eigen::Parallel serial{&m_serial, 1};
        eigen::padImage(state->padGeometry, inputs[0].data(), state->padded.data(), serial);
    }
    for (Step& step : state->steps)
        step.primitive.execute(m_engine->stream, step.args);
    m_engine->stream.wait();
    if (!state->states.empty()) {
        // ldnc → per sample [N, layers·dirs, H].
        const KernelOp& op = prepared.op();
        const int64_t n = prepared.inputShapes()[0][0], h = op.outChannels, dirs = op.bidirectional ? 2 : 1;
        for (const OneDnnState::StateOut& so : state->states) {
            const float* src = static_cast<const float*>(so.m.get_data_handle());
            float* dst = prepared.states()[static_cast<std::size_t>(so.which)].data();
            for (int64_t l = 0; l < so.count; ++l)
                for (int64_t d = 0; d < dirs; ++d)
                    for (int64_t s = 0; s < n; ++s)
                        std::copy(src + ((l * dirs + d) * n + s) * h, src + ((l * dirs + d) * n + s + 1) * h,
                                  dst + (s * op.rnnLayers * dirs + (so.first + l) * dirs + d) * h);
        }
    }
    return KernelStatus::success();
}

} // namespace nc::core::kernels
